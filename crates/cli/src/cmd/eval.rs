//! `vgforge eval`: metrics of a model file on the test split, computed by
//! what would run it: Candle for fp32 graphs, the bit-exact TOSA interpreter
//! for int8 graphs and `.tosa`, the Vulkan runner for `.vgf`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use vgforge_graph::{DType, Task};
use vgforge_lower::IoQuant;
use vgforge_train::{EvalOptions, Metrics};

use super::{DataArgs, Kind, kind_of};

#[derive(clap::Args)]
pub struct Args {
    /// fp32.graph, int8.graph, MODEL.tosa or MODEL.vgf.
    model: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// For .vgf: compute (our shaders), datagraph (VK_ARM_data_graph) or cpu.
    #[arg(long, default_value = "compute")]
    backend: String,
    /// Vulkan device: index or name substring.
    #[arg(long)]
    device: Option<String>,
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Also write the metrics as JSON here.
    #[arg(long)]
    metrics: Option<PathBuf>,
}

/// Task of a lowered model, read off its NHWC input and output shapes.
pub fn task_of(tosa: &vgforge_tosa::Graph) -> Result<Task> {
    let (Some(i), Some(o)) =
        (tosa.input_decls().first().copied(), tosa.output_decls().first().copied())
    else {
        bail!("the model needs one input and one output");
    };
    match (i.shape.as_slice(), o.shape.as_slice()) {
        ([_, h, _, _], [_, oh, _, _]) if *h > 0 && oh % h == 0 => {
            Ok(Task::Upscale { scale: oh / h })
        }
        (_, [_, classes]) => Ok(Task::Classify { classes: *classes }),
        (a, b) => bail!("cannot tell the task of a model mapping {a:?} to {b:?}"),
    }
}

/// The input/output quantization of a `.tosa` or `.vgf`, from its sidecar.
pub fn io_quant(model: &Path) -> Result<IoQuant> {
    let side = vgforge_lower::sidecar_path(model);
    IoQuant::read_sidecar(&side).with_context(|| {
        format!(
            "{}: the input/output quantization comes from {} (written by `vgforge lower`)",
            model.display(),
            side.display()
        )
    })
}

pub fn run(a: Args) -> Result<()> {
    let data = a.data.load()?;
    let opts = EvalOptions { batch_size: a.batch, max_batches: None };
    let (what, m) = match kind_of(&a.model)? {
        Kind::Graph => {
            let g = vgforge_graph::read_file(&a.model)?;
            let int8 = g.inputs.iter().filter_map(|i| g.tensor(i)).any(|t| t.quant.is_some())
                || g.tensors.iter().any(|t| t.dtype == DType::I8);
            if int8 {
                let lowered = vgforge_lower::lower_full(&g, &Default::default())?;
                let io = lowered.io.context("int8 graph without input/output quantization")?;
                (
                    "int8 (TOSA interpreter)",
                    vgforge_eval::eval_int8(&lowered.graph, &io, &data.test, g.task, opts)?,
                )
            } else {
                ("fp32 (Candle)", vgforge_train::evaluate(&g, &data)?)
            }
        }
        Kind::Tosa => {
            let t = vgforge_tosa::fbs::read_file(&a.model)?;
            let io = io_quant(&a.model)?;
            (
                "int8 (TOSA interpreter)",
                vgforge_eval::eval_int8(&t, &io, &data.test, task_of(&t)?, opts)?,
            )
        }
        Kind::Vgf => {
            let backend = super::run::backend(&a.backend)?;
            let vgf = vgforge_vgf::read_vgf_file(&a.model)?;
            let io = io_quant(&a.model)?;
            let tosa = vgf.to_tosa()?;
            let task = task_of(&tosa)?;
            let runner =
                vgforge_runner::Runner::new(backend, super::run::device(a.device.as_deref()))?;
            let mut model = runner.load(&vgf)?;
            let batch = a.batch;
            let mut exec =
                |x: &vgforge_tosa::Tensor| -> vgforge_eval::Result<vgforge_tosa::Tensor> {
                    let out = model
                        .run(std::slice::from_ref(x), batch)
                        .map_err(|e| vgforge_eval::Error::Data(e.to_string()))?;
                    out.into_iter()
                        .next()
                        .ok_or_else(|| vgforge_eval::Error::Data("the model has no output".into()))
                };
            let m = vgforge_eval::eval_int8_with(&mut exec, &io, &data.test, task, opts)?;
            (backend.name(), m)
        }
    };
    print_metrics(&a.model, what, &m);
    if let Some(p) = &a.metrics {
        let mut v = serde_json::to_value(&m)?;
        v["model"] = a.model.display().to_string().into();
        v["computed_by"] = what.into();
        super::write_json(p, &v)?;
    }
    Ok(())
}

pub fn print_metrics(model: &Path, what: &str, m: &Metrics) {
    match (m.psnr_db, m.bilinear_psnr_db, m.accuracy) {
        (Some(p), Some(b), _) => println!(
            "{}: {what}: PSNR {p:.3} dB (bilinear baseline {b:.3} dB, {:+.3} dB) on {} images",
            model.display(),
            p - b,
            m.samples
        ),
        (_, _, Some(acc)) => {
            println!(
                "{}: {what}: top-1 accuracy {:.2}% on {} images",
                model.display(),
                acc * 100.0,
                m.samples
            )
        }
        _ => println!("{}: {what}: loss {:.5}", model.display(), m.loss),
    }
}
