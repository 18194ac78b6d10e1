//! Plan-time preparation for `depthwise_fast.comp`, the register-blocked int8
//! DEPTHWISE_CONV2D: the kernel variant for the channel layout, weights re-laid out in
//! 16-channel tiles, and the input zero point folded into the bias.

use super::conv_fast::channel_params;
use crate::vk::Kernel;

/// Output channels per invocation (`OCT` in the shader).
pub(super) const TILE: usize = 16;

/// Output rows per invocation (`P` in the shader, whose default `build.sh` keeps). On
/// lavapipe (2-core Zen 4, LLVM 15, 8 lanes), 32x32x32 3x3 layer, batch 64, criterion
/// medians at load 1.6-2.1: the general kernel took 6.6 ms at 4 rows, 6.3 at 8, 3.7 at 16
/// and 5.6 at 32 (16 x 16 accumulators amortise the per-invocation channel parameters and
/// tap setup); with row reuse 8, 16 and 32 rows were within the machine's noise.
pub(super) const ROWS: usize = 16;

/// How a DEPTHWISE_CONV2D runs on the fast kernel.
pub(super) struct FastDepthwise {
    pub kernel: Kernel,
    /// Weights as int8 `[tile][tap][TILE]`, output channels past OC zero.
    pub weights: Vec<u8>,
    /// Per output channel, int32 x4: bias with `-in_zp * sum(w - w_zp)` folded in, the
    /// RESCALE multiplier and shift (0 when unfused), 0.
    pub chan: Vec<u8>,
}

/// One DEPTHWISE_CONV2D as the fast path sees it.
pub(super) struct DepthwiseShape<'a> {
    /// HWCM, so output channel `o = c * M + m` sits at `tap * OC + o`.
    pub weights: &'a [i8],
    /// One value, or one per output channel.
    pub bias: &'a [i32],
    pub kh: usize,
    pub kw: usize,
    /// Input channels (C).
    pub ic: usize,
    /// Channel multiplier (M).
    pub mult: usize,
    /// Row stride and row dilation (they pick the row-reuse variants).
    pub sy: usize,
    pub dy: usize,
    pub in_zp: i64,
    pub w_zp: i64,
    /// Multipliers and shifts (one value, or one per output channel) of the consumer
    /// RESCALE run in the kernel.
    pub rescale: Option<(&'a [i64], &'a [i64])>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Input {
    /// 16-byte loads (M 1, IC % 16 == 0).
    Vec16,
    /// 4-byte loads (M 1, IC % 4 == 0).
    Words,
    /// 4-byte loads, each byte twice (M 2, IC % 4 == 0).
    WordsM2,
    /// Byte loads, any M and IC.
    Bytes,
}

/// The kernel variant: the widest input loads the channel layout allows, whole-word
/// stores where the output channels do, and row reuse for 3-row kernels of row stride
/// 1 or 2 without row dilation (MobileNet's layers), which the fused variants have.
fn kernel(s: &DepthwiseShape<'_>, oc: usize) -> Kernel {
    use Kernel::*;
    let input = match (s.mult, s.ic.is_multiple_of(16), s.ic.is_multiple_of(4)) {
        (1, true, _) => Input::Vec16,
        (1, false, true) => Input::Words,
        (2, _, true) => Input::WordsM2,
        _ => Input::Bytes,
    };
    let rows = match (s.kh, s.dy, s.sy) {
        (3, 1, 1) => 1,
        (3, 1, 2) => 2,
        _ => 0,
    };
    let fused: [Kernel; 3] = match (input, oc.is_multiple_of(4)) {
        (Input::Vec16, _) => [DwV16, DwV16K3S1, DwV16K3S2],
        (Input::Words, _) => [DwW4, DwW4K3S1, DwW4K3S2],
        (Input::WordsM2, _) => [DwW4M2, DwW4M2K3S1, DwW4M2K3S2],
        (Input::Bytes, true) => [DwBS4, DwBS4K3S1, DwBS4K3S2],
        (Input::Bytes, false) => [DwB, DwBK3S1, DwBK3S2],
    };
    match (s.rescale.is_some(), input) {
        (true, _) => fused[rows],
        (false, Input::Vec16) => DwV16Raw,
        (false, Input::Words) => DwW4Raw,
        (false, Input::WordsM2) => DwW4M2Raw,
        (false, Input::Bytes) => DwBRaw,
    }
}

/// The fast-kernel plan, or `None` where the operands do not match the shape.
pub(super) fn plan(s: &DepthwiseShape<'_>) -> Option<FastDepthwise> {
    let taps = s.kh.checked_mul(s.kw)?;
    let oc = s.ic.checked_mul(s.mult)?;
    if taps == 0 || oc == 0 || s.weights.len() != taps.checked_mul(oc)? {
        return None;
    }
    if s.bias.len() != oc && s.bias.len() != 1 {
        return None;
    }
    let tiles = oc.div_ceil(TILE);
    let mut weights = vec![0u8; tiles.checked_mul(taps)?.checked_mul(TILE)?];
    for t in 0..taps {
        for o in 0..oc {
            weights[((o / TILE) * taps + t) * TILE + o % TILE] = s.weights[t * oc + o] as u8;
        }
    }
    let chan = channel_params(oc, s.bias, s.in_zp, s.rescale, |o| {
        (0..taps).map(|t| i64::from(s.weights[t * oc + o]) - s.w_zp).sum()
    });
    Some(FastDepthwise { kernel: kernel(s, oc), weights, chan })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape<'a>(weights: &'a [i8], bias: &'a [i32], ic: usize, mult: usize) -> DepthwiseShape<'a> {
        DepthwiseShape {
            weights,
            bias,
            kh: 3,
            kw: 3,
            ic,
            mult,
            sy: 1,
            dy: 1,
            in_zp: 0,
            w_zp: 0,
            rescale: None,
        }
    }

    #[test]
    fn weights_are_tiled_by_output_channel() {
        // 9 taps x 20 output channels (C 10, M 2): two tiles, the second 4 channels wide.
        let w: Vec<i8> = (0..9 * 20).map(|i| (i % 251) as i8).collect();
        let p = plan(&shape(&w, &[0], 10, 2)).expect("plan");
        assert_eq!(p.weights.len(), 2 * 9 * TILE);
        // tap 4, output channel 3 (c 1, m 1): HWCM index 4 * 20 + 3 = 83.
        assert_eq!(p.weights[4 * TILE + 3], 83);
        // tap 7, output channel 18 (tile 1, lane 2): HWCM index 7 * 20 + 18 = 158.
        assert_eq!(p.weights[(9 + 7) * TILE + 2], 158);
        // Lanes past OC stay zero.
        assert!(p.weights[(9 + 7) * TILE + 4..(9 + 8) * TILE].iter().all(|&b| b == 0));
    }

    #[test]
    fn input_zero_point_is_folded_per_output_channel() {
        // Two output channels (C 1, M 2), 3x3: channel 0 weights 1..=9 at even positions,
        // channel 1 all 5; w_zp 1, in_zp -2, bias [10, 20].
        // ch 0: 10 + 2 * (45 - 9) = 82; ch 1: 20 + 2 * (45 - 9) = 92.
        let w: Vec<i8> = (0..9).flat_map(|t| [t as i8 + 1, 5]).collect();
        let s = DepthwiseShape { in_zp: -2, w_zp: 1, ..shape(&w, &[10, 20], 1, 2) };
        let p = plan(&s).expect("plan");
        let words: Vec<i32> =
            p.chan.chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(words, [82, 0, 0, 0, 92, 0, 0, 0]);
    }

    #[test]
    fn variant_follows_channel_layout_fusion_and_rows() {
        let (m, sh) = ([1i64 << 30], [30i64]);
        let rs = Some((&m[..], &sh[..]));
        let pick = |ic: usize, mult: usize, fused: bool, [sy, dy]: [usize; 2]| {
            let w = vec![1i8; 9 * ic * mult];
            let base = shape(&w, &[0], ic, mult);
            let s = DepthwiseShape { rescale: if fused { rs } else { None }, sy, dy, ..base };
            plan(&s).expect("plan").kernel
        };
        use Kernel::*;
        assert_eq!(pick(32, 1, true, [1, 1]), DwV16K3S1);
        assert_eq!(pick(32, 1, true, [2, 1]), DwV16K3S2);
        assert_eq!(pick(32, 1, true, [1, 2]), DwV16, "row dilation: no row reuse");
        assert_eq!(pick(32, 1, true, [3, 1]), DwV16, "stride 3: no row reuse");
        assert_eq!(pick(32, 1, false, [1, 1]), DwV16Raw);
        assert_eq!(pick(12, 1, true, [2, 1]), DwW4K3S2);
        assert_eq!(pick(12, 1, false, [1, 1]), DwW4Raw);
        assert_eq!(pick(12, 2, true, [1, 1]), DwW4M2K3S1);
        assert_eq!(pick(12, 2, false, [1, 1]), DwW4M2Raw);
        // M 3, or odd channels: byte loads; whole-word stores where OC % 4 == 0.
        assert_eq!(pick(4, 3, true, [1, 2]), DwBS4);
        assert_eq!(pick(7, 1, true, [1, 1]), DwBK3S1);
        assert_eq!(pick(7, 2, true, [2, 1]), DwBK3S2);
        assert_eq!(pick(7, 2, false, [1, 1]), DwBRaw);
    }

    #[test]
    fn mismatched_operands_get_no_plan() {
        let w = vec![1i8; 9 * 4];
        assert!(plan(&shape(&w, &[0], 4, 2)).is_none(), "too few weights");
        assert!(plan(&shape(&w, &[0, 1], 4, 1)).is_none(), "bias of the wrong length");
        assert!(plan(&shape(&[], &[0], 0, 1)).is_none(), "no channels");
        assert!(plan(&DepthwiseShape { kh: 0, ..shape(&[], &[0], 4, 1) }).is_none(), "no taps");
    }
}
