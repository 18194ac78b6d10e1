//! SPIR-V graph module → TOSA graph, for modules this crate wrote and modules written by
//! model-converter 0.11.0.

mod module;
mod ops;

use std::collections::{HashMap, HashSet};

use vgforge_tosa::{DType, Graph, Op, Operator, TensorDecl};

use crate::emit::Elem;
use crate::format;
use crate::spirv::{Inst, op, parse_module};
pub(crate) use module::Fail;
use module::{Cst, Module, Ty};

/// What the container supplies for lifting a module.
pub(crate) struct LiftInput<'a> {
    pub words: &'a [u32],
    pub entry_point: &'a str,
    pub input_names: &'a [String],
    pub output_names: &'a [String],
    /// The bytes of a graph constant id, from the VGF constants section.
    pub graph_constant: &'a dyn Fn(u32) -> Option<&'a [u8]>,
}

pub(crate) struct Lifter<'m, 'a, 'i> {
    m: &'m Module<'a>,
    input: &'m LiftInput<'i>,
    graph: Graph,
    /// Value id → tensor name.
    values: HashMap<u32, String>,
    /// (Constant id, as shape) → tensor name.
    consts: HashMap<(u32, bool), String>,
    used_names: HashSet<String>,
}

/// Lifts the graph named by `entry_point` to a TOSA graph.
pub(crate) fn lift(input: &LiftInput<'_>) -> Result<Graph, Fail> {
    let (_, insts) = parse_module(input.words)?;
    let m = Module::scan(&insts)?;
    let (_, graph_id, ep_word) = m
        .entry_points
        .iter()
        .find(|(n, ..)| n == input.entry_point)
        .cloned()
        .ok_or((0, format!("no OpGraphEntryPointARM named `{}`", input.entry_point)))?;
    let def = m.graphs.iter().find(|g| g.id == graph_id).ok_or((
        ep_word,
        format!("entry point `{}` names %{graph_id}, which is no graph", input.entry_point),
    ))?;
    let Some(Ty::Graph { n_inputs, types }) = m.types.get(&def.ty) else {
        return Err((
            def.word,
            format!("graph %{} has type %{}, which is no OpTypeGraphARM", def.id, def.ty),
        ));
    };
    let mut l = Lifter {
        m: &m,
        input,
        graph: Graph::new(input.entry_point),
        values: HashMap::new(),
        consts: HashMap::new(),
        used_names: HashSet::new(),
    };
    let (in_types, out_types) = types.split_at(*n_inputs);
    l.graph.inputs = vec![String::new(); in_types.len()];
    l.graph.outputs = vec![String::new(); out_types.len()];

    // Output names are known before the values are defined, so find them first.
    let mut output_of: HashMap<u32, usize> = HashMap::new();
    for inst in &def.body {
        if inst.opcode == op::GRAPH_SET_OUTPUT_ARM {
            let (value, index) = (inst.get(0), inst.get(1).and_then(|i| m.u32_const(i)));
            let (Some(value), Some(index)) = (value, index) else {
                return Err((
                    inst.word,
                    "OpGraphSetOutputARM needs a value and a constant output index".into(),
                ));
            };
            output_of.entry(value).or_insert(index as usize);
        }
    }

    let mut n_ops = 0usize;
    for inst in &def.body {
        match inst.opcode {
            op::GRAPH_INPUT_ARM => l.graph_input(inst, in_types)?,
            op::EXT_INST if inst.get(2).is_some_and(|set| m.is_non_semantic(set)) => {}
            op::EXT_INST => {
                let name = l.result_name(inst, &output_of, n_ops)?;
                ops::lift_op(&mut l, inst, name)?;
                n_ops += 1;
            }
            op::GRAPH_SET_OUTPUT_ARM => {
                let value = inst.operands[0];
                let k = m.u32_const(inst.operands[1]).expect("checked above") as usize;
                let Some(name) = l.values.get(&value).cloned() else {
                    return Err((
                        inst.word,
                        format!("graph output {k} is %{value}, which is no graph value"),
                    ));
                };
                let Some(&ty) = out_types.get(k) else {
                    return Err((
                        inst.word,
                        format!("output index {k} is out of range ({} outputs)", out_types.len()),
                    ));
                };
                l.check_type(inst.word, &name, ty)?;
                if !l.graph.outputs[k].is_empty() {
                    return Err((inst.word, format!("graph output {k} is set twice")));
                }
                l.graph.outputs[k] = name;
            }
            op::COMPOSITE_EXTRACT => {
                return Err((
                    inst.word,
                    "OpCompositeExtract (multi-result operators) is not supported".into(),
                ));
            }
            other => {
                return Err((inst.word, format!("opcode {other} is not allowed in a graph body")));
            }
        }
    }
    if let Some(k) = l.graph.inputs.iter().position(String::is_empty) {
        return Err((def.word, format!("graph input {k} is never read by OpGraphInputARM")));
    }
    if let Some(k) = l.graph.outputs.iter().position(String::is_empty) {
        return Err((def.word, format!("graph output {k} is never set")));
    }
    Ok(l.graph)
}

impl Lifter<'_, '_, '_> {
    fn unique(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut k = 1;
        while self.used_names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.used_names.insert(name.clone());
        name
    }

    fn graph_input(&mut self, inst: &Inst<'_>, in_types: &[u32]) -> Result<(), Fail> {
        let (Some(ty), Some(id), Some(index)) = (inst.get(0), inst.get(1), inst.get(2)) else {
            return Err((inst.word, "OpGraphInputARM needs a type, a result and an index".into()));
        };
        let k = self
            .m
            .u32_const(index)
            .ok_or((inst.word, format!("input index %{index} is not a constant")))?
            as usize;
        if in_types.get(k) != Some(&ty) {
            return Err((
                inst.word,
                format!("input {k} has type %{ty}, the graph type declares {:?}", in_types.get(k)),
            ));
        }
        if !self.graph.inputs[k].is_empty() {
            return Err((inst.word, format!("graph input {k} is read twice")));
        }
        let base =
            self.input.input_names.get(k).cloned().or_else(|| self.m.names.get(&id).cloned());
        let name = self.unique(&base.unwrap_or_else(|| format!("input_{k}")));
        let (dtype, shape) = self.value_type(inst.word, ty)?;
        self.graph.tensors.insert(name.clone(), TensorDecl::variable(&name, dtype, shape));
        self.graph.inputs[k] = name.clone();
        self.values.insert(id, name);
        Ok(())
    }

    fn result_name(
        &mut self,
        inst: &Inst<'_>,
        output_of: &HashMap<u32, usize>,
        n: usize,
    ) -> Result<String, Fail> {
        let (Some(id), Some(number)) = (inst.get(1), inst.get(3)) else {
            return Err((
                inst.word,
                "OpExtInst needs a result type, a result, a set and an instruction".into(),
            ));
        };
        let base = match output_of.get(&id) {
            Some(&k) => {
                self.input.output_names.get(k).cloned().or_else(|| self.m.names.get(&id).cloned())
            }
            None => self.m.names.get(&id).cloned(),
        };
        let base = base.unwrap_or_else(|| {
            let op = crate::spirv::tosa_ext::name(number).unwrap_or("op").to_ascii_lowercase();
            format!("{op}_{n}")
        });
        Ok(self.unique(&base))
    }

    /// The TOSA type of a graph value's tensor type.
    fn value_type(&self, word: usize, ty: u32) -> Result<(DType, Vec<usize>), Fail> {
        let (elem, shape) = self
            .m
            .tensor_type(ty)
            .ok_or((word, format!("type %{ty} is not a shaped tensor type")))?;
        let dtype = format::dtype_of(elem)
            .ok_or((word, format!("element type {elem:?} has no TOSA type")))?;
        vgforge_tosa::ir::checked_numel(shape)
            .ok_or((word, format!("shape {shape:?} overflows")))?;
        Ok((dtype, shape.to_vec()))
    }

    fn check_type(&self, word: usize, name: &str, ty: u32) -> Result<(), Fail> {
        let (dtype, shape) = self.value_type(word, ty)?;
        let decl = &self.graph.tensors[name];
        if decl.dtype != dtype || decl.shape != shape {
            return Err((
                word,
                format!(
                    "value `{name}` is {}{:?}, the graph type says {dtype}{shape:?}",
                    decl.dtype, decl.shape
                ),
            ));
        }
        Ok(())
    }

    /// The tensor name for a tensor operand: a value, or a constant turned into a CONST
    /// (CONST_SHAPE when `as_shape`) operator, created once per constant.
    fn operand(
        &mut self,
        word: usize,
        id: u32,
        as_shape: bool,
        consumer: &str,
        role: &str,
    ) -> Result<String, Fail> {
        if let Some(name) = self.values.get(&id) {
            if as_shape {
                return Err((word, format!("{role} operand %{id} must be a constant shape")));
            }
            return Ok(name.clone());
        }
        if let Some(name) = self.consts.get(&(id, as_shape)) {
            return Ok(name.clone());
        }
        let (dtype, shape, data) = match self.m.consts.get(&id) {
            Some(Cst::Graph { ty, gc_id }) => {
                let (dtype, shape) = self.value_type(word, *ty)?;
                let bytes = (self.input.graph_constant)(*gc_id).ok_or((
                    word,
                    format!("graph constant {gc_id} has no data in the constants section"),
                ))?;
                let numel: usize = shape.iter().product();
                let bits =
                    format::bytes_to_bits(dtype, bytes).filter(|b| b.len() == numel).ok_or((
                        word,
                        format!(
                            "graph constant {gc_id}: {} bytes do not hold {dtype}{shape:?}",
                            bytes.len()
                        ),
                    ))?;
                let dtype = if as_shape { DType::Shape } else { dtype };
                (dtype, shape, format::data_from_bits(dtype, &bits).expect("mapped dtype"))
            }
            Some(_) => {
                let (elem, shape, bits) = self.m.tensor_bits(id).map_err(|r| (word, r))?;
                let dtype = if as_shape {
                    if elem != Elem::Int(32) || shape.len() != 1 {
                        return Err((
                            word,
                            format!("{role} operand %{id} is not a rank-1 i32 shape tensor"),
                        ));
                    }
                    DType::Shape
                } else {
                    format::dtype_of(elem)
                        .ok_or((word, format!("element type {elem:?} has no TOSA type")))?
                };
                (dtype, shape, format::data_from_bits(dtype, &bits).expect("mapped dtype"))
            }
            None => {
                return Err((
                    word,
                    format!("{role} operand %{id} is neither a graph value nor a constant"),
                ));
            }
        };
        let name = self.unique(&format!("{consumer}.{role}"));
        self.graph.tensors.insert(
            name.clone(),
            TensorDecl { name: name.clone(), dtype, shape, data: Some(data) },
        );
        self.graph.operators.push(Operator {
            op: if as_shape { Op::ConstShape } else { Op::Const },
            inputs: vec![],
            outputs: vec![name.clone()],
            location: None,
        });
        self.consts.insert((id, as_shape), name.clone());
        Ok(name)
    }
}
