//! Checkpoints: a safetensors file (model constants as `model.<name>`,
//! optimizer state as `opt.m.<name>` / `opt.v.<name>`) and a JSON file with
//! the position in training, so a resumed run continues bit-identically.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::optim::{Optimizer, OptimizerConfig};
use crate::rng::Rng;
use crate::{Error, Result};

pub const TENSORS: &str = "checkpoint.safetensors";
pub const STATE: &str = "checkpoint.json";
const VERSION: u32 = 1;

/// Where training stands. The shuffle order of an epoch depends only on
/// `(seed, epoch)`; `rng` is that epoch's generator state after shuffling,
/// recorded so a resume can check it derives the same stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    pub version: u32,
    pub graph: String,
    pub seed: u64,
    pub epoch: u64,
    /// Batches of `epoch` already trained.
    pub batch_in_epoch: u64,
    /// Optimizer updates so far.
    pub step: u64,
    pub optimizer: OptimizerConfig,
    pub rng: Rng,
    pub loss_curve: Vec<f32>,
    pub wall_s: f64,
}

/// Writes `bytes` to `path` through a temporary file in the same folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, bytes).map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

pub fn save(dir: &Path, model: &Model, opt: &Optimizer, state: &TrainState) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (k, t) in model.state() {
        tensors.insert(format!("model.{k}"), t);
    }
    for (k, t) in opt.state() {
        tensors.insert(format!("opt.{k}"), t);
    }
    let path = dir.join(TENSORS);
    let tmp = tmp_path(&path);
    candle_core::safetensors::save(&tensors, &tmp)
        .map_err(|e| Error::Checkpoint { path: tmp.clone(), msg: e.to_string() })?;
    std::fs::rename(&tmp, &path).map_err(Error::io(&path))?;
    let json = serde_json::to_vec_pretty(state)
        .map_err(|source| Error::Json { path: dir.join(STATE), source })?;
    write_atomic(&dir.join(STATE), &json)
}

/// Loads a checkpoint into `model` and `opt` and returns the position.
pub fn load(dir: &Path, model: &Model, opt: &mut Optimizer) -> Result<TrainState> {
    let spath = dir.join(STATE);
    let text = std::fs::read(&spath).map_err(Error::io(&spath))?;
    let state: TrainState = serde_json::from_slice(&text)
        .map_err(|source| Error::Json { path: spath.clone(), source })?;
    if state.version != VERSION {
        return Err(Error::Checkpoint {
            path: spath,
            msg: format!("unknown version {} (this build reads {VERSION})", state.version),
        });
    }
    if state.graph != model.graph().name {
        return Err(Error::Checkpoint {
            path: spath,
            msg: format!("was written for model '{}', not '{}'", state.graph, model.graph().name),
        });
    }
    let tpath = dir.join(TENSORS);
    let all = candle_core::safetensors::load(&tpath, &Device::Cpu)
        .map_err(|e| Error::Checkpoint { path: tpath.clone(), msg: e.to_string() })?;
    let mut weights = HashMap::new();
    let mut opt_state = HashMap::new();
    for (k, t) in all {
        if let Some(n) = k.strip_prefix("model.") {
            weights.insert(n.to_string(), t);
        } else if let Some(n) = k.strip_prefix("opt.") {
            opt_state.insert(n.to_string(), t);
        } else {
            return Err(Error::Checkpoint { path: tpath, msg: format!("unexpected tensor '{k}'") });
        }
    }
    model
        .load_state(&weights)
        .map_err(|e| Error::Checkpoint { path: tpath.clone(), msg: e.to_string() })?;
    opt.load_state(&opt_state, state.step)
        .map_err(|e| Error::Checkpoint { path: tpath, msg: e.to_string() })?;
    Ok(state)
}
