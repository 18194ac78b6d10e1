//! Every compute kernel variant on small single-operator graphs (odd sizes, strides,
//! dilation, padding, broadcast, zero points), bit-exact with the TOSA interpreter at
//! batch 3 (f32: 1e-5 relative).

mod common;

use common::{Rng, f32_rel_diff, int_diff, random_input, runner_with};
use vgforge_runner::{Backend, Runner, RunnerOptions};
use vgforge_tosa::{
    Builder, DType, Graph, NanMode, Op, ResizeMode, RoundingMode, Scalar, Tensor, TensorData,
};

/// Checks `g` on both CONV2D kernel families (the register-blocked CPU one and the
/// one-pixel-per-invocation GPU one), whatever the device.
fn check(name: &str, g: &Graph, expect_dispatches: usize) {
    for blocked in [false, true] {
        let opts = RunnerOptions { blocked_conv: Some(blocked), ..Default::default() };
        let Some(r) = runner_with(Backend::Compute, opts) else { return };
        check_on(&format!("{name} (blocked_conv {blocked})"), &r, g, expect_dispatches);
    }
}

fn check_on(name: &str, r: &Runner, g: &Graph, expect_dispatches: usize) {
    let mut m = r.load(g).unwrap_or_else(|e| panic!("{name}: load: {e}"));
    assert_eq!(m.dispatches().len(), expect_dispatches, "{name}: {:?}", m.dispatches());
    let mut rng = Rng::new(name.len() as u64 * 7919);
    let inputs: Vec<Tensor> =
        g.input_decls().iter().map(|d| random_input(&mut rng, d.dtype, &d.shape, 3)).collect();
    let want = vgforge_tosa::interp::run_batched(g, &inputs)
        .unwrap_or_else(|e| panic!("{name}: interpreter: {e}"));
    let got = m.run(&inputs, 3).unwrap_or_else(|e| panic!("{name}: run: {e}"));
    for (gt, w) in got.iter().zip(&want) {
        if w.dtype == DType::Fp32 {
            let rel = f32_rel_diff(gt, w);
            assert!(rel <= 1e-5, "{name}: relative difference {rel}");
        } else {
            let (n, max) = int_diff(gt, w);
            assert_eq!(n, 0, "{name}: {n} elements differ (max {max} LSB)");
        }
    }
}

fn rand_i8(rng: &mut Rng, shape: &[usize]) -> Tensor {
    Tensor::i8(shape.to_vec(), rng.i8s(shape.iter().product())).unwrap()
}

fn rand_f32(rng: &mut Rng, shape: &[usize]) -> Tensor {
    Tensor::f32(shape.to_vec(), rng.f32s(shape.iter().product(), -1.0, 1.0)).unwrap()
}

fn rescale_to_i8(
    b: &mut Builder,
    x: &str,
    c: usize,
    shape: &[usize],
    rounding: RoundingMode,
) -> String {
    let m = b.add_const(
        "m",
        Tensor::i32(vec![c], (0..c).map(|i| 1_300_000_000 + 37_000_000 * i as i32).collect())
            .unwrap(),
    );
    let s = b
        .add_const("s", Tensor::i8(vec![c], (0..c).map(|i| 36 + (i % 4) as i8).collect()).unwrap());
    let izp = b.add_scalar_const("rizp", DType::Int32, 0);
    let ozp = b.add_scalar_const("rozp", DType::Int8, 5);
    let op = Op::Rescale {
        scale32: true,
        rounding_mode: rounding,
        per_channel: true,
        input_unsigned: false,
        output_unsigned: false,
    };
    b.add_op(op, &[x, &m, &s, &izp, &ozp], DType::Int8, shape)
}

fn conv_graph(depthwise: bool, float: bool, fuse: bool) -> Graph {
    conv_graph_sized(depthwise, float, fuse, 3, if depthwise { 6 } else { 5 })
}

fn conv_graph_sized(depthwise: bool, float: bool, fuse: bool, ic: usize, oc: usize) -> Graph {
    let mut rng = Rng::new(5);
    let mut b = Builder::new("conv");
    b.set_location(Some("layer1"));
    let dt = if float { DType::Fp32 } else { DType::Int8 };
    let x = b.add_input("x", dt, &[2, 9, 11, ic]);
    // 3x3, stride 2, dilation (2,1), pad (2,2,1,1): out = (9-1+4-4)/2+1 = 5, (11-1+2-2)/2+1 = 6
    let wshape = if depthwise { vec![3, 3, ic, oc / ic] } else { vec![oc, 3, 3, ic] };
    let w = if float { rand_f32(&mut rng, &wshape) } else { rand_i8(&mut rng, &wshape) };
    let w = b.add_const("w", w);
    let bias = if float {
        Tensor::f32(vec![oc], rng.f32s(oc, -1.0, 1.0)).unwrap()
    } else {
        Tensor::i32(vec![1], vec![-321]).unwrap()
    };
    let bias = b.add_const("b", bias);
    let (izp, wzp) = if float {
        (b.add_scalar_const("izp", DType::Fp32, 0), b.add_scalar_const("wzp", DType::Fp32, 0))
    } else {
        (b.add_scalar_const("izp", DType::Int8, 7), b.add_scalar_const("wzp", DType::Int8, -2))
    };
    let acc_t = if float { DType::Fp32 } else { DType::Int32 };
    let attrs = ([2, 2, 1, 1], [2, 2], [2, 1]);
    let op = if depthwise {
        Op::DepthwiseConv2d {
            pad: attrs.0,
            stride: attrs.1,
            dilation: attrs.2,
            local_bound: false,
            acc_type: acc_t,
        }
    } else {
        Op::Conv2d {
            pad: attrs.0,
            stride: attrs.1,
            dilation: attrs.2,
            local_bound: false,
            acc_type: acc_t,
        }
    };
    let oshape = [2, 5, 6, oc];
    let y = b.add_op(op, &[&x, &w, &bias, &izp, &wzp], acc_t, &oshape);
    if fuse {
        let q = rescale_to_i8(&mut b, &y, oc, &oshape, RoundingMode::DoubleRound);
        let c = Op::Clamp {
            min_val: Scalar::I8(-100),
            max_val: Scalar::I8(90),
            nan_mode: NanMode::Propagate,
        };
        let r = b.add_op(c, &[&q], DType::Int8, &oshape);
        b.set_outputs(&[&r]);
    } else {
        b.set_outputs(&[&y]);
    }
    b.finish()
}

#[test]
fn conv2d_i8_strided_dilated_fused() {
    check("conv2d_i8_fused", &conv_graph(false, false, true), 1);
}

#[test]
fn conv2d_i8_raw_accumulator() {
    check("conv2d_i8_raw", &conv_graph(false, false, false), 1);
}

#[test]
fn conv2d_i8_word_packed_variants() {
    // IC % 4 == 0 selects the packed kernels: 8 channels per invocation above 4 outputs.
    check("conv2d_i8_p4o8_fused", &conv_graph_sized(false, false, true, 8, 13), 1);
    check("conv2d_i8_p4o8_raw", &conv_graph_sized(false, false, false, 8, 13), 1);
    check("conv2d_i8_p4o4_fused", &conv_graph_sized(false, false, true, 12, 3), 1);
    check("conv2d_i8_p4o4_raw", &conv_graph_sized(false, false, false, 12, 3), 1);
}

#[test]
fn depthwise_i8_fused_and_raw() {
    check("depthwise_i8_fused", &conv_graph(true, false, true), 1);
    check("depthwise_i8_raw", &conv_graph(true, false, false), 1);
}

#[test]
fn conv2d_and_depthwise_f32() {
    check("conv2d_f32", &conv_graph(false, true, false), 1);
    check("depthwise_f32", &conv_graph(true, true, false), 1);
}

fn pool_graph(avg: bool, dt: DType) -> Graph {
    let mut b = Builder::new("pool");
    let x = b.add_input("x", dt, &[1, 7, 6, 5]);
    // kernel 3x2, stride 2x2, pad (1,1,0,0): out = (7+2-3)/2+1 = 4, (6-2)/2+1 = 3
    let (kernel, stride, pad) = ([3, 2], [2, 2], [1, 1, 0, 0]);
    let y = if avg {
        let (izp, ozp) = if dt == DType::Int8 {
            (b.add_scalar_const("izp", dt, -3), b.add_scalar_const("ozp", dt, 4))
        } else {
            (b.add_scalar_const("izp", dt, 0), b.add_scalar_const("ozp", dt, 0))
        };
        let acc = if dt == DType::Int8 { DType::Int32 } else { DType::Fp32 };
        b.add_op(
            Op::AvgPool2d { kernel, stride, pad, acc_type: acc },
            &[&x, &izp, &ozp],
            dt,
            &[1, 4, 3, 5],
        )
    } else {
        b.add_op(
            Op::MaxPool2d { kernel, stride, pad, nan_mode: NanMode::Propagate },
            &[&x],
            dt,
            &[1, 4, 3, 5],
        )
    };
    b.set_outputs(&[&y]);
    b.finish()
}

#[test]
fn pools_i8_and_f32() {
    for (avg, dt) in
        [(false, DType::Int8), (true, DType::Int8), (false, DType::Fp32), (true, DType::Fp32)]
    {
        check(&format!("pool avg={avg} {dt}"), &pool_graph(avg, dt), 1);
    }
}

fn resize_graph(mode: ResizeMode, dt: DType, out_dt: DType) -> Graph {
    let mut b = Builder::new("resize");
    let x = b.add_input("x", dt, &[1, 5, 4, 3]);
    // y: scale 5/3, offset -1, border 0 -> ((5-1)*5 + 1 + 0)/3 + 1 = 8; x: 2/1 -> (4-1)*2/1+1 = 7
    let scale = b.add_const_shape("scale", &[5, 3, 2, 1]);
    let offset = b.add_const_shape("offset", &[-1, 0]);
    let border = b.add_const_shape("border", &[0, 0]);
    let y = b.add_op(Op::Resize { mode }, &[&x, &scale, &offset, &border], out_dt, &[1, 8, 7, 3]);
    b.set_outputs(&[&y]);
    b.finish()
}

/// Bilinear int8 RESIZE -> RESCALE to int8 (per-channel, with an input zero point as
/// the upscaler's has none) -> CLAMP, which the lowering runs as one dispatch.
fn resize_rescale_graph(per_channel: bool) -> Graph {
    let mut b = Builder::new("resize_rescale");
    let r = resize_rescale(&mut b, per_channel);
    b.set_outputs(&[&r]);
    b.finish()
}

fn resize_rescale(b: &mut Builder, per_channel: bool) -> String {
    let x = b.add_input("x", DType::Int8, &[2, 5, 4, 3]);
    let scale = b.add_const_shape("scale", &[5, 3, 2, 1]);
    let offset = b.add_const_shape("offset", &[-1, 0]);
    let border = b.add_const_shape("border", &[0, 0]);
    let shape = [2, 8, 7, 3];
    let y = b.add_op(
        Op::Resize { mode: ResizeMode::Bilinear },
        &[&x, &scale, &offset, &border],
        DType::Int32,
        &shape,
    );
    let nc = if per_channel { 3 } else { 1 };
    let m = b.add_const(
        "m",
        Tensor::i32(vec![nc], (0..nc).map(|i| 1_500_000_000 - 200_000_000 * i as i32).collect())
            .unwrap(),
    );
    let s =
        b.add_const("s", Tensor::i8(vec![nc], (0..nc).map(|i| 36 + i as i8).collect()).unwrap());
    let izp = b.add_scalar_const("izp", DType::Int32, 0);
    let ozp = b.add_scalar_const("ozp", DType::Int8, -3);
    let op = Op::Rescale {
        scale32: true,
        rounding_mode: if per_channel {
            RoundingMode::DoubleRound
        } else {
            RoundingMode::SingleRound
        },
        per_channel,
        input_unsigned: false,
        output_unsigned: false,
    };
    let q = b.add_op(op, &[&y, &m, &s, &izp, &ozp], DType::Int8, &shape);
    let c = Op::Clamp {
        min_val: Scalar::I8(-90),
        max_val: Scalar::I8(100),
        nan_mode: NanMode::Propagate,
    };
    b.add_op(c, &[&q], DType::Int8, &shape)
}

#[test]
fn resize_fused_with_rescale() {
    check("resize + rescale per channel", &resize_rescale_graph(true), 1);
    check("resize + rescale", &resize_rescale_graph(false), 1);
}

/// [`resize_rescale_graph`] feeding a 3x3 CONV2D (3 -> 6 channels, input zero point -3,
/// weight zero point 4): on the blocked kernels the resize stores 4 channels per pixel
/// and the convolution reads them as words.
fn resize_then_conv_graph(weight_zp: i64) -> Graph {
    let mut b = Builder::new("resize_conv");
    let x = resize_rescale(&mut b, true);
    let mut rng = Rng::new(17);
    let w = b.add_const("cw", rand_i8(&mut rng, &[6, 3, 3, 3]));
    let bias = b.add_const("cb", Tensor::i32(vec![6], vec![50, -60, 70, -80, 90, -100]).unwrap());
    let izp = b.add_scalar_const("cizp", DType::Int8, -3);
    let wzp = b.add_scalar_const("cwzp", DType::Int8, weight_zp);
    let op = Op::Conv2d {
        pad: [1, 1, 1, 1],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let y = b.add_op(op, &[&x, &w, &bias, &izp, &wzp], DType::Int32, &[2, 8, 7, 6]);
    let q = rescale_to_i8(&mut b, &y, 6, &[2, 8, 7, 6], RoundingMode::SingleRound);
    b.set_outputs(&[&q]);
    b.finish()
}

#[test]
fn resize_stores_padded_channels_for_a_conv() {
    for wzp in [0, 4] {
        check(&format!("resize + conv (w_zp {wzp})"), &resize_then_conv_graph(wzp), 2);
    }
    let opts = RunnerOptions { blocked_conv: Some(true), ..Default::default() };
    let Some(r) = runner_with(Backend::Compute, opts) else { return };
    let d = r.load(&resize_then_conv_graph(4)).expect("load").dispatches();
    // Word-packed (IC 4), not the byte kernel a dense 3-channel input needs.
    assert!(d[1].starts_with("conv2d_i8_fast_p16o16:"), "{d:?}");
}

#[test]
fn resize_modes_and_types() {
    check("resize bilinear i8", &resize_graph(ResizeMode::Bilinear, DType::Int8, DType::Int32), 1);
    check("resize nearest i8", &resize_graph(ResizeMode::Nearest, DType::Int8, DType::Int8), 1);
    check("resize bilinear f32", &resize_graph(ResizeMode::Bilinear, DType::Fp32, DType::Fp32), 1);
    check("resize nearest f32", &resize_graph(ResizeMode::Nearest, DType::Fp32, DType::Fp32), 1);
}

fn rescale_graph(
    in_dt: DType,
    out_dt: DType,
    in_unsigned: bool,
    out_unsigned: bool,
    per_channel: bool,
) -> Graph {
    let mut b = Builder::new("rescale");
    let x = b.add_input("x", in_dt, &[1, 3, 4, 6]);
    let nc = if per_channel { 6 } else { 1 };
    let m = b.add_const(
        "m",
        Tensor::i32(vec![nc], (0..nc).map(|i| 1_100_000_000 + 90_000_000 * i as i32).collect())
            .unwrap(),
    );
    let s =
        b.add_const("s", Tensor::i8(vec![nc], (0..nc).map(|i| 30 + i as i8).collect()).unwrap());
    let izp = b.add_scalar_const(
        "izp",
        in_dt,
        if in_dt == DType::Int8 { if in_unsigned { 130 } else { -7 } } else { 0 },
    );
    let ozp_v = match (out_dt, out_unsigned) {
        (DType::Int8, true) => 200,
        (DType::Int8, false) => 3,
        _ => 0,
    };
    let ozp = b.add_scalar_const("ozp", out_dt, ozp_v);
    let op = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::SingleRound,
        per_channel,
        input_unsigned: in_unsigned,
        output_unsigned: out_unsigned,
    };
    let y = b.add_op(op, &[&x, &m, &s, &izp, &ozp], out_dt, &[1, 3, 4, 6]);
    b.set_outputs(&[&y]);
    b.finish()
}

#[test]
fn rescale_type_and_sign_variants() {
    check("rescale i8->i8", &rescale_graph(DType::Int8, DType::Int8, false, false, true), 1);
    check("rescale u8->i8", &rescale_graph(DType::Int8, DType::Int8, true, false, false), 1);
    check("rescale i8->u8", &rescale_graph(DType::Int8, DType::Int8, false, true, true), 1);
    check("rescale i8->i32", &rescale_graph(DType::Int8, DType::Int32, false, false, false), 1);
    check("rescale i8->i16", &rescale_graph(DType::Int8, DType::Int16, false, false, true), 1);
}

fn elementwise_graph(
    op: Op,
    dt: DType,
    a: &[usize],
    bsh: &[usize],
    out: &[usize],
    const_b: bool,
) -> Graph {
    let mut rng = Rng::new(11);
    let mut b = Builder::new("ew");
    let x = b.add_input("a", dt, a);
    let y = if const_b {
        let t = match dt {
            DType::Int32 => Tensor::i32(
                bsh.to_vec(),
                (0..bsh.iter().product::<usize>()).map(|i| i as i32 * 1000 - 7000).collect(),
            )
            .unwrap(),
            _ => rand_f32(&mut rng, bsh),
        };
        b.add_const("b", t)
    } else {
        b.add_input("b", dt, bsh)
    };
    let z = b.add_op(op, &[&x, &y], dt, out);
    b.set_outputs(&[&z]);
    b.finish()
}

fn i32_input_graph(op: Op) -> Graph {
    // ADD/SUB take i32: produce it from an i8 input through RESCALE so the inputs are random i8.
    let mut b = Builder::new("add_i32");
    let x = b.add_input("x", DType::Int8, &[1, 4, 1, 3]);
    let m = b.add_const("m", Tensor::i32(vec![1], vec![1 << 30]).unwrap());
    let s = b.add_const("s", Tensor::i8(vec![1], vec![20]).unwrap());
    let izp = b.add_scalar_const("izp", DType::Int8, 0);
    let ozp = b.add_scalar_const("ozp", DType::Int32, 0);
    let r = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::SingleRound,
        per_channel: false,
        input_unsigned: false,
        output_unsigned: false,
    };
    let wide = b.add_op(r, &[&x, &m, &s, &izp, &ozp], DType::Int32, &[1, 4, 1, 3]);
    let c =
        b.add_const("c", Tensor::i32(vec![1, 1, 5, 1], vec![-5, 100, 7, 123_456, -99]).unwrap());
    let y = b.add_op(op, &[&wide, &c], DType::Int32, &[1, 4, 5, 3]);
    b.set_outputs(&[&y]);
    b.finish()
}

#[test]
fn add_sub_broadcast() {
    check("add i32", &i32_input_graph(Op::Add), 2);
    check("sub i32", &i32_input_graph(Op::Sub), 2);
    check(
        "add f32 broadcast",
        &elementwise_graph(Op::Add, DType::Fp32, &[2, 1, 3], &[2, 4, 1], &[2, 4, 3], false),
        1,
    );
    check(
        "sub f32 const",
        &elementwise_graph(Op::Sub, DType::Fp32, &[1, 4, 3], &[1, 1, 3], &[1, 4, 3], true),
        1,
    );
}

#[test]
fn clamp_i8_and_f32() {
    for dt in [DType::Int8, DType::Fp32] {
        let mut b = Builder::new("clamp");
        let x = b.add_input("x", dt, &[3, 5, 7]);
        let (lo, hi) = if dt == DType::Int8 {
            (Scalar::I8(-20), Scalar::I8(50))
        } else {
            (Scalar::F32(-0.25), Scalar::F32(0.5))
        };
        let y = b.add_op(
            Op::Clamp { min_val: lo, max_val: hi, nan_mode: NanMode::Propagate },
            &[&x],
            dt,
            &[3, 5, 7],
        );
        b.set_outputs(&[&y]);
        check(&format!("clamp {dt}"), &b.finish(), 1);
    }
}

#[test]
fn matmul_i8_and_f32() {
    for dt in [DType::Int8, DType::Fp32] {
        let mut rng = Rng::new(3);
        let mut b = Builder::new("matmul");
        let a = b.add_input("a", dt, &[2, 3, 7]);
        let w = if dt == DType::Int8 {
            rand_i8(&mut rng, &[2, 7, 5])
        } else {
            rand_f32(&mut rng, &[2, 7, 5])
        };
        let w = b.add_const("w", w);
        let (azp, bzp, out) = if dt == DType::Int8 {
            (b.add_scalar_const("azp", dt, -4), b.add_scalar_const("bzp", dt, 9), DType::Int32)
        } else {
            (b.add_scalar_const("azp", dt, 0), b.add_scalar_const("bzp", dt, 0), DType::Fp32)
        };
        let y = b.add_op(Op::MatMul, &[&a, &w, &azp, &bzp], out, &[2, 3, 5]);
        b.set_outputs(&[&y]);
        check(&format!("matmul {dt}"), &b.finish(), 1);
    }
}

#[test]
fn table_and_reshape() {
    let mut b = Builder::new("table");
    let x = b.add_input("x", DType::Int8, &[1, 4, 4, 2]);
    let t: Vec<i8> = (0..256).map(|i: i32| ((i * 37 + 11) % 256 - 128) as i8).collect();
    let t = b.add_const("t", Tensor::new(DType::Int8, vec![256], TensorData::I8(t)).unwrap());
    let y = b.add_op(Op::Table, &[&x, &t], DType::Int8, &[1, 4, 4, 2]);
    let shape = b.add_const_shape("shape", &[1, 32]);
    let z = b.add_op(Op::Reshape, &[&y, &shape], DType::Int8, &[1, 32]);
    b.set_outputs(&[&z]);
    check("table + reshape", &b.finish(), 1);
}
