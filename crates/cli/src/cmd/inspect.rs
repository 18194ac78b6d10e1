//! `vgforge inspect`: every file vgforge reads or writes, readably.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{Kind, kind_of};

#[derive(clap::Args)]
pub struct Args {
    /// A .graph, .tosa or .vgf file.
    file: PathBuf,
    /// For .vgf: write a scenario-runner scenario (inputs/outputs as NAME_input_K.npy / NAME_output_K.npy).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// For .vgf: print only the vgf_dump-style JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    match kind_of(&a.file)? {
        Kind::Graph => print!("{}", vgforge_graph::read_file(&a.file)?),
        Kind::Tosa => {
            let g = vgforge_tosa::fbs::read_file(&a.file)?;
            print!("{g}");
            print_io_quant(&a.file);
        }
        Kind::Vgf => {
            let vgf = vgforge_vgf::read_vgf_file(&a.file)?;
            println!("{}", serde_json::to_string_pretty(&vgforge_vgf::dump_json(&vgf))?);
            if !a.json {
                let g = vgf.to_tosa().with_context(|| {
                    format!("{}: lifting the graph module to TOSA", a.file.display())
                })?;
                print!("{g}");
                print_io_quant(&a.file);
            }
            if let Some(out) = &a.scenario {
                write_scenario(&a.file, &vgf, out)?;
            }
        }
    }
    Ok(())
}

fn print_io_quant(model: &std::path::Path) {
    if let Ok(io) = super::eval::io_quant(model) {
        println!(
            "// input  real = {:e} * (q - {})\n// output real = {:e} * (q - {})",
            io.input_scale, io.input_zp, io.output_scale, io.output_zp
        );
    }
}

fn write_scenario(
    model: &std::path::Path,
    vgf: &vgforge_vgf::VgfFile,
    out: &std::path::Path,
) -> Result<()> {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let tosa = vgf.to_tosa()?;
    let ins: Vec<String> =
        (0..tosa.inputs.len()).map(|k| format!("{stem}_input_{k}.npy")).collect();
    let outs: Vec<String> =
        (0..tosa.outputs.len()).map(|k| format!("{stem}_output_{k}.npy")).collect();
    let ins: Vec<&str> = ins.iter().map(String::as_str).collect();
    let outs: Vec<&str> = outs.iter().map(String::as_str).collect();
    // scenario-runner resolves `src` relative to the scenario file.
    let dir =
        out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let src = relative(model, dir);
    let scenario = vgforge_vgf::scenario_json(vgf, &src, &ins, &outs)?;
    super::write_json(out, &scenario)?;
    eprintln!("wrote {} (inputs {:?}, outputs {:?})", out.display(), ins, outs);
    Ok(())
}

fn relative(path: &std::path::Path, dir: &std::path::Path) -> String {
    let abs = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (p, d) = (abs(path), abs(dir));
    p.strip_prefix(&d).map(|r| r.display().to_string()).unwrap_or_else(|_| p.display().to_string())
}
