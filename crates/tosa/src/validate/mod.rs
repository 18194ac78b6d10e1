//! Graph validation against the TOSA 1.0 ERROR_IF (and statically checkable REQUIRE) rules.
//!
//! [`validate`] first checks that the graph is well formed (every operand declared and defined
//! once, before use; constants carry matching data), then checks every operator: arity, ranks,
//! output shapes, the profile's type-support table, zero points and attribute ranges.

mod conv;
mod ctx;
mod elementwise;
mod misc;
mod pool;
mod rescale;
mod shape_ops;

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::ir::{DType, Graph, Op, checked_numel};
pub(crate) use ctx::Ctx;

/// Which TOSA profile(s) a graph must conform to.
///
/// PRO-INT includes EXT-INT16, EXT-INT4 (weights), EXT-DOUBLEROUND and EXT-INEXACTROUND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// PRO-INT: integer operators.
    ProInt,
    /// PRO-FP: fp16 and fp32 operators.
    ProFp,
    /// The union of both profiles.
    Both,
}

impl Profile {
    /// Whether integer type combinations are allowed.
    pub fn int(self) -> bool {
        matches!(self, Profile::ProInt | Profile::Both)
    }

    /// Whether floating-point type combinations are allowed.
    pub fn fp(self) -> bool {
        matches!(self, Profile::ProFp | Profile::Both)
    }
}

/// Check `graph` against the specification for `profile`.
///
/// The first violation is returned; its message names the operator (with its location), the
/// operand and the rule.
pub fn validate(graph: &Graph, profile: Profile) -> Result<()> {
    check_structure(graph)?;
    for op in &graph.operators {
        let c = Ctx::new(graph, op, profile);
        check_op(&c)?;
    }
    Ok(())
}

/// Largest tensor rank (`max_rank` of level 8K).
const MAX_RANK: usize = 6;

/// Largest element count of one tensor (`2^max_log2_size` of level 8K).
const MAX_ELEMENTS: usize = 1 << 31;

fn graph_err(g: &Graph, message: String) -> Error {
    Error::Graph { graph: g.name.clone(), message }
}

fn check_structure(g: &Graph) -> Result<()> {
    for (key, d) in &g.tensors {
        if key != &d.name {
            return Err(graph_err(g, format!("tensor stored as '{key}' is named '{}'", d.name)));
        }
        let n = checked_numel(&d.shape).ok_or_else(|| {
            graph_err(g, format!("tensor '{key}': shape {:?} overflows", d.shape))
        })?;
        // Level 8K's max_log2_size: it also bounds what the interpreter allocates.
        if n > MAX_ELEMENTS {
            return Err(graph_err(
                g,
                format!("tensor '{key}': {n} elements exceed the level limit 2^31 (LEVEL 8K)"),
            ));
        }
        if d.shape.len() > MAX_RANK {
            return Err(graph_err(
                g,
                format!(
                    "tensor '{key}': rank {} exceeds the level limit {MAX_RANK} (LEVEL 8K)",
                    d.shape.len()
                ),
            ));
        }
        // An empty shape_t (the shape operand of a reshape to rank 0) is the one legal zero.
        if d.shape.contains(&0) && d.dtype != DType::Shape {
            return Err(graph_err(
                g,
                format!("tensor '{key}': shape {:?} has a zero dimension", d.shape),
            ));
        }
        if let Some(data) = &d.data {
            if !data.matches(d.dtype) {
                return Err(graph_err(
                    g,
                    format!(
                        "tensor '{key}': {} data does not hold {} values",
                        data.kind(),
                        d.dtype
                    ),
                ));
            }
            if data.len() != n {
                return Err(graph_err(
                    g,
                    format!(
                        "tensor '{key}': shape {:?} needs {n} elements, data has {}",
                        d.shape,
                        data.len()
                    ),
                ));
            }
        }
        if d.dtype == DType::Shape && d.shape.len() != 1 {
            return Err(graph_err(g, format!("shape tensor '{key}' must have rank 1")));
        }
    }
    let mut defined: HashSet<&str> = HashSet::new();
    for name in &g.inputs {
        let d = g
            .tensor(name)
            .ok_or_else(|| graph_err(g, format!("graph input '{name}' is not declared")))?;
        if d.data.is_some() {
            return Err(graph_err(g, format!("graph input '{name}' must not carry data")));
        }
        if !defined.insert(name) {
            return Err(graph_err(g, format!("graph input '{name}' is listed twice")));
        }
    }
    for op in &g.operators {
        for name in &op.inputs {
            if g.tensor(name).is_none() {
                return Err(graph_err(
                    g,
                    format!("{}: operand '{name}' is not declared", op.describe()),
                ));
            }
            if !defined.contains(name.as_str()) {
                return Err(graph_err(
                    g,
                    format!("{}: operand '{name}' is used before it is defined", op.describe()),
                ));
            }
        }
        if op.outputs.len() != 1 {
            return Err(graph_err(
                g,
                format!("{}: expected 1 output, found {}", op.describe(), op.outputs.len()),
            ));
        }
        for name in &op.outputs {
            let d = g.tensor(name).ok_or_else(|| {
                graph_err(g, format!("{}: output '{name}' is not declared", op.describe()))
            })?;
            if !defined.insert(name) {
                return Err(graph_err(
                    g,
                    format!("{}: output '{name}' is defined more than once", op.describe()),
                ));
            }
            let is_const = matches!(op.op, Op::Const | Op::ConstShape);
            if is_const && d.data.is_none() {
                return Err(graph_err(
                    g,
                    format!("{}: constant '{name}' has no data", op.describe()),
                ));
            }
            if !is_const && d.data.is_some() {
                return Err(graph_err(
                    g,
                    format!("{}: computed tensor '{name}' must not carry data", op.describe()),
                ));
            }
        }
    }
    if g.outputs.is_empty() {
        return Err(graph_err(g, "graph has no outputs".into()));
    }
    for name in &g.outputs {
        if !defined.contains(name.as_str()) {
            return Err(graph_err(g, format!("graph output '{name}' is never defined")));
        }
    }
    Ok(())
}

fn check_op(c: &Ctx) -> Result<()> {
    c.check_arity()?;
    c.check_ctc()?;
    match &c.op.op {
        Op::Const => misc::check_const(c),
        Op::ConstShape => misc::check_const_shape(c),
        Op::Conv2d { .. } | Op::DepthwiseConv2d { .. } | Op::TransposeConv2d { .. } => {
            conv::check(c)
        }
        Op::MatMul => conv::check_matmul(c),
        Op::MaxPool2d { .. } | Op::AvgPool2d { .. } => pool::check(c),
        Op::Rescale { .. } => rescale::check(c),
        Op::Clamp { .. } => elementwise::check_clamp(c),
        Op::Add | Op::Sub | Op::Maximum { .. } | Op::Minimum { .. } | Op::Mul => {
            elementwise::check_binary(c)
        }
        Op::Sigmoid | Op::Tanh | Op::Exp | Op::Reciprocal => elementwise::check_unary_fp(c),
        Op::Identity => elementwise::check_identity(c),
        Op::Cast => elementwise::check_cast(c),
        Op::Table => misc::check_table(c),
        Op::ReduceSum { .. } | Op::ReduceMax { .. } | Op::ArgMax { .. } => misc::check_reduce(c),
        Op::Resize { .. } => misc::check_resize(c),
        Op::Reshape => shape_ops::check_reshape(c),
        Op::Transpose { .. } => shape_ops::check_transpose(c),
        Op::Pad => shape_ops::check_pad(c),
        Op::Concat { .. } => shape_ops::check_concat(c),
        Op::Slice => shape_ops::check_slice(c),
    }
}

#[cfg(test)]
mod tests;
