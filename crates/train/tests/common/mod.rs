//! Helpers shared by the integration tests: tiny hand-built graphs.
#![allow(dead_code)]

use std::collections::BTreeMap;

use vgforge_graph::{DType, Graph, Layout, Node, Op, Task, Tensor};

pub struct Layer<'a> {
    pub name: &'a str,
    pub op: Op,
    /// Activation operands (tensor names).
    pub inputs: Vec<&'a str>,
    /// Constant operands: suffix and shape.
    pub params: Vec<(&'a str, Vec<usize>)>,
}

pub fn layer<'a>(
    name: &'a str,
    op: Op,
    inputs: &[&'a str],
    params: &[(&'a str, Vec<usize>)],
) -> Layer<'a> {
    Layer { name, op, inputs: inputs.to_vec(), params: params.to_vec() }
}

fn tensor(name: &str, shape: Vec<usize>, layout: Layout) -> Tensor {
    Tensor { name: name.into(), dtype: DType::F32, shape, layout, quant: None, data: None }
}

/// Builds a graph with input `input` [1, C, H, W] from layers in order; the
/// last layer is the output.
pub fn graph(input_chw: [usize; 3], task: Task, layers: Vec<Layer>) -> Graph {
    let [c, h, w] = input_chw;
    let mut g = Graph {
        name: "test".into(),
        task,
        inputs: vec!["input".into()],
        outputs: vec![],
        tensors: vec![tensor("input", vec![1, c, h, w], Layout::Nchw)],
        nodes: vec![],
        metadata: BTreeMap::new(),
    };
    for l in layers {
        let mut shapes: Vec<Vec<usize>> =
            l.inputs.iter().map(|i| g.tensor(i).unwrap().shape.clone()).collect();
        let mut inputs: Vec<String> = l.inputs.iter().map(|s| s.to_string()).collect();
        for (suffix, shape) in &l.params {
            let name = format!("{}.{suffix}", l.name);
            let layout = match (shape.len(), &l.op) {
                (4, _) => Layout::Oihw,
                (2, _) => Layout::OutIn,
                _ => Layout::C,
            };
            g.tensors.push(tensor(&name, shape.clone(), layout));
            shapes.push(shape.clone());
            inputs.push(name);
        }
        let refs: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
        let out = vgforge_graph::output_shape(l.name, &l.op, &refs).unwrap();
        let layout = if out.len() == 4 { Layout::Nchw } else { Layout::Nc };
        g.tensors.push(tensor(l.name, out, layout));
        g.nodes.push(Node { name: l.name.into(), op: l.op, inputs, outputs: vec![l.name.into()] });
        g.outputs = vec![l.name.into()];
    }
    g.validate().unwrap();
    g
}

pub fn conv(k: usize, s: usize, p: usize) -> Op {
    Op::Conv2d { kernel: [k, k], stride: [s, s], padding: [p, p], dilation: [1, 1], groups: 1 }
}
