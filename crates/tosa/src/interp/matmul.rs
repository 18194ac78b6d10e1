//! MATMUL: `out[n,h,w] = sum_c (A[n,h,c] - A_zp) * (B[n,c,w] - B_zp)`.
//!
//! B is transposed once per batch so each output element is a contiguous dot product.

use rayon::prelude::*;

use super::value::{Exec, from_f32, from_i64};
use crate::error::Result;
use crate::ir::Tensor;

pub(super) fn matmul(ex: &Exec) -> Result<Tensor> {
    let (a, b) = (ex.ins[0], ex.ins[1]);
    let (n, h, c) = (a.shape[0], a.shape[1], a.shape[2]);
    let w = b.shape[2];
    if a.dtype.is_float() {
        let av = ex.floats(0)?;
        let bt = transpose_b(&ex.floats(1)?, n, c, w);
        let mut out = vec![0f32; n * h * w];
        out.par_chunks_mut(w.max(1)).enumerate().for_each(|(row, o)| {
            let (bn, hh) = (row / h, row % h);
            let arow = &av[(bn * h + hh) * c..][..c];
            for (j, slot) in o.iter_mut().enumerate() {
                let bcol = &bt[(bn * w + j) * c..][..c];
                *slot = arow.iter().zip(bcol).map(|(&x, &y)| x * y).sum();
            }
        });
        let data = from_f32(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
        return ex.out(data);
    }
    let (azp, bzp) = (ex.scalar_int(2)?, ex.scalar_int(3)?);
    let av: Vec<i64> = ex.ints(0)?.into_iter().map(|v| v - azp).collect();
    let bv: Vec<i64> = ex.ints(1)?.into_iter().map(|v| v - bzp).collect();
    let bt = transpose_b(&bv, n, c, w);
    let (lo, hi) = ex.out_dtype.int_range().ok_or_else(|| ex.internal("bad output type"))?;
    let mut out = vec![0i64; n * h * w];
    out.par_chunks_mut(w.max(1)).enumerate().for_each(|(row, o)| {
        let (bn, hh) = (row / h, row % h);
        let arow = &av[(bn * h + hh) * c..][..c];
        for (j, slot) in o.iter_mut().enumerate() {
            let bcol = &bt[(bn * w + j) * c..][..c];
            let acc: i64 = arow.iter().zip(bcol).map(|(&x, &y)| x * y).sum();
            // Overflow fails a REQUIRE; wrap as Arm's reference model does (see conv.rs).
            *slot =
                if acc < lo || acc > hi { (acc - lo).rem_euclid(hi - lo + 1) + lo } else { acc };
        }
    });
    let data = from_i64(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}

/// `[N, C, W]` to `[N, W, C]`.
fn transpose_b<T: Copy + Default>(b: &[T], n: usize, c: usize, w: usize) -> Vec<T> {
    let mut t = vec![T::default(); b.len()];
    for bn in 0..n {
        for cc in 0..c {
            for j in 0..w {
                t[(bn * w + j) * c + cc] = b[(bn * c + cc) * w + j];
            }
        }
    }
    t
}
