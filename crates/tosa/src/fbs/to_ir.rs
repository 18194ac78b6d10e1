//! [`FbsGraph`] -> IR [`Graph`].

use std::collections::BTreeMap;

use super::attrs::op_from_fbs;
use super::schema::{FbsBlock, FbsGraph, FbsShape, FbsTensor, op_name};
use crate::error::{Error, Result};
use crate::ir::{DType, Graph, Operator, TensorData, TensorDecl, checked_numel};

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> Error {
        Error::Flatbuffer { file: self.file.to_string(), offset, message: message.into() }
    }
}

/// Spec versions this reader understands: TOSA 1.0 (final or draft) and the 1.1 draft tag
/// that tosa-tools 2026.8 writes for graphs using only 1.0 features.
fn version_supported(major: i32, minor: i32) -> bool {
    major == 1 && (minor == 0 || minor == 1)
}

pub(crate) fn to_ir(g: &FbsGraph, file: &str) -> Result<Graph> {
    let cx = Ctx { file };
    let v = g.version;
    if !version_supported(v.major, v.minor) {
        return Err(cx.err(
            g.version_pos,
            format!(
                "unsupported version {}.{} (this reader handles 1.0 and the 1.1 draft)",
                v.major, v.minor
            ),
        ));
    }
    if let Some((_, features)) = &g.compatibility
        && *features != 0
    {
        return Err(cx.err(
            g.version_pos,
            format!("unsupported compatibility features {features:#x} (block-scaled types)"),
        ));
    }
    let block = match g.regions.as_slice() {
        [r] => match r.blocks.as_slice() {
            [b] => b,
            blocks => {
                return Err(cx.err(
                    0,
                    format!("region '{}' has {} blocks; only a single block is supported (no control flow)", r.name, blocks.len()),
                ));
            }
        },
        regions => {
            return Err(
                cx.err(0, format!("graph has {} regions; exactly one is supported", regions.len()))
            );
        }
    };
    block_to_ir(&cx, block)
}

fn block_to_ir(cx: &Ctx<'_>, b: &FbsBlock) -> Result<Graph> {
    let mut tensors = BTreeMap::new();
    for t in &b.tensors {
        let decl = tensor(cx, t)?;
        if tensors.insert(decl.name.clone(), decl).is_some() {
            return Err(cx.err(t.pos, format!("tensor '{}': declared twice", t.name)));
        }
    }
    for s in &b.shapes {
        let decl = shape(cx, s)?;
        if tensors.insert(decl.name.clone(), decl).is_some() {
            return Err(cx.err(s.pos, format!("shape '{}': name already declared", s.name)));
        }
    }
    let mut operators = Vec::with_capacity(b.operators.len());
    for o in &b.operators {
        let input_dtype =
            o.inputs.first().and_then(|n| tensors.get(n)).map(|t: &TensorDecl| t.dtype);
        let op = op_from_fbs(o.op, &o.attribute, input_dtype).map_err(|m| {
            let outs = o.outputs.join(", ");
            cx.err(o.pos, format!("operator -> [{outs}]: {m}"))
        })?;
        operators.push(Operator {
            op,
            inputs: o.inputs.clone(),
            outputs: o.outputs.clone(),
            location: o.location.clone(),
        });
    }
    for o in &b.operators {
        let is_const = matches!(op_name(o.op), Some("CONST" | "CONST_SHAPE"));
        for out in o.outputs.iter().filter(|_| is_const) {
            if tensors.get(out).is_some_and(|t| t.data.is_none()) {
                return Err(cx.err(
                    o.pos,
                    format!("{} output '{out}' has no data", op_name(o.op).unwrap_or("?")),
                ));
            }
        }
    }
    Ok(Graph {
        // The writer names an unnamed graph `main`; reading does the same, so that a
        // read -> write -> read cycle is stable.
        name: if b.name.is_empty() { "main".to_string() } else { b.name.clone() },
        inputs: b.inputs.clone(),
        outputs: b.outputs.clone(),
        tensors,
        operators,
    })
}

fn tensor(cx: &Ctx<'_>, t: &FbsTensor) -> Result<TensorDecl> {
    let at = |m: String| cx.err(t.pos, format!("tensor '{}': {m}", t.name));
    let dtype = DType::from_fbs(t.dtype)
        .ok_or_else(|| at(format!("unsupported DType value {}", t.dtype)))?;
    if t.is_unranked {
        return Err(at("unranked tensors are not supported".into()));
    }
    // ExecuTorch writes an empty `variable_name` on every tensor; only the flag matters.
    if t.variable {
        return Err(at("variable tensors (EXT-VARIABLE) are not supported".into()));
    }
    if t.offset != 0 || t.size != 0 {
        return Err(at("data stored outside the flatbuffer (offset/size) is not supported".into()));
    }
    // tosa-tools 2026.8 writes an empty `scale_data` on every tensor.
    let has_scales = t.scale_data.as_ref().is_some_and(|d| !d.is_empty());
    if t.scale_type != 0 || has_scales || t.block_shape != 0 || t.scale_size != 0 {
        return Err(at("block-scaled tensors are not supported".into()));
    }
    let shape = t
        .shape
        .iter()
        .map(|&d| {
            usize::try_from(d)
                .map_err(|_| at(format!("negative dimension {d} in shape {:?}", t.shape)))
        })
        .collect::<Result<Vec<_>>>()?;
    let data = match &t.data {
        // ExecuTorch writes an empty `data` vector on every non-constant tensor.
        Some(bytes) if bytes.is_empty() && checked_numel(&shape) != Some(0) => None,
        Some(bytes) => Some(decode_data(dtype, &shape, bytes).map_err(at)?),
        None => None,
    };
    Ok(TensorDecl { name: t.name.clone(), dtype, shape, data })
}

fn decode_data(
    dtype: DType,
    shape: &[usize],
    bytes: &[u8],
) -> std::result::Result<TensorData, String> {
    let n = checked_numel(shape).ok_or_else(|| format!("shape {shape:?} has too many elements"))?;
    let need =
        dtype.fbs_byte_len(n).ok_or_else(|| format!("shape {shape:?} has too many elements"))?;
    if bytes.len() > need {
        // ExecuTorch 1.5 stores per-channel weight zero points (all zero) in a `[1]` tensor;
        // Arm's reference model and model-converter read the first element only. Do the same.
        tracing::warn!(
            "ignoring {} bytes of data beyond the {need} that shape {shape:?} {} needs",
            bytes.len() - need,
            type_word(dtype)
        );
        return TensorData::from_le_bytes(dtype, &bytes[..need], n).map_err(|e| e.to_string());
    }
    if bytes.len() < need {
        return Err(format!(
            "data is {} bytes but shape {shape:?} {} needs {need}",
            bytes.len(),
            type_word(dtype)
        ));
    }
    TensorData::from_le_bytes(dtype, bytes, n).map_err(|e| e.to_string())
}

/// Type spelled as in the schema, lower case (`int32`), for data-size messages.
fn type_word(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "bool",
        DType::Int4 => "int4",
        DType::Int8 => "int8",
        DType::Int16 => "int16",
        DType::Int32 => "int32",
        DType::Int48 => "int48",
        DType::Fp16 => "fp16",
        DType::Bf16 => "bf16",
        DType::Fp32 => "fp32",
        DType::Shape => "shape",
    }
}

fn shape(cx: &Ctx<'_>, s: &FbsShape) -> Result<TensorDecl> {
    let rank = s.rank as usize;
    let bytes = s.data.as_deref().unwrap_or(&[]);
    let data = decode_data(DType::Shape, &[rank], bytes)
        .map_err(|m| cx.err(s.pos, format!("shape '{}': {m}", s.name)))?;
    Ok(TensorDecl {
        name: s.name.clone(),
        dtype: DType::Shape,
        shape: vec![rank],
        data: Some(data),
    })
}
