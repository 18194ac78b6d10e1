//! RESHAPE, TRANSPOSE, PAD, CONCAT and SLICE rules.

use super::Ctx;
use super::ctx::TypeRow;
use crate::error::Result;
use crate::ir::{DType, Op, checked_numel};

use DType::{Bool, Fp16, Fp32, Int8, Int16, Int32};

/// Data-movement operators support the same types in both profiles.
const MOVE_INT: &[TypeRow] = &[&[Bool], &[Int8], &[Int16], &[Int32]];
const MOVE_FP: &[TypeRow] = &[&[Bool], &[Int8], &[Int16], &[Int32], &[Fp16], &[Fp32]];

fn same_type(c: &Ctx) -> Result<()> {
    let (i, o) = (c.input(0), c.out());
    c.check_types(&[i.dtype], MOVE_INT, MOVE_FP)?;
    if o.dtype != i.dtype {
        return Err(c.err(format!("output is {}, must be the input type {}", o.dtype, i.dtype)));
    }
    Ok(())
}

pub(super) fn check_reshape(c: &Ctx) -> Result<()> {
    same_type(c)?;
    let (i, o) = (c.input(0), c.out());
    let shape = c.shape_operand(1, o.shape.len())?;
    if shape.iter().zip(&o.shape).any(|(&s, &d)| s != d as i64) {
        return Err(c.err(format!(
            "shape operand {shape:?} differs from the output shape {:?} (ERROR_IF)",
            o.shape
        )));
    }
    if checked_numel(&i.shape) != checked_numel(&o.shape) {
        return Err(c.err(format!(
            "element count of {:?} differs from that of {:?} (ERROR_IF)",
            i.shape, o.shape
        )));
    }
    Ok(())
}

pub(super) fn check_transpose(c: &Ctx) -> Result<()> {
    let Op::Transpose { perms } = &c.op.op else { unreachable!("only called for TRANSPOSE") };
    same_type(c)?;
    let i = c.input(0);
    let rank = i.shape.len();
    if perms.len() != rank {
        return Err(c.err(format!("perms {perms:?} must have {rank} entries (ERROR_IF)")));
    }
    let mut seen = vec![false; rank];
    let mut shape = Vec::with_capacity(rank);
    for &p in perms {
        let k = usize::try_from(p)
            .ok()
            .filter(|&k| k < rank)
            .ok_or_else(|| c.err(format!("perms value {p} is outside [0, {rank}) (ERROR_IF)")))?;
        if std::mem::replace(&mut seen[k], true) {
            return Err(c.err(format!("perms {perms:?} repeats {p} (ERROR_IF)")));
        }
        shape.push(i.shape[k]);
    }
    c.expect_out_shape(&shape)
}

pub(super) fn check_pad(c: &Ctx) -> Result<()> {
    same_type(c)?;
    let i = c.input(0);
    let rank = i.shape.len();
    let padding = c.shape_operand(1, 2 * rank)?;
    c.expect_dtype(2, i.dtype)?;
    if c.input(2).shape != [1] {
        return Err(c.err(format!("pad_const must have shape [1], has {:?}", c.input(2).shape)));
    }
    if padding.iter().any(|&p| p < 0) {
        return Err(c.err(format!("padding {padding:?} must be non-negative (ERROR_IF)")));
    }
    let shape = (0..rank)
        .map(|k| {
            usize::try_from(padding[2 * k])
                .ok()
                .and_then(|a| a.checked_add(usize::try_from(padding[2 * k + 1]).ok()?))
                .and_then(|p| p.checked_add(i.shape[k]))
                .ok_or_else(|| c.err(format!("padding {padding:?} overflows the output shape")))
        })
        .collect::<Result<Vec<usize>>>()?;
    c.expect_out_shape(&shape)
}

pub(super) fn check_concat(c: &Ctx) -> Result<()> {
    let Op::Concat { axis } = c.op.op else { unreachable!("only called for CONCAT") };
    same_type(c)?;
    let first = c.input(0);
    let rank = first.shape.len();
    let ax = usize::try_from(axis)
        .ok()
        .filter(|&a| a < rank.max(1))
        .ok_or_else(|| c.err(format!("axis {axis} is outside [0, {}) (ERROR_IF)", rank.max(1))))?;
    let mut total = 0usize;
    for k in 0..c.op.inputs.len() {
        let d = c.input(k);
        if d.dtype != first.dtype {
            return Err(
                c.err(format!("input '{}' is {}, expected {}", d.name, d.dtype, first.dtype))
            );
        }
        if d.shape.len() != rank {
            return Err(c.err(format!("input '{}' rank differs from input1 (ERROR_IF)", d.name)));
        }
        for dim in 0..rank {
            if dim != ax && d.shape[dim] != first.shape[dim] {
                return Err(c.err(format!(
                    "input '{}' shape {:?} differs from {:?} off the axis (ERROR_IF)",
                    d.name, d.shape, first.shape
                )));
            }
        }
        total = total
            .checked_add(d.shape.get(ax).copied().unwrap_or(1))
            .ok_or_else(|| c.err("concatenated size overflows"))?;
    }
    let mut shape = first.shape.clone();
    if let Some(s) = shape.get_mut(ax) {
        *s = total;
    }
    c.expect_out_shape(&shape)
}

pub(super) fn check_slice(c: &Ctx) -> Result<()> {
    same_type(c)?;
    let i = c.input(0);
    let rank = i.shape.len();
    let start = c.shape_operand(1, rank)?;
    let size = c.shape_operand(2, rank)?;
    for k in 0..rank {
        if start[k] < 0
            || size[k] <= 0
            || i128::from(start[k]) + i128::from(size[k]) > i.shape[k] as i128
        {
            return Err(c.err(format!(
                "start {start:?} / size {size:?} exceed input shape {:?} in dimension {k} (ERROR_IF)",
                i.shape
            )));
        }
    }
    let shape: Vec<usize> = size.iter().map(|&s| s as usize).collect();
    c.expect_out_shape(&shape)
}
