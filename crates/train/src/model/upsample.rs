//! Upsampling. Bilinear uses Candle's kernel when no gradient has to flow
//! into its input (the upscaler's first layer), and otherwise the same
//! interpolation written as two matmuls with fixed weight matrices, whose
//! backward Candle already knows (its `upsample_bilinear2d` has none).

use candle_core::Tensor;

/// Interpolation matrix [out, in] of one axis, PyTorch's source-index rule.
fn axis_matrix(len: usize, scale: usize, align_corners: bool) -> Vec<f64> {
    let out = len * scale;
    let mut m = vec![0.0; out * len];
    for o in 0..out {
        let src = if align_corners {
            if out > 1 { o as f64 * (len - 1) as f64 / (out - 1) as f64 } else { 0.0 }
        } else {
            ((o as f64 + 0.5) / scale as f64 - 0.5).max(0.0)
        };
        let i0 = (src.floor() as usize).min(len - 1);
        let i1 = (i0 + 1).min(len - 1);
        let l1 = src - i0 as f64;
        m[o * len + i0] += 1.0 - l1;
        m[o * len + i1] += l1;
    }
    m
}

fn matrix(
    len: usize,
    scale: usize,
    align_corners: bool,
    like: &Tensor,
) -> candle_core::Result<Tensor> {
    let m = axis_matrix(len, scale, align_corners);
    Tensor::from_vec(m, (len * scale, len), like.device())?.to_dtype(like.dtype())
}

/// Bilinear upsampling of `x` [N, C, H, W] by an integer `scale`.
pub fn bilinear(x: &Tensor, scale: usize, align_corners: bool) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    if h == 0 || w == 0 || scale == 0 {
        candle_core::bail!("upsample: cannot scale a {h}×{w} input by {scale}")
    }
    if !x.track_op() {
        return x.upsample_bilinear2d(h * scale, w * scale, align_corners);
    }
    bilinear_matmul(x, scale, align_corners)
}

/// The differentiable form: `Ah · X · Awᵀ` per plane.
pub fn bilinear_matmul(
    x: &Tensor,
    scale: usize,
    align_corners: bool,
) -> candle_core::Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let aw = matrix(w, scale, align_corners, x)?;
    let ah = matrix(h, scale, align_corners, x)?;
    let rows = x.reshape((n * c * h, w))?.matmul(&aw.t()?)?;
    let rows = rows.reshape((n * c, h, w * scale))?;
    let ah = ah.unsqueeze(0)?.broadcast_as((n * c, h * scale, h))?.contiguous()?;
    ah.matmul(&rows)?.reshape((n, c, h * scale, w * scale))
}

/// Nearest-neighbour upsampling by an integer `scale`.
pub fn nearest(x: &Tensor, scale: usize) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    x.upsample_nearest2d(h * scale, w * scale)
}
