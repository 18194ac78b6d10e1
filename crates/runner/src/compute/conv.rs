//! CONV2D and DEPTHWISE_CONV2D lowering, with the consumer RESCALE (+ CLAMP) fused in, on
//! the register-blocked kernels (`conv_fast.rs`, `depthwise_fast.rs`) where the options ask.

use vgforge_tosa::{DType, Op, Operator, TensorData};

use super::conv_fast::{self, ConvShape, FastConv};
use super::depthwise_fast::{self, DepthwiseShape, FastDepthwise};
use super::lower::{Lowerer, bad_op, numel, unsupported_op};
use super::plan::Storage;
use super::rescale;
use crate::error::Result;
use crate::vk::Kernel;

/// Output channels per invocation of the unpacked `conv2d.comp` variants (its `OCT`).
const OC_TILE: usize = 4;

/// The CONV2D kernel: word-packed int8 loads when every channel run is 4-aligned, with
/// 8 output channels per invocation unless there are only a few.
fn conv_kernel(float: bool, fused: bool, ic: usize, oc: usize) -> (Kernel, usize) {
    let packed = !float && ic.is_multiple_of(4);
    match (float, fused, packed, oc <= 4) {
        (true, _, _, _) => (Kernel::Conv2dF32, OC_TILE),
        (false, false, false, _) => (Kernel::Conv2dI8, OC_TILE),
        (false, true, false, _) => (Kernel::Conv2dI8Fused, OC_TILE),
        (false, false, true, true) => (Kernel::Conv2dI8P4O4, 4),
        (false, false, true, false) => (Kernel::Conv2dI8P4O8, 8),
        (false, true, true, true) => (Kernel::Conv2dI8FusedP4O4, 4),
        (false, true, true, false) => (Kernel::Conv2dI8FusedP4O8, 8),
    }
}

pub(super) struct ConvAttrs {
    pub pad: [i32; 4],
    pub stride: [i32; 2],
    pub dilation: [i32; 2],
    pub acc: DType,
    pub depthwise: bool,
}

fn out_size(
    op: &Operator,
    input: usize,
    pads: i64,
    k: usize,
    dil: i64,
    stride: i64,
    axis: &str,
) -> Result<usize> {
    let span = (input as i64) - 1 + pads - (k as i64 - 1) * dil;
    if span < 0 || span % stride != 0 {
        return Err(bad_op(
            op,
            format!(
                "{axis}: (in - 1 + pads - (k - 1) * dilation) = {span} is not a multiple of stride {stride}"
            ),
        ));
    }
    Ok((span / stride + 1) as usize)
}

pub(super) fn conv(l: &mut Lowerer<'_>, idx: usize, op: &Operator, a: ConvAttrs) -> Result<()> {
    let g = l.g();
    let x_name = l.h_input(op, 0)?;
    let w_name = l.h_input(op, 1)?;
    let b_name = l.h_input(op, 2)?;
    let out_name = op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?;
    let xd = l.h_decl(op, x_name)?;
    let wd = l.h_decl(op, w_name)?;
    let bd = l.h_decl(op, b_name)?;
    let od = l.h_decl(op, out_name)?;
    let float = match (xd.dtype, wd.dtype, od.dtype, a.acc) {
        (DType::Int8, DType::Int8, DType::Int32, DType::Int32) => false,
        (DType::Fp32, DType::Fp32, DType::Fp32, DType::Fp32) => true,
        (x, w, o, acc) => {
            return Err(unsupported_op(op, format!("input {x} x weight {w} -> {o} (acc {acc})")));
        }
    };
    if bd.dtype != od.dtype {
        return Err(bad_op(op, format!("bias type {} differs from output {}", bd.dtype, od.dtype)));
    }
    let [n, ih, iw, ic] = xd.shape[..] else {
        return Err(bad_op(op, format!("input shape {:?} is not NHWC", xd.shape)));
    };
    let [on, oh, ow, oc] = od.shape[..] else {
        return Err(bad_op(op, format!("output shape {:?} is not NHWC", od.shape)));
    };
    let (kh, kw) = if a.depthwise {
        let [kh, kw, c, m] = wd.shape[..] else {
            return Err(bad_op(op, format!("weight shape {:?} is not HWCM", wd.shape)));
        };
        if c != ic || c * m != oc {
            return Err(bad_op(
                op,
                format!(
                    "weight {:?} does not fit input channels {ic} / output channels {oc}",
                    wd.shape
                ),
            ));
        }
        (kh, kw)
    } else {
        let [woc, kh, kw, wic] = wd.shape[..] else {
            return Err(bad_op(op, format!("weight shape {:?} is not OHWI", wd.shape)));
        };
        if woc != oc || wic != ic {
            return Err(bad_op(
                op,
                format!(
                    "weight {:?} does not fit input channels {ic} / output channels {oc}",
                    wd.shape
                ),
            ));
        }
        (kh, kw)
    };
    if on != n {
        return Err(bad_op(op, format!("output batch {on} differs from input batch {n}")));
    }
    if a.pad.iter().any(|&p| p < 0)
        || a.stride.iter().any(|&s| s < 1)
        || a.dilation.iter().any(|&d| d < 1)
    {
        return Err(bad_op(
            op,
            format!("pad {:?} stride {:?} dilation {:?} out of range", a.pad, a.stride, a.dilation),
        ));
    }
    let [pt, pb, pl, pr] = a.pad.map(i64::from);
    let [sy, sx] = a.stride.map(i64::from);
    let [dy, dx] = a.dilation.map(i64::from);
    let eoh = out_size(op, ih, pt + pb, kh, dy, sy, "height")?;
    let eow = out_size(op, iw, pl + pr, kw, dx, sx, "width")?;
    if (eoh, eow) != (oh, ow) {
        return Err(bad_op(op, format!("output {oh}x{ow}, expected {eoh}x{eow}")));
    }
    let bias_len = numel(&bd.shape)?;
    if bias_len != oc && bias_len != 1 {
        return Err(bad_op(op, format!("bias has {bias_len} values for {oc} output channels")));
    }
    let (in_zp, w_zp) = if float { (0, 0) } else { (l.h_scalar(op, 3)?, l.h_scalar(op, 4)?) };

    // Fuse the RESCALE that alone consumes the accumulator (the usual quantised pattern).
    let mut fused = None;
    if !float
        && let Some(j) = l.h_sole_consumer(out_name, idx)
        && let r = &g.operators[j]
        && matches!(r.op, Op::Rescale { input_unsigned: false, .. })
        && r.inputs.first() == Some(out_name)
        && let Some(rout) = r.outputs.first()
        && l.h_decl(r, rout)?.dtype == DType::Int8
        && l.h_decl(r, rout)?.shape == od.shape
    {
        let mut p = rescale::params(l, r, oc)?;
        let name = rescale::fold_clamp(l, j, r, &mut p)?;
        l.h_skip(j);
        fused = Some((r, p, name));
    }

    let x = l.h_batched(op, x_name)?;
    let params = [ih, iw, ic, oh, ow, oc, kh, kw].map(|v| v as i64);
    let mut push: Vec<i64> = params.to_vec();
    push.extend([sy, sx, pt, pl, dy, dx, in_zp, w_zp, bias_len as i64]);
    let kind = if a.depthwise { "depthwise" } else { "conv" };
    // Output slot, the RESCALE operands (dummies when unfused) and the fused push words.
    let (y, mult, shift, label) = match &fused {
        Some((r, p, name)) => {
            let (y, _) = l.h_out(r, Storage::I8)?;
            if *name != r.outputs[0] {
                l.h_alias(name, y);
            }
            push.extend([
                p.out_zp,
                i64::from(p.per_channel),
                i64::from(p.double_round),
                p.lo,
                p.hi,
                p.in_zp,
            ]);
            let label = format!("{} + {}", op.describe(), r.describe());
            tracing::debug!(kind, %label, "fused");
            (y, p.mult, p.shift, label)
        }
        None => {
            let storage = if float { Storage::F32 } else { Storage::I32 };
            let (y, _) = l.h_out(op, storage)?;
            let d = l.h_dummy();
            push.extend([0, 0, 0, 0, 0, 0]);
            (y, d, d, op.describe())
        }
    };
    // An input stored with padded channels (see `padded_input_channels`) runs as a layer
    // with that many input channels whose extra weights are w_zp, so they add 0.
    let padded = l.h_padded(x);
    let blocked = !float && l.h_options().blocked_conv;
    let rescale = match &fused {
        Some((r, _, _)) if blocked => Some((l.h_ints(r, 1)?, l.h_ints(r, 2)?)),
        _ => None,
    };
    let rs = rescale.as_ref().map(|(m, s)| (m.as_slice(), s.as_slice()));
    if blocked && a.depthwise && padded.is_none() {
        // HWCM was checked above: oc = ic * M.
        let dims = [kh, kw, ic, oc.checked_div(ic).unwrap_or(0), sy as usize, dy as usize];
        if let Some(f) = depthwise_plan(l, op, [w_name, b_name], dims, [in_zp, w_zp], rs)? {
            let what = op.describe();
            let elems = f.weights.len();
            let wf = l.h_const(&format!("{what} (tiled weights)"), Storage::I8, elems, f.weights);
            let cf =
                l.h_const(&format!("{what} (channel parameters)"), Storage::I32, oc * 4, f.chan);
            let threads = ow * oh.div_ceil(depthwise_fast::ROWS);
            l.h_push(f.kernel, vec![x, wf, cf, y], push, threads, n, label);
            l.h_set_groups_y(oc.div_ceil(depthwise_fast::TILE));
            return Ok(());
        }
    }
    if blocked && !a.depthwise {
        let dims = [kh, kw, ic, oc];
        if let Some(f) = fast_plan(l, op, [w_name, b_name], dims, [in_zp, w_zp], rs, padded)? {
            if let Some(cp) = padded {
                push[2] = cp as i64;
            }
            let what = op.describe();
            let elems = f.weights.len();
            let wf = l.h_const(&format!("{what} (blocked weights)"), Storage::I8, elems, f.weights);
            let cf =
                l.h_const(&format!("{what} (channel parameters)"), Storage::I32, oc * 4, f.chan);
            push.push(f.taps_per_flush as i64);
            let threads = ow * oh.div_ceil(f.rows);
            l.h_push(f.kernel, vec![x, wf, cf, y], push, threads, n, label);
            l.h_set_groups_y(oc.div_ceil(f.tile));
            return Ok(());
        }
    }
    if padded.is_some() {
        return Err(bad_op(op, "input stored with padded channels but no blocked kernel fits"));
    }
    let w = l.h_slot(op, w_name)?;
    let b = l.h_slot(op, b_name)?;
    let (conv_k, tile) = conv_kernel(float, fused.is_some(), ic, oc);
    let threads = if a.depthwise { oh * ow * oc } else { oh * ow };
    let kernel = match (a.depthwise, float, fused.is_some()) {
        (false, _, _) => conv_k,
        (true, false, true) => Kernel::DepthwiseI8Fused,
        (true, false, false) => Kernel::DepthwiseI8,
        (true, true, _) => Kernel::DepthwiseF32,
    };
    l.h_push(kernel, vec![x, w, b, y, mult, shift], push, threads, n, label);
    if !a.depthwise {
        l.h_set_groups_y(oc.div_ceil(tile));
    }
    Ok(())
}

/// The fast-kernel plan when the weights and bias are int8 / int32 constants, for an
/// input whose pixels hold `padded` channels when given.
fn fast_plan(
    l: &Lowerer<'_>,
    op: &Operator,
    [w_name, b_name]: [&str; 2],
    [kh, kw, ic, oc]: [usize; 4],
    [in_zp, w_zp]: [i64; 2],
    rescale: Option<(&[i64], &[i64])>,
    padded: Option<usize>,
) -> Result<Option<FastConv>> {
    let (Some(TensorData::I8(weights)), Some(TensorData::I32(bias))) =
        (&l.h_decl(op, w_name)?.data, &l.h_decl(op, b_name)?.data)
    else {
        return Ok(None);
    };
    let Some(cp) = padded.filter(|&cp| cp != ic) else {
        let shape = ConvShape { weights, bias, oc, kh, kw, ic, in_zp, w_zp, rescale };
        return Ok(conv_fast::plan(&shape));
    };
    let Some(weights) = conv_fast::pad_channels(weights, ic, cp, w_zp) else {
        return Ok(None);
    };
    let shape = ConvShape { weights: &weights, bias, oc, kh, kw, ic: cp, in_zp, w_zp, rescale };
    Ok(conv_fast::plan(&shape))
}

/// The fast depthwise plan when the weights and bias are int8 / int32 constants.
fn depthwise_plan(
    l: &Lowerer<'_>,
    op: &Operator,
    [w_name, b_name]: [&str; 2],
    [kh, kw, ic, mult, sy, dy]: [usize; 6],
    [in_zp, w_zp]: [i64; 2],
    rescale: Option<(&[i64], &[i64])>,
) -> Result<Option<FastDepthwise>> {
    let (Some(TensorData::I8(weights)), Some(TensorData::I32(bias))) =
        (&l.h_decl(op, w_name)?.data, &l.h_decl(op, b_name)?.data)
    else {
        return Ok(None);
    };
    let shape = DepthwiseShape { weights, bias, kh, kw, ic, mult, sy, dy, in_zp, w_zp, rescale };
    Ok(depthwise_fast::plan(&shape))
}

/// How many channels per pixel the producer of `name` (an int8 NHWC tensor of `channels`
/// channels, produced by operator `producer`) should store so its sole consumer, a CONV2D,
/// reads whole words on the blocked kernel: `channels` rounded up to 4 where that kernel
/// would run with the padded weights, `None` otherwise (the tensor stays dense).
pub(super) fn padded_input_channels(
    l: &Lowerer<'_>,
    name: &str,
    producer: usize,
    channels: usize,
) -> Result<Option<usize>> {
    if !l.h_options().blocked_conv || channels.is_multiple_of(4) {
        return Ok(None);
    }
    let Some(j) = l.h_sole_consumer(name, producer) else { return Ok(None) };
    let op = &l.g().operators[j];
    if !matches!(op.op, Op::Conv2d { .. }) || op.inputs.first().map(String::as_str) != Some(name) {
        return Ok(None);
    }
    let (Some(w_name), Some(b_name)) = (op.inputs.get(1), op.inputs.get(2)) else {
        return Ok(None);
    };
    let wd = l.h_decl(op, w_name)?;
    let [oc, kh, kw, ic] = wd.shape[..] else { return Ok(None) };
    if ic != channels || wd.dtype != DType::Int8 || op.inputs.len() < 5 {
        return Ok(None);
    }
    let w_zp = l.h_scalar(op, 4)?;
    let cp = channels.div_ceil(4) * 4;
    // The same plan the CONV2D lowering will make, so a padded input always finds it.
    Ok(fast_plan(l, op, [w_name, b_name], [kh, kw, ic, oc], [0, w_zp], None, Some(cp))?.map(|_| cp))
}
