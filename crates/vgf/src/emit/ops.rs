//! One TOSA operator → the operands of its `OpExtInst` (attributes first, then tensors, in the
//! order of the TOSA.001000.1 grammar).

use vgforge_tosa::{DType, Op, Operator, Scalar};

use super::{Ctx, Elem};
use crate::error::Error;
use crate::spirv::tosa_ext;

pub(crate) enum OpError {
    Graph(Error),
    Unsupported(String),
}

impl From<Error> for OpError {
    fn from(e: Error) -> Self {
        Self::Graph(e)
    }
}

/// The accumulator type as the TOSA.001000.1 `acc_type` enum (spec values).
fn acc_type(t: DType) -> Result<u32, OpError> {
    Ok(match t {
        DType::Int32 => 1,
        DType::Fp16 => 2,
        DType::Fp32 => 3,
        DType::Int48 => 4,
        other => {
            return Err(OpError::Unsupported(format!(
                "accumulator type {other} has no acc_type value"
            )));
        }
    })
}

fn i32_vec(cx: &mut Ctx<'_>, v: &[i32]) -> Result<u32, OpError> {
    if v.is_empty() || v.len() > super::MAX_COMPOSITE_PARTS {
        return Err(OpError::Unsupported(format!(
            "an attribute array of {} values cannot be encoded",
            v.len()
        )));
    }
    let bits: Vec<u64> = v.iter().map(|&x| u64::from(x as u32)).collect();
    Ok(cx.b.tensor_const(Elem::Int(32), &[v.len() as u32], &bits))
}

fn scalar(cx: &mut Ctx<'_>, s: Scalar) -> Result<u32, OpError> {
    let (elem, bits) = match s {
        Scalar::I8(v) => (Elem::Int(8), u64::from(v as u8)),
        Scalar::I16(v) => (Elem::Int(16), u64::from(v as u16)),
        Scalar::I32(v) => (Elem::Int(32), u64::from(v as u32)),
        Scalar::F16(v) => (Elem::Float(16), u64::from(v.to_bits())),
        Scalar::F32(v) => (Elem::Float(32), u64::from(v.to_bits())),
        Scalar::Bf16(_) => {
            return Err(OpError::Unsupported("bf16 clamp bounds are not supported".into()));
        }
    };
    Ok(cx.b.scalar(elem, bits))
}

pub(crate) fn encode<'g>(cx: &mut Ctx<'g>, o: &'g Operator) -> Result<(u32, Vec<u32>), OpError> {
    let expected = o.op.operand_names().len();
    let variadic = matches!(o.op, Op::Concat { .. });
    if (variadic && o.inputs.is_empty()) || (!variadic && o.inputs.len() != expected) {
        return Err(OpError::Unsupported(format!(
            "takes {}{expected} operands ({}), got {}",
            if variadic { "at least " } else { "" },
            o.op.operand_names().join(", "),
            o.inputs.len()
        )));
    }
    if o.inputs.len() > super::MAX_COMPOSITE_PARTS {
        return Err(OpError::Unsupported(format!(
            "{} operands do not fit one instruction",
            o.inputs.len()
        )));
    }
    let number = tosa_ext::number(o.op.name())
        .ok_or_else(|| OpError::Unsupported("has no TOSA.001000.1 instruction".into()))?;
    let mut a: Vec<u32> = Vec::new();
    match &o.op {
        Op::Conv2d { pad, stride, dilation, local_bound, acc_type: acc }
        | Op::DepthwiseConv2d { pad, stride, dilation, local_bound, acc_type: acc } => {
            a.push(i32_vec(cx, pad)?);
            a.push(i32_vec(cx, stride)?);
            a.push(i32_vec(cx, dilation)?);
            a.push(cx.b.uint(acc_type(*acc)?));
            a.push(cx.b.bool_const(*local_bound));
        }
        Op::TransposeConv2d { out_pad, stride, local_bound, acc_type: acc } => {
            a.push(i32_vec(cx, out_pad)?);
            a.push(i32_vec(cx, stride)?);
            a.push(cx.b.uint(acc_type(*acc)?));
            a.push(cx.b.bool_const(*local_bound));
        }
        Op::MaxPool2d { kernel, stride, pad, nan_mode } => {
            a.push(i32_vec(cx, kernel)?);
            a.push(i32_vec(cx, stride)?);
            a.push(i32_vec(cx, pad)?);
            a.push(cx.b.uint(nan_mode.to_fbs()));
        }
        Op::AvgPool2d { kernel, stride, pad, acc_type: acc } => {
            a.push(i32_vec(cx, kernel)?);
            a.push(i32_vec(cx, stride)?);
            a.push(i32_vec(cx, pad)?);
            a.push(cx.b.uint(acc_type(*acc)?));
        }
        Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned } => {
            a.push(cx.b.bool_const(*scale32));
            a.push(cx.b.uint(rounding_mode.to_fbs()));
            a.push(cx.b.bool_const(*per_channel));
            a.push(cx.b.bool_const(*input_unsigned));
            a.push(cx.b.bool_const(*output_unsigned));
        }
        Op::Clamp { min_val, max_val, nan_mode } => {
            a.push(scalar(cx, *min_val)?);
            a.push(scalar(cx, *max_val)?);
            a.push(cx.b.uint(nan_mode.to_fbs()));
        }
        Op::Maximum { nan_mode } | Op::Minimum { nan_mode } => a.push(cx.b.uint(nan_mode.to_fbs())),
        Op::Resize { mode } => a.push(cx.b.uint(mode.to_fbs())),
        Op::Transpose { perms } => a.push(i32_vec(cx, perms)?),
        Op::Concat { axis } | Op::ReduceSum { axis } => a.push(cx.b.uint(*axis as u32)),
        Op::ReduceMax { axis, nan_mode } | Op::ArgMax { axis, nan_mode } => {
            a.push(cx.b.uint(*axis as u32));
            a.push(cx.b.uint(nan_mode.to_fbs()));
        }
        Op::MatMul
        | Op::Add
        | Op::Sub
        | Op::Mul
        | Op::Reshape
        | Op::Pad
        | Op::Slice
        | Op::Cast
        | Op::Table
        | Op::Sigmoid
        | Op::Tanh
        | Op::Exp
        | Op::Reciprocal => {}
        Op::Const | Op::ConstShape | Op::Identity => {
            return Err(OpError::Unsupported("is not an instruction of TOSA.001000.1".into()));
        }
        #[allow(unreachable_patterns)]
        _ => {
            return Err(OpError::Unsupported("is not supported by the spir-v graph writer".into()));
        }
    }
    let ctc = o.op.ctc_operands();
    for (k, name) in o.inputs.iter().enumerate() {
        let id = cx.operand(name, ctc.contains(&k) && is_small_ctc(&o.op, k))?;
        a.push(id);
    }
    Ok((number, a))
}

/// Compile-time-constant operands that must stay inline: zero points, MUL shift and shape
/// operands. RESCALE multiplier/shift and TABLE may go out as graph constants, as
/// model-converter does with per-channel RESCALE vectors.
fn is_small_ctc(op: &Op, k: usize) -> bool {
    !matches!((op, k), (Op::Rescale { .. }, 1 | 2) | (Op::Table, 1))
}
