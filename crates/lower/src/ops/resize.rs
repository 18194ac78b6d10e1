//! Upsampling as RESIZE (+ RESCALE for int8 bilinear, whose integer result is scaled by the
//! product of the two scale numerators).

use vgforge_graph::{Node, UpsampleMode};
use vgforge_tosa::{DType, Op, ResizeMode, Tensor as TTensor};

use super::{input0, nhwc, requant};
use crate::ctx::{Lowerer, Value};
use crate::error::{Error, Result};

/// `(scale [y_n, y_d, x_n, x_d], offset [y, x], border [y, x])` of a RESIZE by integer factor `f`.
///
/// Half-pixel sampling (`align_corners = false`, and PyTorch's floor-based nearest) reads source
/// coordinate `(o + 0.5) / f - 0.5 = (2o + 1 - f) / 2f`; align-corners reads `o (in-1)/(out-1)`.
fn resize_params(
    n: &Node,
    f: usize,
    mode: UpsampleMode,
    size: [usize; 2],
) -> Result<([i64; 4], [i64; 2], [i64; 2])> {
    let f = f as i64;
    match mode {
        UpsampleMode::Bilinear { align_corners: false } | UpsampleMode::Nearest => {
            Ok(([2 * f, 2, 2 * f, 2], [1 - f, 1 - f], [f - 1, f - 1]))
        }
        UpsampleMode::Bilinear { align_corners: true } => {
            let [h, w] = size.map(|s| s as i64);
            if h < 2 || w < 2 {
                return Err(Error::unsupported(
                    &n.name,
                    "upsample",
                    format!("align_corners needs an input of at least 2x2, got {h}x{w}"),
                ));
            }
            Ok(([f * h - 1, h - 1, f * w - 1, w - 1], [0, 0], [0, 0]))
        }
    }
}

pub(crate) fn upsample(cx: &mut Lowerer<'_>, n: &Node, f: usize, mode: UpsampleMode) -> Result<()> {
    let x = input0(cx, n)?;
    let [b, h, w, c] = nhwc(n, &x)?;
    let (scale, offset, border) = resize_params(n, f, mode, [h, w])?;
    let layer = cx.layer.clone();
    let s = cx.b.add_const_shape(&format!("{layer}_scale"), &scale);
    let o = cx.b.add_const_shape(&format!("{layer}_offset"), &offset);
    let bd = cx.b.add_const_shape(&format!("{layer}_border"), &border);
    let shape = vec![b, h * f, w * f, c];
    let rmode = match mode {
        UpsampleMode::Nearest => ResizeMode::Nearest,
        UpsampleMode::Bilinear { .. } => ResizeMode::Bilinear,
    };
    let op = Op::Resize { mode: rmode };
    if !cx.is_int() {
        let name = cx.op(op, &[&x.name, &s, &o, &bd], DType::Fp32, &shape);
        cx.define(&n.outputs[0], Value { name, shape, hwc_of: None });
        return Ok(());
    }
    let (qi, qo) = (cx.act_q(&n.inputs[0])?, cx.act_q(&n.outputs[0])?);
    if rmode == ResizeMode::Nearest {
        let name = cx.op(op, &[&x.name, &s, &o, &bd], DType::Int8, &shape);
        let v = requant(cx, Value { name, shape, hwc_of: None }, qi, qo)?;
        cx.define(&n.outputs[0], v);
        return Ok(());
    }
    let acc = cx.op(op, &[&x.name, &s, &o, &bd], DType::Int32, &shape);
    let factor = scale[0] * scale[2];
    let name = if qi == qo {
        // Shared qparams (the quantizer's default): the zero point rides through the
        // interpolation, so only the x(y_n * x_n) growth is divided out.
        cx.rescale(&acc, DType::Int32, DType::Int8, &shape, &[1.0 / factor as f64], 0, 0)?
    } else {
        let corr = cx.add_const(
            &format!("{layer}_zp_correction"),
            TTensor::i32(
                vec![1, 1, 1, 1],
                vec![i32::try_from(-factor * i64::from(qi.zp)).map_err(|_| {
                    Error::unsupported(&n.name, "upsample", "zero-point correction overflows i32")
                })?],
            )?,
        );
        let centred = cx.op(Op::Add, &[&acc, &corr], DType::Int32, &shape);
        let s = f64::from(qi.scale) / f64::from(qo.scale) / factor as f64;
        cx.rescale(&centred, DType::Int32, DType::Int8, &shape, &[s], 0, qo.zp)?
    };
    cx.define(&n.outputs[0], Value { name, shape, hwc_of: None });
    Ok(())
}
