//! Conversions between TOSA tensors and the byte layouts the backends use.

use vgforge_tosa::{DType, Tensor, TensorData};

use crate::compute::plan::Storage;
use crate::error::{Error, Result};

/// How many inferences `t` holds for a model input of `shape`: its leading dimension
/// must be a multiple of the model's, and the other dimensions equal.
pub(crate) fn inferences(index: usize, t: &Tensor, dtype: DType, shape: &[usize]) -> Result<usize> {
    let bad = |reason: String| Error::BadInput { index, reason };
    if t.dtype != dtype {
        return Err(bad(format!("type {} but the model takes {dtype}", t.dtype)));
    }
    if t.shape.len() != shape.len() || t.shape.is_empty() {
        return Err(bad(format!("shape {:?} but the model takes {shape:?}", t.shape)));
    }
    if t.shape[1..] != shape[1..]
        || shape[0] == 0
        || !t.shape[0].is_multiple_of(shape[0])
        || t.shape[0] == 0
    {
        return Err(bad(format!(
            "shape {:?}: the leading dimension must be a non-zero multiple of {} and the rest {:?}",
            t.shape,
            shape[0],
            &shape[1..]
        )));
    }
    if t.data.len() != t.numel() {
        return Err(bad(format!("{} values for shape {:?}", t.data.len(), t.shape)));
    }
    Ok(t.shape[0] / shape[0])
}

/// Elements `[start, start + count)` of `t` in GPU storage layout.
pub(crate) fn to_storage(
    t: &Tensor,
    storage: Storage,
    start: usize,
    count: usize,
) -> Option<Vec<u8>> {
    let r = start..start + count;
    Some(match (&t.data, storage) {
        (TensorData::I8(v), Storage::I8) => v.get(r)?.iter().map(|&x| x as u8).collect(),
        (TensorData::I16(v), Storage::I32) => {
            v.get(r)?.iter().flat_map(|&x| i32::from(x).to_le_bytes()).collect()
        }
        (TensorData::I32(v), Storage::I32) => {
            v.get(r)?.iter().flat_map(|&x| x.to_le_bytes()).collect()
        }
        (TensorData::F32(v), Storage::F32) => {
            v.get(r)?.iter().flat_map(|&x| x.to_le_bytes()).collect()
        }
        _ => return None,
    })
}

/// Appends GPU-layout bytes to typed storage of `dtype`.
pub(crate) fn append_storage(
    out: &mut TensorData,
    dtype: DType,
    storage: Storage,
    bytes: &[u8],
) -> Result<()> {
    let w4 = |c: &[u8]| [c[0], c[1], c[2], c[3]];
    match (out, dtype, storage) {
        (TensorData::I8(v), DType::Int8, Storage::I8) => v.extend(bytes.iter().map(|&b| b as i8)),
        // Narrowing keeps the low bits: the kernels already saturated to the i16 range
        // (or to 0..65535 for unsigned output, whose bits are the same).
        (TensorData::I16(v), DType::Int16, Storage::I32) => {
            v.extend(bytes.chunks_exact(4).map(|c| i32::from_le_bytes(w4(c)) as i16))
        }
        (TensorData::I32(v), DType::Int32, Storage::I32) => {
            v.extend(bytes.chunks_exact(4).map(|c| i32::from_le_bytes(w4(c))))
        }
        (TensorData::F32(v), DType::Fp32, Storage::F32) => {
            v.extend(bytes.chunks_exact(4).map(|c| f32::from_le_bytes(w4(c))))
        }
        (d, dt, st) => {
            return Err(Error::Vulkan {
                call: "output read-back",
                code: format!("{} storage for {dt} via {st:?}", d.kind()),
            });
        }
    }
    Ok(())
}
