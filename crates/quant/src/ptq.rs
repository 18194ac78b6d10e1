//! Calibration: run the fp32 model over training samples with observers attached.

use std::time::Instant;

use candle_core::Device;
use vgforge_graph::Graph;
use vgforge_train::data::make_batch;
use vgforge_train::{ImageSet, Model};

use crate::config::QuantConfig;
use crate::convert::ActParams;
use crate::error::{Error, Result};
use crate::hooks::CalibHooks;
use crate::scheme::QSources;

/// Observe the first `cfg.calib` images of `set` and return every observed tensor's
/// `(scale, zero_point)`, plus the seconds it took.
pub fn calibrate(fp32: &Graph, set: &ImageSet, cfg: &QuantConfig) -> Result<(ActParams, f64)> {
    cfg.check()?;
    let sources = QSources::new(fp32)?;
    let model = Model::from_graph(fp32)?;
    let n = cfg.calib.min(set.len());
    if n == 0 {
        return Err(Error::Data("the calibration split holds no images".into()));
    }
    let mut hooks = CalibHooks::new(&sources, &|t| cfg.observer_for(t))?;
    let t0 = Instant::now();
    let idx: Vec<usize> = (0..n).collect();
    for chunk in idx.chunks(cfg.calib_batch) {
        let batch = make_batch(set, chunk, fp32.task, &Device::Cpu)?;
        model.forward_with(&batch.input, false, &mut hooks)?;
    }
    let params = hooks.params();
    let secs = t0.elapsed().as_secs_f64();
    tracing::info!(samples = n, tensors = params.len(), secs, "calibrated");
    for t in sources.observed() {
        if !params.contains_key(&t) {
            return Err(Error::Unobserved { tensor: t });
        }
    }
    Ok((params, secs))
}
