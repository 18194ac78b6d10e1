//! Folding batch norm into the preceding convolution (torchao's `_fuse_conv_bn_`):
//! `w' = w * g / sqrt(var + eps)` per output channel, `b' = (b - mean) * g / sqrt(var + eps) + beta`.

use vgforge_graph::{DType, Graph, Layout, Op, Tensor, TensorData};

use crate::error::{Error, Result};

fn data<'g>(g: &'g Graph, name: &str) -> Result<&'g [f32]> {
    g.tensor(name).and_then(|t| t.data.as_ref()).and_then(TensorData::as_f32).ok_or_else(|| {
        Error::Graph { graph: g.name.clone(), message: format!("tensor '{name}' has no f32 data") }
    })
}

/// `g` with every batch norm folded into the convolution that feeds it. A batch norm that
/// does not directly follow a convolution (whose output nothing else reads) is an error.
pub fn fold_batchnorm(g: &Graph) -> Result<Graph> {
    let mut out = g.clone();
    let bns: Vec<_> =
        g.nodes.iter().filter(|n| matches!(n.op, Op::BatchNorm { .. })).cloned().collect();
    for bn in bns {
        let Op::BatchNorm { eps, .. } = bn.op else { continue };
        let gerr = |m: String| Error::Graph { graph: g.name.clone(), message: m };
        let x = &bn.inputs[0];
        let conv = out
            .nodes
            .iter()
            .find(|n| n.outputs.contains(x) && matches!(n.op, Op::Conv2d { .. }))
            .cloned()
            .ok_or_else(|| {
                gerr(format!(
                    "batch norm '{}' does not follow a convolution; it cannot be folded",
                    bn.name
                ))
            })?;
        let readers = out.nodes.iter().filter(|n| n.inputs.contains(x)).count();
        if readers != 1 || out.outputs.contains(x) {
            return Err(gerr(format!(
                "convolution '{}' feeds more than batch norm '{}'; folding would change the other readers",
                conv.name, bn.name
            )));
        }
        if bn.inputs.len() != 5 {
            return Err(gerr(format!(
                "batch norm '{}' has {} inputs, expected 5",
                bn.name,
                bn.inputs.len()
            )));
        }
        let gamma = data(&out, &bn.inputs[1])?.to_vec();
        let beta = data(&out, &bn.inputs[2])?.to_vec();
        let mean = data(&out, &bn.inputs[3])?.to_vec();
        let var = data(&out, &bn.inputs[4])?.to_vec();
        let w = data(&out, &conv.inputs[1])?.to_vec();
        let oc = gamma.len();
        if [beta.len(), mean.len(), var.len()].iter().any(|&l| l != oc) || w.len() % oc.max(1) != 0
        {
            return Err(gerr(format!(
                "batch norm '{}' and convolution '{}' disagree on channels",
                bn.name, conv.name
            )));
        }
        let a: Vec<f32> = (0..oc).map(|c| gamma[c] / (var[c] + eps).sqrt()).collect();
        let per = w.len() / oc;
        let w2: Vec<f32> = w.iter().enumerate().map(|(i, &v)| v * a[i / per]).collect();
        let b = match conv.inputs.get(2) {
            Some(bname) => data(&out, bname)?.to_vec(),
            None => vec![0.0; oc],
        };
        let b2: Vec<f32> = (0..oc).map(|c| (b[c] - mean[c]) * a[c] + beta[c]).collect();
        out.tensor_mut(&conv.inputs[1]).ok_or_else(|| gerr("weight vanished".into()))?.data =
            Some(TensorData::F32(w2));
        let bias_name = match conv.inputs.get(2) {
            Some(bname) => bname.clone(),
            None => {
                let name = format!("{}.bias", conv.name);
                out.tensors.push(Tensor {
                    name: name.clone(),
                    dtype: DType::F32,
                    shape: vec![oc],
                    layout: Layout::C,
                    quant: None,
                    data: None,
                });
                if let Some(n) = out.nodes.iter_mut().find(|n| n.name == conv.name) {
                    n.inputs.push(name.clone());
                }
                name
            }
        };
        out.tensor_mut(&bias_name).ok_or_else(|| gerr("bias vanished".into()))?.data =
            Some(TensorData::F32(b2));
        // Readers of the batch norm now read the convolution.
        let y = &bn.outputs[0];
        for n in &mut out.nodes {
            for i in &mut n.inputs {
                if i == y {
                    *i = x.clone();
                }
            }
        }
        for o in &mut out.outputs {
            if o == y {
                *o = x.clone();
            }
        }
        out.nodes.retain(|n| n.name != bn.name);
        let dropped: Vec<&String> = bn.inputs[1..].iter().chain(bn.outputs.iter()).collect();
        out.tensors.retain(|t| !dropped.contains(&&t.name));
    }
    out.validate()?;
    Ok(out)
}
