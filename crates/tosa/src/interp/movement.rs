//! Data movement: TRANSPOSE, PAD, CONCAT, SLICE, and batch splitting helpers.

use super::value::{Exec, gather, strides};
use crate::error::{Error, Result};
use crate::ir::{Op, Tensor, TensorData};

/// Gather indices for an output of `out_shape` whose element at `idx` reads `src(idx)`.
fn index_map(out_shape: &[usize], mut src: impl FnMut(&[usize]) -> usize) -> Vec<usize> {
    let n: usize = out_shape.iter().product();
    let mut idx = vec![0usize; out_shape.len()];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(src(&idx));
        for k in (0..idx.len()).rev() {
            idx[k] += 1;
            if idx[k] < out_shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

pub(super) fn transpose(ex: &Exec) -> Result<crate::ir::Tensor> {
    let Op::Transpose { perms } = &ex.op.op else { return Err(ex.internal("not TRANSPOSE")) };
    let a = ex.ins[0];
    let st = strides(a.shape);
    let map = index_map(ex.out_shape, |idx| {
        idx.iter().zip(perms).map(|(&i, &p)| i * st[p as usize]).sum()
    });
    ex.out(gather(a.data, &map, None))
}

pub(super) fn pad(ex: &Exec) -> Result<crate::ir::Tensor> {
    let a = ex.ins[0];
    let padding = ex.ints(1)?;
    let st = strides(a.shape);
    let map = index_map(ex.out_shape, |idx| {
        let mut off = 0usize;
        for (k, &i) in idx.iter().enumerate() {
            let start = padding[2 * k] as usize;
            if i < start || i - start >= a.shape[k] {
                return usize::MAX;
            }
            off += (i - start) * st[k];
        }
        off
    });
    ex.out(gather(a.data, &map, Some(ex.ins[2].data)))
}

pub(super) fn slice(ex: &Exec) -> Result<crate::ir::Tensor> {
    let a = ex.ins[0];
    let start = ex.ints(1)?;
    let st = strides(a.shape);
    let map = index_map(ex.out_shape, |idx| {
        idx.iter().enumerate().map(|(k, &i)| (i + start[k] as usize) * st[k]).sum()
    });
    ex.out(gather(a.data, &map, None))
}

pub(super) fn concat(ex: &Exec) -> Result<crate::ir::Tensor> {
    let Op::Concat { axis } = ex.op.op else { return Err(ex.internal("not CONCAT")) };
    let parts: Vec<(&[usize], &TensorData)> = ex.ins.iter().map(|t| (t.shape, t.data)).collect();
    let data =
        concat_along(&parts, axis as usize).ok_or_else(|| ex.internal("mixed input types"))?;
    ex.out(data)
}

/// Concatenate row-major blocks along `axis`: for each outer index, copy each part's run.
fn concat_along(parts: &[(&[usize], &TensorData)], axis: usize) -> Option<TensorData> {
    macro_rules! cat {
        ($variant:ident) => {{
            let mut out = Vec::new();
            let outer: usize = parts[0].0.iter().take(axis).product();
            let runs: Vec<(usize, &[_])> = parts
                .iter()
                .map(|(shape, d)| match d {
                    TensorData::$variant(v) => {
                        Some((shape.iter().skip(axis).product::<usize>(), v.as_slice()))
                    }
                    _ => None,
                })
                .collect::<Option<_>>()?;
            for o in 0..outer {
                for (run, v) in &runs {
                    out.extend_from_slice(&v[o * run..(o + 1) * run]);
                }
            }
            TensorData::$variant(out)
        }};
    }
    Some(match parts.first()?.1 {
        TensorData::Bool(_) => cat!(Bool),
        TensorData::I8(_) => cat!(I8),
        TensorData::I16(_) => cat!(I16),
        TensorData::I32(_) => cat!(I32),
        TensorData::I64(_) => cat!(I64),
        TensorData::F16(_) => cat!(F16),
        TensorData::Bf16(_) => cat!(Bf16),
        TensorData::F32(_) => cat!(F32),
    })
}

/// Chunk `c` of `rows` leading rows of `t`.
pub(super) fn leading_chunk(t: &Tensor, rows: usize, c: usize) -> Tensor {
    let row: usize = t.shape[1..].iter().product();
    let idx: Vec<usize> = (c * rows * row..(c + 1) * rows * row).collect();
    let mut shape = t.shape.clone();
    shape[0] = rows;
    Tensor { dtype: t.dtype, shape, data: gather(&t.data, &idx, None) }
}

/// Concatenate tensors along dimension 0.
pub(super) fn concat_leading(parts: &[Tensor]) -> Result<Tensor> {
    let first = parts.first().ok_or_else(|| Error::Input {
        input: "<batch>".into(),
        message: "no batches to concatenate".into(),
    })?;
    if first.shape.is_empty() {
        return Ok(first.clone());
    }
    let views: Vec<(&[usize], &TensorData)> =
        parts.iter().map(|t| (t.shape.as_slice(), &t.data)).collect();
    let data = concat_along(&views, 0).ok_or_else(|| Error::Input {
        input: "<batch>".into(),
        message: "batches have different types".into(),
    })?;
    let mut shape = first.shape.clone();
    shape[0] = parts.iter().map(|t| t.shape[0]).sum();
    Ok(Tensor { dtype: first.dtype, shape, data })
}
