//! The global part of a parsed graph module: names, types, constants, graphs.

use std::collections::HashMap;

use crate::emit::Elem;
use crate::spirv::{Inst, op};

/// Failure inside a module: the word offset and a reason.
pub(crate) type Fail = (usize, String);

/// An upper bound on the elements of one inline constant: `OpConstantNull` and replicated
/// composites are a few words however large their type, so expansion must be capped.
pub(crate) const MAX_CONST_ELEMENTS: usize = 1 << 20;

#[derive(Debug, Clone)]
pub(crate) enum Ty {
    Scalar(Elem),
    Array { len_id: u32 },
    Tensor { elem: Elem, shape: Vec<usize> },
    Graph { n_inputs: usize, types: Vec<u32> },
}

#[derive(Debug, Clone)]
pub(crate) enum Cst {
    Scalar { ty: u32, bits: u64 },
    Bool(bool),
    Composite { ty: u32, parts: Vec<u32> },
    Null { ty: u32 },
    Replicate { ty: u32, part: u32 },
    Graph { ty: u32, gc_id: u32 },
}

/// One `OpGraphARM` … `OpGraphEndARM` region.
#[derive(Debug)]
pub(crate) struct GraphDef<'a> {
    pub id: u32,
    pub ty: u32,
    pub word: usize,
    pub body: Vec<Inst<'a>>,
}

#[derive(Debug, Default)]
pub(crate) struct Module<'a> {
    pub names: HashMap<u32, String>,
    pub types: HashMap<u32, Ty>,
    pub consts: HashMap<u32, Cst>,
    pub tosa_import: Option<u32>,
    pub other_imports: HashMap<u32, String>,
    /// Entry point name → (graph id, word offset).
    pub entry_points: Vec<(String, u32, usize)>,
    pub graphs: Vec<GraphDef<'a>>,
}

fn need(inst: &Inst<'_>, n: usize) -> Result<(), Fail> {
    if inst.operands.len() < n {
        Err((
            inst.word,
            format!("opcode {} has {} operands, needs {n}", inst.opcode, inst.operands.len()),
        ))
    } else {
        Ok(())
    }
}

impl<'a> Module<'a> {
    pub(crate) fn scan(insts: &[Inst<'a>]) -> Result<Self, Fail> {
        let mut m = Module::default();
        let mut open: Option<GraphDef<'a>> = None;
        for inst in insts {
            if let Some(g) = open.as_mut() {
                if inst.opcode == op::GRAPH_END_ARM {
                    m.graphs.push(open.take().expect("open graph"));
                } else if inst.opcode == op::GRAPH_ARM {
                    return Err((inst.word, format!("OpGraphARM inside graph %{}", g.id)));
                } else {
                    g.body.push(*inst);
                }
                continue;
            }
            let o = inst.operands;
            match inst.opcode {
                op::NAME => {
                    need(inst, 2)?;
                    if let Some((s, _)) = inst.string(1) {
                        m.names.insert(o[0], s);
                    }
                }
                op::EXT_INST_IMPORT => {
                    need(inst, 2)?;
                    let (name, _) =
                        inst.string(1).ok_or((inst.word, "unterminated import name".to_owned()))?;
                    if name == crate::spirv::TOSA_EXT_NAME {
                        m.tosa_import = Some(o[0]);
                    } else {
                        m.other_imports.insert(o[0], name);
                    }
                }
                op::TYPE_BOOL => {
                    need(inst, 1)?;
                    m.types.insert(o[0], Ty::Scalar(Elem::Bool));
                }
                op::TYPE_INT => {
                    need(inst, 3)?;
                    if !matches!(o[1], 8 | 16 | 32 | 64) {
                        return Err((inst.word, format!("unsupported integer width {}", o[1])));
                    }
                    m.types.insert(o[0], Ty::Scalar(Elem::Int(o[1])));
                }
                op::TYPE_FLOAT => {
                    need(inst, 2)?;
                    if o.len() > 2 {
                        return Err((
                            inst.word,
                            format!(
                                "float type with encoding {} (bf16/fp8) is not supported",
                                o[2]
                            ),
                        ));
                    }
                    if !matches!(o[1], 16 | 32) {
                        return Err((inst.word, format!("unsupported float width {}", o[1])));
                    }
                    m.types.insert(o[0], Ty::Scalar(Elem::Float(o[1])));
                }
                op::TYPE_ARRAY => {
                    need(inst, 3)?;
                    m.types.insert(o[0], Ty::Array { len_id: o[2] });
                }
                op::TYPE_TENSOR_ARM => {
                    need(inst, 2)?;
                    let elem = match m.types.get(&o[1]) {
                        Some(Ty::Scalar(e)) => *e,
                        _ => {
                            return Err((
                                inst.word,
                                format!("tensor element type %{} is not a scalar type", o[1]),
                            ));
                        }
                    };
                    if o.len() < 4 {
                        return Err((
                            inst.word,
                            "tensor type without rank and shape is not supported".to_owned(),
                        ));
                    }
                    let rank = m
                        .u32_const(o[2])
                        .ok_or((inst.word, format!("tensor rank %{} is not a constant", o[2])))?;
                    let shape = m.shape_const(o[3]).ok_or((
                        inst.word,
                        format!("tensor shape %{} is not a constant array", o[3]),
                    ))?;
                    if shape.len() != rank as usize || shape.is_empty() {
                        return Err((
                            inst.word,
                            format!("tensor rank {rank} does not match shape {shape:?}"),
                        ));
                    }
                    m.types.insert(o[0], Ty::Tensor { elem, shape });
                }
                op::TYPE_GRAPH_ARM => {
                    need(inst, 2)?;
                    let n_inputs = o[1] as usize;
                    let types = o[2..].to_vec();
                    if n_inputs > types.len() {
                        return Err((
                            inst.word,
                            format!(
                                "graph type declares {n_inputs} inputs but {} types",
                                types.len()
                            ),
                        ));
                    }
                    m.types.insert(o[0], Ty::Graph { n_inputs, types });
                }
                op::CONSTANT => {
                    need(inst, 3)?;
                    let bits = match o.len() {
                        3 => u64::from(o[2]),
                        4 => u64::from(o[2]) | (u64::from(o[3]) << 32),
                        n => {
                            return Err((
                                inst.word,
                                format!("constant with {} literal words", n - 2),
                            ));
                        }
                    };
                    m.consts.insert(o[1], Cst::Scalar { ty: o[0], bits });
                }
                op::CONSTANT_TRUE | op::CONSTANT_FALSE => {
                    need(inst, 2)?;
                    m.consts.insert(o[1], Cst::Bool(inst.opcode == op::CONSTANT_TRUE));
                }
                op::CONSTANT_COMPOSITE => {
                    need(inst, 2)?;
                    m.consts.insert(o[1], Cst::Composite { ty: o[0], parts: o[2..].to_vec() });
                }
                op::CONSTANT_NULL => {
                    need(inst, 2)?;
                    m.consts.insert(o[1], Cst::Null { ty: o[0] });
                }
                op::CONSTANT_COMPOSITE_REPLICATE_EXT => {
                    need(inst, 3)?;
                    m.consts.insert(o[1], Cst::Replicate { ty: o[0], part: o[2] });
                }
                op::GRAPH_CONSTANT_ARM => {
                    need(inst, 3)?;
                    m.consts.insert(o[1], Cst::Graph { ty: o[0], gc_id: o[2] });
                }
                op::GRAPH_ENTRY_POINT_ARM => {
                    need(inst, 2)?;
                    let (name, _) = inst
                        .string(1)
                        .ok_or((inst.word, "unterminated entry point name".to_owned()))?;
                    m.entry_points.push((name, o[0], inst.word));
                }
                op::GRAPH_ARM => {
                    need(inst, 2)?;
                    open = Some(GraphDef { id: o[1], ty: o[0], word: inst.word, body: Vec::new() });
                }
                // Non-semantic instructions (model-converter's `NonSemantic.Graph.DebugInfo.1`
                // with --emit-debug-info) may sit at module scope; they carry no semantics.
                op::EXT_INST if o.get(2).is_some_and(|set| m.is_non_semantic(*set)) => {}
                op::GRAPH_INPUT_ARM
                | op::GRAPH_SET_OUTPUT_ARM
                | op::EXT_INST
                | op::GRAPH_END_ARM => {
                    return Err((inst.word, format!("opcode {} outside a graph", inst.opcode)));
                }
                // Capabilities, extensions, memory model, decorations, variables, debug
                // instructions: nothing a TOSA graph needs.
                _ => {}
            }
        }
        if let Some(g) = open {
            return Err((g.word, format!("graph %{} has no OpGraphEndARM", g.id)));
        }
        Ok(m)
    }

    /// Whether `set` is an imported `NonSemantic.*` instruction set.
    pub(crate) fn is_non_semantic(&self, set: u32) -> bool {
        self.other_imports.get(&set).is_some_and(|n| n.starts_with("NonSemantic."))
    }

    /// The value of a 32-bit integer scalar constant.
    pub(crate) fn u32_const(&self, id: u32) -> Option<u32> {
        match self.consts.get(&id)? {
            Cst::Scalar { ty, bits }
                if matches!(self.types.get(ty), Some(Ty::Scalar(Elem::Int(32)))) =>
            {
                Some(*bits as u32)
            }
            Cst::Null { ty } if matches!(self.types.get(ty), Some(Ty::Scalar(Elem::Int(32)))) => {
                Some(0)
            }
            _ => None,
        }
    }

    /// The dimensions in a shape constant (an `OpTypeArray` of u32).
    fn shape_const(&self, id: u32) -> Option<Vec<usize>> {
        match self.consts.get(&id)? {
            Cst::Composite { ty, parts } => {
                let Some(Ty::Array { len_id }) = self.types.get(ty) else { return None };
                if self.u32_const(*len_id)? as usize != parts.len() {
                    return None;
                }
                parts.iter().map(|&p| self.u32_const(p).map(|d| d as usize)).collect()
            }
            Cst::Replicate { ty, part } => {
                let Some(Ty::Array { len_id }) = self.types.get(ty) else { return None };
                let n = self.u32_const(*len_id)? as usize;
                let d = self.u32_const(*part)? as usize;
                (n <= 64).then(|| vec![d; n])
            }
            _ => None,
        }
    }

    /// A scalar constant: its type and raw bits.
    pub(crate) fn scalar(&self, id: u32) -> Option<(Elem, u64)> {
        match self.consts.get(&id)? {
            Cst::Bool(b) => Some((Elem::Bool, u64::from(*b))),
            Cst::Scalar { ty, bits } => match self.types.get(ty)? {
                Ty::Scalar(e) => Some((*e, *bits)),
                _ => None,
            },
            Cst::Null { ty } => match self.types.get(ty)? {
                Ty::Scalar(e) => Some((*e, 0)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The tensor type behind an id.
    pub(crate) fn tensor_type(&self, ty: u32) -> Option<(Elem, &[usize])> {
        match self.types.get(&ty)? {
            Ty::Tensor { elem, shape } => Some((*elem, shape)),
            _ => None,
        }
    }

    /// Flattened row-major bits of an inline constant tensor, with its element type and shape.
    pub(crate) fn tensor_bits(&self, id: u32) -> Result<(Elem, Vec<usize>, Vec<u64>), String> {
        let cst = self.consts.get(&id).ok_or_else(|| format!("%{id} is not a constant"))?;
        let ty = match cst {
            Cst::Composite { ty, .. } | Cst::Null { ty } | Cst::Replicate { ty, .. } => *ty,
            _ => return Err(format!("%{id} is not a constant tensor")),
        };
        let (elem, shape) = self
            .tensor_type(ty)
            .ok_or_else(|| format!("type %{ty} of %{id} is not a tensor type"))?;
        let numel = vgforge_tosa::ir::checked_numel(shape)
            .filter(|&n| n <= MAX_CONST_ELEMENTS)
            .ok_or_else(|| {
                format!("constant %{id} of shape {shape:?} exceeds {MAX_CONST_ELEMENTS} elements")
            })?;
        let mut out = Vec::with_capacity(numel);
        self.flatten(id, elem, shape, &mut out, 0)?;
        if out.len() != numel {
            return Err(format!(
                "constant %{id} has {} elements, its type {shape:?} needs {numel}",
                out.len()
            ));
        }
        Ok((elem, shape.to_vec(), out))
    }

    fn flatten(
        &self,
        id: u32,
        elem: Elem,
        shape: &[usize],
        out: &mut Vec<u64>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > 16 {
            return Err(format!("constant %{id} nests too deeply"));
        }
        if let Some((e, bits)) = self.scalar(id) {
            if e != elem {
                return Err(format!("constant %{id} has element type {e:?}, expected {elem:?}"));
            }
            out.push(bits);
            return Ok(());
        }
        let numel: usize = shape.iter().product();
        if out.len() + numel > MAX_CONST_ELEMENTS {
            return Err(format!("constant %{id} exceeds {MAX_CONST_ELEMENTS} elements"));
        }
        match self.consts.get(&id) {
            Some(Cst::Null { .. }) => out.resize(out.len() + numel, 0),
            Some(Cst::Composite { parts, .. }) => {
                let sub = if shape.len() > 1 && parts.len() == shape[0] && parts.len() != numel {
                    &shape[1..]
                } else if parts.len() == numel {
                    &[][..]
                } else {
                    return Err(format!(
                        "composite %{id} has {} parts for shape {shape:?}",
                        parts.len()
                    ));
                };
                for &p in parts {
                    self.flatten(p, elem, sub, out, depth + 1)?;
                }
            }
            Some(Cst::Replicate { part, .. }) => {
                let start = out.len();
                self.flatten(
                    *part,
                    elem,
                    if shape.len() > 1 { &shape[1..] } else { &[] },
                    out,
                    depth + 1,
                )?;
                let chunk: Vec<u64> = out[start..].to_vec();
                if chunk.is_empty() || !numel.is_multiple_of(chunk.len()) {
                    return Err(format!(
                        "replicated composite %{id} does not fill shape {shape:?}"
                    ));
                }
                for _ in 1..numel / chunk.len() {
                    out.extend_from_slice(&chunk);
                }
            }
            _ => return Err(format!("%{id} is not a constant of element type {elem:?}")),
        }
        Ok(())
    }
}
