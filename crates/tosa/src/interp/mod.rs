//! The bit-exact TOSA 1.0 interpreter: the CPU backend and the numerical oracle of vgforge.
//!
//! Integer operators follow the specification's pseudo-code exactly (i32/i48 accumulators,
//! `apply_scale_32/16`, RESIZE and AVG_POOL2D integer arithmetic, TABLE interpolation); a failing
//! REQUIRE (overflow, bad scale) is reported as [`Error::Unpredictable`](crate::Error), except
//! accumulator overflow in convolutions and MATMUL, which wraps as Arm's reference model does.
//! Floating-point operators compute in f32 (fp16 rounds on store).
//!
//! Heavy operators run in parallel with rayon over batch and output rows.

pub mod arith;
mod conv;
mod elementwise;
mod matmul;
mod movement;
mod pool;
mod reduce;
mod rescale;
mod resize;
mod value;

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::ir::{Graph, Op, Tensor, TensorDecl, checked_numel};
use crate::validate::{Profile, validate};
use value::{Exec, TRef};

enum Slot<'g> {
    Const(&'g TensorDecl),
    Input(&'g Tensor),
    Owned(Tensor),
}

impl Slot<'_> {
    fn view(&self) -> Option<TRef<'_>> {
        match self {
            Slot::Const(d) => {
                Some(TRef { dtype: d.dtype, shape: &d.shape, data: d.data.as_ref()? })
            }
            Slot::Input(t) => Some(TRef::of(t)),
            Slot::Owned(t) => Some(TRef::of(t)),
        }
    }
}

/// Validate `graph` (both profiles) and run it on `inputs`, given in `graph.inputs` order.
///
/// Returns the graph outputs in `graph.outputs` order.
pub fn run(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    validate(graph, Profile::Both)?;
    run_validated(graph, inputs)
}

/// Validate and run `graph`, returning every computed tensor (graph inputs and constants
/// excluded) by name: the layer-by-layer reference for debugging another backend.
pub fn run_all(graph: &Graph, inputs: &[Tensor]) -> Result<BTreeMap<String, Tensor>> {
    validate(graph, Profile::Both)?;
    let mut all = BTreeMap::new();
    execute(graph, inputs, Some(&mut all))?;
    Ok(all)
}

/// Run a graph that already passed [`validate`]; the kernels rely on its checks.
fn run_validated(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    execute(graph, inputs, None)
}

/// The executor; with `keep`, every computed tensor is also copied there.
fn execute(
    graph: &Graph,
    inputs: &[Tensor],
    mut keep: Option<&mut BTreeMap<String, Tensor>>,
) -> Result<Vec<Tensor>> {
    check_inputs(graph, inputs)?;
    let mut slots: HashMap<&str, Slot> = HashMap::new();
    for (name, t) in graph.inputs.iter().zip(inputs) {
        slots.insert(name, Slot::Input(t));
    }
    // Free each intermediate after its last use so deep graphs stay small in memory.
    let mut last_use: HashMap<&str, usize> = HashMap::new();
    for (k, op) in graph.operators.iter().enumerate() {
        for i in &op.inputs {
            last_use.insert(i, k);
        }
    }
    for o in &graph.outputs {
        last_use.insert(o, usize::MAX);
    }
    for (k, op) in graph.operators.iter().enumerate() {
        let out_name = &op.outputs[0];
        let decl = graph.tensor(out_name).ok_or_else(|| Error::Graph {
            graph: graph.name.clone(),
            message: format!("output '{out_name}' is not declared"),
        })?;
        let result = match op.op {
            Op::Const | Op::ConstShape => Slot::Const(decl),
            _ => {
                let mut ins = Vec::with_capacity(op.inputs.len());
                for name in &op.inputs {
                    let v = slots.get(name.as_str()).and_then(Slot::view).ok_or_else(|| {
                        Error::Graph {
                            graph: graph.name.clone(),
                            message: format!("{}: operand '{name}' has no value", op.describe()),
                        }
                    })?;
                    ins.push(v);
                }
                let ex = Exec { op, ins, out_dtype: decl.dtype, out_shape: &decl.shape };
                tracing::trace!(op = %op.describe(), "executing");
                let t = exec(&ex)?;
                if let Some(k) = keep.as_deref_mut() {
                    k.insert(out_name.clone(), t.clone());
                }
                Slot::Owned(t)
            }
        };
        slots.insert(out_name, result);
        for name in &op.inputs {
            if last_use.get(name.as_str()) == Some(&k) {
                slots.remove(name.as_str());
            }
        }
    }
    graph
        .outputs
        .iter()
        .map(|name| {
            let slot = slots.get(name.as_str()).ok_or_else(|| Error::Graph {
                graph: graph.name.clone(),
                message: format!("output '{name}' has no value"),
            })?;
            Ok(match slot {
                Slot::Owned(t) => t.clone(),
                Slot::Input(t) => (*t).clone(),
                Slot::Const(d) => d.constant().ok_or_else(|| Error::Graph {
                    graph: graph.name.clone(),
                    message: format!("constant '{name}' has no data"),
                })?,
            })
        })
        .collect()
}

fn check_inputs(graph: &Graph, inputs: &[Tensor]) -> Result<()> {
    if inputs.len() != graph.inputs.len() {
        return Err(Error::Input {
            input: graph.inputs.join(", "),
            message: format!("graph takes {} inputs, {} given", graph.inputs.len(), inputs.len()),
        });
    }
    for (name, t) in graph.inputs.iter().zip(inputs) {
        let d = graph
            .tensor(name)
            .ok_or_else(|| Error::Input { input: name.clone(), message: "not declared".into() })?;
        if t.dtype != d.dtype || t.shape != d.shape {
            return Err(Error::Input {
                input: name.clone(),
                message: format!(
                    "expected {} {:?}, given {} {:?}",
                    d.dtype, d.shape, t.dtype, t.shape
                ),
            });
        }
        if !t.data.matches(t.dtype) || Some(t.data.len()) != checked_numel(&t.shape) {
            return Err(Error::Input {
                input: name.clone(),
                message: format!(
                    "data ({} x {}) does not match its type and shape",
                    t.data.kind(),
                    t.data.len()
                ),
            });
        }
    }
    Ok(())
}

fn exec(ex: &Exec) -> Result<Tensor> {
    match &ex.op.op {
        Op::Const | Op::ConstShape => Err(ex.internal("constants are not executed")),
        Op::Conv2d { .. } => conv::conv2d(ex),
        Op::DepthwiseConv2d { .. } => conv::depthwise(ex),
        Op::TransposeConv2d { .. } => conv::transpose_conv(ex),
        Op::MatMul => matmul::matmul(ex),
        Op::MaxPool2d { .. } => pool::max_pool(ex),
        Op::AvgPool2d { .. } => pool::avg_pool(ex),
        Op::Rescale { .. } => rescale::rescale(ex),
        Op::Clamp { .. } => elementwise::clamp(ex),
        Op::Add | Op::Sub | Op::Mul | Op::Maximum { .. } | Op::Minimum { .. } => {
            elementwise::binary(ex)
        }
        Op::Sigmoid | Op::Tanh | Op::Exp | Op::Reciprocal => elementwise::unary_fp(ex),
        Op::Identity => ex.out(ex.ins[0].data.clone()),
        Op::Cast => elementwise::cast(ex),
        Op::Table => elementwise::table(ex),
        Op::ReduceSum { .. } | Op::ReduceMax { .. } | Op::ArgMax { .. } => reduce::reduce(ex),
        Op::Resize { .. } => resize::resize(ex),
        Op::Reshape => ex.out(ex.ins[0].data.clone()),
        Op::Transpose { .. } => movement::transpose(ex),
        Op::Pad => movement::pad(ex),
        Op::Concat { .. } => movement::concat(ex),
        Op::Slice => movement::slice(ex),
    }
}

/// Run a graph whose first input has batch `B` on an input holding `k * B` rows: the inputs are
/// split along their leading dimension into `k` chunks, each run, and the outputs concatenated.
///
/// Every input must have the same multiple `k` of its declared leading dimension.
pub fn run_batched(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    validate(graph, Profile::Both)?;
    let decls = graph.input_decls();
    if decls.len() != inputs.len() || decls.len() != graph.inputs.len() {
        return Err(Error::Input {
            input: graph.inputs.join(", "),
            message: format!("graph takes {} inputs, {} given", graph.inputs.len(), inputs.len()),
        });
    }
    let mut chunks = None;
    for (d, t) in decls.iter().zip(inputs) {
        let (Some(&db), Some(&tb)) = (d.shape.first(), t.shape.first()) else {
            return Err(Error::Input {
                input: d.name.clone(),
                message: "rank-0 input cannot be batched".into(),
            });
        };
        if t.shape[1..] != d.shape[1..] || tb % db != 0 || tb == 0 {
            return Err(Error::Input {
                input: d.name.clone(),
                message: format!(
                    "shape {:?} is not a whole multiple of the model shape {:?} along dimension 0",
                    t.shape, d.shape
                ),
            });
        }
        let k = tb / db;
        if *chunks.get_or_insert(k) != k {
            return Err(Error::Input {
                input: d.name.clone(),
                message: "inputs hold different numbers of batches".into(),
            });
        }
    }
    let k = chunks.unwrap_or(1);
    let mut per_output: Vec<Vec<Tensor>> = vec![Vec::with_capacity(k); graph.outputs.len()];
    for c in 0..k {
        let part: Vec<Tensor> = decls
            .iter()
            .zip(inputs)
            .map(|(d, t)| movement::leading_chunk(t, d.shape[0], c))
            .collect();
        for (slot, out) in per_output.iter_mut().zip(run_validated(graph, &part)?) {
            slot.push(out);
        }
    }
    per_output.into_iter().map(|parts| movement::concat_leading(&parts)).collect()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_spatial;
