//! The TOSA 1.0 intermediate representation, mirroring the serialized (`tosa.fbs`) form.
//!
//! A [`Graph`] is one basic block: named [`TensorDecl`]s plus an ordered list of [`Operator`]s
//! wired by tensor name. Attributes live in [`Op`]; every tensor operand of the specification
//! (zero points, RESCALE multiplier/shift, MUL shift, `shape_t` operands, TABLE table) is an
//! operator input in spec order, normally fed by a CONST or CONST_SHAPE operator.
//! Layouts are NHWC for activations, OHWI for CONV2D/TRANSPOSE_CONV2D weights and HWCM for
//! DEPTHWISE_CONV2D weights.

mod builder;
mod data;
mod display;
mod dtype;
mod graph;
mod op;

pub use builder::Builder;
pub use data::{Scalar, Tensor, TensorData, checked_numel};
pub use dtype::{DType, NanMode, ResizeMode, RoundingMode};
pub use graph::{Graph, Operator, TensorDecl};
pub use op::Op;
