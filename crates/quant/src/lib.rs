//! Int8 quantization of vgforge graphs, the way ExecuTorch's Arm backend does it
//! (`TOSAQuantizer` + `get_symmetric_quantization_config`), and integer-exact evaluation.
//!
//! * Weights: int8 `[-127, 127]`, per output channel, symmetric. Activations: int8
//!   `[-128, 127]`, per tensor, affine. Bias: int32 at scale `s_in * s_w[c]`.
//! * ReLU folds into the producing layer's output range; upsample, pooling and flatten share
//!   their input's parameters ([`scheme`]). Batch norm is folded into its convolution first.
//! * Observers ([`observer`]): min-max, moving-average min-max, torch's histogram observer,
//!   percentile; per layer.
//! * [`quantize`] runs PTQ (calibration) or QAT (fake-quant fine-tuning with a straight-through
//!   estimator) and returns the int8 [`vgforge_graph::Graph`].
//! * PTQ additions ExecuTorch lacks, on by default and recorded in the graph: cross-layer
//!   equalization ([`equalize`]) and bias correction ([`biascorr`]).
//!
//! Integer-exact evaluation and the per-layer report live in `vgforge-eval`, after `lower`.

pub mod biascorr;
pub mod bnfold;
pub mod config;
pub mod convert;
pub mod equalize;
mod error;
pub mod fakequant;
pub mod hooks;
pub mod observer;
pub mod ptq;
pub mod qat;
pub mod qparams;
pub mod scheme;

use serde::{Deserialize, Serialize};
use vgforge_graph::Graph;
use vgforge_train::Dataset;

pub use config::{Method, QatConfig, QuantConfig};
pub use convert::{ActParams, convert};
pub use error::{Error, Result};
pub use observer::{Observer, ObserverKind};

/// What [`quantize`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantReport {
    pub method: Method,
    /// Observed tensor -> the observer used.
    pub observers: std::collections::BTreeMap<String, ObserverKind>,
    /// Observed tensor -> `(scale, zero_point)`.
    pub act_params: ActParams,
    /// Calibration samples actually used (PTQ).
    pub calib_samples: usize,
    /// Calibration wall time (PTQ).
    pub calib_seconds: f64,
    /// Fine-tuning summary (QAT).
    pub qat: Option<qat::QatSummary>,
}

/// Quantize a trained fp32 graph with `data`'s training split.
pub fn quantize(fp32: &Graph, data: &Dataset, cfg: &QuantConfig) -> Result<(Graph, QuantReport)> {
    cfg.check()?;
    fp32.validate()?;
    let mut folded = bnfold::fold_batchnorm(fp32)?;
    let sources = scheme::QSources::new(&folded)?;
    let observers = sources
        .observed()
        .into_iter()
        .map(|t| {
            let k = cfg.observer_for(&t);
            (t, k)
        })
        .collect();
    let mut equalized = Vec::new();
    let (trained, act_params, calib_samples, calib_seconds, qat) = match cfg.method {
        Method::Ptq => {
            if cfg.equalize {
                let (g, pairs) = ptq::equalize(&folded, &data.train, cfg)?;
                folded = g;
                equalized = pairs;
            }
            let c = ptq::calibrate_stats(&folded, &data.train, cfg)?;
            let g = if cfg.bias_correction {
                biascorr::correct_biases(&folded, &c.means)?.0
            } else {
                folded
            };
            (g, c.params, cfg.calib.min(data.train.len()), c.secs, None)
        }
        Method::Qat => {
            let (g, mut p, s) = qat::fine_tune(fp32, data, cfg)?;
            // Parameters observed after a batch norm belong to its convolution once folded.
            for bn in
                fp32.nodes.iter().filter(|n| matches!(n.op, vgforge_graph::Op::BatchNorm { .. }))
            {
                if let Some(v) = p.get(&bn.outputs[0]).copied() {
                    p.insert(bn.inputs[0].clone(), v);
                }
            }
            (bnfold::fold_batchnorm(&g)?, p, 0, 0.0, Some(s))
        }
    };
    let mut int8 = convert(&trained, &act_params)?;
    int8.metadata.insert("quant.method".into(), format!("{:?}", cfg.method).to_lowercase());
    if cfg.method == Method::Ptq {
        int8.metadata.insert("quant.calib_samples".into(), calib_samples.to_string());
        int8.metadata.insert("quant.bias_correction".into(), cfg.bias_correction.to_string());
        int8.metadata.insert("quant.equalize".into(), cfg.equalize.to_string());
        if !equalized.is_empty() {
            int8.metadata.insert(equalize::METADATA_KEY.into(), equalize::to_metadata(&equalized));
        }
    }
    let report = QuantReport {
        method: cfg.method,
        observers,
        act_params,
        calib_samples,
        calib_seconds,
        qat,
    };
    Ok((int8, report))
}
