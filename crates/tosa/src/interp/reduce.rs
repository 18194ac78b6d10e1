//! REDUCE_SUM, REDUCE_MAX and ARGMAX over one axis.

use super::pool::fmax;
use super::value::{Exec, from_f32, from_i64};
use crate::error::Result;
use crate::ir::{NanMode, Op, Tensor};

/// Split the input as `[outer, len, inner]` around `axis`.
fn split(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (shape[..axis].iter().product(), shape[axis], shape[axis + 1..].iter().product())
}

pub(super) fn reduce(ex: &Exec) -> Result<Tensor> {
    let a = ex.ins[0];
    let axis = match ex.op.op {
        Op::ReduceSum { axis } | Op::ReduceMax { axis, .. } | Op::ArgMax { axis, .. } => axis,
        _ => return Err(ex.internal("not a reduction")),
    };
    let (outer, len, inner) = split(a.shape, axis as usize);
    let at = |o: usize, k: usize, i: usize| (o * len + k) * inner + i;
    if a.dtype.is_float() {
        let x = ex.floats(0)?;
        let mut out = Vec::with_capacity(outer * inner);
        let mut idx_out = Vec::new();
        for o in 0..outer {
            for i in 0..inner {
                match ex.op.op {
                    Op::ReduceSum { .. } => out.push((0..len).map(|k| x[at(o, k, i)]).sum()),
                    Op::ReduceMax { nan_mode, .. } => {
                        let init =
                            if nan_mode == NanMode::Ignore { f32::NAN } else { f32::NEG_INFINITY };
                        out.push((0..len).fold(init, |m, k| fmax(m, x[at(o, k, i)], nan_mode)));
                    }
                    Op::ArgMax { nan_mode, .. } => {
                        let mut best =
                            if nan_mode == NanMode::Ignore { f32::NAN } else { f32::NEG_INFINITY };
                        let mut bi = 0i64;
                        for k in 0..len {
                            let v = x[at(o, k, i)];
                            let m = fmax(v, best, nan_mode);
                            // Only a change of the running maximum moves the index (first wins).
                            if m.to_bits() != best.to_bits() && !(m.is_nan() && best.is_nan()) {
                                best = m;
                                bi = k as i64;
                            }
                        }
                        idx_out.push(bi);
                    }
                    _ => {}
                }
            }
        }
        let data = if let Op::ArgMax { .. } = ex.op.op {
            from_i64(ex.out_dtype, idx_out)
        } else {
            from_f32(ex.out_dtype, out)
        };
        return ex.out(data.ok_or_else(|| ex.internal("bad output type"))?);
    }
    let x = ex.ints(0)?;
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let v = match ex.op.op {
                Op::ReduceSum { .. } => {
                    let s: i64 = (0..len).map(|k| x[at(o, k, i)]).sum();
                    if i32::try_from(s).is_err() {
                        return Err(ex.unpredictable(format!("sum {s} overflows i32 (REQUIRE)")));
                    }
                    s
                }
                Op::ReduceMax { .. } => (0..len).map(|k| x[at(o, k, i)]).max().unwrap_or(i64::MIN),
                _ => {
                    let mut best = i64::MIN;
                    let mut bi = 0i64;
                    for k in 0..len {
                        let v = x[at(o, k, i)];
                        if v > best {
                            best = v;
                            bi = k as i64;
                        }
                    }
                    bi
                }
            };
            out.push(v);
        }
    }
    let data = from_i64(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}
