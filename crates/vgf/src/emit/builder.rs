//! The global part of a graph module: ids, and interned types and constants.
//!
//! Every type and constant is created once per distinct value and written to `globals` the
//! moment it is first needed, after everything it refers to, so definitions always precede uses.

use std::collections::HashMap;

use crate::spirv::{Words, op, string_words};

/// A scalar element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Elem {
    /// Signless integer of this width.
    Int(u32),
    Float(u32),
    Bool,
}

impl Elem {
    /// Operand words of a scalar constant holding `bits`.
    fn literal(self, bits: u64) -> Vec<u32> {
        match self {
            Elem::Int(64) | Elem::Float(64) => vec![bits as u32, (bits >> 32) as u32],
            Elem::Int(w) | Elem::Float(w) => vec![(bits & ((1u64 << w) - 1)) as u32],
            Elem::Bool => vec![bits as u32],
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct ModuleBuilder {
    bound: u32,
    pub globals: Words,
    pub names: Words,
    pub decorations: Words,
    ints: HashMap<u32, u32>,
    floats: HashMap<u32, u32>,
    bool_ty: Option<u32>,
    arrays: HashMap<u32, u32>,
    tensors: HashMap<(Elem, Vec<u32>), u32>,
    scalars: HashMap<(u32, Vec<u32>), u32>,
    composites: HashMap<(u32, Vec<u32>), u32>,
    nulls: HashMap<u32, u32>,
    bools: [Option<u32>; 2],
    pub uses_int16: bool,
    pub uses_int64: bool,
    pub uses_float16: bool,
}

impl ModuleBuilder {
    pub(crate) fn new() -> Self {
        Self { bound: 1, ..Self::default() }
    }

    pub(crate) fn id(&mut self) -> u32 {
        let id = self.bound;
        self.bound += 1;
        id
    }

    /// One past the largest id used.
    pub(crate) fn bound(&self) -> u32 {
        self.bound
    }

    pub(crate) fn name(&mut self, id: u32, name: &str) {
        let mut ops = vec![id];
        ops.extend(string_words(name));
        self.names.inst(op::NAME, &ops);
    }

    pub(crate) fn int_type(&mut self, width: u32) -> u32 {
        if let Some(&id) = self.ints.get(&width) {
            return id;
        }
        match width {
            16 => self.uses_int16 = true,
            64 => self.uses_int64 = true,
            _ => {}
        }
        let id = self.id();
        self.globals.inst(op::TYPE_INT, &[id, width, 0]);
        self.ints.insert(width, id);
        id
    }

    pub(crate) fn elem_type(&mut self, elem: Elem) -> u32 {
        match elem {
            Elem::Int(w) => self.int_type(w),
            Elem::Float(w) => {
                if let Some(&id) = self.floats.get(&w) {
                    return id;
                }
                if w == 16 {
                    self.uses_float16 = true;
                }
                let id = self.id();
                self.globals.inst(op::TYPE_FLOAT, &[id, w]);
                self.floats.insert(w, id);
                id
            }
            Elem::Bool => {
                if let Some(id) = self.bool_ty {
                    return id;
                }
                let id = self.id();
                self.globals.inst(op::TYPE_BOOL, &[id]);
                self.bool_ty = Some(id);
                id
            }
        }
    }

    /// A scalar constant of `elem` holding the raw bits (two's complement for negative ints).
    pub(crate) fn scalar(&mut self, elem: Elem, bits: u64) -> u32 {
        if elem == Elem::Bool {
            return self.bool_const(bits != 0);
        }
        let ty = self.elem_type(elem);
        let words = elem.literal(bits);
        if let Some(&id) = self.scalars.get(&(ty, words.clone())) {
            return id;
        }
        let id = self.id();
        let mut ops = vec![ty, id];
        ops.extend_from_slice(&words);
        self.globals.inst(op::CONSTANT, &ops);
        self.scalars.insert((ty, words), id);
        id
    }

    pub(crate) fn uint(&mut self, v: u32) -> u32 {
        self.scalar(Elem::Int(32), u64::from(v))
    }

    pub(crate) fn bool_const(&mut self, v: bool) -> u32 {
        if let Some(id) = self.bools[usize::from(v)] {
            return id;
        }
        let ty = self.elem_type(Elem::Bool);
        let id = self.id();
        self.globals.inst(if v { op::CONSTANT_TRUE } else { op::CONSTANT_FALSE }, &[ty, id]);
        self.bools[usize::from(v)] = Some(id);
        id
    }

    fn array_type(&mut self, len: u32) -> u32 {
        if let Some(&id) = self.arrays.get(&len) {
            return id;
        }
        let uint = self.int_type(32);
        let n = self.uint(len);
        let id = self.id();
        self.globals.inst(op::TYPE_ARRAY, &[id, uint, n]);
        self.arrays.insert(len, id);
        id
    }

    /// `OpTypeTensorARM` with explicit rank and shape. `shape` must be non-empty.
    pub(crate) fn tensor_type(&mut self, elem: Elem, shape: &[u32]) -> u32 {
        let key = (elem, shape.to_vec());
        if let Some(&id) = self.tensors.get(&key) {
            return id;
        }
        let elem_id = self.elem_type(elem);
        let rank = self.uint(shape.len() as u32);
        let arr = self.array_type(shape.len() as u32);
        let dims: Vec<u32> = shape.iter().map(|&d| self.uint(d)).collect();
        let shape_id = self.composite(arr, dims);
        let id = self.id();
        self.globals.inst(op::TYPE_TENSOR_ARM, &[id, elem_id, rank, shape_id]);
        self.tensors.insert(key, id);
        id
    }

    pub(crate) fn composite(&mut self, ty: u32, parts: Vec<u32>) -> u32 {
        if let Some(&id) = self.composites.get(&(ty, parts.clone())) {
            return id;
        }
        let id = self.id();
        let mut ops = vec![ty, id];
        ops.extend_from_slice(&parts);
        self.globals.inst(op::CONSTANT_COMPOSITE, &ops);
        self.composites.insert((ty, parts), id);
        id
    }

    pub(crate) fn null(&mut self, ty: u32) -> u32 {
        if let Some(&id) = self.nulls.get(&ty) {
            return id;
        }
        let id = self.id();
        self.globals.inst(op::CONSTANT_NULL, &[ty, id]);
        self.nulls.insert(ty, id);
        id
    }

    /// A constant tensor: `OpConstantNull` when all zero, else (nested, for rank > 1)
    /// `OpConstantComposite`, row-major. `bits.len()` must equal the product of `shape`.
    pub(crate) fn tensor_const(&mut self, elem: Elem, shape: &[u32], bits: &[u64]) -> u32 {
        let ty = self.tensor_type(elem, shape);
        if bits.iter().all(|&b| b == 0) {
            return self.null(ty);
        }
        self.tensor_composite(elem, shape, bits)
    }

    fn tensor_composite(&mut self, elem: Elem, shape: &[u32], bits: &[u64]) -> u32 {
        let ty = self.tensor_type(elem, shape);
        let parts = if shape.len() == 1 {
            bits.iter().map(|&b| self.scalar(elem, b)).collect()
        } else {
            let chunk = bits.len() / shape[0].max(1) as usize;
            bits.chunks(chunk.max(1)).map(|c| self.tensor_composite(elem, &shape[1..], c)).collect()
        };
        self.composite(ty, parts)
    }

    /// `OpGraphConstantARM %ty <graph_constant_id>`.
    pub(crate) fn graph_constant(&mut self, ty: u32, graph_constant_id: u32) -> u32 {
        let id = self.id();
        self.globals.inst(op::GRAPH_CONSTANT_ARM, &[ty, id, graph_constant_id]);
        id
    }
}
