//! `vgforge summary`: the pipeline's numbers side by side.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

#[derive(clap::Args)]
pub struct Args {
    /// A `cargo xtask pipeline` output folder (fp32/, ptq/, qat/).
    dir: PathBuf,
}

fn read(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

pub fn run(a: Args) -> Result<()> {
    let fp32 = read(&a.dir.join("fp32/metrics.json"))?;
    let eval = &fp32["eval"];
    let mut rows: Vec<(String, Value)> = Vec::new();
    let upscale = eval["psnr_db"].is_number();
    if upscale {
        rows.push(("bilinear x2 (no network)".into(), eval["bilinear_psnr_db"].clone()));
    }
    let key = if upscale { "psnr_db" } else { "accuracy" };
    rows.push(("fp32 (Candle)".into(), eval[key].clone()));
    for q in ["ptq", "qat"] {
        let p = a.dir.join(q).join("metrics.json");
        if p.exists() {
            rows.push((
                format!("{} int8 (TOSA interpreter)", q.to_uppercase()),
                read(&p)?[key].clone(),
            ));
        }
    }
    let unit = if upscale { "PSNR dB" } else { "top-1 accuracy" };
    let mut md = format!("| model | {unit} |\n|---|---|\n");
    let mut json = serde_json::Map::new();
    for (name, v) in &rows {
        let x = v.as_f64().context("missing metric")?;
        let shown = if upscale { format!("{x:.3}") } else { format!("{:.2}%", x * 100.0) };
        md.push_str(&format!("| {name} | {shown} |\n"));
        json.insert(name.clone(), x.into());
    }
    print!("{md}");
    vgforge_graph::file::write_atomic(&a.dir.join("summary.md"), md.as_bytes())?;
    super::write_json(&a.dir.join("summary.json"), &Value::Object(json))?;
    Ok(())
}
