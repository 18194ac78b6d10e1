//! RESCALE rules (spec `RESCALE.tosac`, ERROR_IF 1..10 plus the static REQUIREs).

use super::Ctx;
use crate::error::Result;
use crate::ir::{DType, Op};

pub(super) fn check(c: &Ctx) -> Result<()> {
    let Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned } =
        c.op.op
    else {
        unreachable!("rescale::check is only called for RESCALE")
    };
    let (input, out) = (c.input(0), c.out());
    let (it, ot) = (input.dtype, out.dtype);
    if !c.profile.int() {
        return Err(c.err(format!("RESCALE needs PRO-INT, profile is {:?} (ERROR_IF)", c.profile)));
    }
    if !matches!(it, DType::Int8 | DType::Int16 | DType::Int32 | DType::Int48) {
        return Err(c.err(format!("input type {it} is not supported (ERROR_IF)")));
    }
    if !matches!(ot, DType::Int8 | DType::Int16 | DType::Int32) {
        return Err(c.err(format!("output type {ot} is not supported (ERROR_IF)")));
    }
    if out.shape != input.shape {
        return Err(c.err(format!(
            "output shape {:?} differs from input shape {:?} (ERROR_IF)",
            out.shape, input.shape
        )));
    }
    let izp = c.zero_point(3, it)?;
    let ozp = c.zero_point(4, ot)?;
    check_zp(c, "input_zp", it, input_unsigned, izp)?;
    check_zp(c, "output_zp", ot, output_unsigned, ozp)?;
    if scale32 && it == DType::Int48 {
        return Err(c.err("scale32 must be false for i48 input (ERROR_IF)"));
    }
    if !scale32 && rounding_mode == crate::ir::RoundingMode::DoubleRound {
        return Err(c.err("DOUBLE_ROUND requires scale32 (ERROR_IF)"));
    }
    if input_unsigned && output_unsigned {
        return Err(c.err("input_unsigned and output_unsigned cannot both be set (ERROR_IF)"));
    }
    if ot == DType::Int32 && (input_unsigned || output_unsigned) {
        return Err(c.err("unsigned flags are not allowed with i32 output (ERROR_IF)"));
    }
    if matches!(it, DType::Int32 | DType::Int48) && (input_unsigned || output_unsigned) {
        return Err(c.err(format!("unsigned flags are not allowed with {it} input (ERROR_IF)")));
    }
    if per_channel && input.shape.is_empty() {
        return Err(c.err("per_channel needs an input of rank >= 1 (ERROR_IF)"));
    }
    let nc = if per_channel { input.shape[input.shape.len() - 1] } else { 1 };
    let mult_t = if scale32 { DType::Int32 } else { DType::Int16 };
    c.expect_dtype(1, mult_t)?;
    c.expect_dtype(2, DType::Int8)?;
    for i in [1, 2] {
        let d = c.input(i);
        if d.shape != [nc] {
            return Err(c.err(format!(
                "{} '{}' must have shape [{nc}], has {:?} (ERROR_IF)",
                c.operand_name(i),
                d.name,
                d.shape
            )));
        }
    }
    for (k, (&m, &s)) in c.const_ints(1)?.iter().zip(c.const_ints(2)?.iter()).enumerate() {
        if m < 0 {
            return Err(c.err(format!("multiplier[{k}] = {m} must be non-negative (REQUIRE)")));
        }
        if !(2..=62).contains(&s) {
            return Err(c.err(format!("shift[{k}] = {s} must be in 2..=62 (REQUIRE)")));
        }
    }
    Ok(())
}

fn check_zp(c: &Ctx, name: &str, t: DType, unsigned: bool, zp: i64) -> Result<()> {
    if t == DType::Int16 && unsigned {
        if zp != 0 && zp != -32768 {
            return Err(c.err(format!(
                "{name} must be 0 or 32768 for unsigned i16, is {} (ERROR_IF)",
                zp & 0xffff
            )));
        }
        return Ok(());
    }
    if zp != 0 && t != DType::Int8 {
        return Err(c.err(format!("{name} must be 0 for {t} (ERROR_IF)")));
    }
    Ok(())
}
