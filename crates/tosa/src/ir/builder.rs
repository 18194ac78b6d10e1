//! Programmatic graph construction.

use super::{DType, Graph, Op, Operator, Tensor, TensorDecl};

/// Builds a [`Graph`] operator by operator; every method returns the (unique) tensor name.
///
/// ```
/// use vgforge_tosa::{Builder, DType, Op, Tensor};
/// let mut b = Builder::new("main");
/// let x = b.add_input("x", DType::Int32, &[1, 4]);
/// let y = b.add_const("y", Tensor::i32(vec![1, 4], vec![1, 2, 3, 4]).unwrap());
/// let s = b.add_op(Op::Add, &[&x, &y], DType::Int32, &[1, 4]);
/// b.set_outputs(&[&s]);
/// let g = b.finish();
/// assert_eq!(g.operators.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    graph: Graph,
    counter: usize,
    location: Option<String>,
}

impl Builder {
    /// Start an empty graph.
    pub fn new(name: &str) -> Builder {
        Builder { graph: Graph::new(name), counter: 0, location: None }
    }

    /// Location (layer name) attached to the operators added from now on; `None` clears it.
    pub fn set_location(&mut self, location: Option<&str>) {
        self.location = location.map(str::to_string);
    }

    fn unique(&mut self, base: &str) -> String {
        if !self.graph.tensors.contains_key(base) && !base.is_empty() {
            return base.to_string();
        }
        let stem = if base.is_empty() { "t" } else { base };
        loop {
            let cand = format!("{stem}_{}", self.counter);
            self.counter += 1;
            if !self.graph.tensors.contains_key(&cand) {
                return cand;
            }
        }
    }

    /// Declare a graph input.
    pub fn add_input(&mut self, name: &str, dtype: DType, shape: &[usize]) -> String {
        let name = self.unique(name);
        self.graph.tensors.insert(name.clone(), TensorDecl::variable(&name, dtype, shape.to_vec()));
        self.graph.inputs.push(name.clone());
        name
    }

    /// Add a CONST (or, for SHAPE tensors, CONST_SHAPE) operator producing `value`.
    pub fn add_const(&mut self, name: &str, value: Tensor) -> String {
        let name = self.unique(name);
        let op = if value.dtype == DType::Shape { Op::ConstShape } else { Op::Const };
        self.graph.tensors.insert(
            name.clone(),
            TensorDecl {
                name: name.clone(),
                dtype: value.dtype,
                shape: value.shape,
                data: Some(value.data),
            },
        );
        self.graph.operators.push(Operator {
            op,
            inputs: vec![],
            outputs: vec![name.clone()],
            location: self.location.clone(),
        });
        name
    }

    /// CONST_SHAPE of the given values.
    pub fn add_const_shape(&mut self, name: &str, values: &[i64]) -> String {
        self.add_const(name, Tensor::shape_values(values.to_vec()))
    }

    /// A `[1]`-shaped integer constant of `dtype` (zero points, MUL shift); values outside the
    /// type's range wrap, so callers pass in-range values.
    pub fn add_scalar_const(&mut self, name: &str, dtype: DType, value: i64) -> String {
        let data = match dtype {
            DType::Int8 => super::TensorData::I8(vec![value as i8]),
            DType::Int16 => super::TensorData::I16(vec![value as i16]),
            DType::Int32 => super::TensorData::I32(vec![value as i32]),
            DType::Int48 => super::TensorData::I64(vec![value]),
            DType::Fp32 => super::TensorData::F32(vec![value as f32]),
            DType::Fp16 => super::TensorData::F16(vec![half::f16::from_f64(value as f64)]),
            DType::Bool => super::TensorData::Bool(vec![value != 0]),
            _ => super::TensorData::zeros(dtype, 1),
        };
        self.add_const(name, Tensor { dtype, shape: vec![1], data })
    }

    /// Append `op` reading `inputs`, declaring its single output with `dtype` and `shape`.
    pub fn add_op(&mut self, op: Op, inputs: &[&str], dtype: DType, shape: &[usize]) -> String {
        let base = self.location.clone().unwrap_or_else(|| op.name().to_ascii_lowercase());
        let out = self.unique(&base);
        self.graph.tensors.insert(out.clone(), TensorDecl::variable(&out, dtype, shape.to_vec()));
        self.graph.operators.push(Operator {
            op,
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: vec![out.clone()],
            location: self.location.clone(),
        });
        out
    }

    /// Declare the graph outputs.
    pub fn set_outputs(&mut self, names: &[&str]) {
        self.graph.outputs = names.iter().map(|s| s.to_string()).collect();
    }

    /// Look at the graph built so far (e.g. to read a declared shape).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The finished graph (validate it with [`crate::validate()`]).
    pub fn finish(self) -> Graph {
        self.graph
    }
}
