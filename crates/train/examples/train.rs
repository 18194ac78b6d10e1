//! Trains a built-in or spec-file model and prints the report summary.
//!
//! cargo run --release -p vgforge-train --example train -- \
//!     [--data DIR] [--model upscaler|classifier|SPEC.json] [--epochs N] \
//!     [--batch N] [--lr F] [--seed N] [--max-steps N] [--eval-batches N] [--out DIR]

use std::path::PathBuf;

use vgforge_graph::spec::ModelSpec;
use vgforge_train::{Dataset, OptimizerConfig, TrainConfig, graph_for, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let (mut data, mut model, mut out) = (None, "upscaler".to_string(), PathBuf::from("out/train"));
    let mut cfg = TrainConfig::default();
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = Some(PathBuf::from(val()?)),
            "--model" => model = val()?,
            "--out" => out = PathBuf::from(val()?),
            "--epochs" => cfg.epochs = val()?.parse()?,
            "--batch" => cfg.batch_size = val()?.parse()?,
            "--lr" => cfg.optimizer = OptimizerConfig::adamw().with_lr(val()?.parse()?),
            "--seed" => cfg.seed = val()?.parse()?,
            "--max-steps" => cfg.max_steps = Some(val()?.parse()?),
            "--eval-batches" => cfg.eval_batches = Some(val()?.parse()?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let data = Dataset::open(data.as_deref())?;
    let graph = graph_for(&ModelSpec::resolve(&model)?, &data)?;
    let r = train(&graph, &data, &cfg, &out)?;
    println!(
        "{}: {} params, {} epochs, {} steps in {:.1} s ({:.2} steps/s), final loss {:.5}",
        r.model,
        r.parameters,
        r.epochs,
        r.steps,
        r.wall_s,
        r.steps_per_s,
        r.loss_curve.last().copied().unwrap_or(f32::NAN)
    );
    println!("eval: {}", serde_json::to_string(&r.eval)?);
    Ok(())
}
