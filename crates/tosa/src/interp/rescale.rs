//! RESCALE, following `RESCALE.tosac` with the reference model's reading of its typo (the
//! input element, not `value`, is sign- or zero-extended).

use super::arith::{apply_scale_16, apply_scale_32};
use super::value::{Exec, IntView, from_i64, par_fill};
use crate::error::Result;
use crate::ir::{Op, RoundingMode, Tensor};

pub(super) fn rescale(ex: &Exec) -> Result<Tensor> {
    let Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned } =
        ex.op.op
    else {
        return Err(ex.internal("not RESCALE"));
    };
    let input = ex.ins[0];
    let in_bits = input.dtype.int_bits().ok_or_else(|| ex.internal("non-integer input"))?;
    let out_bits = ex.out_dtype.int_bits().ok_or_else(|| ex.internal("non-integer output"))?;
    let extend = |v: i64, unsigned: bool, bits: u32| -> i64 {
        if unsigned { v & ((1i64 << bits) - 1) } else { v }
    };
    let izp = extend(ex.scalar_int(3)?, input_unsigned, in_bits);
    let ozp = extend(ex.scalar_int(4)?, output_unsigned, out_bits);
    let mult = ex.ints(1)?;
    let shift = ex.ints(2)?;
    // INEXACT_ROUND accepts any result within an error bound that SINGLE_ROUND meets, so it
    // is computed as SINGLE_ROUND.
    let double = rounding_mode == RoundingMode::DoubleRound;
    let (lo, hi) = if output_unsigned {
        (0, (1i64 << out_bits) - 1)
    } else {
        (-(1i64 << (out_bits - 1)), (1i64 << (out_bits - 1)) - 1)
    };
    let channels = if per_channel { input.shape.last().copied().unwrap_or(1) } else { 1 };
    let values = IntView::of(input.data).ok_or_else(|| ex.internal("non-integer input"))?;
    let out = par_fill(values.len(), |i| {
        let ch = if per_channel { i % channels } else { 0 };
        let v = extend(values.get(i), input_unsigned, in_bits) - izp;
        let (m, s) = (mult[ch], shift[ch] as i8);
        let scaled = if scale32 {
            let v32 = i32::try_from(v).map_err(|_| format!("value {v} does not fit i32"))?;
            apply_scale_32(v32, m as i32, s, double)
        } else {
            apply_scale_16(v, m as i16, s)
        }
        .ok_or_else(|| {
            format!("apply_scale of {v} with multiplier {m}, shift {s} violates its REQUIRE")
        })?;
        let r = i64::from(scaled) + ozp;
        if i32::try_from(r).is_err() {
            return Err(format!("adding output_zp to {scaled} overflows i32"));
        }
        // Saturate, then store the low bits (unsigned results keep their bit pattern).
        Ok(r.clamp(lo, hi))
    })
    .map_err(|m| ex.unpredictable(m))?;
    let data = from_i64(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}
