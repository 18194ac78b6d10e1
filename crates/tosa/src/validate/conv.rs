//! CONV2D, DEPTHWISE_CONV2D, TRANSPOSE_CONV2D and MATMUL rules.

use super::Ctx;
use super::ctx::TypeRow;
use crate::error::Result;
use crate::ir::{DType, Op};

use DType::{Fp16, Fp32, Int4, Int8, Int16, Int32, Int48};

/// Rows are `(input, weight, output, acc_type)`.
const CONV_INT: &[TypeRow] =
    &[&[Int8, Int8, Int32, Int32], &[Int8, Int4, Int32, Int32], &[Int16, Int8, Int48, Int48]];
const CONV_FP: &[TypeRow] =
    &[&[Fp16, Fp16, Fp16, Fp16], &[Fp16, Fp16, Fp16, Fp32], &[Fp32, Fp32, Fp32, Fp32]];

/// `idiv_check`: the division must be exact, otherwise the graph is in error.
pub(super) fn exact_out(c: &Ctx, axis: &str, num: i128, den: i128) -> Result<usize> {
    if num < 0 || num % den != 0 {
        return Err(c.err(format!(
            "output {axis}: ({num}) is not an exact non-negative multiple of stride {den} (ERROR_IF)"
        )));
    }
    usize::try_from(num / den + 1).map_err(|_| c.err(format!("output {axis} overflows")))
}

pub(super) fn check(c: &Ctx) -> Result<()> {
    let (input, weight, bias) = (c.input(0), c.input(1), c.input(2));
    let out = c.out();
    let acc = match &c.op.op {
        Op::Conv2d { acc_type, .. }
        | Op::DepthwiseConv2d { acc_type, .. }
        | Op::TransposeConv2d { acc_type, .. } => *acc_type,
        _ => unreachable!("conv::check is only called for convolutions"),
    };
    c.check_types(&[input.dtype, weight.dtype, out.dtype, acc], CONV_INT, CONV_FP)?;
    c.expect_dtype(2, out.dtype)?;
    c.zero_point_int8_only(3, input.dtype)?;
    c.zero_point_int8_only(4, weight.dtype)?;
    c.expect_rank(0, 4)?;
    c.expect_rank(1, 4)?;
    c.expect_rank(2, 1)?;
    let [n, ih, iw, ic] = [input.shape[0], input.shape[1], input.shape[2], input.shape[3]];
    let ws = &weight.shape;
    let (kh, kw, oc) = match &c.op.op {
        Op::DepthwiseConv2d { .. } => {
            if ws[2] != ic {
                return Err(c.err(format!(
                    "weight '{}' channel dimension {} must equal input channels {ic} (ERROR_IF)",
                    weight.name, ws[2]
                )));
            }
            (ws[0], ws[1], ic * ws[3])
        }
        _ => {
            if ws[3] != ic {
                return Err(c.err(format!(
                    "weight '{}' input channels {} must equal input channels {ic} (ERROR_IF)",
                    weight.name, ws[3]
                )));
            }
            (ws[1], ws[2], ws[0])
        }
    };
    let bc = bias.shape[0];
    if bc != oc && bc != 1 {
        return Err(
            c.err(format!("bias '{}' has {bc} elements, must be {oc} or 1 (ERROR_IF)", bias.name))
        );
    }
    // i128 keeps absurd declared sizes from overflowing these checks.
    let (ih, iw, kh, kw) = (ih as i128, iw as i128, kh as i128, kw as i128);
    let (oh, ow) = match &c.op.op {
        Op::Conv2d { pad, stride, dilation, .. }
        | Op::DepthwiseConv2d { pad, stride, dilation, .. } => {
            check_conv_attrs(c, pad, stride, Some(dilation))?;
            let [pt, pb, pl, pr] = pad.map(i128::from);
            let [sy, sx] = stride.map(i128::from);
            let [dy, dx] = dilation.map(i128::from);
            (
                exact_out(c, "height", ih - 1 + pt + pb - (kh - 1) * dy, sy)?,
                exact_out(c, "width", iw - 1 + pl + pr - (kw - 1) * dx, sx)?,
            )
        }
        Op::TransposeConv2d { out_pad, stride, .. } => {
            check_conv_attrs(c, &[0; 4], stride, None)?;
            let [pt, pb, pl, pr] = out_pad.map(i128::from);
            if pt <= -kh || pb <= -kh || pl <= -kw || pr <= -kw {
                return Err(c.err(format!(
                    "out_pad {out_pad:?} must be greater than minus the kernel size (ERROR_IF)"
                )));
            }
            let [sy, sx] = stride.map(i128::from);
            let oh = (ih - 1) * sy + pt + pb + kh;
            let ow = (iw - 1) * sx + pl + pr + kw;
            if oh < 1 || ow < 1 {
                return Err(c.err(format!("output size {oh}x{ow} is empty (ERROR_IF)")));
            }
            (
                usize::try_from(oh).map_err(|_| c.err("output height overflows"))?,
                usize::try_from(ow).map_err(|_| c.err("output width overflows"))?,
            )
        }
        _ => unreachable!("conv::check is only called for convolutions"),
    };
    c.expect_out_shape(&[n, oh, ow, oc])
}

fn check_conv_attrs(
    c: &Ctx,
    pad: &[i32; 4],
    stride: &[i32; 2],
    dil: Option<&[i32; 2]>,
) -> Result<()> {
    if pad.iter().any(|&p| p < 0) {
        return Err(c.err(format!("pad {pad:?} must be non-negative (ERROR_IF)")));
    }
    if stride.iter().any(|&s| s < 1) {
        return Err(c.err(format!("stride {stride:?} must be at least 1 (ERROR_IF)")));
    }
    if let Some(d) = dil
        && d.iter().any(|&x| x < 1)
    {
        return Err(c.err(format!("dilation {d:?} must be at least 1 (ERROR_IF)")));
    }
    Ok(())
}

/// Rows are `(A, B, output)`.
const MATMUL_INT: &[TypeRow] = &[&[Int8, Int8, Int32], &[Int16, Int16, Int48]];
const MATMUL_FP: &[TypeRow] = &[&[Fp16, Fp16, Fp16], &[Fp16, Fp16, Fp32], &[Fp32, Fp32, Fp32]];

pub(super) fn check_matmul(c: &Ctx) -> Result<()> {
    let (a, b, out) = (c.input(0), c.input(1), c.out());
    c.check_types(&[a.dtype, b.dtype, out.dtype], MATMUL_INT, MATMUL_FP)?;
    // The 1.0.2 text has this ERROR_IF inverted; the fixed form allows non-zero zp for i8 only.
    c.zero_point_int8_only(2, a.dtype)?;
    c.zero_point_int8_only(3, b.dtype)?;
    c.expect_rank(0, 3)?;
    c.expect_rank(1, 3)?;
    let (n, h, k) = (a.shape[0], a.shape[1], a.shape[2]);
    if b.shape[0] != n || b.shape[1] != k {
        return Err(c.err(format!(
            "B '{}' shape {:?} does not match A shape {:?} (need [{n}, {k}, W]) (ERROR_IF)",
            b.name, b.shape, a.shape
        )));
    }
    c.expect_out_shape(&[n, h, b.shape[2]])
}
