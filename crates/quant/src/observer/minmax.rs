//! Min/max and moving-average min/max observers.

use super::{Observer, finite_min_max};

/// Running min and max of everything observed.
#[derive(Debug, Clone, Default)]
pub struct MinMax {
    range: Option<(f32, f32)>,
}

impl Observer for MinMax {
    fn observe(&mut self, x: &[f32]) {
        if let Some((lo, hi)) = finite_min_max(x) {
            self.range = Some(match self.range {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
    }

    fn range(&self) -> Option<(f32, f32)> {
        self.range
    }
}

/// `min += c * (batch_min - min)`, likewise for max; the first batch sets both directly.
#[derive(Debug, Clone)]
pub struct MovingAverage {
    c: f32,
    range: Option<(f32, f32)>,
}

impl MovingAverage {
    /// Observer with averaging constant `c`.
    pub fn new(c: f32) -> Self {
        MovingAverage { c, range: None }
    }
}

impl Observer for MovingAverage {
    fn observe(&mut self, x: &[f32]) {
        if let Some((lo, hi)) = finite_min_max(x) {
            self.range = Some(match self.range {
                Some((a, b)) => (a + self.c * (lo - a), b + self.c * (hi - b)),
                None => (lo, hi),
            });
        }
    }

    fn range(&self) -> Option<(f32, f32)> {
        self.range
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minmax_accumulates_and_skips_non_finite() {
        let mut o = MinMax::default();
        assert_eq!(o.range(), None);
        o.observe(&[1.0, f32::NAN, 2.0]);
        o.observe(&[-3.0, f32::INFINITY]);
        assert_eq!(o.range(), Some((-3.0, 2.0)));
        assert_eq!(o.qparams(), Some((5.0 / 255.0, -128 + 153)));
    }

    #[test]
    fn moving_average() {
        let mut o = MovingAverage::new(0.5);
        o.observe(&[0.0, 4.0]);
        o.observe(&[-2.0, 2.0]);
        assert_eq!(o.range(), Some((-1.0, 3.0)));
        o.observe(&[]);
        assert_eq!(o.range(), Some((-1.0, 3.0)));
    }
}
