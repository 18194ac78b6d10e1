//! Calibration: run the fp32 model over training samples with observers attached.

use std::collections::BTreeMap;
use std::time::Instant;

use candle_core::Device;
use vgforge_graph::Graph;
use vgforge_train::data::make_batch;
use vgforge_train::{ImageSet, Model};

use crate::config::QuantConfig;
use crate::convert::ActParams;
use crate::error::{Error, Result};
use crate::hooks::{CalibHooks, Observation, SendHooks};
use crate::scheme::QSources;

/// What calibration measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// `(scale, zero_point)` of every observed tensor.
    pub params: ActParams,
    /// Per-channel means of every observed tensor (for bias correction).
    pub means: BTreeMap<String, Vec<f32>>,
    /// Per-channel maxima of every observed tensor (for cross-layer equalization).
    pub max: BTreeMap<String, Vec<f32>>,
    /// Wall time of the forward passes and observers.
    pub secs: f64,
}

/// Observe the first `cfg.calib` images of `set` and return every observed tensor's
/// `(scale, zero_point)`, plus the seconds it took.
pub fn calibrate(fp32: &Graph, set: &ImageSet, cfg: &QuantConfig) -> Result<(ActParams, f64)> {
    let c = calibrate_stats(fp32, set, cfg)?;
    Ok((c.params, c.secs))
}

/// [`calibrate`], keeping the per-channel means too.
pub fn calibrate_stats(fp32: &Graph, set: &ImageSet, cfg: &QuantConfig) -> Result<Calibration> {
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
    let watched = hooks.observers.keys().cloned().collect();
    // The forward pass runs here while a second thread feeds the observers, in order.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Observation>(16);
    let forward = std::thread::scope(|s| {
        let worker = s.spawn(move || {
            for (node, v, dims) in rx {
                hooks.observe(&node, &v, &dims);
            }
            hooks
        });
        let mut send = SendHooks { tx, watched };
        let mut run = || -> Result<()> {
            for chunk in idx.chunks(cfg.calib_batch) {
                let batch = make_batch(set, chunk, fp32.task, &Device::Cpu)?;
                model.forward_with(&batch.input, false, &mut send)?;
            }
            Ok(())
        };
        let r = run();
        drop(send);
        worker
            .join()
            .map_err(|_| Error::Data("the calibration observer thread panicked".into()))
            .and_then(|h| r.map(|()| h))
    });
    let hooks = forward?;
    let params = hooks.params();
    let secs = t0.elapsed().as_secs_f64();
    tracing::info!(samples = n, tensors = params.len(), secs, "calibrated");
    for t in sources.observed() {
        if !params.contains_key(&t) {
            return Err(Error::Unobserved { tensor: t });
        }
    }
    Ok(Calibration { params, means: hooks.channel_means(), max: hooks.channel_max(), secs })
}

/// Samples of the short pass that measures channel maxima for [`crate::equalize`].
const EQUALIZE_SAMPLES: usize = 128;

/// Cross-layer equalization of `fp32`, from the channel maxima of a short min/max pass over
/// the first calibration samples: the equalized graph and the pairs applied.
pub fn equalize(
    fp32: &Graph,
    set: &ImageSet,
    cfg: &QuantConfig,
) -> Result<(Graph, Vec<crate::equalize::Equalized>)> {
    let pre = QuantConfig {
        calib: cfg.calib.min(EQUALIZE_SAMPLES),
        observer: Some(crate::ObserverKind::MinMax),
        per_layer: BTreeMap::new(),
        ..cfg.clone()
    };
    let stats = calibrate_stats(fp32, set, &pre)?;
    let pairs = crate::equalize::plan(fp32, &stats.max);
    let g = crate::equalize::apply(fp32, &pairs)?;
    for p in &pairs {
        let lo = p.scales.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = p.scales.iter().copied().fold(0f32, f32::max);
        tracing::info!(producer = %p.producer, consumer = %p.consumer, lo, hi, "equalized");
    }
    Ok((g, pairs))
}
