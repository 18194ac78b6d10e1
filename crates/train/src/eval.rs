//! Evaluation: PSNR as the learning path computes it (mean over batches of
//! 10·log10(1/MSE)) next to the bilinear-only baseline, or top-1 accuracy.

use candle_core::{D, DType, Tensor};
use serde::{Deserialize, Serialize};
use vgforge_graph::{Graph, Task};

use crate::data::{Batch, Batches, Dataset, ImageSet, Target};
use crate::model::{ForwardHooks, Model, NoHooks};
use crate::{Error, Result};

/// Held-out metrics of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean loss over batches (MSE or cross-entropy).
    pub loss: f64,
    /// Upscalers: mean over batches of 10·log10(1/MSE), in dB.
    pub psnr_db: Option<f64>,
    /// Upscalers: the same for plain bilinear upsampling of the input.
    pub bilinear_psnr_db: Option<f64>,
    /// Classifiers: fraction of top-1 hits.
    pub accuracy: Option<f64>,
    pub samples: usize,
    pub batches: usize,
}

/// Options for [`evaluate_set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    pub batch_size: usize,
    /// Stop after this many batches (the learning path uses the first 50).
    pub max_batches: Option<usize>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions { batch_size: 64, max_batches: None }
    }
}

/// Loss of a model output against a batch target.
pub fn loss(out: &Tensor, target: &Target) -> Result<Tensor> {
    Ok(match target {
        Target::Image(t) => out.sub(&t.to_dtype(out.dtype())?)?.sqr()?.mean_all()?,
        Target::Labels(l) => candle_nn::loss::cross_entropy(out, l)?,
    })
}

pub(crate) fn psnr(mse: f64) -> f64 {
    10.0 * (1.0 / mse).log10()
}

/// Evaluates a graph with trained weights on the test split.
pub fn evaluate(graph: &Graph, data: &Dataset) -> Result<Metrics> {
    let model = Model::from_graph(graph)?;
    evaluate_set(&model, &data.test, EvalOptions::default(), &mut NoHooks)
}

/// Evaluates `model` (inference mode) on `set`, in file order. The last
/// partial batch is kept so small sets are fully used.
pub fn evaluate_set(
    model: &Model,
    set: &ImageSet,
    opts: EvalOptions,
    hooks: &mut dyn ForwardHooks,
) -> Result<Metrics> {
    let task = model.graph().task;
    let batches = Batches::new(set, task, opts.batch_size, false, None)?;
    let limit = opts.max_batches.unwrap_or(usize::MAX);
    let (mut loss_sum, mut psnr_sum, mut base_sum) = (0.0, 0.0, 0.0);
    let (mut hits, mut samples, mut count) = (0usize, 0usize, 0usize);
    for batch in batches.take(limit) {
        let Batch { input, target } = batch?;
        let out = model.forward_with(&input, false, hooks)?;
        let l = loss(&out, &target)?.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        loss_sum += l;
        samples += input.dim(0)?;
        count += 1;
        match (&target, task) {
            (Target::Image(t), Task::Upscale { scale }) => {
                psnr_sum += psnr(l);
                let (_, _, h, w) = input.dims4()?;
                let base = input.upsample_bilinear2d(h * scale, w * scale, false)?;
                let mse =
                    base.sub(t)?.sqr()?.mean_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?;
                base_sum += psnr(mse);
            }
            (Target::Labels(labels), Task::Classify { .. }) => {
                let pred = out.argmax(D::Minus1)?;
                hits +=
                    pred.eq(labels)?.to_dtype(DType::U32)?.sum_all()?.to_scalar::<u32>()? as usize;
            }
            _ => return Err(Error::Data("batch target does not match the model task".into())),
        }
    }
    if count == 0 {
        return Err(Error::Data("the evaluation split is empty".into()));
    }
    let n = count as f64;
    let upscale = matches!(task, Task::Upscale { .. });
    Ok(Metrics {
        loss: loss_sum / n,
        psnr_db: upscale.then_some(psnr_sum / n),
        bilinear_psnr_db: upscale.then_some(base_sum / n),
        accuracy: (!upscale).then_some(hits as f64 / samples as f64),
        samples,
        batches: count,
    })
}
