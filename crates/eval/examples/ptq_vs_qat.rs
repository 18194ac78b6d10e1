//! Trains the upscaler on the embedded dataset, then compares FP32, PTQ and QAT, the int8
//! models evaluated integer-exactly (TOSA interpreter), next to the bilinear baseline.
//!
//! `cargo run --release -p vgforge-eval --example ptq_vs_qat -- [fp32_epochs] [qat_epochs] [report_dir]`

use std::time::Instant;

use vgforge_eval::{eval_int8, report};
use vgforge_graph::spec::ModelSpec;
use vgforge_lower::{LowerOptions, lower_full};
use vgforge_quant::{QatConfig, QuantConfig, quantize};
use vgforge_train::{
    Dataset, EvalOptions, Model, NoHooks, TrainConfig, evaluate_set, fit, graph_for,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let fp32_epochs: u64 = args.next().map_or(Ok(40), |a| a.parse())?;
    let qat_epochs: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let report_dir = args.next().map(std::path::PathBuf::from);
    let data = Dataset::embedded()?;
    let g = graph_for(&ModelSpec::builtin("upscaler")?, &data)?;
    let model = Model::new(&g, 0)?;
    let t0 = Instant::now();
    let cfg = TrainConfig { epochs: fp32_epochs, progress: false, ..TrainConfig::default() };
    fit(&model, &data, &cfg, &mut NoHooks, None)?;
    let fp32 = model.to_graph()?;
    println!("fp32 training: {fp32_epochs} epochs in {:.1} s", t0.elapsed().as_secs_f64());
    let opts = EvalOptions::default();
    let fm = evaluate_set(&model, &data.test, opts, &mut NoHooks)?;

    let t0 = Instant::now();
    let (ptq, prep) = quantize(&fp32, &data, &QuantConfig::ptq())?;
    let ptq_secs = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let pl = lower_full(&ptq, &LowerOptions::default())?;
    let lower_secs = t0.elapsed().as_secs_f64();
    let pm = eval_int8(&pl.graph, &pl.io.unwrap(), &data.test, fp32.task, opts)?;

    let qcfg = QuantConfig {
        qat: QatConfig { epochs: qat_epochs, ..QatConfig::default() },
        ..QuantConfig::qat()
    };
    let (qat, qrep) = quantize(&fp32, &data, &qcfg)?;
    let ql = lower_full(&qat, &LowerOptions::default())?;
    let qm = eval_int8(&ql.graph, &ql.io.unwrap(), &data.test, fp32.task, opts)?;

    println!("test split: {} images", fm.samples);
    println!("| model | PSNR (dB) |\n|---|---:|");
    println!("| bilinear x2 only | {:.3} |", fm.bilinear_psnr_db.unwrap_or(f64::NAN));
    println!("| FP32 | {:.3} |", fm.psnr_db.unwrap_or(f64::NAN));
    println!("| PTQ int8 (TOSA interpreter) | {:.3} |", pm.psnr_db.unwrap_or(f64::NAN));
    println!("| QAT int8 (TOSA interpreter) | {:.3} |", qm.psnr_db.unwrap_or(f64::NAN));
    println!(
        "ptq: quantize {ptq_secs:.3} s (calibration {:.3} s on {} samples), lower {lower_secs:.4} s",
        prep.calib_seconds, prep.calib_samples
    );
    if let Some(s) = qrep.qat {
        println!(
            "qat: {} steps in {:.1} s, loss {:.5} -> {:.5}",
            s.steps, s.seconds, s.first_loss, s.last_loss
        );
    }
    let r = report(&fp32, &ptq, &pl.graph, &data.test, 64)?;
    print!("{}", r.to_markdown());
    if let Some(dir) = report_dir {
        std::fs::create_dir_all(&dir)?;
        r.write_json(&dir.join("layers.json"))?;
        r.write_markdown(&dir.join("layers.md"))?;
        r.write_png(&dir.join("layers.png"))?;
        println!("report written to {}", dir.display());
    }
    Ok(())
}
