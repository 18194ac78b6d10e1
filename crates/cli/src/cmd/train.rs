//! `vgforge train`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use vgforge_graph::spec::ModelSpec;
use vgforge_train::{OptimizerConfig, TrainConfig};

use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    /// A built-in model (upscaler, classifier) or a spec file.
    #[arg(long, default_value = "upscaler")]
    model: String,
    #[command(flatten)]
    data: DataArgs,
    /// Passes over the training split (the learning path trains for 1).
    #[arg(long, default_value_t = 1)]
    epochs: u64,
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// adamw (lr 1e-3, wd 0.01) or sgd (momentum 0.9).
    #[arg(long, default_value = "adamw")]
    optimizer: String,
    /// Learning rate; the optimizer's default when absent.
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop after this many optimizer steps.
    #[arg(long)]
    max_steps: Option<u64>,
    /// Write a checkpoint every N steps (always at the end).
    #[arg(long)]
    checkpoint_every: Option<u64>,
    /// Continue from a checkpoint folder (OUT/checkpoint).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Output folder: fp32.graph, metrics.json, loss.png, samples.png.
    #[arg(long, default_value = "out/train")]
    out: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let spec = ModelSpec::resolve(&a.model)?;
    let data = a.data.load()?;
    let mut optimizer = match a.optimizer.as_str() {
        "adamw" => OptimizerConfig::adamw(),
        "sgd" => {
            OptimizerConfig::Sgd { lr: 0.05, momentum: 0.9, weight_decay: 5e-4, nesterov: false }
        }
        other => anyhow::bail!("--optimizer {other}: expected adamw or sgd"),
    };
    if let Some(lr) = a.lr {
        optimizer = optimizer.with_lr(lr);
    }
    let cfg = TrainConfig {
        epochs: a.epochs,
        batch_size: a.batch,
        optimizer,
        seed: a.seed,
        max_steps: a.max_steps,
        checkpoint_every: a.checkpoint_every,
        resume: a.resume,
        ..TrainConfig::default()
    };
    let graph = vgforge_train::graph_for(&spec, &data)?;
    let report = vgforge_train::train(&graph, &data, &cfg, &a.out)
        .with_context(|| format!("training {}", spec.name))?;
    let e = &report.eval;
    match (e.psnr_db, e.bilinear_psnr_db, e.accuracy) {
        (Some(p), Some(b), _) => println!(
            "{}: fp32 PSNR {p:.2} dB, bilinear baseline {b:.2} dB ({:+.2} dB) on {} held-out images",
            report.model,
            p - b,
            e.samples
        ),
        (_, _, Some(acc)) => println!(
            "{}: fp32 top-1 accuracy {:.2}% on {} test images",
            report.model,
            acc * 100.0,
            e.samples
        ),
        _ => {}
    }
    println!(
        "{} steps in {:.1} s ({:.2} steps/s); wrote {} in {}",
        report.steps,
        report.wall_s,
        report.steps_per_s,
        report.files.join(", "),
        a.out.display()
    );
    Ok(())
}
