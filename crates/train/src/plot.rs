//! A tiny rasteriser for the training report PNGs: a loss curve with axes,
//! and image strips. Pixels are RGB8.

use std::path::Path;

use crate::checkpoint::write_atomic;
use crate::{Error, Result};

pub struct Canvas {
    pub w: usize,
    pub h: usize,
    pub px: Vec<[u8; 3]>,
}

impl Canvas {
    pub fn new(w: usize, h: usize, bg: [u8; 3]) -> Canvas {
        Canvas { w, h, px: vec![bg; w * h] }
    }

    pub fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            self.px[y as usize * self.w + x as usize] = c;
        }
    }

    /// Bresenham line.
    pub fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: [u8; 3]) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.set(x, y, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, self.w as u32, self.h as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let png_err =
                |e: png::EncodingError| Error::Png { path: path.into(), msg: e.to_string() };
            let mut writer = enc.write_header().map_err(png_err)?;
            let flat: Vec<u8> = self.px.iter().flatten().copied().collect();
            writer.write_image_data(&flat).map_err(png_err)?;
        }
        write_atomic(path, &bytes)
    }
}

/// Line plot of `ys` against their index, with axes and tick marks; the y
/// axis is log-scaled when the values span more than a decade.
pub fn loss_curve(ys: &[f32], path: &Path) -> Result<()> {
    let (w, h, margin) = (640usize, 360usize, 40i64);
    let mut c = Canvas::new(w, h, [255, 255, 255]);
    let (x0, y0, x1, y1) = (margin, h as i64 - margin, w as i64 - margin / 2, margin / 2);
    let axis = [0, 0, 0];
    c.line((x0, y0), (x1, y0), axis);
    c.line((x0, y0), (x0, y1), axis);
    for i in 0..=10 {
        let tx = x0 + (x1 - x0) * i / 10;
        c.line((tx, y0), (tx, y0 + 5), axis);
        let ty = y0 + (y1 - y0) * i / 10;
        c.line((x0 - 5, ty), (x0, ty), axis);
    }
    let finite: Vec<f32> = ys.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    if finite.len() >= 2 {
        let (lo, hi) = finite.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let log = hi / lo > 10.0;
        let f = |v: f32| if log { f64::from(v).ln() } else { f64::from(v) };
        let (flo, fhi) = (f(lo), f(hi).max(f(lo) + 1e-12));
        let n = ys.len() - 1;
        let mut prev: Option<(i64, i64)> = None;
        for (i, &v) in ys.iter().enumerate() {
            if !(v.is_finite() && v > 0.0) {
                prev = None;
                continue;
            }
            let px = x0 + ((x1 - x0) as f64 * i as f64 / n.max(1) as f64).round() as i64;
            let py = y0 + ((y1 - y0) as f64 * (f(v) - flo) / (fhi - flo)).round() as i64;
            if let Some(p) = prev {
                c.line(p, (px, py), [200, 40, 40]);
            }
            prev = Some((px, py));
        }
    }
    c.save(path)
}

/// Draws rows of equally sized CHW f32 images in [0, 1] side by side,
/// magnified `zoom` times, with a 2-pixel gap.
pub fn image_grid(rows: &[Vec<(Vec<f32>, [usize; 3])>], zoom: usize, path: &Path) -> Result<()> {
    let gap = 2;
    let cell = rows
        .iter()
        .flatten()
        .map(|(_, [_, h, w])| (*h, *w))
        .fold((1, 1), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    let cols = rows.iter().map(Vec::len).max().unwrap_or(1);
    let (cw, ch) = (cell.1 * zoom + gap, cell.0 * zoom + gap);
    let mut c = Canvas::new(cols * cw + gap, rows.len() * ch + gap, [255, 255, 255]);
    for (r, row) in rows.iter().enumerate() {
        for (k, (img, [chans, h, w])) in row.iter().enumerate() {
            for y in 0..h * zoom {
                for x in 0..w * zoom {
                    let at = |ch: usize| {
                        let v = img[(ch.min(chans - 1) * h + y / zoom) * w + x / zoom];
                        (v.clamp(0.0, 1.0) * 255.0).round() as u8
                    };
                    c.set(
                        (gap + k * cw + x) as i64,
                        (gap + r * ch + y) as i64,
                        [at(0), at(1), at(2)],
                    );
                }
            }
        }
    }
    c.save(path)
}
