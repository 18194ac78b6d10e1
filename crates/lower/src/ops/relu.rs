//! ReLU: free when folded into the previous layer's output range, else a CLAMP.

use vgforge_graph::Node;
use vgforge_tosa::{DType, NanMode, Op, Scalar};

use super::{input0, requant};
use crate::ctx::{Lowerer, Value};
use crate::error::Result;

pub(crate) fn relu(cx: &mut Lowerer<'_>, n: &Node) -> Result<()> {
    let x = input0(cx, n)?;
    if !cx.is_int() {
        let op = Op::Clamp {
            min_val: Scalar::F32(0.0),
            max_val: Scalar::F32(f32::MAX),
            nan_mode: NanMode::Propagate,
        };
        let name = cx.op(op, &[&x.name], DType::Fp32, &x.shape);
        cx.define(&n.outputs[0], Value { name, ..x });
        return Ok(());
    }
    let (qi, qo) = (cx.act_q(&n.inputs[0])?, cx.act_q(&n.outputs[0])?);
    // ExecuTorch's FuseQuantizedActivationPass: with the observer after the ReLU the producer
    // already saturates at the zero point (real 0), so the ReLU costs nothing.
    if qi == qo && qo.zp <= -128 {
        cx.define(&n.outputs[0], x);
        return Ok(());
    }
    let v = requant(cx, x, qi, qo)?;
    let lo = qo.zp.clamp(-128, 127) as i8;
    let op = Op::Clamp {
        min_val: Scalar::I8(lo),
        max_val: Scalar::I8(127),
        nan_mode: NanMode::Propagate,
    };
    let name = cx.op(op, &[&v.name], DType::Int8, &v.shape);
    cx.define(&n.outputs[0], Value { name, ..v });
    Ok(())
}
