//! Activation range observers, choosable per layer.
//!
//! * [`MinMax`]: running min/max over everything seen.
//! * [`MovingAverage`]: exponential moving average of per-batch min/max (QAT default,
//!   averaging constant 0.01), as torch's `MovingAverageMinMaxObserver`.
//! * [`Histogram`]: torch's `HistogramObserver` (2048 bins, L2-optimal range search; the PTQ
//!   default).
//! * [`Percentile`]: the `(100 - p, p)` percentiles of the same histogram.

mod histogram;
mod minmax;

use serde::{Deserialize, Serialize};

pub use histogram::{Histogram, Percentile};
pub use minmax::{MinMax, MovingAverage};

use crate::error::{Error, Result};
use crate::qparams::{ACT_QMAX, ACT_QMIN, EPS, affine};

/// Which observer to use, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObserverKind {
    /// Running min / max.
    MinMax,
    /// Moving-average min / max with `averaging_constant` in `(0, 1]`.
    MovingAverage { averaging_constant: f32 },
    /// L2-optimal range from a histogram of `bins` bins.
    Histogram { bins: usize },
    /// Percentile range: `percentile` in `(50, 100]`, from a histogram of `bins` bins.
    Percentile { percentile: f64, bins: usize },
}

impl ObserverKind {
    /// The PTQ default: `HistogramObserver` with 2048 bins.
    pub const PTQ_DEFAULT: ObserverKind = ObserverKind::Histogram { bins: 2048 };
    /// The QAT default: moving-average min/max, averaging constant 0.01.
    pub const QAT_DEFAULT: ObserverKind = ObserverKind::MovingAverage { averaging_constant: 0.01 };

    /// Check the parameters.
    pub fn check(&self) -> Result<()> {
        match *self {
            ObserverKind::MinMax => Ok(()),
            ObserverKind::MovingAverage { averaging_constant: c } if c > 0.0 && c <= 1.0 => Ok(()),
            ObserverKind::MovingAverage { averaging_constant: c } => {
                Err(Error::config("observer.averaging_constant", format!("{c} is not in (0, 1]")))
            }
            ObserverKind::Histogram { bins } | ObserverKind::Percentile { bins, .. }
                if !(2..=1 << 20).contains(&bins) =>
            {
                Err(Error::config("observer.bins", format!("{bins} is not in [2, 2^20]")))
            }
            ObserverKind::Percentile { percentile: p, .. } if !(p > 50.0 && p <= 100.0) => {
                Err(Error::config("observer.percentile", format!("{p} is not in (50, 100]")))
            }
            _ => Ok(()),
        }
    }

    /// A fresh observer of this kind.
    pub fn build(&self) -> Result<Box<dyn Observer>> {
        self.check()?;
        Ok(match *self {
            ObserverKind::MinMax => Box::new(MinMax::default()),
            ObserverKind::MovingAverage { averaging_constant } => {
                Box::new(MovingAverage::new(averaging_constant))
            }
            ObserverKind::Histogram { bins } => Box::new(Histogram::new(bins, 256)),
            ObserverKind::Percentile { percentile, bins } => {
                Box::new(Percentile::new(bins, percentile))
            }
        })
    }
}

/// Watches the values of one tensor and proposes a quantization range.
pub trait Observer: Send + std::fmt::Debug {
    /// Record a batch of values (non-finite values are ignored).
    fn observe(&mut self, x: &[f32]);
    /// The chosen `[min, max]`, or `None` before anything finite was seen.
    fn range(&self) -> Option<(f32, f32)>;
    /// Int8 per-tensor affine `(scale, zero_point)` for the chosen range.
    fn qparams(&self) -> Option<(f32, i32)> {
        self.range().map(|(lo, hi)| affine(lo, hi, ACT_QMIN, ACT_QMAX, EPS))
    }
}

/// `(min, max)` over the finite values of `x`.
pub(crate) fn finite_min_max(x: &[f32]) -> Option<(f32, f32)> {
    // Per-lane running extremes with selects instead of branches, so the loop vectorises.
    const LANES: usize = 16;
    let mut lo = [f32::INFINITY; LANES];
    let mut hi = [f32::NEG_INFINITY; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for j in 0..LANES {
            let v = c[j];
            let ok = v.is_finite();
            lo[j] = if ok && v < lo[j] { v } else { lo[j] };
            hi[j] = if ok && v > hi[j] { v } else { hi[j] };
        }
    }
    let (mut l, mut h) = (f32::INFINITY, f32::NEG_INFINITY);
    for &v in lo.iter().chain(chunks.remainder()) {
        if v.is_finite() && v < l {
            l = v;
        }
    }
    for &v in hi.iter().chain(chunks.remainder()) {
        if v.is_finite() && v > h {
            h = v;
        }
    }
    (l <= h).then_some((l, h))
}
