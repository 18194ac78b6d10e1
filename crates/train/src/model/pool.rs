//! Max and average pooling. The common case (kernel == stride, no padding)
//! is a reshape + reduction, whose gradients Candle gets right; everything
//! else goes through a custom op with its own backward, never through
//! Candle's `max_pool2d` (its backward scales the gradient by 1/k², see
//! docs rust-stack.md).

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor, WithDType, bail};
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    /// The divisor counts only the taps inside the image, as TOSA AVG_POOL2D
    /// does (PyTorch's `count_include_pad=False`).
    Avg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolGeom {
    pub kind: PoolKind,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

impl PoolGeom {
    fn out(&self, h: usize, w: usize) -> candle_core::Result<(usize, usize)> {
        let [kh, kw] = self.kernel;
        let [sh, sw] = self.stride;
        let [ph, pw] = self.padding;
        if kh == 0 || kw == 0 || sh == 0 || sw == 0 || h + 2 * ph < kh || w + 2 * pw < kw {
            bail!("pool: input {h}×{w} does not fit {self:?}")
        }
        Ok(((h + 2 * ph - kh) / sh + 1, (w + 2 * pw - kw) / sw + 1))
    }

    /// In-image input rows (or columns) covered by output `o` along an axis.
    fn span(o: usize, k: usize, s: usize, p: usize, len: usize) -> std::ops::Range<usize> {
        let start = (o * s).saturating_sub(p);
        let end = (o * s + k).saturating_sub(p).min(len);
        start..end.max(start)
    }
}

/// Pools `x` [N, C, H, W].
pub fn pool2d(x: &Tensor, g: PoolGeom) -> candle_core::Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let (oh, ow) = g.out(h, w)?;
    if g.kernel == g.stride && g.padding == [0, 0] {
        let [kh, kw] = g.kernel;
        let x = x.narrow(2, 0, oh * kh)?.narrow(3, 0, ow * kw)?.reshape((n, c, oh, kh, ow, kw))?;
        return match g.kind {
            PoolKind::Max => x.max(5)?.max(3),
            PoolKind::Avg => x.mean(5)?.mean(3),
        };
    }
    x.contiguous()?.apply_op1(Pool2dOp { geom: g })
}

fn slice<'a, T: WithDType>(s: &'a CpuStorage, l: &Layout) -> candle_core::Result<&'a [T]> {
    let data = T::cpu_storage_as_slice(s)?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => bail!("pool: operand must be contiguous"),
    }
}

fn dims(l: &Layout) -> candle_core::Result<(usize, usize, usize, usize)> {
    l.shape().dims4()
}

fn forward<T: WithDType>(
    x: &[T],
    (n, c, h, w): (usize, usize, usize, usize),
    g: PoolGeom,
) -> candle_core::Result<Vec<T>> {
    let (oh, ow) = g.out(h, w)?;
    let mut out = vec![T::zero(); n * c * oh * ow];
    out.par_chunks_mut(oh * ow).enumerate().for_each(|(p, dst)| {
        let plane = &x[p * h * w..][..h * w];
        for oy in 0..oh {
            let ys = PoolGeom::span(oy, g.kernel[0], g.stride[0], g.padding[0], h);
            for ox in 0..ow {
                let xs = PoolGeom::span(ox, g.kernel[1], g.stride[1], g.padding[1], w);
                let count = ys.len() * xs.len();
                let mut best: Option<T> = None;
                let mut sum = T::zero();
                for iy in ys.clone() {
                    for ix in xs.clone() {
                        let v = plane[iy * w + ix];
                        sum += v;
                        if best.is_none_or(|b| v > b) {
                            best = Some(v);
                        }
                    }
                }
                dst[oy * ow + ox] = match g.kind {
                    PoolKind::Max => best.unwrap_or(T::zero()),
                    PoolKind::Avg if count > 0 => sum / T::from_f64(count as f64),
                    PoolKind::Avg => T::zero(),
                };
            }
        }
    });
    Ok(out)
}

/// dX from the output gradient; max routes to the first maximum like PyTorch.
fn backward<T: WithDType>(
    x: &[T],
    grad: &[T],
    (n, c, h, w): (usize, usize, usize, usize),
    g: PoolGeom,
) -> candle_core::Result<Vec<T>> {
    let (oh, ow) = g.out(h, w)?;
    let mut dx = vec![T::zero(); n * c * h * w];
    dx.par_chunks_mut(h * w).enumerate().for_each(|(p, dst)| {
        let plane = &x[p * h * w..][..h * w];
        let gp = &grad[p * oh * ow..][..oh * ow];
        for oy in 0..oh {
            let ys = PoolGeom::span(oy, g.kernel[0], g.stride[0], g.padding[0], h);
            for ox in 0..ow {
                let xs = PoolGeom::span(ox, g.kernel[1], g.stride[1], g.padding[1], w);
                let gv = gp[oy * ow + ox];
                match g.kind {
                    PoolKind::Max => {
                        let mut best: Option<(T, usize)> = None;
                        for iy in ys.clone() {
                            for ix in xs.clone() {
                                let v = plane[iy * w + ix];
                                if best.is_none_or(|(b, _)| v > b) {
                                    best = Some((v, iy * w + ix));
                                }
                            }
                        }
                        if let Some((_, i)) = best {
                            dst[i] += gv;
                        }
                    }
                    PoolKind::Avg => {
                        let count = ys.len() * xs.len();
                        if count == 0 {
                            continue;
                        }
                        let share = gv / T::from_f64(count as f64);
                        for iy in ys.clone() {
                            for ix in xs.clone() {
                                dst[iy * w + ix] += share;
                            }
                        }
                    }
                }
            }
        }
    });
    Ok(dx)
}

struct Pool2dOp {
    geom: PoolGeom,
}

impl CustomOp1 for Pool2dOp {
    fn name(&self) -> &'static str {
        "vgforge-pool2d"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = dims(l)?;
        let (oh, ow) = self.geom.out(d.2, d.3)?;
        let shape = Shape::from((d.0, d.1, oh, ow));
        match s {
            CpuStorage::F32(_) => {
                Ok((CpuStorage::F32(forward(slice::<f32>(s, l)?, d, self.geom)?), shape))
            }
            CpuStorage::F64(_) => {
                Ok((CpuStorage::F64(forward(slice::<f64>(s, l)?, d, self.geom)?), shape))
            }
            _ => bail!("pool: only f32 and f64 are supported, got {:?}", s.dtype()),
        }
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let dx = arg
            .detach()
            .contiguous()?
            .apply_op2_no_bwd(&grad.contiguous()?, &PoolBwdOp { geom: self.geom })?;
        Ok(Some(dx))
    }
}

struct PoolBwdOp {
    geom: PoolGeom,
}

impl CustomOp2 for PoolBwdOp {
    fn name(&self) -> &'static str {
        "vgforge-pool2d-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = dims(l1)?;
        let shape = l1.shape().clone();
        match (s1, s2) {
            (CpuStorage::F32(_), CpuStorage::F32(_)) => Ok((
                CpuStorage::F32(backward(
                    slice::<f32>(s1, l1)?,
                    slice::<f32>(s2, l2)?,
                    d,
                    self.geom,
                )?),
                shape,
            )),
            (CpuStorage::F64(_), CpuStorage::F64(_)) => Ok((
                CpuStorage::F64(backward(
                    slice::<f64>(s1, l1)?,
                    slice::<f64>(s2, l2)?,
                    d,
                    self.geom,
                )?),
                shape,
            )),
            _ => bail!("pool backward: mismatched or unsupported dtypes"),
        }
    }
}
