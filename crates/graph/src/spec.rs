//! Model specs: the small JSON description a user writes to add a network.
//!
//! A spec is a list of layers. Each layer reads the previous layer's output
//! unless it names its `inputs` (layer names, or `"input"` for the model
//! input), which is how residual connections are written. The Candle module
//! and the graph export are both built from the graph this produces.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{DType, Error, Graph, Layout, Node, Op, Result, Task, Tensor, UpsampleMode, infer};

/// The name of the model input tensor in every graph built from a spec.
pub const INPUT: &str = "input";

/// A kernel, stride or padding: one number for both axes, or `[h, w]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pair {
    Same(usize),
    Hw([usize; 2]),
}

impl Pair {
    pub fn hw(self) -> [usize; 2] {
        match self {
            Pair::Same(v) => [v, v],
            Pair::Hw(v) => v,
        }
    }
}

fn one() -> Pair {
    Pair::Same(1)
}
fn zero() -> Pair {
    Pair::Same(0)
}
fn yes() -> bool {
    true
}
fn one_usize() -> usize {
    1
}
fn bn_eps() -> f32 {
    1e-5
}
fn bn_momentum() -> f32 {
    0.1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecUpsampleMode {
    Bilinear,
    Nearest,
}

/// One layer of a spec, tagged by `"op"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LayerKind {
    Conv2d {
        out_channels: usize,
        kernel: Pair,
        #[serde(default = "one")]
        stride: Pair,
        #[serde(default = "zero")]
        padding: Pair,
        #[serde(default = "one")]
        dilation: Pair,
        #[serde(default = "one_usize")]
        groups: usize,
        #[serde(default = "yes")]
        bias: bool,
    },
    Batchnorm {
        #[serde(default = "bn_eps")]
        eps: f32,
        #[serde(default = "bn_momentum")]
        momentum: f32,
    },
    Relu,
    Maxpool {
        kernel: Pair,
        stride: Option<Pair>,
        #[serde(default = "zero")]
        padding: Pair,
    },
    Avgpool {
        kernel: Pair,
        stride: Option<Pair>,
        #[serde(default = "zero")]
        padding: Pair,
    },
    GlobalAvgpool,
    Upsample {
        scale: usize,
        mode: SpecUpsampleMode,
        #[serde(default)]
        align_corners: bool,
    },
    Flatten,
    Linear {
        out_features: usize,
        #[serde(default = "yes")]
        bias: bool,
    },
    Add,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSpec {
    /// Layer name; defaults to the op name and its position (`conv2d_3`).
    pub name: Option<String>,
    /// Names of the layers this one reads; defaults to the previous layer.
    pub inputs: Option<Vec<String>>,
    #[serde(flatten)]
    pub kind: LayerKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecTask {
    Upscale { scale: usize },
    Classify { classes: usize },
}

/// A whole model spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub name: String,
    pub task: SpecTask,
    /// Input `[channels, height, width]`; when absent it comes from the data.
    #[serde(default)]
    pub input: Option<[usize; 3]>,
    pub layers: Vec<LayerSpec>,
}

const BUILTINS: &[(&str, &str)] = &[
    ("upscaler", include_str!("../specs/upscaler.json")),
    ("classifier", include_str!("../specs/classifier.json")),
];

impl ModelSpec {
    /// Names of the specs shipped with vgforge.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTINS.iter().map(|(n, _)| *n)
    }

    /// A shipped spec by name (`upscaler`, `classifier`).
    pub fn builtin(name: &str) -> Result<ModelSpec> {
        let (_, text) = BUILTINS.iter().find(|(n, _)| *n == name).ok_or_else(|| Error::Spec {
            context: format!("model '{name}'"),
            msg: format!(
                "no such built-in model (have: {})",
                Self::builtin_names().collect::<Vec<_>>().join(", ")
            ),
        })?;
        Self::parse(text, name)
    }

    pub fn parse(text: &str, origin: &str) -> Result<ModelSpec> {
        serde_json::from_str(text)
            .map_err(|e| Error::Spec { context: origin.into(), msg: e.to_string() })
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<ModelSpec> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Io { path: path.into(), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// A built-in name or a path to a spec file.
    pub fn resolve(name_or_path: &str) -> Result<ModelSpec> {
        if Path::new(name_or_path).exists() {
            Self::from_file(name_or_path)
        } else {
            Self::builtin(name_or_path)
        }
    }

    /// Builds the graph for a batch-1 input of `input_chw` (overriding the
    /// spec's own input). Constants get shapes but no data: training
    /// initialises them.
    pub fn to_graph(&self, input_chw: Option<[usize; 3]>) -> Result<Graph> {
        let [c, h, w] = input_chw.or(self.input).ok_or_else(|| Error::Spec {
            context: format!("model '{}'", self.name),
            msg: "the spec has no input shape and none was given by the data".into(),
        })?;
        let task = match self.task {
            SpecTask::Upscale { scale } => Task::Upscale { scale },
            SpecTask::Classify { classes } => Task::Classify { classes },
        };
        let mut b = SpecBuilder { graph: empty_graph(&self.name, task), prev: INPUT.into() };
        b.graph.tensors.push(activation(INPUT, vec![1, c, h, w]));
        for (i, layer) in self.layers.iter().enumerate() {
            b.add_layer(i, layer)?;
        }
        b.graph.outputs = vec![b.prev.clone()];
        let out = b.graph.tensor(&b.prev).map(|t| t.shape.clone()).unwrap_or_default();
        match task {
            Task::Upscale { scale } if out != [1, c, h * scale, w * scale] => {
                return Err(spec_err(
                    &self.name,
                    format!(
                        "an upscaler must end in [1, {c}, {}, {}], got {out:?}",
                        h * scale,
                        w * scale
                    ),
                ));
            }
            Task::Classify { classes } if out != [1, classes] => {
                return Err(spec_err(
                    &self.name,
                    format!("a classifier must end in [1, {classes}], got {out:?}"),
                ));
            }
            _ => {}
        }
        b.graph.validate()?;
        Ok(b.graph)
    }
}

fn spec_err(name: &str, msg: String) -> Error {
    Error::Spec { context: format!("model '{name}'"), msg }
}

fn empty_graph(name: &str, task: Task) -> Graph {
    Graph {
        name: name.into(),
        task,
        inputs: vec![INPUT.into()],
        outputs: vec![],
        tensors: vec![],
        nodes: vec![],
        metadata: BTreeMap::new(),
    }
}

fn activation(name: &str, shape: Vec<usize>) -> Tensor {
    let layout = if shape.len() == 4 { Layout::Nchw } else { Layout::Nc };
    Tensor { name: name.into(), dtype: DType::F32, shape, layout, quant: None, data: None }
}

fn param(name: String, shape: Vec<usize>, layout: Layout) -> Tensor {
    Tensor { name, dtype: DType::F32, shape, layout, quant: None, data: None }
}

struct SpecBuilder {
    graph: Graph,
    prev: String,
}

impl SpecBuilder {
    fn shape_of(&self, layer: &str, t: &str) -> Result<Vec<usize>> {
        self.graph.tensor(t).map(|t| t.shape.clone()).ok_or_else(|| Error::Spec {
            context: format!("layer '{layer}'"),
            msg: format!("reads '{t}', which is not an earlier layer"),
        })
    }

    fn add_layer(&mut self, index: usize, layer: &LayerSpec) -> Result<()> {
        let kind = &layer.kind;
        let name = layer.name.clone().unwrap_or_else(|| format!("{}_{index}", op_name(kind)));
        if self.graph.tensor(&name).is_some() {
            return Err(Error::Spec {
                context: format!("layer '{name}'"),
                msg: "name is used twice".into(),
            });
        }
        let mut inputs = layer.inputs.clone().unwrap_or_else(|| vec![self.prev.clone()]);
        let x = self.shape_of(&name, &inputs[0])?;
        let channels = x.get(1).copied().unwrap_or(0);
        let mut params = Vec::new();
        let op = match *kind {
            LayerKind::Conv2d { out_channels, kernel, stride, padding, dilation, groups, bias } => {
                let [kh, kw] = kernel.hw();
                let per_group = channels.checked_div(groups).unwrap_or(0);
                params.push(param(
                    format!("{name}.weight"),
                    vec![out_channels, per_group, kh, kw],
                    Layout::Oihw,
                ));
                if bias {
                    params.push(param(format!("{name}.bias"), vec![out_channels], Layout::C));
                }
                Op::Conv2d {
                    kernel: [kh, kw],
                    stride: stride.hw(),
                    padding: padding.hw(),
                    dilation: dilation.hw(),
                    groups,
                }
            }
            LayerKind::Batchnorm { eps, momentum } => {
                for p in ["weight", "bias", "running_mean", "running_var"] {
                    params.push(param(format!("{name}.{p}"), vec![channels], Layout::C));
                }
                Op::BatchNorm { eps, momentum }
            }
            LayerKind::Relu => Op::Relu,
            LayerKind::Maxpool { kernel, stride, padding } => Op::MaxPool2d {
                kernel: kernel.hw(),
                stride: stride.unwrap_or(kernel).hw(),
                padding: padding.hw(),
            },
            LayerKind::Avgpool { kernel, stride, padding } => Op::AvgPool2d {
                kernel: kernel.hw(),
                stride: stride.unwrap_or(kernel).hw(),
                padding: padding.hw(),
            },
            LayerKind::GlobalAvgpool => Op::GlobalAvgPool,
            LayerKind::Upsample { scale, mode, align_corners } => Op::Upsample {
                scale,
                mode: match mode {
                    SpecUpsampleMode::Bilinear => UpsampleMode::Bilinear { align_corners },
                    SpecUpsampleMode::Nearest => UpsampleMode::Nearest,
                },
            },
            LayerKind::Flatten => Op::Flatten,
            LayerKind::Linear { out_features, bias } => {
                let in_features = x.get(1).copied().unwrap_or(0);
                params.push(param(
                    format!("{name}.weight"),
                    vec![out_features, in_features],
                    Layout::OutIn,
                ));
                if bias {
                    params.push(param(format!("{name}.bias"), vec![out_features], Layout::C));
                }
                Op::Linear
            }
            LayerKind::Add => Op::Add,
        };
        let mut shapes = vec![x];
        for i in inputs.iter().skip(1) {
            shapes.push(self.shape_of(&name, i)?);
        }
        shapes.extend(params.iter().map(|p| p.shape.clone()));
        let refs: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
        let out = infer::output_shape(&name, &op, &refs)?;
        inputs.extend(params.iter().map(|p| p.name.clone()));
        self.graph.tensors.extend(params);
        self.graph.tensors.push(activation(&name, out));
        self.graph.nodes.push(Node { name: name.clone(), op, inputs, outputs: vec![name.clone()] });
        self.prev = name;
        Ok(())
    }
}

fn op_name(kind: &LayerKind) -> &'static str {
    match kind {
        LayerKind::Conv2d { .. } => "conv2d",
        LayerKind::Batchnorm { .. } => "batchnorm",
        LayerKind::Relu => "relu",
        LayerKind::Maxpool { .. } => "maxpool",
        LayerKind::Avgpool { .. } => "avgpool",
        LayerKind::GlobalAvgpool => "global_avgpool",
        LayerKind::Upsample { .. } => "upsample",
        LayerKind::Flatten => "flatten",
        LayerKind::Linear { .. } => "linear",
        LayerKind::Add => "add",
    }
}
