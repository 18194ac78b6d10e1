//! Scale / zero-point selection and (fake) quantization arithmetic, in f32 like PyTorch's
//! observers and `quantized_decomposed` ops, so the same ranges give the same integers.

/// Smallest scale any observer returns (ExecuTorch's `eps = 2**-16`).
pub const EPS: f32 = 1.0 / 65536.0;

/// Int8 activation range.
pub const ACT_QMIN: i32 = -128;
/// Int8 activation range.
pub const ACT_QMAX: i32 = 127;
/// Symmetric int8 weight range (the -128 code is left unused).
pub const W_QMIN: i32 = -127;
/// Symmetric int8 weight range.
pub const W_QMAX: i32 = 127;

/// Per-tensor affine parameters from an observed `[min, max]`, as torch's
/// `UniformQuantizationObserverBase._calculate_qparams` for `per_tensor_affine`: the range is
/// widened to include 0, `scale = (max - min) / (qmax - qmin)` (at least `eps`), and
/// `zp = qmin - round(min / scale)` clamped to the range.
pub fn affine(min: f32, max: f32, qmin: i32, qmax: i32, eps: f32) -> (f32, i32) {
    let lo = min.min(0.0);
    let hi = max.max(0.0);
    let scale = ((hi - lo) / (qmax - qmin) as f32).max(eps);
    let zp = qmin - (lo / scale).round_ties_even() as i32;
    (scale, zp.clamp(qmin, qmax))
}

/// Symmetric parameters (zero point 0): `scale = max(|min|, |max|) / ((qmax - qmin) / 2)`.
pub fn symmetric(min: f32, max: f32, qmin: i32, qmax: i32, eps: f32) -> f32 {
    let amax = (-min.min(0.0)).max(max.max(0.0));
    (amax / ((qmax - qmin) as f32 / 2.0)).max(eps)
}

/// `clamp(round(x * (1 / scale)) + zp)`, the order of operations of torch's
/// `quantize_per_tensor` / `quantize_per_channel` (multiply by the reciprocal, half to even).
pub fn quantize(x: f32, scale: f32, zp: i32, qmin: i32, qmax: i32) -> i32 {
    let inv = 1.0 / scale;
    let q = (x * inv).round_ties_even() + zp as f32;
    q.clamp(qmin as f32, qmax as f32) as i32
}

/// `scale * (q - zp)`.
pub fn dequantize(q: i32, scale: f32, zp: i32) -> f32 {
    (q - zp) as f32 * scale
}

/// Quantize then dequantize.
pub fn fake_quant(x: f32, scale: f32, zp: i32, qmin: i32, qmax: i32) -> f32 {
    dequantize(quantize(x, scale, zp, qmin, qmax), scale, zp)
}

/// Signal-to-quantization-noise ratio in dB, `10 log10(sum ref^2 / sum (ref - x)^2)`;
/// infinite when the two are identical.
pub fn sqnr_db(reference: &[f32], x: &[f32]) -> f64 {
    let mut sig = 0f64;
    let mut noise = 0f64;
    for (&r, &v) in reference.iter().zip(x) {
        sig += f64::from(r) * f64::from(r);
        let d = f64::from(r) - f64::from(v);
        noise += d * d;
    }
    if noise == 0.0 { f64::INFINITY } else { 10.0 * (sig / noise).log10() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_relu_range_has_zp_qmin() {
        let (s, z) = affine(0.0, 2.55, -128, 127, EPS);
        assert!((s - 0.01).abs() < 1e-7);
        assert_eq!(z, -128);
    }

    #[test]
    fn affine_includes_zero() {
        // A strictly positive range is widened down to 0.
        let (s, z) = affine(1.0, 3.0, -128, 127, EPS);
        assert!((s - 3.0 / 255.0).abs() < 1e-7);
        assert_eq!(z, -128);
        let (s, z) = affine(-1.0, 1.0, -128, 127, EPS);
        assert!((s - 2.0 / 255.0).abs() < 1e-7);
        // In f32 (as torch computes it) -1 / (2 / 255) is -127.49999, which rounds to -127.
        assert_eq!(z, -1);
    }

    #[test]
    fn constant_zero_uses_eps() {
        assert_eq!(affine(0.0, 0.0, -128, 127, EPS), (EPS, -128));
        assert_eq!(symmetric(0.0, 0.0, -127, 127, EPS), EPS);
    }

    #[test]
    fn symmetric_weight_scale() {
        assert!((symmetric(-0.5, 0.25, -127, 127, EPS) - 0.5 / 127.0).abs() < 1e-9);
    }

    #[test]
    fn quantize_rounds_half_even_and_saturates() {
        assert_eq!(quantize(0.5, 1.0, 0, -128, 127), 0);
        assert_eq!(quantize(1.5, 1.0, 0, -128, 127), 2);
        assert_eq!(quantize(-2.5, 1.0, 0, -128, 127), -2);
        assert_eq!(quantize(1000.0, 1.0, 0, -128, 127), 127);
        assert_eq!(quantize(-1000.0, 1.0, 3, -127, 127), -127);
        assert_eq!(fake_quant(0.26, 0.1, 0, -128, 127), 0.3);
    }

    #[test]
    fn sqnr() {
        assert_eq!(sqnr_db(&[1.0, 2.0], &[1.0, 2.0]), f64::INFINITY);
        let s = sqnr_db(&[1.0, 0.0], &[0.9, 0.0]);
        assert!((s - 20.0).abs() < 1e-5, "{s}");
    }
}
