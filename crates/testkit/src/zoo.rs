//! Graphs built from scratch that together use every operator the `.vgf` writer supports
//! (the operators vgforge's models are lowered to), so each operator's encoding, operand order
//! and arithmetic is checked against Arm's tools (`tosa_reference_model`, `model-converter`,
//! scenario-runner), not only the ones model-converter or ExecuTorch happened to emit. The zero points, shifts and rounding modes
//! are deliberately not the neutral ones, so a dropped or swapped operand changes the result.

use vgforge_tosa::{Builder, DType, Graph, NanMode, Op, ResizeMode, RoundingMode, Scalar, Tensor};

use crate::Result;

/// Shape of both zoos' single input.
pub const INPUT_SHAPE: [usize; 4] = [1, 4, 4, 2];

/// Deterministic pseudo-random values in `lo..=hi` (xorshift64; needs `lo <= hi` and a range
/// narrower than `i64`'s).
pub fn values(n: usize, seed: u64, lo: i64, hi: i64) -> Vec<i64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (s % (hi - lo + 1) as u64) as i64
        })
        .collect()
}

/// An int8 tensor of [`values`] (callers keep `lo..=hi` within int8).
pub fn i8s(shape: &[usize], seed: u64, lo: i64, hi: i64) -> Result<Tensor> {
    let n = shape.iter().product();
    let v = values(n, seed, lo, hi).into_iter().map(|v| v as i8).collect();
    Ok(Tensor::i8(shape.to_vec(), v)?)
}

fn i32s(shape: &[usize], seed: u64, lo: i64, hi: i64) -> Result<Tensor> {
    let n = shape.iter().product();
    let v = values(n, seed, lo, hi).into_iter().map(|v| v as i32).collect();
    Ok(Tensor::i32(shape.to_vec(), v)?)
}

/// The input the zoo tests feed [`int_zoo`]: the whole int8 range.
pub fn int_zoo_input() -> Result<Tensor> {
    i8s(&INPUT_SHAPE, 21, -128, 127)
}

/// The input the zoo tests feed [`fp_zoo`]: values in -4..=4 in steps of 1/50.
pub fn fp_zoo_input() -> Result<Tensor> {
    let n = INPUT_SHAPE.iter().product();
    let v = values(n, 22, -200, 200).into_iter().map(|v| v as f32 / 50.0).collect();
    Ok(Tensor::f32(INPUT_SHAPE.to_vec(), v)?)
}

/// Integer operators: PAD, DEPTHWISE_CONV2D, RESCALE (per-channel double-round and per-tensor
/// single-round), AVG/MAX_POOL2D, CONCAT, TRANSPOSE, SLICE, RESHAPE, TABLE, CLAMP, CAST, ADD,
/// SUB, MUL (with a rounding shift), MAXIMUM, MINIMUM, REDUCE_SUM/MAX, ARGMAX, MATMUL,
/// TRANSPOSE_CONV2D, IDENTITY. Input i8 [`INPUT_SHAPE`]; three outputs.
pub fn int_zoo() -> Result<Graph> {
    let mut b = Builder::new("int_zoo");
    let x = b.add_input("x", DType::Int8, &INPUT_SHAPE);
    let zp8 = b.add_scalar_const("zp8", DType::Int8, 0);
    let zp32 = b.add_scalar_const("zp32", DType::Int32, 0);
    let in_zp = b.add_scalar_const("in_zp", DType::Int8, -3);
    let padding = b.add_const_shape("padding", &[0, 0, 1, 1, 1, 1, 0, 0]);
    let pad_const = b.add_scalar_const("pad_const", DType::Int8, -3);
    let p = b.add_op(Op::Pad, &[&x, &padding, &pad_const], DType::Int8, &[1, 6, 6, 2]);
    let w = b.add_const("dw_w", i8s(&[3, 3, 2, 1], 1, -20, 20)?);
    let bias = b.add_const("dw_b", i32s(&[2], 2, -100, 100)?);
    let dw = Op::DepthwiseConv2d {
        pad: [0; 4],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let d = b.add_op(dw, &[&p, &w, &bias, &in_zp, &zp8], DType::Int32, &[1, 4, 4, 2]);
    let mult = b.add_const("mult", i32s(&[2], 3, 1 << 30, (1 << 31) - 1)?);
    let shift = b.add_const("shift", i8s(&[2], 4, 38, 40)?);
    let rescale = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::DoubleRound,
        per_channel: true,
        input_unsigned: false,
        output_unsigned: false,
    };
    let out_zp = b.add_scalar_const("out_zp", DType::Int8, 5);
    let r = b.add_op(rescale, &[&d, &mult, &shift, &zp32, &out_zp], DType::Int8, &[1, 4, 4, 2]);
    let pool = |kernel| (kernel, [2, 2], [0; 4]);
    let (kernel, stride, pad) = pool([2, 2]);
    let ap = b.add_op(
        Op::AvgPool2d { kernel, stride, pad, acc_type: DType::Int32 },
        &[&r, &out_zp, &zp8],
        DType::Int8,
        &[1, 2, 2, 2],
    );
    let mp = b.add_op(
        Op::MaxPool2d { kernel, stride, pad, nan_mode: NanMode::Propagate },
        &[&r],
        DType::Int8,
        &[1, 2, 2, 2],
    );
    let cat = b.add_op(Op::Concat { axis: 3 }, &[&ap, &mp], DType::Int8, &[1, 2, 2, 4]);
    let tr =
        b.add_op(Op::Transpose { perms: vec![0, 3, 1, 2] }, &[&cat], DType::Int8, &[1, 4, 2, 2]);
    let start = b.add_const_shape("start", &[0, 1, 0, 0]);
    let size = b.add_const_shape("size", &[1, 3, 2, 2]);
    let sl = b.add_op(Op::Slice, &[&tr, &start, &size], DType::Int8, &[1, 3, 2, 2]);
    let shape = b.add_const_shape("shape", &[1, 3, 4]);
    let rs = b.add_op(Op::Reshape, &[&sl, &shape], DType::Int8, &[1, 3, 4]);
    let table = b.add_const("table", i8s(&[256], 5, -128, 127)?);
    let t = b.add_op(Op::Table, &[&rs, &table], DType::Int8, &[1, 3, 4]);
    let cl = b.add_op(
        Op::Clamp {
            min_val: Scalar::I8(-100),
            max_val: Scalar::I8(90),
            nan_mode: NanMode::Propagate,
        },
        &[&t],
        DType::Int8,
        &[1, 3, 4],
    );
    let id = b.add_op(Op::Identity, &[&cl], DType::Int8, &[1, 3, 4]);
    let c32 = b.add_op(Op::Cast, &[&id], DType::Int32, &[1, 3, 4]);
    let k = b.add_const("k", i32s(&[1, 3, 4], 6, -50, 50)?);
    let a = b.add_op(Op::Add, &[&c32, &k], DType::Int32, &[1, 3, 4]);
    let s = b.add_op(Op::Sub, &[&a, &k], DType::Int32, &[1, 3, 4]);
    // A non-zero shift takes MUL's rounding path, which a shift of 0 never reaches.
    let mul_shift = b.add_scalar_const("mul_shift", DType::Int8, 3);
    let m = b.add_op(Op::Mul, &[&a, &s, &mul_shift], DType::Int32, &[1, 3, 4]);
    let mx =
        b.add_op(Op::Maximum { nan_mode: NanMode::Propagate }, &[&m, &k], DType::Int32, &[1, 3, 4]);
    let mn = b.add_op(
        Op::Minimum { nan_mode: NanMode::Propagate },
        &[&mx, &a],
        DType::Int32,
        &[1, 3, 4],
    );
    let rsum = b.add_op(Op::ReduceSum { axis: 2 }, &[&mn], DType::Int32, &[1, 3, 1]);
    let rmax = b.add_op(
        Op::ReduceMax { axis: 1, nan_mode: NanMode::Propagate },
        &[&mn],
        DType::Int32,
        &[1, 1, 4],
    );
    let am = b.add_op(
        Op::ArgMax { axis: 2, nan_mode: NanMode::Propagate },
        &[&cl],
        DType::Int32,
        &[1, 3],
    );
    let am_shape = b.add_const_shape("am_shape", &[1, 3, 1]);
    let am3 = b.add_op(Op::Reshape, &[&am, &am_shape], DType::Int32, &[1, 3, 1]);
    let bmat = b.add_const("bmat", i8s(&[1, 4, 2], 7, -128, 127)?);
    let a_zp = b.add_scalar_const("a_zp", DType::Int8, -128);
    let mm = b.add_op(Op::MatMul, &[&cl, &bmat, &a_zp, &zp8], DType::Int32, &[1, 3, 2]);
    let all = b.add_op(Op::Concat { axis: 2 }, &[&rsum, &mm, &am3], DType::Int32, &[1, 3, 4]);
    let mult1 = b.add_const("mult1", Tensor::i32(vec![1], vec![1 << 30])?);
    let shift1 = b.add_const("shift1", Tensor::i8(vec![1], vec![45])?);
    let per_tensor = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::SingleRound,
        per_channel: false,
        input_unsigned: false,
        output_unsigned: false,
    };
    let out0 = b.add_op(per_tensor, &[&all, &mult1, &shift1, &zp32, &zp8], DType::Int8, &[1, 3, 4]);
    let tw = b.add_const("tc_w", i8s(&[2, 2, 2, 2], 8, -30, 30)?);
    let tb = b.add_const("tc_b", i32s(&[2], 9, -10, 10)?);
    let tc = Op::TransposeConv2d {
        out_pad: [0; 4],
        stride: [2, 2],
        local_bound: false,
        acc_type: DType::Int32,
    };
    // A non-zero input zero point, so swapping it with the weight's shows.
    let out1 = b.add_op(tc, &[&ap, &tw, &tb, &in_zp, &zp8], DType::Int32, &[1, 4, 4, 2]);
    b.set_outputs(&[&out0, &out1, &rmax]);
    Ok(b.finish())
}

/// Floating-point operators: CONV2D, RESIZE, AVG_POOL2D, SIGMOID, TANH, EXP, RECIPROCAL, MUL,
/// SUB, MAXIMUM, CLAMP. Input f32 [`INPUT_SHAPE`].
pub fn fp_zoo() -> Result<Graph> {
    let mut b = Builder::new("fp_zoo");
    let x = b.add_input("x", DType::Fp32, &INPUT_SHAPE);
    let zp = b.add_scalar_const("zp", DType::Fp32, 0);
    let w: Vec<f32> =
        values(3 * 3 * 3 * 2, 11, -100, 100).into_iter().map(|v| v as f32 / 64.0).collect();
    let w = b.add_const("w", Tensor::f32(vec![3, 3, 3, 2], w)?);
    let bias = b.add_const("b", Tensor::f32(vec![3], vec![0.5, -0.25, 0.125])?);
    let conv = Op::Conv2d {
        pad: [1, 1, 1, 1],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Fp32,
    };
    let c = b.add_op(conv, &[&x, &w, &bias, &zp, &zp], DType::Fp32, &[1, 4, 4, 3]);
    let scale = b.add_const_shape("scale", &[4, 2, 4, 2]);
    let offset = b.add_const_shape("offset", &[-1, -1]);
    let border = b.add_const_shape("border", &[1, 1]);
    let rz = b.add_op(
        Op::Resize { mode: ResizeMode::Bilinear },
        &[&c, &scale, &offset, &border],
        DType::Fp32,
        &[1, 8, 8, 3],
    );
    let ap = b.add_op(
        Op::AvgPool2d { kernel: [2, 2], stride: [2, 2], pad: [0; 4], acc_type: DType::Fp32 },
        &[&rz, &zp, &zp],
        DType::Fp32,
        &[1, 4, 4, 3],
    );
    let sg = b.add_op(Op::Sigmoid, &[&ap], DType::Fp32, &[1, 4, 4, 3]);
    let th = b.add_op(Op::Tanh, &[&ap], DType::Fp32, &[1, 4, 4, 3]);
    let ex = b.add_op(Op::Exp, &[&th], DType::Fp32, &[1, 4, 4, 3]);
    let rc = b.add_op(Op::Reciprocal, &[&ex], DType::Fp32, &[1, 4, 4, 3]);
    let shift = b.add_scalar_const("shift", DType::Int8, 0);
    let m = b.add_op(Op::Mul, &[&sg, &rc, &shift], DType::Fp32, &[1, 4, 4, 3]);
    let s = b.add_op(Op::Sub, &[&m, &th], DType::Fp32, &[1, 4, 4, 3]);
    let mx = b.add_op(
        Op::Maximum { nan_mode: NanMode::Propagate },
        &[&s, &sg],
        DType::Fp32,
        &[1, 4, 4, 3],
    );
    let out = b.add_op(
        Op::Clamp {
            min_val: Scalar::F32(0.0),
            max_val: Scalar::F32(0.75),
            nan_mode: NanMode::Propagate,
        },
        &[&mx],
        DType::Fp32,
        &[1, 4, 4, 3],
    );
    b.set_outputs(&[&out]);
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use vgforge_tosa::{Profile, TensorData, interp, validate};

    use super::*;

    fn op_names(g: &Graph) -> BTreeSet<&'static str> {
        g.operators.iter().map(|o| o.op.name()).collect()
    }

    #[test]
    fn zoos_cover_the_operators_their_docs_promise() {
        let int = op_names(&int_zoo().unwrap());
        let fp = op_names(&fp_zoo().unwrap());
        for op in [
            "PAD",
            "DEPTHWISE_CONV2D",
            "RESCALE",
            "AVG_POOL2D",
            "MAX_POOL2D",
            "CONCAT",
            "TRANSPOSE",
            "SLICE",
            "RESHAPE",
            "TABLE",
            "CLAMP",
            "CAST",
            "ADD",
            "SUB",
            "MUL",
            "MAXIMUM",
            "MINIMUM",
            "REDUCE_SUM",
            "REDUCE_MAX",
            "ARGMAX",
            "MATMUL",
            "TRANSPOSE_CONV2D",
            "IDENTITY",
        ] {
            assert!(int.contains(op), "int_zoo lacks {op}");
        }
        for op in [
            "CONV2D",
            "RESIZE",
            "AVG_POOL2D",
            "SIGMOID",
            "TANH",
            "EXP",
            "RECIPROCAL",
            "MUL",
            "SUB",
            "MAXIMUM",
            "CLAMP",
        ] {
            assert!(fp.contains(op), "fp_zoo lacks {op}");
        }
    }

    #[test]
    fn zoos_are_valid_and_their_outputs_vary() {
        let cases = [
            (int_zoo().unwrap(), int_zoo_input().unwrap(), Profile::ProInt),
            (fp_zoo().unwrap(), fp_zoo_input().unwrap(), Profile::ProFp),
        ];
        for (g, x, profile) in cases {
            validate(&g, profile).unwrap();
            let outs = interp::run(&g, std::slice::from_ref(&x)).unwrap();
            assert_eq!(outs.len(), g.outputs.len());
            // A constant output would let a wrong implementation agree with the oracle.
            for (o, name) in outs.iter().zip(&g.outputs) {
                let distinct: BTreeSet<u64> = match &o.data {
                    TensorData::F32(v) => v.iter().map(|f| u64::from(f.to_bits())).collect(),
                    d => d.to_i64_vec().unwrap().into_iter().map(|i| i as u64).collect(),
                };
                assert!(distinct.len() > 1, "{}: output {name} is constant", g.name);
            }
        }
    }

    #[test]
    fn values_are_deterministic_and_in_range() {
        let v = values(1000, 5, -3, 4);
        assert_eq!(v, values(1000, 5, -3, 4));
        assert_ne!(v, values(1000, 6, -3, 4));
        assert!(v.iter().all(|x| (-3..=4).contains(x)));
        assert_eq!(v.iter().copied().collect::<BTreeSet<_>>().len(), 8);
    }
}
