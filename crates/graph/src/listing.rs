//! The readable listing printed by `vgforge inspect FILE.graph`.

use std::fmt::{self, Display, Write as _};

use crate::{Graph, Op, Task, Tensor, UpsampleMode};

fn tensor_type(t: &Tensor) -> String {
    let dims: Vec<String> = t.shape.iter().map(usize::to_string).collect();
    format!("{}[{}]", t.dtype.name(), dims.join(","))
}

fn quant(t: &Tensor) -> String {
    let Some(q) = &t.quant else { return String::new() };
    if q.scale.len() == 1 {
        format!(" q(scale={:.6e}, zp={}, [{}, {}])", q.scale[0], q.zero_point[0], q.qmin, q.qmax)
    } else {
        let min = q.scale.iter().copied().fold(f32::INFINITY, f32::min);
        let max = q.scale.iter().copied().fold(0.0f32, f32::max);
        format!(
            " q(axis={}, {} scales in [{min:.3e}, {max:.3e}], [{}, {}])",
            q.axis.unwrap_or(0),
            q.scale.len(),
            q.qmin,
            q.qmax
        )
    }
}

fn attrs(op: &Op) -> String {
    let p = |v: [usize; 2]| format!("{}x{}", v[0], v[1]);
    match op {
        Op::Conv2d { kernel, stride, padding, dilation, groups } => format!(
            "conv2d k={} s={} p={} d={} g={groups}",
            p(*kernel),
            p(*stride),
            p(*padding),
            p(*dilation)
        ),
        Op::BatchNorm { eps, momentum } => format!("batchnorm eps={eps:e} momentum={momentum}"),
        Op::MaxPool2d { kernel, stride, padding } => {
            format!("maxpool k={} s={} p={}", p(*kernel), p(*stride), p(*padding))
        }
        Op::AvgPool2d { kernel, stride, padding } => {
            format!("avgpool k={} s={} p={}", p(*kernel), p(*stride), p(*padding))
        }
        Op::Upsample { scale, mode: UpsampleMode::Bilinear { align_corners } } => {
            format!("upsample x{scale} bilinear align_corners={align_corners}")
        }
        Op::Upsample { scale, mode: UpsampleMode::Nearest } => format!("upsample x{scale} nearest"),
        other => other.kind().to_string(),
    }
}

impl Display for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let task = match self.task {
            Task::Upscale { scale } => format!("upscale x{scale}"),
            Task::Classify { classes } => format!("classify {classes} classes"),
        };
        writeln!(f, "graph '{}' ({task}), {} parameters", self.name, self.parameter_count())?;
        for (label, names) in [("input ", &self.inputs), ("output", &self.outputs)] {
            for n in names {
                if let Some(t) = self.tensor(n) {
                    writeln!(f, "{label} {n}: {}{}", tensor_type(t), quant(t))?;
                }
            }
        }
        writeln!(f, "layers:")?;
        let width = self.nodes.iter().map(|n| n.name.len()).max().unwrap_or(0);
        for n in &self.nodes {
            let mut args = String::new();
            for (i, name) in n.inputs.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                match self.tensor(name) {
                    Some(t) if t.data.is_some() || t.quant.is_some() && i > 0 => {
                        let _ = write!(args, "{sep}{name}: {}{}", tensor_type(t), quant(t));
                    }
                    Some(t) if i > 0 && !self.nodes.iter().any(|m| m.outputs.contains(name)) => {
                        let _ = write!(args, "{sep}{name}: {} (uninitialised)", tensor_type(t));
                    }
                    _ => {
                        let _ = write!(args, "{sep}{name}");
                    }
                }
            }
            let out = n.outputs.first().and_then(|o| self.tensor(o));
            let out = out.map(|t| format!("{}{}", tensor_type(t), quant(t))).unwrap_or_default();
            writeln!(f, "  {:width$}  {}({args}) -> {out}", n.name, attrs(&n.op))?;
        }
        if !self.metadata.is_empty() {
            writeln!(f, "metadata:")?;
            for (k, v) in &self.metadata {
                writeln!(f, "  {k}: {v}")?;
            }
        }
        Ok(())
    }
}
