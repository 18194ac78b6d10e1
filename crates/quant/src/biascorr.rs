//! Bias correction (Nagel et al., "Data-Free Quantization", 2019): rounding a layer's
//! weights to int8 shifts the mean of its output by `(W_q - W) · E[x]`. Subtracting that
//! shift from the bias before it is quantized removes the systematic part of the weight
//! error. The expectation comes from the per-channel input means measured during
//! calibration; taps that fall on zero padding see a proportionally smaller mean.
//!
//! ExecuTorch does not do this; `QuantConfig::bias_correction = false` reproduces its
//! int8 model exactly.

use std::collections::BTreeMap;

use vgforge_graph::{Graph, Op, TensorData};

use crate::convert::quantize_weights;
use crate::error::{Error, Result};

/// Fraction of the `out` output positions (along one axis) whose tap `t` reads inside an
/// input of length `len` rather than zero padding.
fn inside_fraction(t: usize, out: usize, stride: usize, pad: usize, dil: usize, len: usize) -> f32 {
    let inside = (0..out)
        .filter(|&o| (o * stride + t * dil).checked_sub(pad).is_some_and(|i| i < len))
        .count();
    inside as f32 / out.max(1) as f32
}

/// `fp32` with every convolution's and linear layer's bias shifted by `-(W_q - W) · E[x]`,
/// `means` holding the per-channel input means by tensor name. Returns the graph and the
/// largest absolute shift per layer.
pub fn correct_biases(
    fp32: &Graph,
    means: &BTreeMap<String, Vec<f32>>,
) -> Result<(Graph, BTreeMap<String, f32>)> {
    let gerr = |m: String| Error::Graph { graph: fp32.name.clone(), message: m };
    let mut g = fp32.clone();
    let mut shifts = BTreeMap::new();
    for n in &fp32.nodes {
        let (Some(x), Some(wname), Some(bname)) =
            (n.inputs.first(), n.inputs.get(1), n.inputs.get(2))
        else {
            continue;
        };
        let Some(mu) = means.get(x) else { continue };
        let wt =
            fp32.tensor(wname).ok_or_else(|| gerr(format!("weight '{wname}' is not declared")))?;
        let w = wt
            .data
            .as_ref()
            .and_then(TensorData::as_f32)
            .ok_or_else(|| gerr(format!("weight '{wname}' has no f32 data")))?;
        let xs = fp32.tensor(x).map(|t| t.shape.clone()).unwrap_or_default();
        let ys = n.outputs.first().and_then(|o| fp32.tensor(o)).map(|t| t.shape.clone());
        // Per weight element: the input channel it multiplies and the share of positions
        // where it sees data rather than padding.
        let (oc, cg, taps, weight_of): (usize, usize, usize, Vec<f32>) = match &n.op {
            Op::Conv2d { stride, padding, dilation, groups, .. } => {
                let [oc, cg, kh, kw] = wt.shape[..] else {
                    return Err(gerr(format!("weight '{wname}' is not [O, I/g, kh, kw]")));
                };
                let (Some([_, _, ih, iw]), Some([_, _, oh, ow])) = (
                    xs.get(..4).map(|s| [s[0], s[1], s[2], s[3]]),
                    ys.as_deref().and_then(|s| s.get(..4)).map(|s| [s[0], s[1], s[2], s[3]]),
                ) else {
                    continue;
                };
                if *groups == 0 || oc % groups != 0 {
                    continue;
                }
                let mut f = Vec::with_capacity(kh * kw);
                for ky in 0..kh {
                    let fy = inside_fraction(ky, oh, stride[0], padding[0], dilation[0], ih);
                    for kx in 0..kw {
                        f.push(
                            fy * inside_fraction(kx, ow, stride[1], padding[1], dilation[1], iw),
                        );
                    }
                }
                (oc, cg, kh * kw, f)
            }
            Op::Linear => {
                let [oc, ic] = wt.shape[..] else {
                    return Err(gerr(format!("weight '{wname}' is not [O, I]")));
                };
                (oc, ic, 1, vec![1.0])
            }
            _ => continue,
        };
        let groups = match &n.op {
            Op::Conv2d { groups, .. } => *groups,
            _ => 1,
        };
        if mu.len() != cg * groups || w.len() != oc * cg * taps {
            return Err(gerr(format!(
                "layer '{}': {} input means for weight {:?}",
                n.name,
                mu.len(),
                wt.shape
            )));
        }
        // The same int8 weights `convert` will produce.
        let (qw, s_w) = quantize_weights(w, oc);
        let per = cg * taps;
        let og = oc / groups;
        let mut delta = vec![0f64; oc];
        for (o, d) in delta.iter_mut().enumerate() {
            let c0 = (o / og) * cg;
            for c in 0..cg {
                for (t, &frac) in weight_of.iter().enumerate() {
                    let i = o * per + c * taps + t;
                    let wq = f32::from(qw[i]) * s_w[o];
                    *d += f64::from((wq - w[i]) * mu[c0 + c] * frac);
                }
            }
        }
        let bt =
            g.tensor_mut(bname).ok_or_else(|| gerr(format!("bias '{bname}' is not declared")))?;
        let Some(TensorData::F32(b)) = bt.data.as_mut() else {
            return Err(gerr(format!("bias '{bname}' has no f32 data")));
        };
        if b.len() != oc {
            return Err(gerr(format!("bias '{bname}' has {} values for {oc} channels", b.len())));
        }
        let mut worst = 0f32;
        for (v, d) in b.iter_mut().zip(&delta) {
            *v -= *d as f32;
            worst = worst.max(d.abs() as f32);
        }
        tracing::debug!(layer = %n.name, max_shift = worst, "bias corrected");
        shifts.insert(n.name.clone(), worst);
    }
    Ok((g, shifts))
}
