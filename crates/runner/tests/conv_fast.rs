//! The register-blocked int8 CONV2D kernels (`conv2d_fast.comp`) against the TOSA
//! interpreter, bit-exact, on the shapes that stress them: channel counts that fill no
//! tile, IC % 4 != 0 (byte path), OC <= 4, asymmetric padding, stride, dilation, rows not
//! a multiple of the block, extreme zero points, a non-zero weight zero point, K > 512
//! with weights large enough that the f32 sums must be flushed every few taps, and layers
//! too wide for any exact f32 run (which must fall back to the int32 kernels).

mod common;

use common::{Rng, blocked_runner, check_single_dispatch, out_dim};
use vgforge_tosa::{Builder, DType, Graph, NanMode, Op, RoundingMode, Scalar, Tensor};

struct Case {
    name: &'static str,
    /// N, H, W, C of the input.
    input: [usize; 4],
    oc: usize,
    k: [usize; 2],
    pad: [i32; 4],
    stride: [i32; 2],
    dilation: [i32; 2],
    in_zp: i64,
    w_zp: i64,
    /// Weights drawn from this range (both ends included).
    w_range: (i8, i8),
    /// Inputs drawn from this range.
    x_range: (i8, i8),
    fuse: bool,
}

const BASE: Case = Case {
    name: "",
    input: [2, 9, 11, 8],
    oc: 16,
    k: [3, 3],
    pad: [1, 1, 1, 1],
    stride: [1, 1],
    dilation: [1, 1],
    in_zp: -5,
    w_zp: 0,
    w_range: (-128, 127),
    x_range: (-128, 127),
    fuse: true,
};

fn graph(c: &Case) -> Graph {
    let mut rng = Rng::new(c.name.len() as u64 * 31 + c.oc as u64);
    let [n, h, w, ic] = c.input;
    let oh = out_dim(h, c.k[0], c.pad[0], c.pad[1], c.stride[0], c.dilation[0]);
    let ow = out_dim(w, c.k[1], c.pad[2], c.pad[3], c.stride[1], c.dilation[1]);
    let mut b = Builder::new("conv_fast");
    b.set_location(Some(c.name));
    let x = b.add_input("x", DType::Int8, &[n, h, w, ic]);
    let count = c.oc * c.k[0] * c.k[1] * ic;
    let weights = rng.i8s_in(count, c.w_range);
    let wt = b.add_const("w", Tensor::i8(vec![c.oc, c.k[0], c.k[1], ic], weights).unwrap());
    let bias: Vec<i32> = (0..c.oc).map(|o| o as i32 * 977 - 4000).collect();
    let bias = b.add_const("b", Tensor::i32(vec![c.oc], bias).unwrap());
    let izp = b.add_scalar_const("izp", DType::Int8, c.in_zp);
    let wzp = b.add_scalar_const("wzp", DType::Int8, c.w_zp);
    let op = Op::Conv2d {
        pad: c.pad,
        stride: c.stride,
        dilation: c.dilation,
        local_bound: false,
        acc_type: DType::Int32,
    };
    let oshape = [n, oh, ow, c.oc];
    let acc = b.add_op(op, &[&x, &wt, &bias, &izp, &wzp], DType::Int32, &oshape);
    if !c.fuse {
        b.set_outputs(&[&acc]);
        return b.finish();
    }
    let mults: Vec<i32> = (0..c.oc).map(|o| 1_100_000_000 + 13_000_000 * o as i32).collect();
    let shifts: Vec<i8> = (0..c.oc).map(|o| 40 + (o % 5) as i8).collect();
    let m = b.add_const("m", Tensor::i32(vec![c.oc], mults).unwrap());
    let s = b.add_const("s", Tensor::i8(vec![c.oc], shifts).unwrap());
    let rizp = b.add_scalar_const("rizp", DType::Int32, 0);
    let rozp = b.add_scalar_const("rozp", DType::Int8, -7);
    let rescale = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::DoubleRound,
        per_channel: true,
        input_unsigned: false,
        output_unsigned: false,
    };
    let q = b.add_op(rescale, &[&acc, &m, &s, &rizp, &rozp], DType::Int8, &oshape);
    let clamp = Op::Clamp {
        min_val: Scalar::I8(-120),
        max_val: Scalar::I8(127),
        nan_mode: NanMode::Propagate,
    };
    let y = b.add_op(clamp, &[&q], DType::Int8, &oshape);
    b.set_outputs(&[&y]);
    b.finish()
}

/// Runs `c` on the blocked kernels and compares with the interpreter; returns the kernel.
fn check(c: &Case) -> Option<String> {
    let r = blocked_runner()?;
    Some(check_single_dispatch(&r, &graph(c), c.name, c.oc as u64 * 7 + 3, c.x_range, 3))
}

#[test]
fn word_packed_channels() {
    // 16 and 13 output channels (a partial 16-channel tile, no 4-byte stores).
    let Some(k) = check(&Case { name: "p16", ..BASE }) else { return };
    assert!(k.starts_with("conv2d_i8_fast_p16o16_w4"), "{k}");
    let k = check(&Case { name: "p13", oc: 13, ..BASE }).unwrap_or_default();
    assert!(k.starts_with("conv2d_i8_fast_p16o16:"), "{k}");
    let k = check(&Case { name: "p3", oc: 3, input: [1, 7, 5, 12], ..BASE }).unwrap_or_default();
    assert!(k.starts_with("conv2d_i8_fast_p8o4:"), "{k}");
    check(&Case { name: "p4", oc: 4, input: [1, 33, 4, 4], ..BASE });
}

#[test]
fn byte_path_for_odd_input_channels() {
    let k = check(&Case { name: "b3", input: [2, 10, 7, 3], oc: 32, ..BASE }).unwrap_or_default();
    if !k.is_empty() {
        assert!(k.starts_with("conv2d_i8_fast_b_p4o16_w4"), "{k}");
    }
    check(&Case { name: "b5", input: [1, 6, 6, 5], oc: 7, ..BASE });
    let k = check(&Case { name: "b1", input: [1, 6, 9, 1], oc: 2, ..BASE }).unwrap_or_default();
    if !k.is_empty() {
        assert!(k.starts_with("conv2d_i8_fast_b_p8o4:"), "{k}");
    }
}

#[test]
fn padding_stride_dilation_and_zero_points() {
    check(&Case {
        name: "strided",
        input: [2, 17, 14, 8],
        pad: [2, 0, 1, 3],
        stride: [2, 3],
        dilation: [2, 1],
        in_zp: 127,
        ..BASE
    });
    check(&Case {
        name: "dilated",
        input: [1, 12, 12, 4],
        oc: 20,
        k: [2, 3],
        pad: [0, 3, 2, 2],
        dilation: [3, 2],
        in_zp: -128,
        w_zp: 9,
        w_range: (-100, 100),
        ..BASE
    });
    check(&Case { name: "raw", fuse: false, oc: 12, ..BASE });
    check(&Case { name: "raw_bytes", fuse: false, input: [1, 5, 8, 6], oc: 5, ..BASE });
}

#[test]
fn long_sums_flush_exactly_or_fall_back() {
    // K = 3 * 3 * 64 = 576 > 512 with |w - w_zp| up to 255: at most 8 taps fit one exact
    // f32 run (64 * 128 * 255 per tap), so the kernel flushes inside the 9 taps. Inputs
    // and weights of one sign drive the raw sums to ~1.8e7, past f32's exact integers, so
    // a missing flush shows in the raw accumulator.
    let wide = Case {
        name: "flush",
        input: [1, 6, 5, 64],
        oc: 8,
        w_zp: -128,
        w_range: (120, 127),
        x_range: (115, 127),
        fuse: false,
        ..BASE
    };
    let k = check(&wide).unwrap_or_default();
    if !k.is_empty() {
        assert!(k.contains("_fast_"), "{k}");
    }
    // 256 channels: 2 taps per run.
    check(&Case { name: "flush2", input: [1, 4, 4, 256], oc: 4, ..wide });
    // 600 channels: one tap alone could pass 2^24, so the int32 kernel runs instead.
    let k =
        check(&Case { name: "fallback", input: [1, 3, 3, 600], oc: 5, ..wide }).unwrap_or_default();
    if !k.is_empty() {
        assert!(!k.contains("_fast_"), "{k}");
    }
}
