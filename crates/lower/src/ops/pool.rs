//! MAX_POOL2D, AVG_POOL2D and global average pooling.

use vgforge_graph::Node;
use vgforge_tosa::{DType, NanMode, Op};

use super::{fit_pad, input0, nhwc, requant};
use crate::ctx::{Lowerer, Value};
use crate::error::Result;

fn out_hw(cx: &Lowerer<'_>, n: &Node) -> Result<[usize; 2]> {
    let t = cx.tensor(&n.outputs[0])?;
    match t.shape.as_slice() {
        [_, _, h, w] => Ok([*h, *w]),
        s => Err(cx.gerr(format!("output of layer '{}' has shape {s:?}, expected NCHW", n.name))),
    }
}

pub(crate) fn max_pool(
    cx: &mut Lowerer<'_>,
    n: &Node,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Result<()> {
    let x = input0(cx, n)?;
    let [b, h, w, c] = nhwc(n, &x)?;
    let [oh, ow] = out_hw(cx, n)?;
    let (pt, pb) = fit_pad(n, h, kernel[0], stride[0], 1, padding[0], oh)?;
    let (pl, pr) = fit_pad(n, w, kernel[1], stride[1], 1, padding[1], ow)?;
    let op = Op::MaxPool2d {
        kernel: [kernel[0] as i32, kernel[1] as i32],
        stride: [stride[0] as i32, stride[1] as i32],
        pad: [pt, pb, pl, pr],
        nan_mode: NanMode::Propagate,
    };
    let shape = vec![b, oh, ow, c];
    let name = cx.op(op, &[&x.name], cx.act_dtype(), &shape);
    let mut v = Value { name, shape, hwc_of: None };
    if cx.is_int() {
        // Max is monotone, so the pooled values keep the input's quantization.
        let (qi, qo) = (cx.act_q(&n.inputs[0])?, cx.act_q(&n.outputs[0])?);
        v = requant(cx, v, qi, qo)?;
    }
    cx.define(&n.outputs[0], v);
    Ok(())
}

/// AVG_POOL2D over `kernel` (no padding: the checker rejects padded average pools), then a
/// RESCALE when the output scale differs from the input's.
fn avg(
    cx: &mut Lowerer<'_>,
    n: &Node,
    kernel: [usize; 2],
    stride: [usize; 2],
    out: [usize; 2],
) -> Result<()> {
    let x = input0(cx, n)?;
    let [b, h, w, c] = nhwc(n, &x)?;
    let (pt, pb) = fit_pad(n, h, kernel[0], stride[0], 1, 0, out[0])?;
    let (pl, pr) = fit_pad(n, w, kernel[1], stride[1], 1, 0, out[1])?;
    let shape = vec![b, out[0], out[1], c];
    let op = |acc_type| Op::AvgPool2d {
        kernel: [kernel[0] as i32, kernel[1] as i32],
        stride: [stride[0] as i32, stride[1] as i32],
        pad: [pt, pb, pl, pr],
        acc_type,
    };
    let v = if cx.is_int() {
        let (qi, qo) = (cx.act_q(&n.inputs[0])?, cx.act_q(&n.outputs[0])?);
        let same_scale = qi.scale == qo.scale;
        let izp = cx.zp(DType::Int8, qi.zp);
        let ozp = cx.zp(DType::Int8, if same_scale { qo.zp } else { qi.zp });
        let name = cx.op(op(DType::Int32), &[&x.name, &izp, &ozp], DType::Int8, &shape);
        let v = Value { name, shape: shape.clone(), hwc_of: None };
        if same_scale { v } else { requant(cx, v, qi, qo)? }
    } else {
        let izp = cx.zp(DType::Fp32, 0);
        let ozp = cx.zp(DType::Fp32, 0);
        let name = cx.op(op(DType::Fp32), &[&x.name, &izp, &ozp], DType::Fp32, &shape);
        Value { name, shape: shape.clone(), hwc_of: None }
    };
    let declared = cx.tensor(&n.outputs[0])?.shape.clone();
    let v = if declared.len() == 2 {
        let name = cx.reshape(&v.name, cx.act_dtype(), &[b, c]);
        Value { name, shape: vec![b, c], hwc_of: None }
    } else {
        v
    };
    cx.define(&n.outputs[0], v);
    Ok(())
}

pub(crate) fn avg_pool(
    cx: &mut Lowerer<'_>,
    n: &Node,
    kernel: [usize; 2],
    stride: [usize; 2],
) -> Result<()> {
    let out = out_hw(cx, n)?;
    avg(cx, n, kernel, stride, out)
}

pub(crate) fn global_avg_pool(cx: &mut Lowerer<'_>, n: &Node) -> Result<()> {
    let x = input0(cx, n)?;
    let [_, h, w, _] = nhwc(n, &x)?;
    avg(cx, n, [h, w], [1, 1], [1, 1])
}
