//! CLAMP, binary elementwise (ADD, SUB, MUL, MAXIMUM, MINIMUM), fp unary, IDENTITY and CAST rules.

use super::Ctx;
use super::ctx::TypeRow;
use crate::error::Result;
use crate::ir::{DType, Op, Scalar};

use DType::{Bool, Fp16, Fp32, Int8, Int16, Int32};

const CLAMP_INT: &[TypeRow] = &[&[Int8], &[Int16]];
const FP: &[TypeRow] = &[&[Fp16], &[Fp32]];

fn same_as_input(c: &Ctx) -> Result<()> {
    let (i, o) = (c.input(0), c.out());
    if i.dtype != o.dtype {
        return Err(c.err(format!(
            "output '{}' must have the input type {}, is {}",
            o.name, i.dtype, o.dtype
        )));
    }
    c.expect_out_shape(&i.shape)
}

pub(super) fn check_clamp(c: &Ctx) -> Result<()> {
    let Op::Clamp { min_val, max_val, .. } = c.op.op else {
        unreachable!("check_clamp is only called for CLAMP")
    };
    let t = c.input(0).dtype;
    c.check_types(&[t], CLAMP_INT, FP)?;
    same_as_input(c)?;
    for (what, v) in [("min_val", min_val), ("max_val", max_val)] {
        if v.dtype() != t {
            return Err(c.err(format!("{what} is {}, must be the input type {t}", v.dtype())));
        }
        if matches!(v, Scalar::F32(_) | Scalar::F16(_) | Scalar::Bf16(_)) && v.as_f64().is_nan() {
            return Err(c.err(format!("{what} must not be NaN (ERROR_IF)")));
        }
    }
    if max_val.as_f64() < min_val.as_f64() {
        return Err(c.err(format!(
            "max_val {} is smaller than min_val {} (ERROR_IF)",
            max_val.as_f64(),
            min_val.as_f64()
        )));
    }
    Ok(())
}

/// `broadcast_shape`: equal ranks; each dimension equal or 1.
pub(super) fn broadcast(c: &Ctx, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    if a.len() != b.len() {
        return Err(c.err(format!(
            "operand ranks differ: {a:?} vs {b:?}; broadcasting needs equal ranks (ERROR_IF)"
        )));
    }
    a.iter()
        .zip(b)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Ok(x),
            (1, _) => Ok(y),
            (_, 1) => Ok(x),
            _ => Err(c.err(format!("shapes {a:?} and {b:?} cannot be broadcast (ERROR_IF)"))),
        })
        .collect()
}

const I32_ONLY: &[TypeRow] = &[&[Int32]];
/// MUL rows are `(input, output)`.
const MUL_INT: &[TypeRow] = &[&[Int8, Int32], &[Int16, Int32], &[Int32, Int32]];
const MUL_FP: &[TypeRow] = &[&[Fp16, Fp16], &[Fp32, Fp32]];

pub(super) fn check_binary(c: &Ctx) -> Result<()> {
    let (a, b, o) = (c.input(0), c.input(1), c.out());
    if a.dtype != b.dtype {
        return Err(c.err(format!(
            "input1 is {} but input2 is {}; they must match (ERROR_IF)",
            a.dtype, b.dtype
        )));
    }
    if let Op::Mul = c.op.op {
        c.check_types(&[a.dtype, o.dtype], MUL_INT, MUL_FP)?;
        c.expect_dtype(2, Int8)?;
        let sd = c.input(2);
        if sd.shape != [1] {
            return Err(
                c.err(format!("shift '{}' must have shape [1], has {:?}", sd.name, sd.shape))
            );
        }
        let shift = c.const_ints(2)?[0];
        if !(0..=63).contains(&shift) {
            return Err(c.err(format!("shift {shift} must be in 0..=63 (REQUIRE)")));
        }
        if shift != 0 && a.dtype != Int32 {
            return Err(c.err(format!("shift must be 0 for {} inputs (REQUIRE)", a.dtype)));
        }
    } else {
        c.check_types(&[a.dtype], I32_ONLY, FP)?;
        if o.dtype != a.dtype {
            return Err(c.err(format!("output is {}, must be {}", o.dtype, a.dtype)));
        }
    }
    let shape = broadcast(c, &a.shape, &b.shape)?;
    c.expect_out_shape(&shape)
}

pub(super) fn check_unary_fp(c: &Ctx) -> Result<()> {
    c.check_types(&[c.input(0).dtype], &[], FP)?;
    same_as_input(c)
}

pub(super) fn check_identity(c: &Ctx) -> Result<()> {
    same_as_input(c)
}

/// CAST rows are `(input, output)`.
const CAST_INT: &[TypeRow] = &[
    &[Bool, Int8],
    &[Bool, Int16],
    &[Bool, Int32],
    &[Int8, Bool],
    &[Int8, Int16],
    &[Int8, Int32],
    &[Int16, Bool],
    &[Int16, Int8],
    &[Int16, Int32],
    &[Int32, Bool],
    &[Int32, Int8],
    &[Int32, Int16],
];
const CAST_FP: &[TypeRow] = &[
    &[Int8, Fp16],
    &[Int8, Fp32],
    &[Int16, Fp16],
    &[Int16, Fp32],
    &[Int32, Fp16],
    &[Int32, Fp32],
    &[Fp16, Int8],
    &[Fp16, Int16],
    &[Fp16, Int32],
    &[Fp16, Fp32],
    &[Fp32, Int8],
    &[Fp32, Int16],
    &[Fp32, Int32],
    &[Fp32, Fp16],
];

pub(super) fn check_cast(c: &Ctx) -> Result<()> {
    let (i, o) = (c.input(0), c.out());
    c.check_types(&[i.dtype, o.dtype], CAST_INT, CAST_FP)?;
    c.expect_out_shape(&i.shape)
}
