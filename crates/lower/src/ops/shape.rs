//! Flatten (RESHAPE) and, for fp32 graphs, batch norm as MUL + ADD with folded constants.

use vgforge_graph::Node;
use vgforge_tosa::{DType, Op, Tensor as TTensor};

use super::{input0, nhwc, requant};
use crate::ctx::{Lowerer, Value};
use crate::error::{Error, Result};

pub(crate) fn flatten(cx: &mut Lowerer<'_>, n: &Node) -> Result<()> {
    let x = input0(cx, n)?;
    let mut v = if x.shape.len() == 2 {
        x
    } else {
        let [b, h, w, c] = nhwc(n, &x)?;
        let name = cx.reshape(&x.name, cx.act_dtype(), &[b, h * w * c]);
        // With a 1x1 map (after global pooling) or one channel, HWC and CHW orders coincide.
        let hwc_of = (h * w > 1 && c > 1).then_some([c, h, w]);
        Value { name, shape: vec![b, h * w * c], hwc_of }
    };
    if cx.is_int() {
        let (qi, qo) = (cx.act_q(&n.inputs[0])?, cx.act_q(&n.outputs[0])?);
        v = requant(cx, v, qi, qo)?;
    }
    cx.define(&n.outputs[0], v);
    Ok(())
}

/// `y = x * a + b` with `a = gamma / sqrt(var + eps)` and `b = beta - mean * a` per channel.
pub(crate) fn batch_norm(cx: &mut Lowerer<'_>, n: &Node, eps: f32) -> Result<()> {
    let x = input0(cx, n)?;
    let [_, _, _, c] = nhwc(n, &x)?;
    if n.inputs.len() != 5 {
        return Err(Error::unsupported(
            &n.name,
            "batchnorm",
            format!("expects 5 inputs, got {}", n.inputs.len()),
        ));
    }
    let gamma = cx.f32_data(&n.inputs[1])?;
    let beta = cx.f32_data(&n.inputs[2])?;
    let mean = cx.f32_data(&n.inputs[3])?;
    let var = cx.f32_data(&n.inputs[4])?;
    if [gamma.len(), beta.len(), mean.len(), var.len()].iter().any(|&l| l != c) {
        return Err(Error::unsupported(
            &n.name,
            "batchnorm",
            format!("parameters do not all have {c} channels"),
        ));
    }
    let a: Vec<f32> = (0..c).map(|i| gamma[i] / (var[i] + eps).sqrt()).collect();
    let bias: Vec<f32> = (0..c).map(|i| beta[i] - mean[i] * a[i]).collect();
    let layer = cx.layer.clone();
    let ac = cx.add_const(&format!("{layer}_scale"), TTensor::f32(vec![1, 1, 1, c], a)?);
    let bc = cx.add_const(&format!("{layer}_shift"), TTensor::f32(vec![1, 1, 1, c], bias)?);
    let shift = cx.b.add_scalar_const(&format!("{layer}_mul_shift"), DType::Int8, 0);
    let m = cx.op(Op::Mul, &[&x.name, &ac, &shift], DType::Fp32, &x.shape);
    let name = cx.op(Op::Add, &[&m, &bc], DType::Fp32, &x.shape);
    cx.define(&n.outputs[0], Value { name, ..x });
    Ok(())
}
