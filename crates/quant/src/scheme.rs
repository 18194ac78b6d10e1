//! Where each activation gets its quantization parameters from (ExecuTorch's annotation rules):
//!
//! * conv / linear / add followed by their only consumer, a ReLU, share the ReLU's
//!   parameters: the observer sits after the ReLU, and the lowering folds the ReLU into the
//!   output range;
//! * value-preserving layers (upsample, max/avg pooling, flatten) share their input's;
//! * everything else (and the graph input) has its own observer;
//! * a convolution followed by batch norm (QAT's simulated fold) is quantized after the norm
//!   (or after the ReLU that follows it).

use std::collections::{BTreeMap, HashMap};

use vgforge_graph::{Graph, Op};

use crate::error::{Error, Result};

/// Activation tensor -> the tensor whose observer defines its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QSources {
    source: BTreeMap<String, String>,
    /// Tensors whose parameters come from a *later* tensor (a conv fused with its ReLU): their
    /// own values are never quantized.
    fused: Vec<String>,
}

impl QSources {
    /// Apply the rules to `g`. A batch norm (kept for QAT's simulated fold) is treated as part
    /// of the convolution before it.
    pub fn new(g: &Graph) -> Result<QSources> {
        let mut consumers: HashMap<&str, Vec<&vgforge_graph::Node>> = HashMap::new();
        for n in &g.nodes {
            for i in &n.inputs {
                consumers.entry(i.as_str()).or_default().push(n);
            }
        }
        let mut source = BTreeMap::new();
        let mut fused = Vec::new();
        for i in &g.inputs {
            source.insert(i.clone(), i.clone());
        }
        for n in &g.nodes {
            let out = n.outputs.first().ok_or_else(|| Error::Graph {
                graph: g.name.clone(),
                message: format!("layer '{}' has no output", n.name),
            })?;
            let sole_consumer = |op_ok: &dyn Fn(&Op) -> bool| -> Option<String> {
                match consumers.get(out.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                    [only] if op_ok(&only.op) && !g.outputs.contains(out) => {
                        Some(only.outputs[0].clone())
                    }
                    _ => None,
                }
            };
            let src = match &n.op {
                // A convolution feeding batch norm (QAT keeps the norm and simulates the
                // fold): its output is never quantized, the norm's output takes its place.
                Op::Conv2d { .. }
                    if sole_consumer(&|o| matches!(o, Op::BatchNorm { .. })).is_some() =>
                {
                    fused.push(out.clone());
                    sole_consumer(&|o| matches!(o, Op::BatchNorm { .. }))
                        .unwrap_or_else(|| out.clone())
                }
                Op::Conv2d { .. } | Op::Linear | Op::Add | Op::BatchNorm { .. } => {
                    match sole_consumer(&|o| matches!(o, Op::Relu)) {
                        Some(relu) => {
                            fused.push(out.clone());
                            relu
                        }
                        None => out.clone(),
                    }
                }
                Op::Relu => out.clone(),
                Op::Upsample { .. }
                | Op::MaxPool2d { .. }
                | Op::AvgPool2d { .. }
                | Op::GlobalAvgPool
                | Op::Flatten => {
                    let input = &n.inputs[0];
                    source.get(input).cloned().ok_or_else(|| Error::Graph {
                        graph: g.name.clone(),
                        message: format!("layer '{}' reads '{input}' before it is defined", n.name),
                    })?
                }
            };
            source.insert(out.clone(), src);
        }
        // A conv fused into a batch norm fused into a ReLU takes the ReLU's parameters.
        let keys: Vec<String> = source.keys().cloned().collect();
        for k in keys {
            let mut v = source[&k].clone();
            for _ in 0..source.len() {
                match source.get(&v) {
                    Some(next) if *next != v => v = next.clone(),
                    _ => break,
                }
            }
            source.insert(k, v);
        }
        Ok(QSources { source, fused })
    }

    /// The tensor whose observer gives `tensor` its parameters.
    pub fn source(&self, tensor: &str) -> Option<&str> {
        self.source.get(tensor).map(String::as_str)
    }

    /// The tensors that carry an observer, sorted.
    pub fn observed(&self) -> Vec<String> {
        let mut v: Vec<String> = self.source.values().cloned().collect();
        v.sort();
        v.dedup();
        v
    }

    /// Whether `tensor` is a conv/linear/add output fused with the ReLU after it.
    pub fn is_fused(&self, tensor: &str) -> bool {
        self.fused.iter().any(|f| f == tensor)
    }

    /// Every activation tensor.
    pub fn tensors(&self) -> impl Iterator<Item = &str> {
        self.source.keys().map(String::as_str)
    }
}
