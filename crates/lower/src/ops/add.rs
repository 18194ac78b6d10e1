//! Residual ADD: int8 operands are brought to a common int32 scale first (ExecuTorch's
//! `InsertRescaleInt32Pass`, TFLite's 20-bit left shift), added, then rescaled to int8.

use vgforge_graph::Node;
use vgforge_tosa::{DType, Op};

use super::input0;
use crate::ctx::{Lowerer, Value};
use crate::error::{Error, Result};

/// Headroom bits the int8 operands get in the int32 domain.
const SHIFT_INT8: i32 = 20;

pub(crate) fn add(cx: &mut Lowerer<'_>, n: &Node) -> Result<()> {
    let a = input0(cx, n)?;
    let bname =
        n.inputs.get(1).ok_or_else(|| cx.gerr(format!("layer '{}' needs two inputs", n.name)))?;
    let b = cx.value(bname)?;
    if a.shape != b.shape || a.hwc_of != b.hwc_of {
        return Err(Error::unsupported(
            &n.name,
            "add",
            format!("operand shapes {:?} and {:?} differ", a.shape, b.shape),
        ));
    }
    if !cx.is_int() {
        let name = cx.op(Op::Add, &[&a.name, &b.name], DType::Fp32, &a.shape);
        cx.define(&n.outputs[0], Value { name, ..a });
        return Ok(());
    }
    let qa = cx.act_q(&n.inputs[0])?;
    let qb = cx.act_q(bname)?;
    let qo = cx.act_q(&n.outputs[0])?;
    let max2 = 2.0 * f64::from(qa.scale.max(qb.scale));
    let unit = f64::from(1u32 << SHIFT_INT8);
    let shape = a.shape.clone();
    let ra = cx.rescale(
        &a.name,
        DType::Int8,
        DType::Int32,
        &shape,
        &[unit * f64::from(qa.scale) / max2],
        qa.zp,
        0,
    )?;
    let rb = cx.rescale(
        &b.name,
        DType::Int8,
        DType::Int32,
        &shape,
        &[unit * f64::from(qb.scale) / max2],
        qb.zp,
        0,
    )?;
    let sum = cx.op(Op::Add, &[&ra, &rb], DType::Int32, &shape);
    let out_scale = max2 / (unit * f64::from(qo.scale));
    let name = cx.rescale(&sum, DType::Int32, DType::Int8, &shape, &[out_scale], 0, qo.zp)?;
    cx.define(&n.outputs[0], Value { name, ..a });
    Ok(())
}
