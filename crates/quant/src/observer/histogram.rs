//! torch's `HistogramObserver`, step for step, and a percentile observer on the same histogram.
//!
//! Arithmetic follows PyTorch's dtypes: histogram and tensor math in f32, the scalars that
//! torch pulls out with `.item()` in f64. That keeps the chosen bins (and so the scales) equal
//! to ExecuTorch's for the same data.

use super::{Observer, finite_min_max};

/// Histogram over `[min, max]` that widens as data arrives, plus torch's L2 range search.
#[derive(Debug, Clone)]
pub struct Histogram {
    bins: usize,
    /// Number of quantization levels the search optimises for (256 for int8).
    dst_nbins: usize,
    hist: Vec<f32>,
    min: f32,
    max: f32,
    seen: bool,
}

/// torch's `upsample_rate`: each old bin is split in 16 when re-binned into a wider range.
const UPSAMPLE: usize = 16;

/// `torch.linspace(start, end, steps)[i]` (computed from both ends, as torch does).
fn linspace_at(start: f32, end: f32, steps: usize, i: usize) -> f32 {
    if steps == 1 {
        return start;
    }
    let step = (end - start) / (steps - 1) as f32;
    if i < steps / 2 { start + step * i as f32 } else { end - step * (steps - 1 - i) as f32 }
}

/// `torch.histc(x, bins, lo, hi)`: equal-width bins, values outside ignored, `hi` in the last
/// bin; a zero-width range is widened by 1 on both sides.
fn histc(x: &[f32], bins: usize, lo: f32, hi: f32, out: &mut [f32]) {
    let (lo, hi) = if lo == hi { (lo - 1.0, hi + 1.0) } else { (lo, hi) };
    let nb = bins as f32;
    let width = hi - lo;
    // Bin indices first, in blocks the compiler can vectorise (`bins` marks a value
    // outside the range), then counting into LANES interleaved integer histograms: a
    // ReLU output is half zeros, and one f32 counter would serialise every increment
    // on the same bin. Integer counts summed into f32 stay exact below 2^24.
    const BLOCK: usize = 256;
    const LANES: usize = 4;
    let stride = bins + 1;
    let mut counts = vec![0u32; LANES * stride];
    let mut idx = [0u32; BLOCK];
    for block in x.chunks(BLOCK) {
        for (i, &v) in idx.iter_mut().zip(block) {
            let inside = v >= lo && v <= hi;
            let pos = (((v - lo) * nb / width) as u32).min(bins as u32 - 1);
            *i = if inside { pos } else { bins as u32 };
        }
        let idx = &idx[..block.len()];
        let mut quads = idx.chunks_exact(LANES);
        for q in &mut quads {
            for (lane, &i) in q.iter().enumerate() {
                counts[lane * stride + i as usize] += 1;
            }
        }
        for &i in quads.remainder() {
            counts[i as usize] += 1;
        }
    }
    for (b, o) in out.iter_mut().enumerate().take(bins) {
        let n: u32 = (0..LANES).map(|lane| counts[lane * stride + b]).sum();
        if n > 0 {
            *o += n as f32;
        }
    }
}

impl Histogram {
    /// `bins` histogram bins, optimising for `dst_nbins` quantization levels (both at least 2).
    pub fn new(bins: usize, dst_nbins: usize) -> Self {
        let (bins, dst_nbins) = (bins.max(2), dst_nbins.max(2));
        Histogram {
            bins,
            dst_nbins,
            hist: vec![0.0; bins],
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            seen: false,
        }
    }

    /// The counts and the `[min, max]` they cover.
    pub fn histogram(&self) -> (&[f32], f32, f32) {
        (&self.hist, self.min, self.max)
    }

    /// `_upscale_histogram`: spread the old counts (each bin split in 16 equal parts at their
    /// mid-points) over the bins of the wider range `[lo, hi]`.
    fn rebin(&self, lo: f32, hi: f32) -> Vec<f32> {
        let fine = self.bins * UPSAMPLE;
        let bin_size = (self.max - self.min) / fine as f32;
        let mut out = vec![0f64; self.bins];
        let bounds: Vec<f32> =
            (0..=self.bins).map(|i| linspace_at(lo, hi, self.bins + 1, i)).collect();
        for j in 0..fine {
            let w = self.hist[j / UPSAMPLE] / UPSAMPLE as f32;
            if w == 0.0 {
                continue;
            }
            let mid = linspace_at(self.min, self.max, fine + 1, j) + 0.5 * bin_size;
            // bucketize(right=True) - 1: the last boundary <= mid.
            let idx = bounds.partition_point(|&b| b <= mid) as isize - 1;
            let idx = idx.clamp(0, self.bins as isize - 1) as usize;
            out[idx] += f64::from(w);
        }
        out.into_iter().map(|v| v as f32).collect()
    }

    /// `_compute_quantization_error`: L2 error of quantizing the histogram to `dst_nbins`
    /// levels spanning bins `start..=end`.
    fn quant_error(&self, start: usize, end: usize) -> f64 {
        let bin_width = (f64::from(self.max) - f64::from(self.min)) / self.bins as f64;
        let dst_w = bin_width * (end - start + 1) as f64 / self.dst_nbins as f64;
        if dst_w == 0.0 {
            return 0.0;
        }
        let (bw, dw) = (bin_width as f32, dst_w as f32);
        let last = (self.dst_nbins - 1) as f32;
        let norm = |b: f32, e: f32, density: f32| density * (e * e * e - b * b * b) / 3.0;
        let full = |density: f32| norm(-dw / 2.0, dw / 2.0, density);
        let mut total = 0f64;
        for (i, &h) in self.hist.iter().enumerate() {
            if h == 0.0 {
                continue;
            }
            let begin = (i as f32 - start as f32) * bw;
            let end_ = begin + bw;
            let db = (begin / dw).floor().clamp(0.0, last);
            let de = (end_ / dw).floor().clamp(0.0, last);
            let density = h / bw;
            let mut n = norm(begin - (db + 0.5) * dw, dw / 2.0, density);
            n += (de - db - 1.0) * full(density);
            n += norm(-dw / 2.0, end_ - (de * dw + dw / 2.0), density);
            total += f64::from(n);
        }
        total
    }

    /// `_non_linear_param_search`: shrink the range from whichever side holds less mass, in
    /// quantile steps of 1e-5, while the quantization error keeps decreasing.
    pub fn search(&self) -> Option<(f32, f32)> {
        if !self.seen {
            return None;
        }
        let bins = self.bins;
        let bin_width = (self.max - self.min) / bins as f32;
        let total: f64 = self.hist.iter().map(|&v| f64::from(v)).sum();
        let mut csum = Vec::with_capacity(bins);
        let mut acc = 0f32;
        for &h in &self.hist {
            acc += h;
            csum.push(acc);
        }
        let step = 1e-5f64;
        let (mut alpha, mut beta) = (0f64, 1f64);
        let (mut start, mut end) = (0usize, bins - 1);
        let mut norm_min = f64::INFINITY;
        while alpha < beta {
            let next_alpha = alpha + step;
            let next_beta = beta - step;
            let (lo_q, hi_q) = ((next_alpha * total) as f32, (next_beta * total) as f32);
            let mut l = start;
            let mut r = end;
            while l < end && csum[l] < lo_q {
                l += 1;
            }
            while r > start && csum[r] > hi_q {
                r -= 1;
            }
            let (mut ns, mut ne) = (start, end);
            if l - start > end - r {
                ns = l;
                alpha = next_alpha;
            } else {
                ne = r;
                beta = next_beta;
            }
            if ns == start && ne == end {
                continue;
            }
            let norm = self.quant_error(ns, ne);
            if norm > norm_min {
                break;
            }
            norm_min = norm;
            start = ns;
            end = ne;
        }
        Some((self.min + bin_width * start as f32, self.min + bin_width * (end + 1) as f32))
    }
}

impl Observer for Histogram {
    fn observe(&mut self, x: &[f32]) {
        // torch drops infinities and ignores the batch when nothing finite is left.
        let Some((lo, hi)) = finite_min_max(x) else { return };
        if !self.seen {
            self.min = lo;
            self.max = hi;
            self.seen = true;
            histc(x, self.bins, lo, hi, &mut self.hist);
            return;
        }
        let new_min = self.min.min(lo);
        let new_max = self.max.max(hi);
        let mut update = vec![0f32; self.bins];
        histc(x, self.bins, new_min, new_max, &mut update);
        if new_min == self.min && new_max == self.max {
            for (h, u) in self.hist.iter_mut().zip(&update) {
                *h += u;
            }
            return;
        }
        let old = if self.min == self.max {
            // torch weights the single old point by the *update*'s total here; kept for parity.
            let weight: f32 = update.iter().sum();
            let mut t = vec![0f32; self.bins];
            histc(&[self.min], self.bins, new_min, new_max, &mut t);
            t.iter_mut().for_each(|v| *v *= weight);
            t
        } else {
            self.rebin(new_min, new_max)
        };
        for ((h, u), o) in self.hist.iter_mut().zip(&update).zip(&old) {
            *h = u + o;
        }
        self.min = new_min;
        self.max = new_max;
    }

    fn range(&self) -> Option<(f32, f32)> {
        self.search()
    }
}

/// The `(100 - p)`-th and `p`-th percentiles, read off a [`Histogram`] with linear
/// interpolation inside the bin.
#[derive(Debug, Clone)]
pub struct Percentile {
    hist: Histogram,
    percentile: f64,
}

impl Percentile {
    /// Percentile observer with `bins` bins.
    pub fn new(bins: usize, percentile: f64) -> Self {
        Percentile { hist: Histogram::new(bins, 256), percentile: percentile.clamp(50.0, 100.0) }
    }

    fn quantile(&self, q: f64) -> f32 {
        let (h, lo, hi) = self.hist.histogram();
        let total: f64 = h.iter().map(|&v| f64::from(v)).sum();
        let target = q * total;
        let width = f64::from(hi - lo) / h.len() as f64;
        let mut acc = 0f64;
        for (i, &c) in h.iter().enumerate() {
            let c = f64::from(c);
            if c > 0.0 && acc + c >= target {
                let frac = ((target - acc) / c).clamp(0.0, 1.0);
                return (f64::from(lo) + width * (i as f64 + frac)) as f32;
            }
            acc += c;
        }
        hi
    }
}

impl Observer for Percentile {
    fn observe(&mut self, x: &[f32]) {
        self.hist.observe(x);
    }

    fn range(&self) -> Option<(f32, f32)> {
        if !self.hist.seen {
            return None;
        }
        let p = self.percentile / 100.0;
        Some((self.quantile(1.0 - p), self.quantile(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histc_matches_torch_edges() {
        let mut h = vec![0f32; 4];
        histc(&[0.0, 0.25, 0.5, 0.99, 1.0, 2.0, -1.0], 4, 0.0, 1.0, &mut h);
        assert_eq!(h, vec![1.0, 1.0, 1.0, 2.0]);
        let mut h = vec![0f32; 4];
        histc(&[3.0, 3.0], 4, 3.0, 3.0, &mut h);
        assert_eq!(h, vec![0.0, 0.0, 2.0, 0.0]);
    }

    #[test]
    fn uniform_data_loses_one_bin() {
        // Uniform data: torch's search always takes its first move (the error is compared
        // with infinity), which drops the top bin; every later move only adds error.
        let x: Vec<f32> = (0..4096).map(|i| i as f32 / 4095.0).collect();
        let mut o = Histogram::new(2048, 256);
        o.observe(&x);
        let (lo, hi) = o.range().unwrap();
        assert_eq!(lo, 0.0);
        assert_eq!(hi, 2047.0 / 2048.0);
    }

    #[test]
    fn lone_outlier_is_kept() {
        // One value at 100 over 10000 in [0, 1]: clipping it costs ~99^2, more than the
        // coarser steps cost the bulk (10000 * (100/255)^2 / 12 ~ 128), so L2 keeps it.
        let mut x: Vec<f32> = (0..10000).map(|i| (i % 1000) as f32 / 999.0).collect();
        x.push(100.0);
        let mut o = Histogram::new(2048, 256);
        o.observe(&x);
        let (_, hi) = o.range().unwrap();
        assert!(hi > 99.0, "{hi}");
    }

    #[test]
    fn long_tail_is_clipped() {
        // Exponential quantiles up to ln(200000) ~ 12.2: the sparse top of the tail costs
        // less to clip than the resolution it wastes.
        let x: Vec<f32> =
            (0..100_000).map(|i| -(1.0 - (i as f64 + 0.5) / 100_000.0).ln() as f32).collect();
        let mut o = Histogram::new(2048, 256);
        o.observe(&x);
        let (lo, hi) = o.range().unwrap();
        assert!(lo < 1e-3, "{lo}");
        let max = x.iter().copied().fold(0.0, f32::max);
        assert!(hi > 5.0 && hi < max - 1.0, "{hi} of {max}");
    }

    #[test]
    fn widening_rebins_and_conserves_mass() {
        let mut o = Histogram::new(8, 256);
        o.observe(&[0.0, 0.5, 1.0]);
        o.observe(&[-1.0, 3.0]);
        let (h, lo, hi) = o.histogram();
        assert_eq!((lo, hi), (-1.0, 3.0));
        assert_eq!(h.iter().sum::<f32>(), 5.0);
        // Old bin [0, 0.125) spread into new bin 2 ([0, 0.5)), old value 1.0 sits in [0.875, 1].
        assert_eq!(h[0], 1.0);
        assert_eq!(h[7], 1.0);
        assert!(h[2] >= 1.0 && h[3] >= 1.0);
    }

    #[test]
    fn hand_computed_quant_error() {
        // 4 bins of width 1 over [0, 4], one count each, quantized to 2 levels over all bins:
        // each level is 2 wide, every source bin lies in one half of a level, so the error is
        // 4 * integral over one bin of x^2 at offsets [-1, 0] or [0, 1] = 4 * 1/3.
        let mut o = Histogram::new(4, 2);
        o.observe(&[0.5, 1.5, 2.5, 3.5, 0.0, 4.0]);
        o.hist = vec![1.0; 4];
        let e = o.quant_error(0, 3);
        assert!((e - 4.0 / 3.0).abs() < 1e-6, "{e}");
        // Two levels of width 1 over bins 1..=2: the inner bins each cost 2 * 0.5^3 / 3. An
        // outer bin clamps to the edge level: torch's formula adds [-1.5, 0.5] (or
        // [-0.5, 1.5]) and, as begin and end fall in the same clamped level, subtracts one
        // full level: (1.5^3 + 0.5^3) / 3 - 2 * 0.5^3 / 3.
        let e2 = o.quant_error(1, 2);
        let inner = 2.0 * (2.0 * 0.5f64.powi(3) / 3.0);
        let outer = 2.0 * ((1.5f64.powi(3) + 0.5f64.powi(3)) / 3.0 - 2.0 * 0.5f64.powi(3) / 3.0);
        assert!((e2 - (inner + outer)).abs() < 1e-5, "{e2} vs {}", inner + outer);
    }

    #[test]
    fn percentile_range() {
        let x: Vec<f32> = (0..=1000).map(|i| i as f32 / 1000.0).collect();
        let mut o = Percentile::new(1000, 99.0);
        o.observe(&x);
        let (lo, hi) = o.range().unwrap();
        assert!((lo - 0.01).abs() < 2e-3, "{lo}");
        assert!((hi - 0.99).abs() < 2e-3, "{hi}");
    }
}
