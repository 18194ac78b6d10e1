//! `vgforge run`: a model on `.npy` inputs.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use vgforge_runner::{Backend, DeviceSelector, Runner};

use super::{Kind, kind_of};

#[derive(clap::Args)]
pub struct Args {
    /// MODEL.tosa or MODEL.vgf.
    model: PathBuf,
    /// Input .npy, one per model input, in the model's dtype. A leading dimension that is k
    /// times the model's batch runs k inferences.
    #[arg(long, required = true)]
    input: Vec<PathBuf>,
    /// Output .npy, one per model output.
    #[arg(long, required = true)]
    output: Vec<PathBuf>,
    /// cpu (TOSA interpreter), compute (our Vulkan shaders) or datagraph (VK_ARM_data_graph).
    /// Default: cpu for .tosa, compute for .vgf.
    #[arg(long)]
    backend: Option<String>,
    /// Inferences per submission on Vulkan.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Vulkan device: index or name substring.
    #[arg(long)]
    device: Option<String>,
}

pub fn backend(name: &str) -> Result<Backend> {
    Ok(match name {
        "cpu" => Backend::Cpu,
        "compute" => Backend::Compute,
        "datagraph" => Backend::DataGraph,
        other => bail!("--backend {other}: expected cpu, compute or datagraph"),
    })
}

pub fn device(sel: Option<&str>) -> DeviceSelector {
    sel.map(DeviceSelector::parse).unwrap_or_default()
}

pub fn run(a: Args) -> Result<()> {
    let inputs = a
        .input
        .iter()
        .map(|p| {
            vgforge_tosa::npy::read(p).with_context(|| format!("reading input {}", p.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let kind = kind_of(&a.model)?;
    let default_backend = if kind == Kind::Vgf { "compute" } else { "cpu" };
    let backend = backend(a.backend.as_deref().unwrap_or(default_backend))?;
    let start = Instant::now();
    let outputs = match kind {
        Kind::Graph => {
            bail!("{}: run takes a .tosa or .vgf; lower the graph first", a.model.display())
        }
        Kind::Tosa => {
            let graph = vgforge_tosa::fbs::read_file(&a.model)?;
            if backend == Backend::Cpu {
                vgforge_tosa::interp::run_batched(&graph, &inputs)?
            } else {
                let runner = Runner::new(backend, device(a.device.as_deref()))?;
                runner.load(&graph)?.run(&inputs, a.batch)?
            }
        }
        Kind::Vgf => {
            let vgf = vgforge_vgf::read_vgf_file(&a.model)?;
            let runner = Runner::new(backend, device(a.device.as_deref()))?;
            runner.load(&vgf)?.run(&inputs, a.batch)?
        }
    };
    let elapsed = start.elapsed();
    if outputs.len() != a.output.len() {
        bail!(
            "the model has {} outputs but {} --output paths were given",
            outputs.len(),
            a.output.len()
        );
    }
    for (t, p) in outputs.iter().zip(&a.output) {
        vgforge_tosa::npy::write(p, t).with_context(|| format!("writing {}", p.display()))?;
        println!("{}: {} {:?}", p.display(), t.dtype, t.shape);
    }
    tracing::info!(backend = backend.name(), ?elapsed, "done");
    Ok(())
}
