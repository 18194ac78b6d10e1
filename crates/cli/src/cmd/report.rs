//! `vgforge report`: per-layer SQNR of fake-quant and integer outputs against fp32.

use std::path::PathBuf;

use anyhow::Result;

use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    fp32: PathBuf,
    #[arg(long)]
    int8: PathBuf,
    /// The lowered int8 model; lowered from --int8 when absent.
    #[arg(long)]
    tosa: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    /// Test images to compare on.
    #[arg(long, default_value_t = 256)]
    samples: usize,
    /// Folder for report.json, report.md and report.png.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let fp32 = vgforge_graph::read_file(&a.fp32)?;
    let int8 = vgforge_graph::read_file(&a.int8)?;
    let tosa = match &a.tosa {
        Some(p) => vgforge_tosa::fbs::read_file(p)?,
        None => vgforge_lower::lower(&int8, &Default::default())?,
    };
    let data = a.data.load()?;
    let report = vgforge_eval::report(&fp32, &int8, &tosa, &data.test, a.samples)?;
    std::fs::create_dir_all(&a.out)?;
    report.write_json(&a.out.join("report.json"))?;
    report.write_markdown(&a.out.join("report.md"))?;
    report.write_png(&a.out.join("report.png"))?;
    print!("{}", report.to_markdown());
    println!("wrote report.json, report.md and report.png in {}", a.out.display());
    Ok(())
}
