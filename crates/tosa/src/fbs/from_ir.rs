//! IR [`Graph`] -> [`FbsGraph`].

use super::attrs::op_to_fbs;
use super::schema::{FbsBlock, FbsGraph, FbsOperator, FbsRegion, FbsShape, FbsTensor, Version};
use crate::error::{Error, Result};
use crate::ir::{DType, Graph};

/// FlatBuffer offsets are 32-bit; stay well below so that tables, names and padding fit too.
const MAX_DATA_BYTES: usize = (1 << 31) - (1 << 24);

pub(crate) fn from_ir(g: &Graph, version: Version) -> Result<FbsGraph> {
    let err = |m: String| Error::Graph { graph: g.name.clone(), message: m };
    let mut tensors = Vec::new();
    let mut shapes = Vec::new();
    let mut total = 0usize;
    // BTreeMap order: the file lists tensors sorted by name, which makes output deterministic.
    for t in g.tensors.values() {
        let data = match &t.data {
            Some(d) => {
                let bytes =
                    d.to_le_bytes(t.dtype).map_err(|e| err(format!("tensor '{}': {e}", t.name)))?;
                let n = crate::ir::checked_numel(&t.shape);
                if n != Some(d.len()) {
                    return Err(err(format!(
                        "tensor '{}': shape {:?} does not match its {} data elements",
                        t.name,
                        t.shape,
                        d.len()
                    )));
                }
                total = total.saturating_add(bytes.len());
                Some(bytes)
            }
            None => None,
        };
        if total > MAX_DATA_BYTES {
            return Err(err(format!(
                "constants exceed {MAX_DATA_BYTES} bytes, the most a .tosa flatbuffer can hold"
            )));
        }
        if t.dtype == DType::Shape {
            let rank = match t.shape.as_slice() {
                [n] => u32::try_from(*n).ok(),
                _ => None,
            };
            let rank = rank.ok_or_else(|| {
                err(format!(
                    "shape value '{}' must have a rank-1 shape, found {:?}",
                    t.name, t.shape
                ))
            })?;
            // An empty value is written without data, as Arm's serializer does.
            let data = data.filter(|d| !d.is_empty());
            shapes.push(FbsShape { pos: 0, name: t.name.clone(), rank, data });
            continue;
        }
        let shape = t
            .shape
            .iter()
            .map(|&d| i32::try_from(d))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| {
                err(format!("tensor '{}': dimension of {:?} exceeds int32", t.name, t.shape))
            })?;
        tensors.push(FbsTensor {
            name: t.name.clone(),
            shape,
            dtype: t.dtype.to_fbs(),
            data,
            ..FbsTensor::default()
        });
    }
    let operators = g
        .operators
        .iter()
        .map(|o| FbsOperator {
            pos: 0,
            op: o.op.fbs_code(),
            attribute: op_to_fbs(&o.op),
            inputs: o.inputs.clone(),
            outputs: o.outputs.clone(),
            location: o.location.clone(),
        })
        .collect();
    let name = if g.name.is_empty() { "main".to_string() } else { g.name.clone() };
    Ok(FbsGraph {
        version_pos: 0,
        version,
        regions: vec![FbsRegion {
            name: "main".into(),
            blocks: vec![FbsBlock {
                name,
                operators,
                tensors,
                inputs: g.inputs.clone(),
                outputs: g.outputs.clone(),
                shapes,
            }],
        }],
        software_version: None,
        compatibility: None,
    })
}
