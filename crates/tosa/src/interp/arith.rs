//! The specification's integer helpers: `apply_scale_32`, `apply_scale_16`, `reciprocal_scale`.
//!
//! They return `None` where the specification has a failing REQUIRE (unpredictable result).

/// `apply_scale_32(value, multiplier, shift, double_round)` of `scale_helpers.tosac`.
///
/// SINGLE_ROUND rounds half towards +infinity; DOUBLE_ROUND adds a second rounding step when
/// `shift > 31`, as gemmlowp's doubling high multiply does.
#[inline]
pub fn apply_scale_32(value: i32, multiplier: i32, shift: i8, double_round: bool) -> Option<i32> {
    if multiplier < 0 || !(2..=62).contains(&shift) {
        return None;
    }
    let v = i64::from(value);
    let half = 1i64 << (shift - 1);
    if v < -half || v >= half {
        return None;
    }
    let mut round = half;
    if double_round && shift > 31 {
        round += if v >= 0 { 1 << 30 } else { -(1 << 30) };
    }
    let result = (v * i64::from(multiplier) + round) >> shift;
    i32::try_from(result).ok()
}

/// `apply_scale_16(value, multiplier, shift)` of `scale_helpers.tosac` (value is an i48).
#[inline]
pub fn apply_scale_16(value: i64, multiplier: i16, shift: i8) -> Option<i32> {
    if multiplier < 0 || !(2..=62).contains(&shift) {
        return None;
    }
    let prod = i128::from(value) * i128::from(multiplier) + (1i128 << (shift - 1));
    i32::try_from(prod >> shift).ok()
}

/// `reciprocal_scale(n)`: multiplier and shift approximating `1/n`, as AVG_POOL2D uses.
pub fn reciprocal_scale(n: u32) -> Option<(i32, i8)> {
    if n == 0 {
        return None;
    }
    let k = 32 - (n - 1).leading_zeros();
    let multiplier = ((((1u64 << 30) + 1) << k) / u64::from(n)) as i32;
    Some((multiplier, (30 + k) as i8))
}

/// Round half to even, as fp-to-int CAST requires.
#[inline]
pub fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 { 2.0 * (x / 2.0).round() } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale32_unit_and_rounding() {
        // A unit scale is (1 << 30, 30).
        assert_eq!(apply_scale_32(100, 1 << 30, 30, false), Some(100));
        assert_eq!(apply_scale_32(-100, 1 << 30, 30, false), Some(-100));
        // 5 * 0.5 = 2.5 -> 3; -5 * 0.5 = -2.5 -> -2 (half towards +inf).
        assert_eq!(apply_scale_32(5, 1 << 30, 31, false), Some(3));
        assert_eq!(apply_scale_32(-5, 1 << 30, 31, false), Some(-2));
        assert_eq!(apply_scale_32(-7, 1 << 30, 31, false), Some(-3));
    }

    #[test]
    fn scale32_double_round_differs_above_31() {
        // m = 2^31 - 1, shift 32: x * m / 2^32 is just under x / 2.
        let m = i32::MAX;
        // Single: (3 * m + 2^31) >> 32 = 8589934589 >> 32 = 1.
        assert_eq!(apply_scale_32(3, m, 32, false), Some(1));
        // Double adds 2^30 more: 9663676413 >> 32 = 2.
        assert_eq!(apply_scale_32(3, m, 32, true), Some(2));
        // x = 1, m = 2^30, shift 32: 0.25 -> single (2^30 + 2^31) >> 32 = 0,
        // double (2^30 + 2^31 + 2^30) >> 32 = 1.
        assert_eq!(apply_scale_32(1, 1 << 30, 32, false), Some(0));
        assert_eq!(apply_scale_32(1, 1 << 30, 32, true), Some(1));
        // Negative: -1 * 2^30 + 2^31 - 2^30 = 0 -> 0 with double, single gives (2^30) >> 32 = 0.
        assert_eq!(apply_scale_32(-1, 1 << 30, 32, true), Some(0));
        assert_eq!(apply_scale_32(-3, 1 << 30, 32, false), Some(-1));
        assert_eq!(apply_scale_32(-3, 1 << 30, 32, true), Some(-1));
        // shift <= 31: no difference.
        assert_eq!(apply_scale_32(5, 1 << 30, 31, true), Some(3));
    }

    #[test]
    fn scale32_shift_62_and_requires() {
        // 2^61 * value * m: value = 1 with m = 2^31-1 and shift 62 is ~2^-31 -> 0.
        assert_eq!(apply_scale_32(1, i32::MAX, 62, false), Some(0));
        assert_eq!(apply_scale_32(i32::MAX, i32::MAX, 62, false), Some(1));
        assert_eq!(apply_scale_32(i32::MIN, i32::MAX, 62, false), Some(-1));
        assert_eq!(apply_scale_32(1, 1, 63, false), None);
        assert_eq!(apply_scale_32(1, 1, 1, false), None);
        assert_eq!(apply_scale_32(1, -1, 30, false), None);
        // Value range REQUIRE: |value| < 2^(shift-1).
        assert_eq!(apply_scale_32(4, 1 << 30, 3, false), None);
        assert_eq!(apply_scale_32(3, 1 << 2, 3, false), Some(2));
    }

    #[test]
    fn scale16_basics() {
        assert_eq!(apply_scale_16(1000, 1 << 14, 14), Some(1000));
        assert_eq!(apply_scale_16(-3, 1 << 14, 15), Some(-1));
        assert_eq!(apply_scale_16(3, 1 << 14, 15), Some(2));
        assert_eq!(apply_scale_16(1i64 << 46, i16::MAX, 2), None);
        assert_eq!(apply_scale_16(1, -1, 14), None);
    }

    #[test]
    fn reciprocal() {
        assert_eq!(reciprocal_scale(1), Some(((1 << 30) + 1, 30)));
        // n = 9: k = 4, m = ((2^30+1) << 4) / 9.
        assert_eq!(reciprocal_scale(9), Some((1_908_874_355, 34)));
        assert_eq!(reciprocal_scale(0), None);
        // 18 / 9 == 2 exactly through apply_scale_32.
        let (m, s) = reciprocal_scale(9).unwrap();
        assert_eq!(apply_scale_32(18, m, s, false), Some(2));
        assert_eq!(apply_scale_32(-18, m, s, false), Some(-2));
        // 13/9 = 1.44 -> 1; 14/9 = 1.56 -> 2.
        assert_eq!(apply_scale_32(13, m, s, false), Some(1));
        assert_eq!(apply_scale_32(14, m, s, false), Some(2));
    }

    #[test]
    fn half_even() {
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(3.5), 4.0);
        assert_eq!(round_half_even(-2.5), -2.0);
        assert_eq!(round_half_even(-2.6), -3.0);
        assert_eq!(round_half_even(1.2), 1.0);
    }
}
