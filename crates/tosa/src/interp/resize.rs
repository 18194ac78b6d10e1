//! RESIZE (NEAREST, BILINEAR) with the specification's integer position arithmetic.

use rayon::prelude::*;

use super::value::{Exec, from_f32, from_i64};
use crate::error::Result;
use crate::ir::{Op, ResizeMode, Tensor};

pub(super) fn resize(ex: &Exec) -> Result<Tensor> {
    let Op::Resize { mode } = ex.op.op else { return Err(ex.internal("not RESIZE")) };
    let s = ex.ins[0].shape;
    let (n, ih, iw, c) = (s[0], s[1] as i64, s[2] as i64, s[3]);
    let (oh, ow) = (ex.out_shape[1], ex.out_shape[2]);
    let scale = ex.ints(1)?;
    let offset = ex.ints(2)?;
    let (off_y, off_x) = (offset[0], offset[1]);
    let (yn, yd, xn, xd) = (scale[0], scale[1], scale[2], scale[3]);
    // Position of output (oy, ox): integer part and remainder in units of 1/scale_n.
    let pos = |o: usize, d: i64, off: i64, num: i64, size: i64| {
        let p = o as i64 * d + off;
        let i = p.div_euclid(num);
        let r = p - i * num;
        (i.max(0), (i + 1).min(size - 1), r)
    };
    let is_float = ex.out_dtype.is_float();
    let xf = if is_float { ex.floats(0)? } else { Vec::new() };
    let xi = if is_float { Vec::new() } else { ex.ints(0)? };
    let at = |b: usize, y: i64, x: i64, ch: usize| {
        ((b * ih as usize + y as usize) * iw as usize + x as usize) * c + ch
    };
    let rows: Vec<(usize, usize)> = (0..n).flat_map(|b| (0..oh).map(move |y| (b, y))).collect();
    if is_float {
        let out: Vec<f32> = rows
            .par_iter()
            .flat_map_iter(|&(b, oy)| {
                let (y0, y1, ry) = pos(oy, yd, off_y, yn, ih);
                let dy = ry as f32 / yn as f32;
                let (xf, at) = (&xf, &at);
                (0..ow).flat_map(move |ox| {
                    let (x0, x1, rx) = pos(ox, xd, off_x, xn, iw);
                    let dx = rx as f32 / xn as f32;
                    (0..c).map(move |ch| match mode {
                        ResizeMode::Nearest => {
                            let y = if dy >= 0.5 { y1 } else { y0 };
                            let x = if dx >= 0.5 { x1 } else { x0 };
                            xf[at(b, y, x, ch)]
                        }
                        ResizeMode::Bilinear => {
                            xf[at(b, y0, x0, ch)] * (1.0 - dy) * (1.0 - dx)
                                + xf[at(b, y0, x1, ch)] * (1.0 - dy) * dx
                                + xf[at(b, y1, x0, ch)] * dy * (1.0 - dx)
                                + xf[at(b, y1, x1, ch)] * dy * dx
                        }
                    })
                })
            })
            .collect();
        let data = from_f32(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
        return ex.out(data);
    }
    let out: Vec<i64> = rows
        .par_iter()
        .flat_map_iter(|&(b, oy)| {
            let (y0, y1, dy) = pos(oy, yd, off_y, yn, ih);
            let (xi, at) = (&xi, &at);
            (0..ow).flat_map(move |ox| {
                let (x0, x1, dx) = pos(ox, xd, off_x, xn, iw);
                (0..c).map(move |ch| match mode {
                    ResizeMode::Nearest => {
                        let y = if 2 * dy >= yn { y1 } else { y0 };
                        let x = if 2 * dx >= xn { x1 } else { x0 };
                        xi[at(b, y, x, ch)]
                    }
                    // Weights are in units of 1/(scale_y_n * scale_x_n); the result keeps them.
                    ResizeMode::Bilinear => {
                        xi[at(b, y0, x0, ch)] * (yn - dy) * (xn - dx)
                            + xi[at(b, y0, x1, ch)] * (yn - dy) * dx
                            + xi[at(b, y1, x0, ch)] * dy * (xn - dx)
                            + xi[at(b, y1, x1, ch)] * dy * dx
                    }
                })
            })
        })
        .collect();
    let data = from_i64(ex.out_dtype, out).ok_or_else(|| ex.internal("bad output type"))?;
    ex.out(data)
}
