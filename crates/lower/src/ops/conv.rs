//! CONV2D (+ per-channel RESCALE) and fully connected layers as 1x1 CONV2D.

use vgforge_graph::{Node, TensorData};
use vgforge_tosa::{DType, Op, Tensor as TTensor};

use super::{fit_pad, input0, nhwc};
use crate::ctx::{Lowerer, Value, oihw_to_ohwi};
use crate::error::{Error, Result};

/// Weights (OHWI), bias and the per-channel output scales of one layer.
enum Params {
    Fp { w: Vec<f32>, b: Vec<f32> },
    Int { w: Vec<i8>, b: Vec<i32>, scales: Vec<f64>, in_zp: i32, out_zp: i32 },
}

/// Read the weight (reordered by `order`, which maps an OHWI index to the source index) and the
/// bias of a conv or linear layer, plus the requantisation scales for int8.
fn params(
    cx: &Lowerer<'_>,
    n: &Node,
    oc: usize,
    order: &dyn Fn(&[usize]) -> Vec<usize>,
) -> Result<Params> {
    let wname =
        n.inputs.get(1).ok_or_else(|| cx.gerr(format!("layer '{}' has no weight", n.name)))?;
    let wt = cx.tensor(wname)?;
    let bias = n.inputs.get(2).map(|b| cx.tensor(b)).transpose()?;
    let unsupported = |why: String| Error::unsupported(&n.name, n.op.kind(), why);
    let data = wt.data.as_ref().ok_or_else(|| cx.gerr(format!("weight '{wname}' has no data")))?;
    if !cx.is_int() {
        let w = data.as_f32().ok_or_else(|| cx.gerr(format!("weight '{wname}' is not f32")))?;
        let idx: Vec<usize> = (0..w.len()).collect();
        let w = order(&idx).into_iter().map(|i| w[i]).collect();
        let b = match bias {
            Some(b) => cx.f32_data(&b.name)?.to_vec(),
            None => vec![0.0; oc],
        };
        return Ok(Params::Fp { w, b });
    }
    let TensorData::I8(w) = data else {
        return Err(cx.gerr(format!("weight '{wname}' of an int8 graph must hold i8 data")));
    };
    let wq = wt
        .quant
        .as_ref()
        .ok_or_else(|| cx.gerr(format!("weight '{wname}' has no quantization parameters")))?;
    let s_w: Vec<f32> = match (wq.axis, wq.scale.len()) {
        (Some(0), len) if len == oc => wq.scale.clone(),
        (None, 1) => vec![wq.scale[0]; oc],
        _ => {
            return Err(unsupported(format!(
                "weight '{wname}' must be quantized per output channel (axis 0)"
            )));
        }
    };
    if wq.zero_point.iter().any(|&z| z != 0) {
        return Err(unsupported(format!(
            "weight '{wname}' has a non-zero zero point; TOSA takes one weight zero point, so weights must be symmetric"
        )));
    }
    let idx: Vec<usize> = (0..w.len()).collect();
    let w = order(&idx).into_iter().map(|i| w[i]).collect();
    let b = match bias {
        Some(b) => match &b.data {
            Some(TensorData::I32(v)) => v.clone(),
            _ => {
                return Err(
                    cx.gerr(format!("bias '{}' of an int8 graph must hold i32 data", b.name))
                );
            }
        },
        None => vec![0; oc],
    };
    let q_in = cx.act_q(&n.inputs[0])?;
    let q_out = cx.act_q(&n.outputs[0])?;
    let scales = s_w
        .iter()
        .map(|&s| f64::from(q_in.scale) * f64::from(s) / f64::from(q_out.scale))
        .collect();
    Ok(Params::Int { w, b, scales, in_zp: q_in.zp, out_zp: q_out.zp })
}

/// CONV2D (with an int32 bias) then, for int8, the per-channel RESCALE to the output's qparams.
#[allow(clippy::too_many_arguments)]
fn emit_conv(
    cx: &mut Lowerer<'_>,
    x: &str,
    wshape: [usize; 4],
    p: Params,
    pad: [i32; 4],
    stride: [i32; 2],
    dilation: [i32; 2],
    out_shape: &[usize],
) -> Result<String> {
    let layer = cx.layer.clone();
    let oc = wshape[0];
    match p {
        Params::Fp { w, b } => {
            let w = cx.add_const(&format!("{layer}_weight"), TTensor::f32(wshape.to_vec(), w)?);
            let b = cx.add_const(&format!("{layer}_bias"), TTensor::f32(vec![oc], b)?);
            let izp = cx.zp(DType::Fp32, 0);
            let wzp = cx.zp(DType::Fp32, 0);
            let op =
                Op::Conv2d { pad, stride, dilation, local_bound: false, acc_type: DType::Fp32 };
            Ok(cx.op(op, &[x, &w, &b, &izp, &wzp], DType::Fp32, out_shape))
        }
        Params::Int { w, b, scales, in_zp, out_zp } => {
            let w = cx.add_const(&format!("{layer}_weight"), TTensor::i8(wshape.to_vec(), w)?);
            let b = cx.add_const(&format!("{layer}_bias"), TTensor::i32(vec![oc], b)?);
            let izp = cx.zp(DType::Int8, in_zp);
            let wzp = cx.zp(DType::Int8, 0);
            let op =
                Op::Conv2d { pad, stride, dilation, local_bound: false, acc_type: DType::Int32 };
            let acc = cx.op(op, &[x, &w, &b, &izp, &wzp], DType::Int32, out_shape);
            cx.rescale(&acc, DType::Int32, DType::Int8, out_shape, &scales, 0, out_zp)
        }
    }
}

pub(crate) fn conv2d(
    cx: &mut Lowerer<'_>,
    n: &Node,
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
) -> Result<()> {
    let x = input0(cx, n)?;
    let [batch, h, w, c] = nhwc(n, &x)?;
    let wt = cx.tensor(&n.inputs[1])?;
    let [oc, ic, kh, kw]: [usize; 4] = wt.shape.as_slice().try_into().map_err(|_| {
        Error::unsupported(&n.name, "conv2d", format!("weight shape {:?} is not OIHW", wt.shape))
    })?;
    if ic != c {
        return Err(Error::unsupported(
            &n.name,
            "conv2d",
            format!("weight has {ic} input channels, input has {c}"),
        ));
    }
    let out = cx.tensor(&n.outputs[0])?;
    let [_, _, oh, ow]: [usize; 4] =
        out.shape.as_slice().try_into().map_err(|_| {
            cx.gerr(format!("output '{}' of layer '{}' is not NCHW", out.name, n.name))
        })?;
    let (pt, pb) = fit_pad(n, h, kh, stride[0], dilation[0], padding[0], oh)?;
    let (pl, pr) = fit_pad(n, w, kw, stride[1], dilation[1], padding[1], ow)?;
    let order = |idx: &[usize]| oihw_to_ohwi(idx, oc, ic, kh, kw);
    let p = params(cx, n, oc, &order)?;
    let out_shape = [batch, oh, ow, oc];
    let name = emit_conv(
        cx,
        &x.name,
        [oc, kh, kw, ic],
        p,
        [pt, pb, pl, pr],
        [stride[0] as i32, stride[1] as i32],
        [dilation[0] as i32, dilation[1] as i32],
        &out_shape,
    )?;
    cx.define(&n.outputs[0], Value { name, shape: out_shape.to_vec(), hwc_of: None });
    Ok(())
}

/// RESHAPE `[N, IC] -> [N, 1, 1, IC]`, 1x1 CONV2D, (RESCALE), RESHAPE `[N, OC]`: ExecuTorch's
/// `DecomposeLinearPass`, which keeps per-channel weight scales.
pub(crate) fn linear(cx: &mut Lowerer<'_>, n: &Node) -> Result<()> {
    let x = input0(cx, n)?;
    let [batch, ic]: [usize; 2] = x.shape.as_slice().try_into().map_err(|_| {
        Error::unsupported(&n.name, "linear", format!("expects [N, features], got {:?}", x.shape))
    })?;
    let wt = cx.tensor(&n.inputs[1])?;
    let [oc, wic]: [usize; 2] = wt.shape.as_slice().try_into().map_err(|_| {
        Error::unsupported(
            &n.name,
            "linear",
            format!("weight shape {:?} is not [out, in]", wt.shape),
        )
    })?;
    if wic != ic {
        return Err(Error::unsupported(
            &n.name,
            "linear",
            format!("weight takes {wic} features, input has {ic}"),
        ));
    }
    // A flattened NHWC map lists features as HWC; the weight columns follow PyTorch's CHW.
    let hwc = x.hwc_of;
    let order = move |idx: &[usize]| -> Vec<usize> {
        let mut out = Vec::with_capacity(idx.len());
        for o in 0..oc {
            match hwc {
                Some([c, h, w]) => {
                    for y in 0..h {
                        for xx in 0..w {
                            for ch in 0..c {
                                out.push(idx[o * ic + (ch * h + y) * w + xx]);
                            }
                        }
                    }
                }
                None => out.extend_from_slice(&idx[o * ic..(o + 1) * ic]),
            }
        }
        out
    };
    let p = params(cx, n, oc, &order)?;
    let dt = cx.act_dtype();
    let x4 = cx.reshape(&x.name, dt, &[batch, 1, 1, ic]);
    let y4 = emit_conv(cx, &x4, [oc, 1, 1, ic], p, [0; 4], [1, 1], [1, 1], &[batch, 1, 1, oc])?;
    let name = cx.reshape(&y4, dt, &[batch, oc]);
    cx.define(&n.outputs[0], Value { name, shape: vec![batch, oc], hwc_of: None });
    Ok(())
}
