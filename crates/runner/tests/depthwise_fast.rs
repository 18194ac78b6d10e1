//! The register-blocked int8 DEPTHWISE_CONV2D kernels (`depthwise_fast.comp`) against the
//! TOSA interpreter, bit-exact, on the shapes that stress them: each input variant (16-byte,
//! 4-byte and byte loads), channel multipliers 1 and 2 (and 3), channel counts that fill
//! no 16-channel tile, odd channel counts, stride, dilation, asymmetric padding larger than
//! the kernel reach, rows not a multiple of the 8-row block, extreme zero points, a
//! non-zero weight zero point, and batches 1 and 7 in one submission.

mod common;

use common::{Rng, blocked_runner, check_single_dispatch, out_dim, ran, runner_with};
use vgforge_runner::{Backend, Runner, RunnerOptions};
use vgforge_tosa::{Builder, DType, Graph, NanMode, Op, RoundingMode, Scalar, Tensor};

#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    /// N, H, W, C of the input.
    input: [usize; 4],
    /// Channel multiplier M.
    mult: usize,
    k: [usize; 2],
    pad: [i32; 4],
    stride: [i32; 2],
    dilation: [i32; 2],
    in_zp: i64,
    w_zp: i64,
    /// Inputs drawn from this range (both ends included).
    x_range: (i8, i8),
    fuse: bool,
    /// One bias and one RESCALE multiplier / shift for every channel.
    broadcast: bool,
}

const BASE: Case = Case {
    name: "",
    input: [1, 13, 11, 32],
    mult: 1,
    k: [3, 3],
    pad: [1, 1, 1, 1],
    stride: [1, 1],
    dilation: [1, 1],
    in_zp: -5,
    w_zp: 0,
    x_range: (-128, 127),
    fuse: true,
    broadcast: false,
};

fn graph(c: &Case) -> Graph {
    let [n, h, w, ic] = c.input;
    let oc = ic * c.mult;
    let mut rng = Rng::new(c.name.len() as u64 * 131 + oc as u64);
    let oh = out_dim(h, c.k[0], c.pad[0], c.pad[1], c.stride[0], c.dilation[0]);
    let ow = out_dim(w, c.k[1], c.pad[2], c.pad[3], c.stride[1], c.dilation[1]);
    let mut b = Builder::new("depthwise_fast");
    b.set_location(Some(c.name));
    let x = b.add_input("x", DType::Int8, &[n, h, w, ic]);
    let weights = rng.i8s(c.k[0] * c.k[1] * oc);
    let wt = b.add_const("w", Tensor::i8(vec![c.k[0], c.k[1], ic, c.mult], weights).unwrap());
    let per = if c.broadcast { 1 } else { oc };
    let bias: Vec<i32> = (0..per).map(|o| o as i32 * 1313 - 9000).collect();
    let bias = b.add_const("b", Tensor::i32(vec![per], bias).unwrap());
    let izp = b.add_scalar_const("izp", DType::Int8, c.in_zp);
    let wzp = b.add_scalar_const("wzp", DType::Int8, c.w_zp);
    let op = Op::DepthwiseConv2d {
        pad: c.pad,
        stride: c.stride,
        dilation: c.dilation,
        local_bound: false,
        acc_type: DType::Int32,
    };
    let oshape = [n, oh, ow, oc];
    let acc = b.add_op(op, &[&x, &wt, &bias, &izp, &wzp], DType::Int32, &oshape);
    if !c.fuse {
        b.set_outputs(&[&acc]);
        return b.finish();
    }
    // Shifts around 35 put the +-3e5 accumulators across the whole int8 range, so the
    // clamp and both roundings are exercised.
    let mults: Vec<i32> = (0..per).map(|o| 1_200_000_000 + 11_000_000 * o as i32).collect();
    let shifts: Vec<i8> = (0..per).map(|o| 34 + (o % 4) as i8).collect();
    let m = b.add_const("m", Tensor::i32(vec![per], mults).unwrap());
    let s = b.add_const("s", Tensor::i8(vec![per], shifts).unwrap());
    let rizp = b.add_scalar_const("rizp", DType::Int32, 0);
    let rozp = b.add_scalar_const("rozp", DType::Int8, 3);
    let rescale = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::DoubleRound,
        per_channel: !c.broadcast,
        input_unsigned: false,
        output_unsigned: false,
    };
    let q = b.add_op(rescale, &[&acc, &m, &s, &rizp, &rozp], DType::Int8, &oshape);
    let clamp = Op::Clamp {
        min_val: Scalar::I8(-100),
        max_val: Scalar::I8(110),
        nan_mode: NanMode::Propagate,
    };
    let y = b.add_op(clamp, &[&q], DType::Int8, &oshape);
    b.set_outputs(&[&y]);
    b.finish()
}

/// Runs `c` on `r` and compares with the interpreter at batch 7 (one submission) and 1;
/// returns the kernel.
fn check(r: &Runner, c: &Case) -> String {
    let seed = c.input[3] as u64 * 17 + 5;
    check_single_dispatch(r, &graph(c), c.name, seed, c.x_range, 7)
}

/// Runs `c` (a 3x3 stride-1 layer with odd H and W) as three layers: stride 1 and stride
/// 2 (the row-reuse variants `<kernel>_k3s1`, `<kernel>_k3s2`) and with row dilation 2,
/// which takes the general variant `<kernel>`.
fn rows_three_ways(r: &Runner, c: &Case, kernel: &str) {
    ran(&check(r, c), &format!("{kernel}_k3s1"));
    let s2 = Case { stride: [2, 1], ..*c };
    ran(&check(r, &s2), &format!("{kernel}_k3s2"));
    let dil = Case { dilation: [2, 1], pad: [2, 2, 1, 1], ..*c };
    ran(&check(r, &dil), kernel);
}

#[test]
fn sixteen_byte_loads_for_multiplier_one() {
    let Some(r) = blocked_runner() else { return };
    rows_three_ways(&r, &Case { name: "v16", ..BASE }, "depthwise_i8_fast_v16");
    ran(&check(&r, &Case { name: "v16_raw", fuse: false, ..BASE }), "depthwise_i8_fast_v16_raw");
    // 48 channels: three tiles; 17 rows: a partial last block of 16.
    let c = Case { name: "v16_48", input: [1, 17, 7, 48], broadcast: true, ..BASE };
    rows_three_ways(&r, &c, "depthwise_i8_fast_v16");
}

#[test]
fn word_loads_for_channels_not_filling_a_tile() {
    let Some(r) = blocked_runner() else { return };
    // 20 channels: the second tile reads 4 real channels and clamped words.
    let c = Case { name: "w4", input: [1, 9, 11, 20], ..BASE };
    rows_three_ways(&r, &c, "depthwise_i8_fast_w4");
    let c = Case { name: "w4_raw", input: [1, 9, 10, 4], fuse: false, ..BASE };
    ran(&check(&r, &c), "depthwise_i8_fast_w4_raw");
}

#[test]
fn word_loads_for_multiplier_two() {
    let Some(r) = blocked_runner() else { return };
    // 12 channels x 2 = 24 outputs: the second tile reads 4 input channels and a clamped
    // word.
    let c = Case { name: "m2", input: [1, 11, 9, 12], mult: 2, ..BASE };
    rows_three_ways(&r, &c, "depthwise_i8_fast_w4m2");
    let c = Case { name: "m2_raw", input: [1, 6, 5, 4], mult: 2, fuse: false, ..BASE };
    ran(&check(&r, &c), "depthwise_i8_fast_w4m2_raw");
}

#[test]
fn byte_loads_for_odd_channels_and_other_multipliers() {
    let Some(r) = blocked_runner() else { return };
    let c = Case { name: "odd", input: [1, 7, 13, 13], ..BASE };
    rows_three_ways(&r, &c, "depthwise_i8_fast_b");
    // 7 x 2 = 14 outputs; 3 x 4 = 12 outputs (word stores).
    let c = Case { name: "odd_m2", input: [1, 9, 7, 7], mult: 2, broadcast: true, ..BASE };
    rows_three_ways(&r, &c, "depthwise_i8_fast_b");
    let c = Case { name: "m4", input: [1, 5, 9, 3], mult: 4, ..BASE };
    rows_three_ways(&r, &c, "depthwise_i8_fast_b_s4");
    let c = Case { name: "odd_raw", input: [1, 8, 7, 5], mult: 3, fuse: false, ..BASE };
    ran(&check(&r, &c), "depthwise_i8_fast_b_raw");
}

#[test]
fn stride_dilation_padding_and_zero_points() {
    let Some(r) = blocked_runner() else { return };
    // Stride 2 with asymmetric padding; the input zero point at the int8 ends, where a
    // padded tap reading anything but the zero point would show.
    let c = Case {
        name: "strided",
        input: [2, 18, 14, 32],
        pad: [1, 0, 0, 1],
        stride: [2, 2],
        in_zp: 127,
        ..BASE
    };
    check(&r, &c);
    let c = Case {
        name: "dilated",
        input: [1, 15, 13, 12],
        k: [3, 2],
        pad: [4, 0, 1, 3],
        dilation: [2, 3],
        in_zp: -128,
        w_zp: -128,
        ..BASE
    };
    check(&r, &c);
    // Inputs all at one end with the opposite zero point: |x - in_zp| = 255 on every tap.
    let c = Case {
        name: "extreme",
        input: [1, 9, 9, 7],
        mult: 2,
        k: [5, 5],
        pad: [2, 2, 2, 2],
        stride: [2, 1],
        in_zp: -128,
        w_zp: 127,
        x_range: (120, 127),
        fuse: false,
        ..BASE
    };
    check(&r, &c);
    // 1x1 and a kernel as large as the input, no padding.
    check(&r, &Case { name: "k1", input: [1, 5, 3, 16], k: [1, 1], pad: [0; 4], ..BASE });
    check(&r, &Case { name: "kfull", input: [1, 4, 5, 16], k: [4, 5], pad: [0; 4], ..BASE });
}

#[test]
fn blocked_and_unblocked_kernels_agree_with_options() {
    // With blocked_conv off the one-output-per-invocation kernel runs (same result).
    let opts = RunnerOptions { blocked_conv: Some(false), ..Default::default() };
    let Some(r) = runner_with(Backend::Compute, opts) else { return };
    let m = r.load(&graph(&Case { name: "plain", ..BASE })).expect("load");
    let d = m.dispatches();
    assert!(d[0].starts_with("depthwise_i8_fused:"), "{d:?}");
}

#[test]
fn every_variant_clean_under_khronos_validation() {
    let opts = RunnerOptions { blocked_conv: Some(true), validation: true, ..Default::default() };
    let Some(r) = runner_with(Backend::Compute, opts) else { return };
    let small = Case { input: [1, 5, 4, 16], ..BASE };
    let mut seen = Vec::new();
    for (name, ic, mult) in [("v", 16, 1), ("w", 4, 1), ("m", 4, 2), ("s", 3, 4), ("b", 3, 1)] {
        let c = Case { name, input: [1, 5, 4, ic], mult, ..small };
        for c in
            [c, Case { stride: [2, 1], ..c }, Case { k: [2, 3], ..c }, Case { fuse: false, ..c }]
        {
            seen.push(check(&r, &c).split(':').next().unwrap_or_default().to_string());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 19, "every blocked depthwise kernel ran: {seen:?}");
    let msgs = r.validation_messages();
    assert!(msgs.is_empty(), "validation layer reported:\n{}", msgs.join("\n"));
}
