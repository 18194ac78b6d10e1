//! The in-memory graph: named tensors, named nodes, one DAG.

use serde::{Deserialize, Serialize};

/// Element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DType {
    F32,
    I8,
    I32,
}

impl DType {
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::I8 => "i8",
            DType::I32 => "i32",
        }
    }
}

/// Memory layout of a tensor. Activations are NCHW inside the graph (Candle's
/// layout); the lowering to TOSA turns them into NHWC at export time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// Batch, channels, height, width.
    Nchw,
    /// Batch, features.
    Nc,
    /// Conv weights: out channels, in channels / groups, kernel h, kernel w.
    Oihw,
    /// Linear weights: out features, in features.
    OutIn,
    /// A vector (bias, BN parameters).
    C,
}

/// Affine quantization: `real = scale * (q - zero_point)`.
///
/// Per-tensor parameters have one scale and one zero point and `axis: None`;
/// per-channel parameters have one of each per index of `axis`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantParams {
    pub scale: Vec<f32>,
    pub zero_point: Vec<i32>,
    pub axis: Option<usize>,
    pub qmin: i32,
    pub qmax: i32,
}

impl QuantParams {
    pub fn per_tensor(scale: f32, zero_point: i32, qmin: i32, qmax: i32) -> Self {
        QuantParams { scale: vec![scale], zero_point: vec![zero_point], axis: None, qmin, qmax }
    }
}

/// Constant data of a tensor (weights, biases, BN statistics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TensorData {
    F32(Vec<f32>),
    I8(Vec<i8>),
    I32(Vec<i32>),
}

impl TensorData {
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::I8(v) => v.len(),
            TensorData::I32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dtype(&self) -> DType {
        match self {
            TensorData::F32(_) => DType::F32,
            TensorData::I8(_) => DType::I8,
            TensorData::I32(_) => DType::I32,
        }
    }

    pub fn as_f32(&self) -> Option<&[f32]> {
        match self {
            TensorData::F32(v) => Some(v),
            _ => None,
        }
    }
}

/// A named tensor: an activation (no data) or a constant (with data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub layout: Layout,
    pub quant: Option<QuantParams>,
    pub data: Option<TensorData>,
}

impl Tensor {
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// How an upsampling layer interpolates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpsampleMode {
    Bilinear { align_corners: bool },
    Nearest,
}

/// A layer. Attributes only; operands are the node's `inputs`, in the order
/// each variant documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Inputs: x, weight (OIHW), optional bias.
    Conv2d {
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        groups: usize,
    },
    /// Inputs: x, gamma, beta, running mean, running var.
    BatchNorm {
        eps: f32,
        momentum: f32,
    },
    Relu,
    MaxPool2d {
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    },
    AvgPool2d {
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    },
    GlobalAvgPool,
    Upsample {
        scale: usize,
        mode: UpsampleMode,
    },
    /// NCHW -> N(C*H*W).
    Flatten,
    /// Inputs: x, weight (out, in), optional bias.
    Linear,
    /// Elementwise sum of two activations of equal shape (residual connection).
    Add,
}

impl Op {
    /// Stable lowercase name, used in errors, listings and spec files.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Conv2d { .. } => "conv2d",
            Op::BatchNorm { .. } => "batchnorm",
            Op::Relu => "relu",
            Op::MaxPool2d { .. } => "maxpool",
            Op::AvgPool2d { .. } => "avgpool",
            Op::GlobalAvgPool => "global_avgpool",
            Op::Upsample { .. } => "upsample",
            Op::Flatten => "flatten",
            Op::Linear => "linear",
            Op::Add => "add",
        }
    }
}

/// One layer of the graph. `name` is the layer name that every later stage
/// uses in errors and reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub op: Op,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// What the model is trained to do; decides data preparation and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    /// Image in, image `scale` times larger out; MSE loss, PSNR metric.
    Upscale { scale: usize },
    /// Image in, class logits out; cross-entropy loss, top-1 accuracy.
    Classify { classes: usize },
}

/// A whole model: tensors, nodes in topological order, graph inputs and outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub name: String,
    pub task: Task,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub tensors: Vec<Tensor>,
    pub nodes: Vec<Node>,
    /// Free-form provenance (producer, training metrics, calibration settings),
    /// kept sorted so files are reproducible.
    pub metadata: std::collections::BTreeMap<String, String>,
}

impl Graph {
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    pub fn tensor_mut(&mut self, name: &str) -> Option<&mut Tensor> {
        self.tensors.iter_mut().find(|t| t.name == name)
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Names of the constant tensors: those no layer produces and that are not inputs.
    pub fn constants(&self) -> impl Iterator<Item = &Tensor> {
        self.tensors.iter().filter(|t| {
            !self.inputs.contains(&t.name)
                && !self.nodes.iter().any(|n| n.outputs.contains(&t.name))
        })
    }

    /// Number of trainable scalar parameters (BatchNorm running statistics excluded).
    pub fn parameter_count(&self) -> usize {
        self.constants().filter(|t| !t.name.contains(".running_")).map(Tensor::numel).sum()
    }
}
