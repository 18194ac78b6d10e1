//! What to quantize how.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::observer::ObserverKind;

/// Post-training quantization or quantization-aware training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Calibrate observers on `calib` training samples, then convert.
    Ptq,
    /// Fine-tune with fake quantization, then convert.
    Qat,
}

/// QAT schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QatConfig {
    /// Fine-tuning epochs over the training split.
    pub epochs: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// Batch size.
    pub batch_size: usize,
    /// Fraction of the total steps after which observers stop updating (then the parameters
    /// stay fixed until conversion).
    pub freeze_observers_at: f64,
    /// Cap on optimizer steps per epoch (`None`: the whole split).
    pub max_steps_per_epoch: Option<usize>,
    /// Shuffle seed.
    pub seed: u64,
}

impl Default for QatConfig {
    fn default() -> Self {
        QatConfig {
            epochs: 1,
            lr: 1e-4,
            batch_size: 64,
            freeze_observers_at: 0.8,
            max_steps_per_epoch: None,
            seed: 0,
        }
    }
}

/// Configuration of [`crate::quantize`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    pub method: Method,
    /// Activation observer for every layer without an override; `None` picks the method's
    /// default (histogram for PTQ, moving-average min/max for QAT).
    pub observer: Option<ObserverKind>,
    /// Per-tensor (layer output) observer overrides.
    pub per_layer: BTreeMap<String, ObserverKind>,
    /// Calibration samples (PTQ), taken in order from the training split.
    pub calib: usize,
    /// Forward batch size during calibration (observers still see one sample at a time).
    pub calib_batch: usize,
    /// PTQ: shift each bias by the mean error its int8 weights cause (see
    /// [`crate::biascorr`]). Off reproduces ExecuTorch's int8 model exactly.
    #[serde(default = "default_true")]
    pub bias_correction: bool,
    /// PTQ: cross-layer equalization of convolution pairs before calibration (see
    /// [`crate::equalize`]). Off reproduces ExecuTorch's int8 model exactly.
    #[serde(default = "default_true")]
    pub equalize: bool,
    /// QAT schedule.
    pub qat: QatConfig,
}

fn default_true() -> bool {
    true
}

impl Default for QuantConfig {
    fn default() -> Self {
        QuantConfig {
            method: Method::Ptq,
            observer: None,
            per_layer: BTreeMap::new(),
            calib: 500,
            // Small batches keep im2col columns in cache (8: 200 ms, 50: 390 ms for 500 samples).
            calib_batch: 8,
            bias_correction: true,
            equalize: true,
            qat: QatConfig::default(),
        }
    }
}

impl QuantConfig {
    /// PTQ with the defaults.
    pub fn ptq() -> Self {
        QuantConfig::default()
    }

    /// QAT with the defaults.
    pub fn qat() -> Self {
        QuantConfig { method: Method::Qat, ..QuantConfig::default() }
    }

    /// The observer for `tensor`.
    pub fn observer_for(&self, tensor: &str) -> ObserverKind {
        self.per_layer.get(tensor).copied().or(self.observer).unwrap_or(match self.method {
            Method::Ptq => ObserverKind::PTQ_DEFAULT,
            Method::Qat => ObserverKind::QAT_DEFAULT,
        })
    }

    /// Check every field.
    pub fn check(&self) -> Result<()> {
        if let Some(o) = &self.observer {
            o.check()?;
        }
        for o in self.per_layer.values() {
            o.check()?;
        }
        if self.calib == 0 {
            return Err(Error::config("calib", "at least one calibration sample is needed"));
        }
        if self.calib_batch == 0 {
            return Err(Error::config("calib_batch", "must be at least 1"));
        }
        let q = &self.qat;
        if self.method == Method::Qat {
            if q.epochs == 0 {
                return Err(Error::config("qat.epochs", "must be at least 1"));
            }
            if !(q.lr.is_finite() && q.lr > 0.0) {
                return Err(Error::config("qat.lr", format!("{} is not a positive number", q.lr)));
            }
            if q.batch_size == 0 {
                return Err(Error::config("qat.batch_size", "must be at least 1"));
            }
            if !(0.0..=1.0).contains(&q.freeze_observers_at) {
                return Err(Error::config(
                    "qat.freeze_observers_at",
                    format!("{} is not in [0, 1]", q.freeze_observers_at),
                ));
            }
        }
        Ok(())
    }
}
