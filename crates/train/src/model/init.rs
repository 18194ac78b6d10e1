//! PyTorch's default initialisation, from a seeded generator.

use vgforge_graph::{Graph, Op};

use crate::rng::Rng;
use crate::{Error, Result};

/// Initial values for constant tensor `name` (an input of `node` at operand
/// position `pos`). Conv and linear weights get kaiming-uniform with a=√5,
/// i.e. U(±1/√fan_in), and biases U(±1/√fan_in), exactly as
/// `nn.Conv2d.reset_parameters` / `nn.Linear.reset_parameters` do; batch
/// norm starts at γ=1, β=0, mean 0, var 1. Each tensor draws from its own
/// stream derived from `(seed, name)`.
pub fn init_values(
    graph: &Graph,
    node: &str,
    pos: usize,
    name: &str,
    seed: u64,
) -> Result<Vec<f32>> {
    let n = graph.node(node).ok_or_else(|| Error::Model {
        graph: graph.name.clone(),
        msg: format!("no layer '{node}'"),
    })?;
    let t = graph.tensor(name).ok_or_else(|| Error::Layer {
        node: node.into(),
        op: n.op.kind(),
        msg: format!("operand '{name}' is not a tensor of the graph"),
    })?;
    let numel = t.numel();
    let weight_shape = graph.tensor(&n.inputs[1]).map(|w| w.shape.clone()).unwrap_or_default();
    let fan_in: usize = weight_shape.iter().skip(1).product();
    let mut rng = Rng::derive(seed, name);
    let mut uniform =
        |bound: f64| (0..numel).map(|_| rng.uniform(-bound, bound) as f32).collect::<Vec<_>>();
    match (&n.op, pos) {
        (Op::Conv2d { .. } | Op::Linear, 1 | 2) => {
            if fan_in == 0 {
                return Err(Error::Layer {
                    node: node.into(),
                    op: n.op.kind(),
                    msg: "weight has fan-in 0".into(),
                });
            }
            Ok(uniform(1.0 / (fan_in as f64).sqrt()))
        }
        (Op::BatchNorm { .. }, 1 | 4) => Ok(vec![1.0; numel]),
        (Op::BatchNorm { .. }, 2 | 3) => Ok(vec![0.0; numel]),
        (op, _) => Err(Error::Layer {
            node: node.into(),
            op: op.kind(),
            msg: format!("operand {pos} ('{name}') is not a parameter this layer can own"),
        }),
    }
}
