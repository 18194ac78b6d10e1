//! `vgforge emit`.

use std::path::PathBuf;

use anyhow::Result;
use vgforge_vgf::WriteOptions;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long = "in")]
    input: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Keep tensor names (OpName) in the SPIR-V module.
    #[arg(long)]
    debug_names: bool,
}

pub fn run(a: Args) -> Result<()> {
    let graph = vgforge_tosa::fbs::read_file(&a.input)?;
    let opts = WriteOptions { debug_names: a.debug_names, ..WriteOptions::default() };
    vgforge_vgf::write_vgf_file(&a.out, &graph, &opts)?;
    // The I/O quantization travels with the model, so `eval` and `run` users can
    // quantize inputs and dequantize outputs of the .vgf too.
    let side = vgforge_lower::sidecar_path(&a.input);
    if side.exists() {
        let io = vgforge_lower::IoQuant::read_sidecar(&side)?;
        io.write_sidecar(&vgforge_lower::sidecar_path(&a.out))?;
    }
    let size = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    println!("{}: wrote {} ({size} bytes)", a.input.display(), a.out.display());
    Ok(())
}
