//! One `OpExtInst` of TOSA.001000.1 → one TOSA operator (plus CONST operators for its
//! constant tensor operands).

use vgforge_tosa::{DType, NanMode, Op, Operator, ResizeMode, RoundingMode, Scalar, TensorDecl};

use super::module::Module;
use super::{Fail, Lifter};
use crate::emit::Elem;
use crate::spirv::{Inst, tosa_ext};

/// Reads attribute operands one by one, with errors naming the attribute.
struct Attrs<'l, 'a> {
    m: &'l Module<'a>,
    args: &'l [u32],
    next: usize,
    word: usize,
    op: &'static str,
}

impl Attrs<'_, '_> {
    fn take(&mut self, what: &str) -> Result<u32, Fail> {
        let id = self.args.get(self.next).copied();
        self.next += 1;
        id.ok_or((self.word, format!("{}: missing operand {what}", self.op)))
    }

    fn fail(&self, what: &str, reason: impl std::fmt::Display) -> Fail {
        (self.word, format!("{}: attribute {what}: {reason}", self.op))
    }

    fn u32(&mut self, what: &str) -> Result<u32, Fail> {
        let id = self.take(what)?;
        self.m
            .u32_const(id)
            .ok_or_else(|| self.fail(what, format!("%{id} is not a 32-bit integer constant")))
    }

    fn bool(&mut self, what: &str) -> Result<bool, Fail> {
        let id = self.take(what)?;
        match self.m.scalar(id) {
            Some((Elem::Bool, b)) => Ok(b != 0),
            _ => Err(self.fail(what, format!("%{id} is not a boolean constant"))),
        }
    }

    fn i32s<const N: usize>(&mut self, what: &str) -> Result<[i32; N], Fail> {
        let v = self.i32_vec(what)?;
        v.as_slice()
            .try_into()
            .map_err(|_| self.fail(what, format!("has {} values, expected {N}", v.len())))
    }

    fn i32_vec(&mut self, what: &str) -> Result<Vec<i32>, Fail> {
        let id = self.take(what)?;
        let (elem, shape, bits) = self.m.tensor_bits(id).map_err(|r| self.fail(what, r))?;
        if elem != Elem::Int(32) || shape.len() != 1 {
            return Err(self.fail(what, format!("is not a rank-1 i32 tensor ({elem:?}{shape:?})")));
        }
        Ok(bits.iter().map(|&b| b as u32 as i32).collect())
    }

    fn nan_mode(&mut self) -> Result<NanMode, Fail> {
        let v = self.u32("nan_mode")?;
        NanMode::from_fbs(v).ok_or_else(|| self.fail("nan_mode", format!("unknown value {v}")))
    }

    fn acc_type(&mut self) -> Result<DType, Fail> {
        Ok(match self.u32("acc_type")? {
            1 => DType::Int32,
            2 => DType::Fp16,
            3 => DType::Fp32,
            4 => DType::Int48,
            v => return Err(self.fail("acc_type", format!("unknown value {v}"))),
        })
    }

    fn scalar(&mut self, what: &str) -> Result<Scalar, Fail> {
        let id = self.take(what)?;
        let (elem, bits) = self
            .m
            .scalar(id)
            .ok_or_else(|| self.fail(what, format!("%{id} is not a scalar constant")))?;
        Ok(match elem {
            Elem::Int(8) => Scalar::I8(bits as u8 as i8),
            Elem::Int(16) => Scalar::I16(bits as u16 as i16),
            Elem::Int(32) => Scalar::I32(bits as u32 as i32),
            Elem::Float(16) => Scalar::F16(half::f16::from_bits(bits as u16)),
            Elem::Float(32) => Scalar::F32(f32::from_bits(bits as u32)),
            other => return Err(self.fail(what, format!("unsupported scalar type {other:?}"))),
        })
    }
}

pub(crate) fn lift_op(
    l: &mut Lifter<'_, '_, '_>,
    inst: &Inst<'_>,
    name: String,
) -> Result<(), Fail> {
    let o = inst.operands;
    let (result_ty, result, set, number) = (o[0], o[1], o[2], o[3]);
    if l.m.tosa_import != Some(set) {
        let set_name = l.m.other_imports.get(&set).map_or("an unknown set", String::as_str);
        return Err((inst.word, format!("OpExtInst uses {set_name} (%{set}), not TOSA.001000.1")));
    }
    let op_name = tosa_ext::name(number)
        .ok_or((inst.word, format!("unknown TOSA.001000.1 instruction {number}")))?;
    let mut a = Attrs { m: l.m, args: &o[4..], next: 0, word: inst.word, op: op_name };
    // The operator, and which of its tensor operands are shape_t.
    let (op, shape_operands): (Op, &[usize]) = match op_name {
        "ARGMAX" => (Op::ArgMax { axis: a.u32("axis")? as i32, nan_mode: a.nan_mode()? }, &[]),
        "AVG_POOL2D" => (
            Op::AvgPool2d {
                kernel: a.i32s("kernel")?,
                stride: a.i32s("stride")?,
                pad: a.i32s("pad")?,
                acc_type: a.acc_type()?,
            },
            &[],
        ),
        "CONV2D" | "DEPTHWISE_CONV2D" => {
            let (pad, stride, dilation) = (a.i32s("pad")?, a.i32s("stride")?, a.i32s("dilation")?);
            let (acc_type, local_bound) = (a.acc_type()?, a.bool("local_bound")?);
            let op = if op_name == "CONV2D" {
                Op::Conv2d { pad, stride, dilation, local_bound, acc_type }
            } else {
                Op::DepthwiseConv2d { pad, stride, dilation, local_bound, acc_type }
            };
            (op, &[])
        }
        "TRANSPOSE_CONV2D" => (
            Op::TransposeConv2d {
                out_pad: a.i32s("out_pad")?,
                stride: a.i32s("stride")?,
                acc_type: a.acc_type()?,
                local_bound: a.bool("local_bound")?,
            },
            &[],
        ),
        "MATMUL" => (Op::MatMul, &[]),
        "MAX_POOL2D" => (
            Op::MaxPool2d {
                kernel: a.i32s("kernel")?,
                stride: a.i32s("stride")?,
                pad: a.i32s("pad")?,
                nan_mode: a.nan_mode()?,
            },
            &[],
        ),
        "CLAMP" => (
            Op::Clamp {
                min_val: a.scalar("min_val")?,
                max_val: a.scalar("max_val")?,
                nan_mode: a.nan_mode()?,
            },
            &[],
        ),
        "SIGMOID" => (Op::Sigmoid, &[]),
        "TANH" => (Op::Tanh, &[]),
        "ADD" => (Op::Add, &[]),
        "SUB" => (Op::Sub, &[]),
        "MUL" => (Op::Mul, &[]),
        "MAXIMUM" => (Op::Maximum { nan_mode: a.nan_mode()? }, &[]),
        "MINIMUM" => (Op::Minimum { nan_mode: a.nan_mode()? }, &[]),
        "TABLE" => (Op::Table, &[]),
        "EXP" => (Op::Exp, &[]),
        "RECIPROCAL" => (Op::Reciprocal, &[]),
        "REDUCE_MAX" => {
            (Op::ReduceMax { axis: a.u32("axis")? as i32, nan_mode: a.nan_mode()? }, &[])
        }
        "REDUCE_SUM" => (Op::ReduceSum { axis: a.u32("axis")? as i32 }, &[]),
        "CONCAT" => (Op::Concat { axis: a.u32("axis")? as i32 }, &[]),
        "PAD" => (Op::Pad, &[1]),
        "RESHAPE" => (Op::Reshape, &[1]),
        "SLICE" => (Op::Slice, &[1, 2]),
        "TRANSPOSE" => (Op::Transpose { perms: a.i32_vec("perms")? }, &[]),
        "RESIZE" => {
            let v = a.u32("mode")?;
            let mode = ResizeMode::from_fbs(v)
                .ok_or_else(|| a.fail("mode", format!("unknown value {v}")))?;
            (Op::Resize { mode }, &[1, 2, 3])
        }
        "CAST" => (Op::Cast, &[]),
        "RESCALE" => {
            let scale32 = a.bool("scale32")?;
            let v = a.u32("rounding_mode")?;
            let rounding_mode = RoundingMode::from_fbs(v)
                .ok_or_else(|| a.fail("rounding_mode", format!("unknown value {v}")))?;
            let op = Op::Rescale {
                scale32,
                rounding_mode,
                per_channel: a.bool("per_channel")?,
                input_unsigned: a.bool("input_unsigned")?,
                output_unsigned: a.bool("output_unsigned")?,
            };
            (op, &[])
        }
        other => {
            return Err((
                inst.word,
                format!("TOSA instruction {other} is not supported by vgforge-tosa"),
            ));
        }
    };
    let tensor_args = &o[4 + a.next.min(o.len() - 4)..];
    let roles = op.operand_names();
    let variadic = matches!(op, Op::Concat { .. });
    if (variadic && tensor_args.is_empty()) || (!variadic && tensor_args.len() != roles.len()) {
        return Err((
            inst.word,
            format!(
                "{op_name}: {} tensor operands, expected {} ({})",
                tensor_args.len(),
                roles.len(),
                roles.join(", ")
            ),
        ));
    }
    let mut inputs = Vec::with_capacity(tensor_args.len());
    for (k, &id) in tensor_args.iter().enumerate() {
        let role = if variadic { format!("input{}", k + 1) } else { roles[k].to_owned() };
        inputs.push(l.operand(inst.word, id, shape_operands.contains(&k), &name, &role)?);
    }
    let (dtype, shape) = l.value_type(inst.word, result_ty)?;
    l.graph.tensors.insert(name.clone(), TensorDecl::variable(&name, dtype, shape));
    l.graph.operators.push(Operator { op, inputs, outputs: vec![name.clone()], location: None });
    l.values.insert(result, name);
    Ok(())
}
