//! RESCALE lowering, shared with the CONV2D fusion.

use vgforge_tosa::{DType, Op, Operator, RoundingMode};

use super::lower::{Lowerer, bad_op, numel, storage, unsupported_op};
use super::plan::Storage;
use crate::error::Result;
use crate::vk::Kernel;

/// A RESCALE's arithmetic, with any folded CLAMP in `lo..=hi`.
pub(super) struct RescaleParams {
    pub mult: usize,
    pub shift: usize,
    pub in_mask: i64,
    pub in_zp: i64,
    pub out_zp: i64,
    pub per_channel: bool,
    pub double_round: bool,
    pub lo: i64,
    pub hi: i64,
    pub unsigned_out: bool,
}

/// Reads the RESCALE operands of `op` whose last dimension is `channels`.
pub(super) fn params(l: &mut Lowerer<'_>, op: &Operator, channels: usize) -> Result<RescaleParams> {
    let Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned } =
        op.op
    else {
        return Err(bad_op(op, "not a RESCALE"));
    };
    let in_dt = l.h_decl(op, l.h_input(op, 0)?)?.dtype;
    let out_name = op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?;
    let out_dt = l.h_decl(op, out_name)?.dtype;
    let in_bits = match in_dt {
        DType::Int8 => 8,
        DType::Int16 => 16,
        DType::Int32 => 32,
        other => return Err(unsupported_op(op, format!("input type {other}"))),
    };
    let out_bits = match out_dt {
        DType::Int8 => 8,
        DType::Int16 => 16,
        DType::Int32 => 32,
        other => return Err(unsupported_op(op, format!("output type {other}"))),
    };
    if input_unsigned && (in_bits == 32 || out_bits == 32 || output_unsigned) {
        return Err(bad_op(op, "input_unsigned is not allowed with these types"));
    }
    if output_unsigned && (out_bits == 32 || in_bits == 32) {
        return Err(bad_op(op, "output_unsigned is not allowed with these types"));
    }
    if !scale32 && rounding_mode == RoundingMode::DoubleRound {
        return Err(bad_op(op, "DOUBLE_ROUND needs scale32"));
    }
    let nc = if per_channel { channels } else { 1 };
    let mults = l.h_ints(op, 1)?;
    let shifts = l.h_ints(op, 2)?;
    if mults.len() != nc || shifts.len() != nc {
        return Err(bad_op(
            op,
            format!("multiplier/shift have {}/{} values, expected {nc}", mults.len(), shifts.len()),
        ));
    }
    let mlimit = if scale32 { i64::from(i32::MAX) } else { i64::from(i16::MAX) };
    if let Some(m) = mults.iter().find(|&&m| m < 0 || m > mlimit) {
        return Err(bad_op(op, format!("multiplier {m} out of range")));
    }
    if let Some(s) = shifts.iter().find(|&&s| !(2..=62).contains(&s)) {
        return Err(bad_op(op, format!("shift {s} outside 2..=62")));
    }
    let in_mask = if input_unsigned { (1i64 << in_bits) - 1 } else { 0 };
    let mut in_zp = l.h_scalar(op, 3)?;
    if input_unsigned {
        in_zp &= in_mask;
    }
    let mut out_zp = l.h_scalar(op, 4)?;
    let (lo, hi) = if output_unsigned {
        out_zp &= (1i64 << out_bits) - 1;
        (0, (1i64 << out_bits) - 1)
    } else {
        (-(1i64 << (out_bits - 1)), (1i64 << (out_bits - 1)) - 1)
    };
    let to_bytes =
        |v: &[i64]| v.iter().flat_map(|&x| (x as i32).to_le_bytes()).collect::<Vec<u8>>();
    let mult =
        l.h_const(&format!("{} (multiplier)", op.describe()), Storage::I32, nc, to_bytes(&mults));
    let shift =
        l.h_const(&format!("{} (shift)", op.describe()), Storage::I32, nc, to_bytes(&shifts));
    Ok(RescaleParams {
        mult,
        shift,
        in_mask,
        in_zp,
        out_zp,
        per_channel,
        double_round: scale32 && rounding_mode == RoundingMode::DoubleRound,
        lo,
        hi,
        unsigned_out: output_unsigned,
    })
}

/// Folds a CLAMP that is the sole consumer of `op`'s output into `p`; returns the name the
/// fused result must be known by.
pub(super) fn fold_clamp(
    l: &mut Lowerer<'_>,
    idx: usize,
    op: &Operator,
    p: &mut RescaleParams,
) -> Result<String> {
    let out = op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?.clone();
    if p.unsigned_out {
        return Ok(out);
    }
    let Some(j) = l.h_sole_consumer(&out, idx) else { return Ok(out) };
    let c = &l.g().operators[j];
    let Op::Clamp { min_val, max_val, .. } = &c.op else { return Ok(out) };
    let (Some(lo), Some(hi)) = (min_val.as_i64(), max_val.as_i64()) else { return Ok(out) };
    let Some(cout) = c.outputs.first() else { return Ok(out) };
    let same_type = l.h_decl(c, cout)?.dtype == l.h_decl(op, &out)?.dtype;
    if !same_type || lo > hi {
        return Ok(out);
    }
    p.lo = p.lo.max(lo);
    p.hi = p.hi.min(hi);
    l.h_skip(j);
    Ok(cout.clone())
}

pub(super) fn rescale(l: &mut Lowerer<'_>, idx: usize, op: &Operator) -> Result<()> {
    let src = l.h_input(op, 0)?;
    let in_d = l.h_decl(op, src)?;
    let out_name = op.outputs.first().ok_or_else(|| bad_op(op, "missing output"))?;
    let out_d = l.h_decl(op, out_name)?;
    if in_d.shape != out_d.shape {
        return Err(bad_op(
            op,
            format!("output shape {:?} differs from input {:?}", out_d.shape, in_d.shape),
        ));
    }
    let channels = in_d.shape.last().copied().unwrap_or(1);
    let mut p = params(l, op, channels)?;
    let final_name = fold_clamp(l, idx, op, &mut p)?;
    let (Some(si), Some(so)) = (storage(in_d.dtype), storage(out_d.dtype)) else {
        return Err(unsupported_op(op, "types"));
    };
    let kernel = match (si, so) {
        (Storage::I8, Storage::I8) => Kernel::RescaleI8I8,
        (Storage::I8, Storage::I32) => Kernel::RescaleI8I32,
        (Storage::I32, Storage::I8) => Kernel::RescaleI32I8,
        (Storage::I32, Storage::I32) => Kernel::RescaleI32I32,
        _ => return Err(unsupported_op(op, "float RESCALE")),
    };
    let x = l.h_batched(op, src)?;
    let (y, _) = l.h_out(op, so)?;
    if final_name != *out_name {
        l.h_alias(&final_name, y);
    }
    let count = numel(&in_d.shape)?;
    let push = vec![
        count as i64,
        channels as i64,
        p.in_mask,
        p.in_zp,
        p.out_zp,
        i64::from(p.per_channel),
        i64::from(p.double_round),
        p.lo,
        p.hi,
    ];
    let label =
        if final_name != *out_name { format!("{} + CLAMP", op.describe()) } else { op.describe() };
    l.h_push(kernel, vec![x, y, p.mult, p.shift], push, count, 1, label);
    Ok(())
}
