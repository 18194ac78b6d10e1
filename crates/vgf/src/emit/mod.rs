//! TOSA graph → SPIR-V graph module (SPV_ARM_graph + SPV_ARM_tensors + TOSA.001000.1).
//!
//! The module mirrors what model-converter 0.11.0 writes: SPIR-V 1.5, the same capabilities
//! and extensions, one `OpGraphARM` whose inputs and outputs are UniformConstant interface
//! variables in descriptor set 0 (inputs at bindings 0..n, outputs after them), attributes as
//! constant operands, small constant tensors inline and large ones as `OpGraphConstantARM`.

mod builder;
mod ops;

use std::collections::HashMap;

use vgforge_tosa::{DType, Graph, Op, TensorDecl};

pub(crate) use builder::Elem;
use builder::ModuleBuilder;

use crate::error::{Error, Result};
use crate::format;
use crate::spirv::{self, Words, cap, deco, op, string_words};

/// The widest composite (and the most operands of any instruction) this writer emits; an
/// instruction holds at most 65535 words.
pub(crate) const MAX_COMPOSITE_PARTS: usize = 65_000;
/// The longest name this writer puts into one instruction (well below the 65535-word limit).
const MAX_NAME_BYTES: usize = 4096;
/// The highest tensor rank this writer emits.
const MAX_RANK: usize = 64;

/// Options for writing a graph module and its VGF file.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Emit `OpName` for every operator result (its tensor name), so a reader gets the
    /// original tensor names back. Off by default: names cost space and reveal nothing needed.
    pub debug_names: bool,
    /// Constant tensors with more elements than this become `OpGraphConstantARM` whose data
    /// goes to the VGF constants section; smaller ones are inlined. model-converter inlines
    /// 16-element vectors and moves 32-element ones out, hence the default.
    pub inline_max_elements: usize,
    /// Entry point name; None uses the graph's name (or `main` when it is empty).
    pub entry_point: Option<String>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self { debug_names: false, inline_max_elements: 16, entry_point: None }
    }
}

/// A graph input or output as the module declares it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interface {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<usize>,
}

/// Data of one `OpGraphConstantARM`, in id order.
#[derive(Debug, Clone)]
pub(crate) struct GraphConstant {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub bytes: Vec<u8>,
}

/// A finished module and what the container needs to know about it.
#[derive(Debug, Clone)]
pub(crate) struct Emitted {
    pub words: Vec<u32>,
    pub entry_point: String,
    pub inputs: Vec<Interface>,
    pub outputs: Vec<Interface>,
    pub constants: Vec<GraphConstant>,
}

pub(crate) struct Ctx<'g> {
    pub graph: &'g Graph,
    pub b: ModuleBuilder,
    pub opts: &'g WriteOptions,
    /// Tensor name → id of a graph input or operator result.
    values: HashMap<&'g str, u32>,
    /// Constant tensor name → id of its `OpGraphConstantARM`.
    graph_consts: HashMap<&'g str, u32>,
    pub constants: Vec<GraphConstant>,
}

impl<'g> Ctx<'g> {
    pub(crate) fn bad(&self, what: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::BadGraph { graph: self.graph.name.clone(), what: what.into(), reason: reason.into() }
    }

    pub(crate) fn decl(&self, name: &str) -> Result<&'g TensorDecl> {
        self.graph
            .tensor(name)
            .ok_or_else(|| self.bad(format!("tensor `{name}`"), "is not declared"))
    }

    /// The tensor type of a declared tensor.
    pub(crate) fn tensor_type(&mut self, dtype: DType, shape: &[usize], what: &str) -> Result<u32> {
        let elem = format::elem(dtype).ok_or_else(|| {
            self.bad(what, format!("element type {dtype} has no spir-v graph mapping"))
        })?;
        let dims = self.dims(shape, what)?;
        Ok(self.b.tensor_type(elem, &dims))
    }

    fn dims(&self, shape: &[usize], what: &str) -> Result<Vec<u32>> {
        if shape.is_empty() {
            return Err(self.bad(
                what,
                "rank-0 tensors cannot be spir-v graph tensors (rank must be at least 1)",
            ));
        }
        if shape.len() > MAX_RANK {
            return Err(self.bad(what, format!("rank {} exceeds {MAX_RANK}", shape.len())));
        }
        shape
            .iter()
            .map(|&d| {
                u32::try_from(d)
                    .map_err(|_| self.bad(what, format!("dimension {d} exceeds 32 bits")))
            })
            .collect()
    }

    /// The id standing for a tensor operand: a value, an inline constant or a graph constant.
    /// `inline_only` forces inlining (shape operands and zero points must stay visible).
    pub(crate) fn operand(&mut self, name: &'g str, inline_only: bool) -> Result<u32> {
        if let Some(&id) = self.values.get(name) {
            return Ok(id);
        }
        let decl = self.decl(name)?;
        let Some(data) = &decl.data else {
            return Err(
                self.bad(format!("tensor `{name}`"), "is used before an operator defines it")
            );
        };
        let what = format!("constant `{name}`");
        let elem = format::elem(decl.dtype).ok_or_else(|| {
            self.bad(&what, format!("element type {} has no spir-v graph mapping", decl.dtype))
        })?;
        let bits = format::data_bits(data, decl.dtype).ok_or_else(|| {
            self.bad(&what, format!("{} data cannot be stored as {}", data.kind(), decl.dtype))
        })?;
        let numel = vgforge_tosa::ir::checked_numel(&decl.shape);
        if numel != Some(bits.len()) {
            return Err(self.bad(
                &what,
                format!("shape {:?} does not match {} data elements", decl.shape, bits.len()),
            ));
        }
        if inline_only || decl.dtype == DType::Shape || bits.len() <= self.opts.inline_max_elements
        {
            let dims = self.dims(&decl.shape, &what)?;
            return Ok(self.b.tensor_const(elem, &dims, &bits));
        }
        if let Some(&id) = self.graph_consts.get(name) {
            return Ok(id);
        }
        let ty = self.tensor_type(decl.dtype, &decl.shape, &what)?;
        let gc_id = self.constants.len() as u32;
        let id = self.b.graph_constant(ty, gc_id);
        let bytes = format::bits_to_bytes(decl.dtype, &bits).expect("dtype has an element mapping");
        self.constants.push(GraphConstant { dtype: decl.dtype, shape: decl.shape.clone(), bytes });
        self.graph_consts.insert(name, id);
        Ok(id)
    }
}

/// Emits the graph as a SPIR-V graph module.
pub(crate) fn emit(graph: &Graph, opts: &WriteOptions) -> Result<Emitted> {
    let mut cx = Ctx {
        graph,
        b: ModuleBuilder::new(),
        opts,
        values: HashMap::new(),
        graph_consts: HashMap::new(),
        constants: Vec::new(),
    };
    if graph.outputs.is_empty() {
        return Err(cx.bad("graph outputs", "a graph module needs at least one output"));
    }
    if graph.inputs.len() + graph.outputs.len() > MAX_COMPOSITE_PARTS {
        return Err(cx.bad("graph interface", "too many inputs and outputs for one OpTypeGraphARM"));
    }
    let entry_point = opts.entry_point.clone().unwrap_or_else(|| {
        if graph.name.is_empty() { "main".to_owned() } else { graph.name.clone() }
    });
    if entry_point.len() > MAX_NAME_BYTES {
        return Err(cx.bad(
            "entry point name",
            format!("{} bytes exceed {MAX_NAME_BYTES}", entry_point.len()),
        ));
    }
    let import = cx.b.id();

    // Interface variables: inputs, then outputs, each with its tensor type.
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut io_types = Vec::new();
    let mut vars = Vec::new();
    for (is_out, names) in [(false, &graph.inputs), (true, &graph.outputs)] {
        for (k, name) in names.iter().enumerate() {
            let decl = cx.decl(name)?;
            let what = format!("graph {} `{name}`", if is_out { "output" } else { "input" });
            if !is_out && decl.data.is_some() {
                return Err(cx.bad(what, "a graph input cannot be a constant"));
            }
            let ty = cx.tensor_type(decl.dtype, &decl.shape, &what)?;
            let ptr = cx.b.id();
            cx.b.globals.inst(op::TYPE_POINTER, &[ptr, spirv::STORAGE_UNIFORM_CONSTANT, ty]);
            let var = cx.b.id();
            cx.b.globals.inst(op::VARIABLE, &[ptr, var, spirv::STORAGE_UNIFORM_CONSTANT]);
            let binding = vars.len() as u32;
            cx.b.name(var, &format!("{entry_point}_{}_{k}", if is_out { "res" } else { "arg" }));
            cx.b.decorations.inst(op::DECORATE, &[var, deco::BINDING, binding]);
            cx.b.decorations.inst(op::DECORATE, &[var, deco::DESCRIPTOR_SET, 0]);
            io_types.push(ty);
            vars.push(var);
            let iface =
                Interface { name: name.clone(), dtype: decl.dtype, shape: decl.shape.clone() };
            if is_out { outputs.push(iface) } else { inputs.push(iface) }
        }
    }
    let graph_type = cx.b.id();
    let mut gt_ops = vec![graph_type, inputs.len() as u32];
    gt_ops.extend_from_slice(&io_types);
    cx.b.globals.inst(op::TYPE_GRAPH_ARM, &gt_ops);

    let graph_id = cx.b.id();
    let mut body = Words::default();
    body.inst(op::GRAPH_ARM, &[graph_type, graph_id]);
    for (k, name) in graph.inputs.iter().enumerate() {
        let index = cx.b.uint(k as u32);
        let id = cx.b.id();
        body.inst(op::GRAPH_INPUT_ARM, &[io_types[k], id, index]);
        if cx.values.insert(name.as_str(), id).is_some() {
            return Err(cx.bad(format!("graph input `{name}`"), "is listed twice"));
        }
    }
    for (index, o) in graph.operators.iter().enumerate() {
        if matches!(o.op, Op::Const | Op::ConstShape) {
            continue;
        }
        let unsupported = |reason: String| Error::UnsupportedOp {
            graph: graph.name.clone(),
            index,
            op: o.describe(),
            reason,
        };
        if o.outputs.len() != 1 {
            return Err(unsupported(format!(
                "has {} results; graph modules need exactly one",
                o.outputs.len()
            )));
        }
        let out = o.outputs[0].as_str();
        if matches!(o.op, Op::Identity) {
            let [input] = o.inputs.as_slice() else {
                return Err(unsupported(format!("takes 1 operand, got {}", o.inputs.len())));
            };
            let id = cx.operand(input, false)?;
            cx.values.insert(out, id);
            continue;
        }
        let (number, operands) = ops::encode(&mut cx, o).map_err(|e| match e {
            ops::OpError::Graph(e) => e,
            ops::OpError::Unsupported(reason) => unsupported(reason),
        })?;
        let decl = cx.decl(out)?;
        let result_ty = cx.tensor_type(decl.dtype, &decl.shape, &format!("result `{out}`"))?;
        let id = cx.b.id();
        let mut words = vec![result_ty, id, import, number];
        words.extend_from_slice(&operands);
        body.inst(op::EXT_INST, &words);
        if opts.debug_names {
            if out.len() > MAX_NAME_BYTES {
                return Err(cx.bad(
                    format!("tensor `{}…`", &out[..out.floor_char_boundary(64)]),
                    "name is too long for OpName",
                ));
            }
            cx.b.name(id, out);
        }
        if cx.values.insert(out, id).is_some() {
            return Err(cx.bad(format!("tensor `{out}`"), "is defined twice"));
        }
    }
    for (k, name) in graph.outputs.iter().enumerate() {
        let Some(&id) = cx.values.get(name.as_str()) else {
            return Err(cx.bad(format!("graph output `{name}`"), "is not computed by any operator"));
        };
        let index = cx.b.uint(k as u32);
        body.inst(op::GRAPH_SET_OUTPUT_ARM, &[id, index]);
    }
    body.inst(op::GRAPH_END_ARM, &[]);

    let words = assemble(&cx.b, import, graph_id, &entry_point, &vars, &body);
    tracing::debug!(
        graph = graph.name,
        words = words.len(),
        constants = cx.constants.len(),
        "emitted graph module"
    );
    Ok(Emitted { words, entry_point, inputs, outputs, constants: cx.constants })
}

fn assemble(
    b: &ModuleBuilder,
    import: u32,
    graph_id: u32,
    entry: &str,
    vars: &[u32],
    body: &Words,
) -> Vec<u32> {
    let mut m = Words(vec![spirv::MAGIC, spirv::VERSION_1_5, spirv::GENERATOR, b.bound(), 0]);
    let mut caps = vec![cap::SHADER, cap::INT8];
    if b.uses_int16 {
        caps.push(cap::INT16);
    }
    if b.uses_int64 {
        caps.push(cap::INT64);
    }
    if b.uses_float16 {
        caps.push(cap::FLOAT16);
    }
    caps.extend([cap::TENSORS_ARM, cap::GRAPH_ARM, cap::VULKAN_MEMORY_MODEL, cap::MATRIX]);
    for c in caps {
        m.inst(op::CAPABILITY, &[c]);
    }
    for ext in ["SPV_ARM_tensors", "SPV_ARM_graph", "SPV_KHR_vulkan_memory_model"] {
        m.inst(op::EXTENSION, &string_words(ext));
    }
    let mut imp = vec![import];
    imp.extend(string_words(spirv::TOSA_EXT_NAME));
    m.inst(op::EXT_INST_IMPORT, &imp);
    m.inst(op::MEMORY_MODEL, &[spirv::ADDRESSING_LOGICAL, spirv::MEMORY_MODEL_VULKAN]);
    m.0.extend_from_slice(&b.names.0);
    m.0.extend_from_slice(&b.decorations.0);
    m.0.extend_from_slice(&b.globals.0);
    let mut ep = vec![graph_id];
    ep.extend(string_words(entry));
    ep.extend_from_slice(vars);
    m.inst(op::GRAPH_ENTRY_POINT_ARM, &ep);
    m.0.extend_from_slice(&body.0);
    m.0
}
