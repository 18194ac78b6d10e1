//! MAX_POOL2D and AVG_POOL2D; padded taps are skipped (not counted, not compared).

use rayon::prelude::*;

use super::arith::{apply_scale_32, reciprocal_scale};
use super::value::{Exec, from_f32, from_i64};
use crate::error::Result;
use crate::ir::{NanMode, Op, Tensor, TensorData};

struct Win {
    n: usize,
    ih: usize,
    iw: usize,
    c: usize,
    oh: usize,
    ow: usize,
    k: [usize; 2],
    s: [usize; 2],
    pt: usize,
    pl: usize,
}

impl Win {
    fn new(ex: &Exec, kernel: [i32; 2], stride: [i32; 2], pad: [i32; 4]) -> Win {
        let s = ex.ins[0].shape;
        Win {
            n: s[0],
            ih: s[1],
            iw: s[2],
            c: s[3],
            oh: ex.out_shape[1],
            ow: ex.out_shape[2],
            k: kernel.map(|v| v as usize),
            s: stride.map(|v| v as usize),
            pt: pad[0] as usize,
            pl: pad[2] as usize,
        }
    }

    /// In-bounds input rows and columns of output `(oy, ox)`.
    fn ranges(&self, oy: usize, ox: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let y0 = oy * self.s[0];
        let x0 = ox * self.s[1];
        let ys = y0.saturating_sub(self.pt)..(y0 + self.k[0]).saturating_sub(self.pt).min(self.ih);
        let xs = x0.saturating_sub(self.pl)..(x0 + self.k[1]).saturating_sub(self.pl).min(self.iw);
        (ys, xs)
    }

    /// Run `f(window rows, window cols, out channels)` for every output pixel, in parallel rows.
    fn each<T: Send>(
        &self,
        out: &mut [T],
        f: impl Fn(
            usize,
            std::ops::Range<usize>,
            std::ops::Range<usize>,
            &mut [T],
        ) -> std::result::Result<(), String>
        + Sync,
    ) -> std::result::Result<(), String> {
        out.par_chunks_mut((self.ow * self.c).max(1)).enumerate().try_for_each(|(row, o)| {
            let (b, oy) = (row / self.oh, row % self.oh);
            for ox in 0..self.ow {
                let (ys, xs) = self.ranges(oy, ox);
                f(b, ys, xs, &mut o[ox * self.c..(ox + 1) * self.c])?;
            }
            Ok(())
        })
    }
}

pub(super) fn max_pool(ex: &Exec) -> Result<Tensor> {
    let Op::MaxPool2d { kernel, stride, pad, nan_mode } = ex.op.op else {
        return Err(ex.internal("not MAX_POOL2D"));
    };
    let w = Win::new(ex, kernel, stride, pad);
    let total = w.n * w.oh * w.ow * w.c;
    if ex.out_dtype.is_float() {
        let x = ex.floats(0)?;
        let init = if nan_mode == NanMode::Ignore { f32::NAN } else { f32::NEG_INFINITY };
        let mut out = vec![init; total];
        w.each(&mut out, |b, ys, xs, o| {
            for y in ys {
                for xx in xs.clone() {
                    let src = &x[((b * w.ih + y) * w.iw + xx) * w.c..][..w.c];
                    for (m, &v) in o.iter_mut().zip(src) {
                        *m = fmax(*m, v, nan_mode);
                    }
                }
            }
            Ok(())
        })
        .map_err(|m| ex.unpredictable(m))?;
        let data = from_f32(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
        return ex.out(data);
    }
    let data = match ex.ins[0].data {
        TensorData::I8(x) => TensorData::I8(max_pool_int(&w, x, total)),
        TensorData::I16(x) => TensorData::I16(max_pool_int(&w, x, total)),
        TensorData::I32(x) => TensorData::I32(max_pool_int(&w, x, total)),
        _ => return Err(ex.internal("unsupported input type")),
    };
    ex.out(data)
}

/// Integer max pooling on the stored type: the window maximum never leaves its range.
fn max_pool_int<T: Copy + Ord + Send + Sync + Bounded>(w: &Win, x: &[T], total: usize) -> Vec<T> {
    let mut out = vec![T::MIN; total];
    let res = w.each(&mut out, |b, ys, xs, o| {
        for y in ys {
            for xx in xs.clone() {
                let src = &x[((b * w.ih + y) * w.iw + xx) * w.c..][..w.c];
                for (m, &v) in o.iter_mut().zip(src) {
                    *m = (*m).max(v);
                }
            }
        }
        Ok(())
    });
    debug_assert!(res.is_ok(), "max pooling has no failure path");
    out
}

/// Smallest value of an integer storage type.
trait Bounded {
    const MIN: Self;
}

impl Bounded for i8 {
    const MIN: Self = i8::MIN;
}

impl Bounded for i16 {
    const MIN: Self = i16::MIN;
}

impl Bounded for i32 {
    const MIN: Self = i32::MIN;
}

/// `apply_max_s` for floats.
pub(super) fn fmax(a: f32, b: f32, mode: NanMode) -> f32 {
    match (a.is_nan(), b.is_nan()) {
        (false, false) => a.max(b),
        (true, true) => f32::NAN,
        (true, false) => {
            if mode == NanMode::Propagate {
                a
            } else {
                b
            }
        }
        (false, true) => {
            if mode == NanMode::Propagate {
                b
            } else {
                a
            }
        }
    }
}

/// `apply_min_s` for floats.
pub(super) fn fmin(a: f32, b: f32, mode: NanMode) -> f32 {
    match (a.is_nan(), b.is_nan()) {
        (false, false) => a.min(b),
        (true, true) => f32::NAN,
        (true, false) => {
            if mode == NanMode::Propagate {
                a
            } else {
                b
            }
        }
        (false, true) => {
            if mode == NanMode::Propagate {
                b
            } else {
                a
            }
        }
    }
}

pub(super) fn avg_pool(ex: &Exec) -> Result<Tensor> {
    let Op::AvgPool2d { kernel, stride, pad, .. } = ex.op.op else {
        return Err(ex.internal("not AVG_POOL2D"));
    };
    let w = Win::new(ex, kernel, stride, pad);
    let total = w.n * w.oh * w.ow * w.c;
    if ex.out_dtype.is_float() {
        let x = ex.floats(0)?;
        let mut out = vec![0f32; total];
        w.each(&mut out, |b, ys, xs, o| {
            let count = (ys.len() * xs.len()) as f32;
            for y in ys {
                for xx in xs.clone() {
                    let src = &x[((b * w.ih + y) * w.iw + xx) * w.c..][..w.c];
                    for (m, &v) in o.iter_mut().zip(src) {
                        *m += v;
                    }
                }
            }
            for m in o.iter_mut() {
                *m /= count;
            }
            Ok(())
        })
        .map_err(|m| ex.unpredictable(m))?;
        let data = from_f32(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
        return ex.out(data);
    }
    let (izp, ozp) = (ex.scalar_int(1)?, ex.scalar_int(2)?);
    let (lo, hi) = ex.out_dtype.int_range().ok_or_else(|| ex.internal("bad output type"))?;
    let x = ex.ints(0)?;
    let mut out = vec![0i64; total];
    w.each(&mut out, |b, ys, xs, o| {
        let count = (ys.len() * xs.len()) as u32;
        for y in ys {
            for xx in xs.clone() {
                let src = &x[((b * w.ih + y) * w.iw + xx) * w.c..][..w.c];
                for (m, &v) in o.iter_mut().zip(src) {
                    *m += v - izp;
                }
            }
        }
        let (mult, shift) =
            reciprocal_scale(count).ok_or_else(|| "window has no in-bounds taps".to_string())?;
        for m in o.iter_mut() {
            let acc = i32::try_from(*m).map_err(|_| format!("sum {m} overflows i32 (REQUIRE)"))?;
            let scaled = apply_scale_32(acc, mult, shift, false)
                .ok_or_else(|| format!("apply_scale of {acc} violates its REQUIRE"))?;
            *m = (i64::from(scaled) + ozp).clamp(lo, hi);
        }
        Ok(())
    })
    .map_err(|m| ex.unpredictable(m))?;
    let data = from_i64(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}
