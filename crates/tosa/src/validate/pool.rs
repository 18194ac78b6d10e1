//! MAX_POOL2D and AVG_POOL2D rules.

use super::Ctx;
use super::conv::exact_out;
use super::ctx::TypeRow;
use crate::error::Result;
use crate::ir::{DType, Op};

use DType::{Fp16, Fp32, Int8, Int16, Int32};

const MAX_INT: &[TypeRow] = &[&[Int8], &[Int16]];
const MAX_FP: &[TypeRow] = &[&[Fp16], &[Fp32]];
/// Rows are `(input/output, acc_type)`.
const AVG_INT: &[TypeRow] = &[&[Int8, Int32], &[Int16, Int32]];
const AVG_FP: &[TypeRow] = &[&[Fp16, Fp16], &[Fp16, Fp32], &[Fp32, Fp32]];

pub(super) fn check(c: &Ctx) -> Result<()> {
    let input = c.input(0);
    let out = c.out();
    let (kernel, stride, pad) = match &c.op.op {
        Op::MaxPool2d { kernel, stride, pad, .. } => {
            c.check_types(&[input.dtype], MAX_INT, MAX_FP)?;
            (kernel, stride, pad)
        }
        Op::AvgPool2d { kernel, stride, pad, acc_type } => {
            c.check_types(&[input.dtype, *acc_type], AVG_INT, AVG_FP)?;
            c.zero_point_int8_only(1, input.dtype)?;
            c.zero_point_int8_only(2, input.dtype)?;
            (kernel, stride, pad)
        }
        _ => unreachable!("pool::check is only called for pooling"),
    };
    if out.dtype != input.dtype {
        return Err(c.err(format!(
            "output '{}' must have the input type {}, is {}",
            out.name, input.dtype, out.dtype
        )));
    }
    c.expect_rank(0, 4)?;
    if kernel.iter().any(|&k| k < 1) {
        return Err(c.err(format!("kernel {kernel:?} must be at least 1 (ERROR_IF)")));
    }
    if stride.iter().any(|&s| s < 1) {
        return Err(c.err(format!("stride {stride:?} must be at least 1 (ERROR_IF)")));
    }
    if pad.iter().any(|&p| p < 0) {
        return Err(c.err(format!("pad {pad:?} must be non-negative (ERROR_IF)")));
    }
    let [ky, kx] = *kernel;
    let [pt, pb, pl, pr] = *pad;
    if pt >= ky || pb >= ky || pl >= kx || pr >= kx {
        return Err(c.err(format!(
            "pad {pad:?} must be smaller than kernel {kernel:?} in each direction (ERROR_IF)"
        )));
    }
    let (ih, iw) = (input.shape[1] as i128, input.shape[2] as i128);
    let oh = exact_out(
        c,
        "height",
        ih + i128::from(pt) + i128::from(pb) - i128::from(ky),
        stride[0].into(),
    )?;
    let ow = exact_out(
        c,
        "width",
        iw + i128::from(pl) + i128::from(pr) - i128::from(kx),
        stride[1].into(),
    )?;
    c.expect_out_shape(&[input.shape[0], oh, ow, input.shape[3]])
}
