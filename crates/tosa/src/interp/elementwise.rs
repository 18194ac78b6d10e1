//! Elementwise operators: ADD, SUB, MUL, MAXIMUM, MINIMUM (with broadcasting), CLAMP, CAST,
//! TABLE and the fp unary functions.

use rayon::prelude::*;

use super::arith::round_half_even;
use super::pool::{fmax, fmin};
use super::value::{Exec, from_f32, from_i64, par_fill, strides};
use crate::error::Result;
use crate::ir::{DType, NanMode, Op, Tensor};

/// Offsets into an input of `in_shape` for every output element (broadcast dims stride 0).
fn bcast_offsets(out_shape: &[usize], in_shape: &[usize]) -> Option<Vec<usize>> {
    if out_shape == in_shape {
        return None;
    }
    let st = strides(in_shape);
    let eff: Vec<usize> =
        in_shape.iter().zip(&st).map(|(&d, &s)| if d == 1 { 0 } else { s }).collect();
    let n: usize = out_shape.iter().product();
    let mut idx = vec![0usize; out_shape.len()];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(idx.iter().zip(&eff).map(|(&i, &s)| i * s).sum());
        for k in (0..idx.len()).rev() {
            idx[k] += 1;
            if idx[k] < out_shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    Some(out)
}

/// Apply `f` to broadcast pairs, in parallel.
fn zip_bcast<T: Copy + Sync, O: Send + Default + Clone>(
    out_shape: &[usize],
    a: (&[T], &[usize]),
    b: (&[T], &[usize]),
    f: impl Fn(T, T) -> std::result::Result<O, String> + Sync,
) -> std::result::Result<Vec<O>, String> {
    let n: usize = out_shape.iter().product();
    let oa = bcast_offsets(out_shape, a.1);
    let ob = bcast_offsets(out_shape, b.1);
    par_fill(n, |i| {
        let x = a.0[oa.as_ref().map_or(i, |o| o[i])];
        let y = b.0[ob.as_ref().map_or(i, |o| o[i])];
        f(x, y)
    })
}

pub(super) fn binary(ex: &Exec) -> Result<Tensor> {
    let (a, b) = (ex.ins[0], ex.ins[1]);
    let op = &ex.op.op;
    if a.dtype.is_float() {
        let (x, y) = (ex.floats(0)?, ex.floats(1)?);
        let res = zip_bcast(ex.out_shape, (&x, a.shape), (&y, b.shape), |p, q| {
            Ok(match op {
                Op::Add => p + q,
                Op::Sub => p - q,
                Op::Mul => p * q,
                Op::Maximum { nan_mode } => fmax(p, q, *nan_mode),
                Op::Minimum { nan_mode } => fmin(p, q, *nan_mode),
                _ => f32::NAN,
            })
        })
        .map_err(|m| ex.unpredictable(m))?;
        let data = from_f32(ex.out_dtype, res).ok_or_else(|| ex.internal("bad output type"))?;
        return ex.out(data);
    }
    let (x, y) = (ex.ints(0)?, ex.ints(1)?);
    let shift = if let Op::Mul = op { ex.scalar_int(2)? } else { 0 };
    let fits = |v: i64, what: &str| {
        i32::try_from(v)
            .map(i64::from)
            .map_err(|_| format!("{what} result {v} overflows i32 (REQUIRE)"))
    };
    let res = zip_bcast(ex.out_shape, (&x, a.shape), (&y, b.shape), |p, q| match op {
        Op::Add => fits(p + q, "ADD"),
        Op::Sub => fits(p - q, "SUB"),
        Op::Maximum { .. } => Ok(p.max(q)),
        Op::Minimum { .. } => Ok(p.min(q)),
        Op::Mul if shift > 0 => {
            let prod = i128::from(p) * i128::from(q) + (1i128 << (shift - 1));
            let r = prod >> shift;
            i32::try_from(r)
                .map(i64::from)
                .map_err(|_| format!("MUL result {r} overflows i32 (REQUIRE)"))
        }
        // Without a shift the product keeps its low 32 bits (apply_mul_s has no REQUIRE).
        Op::Mul => Ok(i64::from(p.wrapping_mul(q) as i32)),
        _ => Err("not a binary operator".to_string()),
    })
    .map_err(|m| ex.unpredictable(m))?;
    let data = from_i64(ex.out_dtype, res).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}

pub(super) fn clamp(ex: &Exec) -> Result<Tensor> {
    let Op::Clamp { min_val, max_val, nan_mode } = ex.op.op else {
        return Err(ex.internal("not CLAMP"));
    };
    if ex.out_dtype.is_float() {
        let (lo, hi) = (min_val.as_f64() as f32, max_val.as_f64() as f32);
        let v: Vec<f32> = ex
            .floats(0)?
            .into_par_iter()
            .map(|x| {
                if x.is_nan() {
                    if nan_mode == NanMode::Propagate { x } else { lo }
                } else {
                    x.max(lo).min(hi)
                }
            })
            .collect();
        let data = from_f32(ex.out_dtype, v).ok_or_else(|| ex.internal("bad output type"))?;
        return ex.out(data);
    }
    let (lo, hi) = (
        min_val.as_i64().ok_or_else(|| ex.internal("min_val is not an integer"))?,
        max_val.as_i64().ok_or_else(|| ex.internal("max_val is not an integer"))?,
    );
    let v: Vec<i64> = ex.ints(0)?.into_par_iter().map(|x| x.clamp(lo, hi)).collect();
    let data = from_i64(ex.out_dtype, v).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}

pub(super) fn unary_fp(ex: &Exec) -> Result<Tensor> {
    let op = &ex.op.op;
    let v: Vec<f32> = ex
        .floats(0)?
        .into_par_iter()
        .map(|x| match op {
            Op::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Op::Tanh => x.tanh(),
            Op::Exp => x.exp(),
            Op::Reciprocal => 1.0 / x,
            _ => f32::NAN,
        })
        .collect();
    let data = from_f32(ex.out_dtype, v).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}

pub(super) fn cast(ex: &Exec) -> Result<Tensor> {
    let (it, ot) = (ex.ins[0].dtype, ex.out_dtype);
    let data = if it.is_float() {
        let v = ex.floats(0)?;
        if ot.is_float() {
            from_f32(ot, v)
        } else {
            let (lo, hi) = ot.int_range().ok_or_else(|| ex.internal("bad output type"))?;
            let r: std::result::Result<Vec<i64>, String> = v
                .into_par_iter()
                .map(|x| {
                    if x.is_nan() {
                        return Err("cast of NaN to an integer (REQUIRE)".to_string());
                    }
                    // Round to nearest, ties to even, then saturate.
                    Ok((round_half_even(f64::from(x)).clamp(lo as f64, hi as f64)) as i64)
                })
                .collect();
            from_i64(ot, r.map_err(|m| ex.unpredictable(m))?)
        }
    } else {
        let v = ex.ints(0)?;
        if ot.is_float() {
            // i32 -> f32 rounds to nearest even, as `as` does.
            from_f32(ot, v.into_iter().map(|x| x as f32).collect())
        } else if ot == DType::Bool {
            from_i64(ot, v.into_iter().map(|x| i64::from(x != 0)).collect())
        } else {
            // Integer narrowing keeps the low bits; widening sign-extends.
            from_i64(ot, v)
        }
    };
    ex.out(data.ok_or_else(|| ex.internal("unsupported cast"))?)
}

pub(super) fn table(ex: &Exec) -> Result<Tensor> {
    let x = ex.ints(0)?;
    let t = ex.ints(1)?;
    let v: Vec<i64> = if ex.ins[0].dtype == DType::Int8 {
        x.into_par_iter().map(|v| t[(v + 128) as usize]).collect()
    } else {
        // apply_lookup_s for i16: 512 segments of 128 steps, linear interpolation.
        x.into_par_iter()
            .map(|v| {
                let v = v.clamp(-32768, 32767) + 32768;
                let (idx, frac) = ((v >> 7) as usize, v & 0x7f);
                let (base, next) = (t[idx], t[idx + 1]);
                (base << 7) + (next - base) * frac
            })
            .collect()
    };
    let data = from_i64(ex.out_dtype, v).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}
