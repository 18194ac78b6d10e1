//! Quantization-aware fine-tuning: fake quantization with a straight-through estimator in the
//! forward pass, AdamW, observers that update and then freeze on a schedule.

use vgforge_graph::Graph;
use vgforge_train::{Batches, Dataset, Model, OptimizerConfig, optimizer_for, train_step};

use crate::config::QuantConfig;
use crate::convert::ActParams;
use crate::error::{Error, Result};
use crate::hooks::FakeQuantHooks;
use crate::scheme::QSources;

/// What fine-tuning did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QatSummary {
    pub steps: usize,
    /// Step at which the observers froze.
    pub frozen_at: usize,
    pub first_loss: f32,
    pub last_loss: f32,
    pub seconds: f64,
}

/// Fine-tune `fp32` and return the trained fp32 graph (batch norms still unfolded, their
/// fold simulated during training) with the frozen activation parameters.
pub fn fine_tune(
    fp32: &Graph,
    data: &Dataset,
    cfg: &QuantConfig,
) -> Result<(Graph, ActParams, QatSummary)> {
    cfg.check()?;
    let q = &cfg.qat;
    let sources = QSources::new(fp32)?;
    let model = Model::from_graph(fp32)?;
    let mut opt = optimizer_for(&model, &OptimizerConfig::adamw().with_lr(q.lr))?;
    let mut hooks = FakeQuantHooks::observing(sources, &|t| cfg.observer_for(t))?;
    for bn in &fp32.nodes {
        let vgforge_graph::Op::BatchNorm { eps, .. } = bn.op else { continue };
        let Some(conv) = fp32.nodes.iter().find(|c| {
            c.outputs.contains(&bn.inputs[0]) && matches!(c.op, vgforge_graph::Op::Conv2d { .. })
        }) else {
            continue;
        };
        let var = |i: usize| model.param(&bn.inputs[i]).map(|p| p.var.clone());
        if let (Some(gamma), Some(rv)) = (var(1), var(4)) {
            hooks.fold_bn(&conv.name, gamma, rv, f64::from(eps));
        }
    }
    let per_epoch = {
        let b = Batches::new(&data.train, fp32.task, q.batch_size, true, None)?;
        q.max_steps_per_epoch.map_or(b.len(), |m| m.min(b.len()))
    };
    let total = per_epoch * q.epochs;
    if total == 0 {
        return Err(Error::Data(format!(
            "the training split ({} images) gives no full batch of {}",
            data.train.len(),
            q.batch_size
        )));
    }
    let freeze_at = ((total as f64) * q.freeze_observers_at).round() as usize;
    let t0 = std::time::Instant::now();
    let (mut step, mut first, mut last) = (0usize, f32::NAN, f32::NAN);
    for epoch in 0..q.epochs {
        let batches =
            Batches::new(&data.train, fp32.task, q.batch_size, true, Some((q.seed, epoch as u64)))?;
        for batch in batches.take(per_epoch) {
            hooks.frozen = step >= freeze_at;
            let loss = train_step(&model, &mut opt, &batch?, &mut hooks)?;
            if step == 0 {
                first = loss;
            }
            last = loss;
            step += 1;
            if step % 50 == 0 {
                tracing::info!(step, total, loss, "qat");
            }
        }
    }
    let params = hooks.params();
    let trained = model.to_graph()?;
    let summary = QatSummary {
        steps: step,
        frozen_at: freeze_at.min(step),
        first_loss: first,
        last_loss: last,
        seconds: t0.elapsed().as_secs_f64(),
    };
    Ok((trained, params, summary))
}
