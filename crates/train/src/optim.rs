//! Optimizers written out by hand: Candle's SGD has no momentum, and both
//! must save and restore their state for bit-identical resume.

use std::collections::{BTreeMap, HashMap};

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which optimizer and its hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// PyTorch `torch.optim.AdamW` (decoupled weight decay, bias correction).
    AdamW { lr: f64, beta1: f64, beta2: f64, eps: f64, weight_decay: f64 },
    /// PyTorch `torch.optim.SGD` with momentum (dampening 0), L2 weight decay
    /// added to the gradient, optional Nesterov.
    Sgd { lr: f64, momentum: f64, weight_decay: f64, nesterov: bool },
}

impl OptimizerConfig {
    /// PyTorch's AdamW defaults with lr 1e-3, as the learning path uses.
    pub fn adamw() -> Self {
        OptimizerConfig::AdamW { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 }
    }

    pub fn lr(&self) -> f64 {
        match self {
            OptimizerConfig::AdamW { lr, .. } | OptimizerConfig::Sgd { lr, .. } => *lr,
        }
    }

    pub fn with_lr(mut self, new: f64) -> Self {
        match &mut self {
            OptimizerConfig::AdamW { lr, .. } | OptimizerConfig::Sgd { lr, .. } => *lr = new,
        }
        self
    }

    pub fn check(&self) -> Result<()> {
        let bad = |field, msg: String| Err(Error::Config { field, msg });
        match *self {
            OptimizerConfig::AdamW { lr, beta1, beta2, eps, weight_decay } => {
                if !(lr > 0.0 && lr.is_finite()) {
                    return bad("optimizer.lr", format!("{lr} must be a positive number"));
                }
                if !(0.0..1.0).contains(&beta1) || !(0.0..1.0).contains(&beta2) {
                    return bad(
                        "optimizer.beta",
                        format!("betas {beta1}, {beta2} must lie in [0, 1)"),
                    );
                }
                if eps.is_nan() || eps <= 0.0 || weight_decay.is_nan() || weight_decay < 0.0 {
                    return bad(
                        "optimizer.eps",
                        format!("eps {eps} must be > 0 and weight decay {weight_decay} >= 0"),
                    );
                }
            }
            OptimizerConfig::Sgd { lr, momentum, weight_decay, nesterov } => {
                if !(lr > 0.0 && lr.is_finite()) {
                    return bad("optimizer.lr", format!("{lr} must be a positive number"));
                }
                if !(0.0..1.0).contains(&momentum) || weight_decay.is_nan() || weight_decay < 0.0 {
                    return bad(
                        "optimizer.momentum",
                        format!("momentum {momentum} must lie in [0, 1), weight decay >= 0"),
                    );
                }
                if nesterov && momentum == 0.0 {
                    return bad("optimizer.nesterov", "nesterov needs momentum > 0".into());
                }
            }
        }
        Ok(())
    }
}

/// An optimizer over named variables, with state that can be saved.
pub struct Optimizer {
    cfg: OptimizerConfig,
    vars: Vec<(String, Var)>,
    /// AdamW: first and second moments; SGD: momentum buffer (in `m`).
    m: HashMap<String, Tensor>,
    v: HashMap<String, Tensor>,
    step: u64,
}

impl Optimizer {
    pub fn new(cfg: OptimizerConfig, vars: Vec<(String, Var)>) -> Result<Optimizer> {
        cfg.check()?;
        Ok(Optimizer { cfg, vars, m: HashMap::new(), v: HashMap::new(), step: 0 })
    }

    pub fn config(&self) -> &OptimizerConfig {
        &self.cfg
    }

    pub fn set_lr(&mut self, lr: f64) {
        self.cfg = self.cfg.clone().with_lr(lr);
    }

    /// Number of updates applied so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Applies one update from `grads`; variables without a gradient are left
    /// alone (and keep their state), as in PyTorch.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        for (name, var) in &self.vars {
            let Some(g) = grads.get(var.as_tensor()) else { continue };
            // A leaf gradient can still carry the backward graph (BN's dγ is
            // built from tracked activations); storing it in the moments
            // would chain every step's graph to the next and leak memory.
            let g = &g.detach();
            let p = var.as_tensor().detach();
            match self.cfg {
                OptimizerConfig::AdamW { lr, beta1, beta2, eps, weight_decay } => {
                    let m = match self.m.get(name) {
                        Some(m) => ((m * beta1)? + (g * (1.0 - beta1))?)?,
                        None => (g * (1.0 - beta1))?,
                    };
                    let v = match self.v.get(name) {
                        Some(v) => ((v * beta2)? + (g.sqr()? * (1.0 - beta2))?)?,
                        None => (g.sqr()? * (1.0 - beta2))?,
                    };
                    let m_hat = (&m / (1.0 - beta1.powi(t)))?;
                    let v_hat = (&v / (1.0 - beta2.powi(t)))?;
                    let decayed = (&p * (1.0 - lr * weight_decay))?;
                    let update = ((m_hat / (v_hat.sqrt()? + eps)?)? * lr)?;
                    var.set(&(decayed - update)?)?;
                    self.m.insert(name.clone(), m);
                    self.v.insert(name.clone(), v);
                }
                OptimizerConfig::Sgd { lr, momentum, weight_decay, nesterov } => {
                    let g =
                        if weight_decay > 0.0 { (g + (&p * weight_decay)?)? } else { g.clone() };
                    let d = if momentum > 0.0 {
                        let buf = match self.m.get(name) {
                            Some(b) => ((b * momentum)? + &g)?,
                            None => g.clone(),
                        };
                        let d = if nesterov { (&g + (&buf * momentum)?)? } else { buf.clone() };
                        self.m.insert(name.clone(), buf);
                        d
                    } else {
                        g
                    };
                    var.set(&(p - (d * lr)?)?)?;
                }
            }
        }
        Ok(())
    }

    /// State tensors by key (`m.<name>`, `v.<name>`) for a checkpoint.
    pub fn state(&self) -> BTreeMap<String, Tensor> {
        let mut s = BTreeMap::new();
        for (k, t) in &self.m {
            s.insert(format!("m.{k}"), t.clone());
        }
        for (k, t) in &self.v {
            s.insert(format!("v.{k}"), t.clone());
        }
        s
    }

    /// Restores what [`Optimizer::state`] saved, and the step count.
    pub fn load_state(&mut self, state: &HashMap<String, Tensor>, step: u64) -> Result<()> {
        self.m.clear();
        self.v.clear();
        for (name, var) in &self.vars {
            for (prefix, map) in [("m.", &mut self.m), ("v.", &mut self.v)] {
                if let Some(t) = state.get(&format!("{prefix}{name}")) {
                    if t.dims() != var.dims() {
                        return Err(Error::Config {
                            field: "optimizer state",
                            msg: format!(
                                "'{prefix}{name}' has shape {:?}, expected {:?}",
                                t.dims(),
                                var.dims()
                            ),
                        });
                    }
                    map.insert(name.clone(), t.to_dtype(var.dtype())?);
                }
            }
        }
        self.step = step;
        Ok(())
    }
}
