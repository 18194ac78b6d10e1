//! Per-operator tests: hand-computed cases, rounding edges and REQUIRE failures for the
//! elementwise, RESCALE, TABLE, reduction and data-movement operators.

use super::*;
use crate::ir::{Builder, DType, NanMode, Op, RoundingMode, Scalar, Tensor, TensorData};

/// Deterministic pseudo-random values in `[lo, hi]`.
pub(super) fn rand_vec(n: usize, seed: u64, lo: i64, hi: i64) -> Vec<i64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lo + ((s >> 33) as i64).rem_euclid(hi - lo + 1)
        })
        .collect()
}

pub(super) fn run1(b: Builder, inputs: &[Tensor]) -> Result<Tensor> {
    let g = b.finish();
    Ok(run(&g, inputs)?.remove(0))
}

pub(super) fn i64s(t: &Tensor) -> Vec<i64> {
    t.data.to_i64_vec().unwrap()
}

pub(super) fn f32s(t: &Tensor) -> Vec<f32> {
    match &t.data {
        TensorData::F32(v) => v.clone(),
        other => panic!("expected f32, got {}", other.kind()),
    }
}

pub(super) fn tensor_of(dtype: DType, shape: &[usize], v: &[i64]) -> Tensor {
    Tensor::new(dtype, shape.to_vec(), value::from_i64(dtype, v.to_vec()).unwrap()).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn rescale_run(
    in_t: DType,
    out_t: DType,
    shape: &[usize],
    x: &[i64],
    mult: TensorData,
    shift: &[i64],
    zps: (i64, i64),
    flags: (bool, RoundingMode, bool, bool, bool),
) -> Result<Vec<i64>> {
    let (scale32, rounding_mode, per_channel, input_unsigned, output_unsigned) = flags;
    let mut b = Builder::new("main");
    let xi = b.add_input("x", in_t, shape);
    let mt = if matches!(mult, TensorData::I32(_)) { DType::Int32 } else { DType::Int16 };
    let m = b.add_const("m", Tensor::new(mt, vec![mult.len()], mult).unwrap());
    let s = b.add_const("s", tensor_of(DType::Int8, &[shift.len()], shift));
    let iz = b.add_scalar_const("iz", in_t, zps.0);
    let oz = b.add_scalar_const("oz", out_t, zps.1);
    let op = Op::Rescale { scale32, rounding_mode, per_channel, input_unsigned, output_unsigned };
    let y = b.add_op(op, &[&xi, &m, &s, &iz, &oz], out_t, shape);
    b.set_outputs(&[&y]);
    Ok(i64s(&run1(b, &[tensor_of(in_t, shape, x)])?))
}

#[test]
fn rescale_rounding_and_saturation() {
    use DType::*;
    use RoundingMode::*;
    let one = |m: i32| TensorData::I32(vec![m]);
    // Half scale: 5 -> 3, -5 -> -2, -7 -> -3 (half towards +inf), then output zp 1.
    let r = rescale_run(
        Int32,
        Int8,
        &[4],
        &[5, -5, -7, 1000],
        one(1 << 30),
        &[31],
        (0, 1),
        (true, SingleRound, false, false, false),
    )
    .unwrap();
    assert_eq!(r, vec![4, -1, -2, 127]);
    // Shift 32: 0.25 -> 0 with SINGLE_ROUND, 1 with DOUBLE_ROUND.
    let s = rescale_run(
        Int32,
        Int32,
        &[2],
        &[1, -3],
        one(1 << 30),
        &[32],
        (0, 0),
        (true, SingleRound, false, false, false),
    )
    .unwrap();
    let d = rescale_run(
        Int32,
        Int32,
        &[2],
        &[1, -3],
        one(1 << 30),
        &[32],
        (0, 0),
        (true, DoubleRound, false, false, false),
    )
    .unwrap();
    assert_eq!(s, vec![0, -1]);
    assert_eq!(d, vec![1, -1]);
    // Shift 62 with the largest multiplier.
    let r = rescale_run(
        Int32,
        Int32,
        &[2],
        &[i64::from(i32::MAX), i64::from(i32::MIN)],
        one(i32::MAX),
        &[62],
        (0, 0),
        (true, SingleRound, false, false, false),
    )
    .unwrap();
    assert_eq!(r, vec![1, -1]);
    // Per channel, batch of two rows.
    let r = rescale_run(
        Int32,
        Int8,
        &[2, 2],
        &[10, 10, -10, -10],
        TensorData::I32(vec![1 << 30, 3 << 29]),
        &[31, 30],
        (0, -3),
        (true, SingleRound, true, false, false),
    )
    .unwrap();
    assert_eq!(r, vec![2, 12, -8, -18]);
    // Unsigned input: the i8 bits read as u8 minus zp 128 (stored as -128).
    let r = rescale_run(
        Int8,
        Int8,
        &[3],
        &[-128, 0, 127],
        one(1 << 30),
        &[30],
        (-128, 0),
        (true, SingleRound, false, true, false),
    )
    .unwrap();
    assert_eq!(r, vec![0, -128, -1]);
    // Unsigned output saturates to [0, 255] and stores the low bits.
    let r = rescale_run(
        Int16,
        Int8,
        &[3],
        &[-5, 300, 200],
        one(1 << 30),
        &[30],
        (0, 0),
        (true, SingleRound, false, false, true),
    )
    .unwrap();
    assert_eq!(r, vec![0, -1, -56]);
    // 16-bit scale with i48 input.
    let r = rescale_run(
        Int48,
        Int32,
        &[2],
        &[(1i64 << 31) + 3, -3],
        TensorData::I16(vec![1 << 14]),
        &[15],
        (0, 0),
        (false, SingleRound, false, false, false),
    )
    .unwrap();
    assert_eq!(r, vec![(1 << 30) + 2, -1]);
    // Value outside the apply_scale_32 range for shift 2: unpredictable.
    let e = rescale_run(
        Int32,
        Int32,
        &[1],
        &[1 << 20],
        one(1),
        &[2],
        (0, 0),
        (true, SingleRound, false, false, false),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Unpredictable { .. }), "{e}");
}

fn binary_run(
    op: Op,
    t: DType,
    a: (&[usize], &[i64]),
    bb: (&[usize], &[i64]),
    out: &[usize],
    shift: Option<i64>,
) -> Result<Vec<i64>> {
    let mut b = Builder::new("main");
    let x = b.add_input("x", t, a.0);
    let y = b.add_const("y", tensor_of(t, bb.0, bb.1));
    let mut ins = vec![x, y];
    if let Some(s) = shift {
        ins.push(b.add_scalar_const("sh", DType::Int8, s));
    }
    let refs: Vec<&str> = ins.iter().map(String::as_str).collect();
    let z = b.add_op(op, &refs, DType::Int32, out);
    b.set_outputs(&[&z]);
    Ok(i64s(&run1(b, &[tensor_of(t, a.0, a.1)])?))
}

#[test]
fn add_sub_broadcast_and_overflow() {
    let r = binary_run(
        Op::Add,
        DType::Int32,
        (&[2, 1], &[10, 20]),
        (&[1, 3], &[1, 2, 3]),
        &[2, 3],
        None,
    )
    .unwrap();
    assert_eq!(r, vec![11, 12, 13, 21, 22, 23]);
    let r = binary_run(
        Op::Sub,
        DType::Int32,
        (&[2, 1], &[10, 20]),
        (&[1, 3], &[1, 2, 3]),
        &[2, 3],
        None,
    )
    .unwrap();
    assert_eq!(r, vec![9, 8, 7, 19, 18, 17]);
    let e =
        binary_run(Op::Add, DType::Int32, (&[1], &[i64::from(i32::MAX)]), (&[1], &[1]), &[1], None)
            .unwrap_err();
    assert!(matches!(e, Error::Unpredictable { .. }));
    let mx = binary_run(
        Op::Maximum { nan_mode: NanMode::Propagate },
        DType::Int32,
        (&[3], &[1, 5, -3]),
        (&[3], &[2, 4, -4]),
        &[3],
        None,
    )
    .unwrap();
    assert_eq!(mx, vec![2, 5, -3]);
    let mn = binary_run(
        Op::Minimum { nan_mode: NanMode::Propagate },
        DType::Int32,
        (&[3], &[1, 5, -3]),
        (&[1], &[2]),
        &[3],
        None,
    )
    .unwrap();
    assert_eq!(mn, vec![1, 2, -3]);
}

#[test]
fn mul_shift_rounding_and_wrap() {
    let r =
        binary_run(Op::Mul, DType::Int32, (&[3], &[3, -3, 7]), (&[3], &[5, 5, 1]), &[3], Some(1))
            .unwrap();
    // 15/2 = 7.5 -> 8; -15/2 = -7.5 -> -7; 7/2 = 3.5 -> 4.
    assert_eq!(r, vec![8, -7, 4]);
    let r = binary_run(
        Op::Mul,
        DType::Int32,
        (&[2], &[65536, -65536]),
        (&[2], &[65536, 3]),
        &[2],
        Some(0),
    )
    .unwrap();
    assert_eq!(r, vec![0, -196608]);
    let r = binary_run(
        Op::Mul,
        DType::Int8,
        (&[2], &[-128, 127]),
        (&[2], &[-128, -128]),
        &[2],
        Some(0),
    )
    .unwrap();
    assert_eq!(r, vec![16384, -16256]);
    let e =
        binary_run(Op::Mul, DType::Int32, (&[1], &[1 << 30]), (&[1], &[1 << 30]), &[1], Some(1))
            .unwrap_err();
    assert!(matches!(e, Error::Unpredictable { .. }));
}

fn unary_run(op: Op, in_t: DType, out_t: DType, x: Tensor, out_shape: &[usize]) -> Result<Tensor> {
    let mut b = Builder::new("main");
    let xi = b.add_input("x", in_t, &x.shape);
    let y = b.add_op(op, &[&xi], out_t, out_shape);
    b.set_outputs(&[&y]);
    run1(b, &[x])
}

#[test]
fn cast_rules() {
    use DType::*;
    let y =
        unary_run(Op::Cast, Int32, Int8, tensor_of(Int32, &[3], &[300, -129, 5]), &[3]).unwrap();
    assert_eq!(i64s(&y), vec![44, 127, 5]);
    let y = unary_run(Op::Cast, Int8, Int32, tensor_of(Int8, &[2], &[-1, 7]), &[2]).unwrap();
    assert_eq!(i64s(&y), vec![-1, 7]);
    let y = unary_run(Op::Cast, Int16, Bool, tensor_of(Int16, &[2], &[0, -2]), &[2]).unwrap();
    assert_eq!(y.data, TensorData::Bool(vec![false, true]));
    let y = unary_run(
        Op::Cast,
        Fp32,
        Int8,
        Tensor::f32(vec![6], vec![2.5, 3.5, -2.5, 1000.0, -1000.0, 0.49]).unwrap(),
        &[6],
    )
    .unwrap();
    assert_eq!(i64s(&y), vec![2, 4, -2, 127, -128, 0]);
    let e = unary_run(Op::Cast, Fp32, Int32, Tensor::f32(vec![1], vec![f32::NAN]).unwrap(), &[1])
        .unwrap_err();
    assert!(matches!(e, Error::Unpredictable { .. }));
    let y = unary_run(
        Op::Cast,
        Fp32,
        Fp16,
        Tensor::f32(vec![2], vec![1.0 / 3.0, 70000.0]).unwrap(),
        &[2],
    )
    .unwrap();
    let TensorData::F16(h) = &y.data else { panic!("f16") };
    assert_eq!(h[0], half::f16::from_f32(1.0 / 3.0));
    assert!(h[1].is_infinite());
}

#[test]
fn clamp_int_and_float() {
    let op = Op::Clamp {
        min_val: Scalar::I8(-5),
        max_val: Scalar::I8(100),
        nan_mode: NanMode::Propagate,
    };
    let y = unary_run(
        op,
        DType::Int8,
        DType::Int8,
        tensor_of(DType::Int8, &[4], &[-128, -5, 50, 127]),
        &[4],
    )
    .unwrap();
    assert_eq!(i64s(&y), vec![-5, -5, 50, 100]);
    let op = Op::Clamp {
        min_val: Scalar::F32(0.0),
        max_val: Scalar::F32(6.0),
        nan_mode: NanMode::Ignore,
    };
    let y = unary_run(
        op,
        DType::Fp32,
        DType::Fp32,
        Tensor::f32(vec![3], vec![-1.0, f32::NAN, 7.0]).unwrap(),
        &[3],
    )
    .unwrap();
    assert_eq!(f32s(&y), vec![0.0, 0.0, 6.0]);
}

#[test]
fn fp_unary_functions() {
    let x = || Tensor::f32(vec![3], vec![0.0, 1.0, -2.0]).unwrap();
    let s = f32s(&unary_run(Op::Sigmoid, DType::Fp32, DType::Fp32, x(), &[3]).unwrap());
    assert_eq!(s[0], 0.5);
    assert!((s[1] - 0.731_058_6).abs() < 1e-6);
    let t = f32s(&unary_run(Op::Tanh, DType::Fp32, DType::Fp32, x(), &[3]).unwrap());
    assert!((t[2] + 0.964_027_6).abs() < 1e-6);
    let e = f32s(&unary_run(Op::Exp, DType::Fp32, DType::Fp32, x(), &[3]).unwrap());
    assert!((e[1] - std::f32::consts::E).abs() < 1e-6);
    let r = f32s(&unary_run(Op::Reciprocal, DType::Fp32, DType::Fp32, x(), &[3]).unwrap());
    assert_eq!(r, vec![f32::INFINITY, 1.0, -0.5]);
}

#[test]
fn table_int8_and_int16_interpolation() {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int8, &[3]);
    let t = b.add_const(
        "t",
        tensor_of(DType::Int8, &[256], &(0..256).map(|i| 127 - i).collect::<Vec<_>>()),
    );
    let y = b.add_op(Op::Table, &[&x, &t], DType::Int8, &[3]);
    b.set_outputs(&[&y]);
    let y = run1(b, &[tensor_of(DType::Int8, &[3], &[-128, 0, 127])]).unwrap();
    assert_eq!(i64s(&y), vec![127, -1, -128]);

    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int16, &[4]);
    let t = b.add_const(
        "t",
        tensor_of(DType::Int16, &[513], &(0..513).map(|i| 2 * i).collect::<Vec<_>>()),
    );
    let y = b.add_op(Op::Table, &[&x, &t], DType::Int32, &[4]);
    b.set_outputs(&[&y]);
    let y = run1(b, &[tensor_of(DType::Int16, &[4], &[-32768, 0, 1, 32767])]).unwrap();
    assert_eq!(i64s(&y), vec![0, 65536, 65538, 131070]);
}

#[test]
fn reductions_and_argmax() {
    let x = || tensor_of(DType::Int32, &[2, 3], &[1, 7, 7, -4, -2, -9]);
    let s = unary_run(Op::ReduceSum { axis: 1 }, DType::Int32, DType::Int32, x(), &[2, 1]).unwrap();
    assert_eq!(i64s(&s), vec![15, -15]);
    let s = unary_run(Op::ReduceSum { axis: 0 }, DType::Int32, DType::Int32, x(), &[1, 3]).unwrap();
    assert_eq!(i64s(&s), vec![-3, 5, -2]);
    let m = unary_run(
        Op::ReduceMax { axis: 1, nan_mode: NanMode::Propagate },
        DType::Int32,
        DType::Int32,
        x(),
        &[2, 1],
    )
    .unwrap();
    assert_eq!(i64s(&m), vec![7, -2]);
    let x8 = tensor_of(DType::Int8, &[2, 3], &[1, 7, 7, -4, -2, -9]);
    let a = unary_run(
        Op::ArgMax { axis: 1, nan_mode: NanMode::Propagate },
        DType::Int8,
        DType::Int32,
        x8,
        &[2],
    )
    .unwrap();
    assert_eq!(i64s(&a), vec![1, 1]);
    let xf = Tensor::f32(vec![1, 4], vec![1.0, f32::NAN, 3.0, 3.0]).unwrap();
    let a = unary_run(
        Op::ArgMax { axis: 1, nan_mode: NanMode::Ignore },
        DType::Fp32,
        DType::Int32,
        xf.clone(),
        &[1],
    )
    .unwrap();
    assert_eq!(i64s(&a), vec![2]);
    let a = unary_run(
        Op::ArgMax { axis: 1, nan_mode: NanMode::Propagate },
        DType::Fp32,
        DType::Int32,
        xf,
        &[1],
    )
    .unwrap();
    assert_eq!(i64s(&a), vec![1]);
    let e = unary_run(
        Op::ReduceSum { axis: 0 },
        DType::Int32,
        DType::Int32,
        tensor_of(DType::Int32, &[2], &[i64::from(i32::MAX), 1]),
        &[1],
    )
    .unwrap_err();
    assert!(matches!(e, Error::Unpredictable { .. }));
}

#[test]
fn data_movement() {
    let x = || tensor_of(DType::Int8, &[2, 3], &[1, 2, 3, 4, 5, 6]);
    let t = unary_run(Op::Transpose { perms: vec![1, 0] }, DType::Int8, DType::Int8, x(), &[3, 2])
        .unwrap();
    assert_eq!(i64s(&t), vec![1, 4, 2, 5, 3, 6]);

    let mut b = Builder::new("main");
    let xi = b.add_input("x", DType::Int8, &[2, 3]);
    let p = b.add_const_shape("p", &[1, 0, 0, 1]);
    let c = b.add_scalar_const("c", DType::Int8, -9);
    let y = b.add_op(Op::Pad, &[&xi, &p, &c], DType::Int8, &[3, 4]);
    b.set_outputs(&[&y]);
    assert_eq!(i64s(&run1(b, &[x()]).unwrap()), vec![-9, -9, -9, -9, 1, 2, 3, -9, 4, 5, 6, -9]);

    let mut b = Builder::new("main");
    let xi = b.add_input("x", DType::Int8, &[2, 3]);
    let st = b.add_const_shape("st", &[1, 1]);
    let sz = b.add_const_shape("sz", &[1, 2]);
    let y = b.add_op(Op::Slice, &[&xi, &st, &sz], DType::Int8, &[1, 2]);
    b.set_outputs(&[&y]);
    assert_eq!(i64s(&run1(b, &[x()]).unwrap()), vec![5, 6]);

    let mut b = Builder::new("main");
    let xi = b.add_input("x", DType::Int8, &[2, 3]);
    let k = b.add_const("k", tensor_of(DType::Int8, &[2, 1], &[7, 8]));
    let y = b.add_op(Op::Concat { axis: 1 }, &[&xi, &k, &xi], DType::Int8, &[2, 7]);
    let s = b.add_const_shape("s", &[14]);
    let r = b.add_op(Op::Reshape, &[&y, &s], DType::Int8, &[14]);
    b.set_outputs(&[&r]);
    assert_eq!(i64s(&run1(b, &[x()]).unwrap()), vec![1, 2, 3, 7, 1, 2, 3, 4, 5, 6, 8, 4, 5, 6]);
}

#[test]
fn inputs_are_checked() {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int32, &[2]);
    let y = b.add_op(Op::Add, &[&x, &x], DType::Int32, &[2]);
    b.set_outputs(&[&y]);
    let g = b.finish();
    assert!(matches!(run(&g, &[]), Err(Error::Input { .. })));
    assert!(matches!(run(&g, &[tensor_of(DType::Int8, &[2], &[1, 2])]), Err(Error::Input { .. })));
    assert!(matches!(
        run(&g, &[tensor_of(DType::Int32, &[3], &[1, 2, 3])]),
        Err(Error::Input { .. })
    ));
    assert_eq!(i64s(&run(&g, &[tensor_of(DType::Int32, &[2], &[1, 2])]).unwrap()[0]), vec![2, 4]);
}

#[test]
fn reshape_to_rank_zero_uses_an_empty_shape() {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int32, &[1, 1]);
    let s = b.add_const_shape("s", &[]);
    let y = b.add_op(Op::Reshape, &[&x, &s], DType::Int32, &[]);
    b.set_outputs(&[&y]);
    let out = run1(b, &[tensor_of(DType::Int32, &[1, 1], &[42])]).unwrap();
    assert!(out.shape.is_empty());
    assert_eq!(i64s(&out), vec![42]);
}
