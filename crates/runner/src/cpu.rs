//! Backend `cpu`: the bit-exact TOSA interpreter, one inference at a time.

use vgforge_tosa::{Graph, Tensor};

use crate::error::{Error, Result};
use crate::tensors;

/// Runs every inference held in `inputs` through [`vgforge_tosa::interp::run`].
pub(crate) fn run(graph: &Graph, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    let decls = graph.input_decls();
    if inputs.len() != decls.len() || decls.len() != graph.inputs.len() {
        return Err(Error::BadInput {
            index: inputs.len(),
            reason: format!("the model takes {} inputs, got {}", graph.inputs.len(), inputs.len()),
        });
    }
    let mut total = None;
    for (i, (t, d)) in inputs.iter().zip(&decls).enumerate() {
        let k = tensors::inferences(i, t, d.dtype, &d.shape)?;
        if *total.get_or_insert(k) != k {
            return Err(Error::BadInput {
                index: i,
                reason: format!("holds {k} inferences, input 0 holds more or fewer"),
            });
        }
    }
    Ok(vgforge_tosa::interp::run_batched(graph, inputs)?)
}
