//! VGF file → TOSA graph.

use vgforge_tosa::Graph;

use crate::container::{ModuleCode, ModuleType, VgfFile};
use crate::error::{Error, Result};
use crate::lift::{self, LiftInput};

impl VgfFile {
    /// Lifts the model to a TOSA graph: the graph module of its single graph segment, with
    /// graph constants taken from the constants section through the segment's constant
    /// bindings, and input/output names from the model sequence.
    pub fn to_tosa(&self) -> Result<Graph> {
        self.to_tosa_named("<vgf>")
    }

    /// [`VgfFile::to_tosa`], naming `path` in errors.
    pub fn to_tosa_named(&self, path: &str) -> Result<Graph> {
        let bad = |what: &str, reason: String| Error::Inconsistent {
            path: path.to_owned(),
            what: what.to_owned(),
            reason,
        };
        let segments = &self.sequence.segments;
        let [segment] = segments.as_slice() else {
            return Err(bad(
                "model sequence",
                format!(
                    "{} segments; only single-segment models lift to one graph",
                    segments.len()
                ),
            ));
        };
        if segment.kind != ModuleType::Graph {
            return Err(bad("segment 0", "is a compute segment, not a graph".into()));
        }
        let index = segment.module_index as usize;
        let module = self.modules.get(index).ok_or_else(|| {
            bad(
                "segment 0",
                format!("module_index {index} is out of range ({} modules)", self.modules.len()),
            )
        })?;
        let ModuleCode::Spirv(words) = &module.code else {
            return Err(bad(&format!("module {index}"), "holds no SPIR-V code".into()));
        };
        let constants = &self.constants;
        let graph_constant = |id: u32| -> Option<&[u8]> {
            let idx = segment.constant_for(id)?;
            constants.get(idx as usize).map(|c| c.data.as_slice())
        };
        let input = LiftInput {
            words,
            entry_point: &module.entry_point,
            input_names: &self.sequence.input_names,
            output_names: &self.sequence.output_names,
            graph_constant: &graph_constant,
        };
        let graph = lift::lift(&input).map_err(|(word, reason)| Error::Spirv {
            path: path.to_owned(),
            module: index,
            word,
            reason,
        })?;
        tracing::debug!(
            path,
            operators = graph.operators.len(),
            tensors = graph.tensors.len(),
            "lifted vgf to tosa"
        );
        Ok(graph)
    }
}
