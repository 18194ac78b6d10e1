//! Spatial operators: convolutions against naive transcriptions of the pseudo-code, MATMUL,
//! pooling and RESIZE, with batch > 1.

use super::tests::{f32s, i64s, rand_vec, run1, tensor_of};
use crate::ir::{Builder, DType, NanMode, Op, ResizeMode, Tensor, TensorData};

struct ConvSpec {
    n: usize,
    ih: usize,
    iw: usize,
    ic: usize,
    oc: usize,
    kh: usize,
    kw: usize,
    pad: [i32; 4],
    stride: [i32; 2],
    dil: [i32; 2],
    izp: i64,
    wzp: i64,
}

impl ConvSpec {
    fn out_hw(&self) -> (usize, usize) {
        let oh = (self.ih as i32 - 1 + self.pad[0] + self.pad[1]
            - (self.kh as i32 - 1) * self.dil[0])
            / self.stride[0]
            + 1;
        let ow = (self.iw as i32 - 1 + self.pad[2] + self.pad[3]
            - (self.kw as i32 - 1) * self.dil[1])
            / self.stride[1]
            + 1;
        (oh as usize, ow as usize)
    }
}

/// CONV2D exactly as the pseudo-code loops over it.
fn naive_conv(s: &ConvSpec, x: &[i64], w: &[i64], bias: &[i64]) -> Vec<i64> {
    let (oh, ow) = s.out_hw();
    let mut out = vec![];
    for n in 0..s.n {
        for oy in 0..oh {
            for ox in 0..ow {
                for o in 0..s.oc {
                    let mut acc = 0i64;
                    for ky in 0..s.kh {
                        for kx in 0..s.kw {
                            let y = (oy * s.stride[0] as usize + ky * s.dil[0] as usize) as i64
                                - s.pad[0] as i64;
                            let xx = (ox * s.stride[1] as usize + kx * s.dil[1] as usize) as i64
                                - s.pad[2] as i64;
                            if y < 0 || xx < 0 || y >= s.ih as i64 || xx >= s.iw as i64 {
                                continue;
                            }
                            for c in 0..s.ic {
                                let xv = x
                                    [((n * s.ih + y as usize) * s.iw + xx as usize) * s.ic + c]
                                    - s.izp;
                                let wv = w[((o * s.kh + ky) * s.kw + kx) * s.ic + c] - s.wzp;
                                acc += xv * wv;
                            }
                        }
                    }
                    out.push(acc + bias[o]);
                }
            }
        }
    }
    out
}

fn conv_graph(s: &ConvSpec, in_t: DType, out_t: DType, w: &[i64], bias: &[i64]) -> Builder {
    let (oh, ow) = s.out_hw();
    let mut b = Builder::new("main");
    let x = b.add_input("x", in_t, &[s.n, s.ih, s.iw, s.ic]);
    let wt = b.add_const("w", tensor_of(DType::Int8, &[s.oc, s.kh, s.kw, s.ic], w));
    let bt = b.add_const("b", tensor_of(out_t, &[s.oc], bias));
    let izp = b.add_scalar_const("izp", in_t, s.izp);
    let wzp = b.add_scalar_const("wzp", DType::Int8, s.wzp);
    let op = Op::Conv2d {
        pad: s.pad,
        stride: s.stride,
        dilation: s.dil,
        local_bound: false,
        acc_type: out_t,
    };
    let y = b.add_op(op, &[&x, &wt, &bt, &izp, &wzp], out_t, &[s.n, oh, ow, s.oc]);
    b.set_outputs(&[&y]);
    b
}

#[test]
fn conv2d_hand_computed() {
    let s = ConvSpec {
        n: 1,
        ih: 3,
        iw: 3,
        ic: 1,
        oc: 1,
        kh: 2,
        kw: 2,
        pad: [0; 4],
        stride: [1, 1],
        dil: [1, 1],
        izp: 1,
        wzp: 0,
    };
    let b = conv_graph(&s, DType::Int8, DType::Int32, &[1, 2, 3, 4], &[10]);
    let x = tensor_of(DType::Int8, &[1, 3, 3, 1], &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let y = run1(b, &[x]).unwrap();
    assert_eq!(y.shape, vec![1, 2, 2, 1]);
    assert_eq!(i64s(&y), vec![37, 47, 67, 77]);
}

#[test]
fn conv2d_int8_matches_naive_with_batch_pad_stride_dilation() {
    let cases = [
        ConvSpec {
            n: 2,
            ih: 9,
            iw: 7,
            ic: 5,
            oc: 6,
            kh: 3,
            kw: 3,
            pad: [1, 1, 1, 1],
            stride: [2, 2],
            dil: [1, 1],
            izp: -7,
            wzp: 3,
        },
        ConvSpec {
            n: 3,
            ih: 8,
            iw: 8,
            ic: 3,
            oc: 4,
            kh: 3,
            kw: 2,
            pad: [2, 0, 1, 2],
            stride: [1, 1],
            dil: [2, 3],
            izp: 127,
            wzp: -128,
        },
        ConvSpec {
            n: 2,
            ih: 4,
            iw: 4,
            ic: 16,
            oc: 10,
            kh: 1,
            kw: 1,
            pad: [0; 4],
            stride: [1, 1],
            dil: [1, 1],
            izp: -128,
            wzp: 0,
        },
    ];
    for (k, s) in cases.iter().enumerate() {
        let x = rand_vec(s.n * s.ih * s.iw * s.ic, 1 + k as u64, -128, 127);
        let w = rand_vec(s.oc * s.kh * s.kw * s.ic, 100 + k as u64, -128, 127);
        let bias = rand_vec(s.oc, 200 + k as u64, -5000, 5000);
        let want = naive_conv(s, &x, &w, &bias);
        let b = conv_graph(s, DType::Int8, DType::Int32, &w, &bias);
        let y = run1(b, &[tensor_of(DType::Int8, &[s.n, s.ih, s.iw, s.ic], &x)]).unwrap();
        assert_eq!(i64s(&y), want, "case {k}");
    }
}

#[test]
fn conv2d_int16_uses_int48_accumulator() {
    let s = ConvSpec {
        n: 2,
        ih: 5,
        iw: 5,
        ic: 4,
        oc: 3,
        kh: 3,
        kw: 3,
        pad: [1, 1, 1, 1],
        stride: [1, 1],
        dil: [1, 1],
        izp: 0,
        wzp: 0,
    };
    let x = rand_vec(2 * 5 * 5 * 4, 9, -32768, 32767);
    let w = rand_vec(3 * 9 * 4, 10, -128, 127);
    let bias = vec![1i64 << 40, -(1i64 << 40), 7];
    let want = naive_conv(&s, &x, &w, &bias);
    assert!(want.iter().any(|v| v.abs() > i64::from(i32::MAX)));
    let b = conv_graph(&s, DType::Int16, DType::Int48, &w, &bias);
    let y = run1(b, &[tensor_of(DType::Int16, &[2, 5, 5, 4], &x)]).unwrap();
    assert_eq!(y.dtype, DType::Int48);
    assert_eq!(i64s(&y), want);
}

#[test]
fn conv2d_overflow_wraps_like_the_reference_model() {
    let s = ConvSpec {
        n: 1,
        ih: 1,
        iw: 1,
        ic: 1,
        oc: 1,
        kh: 1,
        kw: 1,
        pad: [0; 4],
        stride: [1, 1],
        dil: [1, 1],
        izp: 0,
        wzp: 0,
    };
    let b = conv_graph(&s, DType::Int8, DType::Int32, &[127], &[i64::from(i32::MAX)]);
    let y = run1(b, &[tensor_of(DType::Int8, &[1, 1, 1, 1], &[1])]).unwrap();
    // 127 + (2^31 - 1) wraps in the i32 accumulator.
    assert_eq!(i64s(&y), vec![i64::from(i32::MIN) + 126]);
}

#[test]
fn conv2d_f32_matches_naive() {
    let s = ConvSpec {
        n: 2,
        ih: 6,
        iw: 5,
        ic: 3,
        oc: 2,
        kh: 3,
        kw: 3,
        pad: [1, 1, 1, 1],
        stride: [1, 2],
        dil: [1, 1],
        izp: 0,
        wzp: 0,
    };
    let x = rand_vec(2 * 6 * 5 * 3, 3, -100, 100);
    let w = rand_vec(2 * 9 * 3, 4, -100, 100);
    let want = naive_conv(&s, &x, &w, &[5, -5]);
    let (oh, ow) = s.out_hw();
    let f = |v: &[i64]| v.iter().map(|&a| a as f32 / 8.0).collect::<Vec<f32>>();
    let mut b = Builder::new("main");
    let xi = b.add_input("x", DType::Fp32, &[2, 6, 5, 3]);
    let wt = b.add_const("w", Tensor::f32(vec![2, 3, 3, 3], f(&w)).unwrap());
    let bt = b.add_const("b", Tensor::f32(vec![2], vec![5.0 / 64.0, -5.0 / 64.0]).unwrap());
    let zp = b.add_const("zp", Tensor::f32(vec![1], vec![0.0]).unwrap());
    let op = Op::Conv2d {
        pad: s.pad,
        stride: s.stride,
        dilation: s.dil,
        local_bound: false,
        acc_type: DType::Fp32,
    };
    let y = b.add_op(op, &[&xi, &wt, &bt, &zp, &zp], DType::Fp32, &[2, oh, ow, 2]);
    b.set_outputs(&[&y]);
    let out = run1(b, &[Tensor::f32(vec![2, 6, 5, 3], f(&x)).unwrap()]).unwrap();
    for (got, want) in f32s(&out).iter().zip(&want) {
        assert!((got - *want as f32 / 64.0).abs() < 1e-3, "{got} vs {want}");
    }
}

#[test]
fn depthwise_matches_naive() {
    let (n, ih, iw, c, m, kh, kw) = (2usize, 5usize, 7usize, 3usize, 2usize, 3usize, 3usize);
    let (izp, wzp) = (5i64, -2i64);
    let x = rand_vec(n * ih * iw * c, 21, -128, 127);
    let w = rand_vec(kh * kw * c * m, 22, -128, 127);
    let bias = rand_vec(c * m, 23, -1000, 1000);
    let (oh, ow) = (3usize, 4usize); // pad 1, stride 2
    let mut want = vec![];
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ci in 0..c {
                    for mi in 0..m {
                        let mut acc = bias[ci * m + mi];
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let y = (oy * 2 + ky) as i64 - 1;
                                let xx = (ox * 2 + kx) as i64 - 1;
                                if y < 0 || xx < 0 || y >= ih as i64 || xx >= iw as i64 {
                                    continue;
                                }
                                let xv =
                                    x[((b * ih + y as usize) * iw + xx as usize) * c + ci] - izp;
                                acc += xv * (w[((ky * kw + kx) * c + ci) * m + mi] - wzp);
                            }
                        }
                        want.push(acc);
                    }
                }
            }
        }
    }
    let mut bld = Builder::new("main");
    let xi = bld.add_input("x", DType::Int8, &[n, ih, iw, c]);
    let wt = bld.add_const("w", tensor_of(DType::Int8, &[kh, kw, c, m], &w));
    let bt = bld.add_const("b", tensor_of(DType::Int32, &[c * m], &bias));
    let iz = bld.add_scalar_const("izp", DType::Int8, izp);
    let wz = bld.add_scalar_const("wzp", DType::Int8, wzp);
    let op = Op::DepthwiseConv2d {
        pad: [1, 1, 1, 1],
        stride: [2, 2],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let y = bld.add_op(op, &[&xi, &wt, &bt, &iz, &wz], DType::Int32, &[n, oh, ow, c * m]);
    bld.set_outputs(&[&y]);
    let out = run1(bld, &[tensor_of(DType::Int8, &[n, ih, iw, c], &x)]).unwrap();
    assert_eq!(i64s(&out), want);
}

#[test]
fn transpose_conv_spreads_each_pixel() {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int8, &[2, 2, 2, 1]);
    let w = b.add_const("w", tensor_of(DType::Int8, &[1, 2, 2, 1], &[1, 1, 1, 1]));
    let bias = b.add_const("b", tensor_of(DType::Int32, &[1], &[100]));
    let z = b.add_scalar_const("zp", DType::Int8, 0);
    let op = Op::TransposeConv2d {
        out_pad: [0; 4],
        stride: [2, 2],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let y = b.add_op(op, &[&x, &w, &bias, &z, &z], DType::Int32, &[2, 4, 4, 1]);
    b.set_outputs(&[&y]);
    let out =
        run1(b, &[tensor_of(DType::Int8, &[2, 2, 2, 1], &[1, 2, 3, 4, -1, -2, -3, -4])]).unwrap();
    let v = i64s(&out);
    assert_eq!(
        &v[..16],
        &[101, 101, 102, 102, 101, 101, 102, 102, 103, 103, 104, 104, 103, 103, 104, 104]
    );
    assert_eq!(&v[16..20], &[99, 99, 98, 98]);
}

#[test]
fn matmul_with_zero_points() {
    let mut b = Builder::new("main");
    let a = b.add_input("a", DType::Int8, &[2, 2, 2]);
    let m = b.add_const("b", tensor_of(DType::Int8, &[2, 2, 2], &[5, 6, 7, 8, 1, 0, 0, 1]));
    let az = b.add_scalar_const("az", DType::Int8, 1);
    let bz = b.add_scalar_const("bz", DType::Int8, 0);
    let y = b.add_op(Op::MatMul, &[&a, &m, &az, &bz], DType::Int32, &[2, 2, 2]);
    b.set_outputs(&[&y]);
    let out = run1(b, &[tensor_of(DType::Int8, &[2, 2, 2], &[1, 2, 3, 4, 9, 8, 7, 6])]).unwrap();
    // Batch 0: (A-1) = [[0,1],[2,3]] x [[5,6],[7,8]]; batch 1: x identity.
    assert_eq!(i64s(&out), vec![7, 8, 31, 36, 8, 7, 6, 5]);
}

fn pool_graph(
    op: Op,
    t: DType,
    in_shape: &[usize],
    out_shape: &[usize],
    zps: Option<(i64, i64)>,
) -> Builder {
    let mut b = Builder::new("main");
    let x = b.add_input("x", t, in_shape);
    let mut ins = vec![x];
    if let Some((i, o)) = zps {
        ins.push(b.add_scalar_const("iz", t, i));
        ins.push(b.add_scalar_const("oz", t, o));
    }
    let refs: Vec<&str> = ins.iter().map(String::as_str).collect();
    let y = b.add_op(op, &refs, t, out_shape);
    b.set_outputs(&[&y]);
    b
}

#[test]
fn avg_pool_counts_only_real_taps() {
    let op =
        Op::AvgPool2d { kernel: [2, 2], stride: [1, 1], pad: [1, 0, 1, 0], acc_type: DType::Int32 };
    let b = pool_graph(op.clone(), DType::Int8, &[1, 2, 2, 1], &[1, 2, 2, 1], Some((0, 0)));
    let y = run1(b, &[tensor_of(DType::Int8, &[1, 2, 2, 1], &[1, 2, 3, 5])]).unwrap();
    assert_eq!(i64s(&y), vec![1, 2, 2, 3]);
    let b = pool_graph(op, DType::Int8, &[2, 2, 2, 1], &[2, 2, 2, 1], Some((1, -1)));
    let y =
        run1(b, &[tensor_of(DType::Int8, &[2, 2, 2, 1], &[1, 2, 3, 5, -128, -128, -128, -128])])
            .unwrap();
    assert_eq!(i64s(&y), vec![-1, 0, 0, 1, -128, -128, -128, -128]);
}

#[test]
fn max_pool_ignores_padding() {
    let op = Op::MaxPool2d {
        kernel: [2, 2],
        stride: [1, 1],
        pad: [1, 0, 1, 0],
        nan_mode: NanMode::Propagate,
    };
    let b = pool_graph(op, DType::Int8, &[1, 2, 2, 1], &[1, 2, 2, 1], None);
    let y = run1(b, &[tensor_of(DType::Int8, &[1, 2, 2, 1], &[-5, -3, -7, -9])]).unwrap();
    assert_eq!(i64s(&y), vec![-5, -3, -5, -3]);
}

#[test]
fn float_pools_and_nan_modes() {
    let op =
        Op::MaxPool2d { kernel: [2, 1], stride: [2, 1], pad: [0; 4], nan_mode: NanMode::Ignore };
    let b = pool_graph(op, DType::Fp32, &[1, 2, 2, 1], &[1, 1, 2, 1], None);
    let y = run1(b, &[Tensor::f32(vec![1, 2, 2, 1], vec![f32::NAN, 1.0, 2.0, f32::NAN]).unwrap()])
        .unwrap();
    assert_eq!(f32s(&y), vec![2.0, 1.0]);
    let op =
        Op::MaxPool2d { kernel: [2, 1], stride: [2, 1], pad: [0; 4], nan_mode: NanMode::Propagate };
    let b = pool_graph(op, DType::Fp32, &[1, 2, 2, 1], &[1, 1, 2, 1], None);
    let y =
        run1(b, &[Tensor::f32(vec![1, 2, 2, 1], vec![f32::NAN, 1.0, 2.0, 3.0]).unwrap()]).unwrap();
    assert!(f32s(&y)[0].is_nan());
    let op = Op::AvgPool2d { kernel: [2, 2], stride: [2, 2], pad: [0; 4], acc_type: DType::Fp32 };
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Fp32, &[1, 2, 2, 2]);
    let z = b.add_const("z", Tensor::f32(vec![1], vec![0.0]).unwrap());
    let y = b.add_op(op, &[&x, &z, &z], DType::Fp32, &[1, 1, 1, 2]);
    b.set_outputs(&[&y]);
    let y = run1(
        b,
        &[Tensor::f32(vec![1, 2, 2, 2], vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0]).unwrap()],
    )
    .unwrap();
    assert_eq!(f32s(&y), vec![2.5, 25.0]);
}

fn resize_run(mode: ResizeMode, out_t: DType) -> Vec<i64> {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int8, &[2, 2, 2, 1]);
    let s = b.add_const_shape("scale", &[4, 2, 4, 2]);
    let o = b.add_const_shape("offset", &[-1, -1]);
    let bd = b.add_const_shape("border", &[1, 1]);
    let y = b.add_op(Op::Resize { mode }, &[&x, &s, &o, &bd], out_t, &[2, 4, 4, 1]);
    b.set_outputs(&[&y]);
    i64s(&run1(b, &[tensor_of(DType::Int8, &[2, 2, 2, 1], &[1, 2, 3, 4, 5, 5, 5, 5])]).unwrap())
}

#[test]
fn resize_nearest_and_bilinear_integer() {
    let n = resize_run(ResizeMode::Nearest, DType::Int8);
    assert_eq!(&n[..16], &[1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    assert_eq!(&n[16..], &[5; 16]);
    let b = resize_run(ResizeMode::Bilinear, DType::Int32);
    // Units of 1/16: corner 1.0, (1,1) = 1.75, (1,2) = 2.25.
    assert_eq!(b[0], 16);
    assert_eq!(b[5], 28);
    assert_eq!(b[6], 36);
    assert_eq!(b[15], 64);
    assert_eq!(&b[16..], &[80; 16]);
}

#[test]
fn resize_int16_bilinear_widens_to_int48() {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int16, &[1, 1, 2, 1]);
    let s = b.add_const_shape("scale", &[256, 1, 256, 1]);
    let o = b.add_const_shape("offset", &[0, 0]);
    let bd = b.add_const_shape("border", &[0, 0]);
    let op = Op::Resize { mode: ResizeMode::Bilinear };
    let y = b.add_op(op, &[&x, &s, &o, &bd], DType::Int48, &[1, 1, 257, 1]);
    b.set_outputs(&[&y]);
    let out = run1(b, &[tensor_of(DType::Int16, &[1, 1, 2, 1], &[32767, -32768])]).unwrap();
    let v = i64s(&out);
    // Weights are in units of 256 * 256; the result keeps them.
    assert_eq!(out.dtype, DType::Int48);
    assert_eq!(v[0], 32767 << 16);
    assert_eq!(v[256], -32768 << 16);
    assert_eq!(v[128], -32768);
}

#[test]
fn float16_and_int4_paths() {
    // fp16 conv computed in f32 and rounded on store.
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Fp16, &[1, 1, 2, 1]);
    let h = |v: &[f32]| TensorData::F16(v.iter().map(|&f| half::f16::from_f32(f)).collect());
    let w = b.add_const("w", Tensor::new(DType::Fp16, vec![1, 1, 1, 1], h(&[0.5])).unwrap());
    let bias = b.add_const("b", Tensor::new(DType::Fp16, vec![1], h(&[0.25])).unwrap());
    let z = b.add_const("z", Tensor::new(DType::Fp16, vec![1], h(&[0.0])).unwrap());
    let op = Op::Conv2d {
        pad: [0; 4],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Fp32,
    };
    let y = b.add_op(op, &[&x, &w, &bias, &z, &z], DType::Fp16, &[1, 1, 2, 1]);
    b.set_outputs(&[&y]);
    let out =
        run1(b, &[Tensor::new(DType::Fp16, vec![1, 1, 2, 1], h(&[3.0, -1.0])).unwrap()]).unwrap();
    assert_eq!(out.data, h(&[1.75, -0.25]));

    // int8 x int4 weights (EXT-INT4).
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int8, &[1, 1, 1, 2]);
    let w = b.add_const(
        "w",
        Tensor::new(DType::Int4, vec![2, 1, 1, 2], TensorData::I8(vec![-8, 7, 1, -1])).unwrap(),
    );
    let bias = b.add_const("b", tensor_of(DType::Int32, &[1], &[0]));
    let iz = b.add_scalar_const("iz", DType::Int8, 0);
    let wz = b.add_const("wz", Tensor::new(DType::Int4, vec![1], TensorData::I8(vec![0])).unwrap());
    let op = Op::Conv2d {
        pad: [0; 4],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let y = b.add_op(op, &[&x, &w, &bias, &iz, &wz], DType::Int32, &[1, 1, 1, 2]);
    b.set_outputs(&[&y]);
    let out = run1(b, &[tensor_of(DType::Int8, &[1, 1, 1, 2], &[10, 3])]).unwrap();
    assert_eq!(i64s(&out), vec![-59, 7]);
}
