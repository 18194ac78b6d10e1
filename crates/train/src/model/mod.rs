//! A Candle module built from a [`Graph`]: one variable per constant tensor,
//! a forward pass over the nodes in order, and export back to the graph.

mod batchnorm;
pub mod conv;
mod init;
pub mod pool;
pub mod upsample;

use std::collections::{BTreeMap, HashMap};

use candle_core::{DType, Device, Tensor, Var};
use vgforge_graph::{Graph, Node, Op, TensorData, UpsampleMode};

use crate::{Error, Result};

/// Hooks the quantization crate uses to insert fake-quant into the forward
/// pass. Both default to the identity.
pub trait ForwardHooks {
    /// Called on every node output (and on the graph input, with the input
    /// tensor's name) before later nodes read it.
    fn activation(&mut self, node: &str, t: Tensor) -> Result<Tensor> {
        let _ = node;
        Ok(t)
    }

    /// Called on each conv/linear weight before the layer uses it.
    fn weight(&mut self, node: &str, w: Tensor) -> Result<Tensor> {
        let _ = node;
        Ok(w)
    }
}

/// The identity hooks.
pub struct NoHooks;

impl ForwardHooks for NoHooks {}

/// What a constant tensor is to the training loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRole {
    Weight,
    Bias,
    /// Batch-norm γ.
    Gamma,
    /// Batch-norm β.
    Beta,
    /// Batch-norm running statistics: updated by the forward pass in train
    /// mode, never by an optimizer.
    RunningMean,
    RunningVar,
}

impl ParamRole {
    pub fn trainable(self) -> bool {
        !matches!(self, ParamRole::RunningMean | ParamRole::RunningVar)
    }
}

/// One constant tensor of the model.
#[derive(Debug, Clone)]
pub struct Param {
    /// Tensor name in the graph.
    pub name: String,
    /// The layer that owns it.
    pub node: String,
    pub role: ParamRole,
    pub var: Var,
}

/// Roles of a node's operands after the activation inputs.
fn roles(op: &Op) -> &'static [ParamRole] {
    use ParamRole::*;
    match op {
        Op::Conv2d { .. } | Op::Linear => &[Weight, Bias],
        Op::BatchNorm { .. } => &[Gamma, Beta, RunningMean, RunningVar],
        _ => &[],
    }
}

/// Number of activation operands each op reads.
fn activation_arity(op: &Op) -> usize {
    match op {
        Op::Add => 2,
        _ => 1,
    }
}

/// A trainable model. Cloning shares the variables.
#[derive(Debug, Clone)]
pub struct Model {
    graph: Graph,
    params: Vec<Param>,
    index: HashMap<String, usize>,
    dtype: DType,
}

impl Model {
    /// Builds the model, initialising every constant that has no data like
    /// PyTorch would (seeded) and loading the rest from the graph.
    pub fn new(graph: &Graph, seed: u64) -> Result<Model> {
        Self::build(graph, Some(seed), DType::F32)
    }

    /// Builds the model from a graph whose constants all carry f32 data.
    pub fn from_graph(graph: &Graph) -> Result<Model> {
        Self::build(graph, None, DType::F32)
    }

    /// As [`Model::new`], with variables in `dtype` (f64 for gradient checks).
    pub fn new_with_dtype(graph: &Graph, seed: u64, dtype: DType) -> Result<Model> {
        Self::build(graph, Some(seed), dtype)
    }

    fn build(graph: &Graph, seed: Option<u64>, dtype: DType) -> Result<Model> {
        graph.validate()?;
        if graph.inputs.len() != 1 || graph.outputs.len() != 1 {
            return Err(Error::Model {
                graph: graph.name.clone(),
                msg: format!(
                    "needs one input and one output, has {} and {}",
                    graph.inputs.len(),
                    graph.outputs.len()
                ),
            });
        }
        let mut params = Vec::new();
        let mut index = HashMap::new();
        for node in &graph.nodes {
            let arity = activation_arity(&node.op);
            for (i, name) in node.inputs.iter().enumerate().skip(arity) {
                let role = *roles(&node.op).get(i - arity).ok_or_else(|| {
                    layer_err(node, format!("too many operands ({})", node.inputs.len()))
                })?;
                if index.contains_key(name) {
                    return Err(layer_err(
                        node,
                        format!("parameter '{name}' is shared with another layer"),
                    ));
                }
                let t = graph
                    .tensor(name)
                    .ok_or_else(|| layer_err(node, format!("operand '{name}' is not a tensor")))?;
                let values = match (&t.data, seed) {
                    (Some(TensorData::F32(v)), _) => v.clone(),
                    (Some(other), _) => {
                        return Err(layer_err(
                            node,
                            format!(
                                "'{name}' holds {} data; training needs f32",
                                other.dtype().name()
                            ),
                        ));
                    }
                    (None, Some(seed)) => init::init_values(graph, &node.name, i, name, seed)?,
                    (None, None) => return Err(layer_err(node, format!("'{name}' has no data"))),
                };
                if values.len() != t.numel() {
                    return Err(layer_err(
                        node,
                        format!("'{name}' has {} values for shape {:?}", values.len(), t.shape),
                    ));
                }
                let tensor =
                    Tensor::from_vec(values, t.shape.as_slice(), &Device::Cpu)?.to_dtype(dtype)?;
                index.insert(name.clone(), params.len());
                params.push(Param {
                    name: name.clone(),
                    node: node.name.clone(),
                    role,
                    var: Var::from_tensor(&tensor)?,
                });
            }
        }
        Ok(Model { graph: graph.clone(), params, index, dtype })
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Every constant tensor, in node order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The tensors an optimizer may update (no running statistics).
    pub fn trainable(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.role.trainable())
    }

    /// The parameters of one layer, in operand order.
    pub fn node_params(&self, node: &str) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(move |p| p.node == node)
    }

    /// A parameter by tensor name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.index.get(name).map(|&i| &self.params[i])
    }

    /// Number of trainable scalars.
    pub fn parameter_count(&self) -> usize {
        self.trainable().map(|p| p.var.elem_count()).sum()
    }

    /// Inference (`train == false`) or training forward pass.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.forward_with(x, train, &mut NoHooks)
    }

    /// Forward pass with hooks on activations and weights.
    pub fn forward_with(
        &self,
        x: &Tensor,
        train: bool,
        hooks: &mut dyn ForwardHooks,
    ) -> Result<Tensor> {
        let input = &self.graph.inputs[0];
        let expect = self.graph.tensor(input).map(|t| t.shape.clone()).unwrap_or_default();
        if expect.is_empty() || x.rank() != expect.len() || x.dims()[1..] != expect[1..] {
            return Err(Error::Model {
                graph: self.graph.name.clone(),
                msg: format!(
                    "input has shape {:?}, the graph expects [N, {:?}]",
                    x.dims(),
                    &expect[1..]
                ),
            });
        }
        let x = if x.dtype() == self.dtype { x.clone() } else { x.to_dtype(self.dtype)? };
        let mut env: HashMap<&str, Tensor> = HashMap::new();
        env.insert(input.as_str(), hooks.activation(input, x)?);
        for node in &self.graph.nodes {
            let arity = activation_arity(&node.op);
            let mut acts = Vec::with_capacity(arity);
            for name in node.inputs.iter().take(arity) {
                acts.push(env.get(name.as_str()).cloned().ok_or_else(|| {
                    layer_err(node, format!("reads '{name}' before it is computed"))
                })?);
            }
            let y = self.node_forward(node, &acts, train, hooks).map_err(|e| match e {
                Error::Candle(c) => layer_err(node, c.to_string()),
                other => other,
            })?;
            let y = hooks.activation(&node.name, y)?;
            for out in &node.outputs {
                env.insert(out.as_str(), y.clone());
            }
        }
        let out = &self.graph.outputs[0];
        env.remove(out.as_str()).ok_or_else(|| Error::Model {
            graph: self.graph.name.clone(),
            msg: format!("output '{out}' is never computed"),
        })
    }

    fn operand(&self, node: &Node, pos: usize) -> Option<&Var> {
        node.inputs.get(pos).and_then(|n| self.param(n)).map(|p| &p.var)
    }

    fn node_forward(
        &self,
        node: &Node,
        acts: &[Tensor],
        train: bool,
        hooks: &mut dyn ForwardHooks,
    ) -> Result<Tensor> {
        let x = &acts[0];
        let need = |pos: usize| {
            self.operand(node, pos)
                .ok_or_else(|| layer_err(node, format!("operand {pos} is missing")))
        };
        Ok(match &node.op {
            Op::Conv2d { kernel: _, stride, padding, dilation, groups } => {
                let w = hooks.weight(&node.name, need(1)?.as_tensor().clone())?;
                let b = match self.operand(node, 2) {
                    Some(b) => b.as_tensor().clone(),
                    None => Tensor::zeros(w.dim(0)?, self.dtype, w.device())?,
                };
                let geom = conv::ConvGeom {
                    stride: *stride,
                    padding: *padding,
                    dilation: *dilation,
                    groups: *groups,
                };
                x.contiguous()?.apply_op3(&w.contiguous()?, &b, conv::Conv2dOp::new(geom))?
            }
            Op::BatchNorm { eps, momentum } => {
                let p = [need(1)?, need(2)?, need(3)?, need(4)?];
                batchnorm::forward(x, p, f64::from(*eps), f64::from(*momentum), train)
                    .map_err(|e| layer_err(node, e))?
            }
            Op::Relu => x.relu()?,
            Op::MaxPool2d { kernel, stride, padding } => pool::pool2d(
                x,
                pool::PoolGeom {
                    kind: pool::PoolKind::Max,
                    kernel: *kernel,
                    stride: *stride,
                    padding: *padding,
                },
            )?,
            Op::AvgPool2d { kernel, stride, padding } => pool::pool2d(
                x,
                pool::PoolGeom {
                    kind: pool::PoolKind::Avg,
                    kernel: *kernel,
                    stride: *stride,
                    padding: *padding,
                },
            )?,
            Op::GlobalAvgPool => {
                let (n, c, h, w) = x.dims4()?;
                x.reshape((n, c, h * w))?.mean_keepdim(2)?.reshape((n, c, 1, 1))?
            }
            Op::Upsample { scale, mode } => match mode {
                UpsampleMode::Bilinear { align_corners } => {
                    upsample::bilinear(x, *scale, *align_corners)?
                }
                UpsampleMode::Nearest => upsample::nearest(x, *scale)?,
            },
            Op::Flatten => x.flatten_from(1)?,
            Op::Linear => {
                let w = hooks.weight(&node.name, need(1)?.as_tensor().clone())?;
                let y = x.matmul(&w.t()?)?;
                match self.operand(node, 2) {
                    Some(b) => y.broadcast_add(b.as_tensor())?,
                    None => y,
                }
            }
            Op::Add => (&acts[0] + &acts[1])?,
        })
    }

    /// The graph with every constant replaced by the current values (f32).
    pub fn to_graph(&self) -> Result<Graph> {
        let mut g = self.graph.clone();
        for p in &self.params {
            let values = p.var.as_tensor().to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
            let graph = g.name.clone();
            let t = g.tensor_mut(&p.name).ok_or_else(|| Error::Model {
                graph,
                msg: format!("tensor '{}' vanished", p.name),
            })?;
            t.data = Some(TensorData::F32(values));
        }
        Ok(g)
    }

    /// Current values of every constant by tensor name (for checkpoints).
    pub fn state(&self) -> BTreeMap<String, Tensor> {
        self.params.iter().map(|p| (p.name.clone(), p.var.as_tensor().clone())).collect()
    }

    /// Overwrites every constant from `state`, which must hold all of them.
    pub fn load_state(&self, state: &HashMap<String, Tensor>) -> Result<()> {
        for p in &self.params {
            let t = state.get(&p.name).ok_or_else(|| Error::Model {
                graph: self.graph.name.clone(),
                msg: format!("state lacks '{}'", p.name),
            })?;
            if t.dims() != p.var.dims() {
                return Err(Error::Model {
                    graph: self.graph.name.clone(),
                    msg: format!(
                        "state '{}' has shape {:?}, expected {:?}",
                        p.name,
                        t.dims(),
                        p.var.dims()
                    ),
                });
            }
            p.var.set(&t.to_dtype(self.dtype)?)?;
        }
        Ok(())
    }
}

fn layer_err(node: &Node, msg: impl Into<String>) -> Error {
    Error::Layer { node: node.name.clone(), op: node.op.kind(), msg: msg.into() }
}
