//! The blocked int8 MAX_POOL2D / AVG_POOL2D kernels (`pool_fast.comp`) against the TOSA
//! interpreter, bit-exact: 16-byte and 4-byte loads, channel counts that fill no 16-channel
//! tile, asymmetric padding (where the average divides by the real taps only and the max
//! must ignore the padded ones), overlapping windows, rows not a multiple of the 8-row
//! block, extreme zero points, batches 1 and 7, and the fallback for C % 4 != 0.

mod common;

use common::{blocked_runner, check_single_dispatch, ran, runner_with};
use vgforge_runner::{Backend, Runner, RunnerOptions};
use vgforge_tosa::{Builder, DType, Graph, NanMode, Op};

#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    /// N, H, W, C of the input.
    input: [usize; 4],
    avg: bool,
    k: [i32; 2],
    stride: [i32; 2],
    /// Top, bottom, left, right.
    pad: [i32; 4],
    in_zp: i64,
    out_zp: i64,
    /// Inputs drawn from this range (both ends included).
    x_range: (i8, i8),
}

const BASE: Case = Case {
    name: "",
    input: [1, 12, 10, 32],
    avg: false,
    k: [2, 2],
    stride: [2, 2],
    pad: [0; 4],
    in_zp: 0,
    out_zp: 0,
    x_range: (-128, 127),
};

fn graph(c: &Case) -> Graph {
    let [n, h, w, ch] = c.input;
    let out =
        |i: usize, pa: i32, pb: i32, k: i32, s: i32| ((i as i32 + pa + pb - k) / s + 1) as usize;
    let oh = out(h, c.pad[0], c.pad[1], c.k[0], c.stride[0]);
    let ow = out(w, c.pad[2], c.pad[3], c.k[1], c.stride[1]);
    let mut b = Builder::new("pool_fast");
    b.set_location(Some(c.name));
    let x = b.add_input("x", DType::Int8, &[n, h, w, ch]);
    let oshape = [n, oh, ow, ch];
    let y = if c.avg {
        let izp = b.add_scalar_const("izp", DType::Int8, c.in_zp);
        let ozp = b.add_scalar_const("ozp", DType::Int8, c.out_zp);
        let op =
            Op::AvgPool2d { kernel: c.k, stride: c.stride, pad: c.pad, acc_type: DType::Int32 };
        b.add_op(op, &[&x, &izp, &ozp], DType::Int8, &oshape)
    } else {
        let op = Op::MaxPool2d {
            kernel: c.k,
            stride: c.stride,
            pad: c.pad,
            nan_mode: NanMode::Propagate,
        };
        b.add_op(op, &[&x], DType::Int8, &oshape)
    };
    b.set_outputs(&[&y]);
    b.finish()
}

/// Runs `c` on `r` and compares with the interpreter at batch 7 (one submission) and 1;
/// returns the kernel.
fn check(r: &Runner, c: &Case) -> String {
    let seed = c.input[3] as u64 * 29 + c.name.len() as u64;
    check_single_dispatch(r, &graph(c), c.name, seed, c.x_range, 7)
}

/// The shapes every pool variant runs: plain 2x2/2, 3x3/2 with asymmetric padding and a
/// partial row block, 3x3/1 overlapping windows with padding on every side, and a second
/// image per inference.
fn shapes(r: &Runner, base: Case, kernel: &str) {
    ran(&check(r, &base), kernel);
    let padded = Case {
        name: "padded",
        input: [1, 20, 13, base.input[3]],
        k: [3, 3],
        pad: [1, 0, 0, 2],
        ..base
    };
    ran(&check(r, &padded), kernel);
    let overlap = Case {
        name: "overlap",
        input: [2, 7, 6, base.input[3]],
        k: [3, 2],
        stride: [1, 1],
        pad: [2, 1, 1, 1],
        ..base
    };
    ran(&check(r, &overlap), kernel);
}

#[test]
fn max_pool_sixteen_and_four_byte_loads() {
    let Some(r) = blocked_runner() else { return };
    shapes(&r, Case { name: "max32", ..BASE }, "maxpool_i8_fast_v16");
    shapes(&r, Case { name: "max20", input: [1, 12, 10, 20], ..BASE }, "maxpool_i8_fast_w4");
    // All inputs at -128: padding must not raise the maximum.
    let low = Case { name: "max_low", input: [1, 6, 6, 4], x_range: (-128, -128), ..BASE };
    shapes(&r, low, "maxpool_i8_fast_w4");
}

#[test]
fn avg_pool_sixteen_and_four_byte_loads() {
    let Some(r) = blocked_runner() else { return };
    let avg = Case { avg: true, in_zp: -3, out_zp: 4, ..BASE };
    shapes(&r, Case { name: "avg16", input: [1, 12, 10, 16], ..avg }, "avgpool_i8_fast_v16");
    shapes(&r, Case { name: "avg12", input: [1, 12, 10, 12], ..avg }, "avgpool_i8_fast_w4");
    // Zero points at the ends: a padded tap that counted, or read anything but the zero
    // point, would move the average, and the clamp to int8 bites.
    let ends = Case { name: "avg_ends", in_zp: 127, out_zp: -128, x_range: (-128, -100), ..avg };
    shapes(&r, ends, "avgpool_i8_fast_v16");
    let ends = Case { name: "avg_ends2", in_zp: -128, out_zp: 127, input: [1, 8, 8, 8], ..avg };
    shapes(&r, ends, "avgpool_i8_fast_w4");
}

#[test]
fn channels_not_in_words_keep_the_general_kernels() {
    let Some(r) = blocked_runner() else { return };
    ran(&check(&r, &Case { name: "max7", input: [1, 6, 6, 7], ..BASE }), "maxpool_i8");
    let avg = Case { name: "avg3", input: [1, 6, 6, 3], avg: true, in_zp: 5, ..BASE };
    ran(&check(&r, &avg), "avgpool_i8");
}

#[test]
fn every_variant_clean_under_khronos_validation() {
    let opts = RunnerOptions { blocked_conv: Some(true), validation: true, ..Default::default() };
    let Some(r) = runner_with(Backend::Compute, opts) else { return };
    for avg in [false, true] {
        for ch in [16, 4] {
            check(&r, &Case { name: "valid", input: [1, 6, 4, ch], avg, in_zp: 1, ..BASE });
        }
    }
    let msgs = r.validation_messages();
    assert!(msgs.is_empty(), "validation layer reported:\n{}", msgs.join("\n"));
}
