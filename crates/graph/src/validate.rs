//! Structural checks every stage can rely on after reading a graph.

use std::collections::HashSet;

use crate::{Error, Graph, Result, TensorData, infer};

impl Graph {
    /// Checks that the graph is a well-formed DAG with consistent shapes,
    /// data and quantization parameters.
    pub fn validate(&self) -> Result<()> {
        let err = |msg: String| Error::Graph { graph: self.name.clone(), msg };
        let mut names = HashSet::new();
        for t in &self.tensors {
            if !names.insert(t.name.as_str()) {
                return Err(err(format!("tensor '{}' is declared twice", t.name)));
            }
            if let Some(d) = &t.data {
                if d.dtype() != t.dtype || d.len() != t.numel() {
                    return Err(err(format!(
                        "tensor '{}' is {} {:?} but holds {} {} values",
                        t.name,
                        t.dtype.name(),
                        t.shape,
                        d.len(),
                        d.dtype().name()
                    )));
                }
                if let TensorData::F32(v) = d
                    && let Some(i) = v.iter().position(|x| !x.is_finite())
                {
                    return Err(err(format!(
                        "tensor '{}' holds a non-finite value at index {i}",
                        t.name
                    )));
                }
            }
            if let Some(q) = &t.quant {
                let channels = match q.axis {
                    None => 1,
                    Some(a) if a < t.shape.len() => t.shape[a],
                    Some(a) => {
                        return Err(err(format!(
                            "tensor '{}': quant axis {a} out of range",
                            t.name
                        )));
                    }
                };
                if q.scale.len() != channels || q.zero_point.len() != channels {
                    return Err(err(format!(
                        "tensor '{}': {} scales and {} zero points for {channels} channels",
                        t.name,
                        q.scale.len(),
                        q.zero_point.len()
                    )));
                }
                if q.qmin > q.qmax {
                    return Err(err(format!(
                        "tensor '{}': qmin {} > qmax {}",
                        t.name, q.qmin, q.qmax
                    )));
                }
                if let Some(s) = q.scale.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
                    return Err(err(format!(
                        "tensor '{}': scale {s} is not a positive number",
                        t.name
                    )));
                }
                if let Some(z) = q.zero_point.iter().find(|z| **z < q.qmin || **z > q.qmax) {
                    return Err(err(format!(
                        "tensor '{}': zero point {z} outside [{}, {}]",
                        t.name, q.qmin, q.qmax
                    )));
                }
            }
        }
        let mut defined: HashSet<&str> = HashSet::new();
        let produced: HashSet<&str> =
            self.nodes.iter().flat_map(|n| n.outputs.iter().map(String::as_str)).collect();
        for i in &self.inputs {
            if self.tensor(i).is_none() {
                return Err(err(format!("graph input '{i}' is not declared")));
            }
            defined.insert(i);
        }
        // Constants (weights) are the tensors nobody produces and that are not inputs.
        for t in &self.tensors {
            if !produced.contains(t.name.as_str()) && !self.inputs.contains(&t.name) {
                defined.insert(&t.name);
            }
        }
        let mut node_names = HashSet::new();
        for n in &self.nodes {
            if !node_names.insert(n.name.as_str()) {
                return Err(err(format!("layer name '{}' is used twice", n.name)));
            }
            let mut shapes = Vec::with_capacity(n.inputs.len());
            for i in &n.inputs {
                if !defined.contains(i.as_str()) {
                    return Err(Error::Invalid {
                        node: n.name.clone(),
                        op: n.op.kind(),
                        msg: format!("input '{i}' is not defined before this layer"),
                    });
                }
                let t =
                    self.tensor(i).ok_or_else(|| err(format!("tensor '{i}' is not declared")))?;
                shapes.push(t.shape.as_slice());
            }
            let [out] = n.outputs.as_slice() else {
                return Err(Error::Invalid {
                    node: n.name.clone(),
                    op: n.op.kind(),
                    msg: format!("has {} outputs, layers have exactly one", n.outputs.len()),
                });
            };
            let want = infer::output_shape(&n.name, &n.op, &shapes)?;
            let t = self
                .tensor(out)
                .ok_or_else(|| err(format!("output '{out}' of '{}' is not declared", n.name)))?;
            if t.shape != want {
                return Err(Error::Invalid {
                    node: n.name.clone(),
                    op: n.op.kind(),
                    msg: format!(
                        "output '{out}' is declared {:?} but computes to {want:?}",
                        t.shape
                    ),
                });
            }
            if !defined.insert(out) {
                return Err(err(format!("tensor '{out}' is defined twice")));
            }
        }
        for o in &self.outputs {
            if !defined.contains(o.as_str()) {
                return Err(err(format!("graph output '{o}' is never produced")));
            }
        }
        if self.inputs.is_empty() || self.outputs.is_empty() {
            return Err(err("a graph needs at least one input and one output".into()));
        }
        Ok(())
    }
}
