//! `vgforge quantize`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use vgforge_quant::{Method, ObserverKind, QuantConfig};

use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    /// ptq (calibration) or qat (fake-quant fine-tuning).
    #[arg(long, default_value = "ptq")]
    method: String,
    /// The fp32 graph to quantize.
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the int8 graph.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Activation observer for every layer: histogram, minmax, moving-average[:C], percentile[:P].
    /// Default: histogram for PTQ, moving-average for QAT (as ExecuTorch).
    #[arg(long)]
    observer: Option<String>,
    /// Per-layer observer, LAYER=OBSERVER; repeatable.
    #[arg(long = "layer-observer")]
    layer_observer: Vec<String>,
    /// PTQ calibration samples.
    #[arg(long, default_value_t = 500)]
    calib: usize,
    /// PTQ: leave the biases as trained, without correcting the mean error of the int8
    /// weights (reproduces ExecuTorch's int8 model exactly).
    #[arg(long)]
    no_bias_correction: bool,
    /// PTQ: skip cross-layer equalization (reproduces ExecuTorch's int8 model exactly,
    /// with --no-bias-correction).
    #[arg(long)]
    no_equalize: bool,
    /// QAT fine-tuning epochs.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// QAT learning rate (AdamW).
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// QAT: cap on optimizer steps per epoch.
    #[arg(long)]
    max_steps: Option<usize>,
}

pub fn parse_observer(s: &str) -> Result<ObserverKind> {
    let (name, arg) = s.split_once(':').map_or((s, None), |(n, a)| (n, Some(a)));
    let num = |default: f64| -> Result<f64> {
        arg.map_or(Ok(default), |a| {
            a.parse::<f64>().with_context(|| format!("observer '{s}': bad number '{a}'"))
        })
    };
    Ok(match name {
        "histogram" => ObserverKind::Histogram { bins: num(2048.0)? as usize },
        "minmax" => ObserverKind::MinMax,
        "moving-average" => ObserverKind::MovingAverage { averaging_constant: num(0.01)? as f32 },
        "percentile" => ObserverKind::Percentile { percentile: num(99.99)?, bins: 2048 },
        _ => {
            bail!("unknown observer '{s}' (histogram, minmax, moving-average[:C], percentile[:P])")
        }
    })
}

pub fn run(a: Args) -> Result<()> {
    let mut cfg = match a.method.as_str() {
        "ptq" => QuantConfig::ptq(),
        "qat" => QuantConfig::qat(),
        other => bail!("--method {other}: expected ptq or qat"),
    };
    cfg.calib = a.calib;
    cfg.bias_correction = !a.no_bias_correction;
    cfg.equalize = !a.no_equalize;
    cfg.qat.epochs = a.epochs;
    cfg.qat.lr = a.lr;
    cfg.qat.max_steps_per_epoch = a.max_steps;
    cfg.observer = a.observer.as_deref().map(parse_observer).transpose()?;
    for lo in &a.layer_observer {
        let (layer, obs) = lo
            .split_once('=')
            .with_context(|| format!("--layer-observer {lo}: expected LAYER=OBSERVER"))?;
        cfg.per_layer.insert(layer.to_string(), parse_observer(obs)?);
    }
    let fp32 = vgforge_graph::read_file(&a.input)?;
    let data = a.data.load()?;
    let (int8, report) = vgforge_quant::quantize(&fp32, &data, &cfg)?;
    vgforge_graph::write_file(&a.out, &int8)?;
    match report.method {
        Method::Ptq => println!(
            "{}: PTQ calibrated on {} samples in {:.2} s; wrote {}",
            fp32.name,
            report.calib_samples,
            report.calib_seconds,
            a.out.display()
        ),
        Method::Qat => println!("{}: QAT done; wrote {}", fp32.name, a.out.display()),
    }
    Ok(())
}
