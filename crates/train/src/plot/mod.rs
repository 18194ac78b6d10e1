//! A tiny rasteriser for the report PNGs of every stage: a loss curve with labelled axes,
//! image strips, and the rectangles and text the quantization report's bar chart draws.
//! Pixels are RGB8.

mod font;

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

    /// Filled rectangle `[x0, x1) x [y0, y1)`, clipped to the canvas.
    pub fn rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for y in y0.min(self.h)..y1.min(self.h) {
            for x in x0.min(self.w)..x1.min(self.w) {
                self.px[y * self.w + x] = c;
            }
        }
    }

    /// Text at scale 2: each glyph 6x10 pixels plus 2 pixels of spacing.
    pub fn text(&mut self, x: usize, y: usize, s: &str, c: [u8; 3]) {
        for (k, ch) in s.chars().enumerate() {
            for (row, bits) in font::glyph(ch).iter().enumerate() {
                for col in 0..3 {
                    if bits & (4 >> col) != 0 {
                        let (px, py) = (x + k * 8 + col * 2, y + row * 2);
                        self.rect(px, py, px + 2, py + 2, c);
                    }
                }
            }
        }
    }

    /// Width in pixels of `s` drawn by [`Canvas::text`].
    pub fn text_width(s: &str) -> usize {
        s.chars().count() * 8
    }

    /// The image as PNG bytes.
    pub fn encode(&self) -> std::result::Result<Vec<u8>, String> {
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, self.w as u32, self.h as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(|e| e.to_string())?;
            let flat: Vec<u8> = self.px.iter().flatten().copied().collect();
            writer.write_image_data(&flat).map_err(|e| e.to_string())?;
        }
        Ok(bytes)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.encode().map_err(|msg| Error::Png { path: path.into(), msg })?;
        write_atomic(path, &bytes)
    }
}

/// A tick label: integers plainly, small or large values in short scientific form.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (0.01..10000.0).contains(&a) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.1e}").replace(".0e", "e")
    }
}

/// Line plot of `ys` against their index (the optimizer step), with labelled axes and
/// tick values; the y axis is log-scaled when the values span more than a decade.
pub fn loss_curve(ys: &[f32], path: &Path) -> Result<()> {
    let (w, h) = (720usize, 400usize);
    let (left, bottom, right, top) = (90i64, 50i64, 20i64, 36i64);
    let mut c = Canvas::new(w, h, [255, 255, 255]);
    let (x0, y0, x1, y1) = (left, h as i64 - bottom, w as i64 - right, top);
    let axis = [0, 0, 0];
    let ink = [40, 40, 40];
    c.line((x0, y0), (x1, y0), axis);
    c.line((x0, y0), (x0, y1), axis);
    let finite: Vec<f32> = ys.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    let n = ys.len().saturating_sub(1).max(1);
    let (lo, hi) = finite.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let log = finite.len() >= 2 && hi / lo > 10.0;
    let f = |v: f64| if log { v.ln() } else { v };
    let (flo, fhi) = if finite.len() >= 2 {
        (f(f64::from(lo)), f(f64::from(hi)).max(f(f64::from(lo)) + 1e-12))
    } else {
        (0.0, 1.0)
    };
    let unf = |t: f64| if log { t.exp() } else { t };
    for i in 0..=10 {
        let tx = x0 + (x1 - x0) * i / 10;
        c.line((tx, y0), (tx, y0 + 5), axis);
        let ty = y0 + (y1 - y0) * i / 10;
        c.line((x0 - 5, ty), (x0, ty), axis);
        if i % 2 == 0 {
            let step = tick((n as f64 * i as f64 / 10.0).round());
            let sx = (tx as usize).saturating_sub(Canvas::text_width(&step) / 2);
            c.text(sx, (y0 + 9) as usize, &step, ink);
            if finite.len() >= 2 {
                let v = tick(unf(flo + (fhi - flo) * i as f64 / 10.0));
                let vx = (x0 as usize - 8).saturating_sub(Canvas::text_width(&v));
                c.text(vx, (ty - 5).max(0) as usize, &v, ink);
            }
        }
    }
    let xl = "step";
    c.text(((x0 + x1) as usize - Canvas::text_width(xl)) / 2, (y0 + 28) as usize, xl, ink);
    let yl = if log { "training loss (mse, log scale)" } else { "training loss (mse)" };
    c.text(x0 as usize, 8, yl, ink);
    if finite.len() >= 2 {
        let mut prev: Option<(i64, i64)> = None;
        for (i, &v) in ys.iter().enumerate() {
            if !(v.is_finite() && v > 0.0) {
                prev = None;
                continue;
            }
            let px = x0 + ((x1 - x0) as f64 * i as f64 / n as f64).round() as i64;
            let py = y0 + ((y1 - y0) as f64 * (f(f64::from(v)) - flo) / (fhi - flo)).round() as i64;
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
