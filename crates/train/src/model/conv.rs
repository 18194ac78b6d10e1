//! 2-D convolution as a Candle custom op: im2col + gemm forward, and a
//! backward that builds dW and dX from gemms instead of Candle's direct-loop
//! `conv_transpose2d`, skipping dX when the input needs no gradient.
//!
//! Candle's own conv2d takes one stride/padding/dilation for both axes and
//! its backward is the step's bottleneck (docs: lp-train-bench.md); this op
//! takes them per axis, supports groups, and runs dX and dW as matmuls.

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp3, DType, Layout, Shape, Tensor, WithDType, bail,
};
use rayon::prelude::*;

/// Geometry of one convolution, all per-axis `[h, w]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeom {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

/// Sizes of one group's im2col matrix.
#[derive(Debug, Clone, Copy)]
struct Cols {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    geom: ConvGeom,
}

impl Cols {
    fn k(&self) -> usize {
        self.c * self.kh * self.kw
    }
    fn l(&self) -> usize {
        self.oh * self.ow
    }
    /// Output columns `lo..hi` (along one axis) whose tap `t` reads inside the input, and
    /// the input index the first of them reads. Spans instead of a per-element check let
    /// stride-1 rows move as slice copies, the bulk of im2col's time.
    fn span(
        t: usize,
        s: usize,
        p: usize,
        d: usize,
        len: usize,
        out: usize,
    ) -> (usize, usize, usize) {
        let off = t * d;
        // Smallest o with o·s + off >= p.
        let lo = if off >= p { 0 } else { (p - off).div_ceil(s) };
        // Largest o with o·s + off - p <= len - 1, plus one.
        let hi = if len + p > off { ((len - 1 + p - off) / s + 1).min(out) } else { 0 };
        if lo >= hi { (0, 0, 0) } else { (lo, hi, lo * s + off - p) }
    }
}

fn contiguous<'a, T: WithDType>(
    s: &'a CpuStorage,
    l: &Layout,
    what: &str,
) -> candle_core::Result<&'a [T]> {
    let data = T::cpu_storage_as_slice(s)?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => bail!("conv2d: {what} must be contiguous"),
    }
}

/// `x` [N, C, H, W] (the channels of one group) to columns [N, K, L] with
/// K = C·kh·kw and L = oh·ow; out-of-image taps read zero.
fn im2col<T: WithDType>(x: &[T], g: &Cols, c0: usize, c_total: usize) -> Vec<T> {
    let (k, l) = (g.k(), g.l());
    let [sy, sx] = g.geom.stride;
    let [py, px] = g.geom.padding;
    let [dy, dx] = g.geom.dilation;
    let mut out = vec![T::zero(); g.n * k * l];
    out.par_chunks_mut(k * l).enumerate().for_each(|(n, cols)| {
        for c in 0..g.c {
            let plane = &x[((n * c_total) + c0 + c) * g.h * g.w..][..g.h * g.w];
            for ky in 0..g.kh {
                let (y0, y1, iy0) = Cols::span(ky, sy, py, dy, g.h, g.oh);
                for kx in 0..g.kw {
                    let (x0, x1, ix0) = Cols::span(kx, sx, px, dx, g.w, g.ow);
                    let row = &mut cols[((c * g.kh + ky) * g.kw + kx) * l..][..l];
                    for (j, oy) in (y0..y1).enumerate() {
                        let src = &plane[(iy0 + j * sy) * g.w..][..g.w];
                        let dst = &mut row[oy * g.ow + x0..oy * g.ow + x1];
                        if sx == 1 {
                            dst.copy_from_slice(&src[ix0..ix0 + (x1 - x0)]);
                        } else {
                            for (i, d) in dst.iter_mut().enumerate() {
                                *d = src[ix0 + i * sx];
                            }
                        }
                    }
                }
            }
        }
    });
    out
}

/// Adjoint of [`im2col`]: scatters-adds columns [N, K, L] back to [N, C, H, W].
fn col2im<T: WithDType>(cols: &[T], g: &Cols) -> Vec<T> {
    let (k, l) = (g.k(), g.l());
    let [sy, sx] = g.geom.stride;
    let [py, px] = g.geom.padding;
    let [dy, dx] = g.geom.dilation;
    let mut out = vec![T::zero(); g.n * g.c * g.h * g.w];
    out.par_chunks_mut(g.c * g.h * g.w).enumerate().for_each(|(n, img)| {
        let cols = &cols[n * k * l..][..k * l];
        for c in 0..g.c {
            let plane = &mut img[c * g.h * g.w..][..g.h * g.w];
            for ky in 0..g.kh {
                let (y0, y1, iy0) = Cols::span(ky, sy, py, dy, g.h, g.oh);
                for kx in 0..g.kw {
                    let (x0, x1, ix0) = Cols::span(kx, sx, px, dx, g.w, g.ow);
                    let row = &cols[((c * g.kh + ky) * g.kw + kx) * l..][..l];
                    for (j, oy) in (y0..y1).enumerate() {
                        let dst = &mut plane[(iy0 + j * sy) * g.w..][..g.w];
                        let src = &row[oy * g.ow + x0..oy * g.ow + x1];
                        for (i, &v) in src.iter().enumerate() {
                            dst[ix0 + i * sx] += v;
                        }
                    }
                }
            }
        }
    });
    out
}

/// im2col of one channel group as a gradient-free op.
struct Im2Col {
    cols: Cols,
    c0: usize,
    c_total: usize,
}

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "vgforge-im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let shape = Shape::from((self.cols.n, self.cols.k(), self.cols.l()));
        match s {
            CpuStorage::F32(_) => Ok((
                f32::to_cpu_storage_owned(im2col(
                    contiguous::<f32>(s, l, "input")?,
                    &self.cols,
                    self.c0,
                    self.c_total,
                )),
                shape,
            )),
            CpuStorage::F64(_) => Ok((
                f64::to_cpu_storage_owned(im2col(
                    contiguous::<f64>(s, l, "input")?,
                    &self.cols,
                    self.c0,
                    self.c_total,
                )),
                shape,
            )),
            _ => bail!("conv2d: only f32 and f64 are supported, got {:?}", s.dtype()),
        }
    }
}

/// col2im of one channel group as a gradient-free op.
struct Col2Im {
    cols: Cols,
}

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "vgforge-col2im"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let shape = Shape::from((self.cols.n, self.cols.c, self.cols.h, self.cols.w));
        match s {
            CpuStorage::F32(_) => Ok((
                f32::to_cpu_storage_owned(col2im(contiguous::<f32>(s, l, "columns")?, &self.cols)),
                shape,
            )),
            CpuStorage::F64(_) => Ok((
                f64::to_cpu_storage_owned(col2im(contiguous::<f64>(s, l, "columns")?, &self.cols)),
                shape,
            )),
            _ => bail!("conv2d: only f32 and f64 are supported, got {:?}", s.dtype()),
        }
    }
}

/// The convolution itself: inputs x [N,C,H,W], weight [O,C/g,kh,kw], bias [O].
pub struct Conv2dOp {
    pub geom: ConvGeom,
    /// Largest im2col buffer, in bytes; bigger batches run in chunks. Under
    /// glibc's 32 MiB dynamic mmap threshold the buffers are reused from the
    /// heap; one 75 MB buffer per layer instead cost a fifth of the step in
    /// page faults.
    pub cols_budget: usize,
}

/// Default for [`Conv2dOp::cols_budget`].
pub const COLS_BUDGET: usize = 16 << 20;

impl Conv2dOp {
    pub fn new(geom: ConvGeom) -> Self {
        Conv2dOp { geom, cols_budget: COLS_BUDGET }
    }

    /// Images per chunk so that one chunk's columns fit the budget.
    fn chunk(&self, cols: &Cols, elem: usize) -> usize {
        let per_image = (cols.k() * self.geom.groups * cols.l() * elem).max(1);
        (self.cols_budget / per_image).clamp(1, cols.n.max(1))
    }

    fn cols(&self, x: &[usize], w: &[usize]) -> candle_core::Result<Cols> {
        let g = self.geom;
        let (&[n, c, h, wd], &[o, cg, kh, kw]) = (x, w) else {
            bail!("conv2d: expected 4-D input and weight, got {x:?} and {w:?}")
        };
        if kh == 0 || kw == 0 || g.dilation.contains(&0) || g.stride.contains(&0) {
            bail!(
                "conv2d: kernel {kh}×{kw}, stride {:?} and dilation {:?} must be at least 1",
                g.stride,
                g.dilation
            )
        }
        if g.groups == 0 || c != cg * g.groups || o % g.groups != 0 {
            bail!("conv2d: weight {w:?} with {} groups does not fit input {x:?}", g.groups)
        }
        let out = |len: usize, k: usize, a: usize| -> candle_core::Result<usize> {
            let span = g.dilation[a] * (k - 1) + 1;
            if g.stride[a] == 0 || len + 2 * g.padding[a] < span {
                bail!("conv2d: input {x:?} too small for kernel {kh}×{kw} with {g:?}")
            }
            Ok((len + 2 * g.padding[a] - span) / g.stride[a] + 1)
        };
        Ok(Cols { n, c: cg, h, w: wd, kh, kw, oh: out(h, kh, 0)?, ow: out(wd, kw, 1)?, geom: g })
    }

    /// Columns of channel group `gi` of `x` as a [N, K, L] tensor.
    fn group_cols(&self, x: &Tensor, cols: &Cols, gi: usize) -> candle_core::Result<Tensor> {
        x.apply_op1_no_bwd(&Im2Col {
            cols: *cols,
            c0: gi * cols.c,
            c_total: cols.c * self.geom.groups,
        })
    }

    fn forward_t(&self, x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
        let cols = self.cols(x.dims(), w.dims())?;
        let chunk = self.chunk(&cols, x.dtype().size_in_bytes());
        if chunk < cols.n {
            let mut parts = Vec::with_capacity(cols.n.div_ceil(chunk));
            for start in (0..cols.n).step_by(chunk) {
                parts.push(self.forward_t(
                    &x.narrow(0, start, chunk.min(cols.n - start))?,
                    w,
                    b,
                )?);
            }
            return Tensor::cat(&parts, 0);
        }
        let o = w.dim(0)?;
        let og = o / self.geom.groups;
        let mut outs = Vec::with_capacity(self.geom.groups);
        for gi in 0..self.geom.groups {
            let xc = self.group_cols(x, &cols, gi)?;
            let wg = w.narrow(0, gi * og, og)?.reshape((og, cols.k()))?;
            outs.push(wg.broadcast_matmul(&xc)?);
        }
        let y = if outs.len() == 1 { outs.remove(0) } else { Tensor::cat(&outs, 1)? };
        let y = y.broadcast_add(&b.reshape((1, o, 1))?)?;
        y.reshape((cols.n, o, cols.oh, cols.ow))
    }
}

fn to_tensor(s: &CpuStorage, l: &Layout) -> candle_core::Result<Tensor> {
    let dev = candle_core::Device::Cpu;
    match s {
        CpuStorage::F32(_) => {
            Tensor::from_slice(contiguous::<f32>(s, l, "operand")?, l.shape(), &dev)
        }
        CpuStorage::F64(_) => {
            Tensor::from_slice(contiguous::<f64>(s, l, "operand")?, l.shape(), &dev)
        }
        _ => bail!("conv2d: only f32 and f64 are supported, got {:?}", s.dtype()),
    }
}

fn to_storage(t: &Tensor) -> candle_core::Result<CpuStorage> {
    let t = t.flatten_all()?;
    match t.dtype() {
        DType::F32 => Ok(CpuStorage::F32(t.to_vec1::<f32>()?)),
        DType::F64 => Ok(CpuStorage::F64(t.to_vec1::<f64>()?)),
        d => bail!("conv2d: only f32 and f64 are supported, got {d:?}"),
    }
}

impl CustomOp3 for Conv2dOp {
    fn name(&self) -> &'static str {
        "vgforge-conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let y = self.forward_t(&to_tensor(s1, l1)?, &to_tensor(s2, l2)?, &to_tensor(s3, l3)?)?;
        Ok((to_storage(&y)?, y.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // Candle would compute dX for the first layer too; nothing needs it
        // when the input is neither a variable nor derived from one.
        let need = [x.track_op(), w.track_op(), b.track_op()];
        let (x, w) = (x.detach(), w.detach());
        let cols = self.cols(x.dims(), w.dims())?;
        let grad = grad.contiguous()?;
        let chunk = self.chunk(&cols, x.dtype().size_in_bytes());
        let (mut dxs, mut dw, mut db) = (Vec::new(), None::<Tensor>, None::<Tensor>);
        for start in (0..cols.n).step_by(chunk) {
            let len = chunk.min(cols.n - start);
            let (dx_c, dw_c, db_c) =
                self.bwd_chunk(&x.narrow(0, start, len)?, &w, &grad.narrow(0, start, len)?, need)?;
            dxs.extend(dx_c);
            dw = sum_opt(dw, dw_c)?;
            db = sum_opt(db, db_c)?;
        }
        let dx = match dxs.len() {
            0 => None,
            1 => dxs.pop(),
            _ => Some(Tensor::cat(&dxs, 0)?),
        };
        Ok((dx, dw, db))
    }
}

fn sum_opt(acc: Option<Tensor>, t: Option<Tensor>) -> candle_core::Result<Option<Tensor>> {
    Ok(match (acc, t) {
        (Some(a), Some(t)) => Some((a + t)?),
        (a, t) => a.or(t),
    })
}

impl Conv2dOp {
    /// Gradients for one batch chunk; `need` says which of dX, dW, db to make.
    #[allow(clippy::type_complexity)]
    fn bwd_chunk(
        &self,
        x: &Tensor,
        w: &Tensor,
        grad: &Tensor,
        [need_dx, need_dw, need_db]: [bool; 3],
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let cols = self.cols(x.dims(), w.dims())?;
        let o = w.dim(0)?;
        let og = o / self.geom.groups;
        let grad = grad.contiguous()?.reshape((cols.n, o, cols.l()))?;
        let db = if need_db { Some(grad.sum(2)?.sum(0)?) } else { None };
        let (mut dws, mut dxs) = (Vec::new(), Vec::new());
        for gi in 0..self.geom.groups {
            let gg = grad.narrow(1, gi * og, og)?;
            let gg = if self.geom.groups == 1 { gg } else { gg.contiguous()? };
            let wg = w.narrow(0, gi * og, og)?.reshape((og, cols.k()))?;
            if need_dw {
                let xc = self.group_cols(x, &cols, gi)?;
                // Σ_n G_n · cols_nᵀ, as one batched gemm and a sum over the batch.
                let dw = gg.matmul(&xc.transpose(1, 2)?)?.sum(0)?;
                dws.push(dw.reshape((og, cols.c, cols.kh, cols.kw))?);
            }
            if need_dx {
                let dcols = wg.t()?.broadcast_matmul(&gg)?;
                dxs.push(dcols.contiguous()?.apply_op1_no_bwd(&Col2Im { cols })?);
            }
        }
        let dw = match dws.len() {
            0 => None,
            1 => dws.pop(),
            _ => Some(Tensor::cat(&dws, 0)?),
        };
        let dx = match dxs.len() {
            0 => None,
            1 => dxs.pop(),
            _ => Some(Tensor::cat(&dxs, 1)?),
        };
        Ok((dx, dw, db))
    }
}
