//! [`Op`] <-> (`Op` code, `Attribute` union) mapping, attribute by attribute.

use super::schema::{AttrValue, Attribute, op_name};
use crate::ir::{DType, NanMode, Op, ResizeMode, RoundingMode, Scalar};

/// Reads the fields of one attribute table by position; errors are plain messages that the
/// caller prefixes with the operator's location.
struct Fields<'a> {
    attr: &'a Attribute,
    table: &'static str,
}

impl Fields<'_> {
    fn get(&self, i: usize, name: &str) -> Result<&AttrValue, String> {
        self.attr.fields.get(i).ok_or_else(|| format!("{}.{name}: missing field", self.table))
    }

    fn i32(&self, i: usize, name: &str) -> Result<i32, String> {
        match self.get(i, name)? {
            AttrValue::I32(v) => Ok(*v),
            other => Err(format!("{}.{name}: expected int32, found {other:?}", self.table)),
        }
    }

    fn u32(&self, i: usize, name: &str) -> Result<u32, String> {
        match self.get(i, name)? {
            AttrValue::U32(v) => Ok(*v),
            other => Err(format!("{}.{name}: expected enum, found {other:?}", self.table)),
        }
    }

    fn bool(&self, i: usize, name: &str) -> Result<bool, String> {
        match self.get(i, name)? {
            AttrValue::Bool(v) => Ok(*v),
            other => Err(format!("{}.{name}: expected bool, found {other:?}", self.table)),
        }
    }

    fn bytes(&self, i: usize, name: &str) -> Result<&[u8], String> {
        match self.get(i, name)? {
            AttrValue::Bytes(v) => Ok(v),
            other => Err(format!("{}.{name}: expected [ubyte], found {other:?}", self.table)),
        }
    }

    fn i32s(&self, i: usize, name: &str) -> Result<&[i32], String> {
        match self.get(i, name)? {
            AttrValue::I32s(v) => Ok(v),
            other => Err(format!("{}.{name}: expected [int32], found {other:?}", self.table)),
        }
    }

    fn array<const N: usize>(&self, i: usize, name: &str) -> Result<[i32; N], String> {
        let v = self.i32s(i, name)?;
        v.try_into()
            .map_err(|_| format!("{}.{name}: has {} values, expected {N}", self.table, v.len()))
    }

    fn dtype(&self, i: usize, name: &str) -> Result<DType, String> {
        let v = self.u32(i, name)?;
        DType::from_fbs(v)
            .ok_or_else(|| format!("{}.{name}: unsupported DType value {v}", self.table))
    }

    /// NaN mode; UNKNOWN (0, the value of an absent field) reads as PROPAGATE, the mode
    /// the specification uses when none is given.
    fn nan_mode(&self, i: usize) -> Result<NanMode, String> {
        match self.u32(i, "nan_mode")? {
            0 => Ok(NanMode::Propagate),
            v => NanMode::from_fbs(v)
                .ok_or_else(|| format!("{}.nan_mode: unknown NanPropagationMode {v}", self.table)),
        }
    }

    fn scalar(&self, i: usize, name: &str, dtype: DType) -> Result<Scalar, String> {
        let b = self.bytes(i, name)?;
        Scalar::from_le_bytes(dtype, b).map_err(|e| format!("{}.{name}: {e}", self.table))
    }
}

/// Maps op code `code` with attribute `attr` to an IR [`Op`]. `input_dtype` is the type of
/// the first operand (CLAMP needs it to decode `min_val`/`max_val`).
pub(crate) fn op_from_fbs(
    code: u32,
    attr: &Attribute,
    input_dtype: Option<DType>,
) -> Result<Op, String> {
    let Some(name) = op_name(code) else {
        return Err(format!("unknown op code {code}"));
    };
    if attr.kind != 0 && u32::from(attr.kind) != code {
        let other = op_name(u32::from(attr.kind)).unwrap_or("?");
        return Err(format!(
            "{name}: attribute type {} ({other}) does not belong to this op",
            attr.kind
        ));
    }
    // A NONE union (some writers emit it for attribute-less ops) reads as all defaults.
    let defaults;
    let attr = if attr.kind == 0 {
        defaults = Attribute::default_for(code as u8);
        &defaults
    } else {
        attr
    };
    let table = super::schema::desc(code).map_or("Attribute", |d| d.table);
    let f = Fields { attr, table };
    let op = match name {
        "CONST" => Op::Const,
        "CONST_SHAPE" => Op::ConstShape,
        "CONV2D" | "DEPTHWISE_CONV2D" => {
            let (pad, stride, dilation) =
                (f.array(0, "pad")?, f.array(1, "stride")?, f.array(2, "dilation")?);
            let (local_bound, acc_type) = (f.bool(3, "local_bound")?, f.dtype(4, "acc_type")?);
            if name == "CONV2D" {
                Op::Conv2d { pad, stride, dilation, local_bound, acc_type }
            } else {
                Op::DepthwiseConv2d { pad, stride, dilation, local_bound, acc_type }
            }
        }
        "TRANSPOSE_CONV2D" => Op::TransposeConv2d {
            out_pad: f.array(0, "out_pad")?,
            stride: f.array(1, "stride")?,
            local_bound: f.bool(2, "local_bound")?,
            acc_type: f.dtype(3, "acc_type")?,
        },
        "MAX_POOL2D" => Op::MaxPool2d {
            kernel: f.array(0, "kernel")?,
            stride: f.array(1, "stride")?,
            pad: f.array(2, "pad")?,
            nan_mode: f.nan_mode(3)?,
        },
        "AVG_POOL2D" => Op::AvgPool2d {
            kernel: f.array(0, "kernel")?,
            stride: f.array(1, "stride")?,
            pad: f.array(2, "pad")?,
            acc_type: f.dtype(3, "acc_type")?,
        },
        "MATMUL" => Op::MatMul,
        "RESCALE" => {
            let rm = f.u32(1, "rounding_mode")?;
            Op::Rescale {
                scale32: f.bool(0, "scale32")?,
                rounding_mode: RoundingMode::from_fbs(rm)
                    .ok_or_else(|| format!("{table}.rounding_mode: unknown RoundingMode {rm}"))?,
                per_channel: f.bool(2, "per_channel")?,
                input_unsigned: f.bool(3, "input_unsigned")?,
                output_unsigned: f.bool(4, "output_unsigned")?,
            }
        }
        "CLAMP" => {
            let dtype =
                input_dtype.ok_or_else(|| "CLAMP: the input tensor is not declared".to_string())?;
            Op::Clamp {
                min_val: f.scalar(0, "min_val", dtype)?,
                max_val: f.scalar(1, "max_val", dtype)?,
                nan_mode: f.nan_mode(2)?,
            }
        }
        "ADD" => Op::Add,
        "SUB" => Op::Sub,
        "MUL" => Op::Mul,
        "MAXIMUM" => Op::Maximum { nan_mode: f.nan_mode(0)? },
        "MINIMUM" => Op::Minimum { nan_mode: f.nan_mode(0)? },
        "RESIZE" => {
            let m = f.u32(0, "mode")?;
            Op::Resize {
                mode: ResizeMode::from_fbs(m)
                    .ok_or_else(|| format!("{table}.mode: unknown ResizeMode {m}"))?,
            }
        }
        "RESHAPE" => Op::Reshape,
        "TRANSPOSE" => Op::Transpose { perms: f.i32s(0, "perms")?.to_vec() },
        "PAD" => Op::Pad,
        "CONCAT" => Op::Concat { axis: f.i32(0, "axis")? },
        "SLICE" => Op::Slice,
        "CAST" => Op::Cast,
        "TABLE" => Op::Table,
        "REDUCE_SUM" => Op::ReduceSum { axis: f.i32(0, "axis")? },
        "REDUCE_MAX" => Op::ReduceMax { axis: f.i32(0, "axis")?, nan_mode: f.nan_mode(1)? },
        "ARGMAX" => Op::ArgMax { axis: f.i32(0, "axis")?, nan_mode: f.nan_mode(1)? },
        "SIGMOID" => Op::Sigmoid,
        "TANH" => Op::Tanh,
        "EXP" => Op::Exp,
        "RECIPROCAL" => Op::Reciprocal,
        "IDENTITY" => Op::Identity,
        _ => return Err(format!("unsupported op {name} (code {code})")),
    };
    debug_assert_eq!(op.fbs_code(), code);
    Ok(op)
}

/// The attribute union value of `op` (its type index is the op code).
pub(crate) fn op_to_fbs(op: &Op) -> Attribute {
    use AttrValue::{Bool, Bytes, I32, I32s, U32};
    let fields = match op {
        Op::Conv2d { pad, stride, dilation, local_bound, acc_type }
        | Op::DepthwiseConv2d { pad, stride, dilation, local_bound, acc_type } => vec![
            I32s(pad.to_vec()),
            I32s(stride.to_vec()),
            I32s(dilation.to_vec()),
            Bool(*local_bound),
            U32(acc_type.to_fbs()),
        ],
        Op::TransposeConv2d { out_pad, stride, local_bound, acc_type } => vec![
            I32s(out_pad.to_vec()),
            I32s(stride.to_vec()),
            Bool(*local_bound),
            U32(acc_type.to_fbs()),
        ],
        Op::MaxPool2d { kernel, stride, pad, nan_mode } => vec![
            I32s(kernel.to_vec()),
            I32s(stride.to_vec()),
            I32s(pad.to_vec()),
            U32(nan_mode.to_fbs()),
        ],
        Op::AvgPool2d { kernel, stride, pad, acc_type } => vec![
            I32s(kernel.to_vec()),
            I32s(stride.to_vec()),
            I32s(pad.to_vec()),
            U32(acc_type.to_fbs()),
        ],
        Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned } => {
            vec![
                Bool(*scale32),
                U32(rounding_mode.to_fbs()),
                Bool(*per_channel),
                Bool(*input_unsigned),
                Bool(*output_unsigned),
            ]
        }
        Op::Clamp { min_val, max_val, nan_mode } => {
            vec![Bytes(min_val.to_le_bytes()), Bytes(max_val.to_le_bytes()), U32(nan_mode.to_fbs())]
        }
        Op::Maximum { nan_mode } | Op::Minimum { nan_mode } => vec![U32(nan_mode.to_fbs())],
        Op::Resize { mode } => vec![U32(mode.to_fbs())],
        Op::Transpose { perms } => vec![I32s(perms.clone())],
        Op::Concat { axis } | Op::ReduceSum { axis } => vec![I32(*axis)],
        Op::ReduceMax { axis, nan_mode } | Op::ArgMax { axis, nan_mode } => {
            vec![I32(*axis), U32(nan_mode.to_fbs())]
        }
        Op::Const
        | Op::ConstShape
        | Op::MatMul
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
        | Op::Reciprocal
        | Op::Identity => Vec::new(),
    };
    Attribute { kind: op.fbs_code() as u8, fields }
}
