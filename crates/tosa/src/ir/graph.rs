//! The graph: tensor declarations plus an ordered operator list wired by tensor name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DType, Op, Tensor, TensorData};

/// A declared tensor: graph input, intermediate, output or constant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorDecl {
    /// Unique name (SSA value).
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Value of a constant (output of CONST / CONST_SHAPE); `None` for variable tensors.
    pub data: Option<TensorData>,
}

impl TensorDecl {
    /// Declaration of a non-constant tensor.
    pub fn variable(name: impl Into<String>, dtype: DType, shape: Vec<usize>) -> TensorDecl {
        TensorDecl { name: name.into(), dtype, shape, data: None }
    }

    /// The constant value as a [`Tensor`], if any.
    pub fn constant(&self) -> Option<Tensor> {
        self.data.as_ref().map(|d| Tensor {
            dtype: self.dtype,
            shape: self.shape.clone(),
            data: d.clone(),
        })
    }
}

/// One operator instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operator {
    /// The operator and its attributes.
    pub op: Op,
    /// Operand tensor names, in the specification's order (see [`Op`]).
    pub inputs: Vec<String>,
    /// Result tensor names (one for every supported operator).
    pub outputs: Vec<String>,
    /// Source layer name, used in error messages.
    pub location: Option<String>,
}

impl Operator {
    /// `CONV2D 'conv1'`, or just `CONV2D` without a location: the prefix of every message.
    pub fn describe(&self) -> String {
        match &self.location {
            Some(l) => format!("{} '{l}'", self.op.name()),
            None => match self.outputs.first() {
                Some(o) => format!("{} -> '{o}'", self.op.name()),
                None => self.op.name().to_string(),
            },
        }
    }
}

/// A TOSA 1.0 graph: one region with one basic block, as in a `.tosa` file.
///
/// Conventions (those of TOSA 1.0):
/// * activations are NHWC; CONV2D and TRANSPOSE_CONV2D weights are OHWI, DEPTHWISE_CONV2D
///   weights are HWCM (output channel `c*M + m`);
/// * operator inputs follow the specification's argument order, zero points, RESCALE
///   multiplier/shift, MUL shift, TABLE table and all `shape_t` operands included; such
///   compile-time constants are outputs of CONST or CONST_SHAPE operators whose data sits in
///   the output tensor's declaration;
/// * operators are listed in execution order; every operand is defined before its use.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Graph {
    /// Graph (block) name, `main` by default.
    pub name: String,
    /// Names of the graph inputs, in order.
    pub inputs: Vec<String>,
    /// Names of the graph outputs, in order.
    pub outputs: Vec<String>,
    /// Every tensor, by name.
    pub tensors: BTreeMap<String, TensorDecl>,
    /// Operators in execution order.
    pub operators: Vec<Operator>,
}

impl Graph {
    /// An empty graph.
    pub fn new(name: impl Into<String>) -> Graph {
        Graph { name: name.into(), ..Graph::default() }
    }

    /// Look a tensor up by name.
    pub fn tensor(&self, name: &str) -> Option<&TensorDecl> {
        self.tensors.get(name)
    }

    /// The operator producing `name`, if any.
    pub fn producer(&self, name: &str) -> Option<&Operator> {
        self.operators.iter().find(|o| o.outputs.iter().any(|n| n == name))
    }

    /// Declarations of the graph inputs (skipping undeclared names).
    pub fn input_decls(&self) -> Vec<&TensorDecl> {
        self.inputs.iter().filter_map(|n| self.tensors.get(n)).collect()
    }

    /// Declarations of the graph outputs (skipping undeclared names).
    pub fn output_decls(&self) -> Vec<&TensorDecl> {
        self.outputs.iter().filter_map(|n| self.tensors.get(n)).collect()
    }

    /// Number of operators excluding CONST and CONST_SHAPE.
    pub fn compute_op_count(&self) -> usize {
        self.operators.iter().filter(|o| !matches!(o.op, Op::Const | Op::ConstShape)).count()
    }
}
