//! Real scale -> RESCALE multiplier and shift, the way ExecuTorch's Arm backend computes them.

use crate::error::{Error, Result};

/// `(mantissa, exponent)` with `x = m * 2^e` and `m` in `[0.5, 1)`, like C's `frexp`.
///
/// Only called with positive finite values; subnormals are normalised first so the
/// mantissa keeps all its bits.
pub fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, bias) = if x.abs() < f64::MIN_POSITIVE { (x * 2f64.powi(64), -64) } else { (x, 0) };
    let bits = x.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let e = raw_exp - 1022;
    let m_bits = (bits & !(0x7ffu64 << 52)) | (1022u64 << 52);
    (f64::from_bits(m_bits), e + bias)
}

/// TOSA RESCALE parameters for one channel: `scale ~= multiplier * 2^-shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multiplier {
    /// Non-negative multiplier (fits i32, or i16 for 16-bit scaling).
    pub multiplier: i32,
    /// Right shift in `[2, 62]`.
    pub shift: i8,
}

/// ExecuTorch's `_compute_multiplier_and_shift` (backends/arm/tosa/quant_utils.py): frexp, round
/// the mantissa to 31 (or 15) bits with Python's ties-to-even, renormalise when the mantissa
/// rounds up to `2^31`, and clip overly small scales to a shift of 62.
pub fn quantize_scale(layer: &str, scale: f64, scale32: bool) -> Result<Multiplier> {
    let bad = |reason: &str| Error::Scale { layer: layer.into(), scale, reason: reason.into() };
    if !(scale.is_finite() && scale > 0.0) {
        return Err(bad("it must be a positive finite number"));
    }
    let bits: i32 = if scale32 { 31 } else { 15 };
    let (m, mut e) = frexp(scale);
    // m * 2^bits is exact in f64, so the only rounding is the ties-to-even one.
    let mut mult = (m * f64::from(1u32 << bits)).round_ties_even() as i64;
    if mult == 1i64 << bits {
        mult /= 2;
        e += 1;
    }
    let mut shift = i64::from(bits) - i64::from(e);
    if shift > 62 {
        mult >>= (shift - 62).min(31);
        shift = 62;
    }
    if shift < 2 {
        return Err(bad("it is too large (the shift would be below 2)"));
    }
    Ok(Multiplier { multiplier: mult as i32, shift: shift as i8 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_matches_c() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.0625), (0.5, -3));
        assert_eq!(frexp(3.0), (0.75, 2));
        let (m, e) = frexp(1e-310);
        assert!((0.5..1.0).contains(&m));
        assert_eq!(m * 2f64.powi(e), 1e-310);
    }

    #[test]
    fn unit_and_sixteenth() {
        assert_eq!(
            quantize_scale("l", 1.0, true).unwrap(),
            Multiplier { multiplier: 1 << 30, shift: 30 }
        );
        // The x2 bilinear RESIZE result is 16x: ExecuTorch emits 2^30 >> 34.
        assert_eq!(
            quantize_scale("l", 1.0 / 16.0, true).unwrap(),
            Multiplier { multiplier: 1 << 30, shift: 34 }
        );
        assert_eq!(
            quantize_scale("l", 1.0, false).unwrap(),
            Multiplier { multiplier: 1 << 14, shift: 14 }
        );
    }

    #[test]
    fn mantissa_rounding_up_renormalises() {
        // Just below 1.0: the mantissa rounds to 2^31 and must become 2^30 with one less shift.
        let s = 1.0 - 2f64.powi(-40);
        assert_eq!(
            quantize_scale("l", s, true).unwrap(),
            Multiplier { multiplier: 1 << 30, shift: 30 }
        );
    }

    #[test]
    fn tiny_scale_clips_shift() {
        let m = quantize_scale("l", 2f64.powi(-40), true).unwrap();
        assert_eq!(m.shift, 62);
        assert_eq!(m.multiplier, 1 << 22); // 2^22 * 2^-62 = 2^-40
    }

    #[test]
    fn bad_scales_are_errors() {
        assert!(quantize_scale("l", 0.0, true).is_err());
        assert!(quantize_scale("l", f64::NAN, true).is_err());
        assert!(quantize_scale("l", 1e12, true).is_err());
    }
}
