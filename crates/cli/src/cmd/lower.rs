//! `vgforge lower`.

use std::path::PathBuf;

use anyhow::Result;
use vgforge_lower::LowerOptions;

#[derive(clap::Args)]
pub struct Args {
    /// fp32.graph (to PRO-FP) or int8.graph (to PRO-INT).
    #[arg(long = "in")]
    input: PathBuf,
    /// The .tosa to write; int8 models also get MODEL.tosa.json with the I/O quantization.
    #[arg(long)]
    out: PathBuf,
    /// Batch size of the lowered graph.
    #[arg(long)]
    batch: Option<usize>,
}

pub fn run(a: Args) -> Result<()> {
    let g = vgforge_graph::read_file(&a.input)?;
    let lowered =
        vgforge_lower::lower_full(&g, &LowerOptions { batch: a.batch, ..LowerOptions::default() })?;
    vgforge_tosa::fbs::write_file(&a.out, &lowered.graph)?;
    if let Some(io) = &lowered.io {
        io.write_sidecar(&vgforge_lower::sidecar_path(&a.out))?;
    }
    println!(
        "{}: {} TOSA operators ({:?}); wrote {}",
        g.name,
        lowered.graph.operators.len(),
        lowered.precision,
        a.out.display()
    );
    Ok(())
}
