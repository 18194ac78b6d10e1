//! Fake quantization in Candle with a straight-through estimator.
//!
//! The forward value is `dequantize(quantize(x))`; the backward pass sees the identity inside
//! the representable range and zero outside (torch's `fake_quantize_per_tensor_affine`
//! gradient), through the detach trick `clamp(x) + (fq(x) - clamp(x)).detach()`.

use candle_core::{Result, Tensor};

/// Per-tensor affine fake quantization of `x`.
pub fn fake_quant(x: &Tensor, scale: f32, zp: i32, qmin: i32, qmax: i32) -> Result<Tensor> {
    let s = f64::from(scale);
    let lo = f64::from(qmin - zp) * s;
    let hi = f64::from(qmax - zp) * s;
    let xc = x.clamp(lo, hi)?;
    let q = x
        .affine(1.0 / s, 0.0)?
        .round()?
        .affine(1.0, f64::from(zp))?
        .clamp(f64::from(qmin), f64::from(qmax))?;
    let dq = q.affine(s, -f64::from(zp) * s)?;
    xc.add(&dq.sub(&xc)?.detach())
}

/// Per-output-channel symmetric fake quantization of a weight (axis 0), zero point 0, with
/// `scales[c]` for channel `c`. The range covers the weight, so the gradient is the identity.
pub fn fake_quant_weight(w: &Tensor, scales: &[f32], qmin: i32, qmax: i32) -> Result<Tensor> {
    let mut shape = vec![1usize; w.rank()];
    shape[0] = scales.len();
    let s = Tensor::from_slice(scales, shape, w.device())?.to_dtype(w.dtype())?;
    let dq =
        w.broadcast_div(&s)?.round()?.clamp(f64::from(qmin), f64::from(qmax))?.broadcast_mul(&s)?;
    w.add(&dq.sub(w)?.detach())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn forward_matches_scalar_fake_quant() {
        let v = [-2.0f32, -0.26, 0.0, 0.04, 0.26, 1.27, 20.0];
        let x = Tensor::new(&v, &Device::Cpu).unwrap();
        let y = fake_quant(&x, 0.1, -3, -128, 127).unwrap().to_vec1::<f32>().unwrap();
        for (a, b) in v.iter().zip(&y) {
            let want = crate::qparams::fake_quant(*a, 0.1, -3, -128, 127);
            assert!((want - b).abs() < 1e-6, "{a}: {b} vs {want}");
        }
        // 20.0 saturates at (127 + 3) * 0.1.
        assert!((y[6] - 13.0).abs() < 1e-5);
    }

    #[test]
    fn straight_through_gradient_is_masked_outside_range() {
        let x = Var::new(&[-20.0f32, -1.0, 0.33, 2.0, 20.0], &Device::Cpu).unwrap();
        // Representable range: [(-128 - 0) * 0.05, 127 * 0.05] = [-6.4, 6.35].
        let y = fake_quant(x.as_tensor(), 0.05, 0, -128, 127).unwrap();
        let loss = y.sum_all().unwrap();
        let g = loss.backward().unwrap();
        let gx = g.get(x.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(gx, vec![0.0, 1.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn weight_fake_quant_per_channel() {
        let w = Var::new(&[[0.3f32, -1.0], [0.01, 0.02]], &Device::Cpu).unwrap();
        let scales = [1.0 / 127.0, 0.02 / 127.0];
        let y = fake_quant_weight(w.as_tensor(), &scales, -127, 127).unwrap();
        let v = y.to_vec2::<f32>().unwrap();
        assert!((v[0][1] + 1.0).abs() < 1e-6);
        assert!((v[0][0] - 38.0 / 127.0).abs() < 1e-6);
        assert!((v[1][1] - 0.02).abs() < 1e-7);
        let g = y.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let gw = g.get(w.as_tensor()).unwrap().to_vec2::<f32>().unwrap();
        // d/dw of fq(w)^2 under STE is 2 * fq(w).
        assert!((gw[0][1] + 2.0).abs() < 1e-5);
    }
}
