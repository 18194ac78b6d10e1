//! Lowers a [`vgforge_graph::Graph`] to a TOSA 1.0 [`vgforge_tosa::Graph`].
//!
//! * An fp32 graph becomes a PRO-FP graph (f32 NHWC I/O).
//! * An int8 graph (the output of `vgforge-quant`: int8 activations with per-tensor qparams,
//!   int8 per-channel weights, int32 biases) becomes a PRO-INT graph with int8 NHWC I/O, op for
//!   op what ExecuTorch's Arm backend emits: RESIZE + RESCALE for bilinear upsampling, CONV2D +
//!   per-channel RESCALE with ReLU folded into the output range, int32 RESCALE-wrapped ADD,
//!   fully connected as RESHAPE + 1x1 CONV2D + RESCALE + RESHAPE.
//!
//! Weights are turned OIHW -> OHWI here, so the graph has no TRANSPOSE. The graph is checked
//! with [`vgforge_tosa::validate`] before it is returned, and an unsupported layer is reported
//! (by name, with the reason) before anything is built.
//!
//! TOSA graphs carry no metadata, so the model's input and output quantization travel in a
//! JSON sidecar next to the `.tosa` file ([`IoQuant::write_sidecar`], `MODEL.tosa.json`).

mod ctx;
mod error;
mod io;
mod ops;
pub mod scale;

use std::collections::BTreeMap;

pub use error::{Error, Result};
pub use io::{IoQuant, sidecar_path};

use vgforge_graph::Graph;

/// Options of [`lower`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerOptions {
    /// Batch size of the lowered graph; `None` keeps the graph's own (1 for graph files).
    pub batch: Option<usize>,
    /// Check the result with [`vgforge_tosa::validate`] (on by default; turning it off is only
    /// useful to inspect a graph the validator rejects).
    pub validate: bool,
}

impl Default for LowerOptions {
    fn default() -> Self {
        LowerOptions { batch: None, validate: true }
    }
}

/// Numeric precision of a lowered graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// f32 tensors, TOSA PRO-FP.
    Fp32,
    /// int8 activations and weights, int32 accumulators, TOSA PRO-INT.
    Int8,
}

/// Everything [`lower_full`] knows about its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The TOSA graph.
    pub graph: vgforge_tosa::Graph,
    /// The precision it was lowered for.
    pub precision: Precision,
    /// Input/output quantization (int8 graphs only).
    pub io: Option<IoQuant>,
    /// For every layer, the TOSA tensor holding its output (NHWC, or `[N, F]`). Layers folded
    /// into their predecessor (a ReLU) map to the same tensor.
    pub layer_outputs: BTreeMap<String, String>,
}

/// Lower `graph` to TOSA: PRO-FP for an fp32 graph, PRO-INT for an int8 graph.
pub fn lower(graph: &Graph, opts: &LowerOptions) -> Result<vgforge_tosa::Graph> {
    lower_full(graph, opts).map(|l| l.graph)
}

/// [`lower`], also returning the I/O quantization and the layer -> tensor map.
pub fn lower_full(graph: &Graph, opts: &LowerOptions) -> Result<Lowered> {
    graph.validate()?;
    let precision = precision_of(graph)?;
    ops::check_supported(graph, precision)?;
    let mut cx = ctx::Lowerer::new(graph, precision, opts.batch)?;
    for node in &graph.nodes {
        cx.set_layer(&node.name);
        ops::lower_node(&mut cx, node)?;
    }
    let lowered = cx.finish()?;
    if opts.validate {
        let profile = match precision {
            Precision::Fp32 => vgforge_tosa::Profile::ProFp,
            Precision::Int8 => vgforge_tosa::Profile::ProInt,
        };
        vgforge_tosa::validate(&lowered.graph, profile)?;
    }
    tracing::debug!(
        graph = %graph.name,
        ops = lowered.graph.compute_op_count(),
        "lowered to tosa"
    );
    Ok(lowered)
}

/// Int8 when the graph's input is an int8 tensor with quantization parameters, fp32 when it is
/// an f32 tensor without them.
pub fn precision_of(graph: &Graph) -> Result<Precision> {
    let gerr = |m: String| Error::Graph { graph: graph.name.clone(), message: m };
    let [input] = graph.inputs.as_slice() else {
        return Err(gerr(format!("expected exactly one input, found {}", graph.inputs.len())));
    };
    let t = graph.tensor(input).ok_or_else(|| gerr(format!("input '{input}' is not declared")))?;
    match (t.dtype, &t.quant) {
        (vgforge_graph::DType::F32, None) => Ok(Precision::Fp32),
        (vgforge_graph::DType::I8, Some(_)) => Ok(Precision::Int8),
        (d, q) => Err(gerr(format!(
            "input '{input}' is {} {} quantization parameters: neither an fp32 nor an int8 graph",
            d.name(),
            if q.is_some() { "with" } else { "without" }
        ))),
    }
}
