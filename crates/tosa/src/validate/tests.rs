//! Negative (and a few positive) tests, one group per rule family.

use super::*;
use crate::ir::{Builder, NanMode, ResizeMode, RoundingMode, Scalar, Tensor, TensorData};

fn err_of(g: &Graph, p: Profile) -> String {
    match validate(g, p) {
        Ok(()) => panic!("expected a validation error"),
        Err(e) => e.to_string(),
    }
}

struct ConvCase {
    in_t: DType,
    w_t: DType,
    out_t: DType,
    acc: DType,
    in_shape: Vec<usize>,
    w_shape: Vec<usize>,
    bias_len: usize,
    out_shape: Vec<usize>,
    izp: i64,
    wzp: i64,
    pad: [i32; 4],
    stride: [i32; 2],
    dilation: [i32; 2],
}

impl ConvCase {
    fn i8() -> ConvCase {
        ConvCase {
            in_t: DType::Int8,
            w_t: DType::Int8,
            out_t: DType::Int32,
            acc: DType::Int32,
            in_shape: vec![2, 8, 8, 3],
            w_shape: vec![4, 3, 3, 3],
            bias_len: 4,
            out_shape: vec![2, 8, 8, 4],
            izp: -3,
            wzp: 0,
            pad: [1, 1, 1, 1],
            stride: [1, 1],
            dilation: [1, 1],
        }
    }

    fn build(&self) -> Graph {
        let mut b = Builder::new("main");
        b.set_location(Some("conv1"));
        let x = b.add_input("x", self.in_t, &self.in_shape);
        let wn: usize = self.w_shape.iter().product();
        let w = b.add_const(
            "w",
            Tensor {
                dtype: self.w_t,
                shape: self.w_shape.clone(),
                data: TensorData::zeros(self.w_t, wn),
            },
        );
        let bias = b.add_const(
            "b",
            Tensor {
                dtype: self.out_t,
                shape: vec![self.bias_len],
                data: TensorData::zeros(self.out_t, self.bias_len),
            },
        );
        let izp = b.add_scalar_const("izp", self.in_t, self.izp);
        let wzp = b.add_scalar_const("wzp", self.w_t, self.wzp);
        let op = Op::Conv2d {
            pad: self.pad,
            stride: self.stride,
            dilation: self.dilation,
            local_bound: false,
            acc_type: self.acc,
        };
        let y = b.add_op(op, &[&x, &w, &bias, &izp, &wzp], self.out_t, &self.out_shape);
        b.set_outputs(&[&y]);
        b.finish()
    }
}

#[test]
fn conv_valid_cases_pass() {
    validate(&ConvCase::i8().build(), Profile::ProInt).unwrap();
    let mut c = ConvCase::i8();
    (c.in_t, c.out_t, c.acc, c.izp) = (DType::Int16, DType::Int48, DType::Int48, 0);
    validate(&c.build(), Profile::ProInt).unwrap();
    let mut c = ConvCase::i8();
    (c.in_t, c.w_t, c.out_t, c.acc, c.izp) =
        (DType::Fp32, DType::Fp32, DType::Fp32, DType::Fp32, 0);
    validate(&c.build(), Profile::ProFp).unwrap();
}

#[test]
fn conv_zero_point_rules() {
    let mut c = ConvCase::i8();
    (c.in_t, c.out_t, c.acc, c.izp) = (DType::Int16, DType::Int48, DType::Int48, 5);
    assert_eq!(
        err_of(&c.build(), Profile::ProInt),
        "CONV2D 'conv1': input_zp must be 0 for i16 input (ERROR_IF)"
    );
    let mut c = ConvCase::i8();
    (c.in_t, c.w_t, c.out_t, c.acc, c.izp, c.wzp) =
        (DType::Fp32, DType::Fp32, DType::Fp32, DType::Fp32, 0, 1);
    assert!(err_of(&c.build(), Profile::ProFp).contains("weight_zp must be 0"));
}

#[test]
fn conv_shape_rules() {
    let mut c = ConvCase::i8();
    c.out_shape = vec![2, 7, 8, 4];
    assert!(err_of(&c.build(), Profile::ProInt).contains("expected [2, 8, 8, 4]"));
    let mut c = ConvCase::i8();
    (c.stride, c.pad, c.out_shape) = ([2, 2], [0, 0, 0, 0], vec![2, 3, 3, 4]);
    // (8 - 1 - 2) / 2 is not exact.
    assert!(err_of(&c.build(), Profile::ProInt).contains("not an exact"));
    let mut c = ConvCase::i8();
    c.pad = [-1, 1, 1, 1];
    assert!(err_of(&c.build(), Profile::ProInt).contains("pad"));
    let mut c = ConvCase::i8();
    c.stride = [0, 1];
    assert!(err_of(&c.build(), Profile::ProInt).contains("stride"));
    let mut c = ConvCase::i8();
    c.dilation = [1, 0];
    assert!(err_of(&c.build(), Profile::ProInt).contains("dilation"));
    let mut c = ConvCase::i8();
    c.bias_len = 3;
    assert!(err_of(&c.build(), Profile::ProInt).contains("bias"));
    let mut c = ConvCase::i8();
    c.w_shape = vec![4, 3, 3, 2];
    assert!(err_of(&c.build(), Profile::ProInt).contains("input channels"));
    let mut c = ConvCase::i8();
    c.in_shape = vec![2, 8, 8];
    assert!(err_of(&c.build(), Profile::ProInt).contains("rank 4"));
}

#[test]
fn conv_type_rules_follow_profile() {
    let g = ConvCase::i8().build();
    assert!(err_of(&g, Profile::ProFp).contains("not in profile"));
    let mut c = ConvCase::i8();
    c.out_t = DType::Int16;
    assert!(err_of(&c.build(), Profile::Both).contains("not supported"));
}

fn rescale_graph(
    in_t: DType,
    out_t: DType,
    attrs: (bool, RoundingMode, bool, bool, bool),
    mult: TensorData,
    shift: Vec<i8>,
    zps: (i64, i64),
) -> Graph {
    let (scale32, rounding_mode, per_channel, input_unsigned, output_unsigned) = attrs;
    let mut b = Builder::new("main");
    b.set_location(Some("rq"));
    let x = b.add_input("x", in_t, &[1, 2]);
    let mt = if matches!(mult, TensorData::I32(_)) { DType::Int32 } else { DType::Int16 };
    let n = mult.len();
    let m = b.add_const("m", Tensor { dtype: mt, shape: vec![n], data: mult });
    let s = b.add_const(
        "s",
        Tensor::new(DType::Int8, vec![shift.len()], TensorData::I8(shift)).unwrap(),
    );
    let izp = b.add_scalar_const("izp", in_t, zps.0);
    let ozp = b.add_scalar_const("ozp", out_t, zps.1);
    let op = Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned };
    let y = b.add_op(op, &[&x, &m, &s, &izp, &ozp], out_t, &[1, 2]);
    b.set_outputs(&[&y]);
    b.finish()
}

#[test]
fn rescale_rules() {
    use DType::*;
    let single = RoundingMode::SingleRound;
    let m32 = || TensorData::I32(vec![1 << 30]);
    let ok =
        rescale_graph(Int32, Int8, (true, single, false, false, false), m32(), vec![30], (0, -5));
    validate(&ok, Profile::ProInt).unwrap();
    let cases: Vec<(Graph, &str)> = vec![
        (
            rescale_graph(Int32, Int8, (true, single, false, false, false), m32(), vec![1], (0, 0)),
            "shift[0] = 1 must be in 2..=62",
        ),
        (
            rescale_graph(
                Int32,
                Int8,
                (true, single, false, false, false),
                m32(),
                vec![63],
                (0, 0),
            ),
            "must be in 2..=62",
        ),
        (
            rescale_graph(
                Int32,
                Int8,
                (true, single, false, false, false),
                TensorData::I32(vec![-1]),
                vec![30],
                (0, 0),
            ),
            "multiplier[0] = -1",
        ),
        (
            rescale_graph(
                Int32,
                Int8,
                (true, single, false, false, false),
                m32(),
                vec![30],
                (3, 0),
            ),
            "input_zp must be 0 for i32",
        ),
        (
            rescale_graph(
                Int16,
                Int8,
                (false, RoundingMode::DoubleRound, false, false, false),
                TensorData::I16(vec![1 << 14]),
                vec![14],
                (0, 0),
            ),
            "DOUBLE_ROUND requires scale32",
        ),
        (
            rescale_graph(Int8, Int16, (true, single, false, true, true), m32(), vec![30], (0, 0)),
            "cannot both be set",
        ),
        (
            rescale_graph(Int8, Int32, (true, single, false, true, false), m32(), vec![30], (0, 0)),
            "i32 output",
        ),
        (
            rescale_graph(Int32, Int8, (true, single, false, false, true), m32(), vec![30], (0, 0)),
            "i32 input",
        ),
        (
            rescale_graph(Int8, Int16, (true, single, false, false, true), m32(), vec![30], (0, 5)),
            "must be 0 or 32768",
        ),
        (
            rescale_graph(
                Int48,
                Int8,
                (true, single, false, false, false),
                m32(),
                vec![30],
                (0, 0),
            ),
            "scale32 must be false",
        ),
        (
            rescale_graph(Int32, Int8, (true, single, true, false, false), m32(), vec![30], (0, 0)),
            "must have shape [2]",
        ),
        (
            rescale_graph(
                Int32,
                Int8,
                (false, single, false, false, false),
                m32(),
                vec![30],
                (0, 0),
            ),
            "must be i16",
        ),
    ];
    for (g, want) in cases {
        let e = err_of(&g, Profile::ProInt);
        assert!(e.starts_with("RESCALE 'rq': "), "{e}");
        assert!(e.contains(want), "{e} does not mention {want}");
    }
    // Unsigned i16 with zero point 32768 (stored as -32768) is allowed.
    let u16 = rescale_graph(
        Int8,
        Int16,
        (true, single, false, false, true),
        m32(),
        vec![30],
        (0, -32768),
    );
    validate(&u16, Profile::ProInt).unwrap();
    // RESCALE does not exist in PRO-FP.
    assert!(err_of(&ok, Profile::ProFp).contains("PRO-INT"));
}

fn binary_graph(op: Op, t: DType, a: &[usize], bsh: &[usize], out: &[usize], shift: i64) -> Graph {
    let mut b = Builder::new("main");
    let x = b.add_input("x", t, a);
    let y = b.add_input("y", t, bsh);
    let out_t = if matches!(op, Op::Mul) && t.is_int() { DType::Int32 } else { t };
    let mut ins = vec![x, y];
    if matches!(op, Op::Mul) {
        ins.push(b.add_scalar_const("shift", DType::Int8, shift));
    }
    let refs: Vec<&str> = ins.iter().map(String::as_str).collect();
    let z = b.add_op(op, &refs, out_t, out);
    b.set_outputs(&[&z]);
    b.finish()
}

#[test]
fn elementwise_rules() {
    use DType::*;
    validate(&binary_graph(Op::Add, Int32, &[2, 1], &[1, 3], &[2, 3], 0), Profile::ProInt).unwrap();
    assert!(
        err_of(&binary_graph(Op::Add, Int8, &[2], &[2], &[2], 0), Profile::ProInt)
            .contains("not supported")
    );
    assert!(
        err_of(&binary_graph(Op::Add, Int32, &[2, 3], &[3], &[2, 3], 0), Profile::ProInt)
            .contains("equal ranks")
    );
    assert!(
        err_of(&binary_graph(Op::Sub, Int32, &[2, 3], &[2, 2], &[2, 3], 0), Profile::ProInt)
            .contains("cannot be broadcast")
    );
    assert!(
        err_of(&binary_graph(Op::Add, Int32, &[2, 1], &[1, 3], &[2, 1], 0), Profile::ProInt)
            .contains("expected [2, 3]")
    );
    validate(&binary_graph(Op::Mul, Int32, &[4], &[4], &[4], 63), Profile::ProInt).unwrap();
    assert!(
        err_of(&binary_graph(Op::Mul, Int32, &[4], &[4], &[4], 64), Profile::ProInt)
            .contains("0..=63")
    );
    assert!(
        err_of(&binary_graph(Op::Mul, Int8, &[4], &[4], &[4], 3), Profile::ProInt)
            .contains("shift must be 0")
    );
    let max = Op::Maximum { nan_mode: NanMode::Propagate };
    assert!(
        err_of(&binary_graph(max, Fp32, &[4], &[4], &[4], 0), Profile::ProInt)
            .contains("not in profile")
    );
}

fn unary_graph(op: Op, in_t: DType, out_t: DType, shape: &[usize], out_shape: &[usize]) -> Graph {
    let mut b = Builder::new("main");
    let x = b.add_input("x", in_t, shape);
    let y = b.add_op(op, &[&x], out_t, out_shape);
    b.set_outputs(&[&y]);
    b.finish()
}

#[test]
fn clamp_cast_and_reduce_rules() {
    use DType::*;
    let clamp = |lo, hi| Op::Clamp { min_val: lo, max_val: hi, nan_mode: NanMode::Propagate };
    validate(
        &unary_graph(clamp(Scalar::I8(-5), Scalar::I8(100)), Int8, Int8, &[3], &[3]),
        Profile::ProInt,
    )
    .unwrap();
    assert!(
        err_of(
            &unary_graph(clamp(Scalar::I8(5), Scalar::I8(1)), Int8, Int8, &[3], &[3]),
            Profile::ProInt
        )
        .contains("smaller than min_val")
    );
    assert!(
        err_of(
            &unary_graph(clamp(Scalar::I32(0), Scalar::I32(1)), Int32, Int32, &[3], &[3]),
            Profile::ProInt
        )
        .contains("not supported")
    );
    assert!(
        err_of(
            &unary_graph(clamp(Scalar::I16(0), Scalar::I16(1)), Int8, Int8, &[3], &[3]),
            Profile::ProInt
        )
        .contains("must be the input type")
    );
    assert!(
        err_of(
            &unary_graph(clamp(Scalar::F32(f32::NAN), Scalar::F32(1.0)), Fp32, Fp32, &[3], &[3]),
            Profile::ProFp
        )
        .contains("NaN")
    );
    validate(&unary_graph(Op::Cast, Int32, Int8, &[3], &[3]), Profile::ProInt).unwrap();
    assert!(
        err_of(&unary_graph(Op::Cast, Fp32, Int8, &[3], &[3]), Profile::ProInt)
            .contains("not in profile")
    );
    assert!(
        err_of(&unary_graph(Op::Cast, Int8, Int8, &[3], &[3]), Profile::Both)
            .contains("not supported")
    );
    validate(
        &unary_graph(Op::ReduceSum { axis: 1 }, Int32, Int32, &[2, 3], &[2, 1]),
        Profile::ProInt,
    )
    .unwrap();
    assert!(
        err_of(
            &unary_graph(Op::ReduceSum { axis: 2 }, Int32, Int32, &[2, 3], &[2, 1]),
            Profile::ProInt
        )
        .contains("axis 2 is outside")
    );
    assert!(
        err_of(
            &unary_graph(Op::ReduceSum { axis: 0 }, Int8, Int8, &[2, 3], &[1, 3]),
            Profile::ProInt
        )
        .contains("not supported")
    );
    let am = Op::ArgMax { axis: 1, nan_mode: NanMode::Propagate };
    validate(&unary_graph(am.clone(), Int8, Int32, &[2, 3], &[2]), Profile::ProInt).unwrap();
    assert!(
        err_of(&unary_graph(am, Int8, Int8, &[2, 3], &[2]), Profile::ProInt)
            .contains("output must be i32")
    );
    assert!(
        err_of(&unary_graph(Op::Sigmoid, Int8, Int8, &[2], &[2]), Profile::Both)
            .contains("not supported")
    );
}

#[test]
fn pool_rules() {
    use DType::*;
    let mp = |k: [i32; 2], s: [i32; 2], p: [i32; 4]| Op::MaxPool2d {
        kernel: k,
        stride: s,
        pad: p,
        nan_mode: NanMode::Propagate,
    };
    validate(
        &unary_graph(mp([2, 2], [2, 2], [0; 4]), Int8, Int8, &[2, 4, 4, 3], &[2, 2, 2, 3]),
        Profile::ProInt,
    )
    .unwrap();
    assert!(
        err_of(
            &unary_graph(
                mp([2, 2], [2, 2], [2, 0, 0, 0]),
                Int8,
                Int8,
                &[1, 4, 4, 3],
                &[1, 3, 2, 3]
            ),
            Profile::ProInt
        )
        .contains("smaller than kernel")
    );
    assert!(
        err_of(
            &unary_graph(mp([0, 2], [2, 2], [0; 4]), Int8, Int8, &[1, 4, 4, 3], &[1, 2, 2, 3]),
            Profile::ProInt
        )
        .contains("kernel")
    );
    assert!(
        err_of(
            &unary_graph(mp([2, 2], [2, 2], [0; 4]), Int8, Int8, &[1, 5, 4, 3], &[1, 2, 2, 3]),
            Profile::ProInt
        )
        .contains("not an exact")
    );
    assert!(
        err_of(
            &unary_graph(mp([2, 2], [2, 2], [0; 4]), Int32, Int32, &[1, 4, 4, 3], &[1, 2, 2, 3]),
            Profile::ProInt
        )
        .contains("not supported")
    );
    let mut b = Builder::new("main");
    let x = b.add_input("x", Int16, &[1, 4, 4, 1]);
    let izp = b.add_scalar_const("izp", Int16, 1);
    let ozp = b.add_scalar_const("ozp", Int16, 0);
    let op = Op::AvgPool2d { kernel: [2, 2], stride: [2, 2], pad: [0; 4], acc_type: Int32 };
    let y = b.add_op(op, &[&x, &izp, &ozp], Int16, &[1, 2, 2, 1]);
    b.set_outputs(&[&y]);
    assert!(err_of(&b.finish(), Profile::ProInt).contains("input_zp must be 0 for i16"));
}

fn resize_graph(scale: [i64; 4], offset: [i64; 2], border: [i64; 2], out: &[usize]) -> Graph {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int8, &[1, 2, 2, 1]);
    let s = b.add_const_shape("scale", &scale);
    let o = b.add_const_shape("offset", &offset);
    let bd = b.add_const_shape("border", &border);
    let y =
        b.add_op(Op::Resize { mode: ResizeMode::Bilinear }, &[&x, &s, &o, &bd], DType::Int32, out);
    b.set_outputs(&[&y]);
    b.finish()
}

#[test]
fn resize_rules() {
    validate(&resize_graph([4, 2, 4, 2], [-1, -1], [1, 1], &[1, 4, 4, 1]), Profile::ProInt)
        .unwrap();
    assert!(
        err_of(&resize_graph([0, 2, 4, 2], [0, 0], [0, 0], &[1, 4, 4, 1]), Profile::ProInt)
            .contains("positive")
    );
    assert!(
        err_of(&resize_graph([4, 2, 4, 2], [-5, -1], [1, 1], &[1, 4, 4, 1]), Profile::ProInt)
            .contains("offset_y")
    );
    assert!(
        err_of(&resize_graph([4, 2, 4, 2], [-1, -1], [4, 1], &[1, 4, 4, 1]), Profile::ProInt)
            .contains("border_y")
    );
    assert!(
        err_of(&resize_graph([4, 2, 4, 2], [-1, -1], [1, 1], &[1, 5, 4, 1]), Profile::ProInt)
            .contains("expected [1, 4, 4, 1]")
    );
    assert!(
        err_of(&resize_graph([1, 16, 1, 1], [0, 0], [0, 0], &[1, 1, 2, 1]), Profile::ProInt)
            .contains("downscales")
    );
}

#[test]
fn data_movement_rules() {
    use DType::*;
    let perm = |p: Vec<i32>, out: &[usize]| {
        unary_graph(Op::Transpose { perms: p }, Int8, Int8, &[2, 3, 4], out)
    };
    validate(&perm(vec![2, 0, 1], &[4, 2, 3]), Profile::ProInt).unwrap();
    assert!(err_of(&perm(vec![0, 0, 1], &[2, 2, 3]), Profile::ProInt).contains("repeats"));
    assert!(err_of(&perm(vec![0, 1, 3], &[2, 3, 4]), Profile::ProInt).contains("outside"));
    assert!(err_of(&perm(vec![0, 1], &[2, 3]), Profile::ProInt).contains("entries"));

    let mut b = Builder::new("main");
    let x = b.add_input("x", Int8, &[2, 3]);
    let s = b.add_const_shape("s", &[7]);
    let y = b.add_op(Op::Reshape, &[&x, &s], Int8, &[7]);
    b.set_outputs(&[&y]);
    assert!(err_of(&b.finish(), Profile::ProInt).contains("element count"));

    let slice = |start: &[i64], size: &[i64], out: &[usize]| {
        let mut b = Builder::new("main");
        let x = b.add_input("x", Int8, &[2, 3]);
        let st = b.add_const_shape("start", start);
        let sz = b.add_const_shape("size", size);
        let y = b.add_op(Op::Slice, &[&x, &st, &sz], Int8, out);
        b.set_outputs(&[&y]);
        b.finish()
    };
    validate(&slice(&[1, 1], &[1, 2], &[1, 2]), Profile::ProInt).unwrap();
    assert!(err_of(&slice(&[1, 2], &[1, 2], &[1, 2]), Profile::ProInt).contains("exceed"));
    assert!(err_of(&slice(&[0], &[1], &[1]), Profile::ProInt).contains("must have 2 elements"));

    let pad = |p: &[i64], out: &[usize]| {
        let mut b = Builder::new("main");
        let x = b.add_input("x", Int8, &[2, 3]);
        let pd = b.add_const_shape("padding", p);
        let pc = b.add_scalar_const("pc", Int8, -128);
        let y = b.add_op(Op::Pad, &[&x, &pd, &pc], Int8, out);
        b.set_outputs(&[&y]);
        b.finish()
    };
    validate(&pad(&[1, 0, 0, 2], &[3, 5]), Profile::ProInt).unwrap();
    assert!(err_of(&pad(&[-1, 0, 0, 2], &[1, 5]), Profile::ProInt).contains("non-negative"));
    assert!(err_of(&pad(&[1, 0, 0, 2], &[3, 4]), Profile::ProInt).contains("expected [3, 5]"));

    let concat = |axis: i32, second: &[usize], out: &[usize]| {
        let mut b = Builder::new("main");
        let x = b.add_input("x", Int8, &[2, 3]);
        let y = b.add_input("y", Int8, second);
        let z = b.add_op(Op::Concat { axis }, &[&x, &y], Int8, out);
        b.set_outputs(&[&z]);
        b.finish()
    };
    validate(&concat(1, &[2, 4], &[2, 7]), Profile::ProInt).unwrap();
    assert!(err_of(&concat(2, &[2, 4], &[2, 7]), Profile::ProInt).contains("axis 2"));
    assert!(err_of(&concat(1, &[3, 4], &[2, 7]), Profile::ProInt).contains("off the axis"));
    assert!(err_of(&concat(1, &[2, 4], &[2, 6]), Profile::ProInt).contains("expected [2, 7]"));

    let mut b = Builder::new("main");
    let x = b.add_input("x", Int8, &[4]);
    let t = b.add_const("t", Tensor::i8(vec![255], vec![0; 255]).unwrap());
    let y = b.add_op(Op::Table, &[&x, &t], Int8, &[4]);
    b.set_outputs(&[&y]);
    assert!(err_of(&b.finish(), Profile::ProInt).contains("[256]"));
}

#[test]
fn graph_structure_rules() {
    use DType::*;
    // Zero point fed by a graph input instead of a constant.
    let mut b = Builder::new("main");
    let x = b.add_input("x", Int8, &[1, 2, 2, 1]);
    let zp = b.add_input("zp", Int8, &[1]);
    let op = Op::AvgPool2d { kernel: [2, 2], stride: [1, 1], pad: [0; 4], acc_type: Int32 };
    let y = b.add_op(op, &[&x, &zp, &zp], Int8, &[1, 1, 1, 1]);
    b.set_outputs(&[&y]);
    assert!(err_of(&b.finish(), Profile::ProInt).contains("compile-time constant"));

    let good = binary_graph(Op::Add, Int32, &[2], &[2], &[2], 0);
    let mut g = good.clone();
    g.operators[0].inputs[1] = "nope".into();
    assert!(err_of(&g, Profile::ProInt).contains("'nope' is not declared"));
    let mut g = good.clone();
    g.outputs = vec!["missing".into()];
    assert!(err_of(&g, Profile::ProInt).contains("never defined"));
    let mut g = good.clone();
    let dup = g.operators[0].clone();
    g.operators.push(dup);
    assert!(err_of(&g, Profile::ProInt).contains("defined more than once"));
    let mut g = good.clone();
    g.operators[0].outputs = vec![];
    assert!(err_of(&g, Profile::ProInt).contains("expected 1 output"));
    let mut g = good.clone();
    g.operators[0].inputs.pop();
    assert!(err_of(&g, Profile::ProInt).contains("expected 2 operands"));
    let mut g = good.clone();
    g.outputs.clear();
    assert!(err_of(&g, Profile::ProInt).contains("no outputs"));
    let mut g = good.clone();
    g.tensors.get_mut("x").unwrap().shape = vec![1 << 16, 1 << 16];
    assert!(err_of(&g, Profile::ProInt).contains("level limit"));
    let mut g = good.clone();
    g.tensors.get_mut("x").unwrap().shape = vec![1; 7];
    assert!(err_of(&g, Profile::ProInt).contains("rank 7 exceeds"));
    let mut g = good.clone();
    g.tensors.get_mut("x").unwrap().shape = vec![0];
    assert!(err_of(&g, Profile::ProInt).contains("zero dimension"));

    // Use before definition: consumer listed before the producer.
    let mut b = Builder::new("main");
    let x = b.add_input("x", Int32, &[2]);
    let a = b.add_op(Op::Add, &[&x, &x], Int32, &[2]);
    let c = b.add_op(Op::Add, &[&a, &x], Int32, &[2]);
    b.set_outputs(&[&c]);
    let mut g = b.finish();
    g.operators.swap(0, 1);
    assert!(err_of(&g, Profile::ProInt).contains("used before it is defined"));

    // A constant whose data does not fit its declaration.
    let mut b = Builder::new("main");
    let k = b.add_const("k", Tensor::i32(vec![2], vec![1, 2]).unwrap());
    b.set_outputs(&[&k]);
    let mut g = b.finish();
    g.tensors.get_mut("k").unwrap().shape = vec![3];
    assert!(err_of(&g, Profile::ProInt).contains("needs 3 elements"));
}

#[test]
fn depthwise_and_transpose_conv_rules() {
    use DType::*;
    let build = |op: Op, w_shape: &[usize], bias: usize, out: &[usize]| {
        let mut b = Builder::new("main");
        let x = b.add_input("x", Int8, &[1, 4, 4, 2]);
        let wn = w_shape.iter().product();
        let w = b.add_const("w", Tensor::i8(w_shape.to_vec(), vec![0; wn]).unwrap());
        let bt = b.add_const("b", Tensor::i32(vec![bias], vec![0; bias]).unwrap());
        let z = b.add_scalar_const("z", Int8, 0);
        let y = b.add_op(op, &[&x, &w, &bt, &z, &z], Int32, out);
        b.set_outputs(&[&y]);
        b.finish()
    };
    let dw = Op::DepthwiseConv2d {
        pad: [1; 4],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: Int32,
    };
    validate(&build(dw.clone(), &[3, 3, 2, 3], 6, &[1, 4, 4, 6]), Profile::ProInt).unwrap();
    assert!(
        err_of(&build(dw.clone(), &[3, 3, 3, 3], 6, &[1, 4, 4, 9]), Profile::ProInt)
            .contains("channel dimension")
    );
    assert!(
        err_of(&build(dw, &[3, 3, 2, 3], 5, &[1, 4, 4, 6]), Profile::ProInt)
            .contains("must be 6 or 1")
    );
    let tc = |out_pad: [i32; 4]| Op::TransposeConv2d {
        out_pad,
        stride: [2, 2],
        local_bound: false,
        acc_type: Int32,
    };
    validate(&build(tc([0; 4]), &[3, 2, 2, 2], 3, &[1, 8, 8, 3]), Profile::ProInt).unwrap();
    validate(&build(tc([-1, 0, 0, -1]), &[3, 2, 2, 2], 1, &[1, 7, 7, 3]), Profile::ProInt).unwrap();
    assert!(
        err_of(&build(tc([-2, 0, 0, 0]), &[3, 2, 2, 2], 3, &[1, 6, 8, 3]), Profile::ProInt)
            .contains("out_pad")
    );
    assert!(
        err_of(&build(tc([0; 4]), &[3, 2, 2, 2], 3, &[1, 9, 8, 3]), Profile::ProInt)
            .contains("expected [1, 8, 8, 3]")
    );
}

#[test]
fn hostile_sizes_do_not_overflow() {
    use DType::*;
    let mut b = Builder::new("main");
    let x = b.add_input("x", Int8, &[2, 3]);
    let pd = b.add_const_shape("padding", &[i64::MAX, i64::MAX, 0, 0]);
    let pc = b.add_scalar_const("pc", Int8, 0);
    let y = b.add_op(Op::Pad, &[&x, &pd, &pc], Int8, &[2, 3]);
    b.set_outputs(&[&y]);
    assert!(err_of(&b.finish(), Profile::ProInt).contains("overflows"));
    let mut b = Builder::new("main");
    let x = b.add_input("x", Int8, &[2, 3]);
    let st = b.add_const_shape("start", &[i64::MAX, 0]);
    let sz = b.add_const_shape("size", &[i64::MAX, 1]);
    let y = b.add_op(Op::Slice, &[&x, &st, &sz], Int8, &[1, 1]);
    b.set_outputs(&[&y]);
    assert!(err_of(&b.finish(), Profile::ProInt).contains("exceed"));
    assert!(
        err_of(&resize_graph([4, i64::MAX, 4, 2], [0, 0], [0, 0], &[1, 1, 1, 1]), Profile::ProInt)
            .contains("downscales")
    );
    let mut c = ConvCase::i8();
    c.dilation = [i32::MAX, i32::MAX];
    assert!(err_of(&c.build(), Profile::ProInt).contains("not an exact non-negative"));
}
