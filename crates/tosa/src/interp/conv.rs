//! CONV2D, DEPTHWISE_CONV2D and TRANSPOSE_CONV2D.
//!
//! Inputs and weights are converted once with their zero points subtracted, so padded taps are
//! plain zeros. CONV2D gathers one receptive field per output pixel into a contiguous patch
//! (OHWI weights make each output channel a contiguous dot product of the same length); int8
//! uses i16 patches with i32 sums, which is exact while `K * 255 * 255 < 2^31`.

use rayon::prelude::*;

use super::value::{Exec, from_f32, from_i64};
use crate::error::Result;
use crate::ir::{DType, Op, Tensor, TensorData};

/// Output geometry shared by the convolution kernels.
#[derive(Clone, Copy)]
struct Geom {
    n: usize,
    ih: usize,
    iw: usize,
    ic: usize,
    oh: usize,
    ow: usize,
    kh: usize,
    kw: usize,
    sy: usize,
    sx: usize,
    dy: usize,
    dx: usize,
    pt: usize,
    pl: usize,
}

impl Geom {
    /// Input row/column of tap `k` for output position `o`, or `None` in the padding.
    #[inline]
    fn tap(o: usize, s: usize, p: usize, k: usize, d: usize, size: usize) -> Option<usize> {
        (o * s + k * d).checked_sub(p).filter(|&v| v < size)
    }
}

fn geom(ex: &Exec, kh: usize, kw: usize, stride: [i32; 2], dil: [i32; 2], pad: [i32; 4]) -> Geom {
    let s = ex.ins[0].shape;
    Geom {
        n: s[0],
        ih: s[1],
        iw: s[2],
        ic: s[3],
        oh: ex.out_shape[1],
        ow: ex.out_shape[2],
        kh,
        kw,
        sy: stride[0] as usize,
        sx: stride[1] as usize,
        dy: dil[0] as usize,
        dx: dil[1] as usize,
        pt: pad[0] as usize,
        pl: pad[2] as usize,
    }
}

/// Acceptable accumulator range of an integer convolution.
fn acc_range(acc: DType) -> (i64, i64) {
    acc.int_range().unwrap_or((i64::from(i32::MIN), i64::from(i32::MAX)))
}

/// Operands converted to a compute type with zero points removed.
enum Operands {
    /// int8 activations and int8/int4 weights, exact in i16.
    Small(Vec<i16>, Vec<i16>, Vec<i64>),
    /// Other integer combinations, in i64.
    Wide(Vec<i64>, Vec<i64>, Vec<i64>),
    /// Floating point, in f32.
    Float(Vec<f32>, Vec<f32>, Vec<f32>),
}

fn operands(ex: &Exec) -> Result<Operands> {
    let (x, w) = (ex.ins[0], ex.ins[1]);
    if x.dtype.is_float() {
        return Ok(Operands::Float(ex.floats(0)?, ex.floats(1)?, ex.floats(2)?));
    }
    let izp = ex.scalar_int(3)?;
    let wzp = ex.scalar_int(4)?;
    let bias = ex.ints(2)?;
    if let (TensorData::I8(xv), TensorData::I8(wv)) = (x.data, w.data) {
        let xs = xv.iter().map(|&v| (i64::from(v) - izp) as i16).collect();
        let ws = wv.iter().map(|&v| (i64::from(v) - wzp) as i16).collect();
        return Ok(Operands::Small(xs, ws, bias));
    }
    let xs = ex.ints(0)?.into_iter().map(|v| v - izp).collect();
    let ws = ex.ints(1)?.into_iter().map(|v| v - wzp).collect();
    Ok(Operands::Wide(xs, ws, bias))
}

/// For every output pixel, gather its receptive field (zeros in the padding) and let `f`
/// produce one output channel from it. Parallel over batch x output rows.
fn im2col<P, O>(
    g: &Geom,
    x: &[P],
    oc: usize,
    out: &mut [O],
    f: impl Fn(&[P], usize) -> std::result::Result<O, String> + Sync,
) -> std::result::Result<(), String>
where
    P: Copy + Default + Send + Sync,
    O: Send,
{
    let k = g.kh * g.kw * g.ic;
    out.par_chunks_mut((g.ow * oc).max(1)).enumerate().try_for_each(|(row, out_row)| {
        let (b, oy) = (row / g.oh, row % g.oh);
        let mut patch = vec![P::default(); k];
        for ox in 0..g.ow {
            for ky in 0..g.kh {
                let y = Geom::tap(oy, g.sy, g.pt, ky, g.dy, g.ih);
                for kx in 0..g.kw {
                    let dst = &mut patch[(ky * g.kw + kx) * g.ic..][..g.ic];
                    match (y, Geom::tap(ox, g.sx, g.pl, kx, g.dx, g.iw)) {
                        (Some(y), Some(xx)) => {
                            let src = ((b * g.ih + y) * g.iw + xx) * g.ic;
                            dst.copy_from_slice(&x[src..src + g.ic]);
                        }
                        _ => dst.fill(P::default()),
                    }
                }
            }
            for (o, slot) in out_row[ox * oc..(ox + 1) * oc].iter_mut().enumerate() {
                *slot = f(&patch, o)?;
            }
        }
        Ok(())
    })
}

/// Exact while `len * 255 * 255 < 2^31`; sixteen independent lanes let the compiler use
/// widening multiply-add vector instructions.
#[inline]
fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
    const LANES: usize = 16;
    let mut acc = [0i32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: i32 =
        ca.remainder().iter().zip(cb.remainder()).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    acc.iter().sum::<i32>() + tail
}

#[inline]
fn dot_i64(a: &[i64], b: &[i64]) -> i64 {
    a.iter().zip(b).map(|(&x, &y)| x * y).sum()
}

#[inline]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(&x, &y)| x * y).sum()
}

fn bias_at<T: Copy>(bias: &[T], o: usize) -> T {
    if bias.len() == 1 { bias[0] } else { bias[o] }
}

pub(super) fn conv2d(ex: &Exec) -> Result<Tensor> {
    let Op::Conv2d { pad, stride, dilation, acc_type, .. } = ex.op.op else {
        return Err(ex.internal("not CONV2D"));
    };
    let w = ex.ins[1].shape;
    let (oc, k) = (w[0], w[1] * w[2] * w[3]);
    let g = geom(ex, w[1], w[2], stride, dilation, pad);
    let total = g.n * g.oh * g.ow * oc;
    let (lo, hi) = acc_range(acc_type);
    let res = match operands(ex)? {
        // Every |product| is at most 255 * 255, so i32 sums cannot overflow below this size.
        Operands::Small(xs, ws, bias) if (k as u64) * 65025 < i32::MAX as u64 => {
            let mut out = vec![0i64; total];
            im2col(&g, &xs, oc, &mut out, |p, o| {
                let acc = i64::from(dot_i16(p, &ws[o * k..(o + 1) * k])) + bias_at(&bias, o);
                wrap_acc(acc, lo, hi)
            })
            .map(|()| from_i64(ex.out_dtype, out))
        }
        Operands::Small(xs, ws, bias) => {
            let xs: Vec<i64> = xs.into_iter().map(i64::from).collect();
            let ws: Vec<i64> = ws.into_iter().map(i64::from).collect();
            wide_conv(&g, &xs, &ws, &bias, oc, k, lo, hi, total).map(|v| from_i64(ex.out_dtype, v))
        }
        Operands::Wide(xs, ws, bias) => {
            wide_conv(&g, &xs, &ws, &bias, oc, k, lo, hi, total).map(|v| from_i64(ex.out_dtype, v))
        }
        Operands::Float(xs, ws, bias) => {
            let mut out = vec![0f32; total];
            im2col(&g, &xs, oc, &mut out, |p, o| {
                Ok(dot_f32(p, &ws[o * k..(o + 1) * k]) + bias_at(&bias, o))
            })
            .map(|()| from_f32(ex.out_dtype, out))
        }
    };
    let data = res.map_err(|m| ex.unpredictable(m))?;
    ex.out(data.ok_or_else(|| ex.internal("unsupported output type"))?)
}

#[allow(clippy::too_many_arguments)]
fn wide_conv(
    g: &Geom,
    xs: &[i64],
    ws: &[i64],
    bias: &[i64],
    oc: usize,
    k: usize,
    lo: i64,
    hi: i64,
    total: usize,
) -> std::result::Result<Vec<i64>, String> {
    let mut out = vec![0i64; total];
    im2col(g, xs, oc, &mut out, |p, o| {
        wrap_acc(dot_i64(p, &ws[o * k..(o + 1) * k]) + bias_at(bias, o), lo, hi)
    })?;
    Ok(out)
}

/// Accumulator overflow fails a REQUIRE, so any result is allowed; Arm's reference model
/// wraps in the accumulator's two's-complement width, and so does this interpreter to stay
/// bit-exact with it.
#[inline]
fn wrap_acc(v: i64, lo: i64, hi: i64) -> std::result::Result<i64, String> {
    if v < lo || v > hi { Ok((v - lo).rem_euclid(hi - lo + 1) + lo) } else { Ok(v) }
}

pub(super) fn depthwise(ex: &Exec) -> Result<Tensor> {
    let Op::DepthwiseConv2d { pad, stride, dilation, acc_type, .. } = ex.op.op else {
        return Err(ex.internal("not DEPTHWISE_CONV2D"));
    };
    let w = ex.ins[1].shape;
    let (kh, kw, c, m) = (w[0], w[1], w[2], w[3]);
    let g = geom(ex, kh, kw, stride, dilation, pad);
    let (lo, hi) = acc_range(acc_type);
    let data = match operands(ex)? {
        Operands::Small(xs, ws, bias) => {
            let xs: Vec<i64> = xs.into_iter().map(i64::from).collect();
            let ws: Vec<i64> = ws.into_iter().map(i64::from).collect();
            let bias_f = |o| bias_at(&bias, o);
            dw_loop(&g, &xs, &ws, c, m, bias_f)
                .into_iter()
                .map(|v| wrap_acc(v, lo, hi))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(|v| from_i64(ex.out_dtype, v))
        }
        Operands::Wide(xs, ws, bias) => dw_loop(&g, &xs, &ws, c, m, |o| bias_at(&bias, o))
            .into_iter()
            .map(|v| wrap_acc(v, lo, hi))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(|v| from_i64(ex.out_dtype, v)),
        Operands::Float(xs, ws, bias) => {
            Ok(from_f32(ex.out_dtype, dw_loop(&g, &xs, &ws, c, m, |o| bias_at(&bias, o))))
        }
    };
    let data = data.map_err(|m| ex.unpredictable(m))?;
    ex.out(data.ok_or_else(|| ex.internal("unsupported output type"))?)
}

/// Depthwise accumulation; the innermost loop runs over the contiguous `C*M` output channels.
fn dw_loop<T>(
    g: &Geom,
    xs: &[T],
    ws: &[T],
    c: usize,
    m: usize,
    bias: impl Fn(usize) -> T + Sync,
) -> Vec<T>
where
    T: Copy + Default + Send + Sync + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    let cm = c * m;
    let mut out = vec![T::default(); g.n * g.oh * g.ow * cm];
    out.par_chunks_mut((g.ow * cm).max(1)).enumerate().for_each(|(row, out_row)| {
        let (b, oy) = (row / g.oh, row % g.oh);
        for ox in 0..g.ow {
            let acc = &mut out_row[ox * cm..(ox + 1) * cm];
            for (o, a) in acc.iter_mut().enumerate() {
                *a = bias(o);
            }
            for ky in 0..g.kh {
                let Some(y) = Geom::tap(oy, g.sy, g.pt, ky, g.dy, g.ih) else { continue };
                for kx in 0..g.kw {
                    let Some(x) = Geom::tap(ox, g.sx, g.pl, kx, g.dx, g.iw) else { continue };
                    let src = &xs[((b * g.ih + y) * g.iw + x) * c..][..c];
                    let wrow = &ws[(ky * g.kw + kx) * cm..][..cm];
                    for (ci, &xv) in src.iter().enumerate() {
                        let a = &mut acc[ci * m..(ci + 1) * m];
                        for (av, &wv) in a.iter_mut().zip(&wrow[ci * m..(ci + 1) * m]) {
                            *av = *av + xv * wv;
                        }
                    }
                }
            }
        }
    });
    out
}

pub(super) fn transpose_conv(ex: &Exec) -> Result<Tensor> {
    let Op::TransposeConv2d { out_pad, stride, acc_type, .. } = ex.op.op else {
        return Err(ex.internal("not TRANSPOSE_CONV2D"));
    };
    let w = ex.ins[1].shape;
    let (oc, kh, kw) = (w[0], w[1], w[2]);
    let g = geom(ex, kh, kw, stride, [1, 1], [0; 4]);
    let (lo, hi) = acc_range(acc_type);
    let [pt, _, pl, _] = out_pad.map(i64::from);
    let data = match operands(ex)? {
        Operands::Small(xs, ws, bias) => {
            let xs: Vec<i64> = xs.into_iter().map(i64::from).collect();
            let ws: Vec<i64> = ws.into_iter().map(i64::from).collect();
            tconv_loop(&g, &xs, &ws, oc, pt, pl, |o| bias_at(&bias, o))
                .into_iter()
                .map(|v| wrap_acc(v, lo, hi))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(|v| from_i64(ex.out_dtype, v))
        }
        Operands::Wide(xs, ws, bias) => tconv_loop(&g, &xs, &ws, oc, pt, pl, |o| bias_at(&bias, o))
            .into_iter()
            .map(|v| wrap_acc(v, lo, hi))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(|v| from_i64(ex.out_dtype, v)),
        Operands::Float(xs, ws, bias) => {
            Ok(from_f32(ex.out_dtype, tconv_loop(&g, &xs, &ws, oc, pt, pl, |o| bias_at(&bias, o))))
        }
    };
    let data = data.map_err(|m| ex.unpredictable(m))?;
    ex.out(data.ok_or_else(|| ex.internal("unsupported output type"))?)
}

/// TRANSPOSE_CONV2D as the specification gathers it: output `(oy, ox)` reads input
/// `((oy - pad_top - ky) / sy, (ox - pad_left - kx) / sx)` when that division is exact.
fn tconv_loop<T>(
    g: &Geom,
    xs: &[T],
    ws: &[T],
    oc: usize,
    pt: i64,
    pl: i64,
    bias: impl Fn(usize) -> T + Sync,
) -> Vec<T>
where
    T: Copy + Default + Send + Sync + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    let mut out = vec![T::default(); g.n * g.oh * g.ow * oc];
    let (sy, sx) = (g.sy as i64, g.sx as i64);
    out.par_chunks_mut((g.ow * oc).max(1)).enumerate().for_each(|(row, out_row)| {
        let (b, oy) = (row / g.oh, (row % g.oh) as i64);
        for ox in 0..g.ow {
            for o in 0..oc {
                let mut acc = bias(o);
                for ky in 0..g.kh {
                    let y = oy - pt - ky as i64;
                    if y < 0 || y >= g.ih as i64 * sy || y % sy != 0 {
                        continue;
                    }
                    for kx in 0..g.kw {
                        let x = ox as i64 - pl - kx as i64;
                        if x < 0 || x >= g.iw as i64 * sx || x % sx != 0 {
                            continue;
                        }
                        let src =
                            ((b * g.ih + (y / sy) as usize) * g.iw + (x / sx) as usize) * g.ic;
                        let wsrc = ((o * g.kh + ky) * g.kw + kx) * g.ic;
                        for ci in 0..g.ic {
                            acc = acc + xs[src + ci] * ws[wsrc + ci];
                        }
                    }
                }
                out_row[ox * oc + o] = acc;
            }
        }
    });
    out
}
