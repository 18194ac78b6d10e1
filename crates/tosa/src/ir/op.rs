//! The operator enum: one variant per supported TOSA 1.0 operator, carrying its attributes.

use serde::{Deserialize, Serialize};

use super::{DType, NanMode, ResizeMode, RoundingMode, Scalar};

/// A TOSA 1.0 operator with its ATTRIBUTES (as in `tosa.fbs`).
///
/// Tensor operands are not stored here: they are the [`Operator`](super::Operator)'s inputs, in the
/// specification's order, which each variant documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// `[] -> out`; the value is the output tensor's declared data.
    Const,
    /// `[] -> shape_t`; the value is the output tensor's declared data (SHAPE, i64).
    ConstShape,
    /// `[input, weight(OHWI), bias, input_zp, weight_zp]`.
    Conv2d {
        /// `[top, bottom, left, right]`.
        pad: [i32; 4],
        /// `[y, x]`.
        stride: [i32; 2],
        /// `[y, x]`.
        dilation: [i32; 2],
        /// Floating-point compliance hint only.
        local_bound: bool,
        /// Accumulator type (INT32, INT48, FP16, FP32).
        acc_type: DType,
    },
    /// `[input, weight(HWCM), bias, input_zp, weight_zp]`.
    DepthwiseConv2d {
        /// `[top, bottom, left, right]`.
        pad: [i32; 4],
        /// `[y, x]`.
        stride: [i32; 2],
        /// `[y, x]`.
        dilation: [i32; 2],
        /// Floating-point compliance hint only.
        local_bound: bool,
        /// Accumulator type.
        acc_type: DType,
    },
    /// `[input, weight(OHWI), bias, input_zp, weight_zp]`.
    TransposeConv2d {
        /// `[top, bottom, left, right]`, may be negative (> -kernel).
        out_pad: [i32; 4],
        /// `[y, x]`.
        stride: [i32; 2],
        /// Floating-point compliance hint only.
        local_bound: bool,
        /// Accumulator type.
        acc_type: DType,
    },
    /// `[input]`.
    MaxPool2d {
        /// `[y, x]`.
        kernel: [i32; 2],
        /// `[y, x]`.
        stride: [i32; 2],
        /// `[top, bottom, left, right]`.
        pad: [i32; 4],
        /// NaN handling.
        nan_mode: NanMode,
    },
    /// `[input, input_zp, output_zp]`.
    AvgPool2d {
        /// `[y, x]`.
        kernel: [i32; 2],
        /// `[y, x]`.
        stride: [i32; 2],
        /// `[top, bottom, left, right]`.
        pad: [i32; 4],
        /// Accumulator type (INT32 for integer inputs).
        acc_type: DType,
    },
    /// `[A, B, A_zp, B_zp]`.
    MatMul,
    /// `[input, multiplier, shift, input_zp, output_zp]`.
    Rescale {
        /// Multiplier is i32 (true) or i16 (false).
        scale32: bool,
        /// Rounding of apply_scale.
        rounding_mode: RoundingMode,
        /// One multiplier/shift per innermost channel.
        per_channel: bool,
        /// Treat the input (i8/i16) as unsigned.
        input_unsigned: bool,
        /// Produce unsigned output (i8/i16).
        output_unsigned: bool,
    },
    /// `[input]`.
    Clamp {
        /// Lower bound, of the input's type.
        min_val: Scalar,
        /// Upper bound, of the input's type.
        max_val: Scalar,
        /// NaN handling.
        nan_mode: NanMode,
    },
    /// `[input1, input2]`.
    Add,
    /// `[input1, input2]`.
    Sub,
    /// `[input1, input2, shift(i8[1])]`.
    Mul,
    /// `[input1, input2]`.
    Maximum {
        /// NaN handling.
        nan_mode: NanMode,
    },
    /// `[input1, input2]`.
    Minimum {
        /// NaN handling.
        nan_mode: NanMode,
    },
    /// `[input, scale(shape[4]), offset(shape[2]), border(shape[2])]`.
    Resize {
        /// Interpolation.
        mode: ResizeMode,
    },
    /// `[input1, shape]`.
    Reshape,
    /// `[input1]`.
    Transpose {
        /// Output dimension `i` is input dimension `perms[i]`.
        perms: Vec<i32>,
    },
    /// `[input1, padding(shape[2*rank]), pad_const([1])]`.
    Pad,
    /// `[input1, input2, ...]` (the spec's tensor list).
    Concat {
        /// Concatenation axis.
        axis: i32,
    },
    /// `[input1, start(shape), size(shape)]`.
    Slice,
    /// `[input]`.
    Cast,
    /// `[input1, table]`.
    Table,
    /// `[input]`.
    ReduceSum {
        /// Reduced axis (kept with size 1).
        axis: i32,
    },
    /// `[input]`.
    ReduceMax {
        /// Reduced axis (kept with size 1).
        axis: i32,
        /// NaN handling.
        nan_mode: NanMode,
    },
    /// `[input]`; the output drops `axis`.
    ArgMax {
        /// Searched axis.
        axis: i32,
        /// NaN handling.
        nan_mode: NanMode,
    },
    /// `[input]`.
    Sigmoid,
    /// `[input]`.
    Tanh,
    /// `[input1]`.
    Exp,
    /// `[input1]`.
    Reciprocal,
    /// `[input1]`.
    Identity,
}

impl Op {
    /// The specification's name, e.g. `"CONV2D"`. Stable: used in messages and text dumps.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Const => "CONST",
            Op::ConstShape => "CONST_SHAPE",
            Op::Conv2d { .. } => "CONV2D",
            Op::DepthwiseConv2d { .. } => "DEPTHWISE_CONV2D",
            Op::TransposeConv2d { .. } => "TRANSPOSE_CONV2D",
            Op::MaxPool2d { .. } => "MAX_POOL2D",
            Op::AvgPool2d { .. } => "AVG_POOL2D",
            Op::MatMul => "MATMUL",
            Op::Rescale { .. } => "RESCALE",
            Op::Clamp { .. } => "CLAMP",
            Op::Add => "ADD",
            Op::Sub => "SUB",
            Op::Mul => "MUL",
            Op::Maximum { .. } => "MAXIMUM",
            Op::Minimum { .. } => "MINIMUM",
            Op::Resize { .. } => "RESIZE",
            Op::Reshape => "RESHAPE",
            Op::Transpose { .. } => "TRANSPOSE",
            Op::Pad => "PAD",
            Op::Concat { .. } => "CONCAT",
            Op::Slice => "SLICE",
            Op::Cast => "CAST",
            Op::Table => "TABLE",
            Op::ReduceSum { .. } => "REDUCE_SUM",
            Op::ReduceMax { .. } => "REDUCE_MAX",
            Op::ArgMax { .. } => "ARGMAX",
            Op::Sigmoid => "SIGMOID",
            Op::Tanh => "TANH",
            Op::Exp => "EXP",
            Op::Reciprocal => "RECIPROCAL",
            Op::Identity => "IDENTITY",
        }
    }

    /// Value of this operator in the `Op` enum of `tosa.fbs` (also its `Attribute` union index).
    pub fn fbs_code(&self) -> u32 {
        match self {
            Op::ArgMax { .. } => 1,
            Op::AvgPool2d { .. } => 2,
            Op::Conv2d { .. } => 3,
            Op::DepthwiseConv2d { .. } => 5,
            Op::MatMul => 7,
            Op::MaxPool2d { .. } => 8,
            Op::TransposeConv2d { .. } => 10,
            Op::Clamp { .. } => 11,
            Op::Sigmoid => 13,
            Op::Tanh => 14,
            Op::Add => 15,
            Op::Maximum { .. } => 26,
            Op::Minimum { .. } => 27,
            Op::Mul => 28,
            Op::Sub => 30,
            Op::Table => 31,
            Op::Exp => 37,
            Op::Reciprocal => 42,
            Op::ReduceMax { .. } => 51,
            Op::ReduceSum { .. } => 54,
            Op::Concat { .. } => 55,
            Op::Pad => 56,
            Op::Reshape => 57,
            Op::Slice => 59,
            Op::Transpose { .. } => 61,
            Op::Resize { .. } => 64,
            Op::Cast => 65,
            Op::Rescale { .. } => 66,
            Op::Const => 67,
            Op::Identity => 68,
            Op::ConstShape => 75,
        }
    }

    /// Names of the tensor operands in spec order (CONCAT: one name for the whole list).
    pub fn operand_names(&self) -> &'static [&'static str] {
        match self {
            Op::Const | Op::ConstShape => &[],
            Op::Conv2d { .. } | Op::DepthwiseConv2d { .. } | Op::TransposeConv2d { .. } => {
                &["input", "weight", "bias", "input_zp", "weight_zp"]
            }
            Op::MaxPool2d { .. } => &["input"],
            Op::AvgPool2d { .. } => &["input", "input_zp", "output_zp"],
            Op::MatMul => &["A", "B", "A_zp", "B_zp"],
            Op::Rescale { .. } => &["input", "multiplier", "shift", "input_zp", "output_zp"],
            Op::Clamp { .. } | Op::Cast | Op::Sigmoid | Op::Tanh => &["input"],
            Op::ReduceSum { .. } | Op::ReduceMax { .. } | Op::ArgMax { .. } => &["input"],
            Op::Add | Op::Sub | Op::Maximum { .. } | Op::Minimum { .. } => &["input1", "input2"],
            Op::Mul => &["input1", "input2", "shift"],
            Op::Resize { .. } => &["input", "scale", "offset", "border"],
            Op::Reshape => &["input1", "shape"],
            Op::Transpose { .. } | Op::Exp | Op::Reciprocal | Op::Identity => &["input1"],
            Op::Pad => &["input1", "padding", "pad_const"],
            Op::Concat { .. } => &["input1"],
            Op::Slice => &["input1", "start", "size"],
            Op::Table => &["input1", "table"],
        }
    }

    /// Indices of operands that must be compile-time constants (CONST or CONST_SHAPE outputs).
    pub fn ctc_operands(&self) -> &'static [usize] {
        match self {
            Op::Conv2d { .. } | Op::DepthwiseConv2d { .. } | Op::TransposeConv2d { .. } => &[3, 4],
            Op::AvgPool2d { .. } => &[1, 2],
            Op::MatMul => &[2, 3],
            Op::Rescale { .. } => &[1, 2, 3, 4],
            Op::Mul => &[2],
            Op::Resize { .. } => &[1, 2, 3],
            Op::Reshape | Op::Table => &[1],
            Op::Pad | Op::Slice => &[1, 2],
            _ => &[],
        }
    }
}
