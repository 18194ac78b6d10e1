//! Plan-time preparation for `conv2d_fast.comp`, the register-blocked int8 CONV2D:
//! weights re-laid out for the kernel variant, the input zero point folded into the bias,
//! and the f32 run length that keeps the kernel's float sums exact.

use crate::vk::Kernel;

/// A float sum of integers is exact while every partial sum stays within 2^24.
const F32_EXACT: i64 = 1 << 24;

/// How a CONV2D runs on the fast kernel.
pub(super) struct FastConv {
    pub kernel: Kernel,
    /// Output channels per invocation (`OCT`).
    pub tile: usize,
    /// Output rows per invocation (`P`).
    pub rows: usize,
    /// Weights in the variant's layout (see the shader), little-endian.
    pub weights: Vec<u8>,
    /// Per output channel, int32 x4: bias with `-in_zp * sum(w - w_zp)` folded in, the
    /// RESCALE multiplier and shift (0 when unfused), 0.
    pub chan: Vec<u8>,
    /// Taps summed in f32 before the int32 accumulator takes the run.
    pub taps_per_flush: usize,
}

/// One CONV2D as the fast path sees it.
pub(super) struct ConvShape<'a> {
    /// OHWI.
    pub weights: &'a [i8],
    /// One value, or one per output channel.
    pub bias: &'a [i32],
    pub oc: usize,
    pub kh: usize,
    pub kw: usize,
    pub ic: usize,
    pub in_zp: i64,
    pub w_zp: i64,
    /// Multipliers and shifts (one value, or one per output channel) of the consumer
    /// RESCALE run in the kernel.
    pub rescale: Option<(&'a [i64], &'a [i64])>,
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// int8x4 words, 4 input channels each.
    Packed,
    /// int8x4 words, 4 output channels each.
    Bytes,
}

/// The chosen kernel with its weight layout, output channels and rows per invocation.
struct Variant {
    kernel: Kernel,
    layout: Layout,
    tile: usize,
    rows: usize,
}

/// The block sizes are the fastest of those measured on lavapipe (2-core Zen 4, LLVM 15,
/// 8 lanes) for the upscaler's layers, in CPU time per inference: for the 32->32 3x3
/// layer, 16 rows x 16 channels with 16-byte weight loads took 0.52 ms where 4 x 8 with
/// 4-byte loads took 1.10 ms; larger blocks (32 x 16: 0.85 ms) and reusing input rows
/// across the taps of a column (0.73 ms) were slower. The byte path (IC % 4 != 0) and the
/// small-OC case were measured the same way; where a RESIZE produces a 3-channel input
/// it stores 4 channels per pixel instead (`conv::padded_input_channels`), and the
/// word-packed kernel took that layer from 0.23 to 0.17 ms.
fn variant(s: &ConvShape<'_>) -> Variant {
    use Kernel::*;
    let (kernels, layout, tile, rows) = match (s.ic.is_multiple_of(4), s.oc <= 4) {
        (true, false) => {
            ([ConvFastP16O16W4, ConvFastP16O16, ConvFastP16O16Raw], Layout::Packed, 16, 16)
        }
        (true, true) => ([ConvFastP8O4W4, ConvFastP8O4, ConvFastP8O4Raw], Layout::Packed, 4, 8),
        (false, false) => {
            ([ConvFastBP4O16W4, ConvFastBP4O16, ConvFastBP4O16Raw], Layout::Bytes, 16, 4)
        }
        (false, true) => ([ConvFastBP8O4W4, ConvFastBP8O4, ConvFastBP8O4Raw], Layout::Bytes, 4, 8),
    };
    let kernel = match (s.rescale.is_some(), s.oc.is_multiple_of(4)) {
        (true, true) => kernels[0],
        (true, false) => kernels[1],
        (false, _) => kernels[2],
    };
    Variant { kernel, layout, tile, rows }
}

/// The fast-kernel plan, or `None` where a single tap's float sum could be inexact or the
/// operands do not match the shape.
pub(super) fn plan(s: &ConvShape<'_>) -> Option<FastConv> {
    let taps = s.kh.checked_mul(s.kw)?;
    let k = taps.checked_mul(s.ic)?;
    if s.ic == 0 || s.oc == 0 || s.weights.len() != s.oc.checked_mul(k)? {
        return None;
    }
    if s.bias.len() != s.oc && s.bias.len() != 1 {
        return None;
    }
    // Raw int8 inputs (the zero point is in the bias): |x| <= 128.
    let max_w = s.weights.iter().map(|&w| (i64::from(w) - s.w_zp).abs()).max().unwrap_or(0);
    let per_tap = (s.ic as i64).checked_mul(128)?.checked_mul(max_w)?;
    let taps_per_flush = if per_tap == 0 { taps } else { (F32_EXACT / per_tap) as usize };
    if taps_per_flush == 0 {
        return None;
    }
    let Variant { kernel, layout, tile, rows } = variant(s);
    let tiles = s.oc.div_ceil(tile);
    let mut out = vec![0u8; tiles * k * tile];
    for o in 0..s.oc {
        let (ti, j) = (o / tile, o % tile);
        for t in 0..taps {
            for c in 0..s.ic {
                let w = s.weights[(o * taps + t) * s.ic + c];
                match layout {
                    // byte [tile][t][c / 4][j][c % 4]
                    Layout::Packed => {
                        out[(((ti * taps + t) * (s.ic / 4) + c / 4) * tile + j) * 4 + c % 4] =
                            w as u8
                    }
                    // byte [tile][t][c][j]
                    Layout::Bytes => out[((ti * taps + t) * s.ic + c) * tile + j] = w as u8,
                }
            }
        }
    }
    let chan = channel_params(s.oc, s.bias, s.in_zp, s.rescale, |o| {
        s.weights[o * k..(o + 1) * k].iter().map(|&w| i64::from(w) - s.w_zp).sum()
    });
    Some(FastConv {
        kernel,
        tile,
        rows,
        weights: out,
        chan,
        taps_per_flush: taps_per_flush.min(taps),
    })
}

/// The blocked kernels' per-output-channel int32 x4 words: the bias (one value, or one
/// per channel) with `-in_zp * weight_sum(o)` folded in, the RESCALE multiplier and shift
/// (0 when unfused), 0. `weight_sum(o)` is `sum(w - w_zp)` over output channel `o`'s taps.
pub(super) fn channel_params(
    oc: usize,
    bias: &[i32],
    in_zp: i64,
    rescale: Option<(&[i64], &[i64])>,
    weight_sum: impl Fn(usize) -> i64,
) -> Vec<u8> {
    let pick = |v: &[i64], o: usize| v.get(o).or(v.first()).copied().unwrap_or(0);
    let mut chan = Vec::with_capacity(oc * 16);
    for o in 0..oc {
        let b = i64::from(bias[if bias.len() == 1 { 0 } else { o }]);
        // Wrapping: the kernel's int32 sum is modular, as is the true accumulator's.
        let folded = (b - in_zp * weight_sum(o)) as i32;
        let (m, sh) = rescale.map_or((0, 0), |(m, sh)| (pick(m, o), pick(sh, o)));
        for v in [folded, m as i32, sh as i32, 0] {
            chan.extend_from_slice(&v.to_le_bytes());
        }
    }
    chan
}

/// OHWI `weights` with `ic` input channels widened to `to`, the new ones `w_zp` (so they
/// contribute nothing); `None` if the sizes do not fit.
pub(super) fn pad_channels(weights: &[i8], ic: usize, to: usize, w_zp: i64) -> Option<Vec<i8>> {
    let fill = i8::try_from(w_zp).ok()?;
    if ic == 0 || to < ic || !weights.len().is_multiple_of(ic) {
        return None;
    }
    let mut out = Vec::with_capacity((weights.len() / ic).checked_mul(to)?);
    for run in weights.chunks_exact(ic) {
        out.extend_from_slice(run);
        out.resize(out.len() + (to - ic), fill);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape<'a>(weights: &'a [i8], bias: &'a [i32], ic: usize, oc: usize) -> ConvShape<'a> {
        ConvShape { weights, bias, oc, kh: 3, kw: 3, ic, in_zp: 0, w_zp: 0, rescale: None }
    }

    #[test]
    fn flush_length_keeps_every_f32_partial_sum_exact() {
        // |x| <= 128 and |w - w_zp| <= 127: 32 channels give 520,192 per tap, 32 taps
        // fit 2^24, so all 9 do.
        let w = vec![-127i8; 5 * 9 * 32];
        let p = plan(&shape(&w, &[0], 32, 5)).expect("plan");
        assert_eq!(p.taps_per_flush, 9);
        // w_zp = -128 lets |w - w_zp| reach 255: 64 * 128 * 255 = 2,088,960 per tap,
        // floor(2^24 / that) = 8 taps per run.
        let w = vec![127i8; 2 * 9 * 64];
        let s = ConvShape { w_zp: -128, ..shape(&w, &[0], 64, 2) };
        assert_eq!(plan(&s).expect("plan").taps_per_flush, 8);
        // 600 channels: a single tap could exceed 2^24, so no plan.
        let w = vec![127i8; 9 * 600];
        assert!(plan(&ConvShape { w_zp: -128, ..shape(&w, &[0], 600, 1) }).is_none());
        // All-zero weights never need a flush.
        let w = vec![0i8; 9 * 600];
        assert_eq!(plan(&shape(&w, &[0], 600, 1)).expect("plan").taps_per_flush, 9);
    }

    #[test]
    fn input_zero_point_is_folded_into_the_bias() {
        // One output channel, weights 1..=36, w_zp 2, in_zp -3, bias 10:
        // 10 - (-3) * sum(w - 2) = 10 + 3 * (666 - 72) = 1792.
        let w: Vec<i8> = (1..=36).collect();
        let s = ConvShape { in_zp: -3, w_zp: 2, ..shape(&w, &[10], 4, 1) };
        let p = plan(&s).expect("plan");
        let word = |i: usize| i32::from_le_bytes(p.chan[i * 4..i * 4 + 4].try_into().unwrap());
        assert_eq!([word(0), word(1), word(2), word(3)], [1792, 0, 0, 0]);
        // A fused RESCALE's per-channel multiplier and shift ride along; a broadcast bias
        // and a single multiplier apply to every channel.
        let w = vec![1i8; 2 * 9 * 4];
        let (m, sh) = ([7i64], [33i64, 34]);
        let s = ConvShape { rescale: Some((&m, &sh)), ..shape(&w, &[5], 4, 2) };
        let p = plan(&s).expect("plan");
        let got: Vec<i32> =
            p.chan.chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(got, [5, 7, 33, 0, 5, 7, 34, 0]);
    }

    #[test]
    fn weights_are_blocked_per_layout() {
        // Packed (IC 4): word [tile][tap][c / 4][j] holds input channels c..c + 4 of
        // output channel j; output channels past OC stay zero.
        let w: Vec<i8> = (0..3 * 9 * 4).map(|i| i as i8).collect();
        let p = plan(&shape(&w, &[0], 4, 3)).expect("plan");
        assert_eq!((p.tile, p.rows), (4, 8));
        assert_eq!(p.weights.len(), 9 * 4 * 4);
        // tap 1, output channel 2: OHWI index (2 * 9 + 1) * 4 = 76
        assert_eq!(&p.weights[(4 + 2) * 4..(4 + 2) * 4 + 4], &[76, 77, 78, 79]);
        assert_eq!(&p.weights[(4 + 3) * 4..(4 + 3) * 4 + 4], &[0, 0, 0, 0]);
        // Bytes (IC 3): byte [tile][tap][c][j], 4 output channels per word.
        let w: Vec<i8> = (0..5 * 9 * 3).map(|i| i as i8).collect();
        let p = plan(&shape(&w, &[0], 3, 5)).expect("plan");
        assert_eq!((p.tile, p.rows), (16, 4));
        // tap 2, channel 1, output channel 4: OHWI index (4 * 9 + 2) * 3 + 1 = 115
        assert_eq!(p.weights[(2 * 3 + 1) * 16 + 4], 115);
        assert_eq!(p.weights[(2 * 3 + 1) * 16 + 5], 0);
    }

    #[test]
    fn padded_channels_carry_the_weight_zero_point() {
        let w = [1i8, 2, 3, 4, 5, 6];
        assert_eq!(pad_channels(&w, 3, 4, -7), Some(vec![1, 2, 3, -7, 4, 5, 6, -7]));
        assert_eq!(pad_channels(&w, 3, 3, 0), Some(w.to_vec()));
        assert_eq!(pad_channels(&w, 4, 8, 0), None, "6 weights are not runs of 4");
        assert_eq!(pad_channels(&w, 3, 4, 200), None, "zero point outside int8");
    }

    #[test]
    fn mismatched_operands_get_no_plan() {
        let w = vec![1i8; 9 * 4];
        assert!(plan(&shape(&w, &[0], 4, 2)).is_none(), "too few weights");
        assert!(plan(&shape(&w, &[0, 1], 4, 1)).is_none(), "bias of the wrong length");
        assert!(plan(&shape(&[], &[0], 0, 0)).is_none(), "no channels");
    }
}
