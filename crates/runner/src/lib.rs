//! Runs TOSA graphs and `.vgf` files on Vulkan, bit-exact with the TOSA interpreter.
//!
//! Three backends share one API ([`Runner`] -> [`Model`] -> [`Model::run`]):
//! * [`Backend::Compute`]: our own GLSL compute kernels (`shaders/`), on any Vulkan 1.2
//!   device with shaderInt8, storageBuffer8BitAccess and shaderInt64 (lavapipe included);
//! * [`Backend::DataGraph`]: the `.vgf`'s SPIR-V graph handed as-is to `VK_ARM_data_graph`
//!   (Arm's ML emulation layer on devices without native support);
//! * [`Backend::Cpu`]: the TOSA interpreter (`vgforge_tosa::interp`).
//!
//! An input whose leading dimension is `k` times the model's holds `k` inferences; they run
//! `batch` at a time, each group in one command-buffer submission.

mod compute;
mod cpu;
mod datagraph;
pub mod env;
mod error;
mod tensors;
mod vk;

use std::sync::Arc;
use std::time::{Duration, Instant};

use vgforge_tosa::{DType, Graph, Tensor};
use vgforge_vgf::VgfFile;

pub use error::{Error, Result};
pub use vk::DeviceSelector;

/// Where a model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Our own compute shaders.
    Compute,
    /// `VK_ARM_tensors` + `VK_ARM_data_graph` with the `.vgf`'s SPIR-V graph module.
    DataGraph,
    /// The TOSA reference interpreter on the CPU.
    Cpu,
}

impl Backend {
    /// Lower-case name, as used in messages and benchmarks.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Compute => "compute",
            Backend::DataGraph => "datagraph",
            Backend::Cpu => "cpu",
        }
    }
}

/// Optional runner settings.
#[derive(Debug, Clone, Default)]
pub struct RunnerOptions {
    /// Enable `VK_LAYER_KHRONOS_validation` and collect its messages
    /// ([`Runner::validation_messages`]).
    pub validation: bool,
    /// Copy inputs, outputs and constants through staging buffers even where device memory
    /// is host-visible (lavapipe, integrated GPUs), as discrete GPUs need; lets tests cover
    /// that path on any device.
    pub staging_transfers: bool,
    /// Compute backend: run int8 CONV2D and DEPTHWISE_CONV2D layers with constant weights on
    /// the register-blocked kernels written for CPU implementations
    /// (`shaders/conv2d_fast.comp`, `shaders/depthwise_fast.comp`). `None` (the
    /// default) uses them on CPU devices (lavapipe) only; GPUs keep one output pixel per
    /// invocation, which suits their register files.
    pub blocked_conv: Option<bool>,
}

/// A model source: a TOSA graph, or a `.vgf` file (needed by the data-graph backend).
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A TOSA graph.
    Graph(&'a Graph),
    /// A decoded `.vgf` file.
    Vgf(&'a VgfFile),
}

impl<'a> From<&'a Graph> for Source<'a> {
    fn from(g: &'a Graph) -> Self {
        Source::Graph(g)
    }
}

impl<'a> From<&'a VgfFile> for Source<'a> {
    fn from(v: &'a VgfFile) -> Self {
        Source::Vgf(v)
    }
}

/// A backend bound to a device.
pub struct Runner {
    backend: Backend,
    gpu: Option<Arc<vk::Gpu>>,
    kernels: Option<Arc<vk::Kernels>>,
    lower: compute::lower::LowerOptions,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("backend", &self.backend)
            .field("device", &self.device_name())
            .finish()
    }
}

impl Runner {
    /// Opens `backend` on the device chosen by `selector` (ignored by [`Backend::Cpu`]).
    pub fn new(backend: Backend, selector: DeviceSelector) -> Result<Runner> {
        Runner::with_options(backend, selector, &RunnerOptions::default())
    }

    /// [`Runner::new`] with settings.
    pub fn with_options(
        backend: Backend,
        selector: DeviceSelector,
        options: &RunnerOptions,
    ) -> Result<Runner> {
        let mut config = vk::GpuConfig {
            validation: options.validation,
            staging_transfers: options.staging_transfers,
            ..Default::default()
        };
        match backend {
            Backend::Cpu => {
                return Ok(Runner { backend, gpu: None, kernels: None, lower: Default::default() });
            }
            Backend::Compute => {}
            Backend::DataGraph => datagraph::configure(&mut config),
        }
        let gpu = Arc::new(vk::Gpu::new(&selector, &config)?);
        let kernels = Arc::new(vk::Kernels::new(&gpu));
        let lower = compute::lower::LowerOptions {
            blocked_conv: options.blocked_conv.unwrap_or(gpu.is_cpu),
        };
        Ok(Runner { backend, gpu: Some(gpu), kernels: Some(kernels), lower })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Name of the Vulkan device (`None` for the CPU backend).
    pub fn device_name(&self) -> Option<&str> {
        self.gpu.as_ref().map(|g| g.name.as_str())
    }

    /// Warnings and errors reported by the validation layer so far.
    pub fn validation_messages(&self) -> Vec<String> {
        self.gpu.as_ref().map(|g| g.validation_messages()).unwrap_or_default()
    }

    /// Prepares a model: lowering, pipelines and constants. Unsupported operators are
    /// reported here, before any work is submitted.
    pub fn load<'a>(&self, source: impl Into<Source<'a>>) -> Result<Model> {
        let source = source.into();
        let graph = || -> Result<Graph> {
            match source {
                Source::Graph(g) => Ok(g.clone()),
                Source::Vgf(v) => v.to_tosa().map_err(|e| Error::InvalidGraph(format!("vgf: {e}"))),
            }
        };
        let inner = match (self.backend, &self.gpu, &self.kernels) {
            (Backend::Cpu, _, _) => Inner::Cpu(graph()?),
            (Backend::Compute, Some(gpu), Some(k)) => {
                let g = graph()?;
                // The interpreter's ERROR_IF checks first: the kernels assume a valid graph.
                vgforge_tosa::validate(&g, vgforge_tosa::Profile::Both)?;
                let plan = compute::lower::Lowerer::lower(&g, self.lower)?;
                Inner::Compute(Box::new(compute::exec::ComputeModel::new(gpu, k, plan)?))
            }
            (Backend::DataGraph, Some(gpu), _) => {
                let Source::Vgf(v) = source else {
                    return Err(Error::Unsupported {
                        backend: "datagraph",
                        op: "graph source".into(),
                        reason: "the data-graph backend runs a .vgf file's SPIR-V module; load a VgfFile".into(),
                    });
                };
                Inner::DataGraph(Box::new(datagraph::DataGraphModel::new(gpu, v)?))
            }
            _ => return Err(Error::NoDevice),
        };
        Ok(Model { inner, last_device_time: Duration::ZERO })
    }
}

enum Inner {
    Compute(Box<compute::exec::ComputeModel>),
    DataGraph(Box<datagraph::DataGraphModel>),
    Cpu(Graph),
}

/// A loaded model.
pub struct Model {
    inner: Inner,
    last_device_time: Duration,
}

/// A model boundary tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// Tensor name.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Shape of one inference.
    pub shape: Vec<usize>,
}

/// Result of [`Model::time`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Inferences per timed run.
    pub batch: usize,
    /// Timed runs.
    pub iterations: usize,
    /// Median wall time of one run (host copies included).
    pub median: Duration,
    /// Fastest run.
    pub min: Duration,
}

impl Timing {
    /// Median time per inference.
    pub fn per_inference(&self) -> Duration {
        self.median / self.batch.max(1) as u32
    }

    /// Inferences per second at the median.
    pub fn throughput(&self) -> f64 {
        self.batch as f64 / self.median.as_secs_f64().max(1e-12)
    }
}

impl Model {
    /// Runs every inference held in `inputs`, `batch` per submission.
    pub fn run(&mut self, inputs: &[Tensor], batch: usize) -> Result<Vec<Tensor>> {
        let t0 = Instant::now();
        let out = match &mut self.inner {
            Inner::Compute(m) => {
                let (out, t) = m.run(inputs, batch)?;
                self.last_device_time = t;
                return Ok(out);
            }
            Inner::DataGraph(m) => m.run(inputs)?,
            Inner::Cpu(g) => cpu::run(g, inputs)?,
        };
        self.last_device_time = t0.elapsed();
        Ok(out)
    }

    /// Time spent in queue submissions (GPU backends) or the interpreter in the last run.
    pub fn last_device_time(&self) -> Duration {
        self.last_device_time
    }

    /// The model's inputs.
    pub fn inputs(&self) -> Vec<PortInfo> {
        match &self.inner {
            Inner::Compute(m) => m
                .plan
                .inputs
                .iter()
                .map(|p| PortInfo { name: p.name.clone(), dtype: p.dtype, shape: p.shape.clone() })
                .collect(),
            Inner::DataGraph(m) => m.inputs(),
            Inner::Cpu(g) => g
                .input_decls()
                .iter()
                .map(|d| PortInfo { name: d.name.clone(), dtype: d.dtype, shape: d.shape.clone() })
                .collect(),
        }
    }

    /// Compute backend: how many inferences of a batch one kernel dispatch covers.
    /// `None` (the default) is the whole batch, fastest on GPUs and on lavapipe alike.
    /// Other backends ignore it.
    pub fn set_inferences_per_dispatch(&mut self, n: Option<usize>) {
        if let Inner::Compute(m) = &mut self.inner {
            m.set_inferences_per_dispatch(n);
        }
    }

    /// The GPU dispatches, one label each (fused operators show as `A + B`); empty for
    /// backends that do not lower the graph themselves.
    pub fn dispatches(&self) -> Vec<String> {
        match &self.inner {
            Inner::Compute(m) => {
                m.plan.steps.iter().map(|s| format!("{}: {}", s.kernel.name(), s.label)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Runs `inputs` (`batch` inferences each time) `warmup + iterations` times and
    /// reports the timed ones.
    pub fn time(
        &mut self,
        inputs: &[Tensor],
        batch: usize,
        warmup: usize,
        iterations: usize,
    ) -> Result<Timing> {
        for _ in 0..warmup {
            self.run(inputs, batch)?;
        }
        let mut times = Vec::with_capacity(iterations.max(1));
        for _ in 0..iterations.max(1) {
            let t0 = Instant::now();
            self.run(inputs, batch)?;
            times.push(t0.elapsed());
        }
        times.sort();
        let total = match self.inputs().first() {
            Some(p) => inputs
                .first()
                .map(|t| {
                    t.shape.first().copied().unwrap_or(1)
                        / p.shape.first().copied().unwrap_or(1).max(1)
                })
                .unwrap_or(1),
            None => 1,
        };
        Ok(Timing {
            batch: total,
            iterations: times.len(),
            median: times[times.len() / 2],
            min: times[0],
        })
    }
}
