//! CONST, CONST_SHAPE, TABLE, REDUCE_SUM, REDUCE_MAX, ARGMAX and RESIZE rules.

use super::Ctx;
use super::conv::exact_out;
use super::ctx::TypeRow;
use crate::error::Result;
use crate::ir::{DType, Op, ResizeMode};

use DType::{Bool, Fp16, Fp32, Int4, Int8, Int16, Int32, Int48};

const CONST_INT: &[TypeRow] = &[&[Bool], &[Int4], &[Int8], &[Int16], &[Int32], &[Int48]];
const CONST_FP: &[TypeRow] = &[&[Bool], &[Int8], &[Int16], &[Int32], &[Fp16], &[Fp32]];

pub(super) fn check_const(c: &Ctx) -> Result<()> {
    c.check_types(&[c.out().dtype], CONST_INT, CONST_FP)
}

pub(super) fn check_const_shape(c: &Ctx) -> Result<()> {
    let o = c.out();
    if o.dtype != DType::Shape || o.shape.len() != 1 {
        return Err(c.err(format!(
            "output '{}' must be a rank-1 shape tensor, is {} {:?}",
            o.name, o.dtype, o.shape
        )));
    }
    Ok(())
}

pub(super) fn check_table(c: &Ctx) -> Result<()> {
    let (i, o, t) = (c.input(0), c.out(), c.input(1));
    c.check_types(
        &[i.dtype, t.dtype, o.dtype],
        &[&[Int8, Int8, Int8], &[Int16, Int16, Int32]],
        &[],
    )?;
    let size = if i.dtype == Int8 { 256 } else { 513 };
    if t.shape != [size] {
        return Err(c.err(format!(
            "table '{}' must have shape [{size}] for {} input, has {:?} (REQUIRE)",
            t.name, i.dtype, t.shape
        )));
    }
    if i.dtype == Int16 {
        let v = c.const_ints(1)?;
        if let Some(k) = v.windows(2).position(|w| !(-32768..=32767).contains(&(w[1] - w[0]))) {
            return Err(c.err(format!(
                "table slope between entries {k} and {} overflows i16 (REQUIRE)",
                k + 1
            )));
        }
    }
    c.expect_out_shape(&i.shape)
}

const REDUCE_SUM_INT: &[TypeRow] = &[&[Int32]];
const REDUCE_MAX_INT: &[TypeRow] = &[&[Int8], &[Int16], &[Int32]];
const ARGMAX_INT: &[TypeRow] = &[&[Int8], &[Int16]];
const FP: &[TypeRow] = &[&[Fp16], &[Fp32]];

pub(super) fn check_reduce(c: &Ctx) -> Result<()> {
    let (i, o) = (c.input(0), c.out());
    let (axis, int_rows) = match c.op.op {
        Op::ReduceSum { axis } => (axis, REDUCE_SUM_INT),
        Op::ReduceMax { axis, .. } => (axis, REDUCE_MAX_INT),
        Op::ArgMax { axis, .. } => (axis, ARGMAX_INT),
        _ => unreachable!("check_reduce is only called for reductions"),
    };
    c.check_types(&[i.dtype], int_rows, FP)?;
    let rank = i.shape.len();
    if rank < 1 {
        return Err(c.err("input must have rank >= 1"));
    }
    let ax = usize::try_from(axis)
        .ok()
        .filter(|&a| a < rank)
        .ok_or_else(|| c.err(format!("axis {axis} is outside [0, {rank}) (ERROR_IF)")))?;
    let mut shape = i.shape.clone();
    if let Op::ArgMax { .. } = c.op.op {
        if o.dtype != Int32 {
            return Err(c.err(format!("output must be i32, is {}", o.dtype)));
        }
        shape.remove(ax);
    } else {
        if o.dtype != i.dtype {
            return Err(c.err(format!("output must be {}, is {}", i.dtype, o.dtype)));
        }
        shape[ax] = 1;
    }
    c.expect_out_shape(&shape)
}

/// RESIZE rows are `(input, output)`; bilinear widens integers, nearest keeps the type.
const BILINEAR_INT: &[TypeRow] = &[&[Int8, Int32], &[Int16, Int48]];
const NEAREST_INT: &[TypeRow] = &[&[Int8, Int8], &[Int16, Int16]];
const RESIZE_FP: &[TypeRow] = &[&[Fp16, Fp16], &[Fp32, Fp32]];

/// Largest `scale_n / scale_d` allowed by level 8K.
const MAX_SCALE: i64 = 256;

pub(super) fn check_resize(c: &Ctx) -> Result<()> {
    let Op::Resize { mode } = c.op.op else {
        unreachable!("check_resize is only called for RESIZE")
    };
    let (i, o) = (c.input(0), c.out());
    let rows = match mode {
        ResizeMode::Bilinear => BILINEAR_INT,
        ResizeMode::Nearest => NEAREST_INT,
    };
    c.check_types(&[i.dtype, o.dtype], rows, RESIZE_FP)?;
    c.expect_rank(0, 4)?;
    let scale = c.shape_operand(1, 4)?;
    let offset = c.shape_operand(2, 2)?;
    let border = c.shape_operand(3, 2)?;
    let (yn, yd, xn, xd) = (scale[0], scale[1], scale[2], scale[3]);
    if yn <= 0 || yd <= 0 || xn <= 0 || xd <= 0 {
        return Err(c.err(format!("scale {scale:?} must be positive (ERROR_IF)")));
    }
    if yn > 1 << 11 || xn > 1 << 11 {
        return Err(c.err(format!("scale numerators {scale:?} must be at most 2048 (ERROR_IF)")));
    }
    if yd >= 16 * yn || xd >= 16 * xn {
        return Err(c.err(format!("scale {scale:?} downscales by 16 or more (ERROR_IF)")));
    }
    if yn > MAX_SCALE * yd || xn > MAX_SCALE * xd {
        return Err(
            c.err(format!("scale {scale:?} exceeds the level limit {MAX_SCALE} (LEVEL 8K)"))
        );
    }
    for (what, off, n) in [("offset_y", offset[0], yn), ("offset_x", offset[1], xn)] {
        if off < -n || off >= 16 * n {
            return Err(c.err(format!("{what} {off} must be in [-{n}, {}) (ERROR_IF)", 16 * n)));
        }
    }
    for (what, b, n) in [("border_y", border[0], yn), ("border_x", border[1], xn)] {
        if b < -16 * n || b >= n {
            return Err(c.err(format!("{what} {b} must be in [{}, {n}) (ERROR_IF)", -16 * n)));
        }
    }
    let (ih, iw) = (i.shape[1] as i128, i.shape[2] as i128);
    let w = |v: i64| i128::from(v);
    let oh = exact_out(c, "height", (ih - 1) * w(yn) - w(offset[0]) + w(border[0]), w(yd))?;
    let ow = exact_out(c, "width", (iw - 1) * w(xn) - w(offset[1]) + w(border[1]), w(xd))?;
    if [oh, ow, i.shape[1], i.shape[2]].iter().any(|&d| d >= 16384) {
        return Err(c.err("image dimensions must be below 16384 (ERROR_IF)"));
    }
    c.expect_out_shape(&[i.shape[0], oh, ow, i.shape[3]])
}
