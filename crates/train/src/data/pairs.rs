//! Low-resolution inputs for upscaler training.

/// Source index and weights of PyTorch's `area_pixel_compute_source_index`
/// for `align_corners=False` with an explicit `scale_factor = 1/scale`: the
/// source coordinate is `scale * (dst + 0.5) - 0.5`, clamped at 0.
fn taps(dst: usize, scale: usize, len: usize) -> (usize, usize, f32, f32) {
    let src = (scale as f32 * (dst as f32 + 0.5) - 0.5).max(0.0);
    let i0 = (src.floor() as usize).min(len - 1);
    let i1 = (i0 + 1).min(len - 1);
    let l1 = src - i0 as f32;
    (i0, i1, 1.0 - l1, l1)
}

/// `F.interpolate(x, scale_factor=1/scale, mode="bilinear",
/// align_corners=False)` on `planes` planes of `h×w` (antialias off). For
/// scale 2 every output pixel is the mean of its 2×2 block.
pub fn downsample_bilinear(x: &[f32], planes: usize, h: usize, w: usize, scale: usize) -> Vec<f32> {
    let (oh, ow) = (h / scale, w / scale);
    let rows: Vec<_> = (0..oh).map(|y| taps(y, scale, h)).collect();
    let cols: Vec<_> = (0..ow).map(|x| taps(x, scale, w)).collect();
    let mut out = Vec::with_capacity(planes * oh * ow);
    for p in 0..planes {
        let plane = &x[p * h * w..(p + 1) * h * w];
        for &(y0, y1, hy0, hy1) in &rows {
            for &(x0, x1, wx0, wx1) in &cols {
                // Same association order as PyTorch's CPU kernel.
                let top = wx0 * plane[y0 * w + x0] + wx1 * plane[y0 * w + x1];
                let bot = wx0 * plane[y1 * w + x0] + wx1 * plane[y1 * w + x1];
                out.push(hy0 * top + hy1 * bot);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_scale_is_the_mean_of_each_block() {
        let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let y = downsample_bilinear(&x, 1, 4, 4, 2);
        assert_eq!(y, vec![2.5, 4.5, 10.5, 12.5]);
    }
}
