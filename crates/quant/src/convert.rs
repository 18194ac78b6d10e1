//! fp32 graph + activation parameters -> int8 graph: int8 activations, per-channel symmetric
//! int8 weights, int32 biases at scale `s_in * s_w[c]`.

use std::collections::BTreeMap;

use vgforge_graph::{DType, Graph, Op, QuantParams, TensorData};

use crate::error::{Error, Result};
use crate::qparams::{ACT_QMAX, ACT_QMIN, EPS, W_QMAX, W_QMIN, quantize, symmetric};
use crate::scheme::QSources;

/// Per-tensor activation parameters `(scale, zero_point)` by observed tensor name.
pub type ActParams = BTreeMap<String, (f32, i32)>;

/// Per-output-channel symmetric scales of a weight (axis 0), as torch's
/// `PerChannelMinMaxObserver` with `per_channel_symmetric` over [-127, 127].
pub fn weight_scales(w: &[f32], out_channels: usize) -> Vec<f32> {
    let per = w.len() / out_channels.max(1);
    (0..out_channels)
        .map(|c| {
            let ch = &w[c * per..(c + 1) * per];
            let lo = ch.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = ch.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            symmetric(lo, hi, W_QMIN, W_QMAX, EPS)
        })
        .collect()
}

/// Per-channel symmetric int8 codes of weight `w` (axis 0 = `out_channels`) and their scales.
pub fn quantize_weights(w: &[f32], out_channels: usize) -> (Vec<i8>, Vec<f32>) {
    let s_w = weight_scales(w, out_channels);
    let per = (w.len() / out_channels.max(1)).max(1);
    let q = w
        .iter()
        .enumerate()
        .map(|(i, &v)| quantize(v, s_w[i / per], 0, W_QMIN, W_QMAX) as i8)
        .collect();
    (q, s_w)
}

/// Int32 bias codes: `round(b / (s_in * s_w[c]))`, saturated to the int32 range.
pub fn quantize_bias(b: &[f32], s_in: f32, s_w: &[f32]) -> (Vec<i32>, Vec<f32>) {
    let scales: Vec<f32> = s_w.iter().map(|&s| s_in * s).collect();
    let q = b
        .iter()
        .zip(&scales)
        .map(|(&v, &s)| {
            let q = f64::from((v * (1.0 / s)).round_ties_even());
            q.clamp(f64::from(i32::MIN + 1), f64::from(i32::MAX)) as i32
        })
        .collect();
    (q, scales)
}

/// Build the int8 graph. `act` must hold parameters for every observed tensor of `fp32`
/// (see [`QSources::observed`]); `fp32` must be free of batch norm.
pub fn convert(fp32: &Graph, act: &ActParams) -> Result<Graph> {
    fp32.validate()?;
    let sources = QSources::new(fp32)?;
    let gerr = |m: String| Error::Graph { graph: fp32.name.clone(), message: m };
    let mut g = fp32.clone();
    let mut act_q: BTreeMap<String, (f32, i32)> = BTreeMap::new();
    for t in sources.tensors() {
        let src = sources.source(t).unwrap_or(t);
        let &(s, z) = act.get(src).ok_or_else(|| Error::Unobserved { tensor: src.to_string() })?;
        if !(s.is_finite() && s > 0.0 && (ACT_QMIN..=ACT_QMAX).contains(&z)) {
            return Err(gerr(format!("tensor '{src}': scale {s} / zero point {z} out of range")));
        }
        act_q.insert(t.to_string(), (s, z));
    }
    for (name, &(s, z)) in &act_q {
        let t = g
            .tensor_mut(name)
            .ok_or_else(|| gerr(format!("activation '{name}' is not declared")))?;
        t.dtype = DType::I8;
        t.quant = Some(QuantParams::per_tensor(s, z, ACT_QMIN, ACT_QMAX));
    }
    for n in &fp32.nodes {
        if !matches!(n.op, Op::Conv2d { .. } | Op::Linear) {
            continue;
        }
        let wname =
            n.inputs.get(1).ok_or_else(|| gerr(format!("layer '{}' has no weight", n.name)))?;
        let wt =
            fp32.tensor(wname).ok_or_else(|| gerr(format!("weight '{wname}' is not declared")))?;
        let w = wt
            .data
            .as_ref()
            .and_then(TensorData::as_f32)
            .ok_or_else(|| gerr(format!("weight '{wname}' has no f32 data")))?;
        let oc = *wt.shape.first().ok_or_else(|| gerr(format!("weight '{wname}' is a scalar")))?;
        let (qw, s_w) = quantize_weights(w, oc);
        let t = g.tensor_mut(wname).ok_or_else(|| gerr(format!("weight '{wname}' vanished")))?;
        t.dtype = DType::I8;
        t.data = Some(TensorData::I8(qw));
        t.quant = Some(QuantParams {
            scale: s_w.clone(),
            zero_point: vec![0; oc],
            axis: Some(0),
            qmin: W_QMIN,
            qmax: W_QMAX,
        });
        if let Some(bname) = n.inputs.get(2) {
            let bt = fp32
                .tensor(bname)
                .ok_or_else(|| gerr(format!("bias '{bname}' is not declared")))?;
            let b = bt
                .data
                .as_ref()
                .and_then(TensorData::as_f32)
                .ok_or_else(|| gerr(format!("bias '{bname}' has no f32 data")))?;
            if b.len() != oc {
                return Err(gerr(format!(
                    "bias '{bname}' has {} values for {oc} channels",
                    b.len()
                )));
            }
            let s_in = act_q
                .get(&n.inputs[0])
                .map(|q| q.0)
                .ok_or_else(|| Error::Unobserved { tensor: n.inputs[0].clone() })?;
            let (qb, sb) = quantize_bias(b, s_in, &s_w);
            let t = g.tensor_mut(bname).ok_or_else(|| gerr(format!("bias '{bname}' vanished")))?;
            t.dtype = DType::I32;
            t.data = Some(TensorData::I32(qb));
            t.quant = Some(QuantParams {
                scale: sb,
                zero_point: vec![0; oc],
                axis: Some(0),
                qmin: i32::MIN + 1,
                qmax: i32::MAX,
            });
        }
    }
    g.metadata.insert(
        "quant.scheme".into(),
        "int8 per-channel symmetric weights, per-tensor affine activations, int32 bias".into(),
    );
    g.validate()?;
    Ok(g)
}

/// The fp32 graph a q/dq simulation runs: weights and biases of `int8` dequantized, every
/// tensor back to f32 (activation parameters stay, for the fake-quant hooks).
pub fn dequantize_graph(int8: &Graph) -> Result<Graph> {
    int8.validate()?;
    let mut g = int8.clone();
    for t in &mut g.tensors {
        let codes: Option<Vec<i64>> = match &t.data {
            Some(TensorData::I8(v)) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            Some(TensorData::I32(v)) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            _ => None,
        };
        if let Some(codes) = codes {
            let q = t.quant.as_ref().ok_or_else(|| Error::Graph {
                graph: int8.name.clone(),
                message: format!(
                    "constant '{}' is integer but has no quantization parameters",
                    t.name
                ),
            })?;
            let channels = q.scale.len().max(1);
            let per = (codes.len() / channels).max(1);
            let vals = codes
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let c = (i / per).min(channels - 1);
                    (x - i64::from(q.zero_point[c])) as f32 * q.scale[c]
                })
                .collect();
            t.data = Some(TensorData::F32(vals));
            t.quant = None;
        }
        t.dtype = DType::F32;
    }
    Ok(g)
}
