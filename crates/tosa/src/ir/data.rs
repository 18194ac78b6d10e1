//! Typed tensor storage, scalars and the little-endian byte encoding used by `.tosa` files.

use half::{bf16, f16};
use serde::{Deserialize, Serialize};

use super::DType;
use crate::error::{Error, Result};

/// Typed element storage, row-major. INT4 is held one value per `i8`; INT48 and SHAPE as `i64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TensorData {
    /// BOOL.
    Bool(Vec<bool>),
    /// INT8 or INT4.
    I8(Vec<i8>),
    /// INT16.
    I16(Vec<i16>),
    /// INT32.
    I32(Vec<i32>),
    /// INT48 or SHAPE.
    I64(Vec<i64>),
    /// FP16.
    F16(Vec<f16>),
    /// BF16.
    Bf16(Vec<bf16>),
    /// FP32.
    F32(Vec<f32>),
}

impl TensorData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            TensorData::Bool(v) => v.len(),
            TensorData::I8(v) => v.len(),
            TensorData::I16(v) => v.len(),
            TensorData::I32(v) => v.len(),
            TensorData::I64(v) => v.len(),
            TensorData::F16(v) => v.len(),
            TensorData::Bf16(v) => v.len(),
            TensorData::F32(v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All-zero (false) storage of `n` elements for `dtype`.
    pub fn zeros(dtype: DType, n: usize) -> TensorData {
        match dtype {
            DType::Bool => TensorData::Bool(vec![false; n]),
            DType::Int4 | DType::Int8 => TensorData::I8(vec![0; n]),
            DType::Int16 => TensorData::I16(vec![0; n]),
            DType::Int32 => TensorData::I32(vec![0; n]),
            DType::Int48 | DType::Shape => TensorData::I64(vec![0; n]),
            DType::Fp16 => TensorData::F16(vec![f16::ZERO; n]),
            DType::Bf16 => TensorData::Bf16(vec![bf16::ZERO; n]),
            DType::Fp32 => TensorData::F32(vec![0.0; n]),
        }
    }

    /// Short name of the storage variant, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            TensorData::Bool(_) => "bool",
            TensorData::I8(_) => "i8",
            TensorData::I16(_) => "i16",
            TensorData::I32(_) => "i32",
            TensorData::I64(_) => "i64",
            TensorData::F16(_) => "f16",
            TensorData::Bf16(_) => "bf16",
            TensorData::F32(_) => "f32",
        }
    }

    /// Whether this storage variant is the one used for `dtype`, with values in its range.
    pub fn matches(&self, dtype: DType) -> bool {
        match (self, dtype) {
            (TensorData::Bool(_), DType::Bool)
            | (TensorData::I8(_), DType::Int8)
            | (TensorData::I16(_), DType::Int16)
            | (TensorData::I32(_), DType::Int32)
            | (TensorData::I64(_), DType::Shape)
            | (TensorData::F16(_), DType::Fp16)
            | (TensorData::Bf16(_), DType::Bf16)
            | (TensorData::F32(_), DType::Fp32) => true,
            (TensorData::I8(v), DType::Int4) => v.iter().all(|&x| (-8..=7).contains(&x)),
            (TensorData::I64(v), DType::Int48) => {
                v.iter().all(|&x| (-(1i64 << 47)..(1i64 << 47)).contains(&x))
            }
            _ => false,
        }
    }

    /// Integer view of element `i` (bool as 0/1); `None` for floats or out of range.
    pub fn get_i64(&self, i: usize) -> Option<i64> {
        match self {
            TensorData::Bool(v) => v.get(i).map(|&b| i64::from(b)),
            TensorData::I8(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::I16(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::I32(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::I64(v) => v.get(i).copied(),
            _ => None,
        }
    }

    /// All elements as i64 (integer and bool storage only).
    pub fn to_i64_vec(&self) -> Option<Vec<i64>> {
        (0..self.len()).map(|i| self.get_i64(i)).collect()
    }

    /// Decode `count` elements of `dtype` from the little-endian flatbuffer encoding.
    ///
    /// `bytes` must hold exactly the encoded size, so a corrupt length never drives an allocation.
    pub fn from_le_bytes(dtype: DType, bytes: &[u8], count: usize) -> Result<TensorData> {
        let need = dtype.fbs_byte_len(count).ok_or_else(|| {
            Error::tensor("<data>", format!("element count {count} overflows for {dtype}"))
        })?;
        if bytes.len() != need {
            return Err(Error::tensor(
                "<data>",
                format!("{dtype} data of {count} elements needs {need} bytes, got {}", bytes.len()),
            ));
        }
        Ok(match dtype {
            DType::Bool => TensorData::Bool(bytes.iter().map(|&b| b != 0).collect()),
            DType::Int4 => TensorData::I8(
                (0..count)
                    .map(|i| {
                        let byte = bytes[i / 2];
                        let nib = if i % 2 == 0 { byte & 0x0f } else { byte >> 4 };
                        // Sign-extend the nibble.
                        ((nib << 4) as i8) >> 4
                    })
                    .collect(),
            ),
            DType::Int8 => TensorData::I8(bytes.iter().map(|&b| b as i8).collect()),
            DType::Int16 => TensorData::I16(
                bytes.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect(),
            ),
            DType::Int32 => TensorData::I32(
                bytes
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            DType::Int48 => TensorData::I64(
                bytes
                    .chunks_exact(6)
                    .map(|c| {
                        let raw = i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], 0, 0]);
                        (raw << 16) >> 16
                    })
                    .collect(),
            ),
            DType::Shape => TensorData::I64(
                bytes
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            ),
            DType::Fp16 => TensorData::F16(
                bytes.chunks_exact(2).map(|c| f16::from_le_bytes([c[0], c[1]])).collect(),
            ),
            DType::Bf16 => TensorData::Bf16(
                bytes.chunks_exact(2).map(|c| bf16::from_le_bytes([c[0], c[1]])).collect(),
            ),
            DType::Fp32 => TensorData::F32(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
        })
    }

    /// Encode as `dtype` in the little-endian flatbuffer encoding.
    pub fn to_le_bytes(&self, dtype: DType) -> Result<Vec<u8>> {
        if !self.matches(dtype) {
            return Err(Error::tensor(
                "<data>",
                format!("{} storage cannot be encoded as {dtype}", self.kind()),
            ));
        }
        Ok(match self {
            TensorData::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
            TensorData::I8(v) if dtype == DType::Int4 => v
                .chunks(2)
                .map(|c| {
                    let lo = (c[0] as u8) & 0x0f;
                    let hi = c.get(1).map_or(0, |&x| (x as u8) & 0x0f);
                    lo | (hi << 4)
                })
                .collect(),
            TensorData::I8(v) => v.iter().map(|&x| x as u8).collect(),
            TensorData::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I64(v) if dtype == DType::Int48 => {
                v.iter().flat_map(|x| x.to_le_bytes().into_iter().take(6)).collect()
            }
            TensorData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::F16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::Bf16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        })
    }
}

/// One typed value, as used by CLAMP's `min_val`/`max_val` and PAD constants.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Scalar {
    /// INT8 value.
    I8(i8),
    /// INT16 value.
    I16(i16),
    /// INT32 value.
    I32(i32),
    /// FP16 value.
    F16(f16),
    /// BF16 value.
    Bf16(bf16),
    /// FP32 value.
    F32(f32),
}

impl Scalar {
    /// The element type of this value.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::I8(_) => DType::Int8,
            Scalar::I16(_) => DType::Int16,
            Scalar::I32(_) => DType::Int32,
            Scalar::F16(_) => DType::Fp16,
            Scalar::Bf16(_) => DType::Bf16,
            Scalar::F32(_) => DType::Fp32,
        }
    }

    /// Integer value; `None` for floats.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Scalar::I8(v) => Some(v.into()),
            Scalar::I16(v) => Some(v.into()),
            Scalar::I32(v) => Some(v.into()),
            _ => None,
        }
    }

    /// Value as f64 (exact for every variant).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::I8(v) => v.into(),
            Scalar::I16(v) => v.into(),
            Scalar::I32(v) => v.into(),
            Scalar::F16(v) => v.to_f64(),
            Scalar::Bf16(v) => v.to_f64(),
            Scalar::F32(v) => v.into(),
        }
    }

    /// Raw little-endian bytes, as in ClampAttribute.
    pub fn to_le_bytes(self) -> Vec<u8> {
        match self {
            Scalar::I8(v) => v.to_le_bytes().to_vec(),
            Scalar::I16(v) => v.to_le_bytes().to_vec(),
            Scalar::I32(v) => v.to_le_bytes().to_vec(),
            Scalar::F16(v) => v.to_le_bytes().to_vec(),
            Scalar::Bf16(v) => v.to_le_bytes().to_vec(),
            Scalar::F32(v) => v.to_le_bytes().to_vec(),
        }
    }

    /// Decode raw little-endian bytes of one `dtype` value.
    ///
    /// Arm's serializer pads the value to 8 bytes (`force_align: 8`), so up to 8 bytes are
    /// accepted and the value is read from the leading ones.
    pub fn from_le_bytes(dtype: DType, bytes: &[u8]) -> Result<Scalar> {
        let bad = || {
            Error::tensor(
                "<scalar>",
                format!("{dtype} scalar cannot be decoded from {} bytes", bytes.len()),
            )
        };
        let size = dtype.fbs_elem_size().filter(|&s| s <= 4).ok_or_else(|| {
            Error::UnsupportedDType { dtype: dtype.to_string(), context: "scalar attribute".into() }
        })?;
        if bytes.len() < size || bytes.len() > 8 {
            return Err(bad());
        }
        let bytes = &bytes[..size];
        Ok(match dtype {
            DType::Int8 => Scalar::I8(i8::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            DType::Int16 => Scalar::I16(i16::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            DType::Int32 => Scalar::I32(i32::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            DType::Fp16 => Scalar::F16(f16::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            DType::Bf16 => Scalar::Bf16(bf16::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            DType::Fp32 => Scalar::F32(f32::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            _ => {
                return Err(Error::UnsupportedDType {
                    dtype: dtype.to_string(),
                    context: "scalar attribute".into(),
                });
            }
        })
    }
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::I8(v) => write!(f, "{v} : i8"),
            Scalar::I16(v) => write!(f, "{v} : i16"),
            Scalar::I32(v) => write!(f, "{v} : i32"),
            Scalar::F16(v) => write!(f, "{:?} : f16", v.to_f32()),
            Scalar::Bf16(v) => write!(f, "{:?} : bf16", v.to_f32()),
            Scalar::F32(v) => write!(f, "{v:?} : f32"),
        }
    }
}

/// A tensor value: type, shape and matching data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    /// Element type.
    pub dtype: DType,
    /// Dimensions, outermost first (NHWC for activations).
    pub shape: Vec<usize>,
    /// Row-major data whose variant and length match `dtype` and `shape`.
    pub data: TensorData,
}

impl Tensor {
    /// Build a tensor, checking that the data fits the type and shape.
    pub fn new(dtype: DType, shape: Vec<usize>, data: TensorData) -> Result<Tensor> {
        let n = checked_numel(&shape).ok_or_else(|| {
            Error::tensor("<tensor>", format!("shape {shape:?} has too many elements"))
        })?;
        if !data.matches(dtype) {
            return Err(Error::tensor(
                "<tensor>",
                format!("{} data does not hold {dtype} values", data.kind()),
            ));
        }
        if data.len() != n {
            return Err(Error::tensor(
                "<tensor>",
                format!("shape {shape:?} needs {n} elements, data has {}", data.len()),
            ));
        }
        Ok(Tensor { dtype, shape, data })
    }

    /// A zero tensor.
    pub fn zeros(dtype: DType, shape: Vec<usize>) -> Tensor {
        let n = shape.iter().product();
        Tensor { dtype, shape, data: TensorData::zeros(dtype, n) }
    }

    /// INT8 tensor.
    pub fn i8(shape: Vec<usize>, v: Vec<i8>) -> Result<Tensor> {
        Tensor::new(DType::Int8, shape, TensorData::I8(v))
    }

    /// INT16 tensor.
    pub fn i16(shape: Vec<usize>, v: Vec<i16>) -> Result<Tensor> {
        Tensor::new(DType::Int16, shape, TensorData::I16(v))
    }

    /// INT32 tensor.
    pub fn i32(shape: Vec<usize>, v: Vec<i32>) -> Result<Tensor> {
        Tensor::new(DType::Int32, shape, TensorData::I32(v))
    }

    /// FP32 tensor.
    pub fn f32(shape: Vec<usize>, v: Vec<f32>) -> Result<Tensor> {
        Tensor::new(DType::Fp32, shape, TensorData::F32(v))
    }

    /// SHAPE tensor (rank 1), as produced by CONST_SHAPE.
    pub fn shape_values(v: Vec<i64>) -> Tensor {
        Tensor { dtype: DType::Shape, shape: vec![v.len()], data: TensorData::I64(v) }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }
}

/// Product of the dimensions, `None` on overflow.
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}
