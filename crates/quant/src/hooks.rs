//! Forward hooks: observers for calibration, fake quantization for QAT and for the q/dq
//! simulation of the per-layer report, and activation capture.

use std::collections::{BTreeMap, HashMap};

use candle_core::{Tensor, Var};
use vgforge_train::ForwardHooks;

use crate::fakequant::{fake_quant, fake_quant_weight};
use crate::observer::{Observer, ObserverKind};
use crate::qparams::{ACT_QMAX, ACT_QMIN, W_QMAX, W_QMIN};
use crate::scheme::QSources;

/// Feed each of the `n` samples in `v` to `obs` separately, so batched calibration gives
/// exactly the observer state of a batch-1 run (ExecuTorch calibrates 500 x 1).
fn observe_per_sample(obs: &mut dyn Observer, v: &[f32], n: usize) {
    let per = v.len() / n.max(1);
    if per == 0 {
        return;
    }
    for chunk in v.chunks(per) {
        obs.observe(chunk);
    }
}

/// A batch's values of one observed tensor, flattened, with its dims.
fn flatten(t: &Tensor) -> vgforge_train::Result<(Vec<f32>, Vec<usize>)> {
    let v = t.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?;
    Ok((v, t.dims().to_vec()))
}

/// Running per-channel sums and maxima of an `[N, C, ...]` tensor (channel = axis 1).
#[derive(Debug, Clone, Default)]
struct ChannelSums {
    sum: Vec<f64>,
    max: Vec<f32>,
    count: u64,
}

impl ChannelSums {
    fn add(&mut self, v: &[f32], dims: &[usize]) {
        let (n, c) = (dims.first().copied().unwrap_or(1), dims.get(1).copied().unwrap_or(1));
        let rest: usize = dims.iter().skip(2).product();
        if c == 0 || rest == 0 || v.len() != n * c * rest {
            return;
        }
        if self.sum.len() != c {
            if self.count > 0 {
                return;
            }
            self.sum = vec![0.0; c];
            self.max = vec![f32::NEG_INFINITY; c];
        }
        for (i, plane) in v.chunks_exact(rest).enumerate() {
            // Sum in f32 blocks (vectorised), then in f64 across planes.
            self.sum[i % c] += f64::from(plane.iter().sum::<f32>());
            let m = plane.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            self.max[i % c] = self.max[i % c].max(m);
        }
        self.count += (n * rest) as u64;
    }

    fn means(&self) -> Option<Vec<f32>> {
        (self.count > 0).then(|| self.sum.iter().map(|&s| (s / self.count as f64) as f32).collect())
    }
}

/// Observers on the observed tensors; values pass through unchanged.
#[derive(Debug)]
pub struct CalibHooks {
    pub observers: BTreeMap<String, Box<dyn Observer>>,
    /// Per-channel sums of every observed tensor, for bias correction.
    sums: BTreeMap<String, ChannelSums>,
}

impl CalibHooks {
    /// One observer per observed tensor of `sources`, of the kind `kind_of(tensor)` returns.
    pub fn new(
        sources: &QSources,
        kind_of: &dyn Fn(&str) -> ObserverKind,
    ) -> crate::Result<CalibHooks> {
        let mut observers = BTreeMap::new();
        for t in sources.observed() {
            let o = kind_of(&t).build()?;
            observers.insert(t, o);
        }
        Ok(CalibHooks { observers, sums: BTreeMap::new() })
    }

    /// `(scale, zp)` of every observer that saw data.
    pub fn params(&self) -> BTreeMap<String, (f32, i32)> {
        self.observers.iter().filter_map(|(k, o)| o.qparams().map(|q| (k.clone(), q))).collect()
    }

    /// Observe a flattened batch of `node` with dims `[N, ...]` (ignored when not observed).
    pub fn observe(&mut self, node: &str, v: &[f32], dims: &[usize]) {
        if let Some(o) = self.observers.get_mut(node) {
            observe_per_sample(o.as_mut(), v, dims.first().copied().unwrap_or(1));
            self.sums.entry(node.to_string()).or_default().add(v, dims);
        }
    }

    /// Mean of every channel (axis 1) of every observed tensor over all samples and positions.
    pub fn channel_means(&self) -> BTreeMap<String, Vec<f32>> {
        self.sums.iter().filter_map(|(k, s)| s.means().map(|m| (k.clone(), m))).collect()
    }

    /// Largest value of every channel (axis 1) of every observed tensor.
    pub fn channel_max(&self) -> BTreeMap<String, Vec<f32>> {
        self.sums
            .iter()
            .filter(|(_, s)| s.count > 0)
            .map(|(k, s)| (k.clone(), s.max.clone()))
            .collect()
    }

    /// Whether `node` has an observer.
    pub fn watches(&self, node: &str) -> bool {
        self.observers.contains_key(node)
    }
}

impl ForwardHooks for CalibHooks {
    fn activation(&mut self, node: &str, t: Tensor) -> vgforge_train::Result<Tensor> {
        if self.watches(node) {
            let (v, dims) = flatten(&t)?;
            self.observe(node, &v, &dims);
        }
        Ok(t)
    }
}

/// One observed tensor's batch (name, values, dims) on its way to the observer thread.
pub type Observation = (String, Vec<f32>, Vec<usize>);

/// Hands the observed activations to another thread (which owns the [`CalibHooks`]), so
/// observing one batch overlaps the forward pass of the next; the channel keeps the order.
#[derive(Debug)]
pub struct SendHooks {
    pub tx: std::sync::mpsc::SyncSender<Observation>,
    pub watched: std::collections::BTreeSet<String>,
}

impl ForwardHooks for SendHooks {
    fn activation(&mut self, node: &str, t: Tensor) -> vgforge_train::Result<Tensor> {
        if self.watched.contains(node) {
            let (v, dims) = flatten(&t)?;
            // A closed channel means the observer thread stopped; calibrate reports that.
            let _ = self.tx.send((node.to_string(), v, dims));
        }
        Ok(t)
    }
}

/// Fake quantization of activations (with observers that update until frozen) and per-channel
/// weights: the QAT forward pass, and with frozen parameters the q/dq simulation.
#[derive(Debug)]
pub struct FakeQuantHooks {
    sources: QSources,
    observers: BTreeMap<String, Box<dyn Observer>>,
    /// Fixed parameters (used when set, else the observer's current ones).
    fixed: BTreeMap<String, (f32, i32)>,
    /// Observers stop updating when true.
    pub frozen: bool,
    /// Fake-quantize weights per channel (off when the weights already are dequantized ints).
    pub quantize_weights: bool,
    /// Convolutions followed by batch norm: `(gamma, running_var, eps)` of the norm, for the
    /// simulated fold.
    bn: HashMap<String, (Var, Var, f64)>,
}

impl FakeQuantHooks {
    /// QAT hooks: one `kind` observer per observed tensor, updating until frozen.
    pub fn observing(
        sources: QSources,
        kind_of: &dyn Fn(&str) -> ObserverKind,
    ) -> crate::Result<Self> {
        let mut observers = BTreeMap::new();
        for t in sources.observed() {
            observers.insert(t.clone(), kind_of(&t).build()?);
        }
        Ok(FakeQuantHooks {
            sources,
            observers,
            fixed: BTreeMap::new(),
            frozen: false,
            quantize_weights: true,
            bn: HashMap::new(),
        })
    }

    /// Simulation hooks with fixed activation parameters.
    pub fn fixed(
        sources: QSources,
        params: BTreeMap<String, (f32, i32)>,
        quantize_weights: bool,
    ) -> Self {
        FakeQuantHooks {
            sources,
            observers: BTreeMap::new(),
            fixed: params,
            frozen: true,
            quantize_weights,
            bn: HashMap::new(),
        }
    }

    /// Simulate folding the batch norm after convolution `conv` (torchao's
    /// `_fuse_conv_bn_qat`): the weight is scaled by `gamma / sqrt(running_var + eps)`,
    /// fake-quantized per channel, and scaled back, so the norm that follows (with batch
    /// statistics in training) sees the quantization error of the folded weight.
    pub fn fold_bn(&mut self, conv: &str, gamma: Var, running_var: Var, eps: f64) {
        self.bn.insert(conv.to_string(), (gamma, running_var, eps));
    }

    /// Current `(scale, zp)` of every observed tensor.
    pub fn params(&self) -> BTreeMap<String, (f32, i32)> {
        let mut p: BTreeMap<String, (f32, i32)> = self
            .observers
            .iter()
            .filter_map(|(k, o)| o.qparams().map(|q| (k.clone(), q)))
            .collect();
        p.extend(self.fixed.iter().map(|(k, v)| (k.clone(), *v)));
        p
    }
}

impl ForwardHooks for FakeQuantHooks {
    fn activation(&mut self, node: &str, t: Tensor) -> vgforge_train::Result<Tensor> {
        if self.sources.is_fused(node) {
            return Ok(t);
        }
        let Some(src) = self.sources.source(node).map(str::to_string) else { return Ok(t) };
        if !self.frozen
            && src == node
            && let Some(o) = self.observers.get_mut(node)
        {
            let v = t.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?;
            o.observe(&v);
        }
        let q = self
            .fixed
            .get(&src)
            .copied()
            .or_else(|| self.observers.get(&src).and_then(|o| o.qparams()));
        match q {
            Some((s, z)) => Ok(fake_quant(&t, s, z, ACT_QMIN, ACT_QMAX)?),
            None => Ok(t),
        }
    }

    fn weight(&mut self, node: &str, w: Tensor) -> vgforge_train::Result<Tensor> {
        if !self.quantize_weights {
            return Ok(w);
        }
        let oc = w.dim(0)?;
        let fold = match self.bn.get(node) {
            Some((gamma, var, eps)) => {
                let s = gamma
                    .as_tensor()
                    .broadcast_div(&var.as_tensor().detach().affine(1.0, *eps)?.sqrt()?)?;
                let mut shape = vec![1usize; w.rank()];
                shape[0] = oc;
                Some(s.reshape(shape)?)
            }
            None => None,
        };
        let wf = match &fold {
            Some(s) => w.broadcast_mul(s)?,
            None => w,
        };
        let v = wf.detach().flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?;
        let scales = crate::convert::weight_scales(&v, oc);
        let q = fake_quant_weight(&wf, &scales, W_QMIN, W_QMAX)?;
        Ok(match &fold {
            Some(s) => q.broadcast_div(s)?,
            None => q,
        })
    }
}

/// Records every activation (f32, flattened) after an inner hook ran.
pub struct Capture<'a> {
    pub inner: &'a mut dyn ForwardHooks,
    pub values: HashMap<String, Vec<f32>>,
}

impl ForwardHooks for Capture<'_> {
    fn activation(&mut self, node: &str, t: Tensor) -> vgforge_train::Result<Tensor> {
        let t = self.inner.activation(node, t)?;
        let v = t.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?;
        self.values.entry(node.to_string()).or_default().extend(v);
        Ok(t)
    }

    fn weight(&mut self, node: &str, w: Tensor) -> vgforge_train::Result<Tensor> {
        self.inner.weight(node, w)
    }
}
