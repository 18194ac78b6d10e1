//! Borrowed tensor views and the conversions kernels share.

use half::{bf16, f16};

use crate::error::{Error, Result};
use crate::ir::{DType, Operator, Tensor, TensorData};

/// A borrowed tensor: a constant's declaration, a caller's input or an intermediate result.
#[derive(Clone, Copy)]
pub(crate) struct TRef<'a> {
    pub dtype: DType,
    pub shape: &'a [usize],
    pub data: &'a TensorData,
}

impl<'a> TRef<'a> {
    pub fn of(t: &'a Tensor) -> TRef<'a> {
        TRef { dtype: t.dtype, shape: &t.shape, data: &t.data }
    }
}

/// Per-operator execution context: the operator (for messages) and its operands.
pub(crate) struct Exec<'a> {
    pub op: &'a Operator,
    pub ins: Vec<TRef<'a>>,
    pub out_dtype: DType,
    pub out_shape: &'a [usize],
}

impl Exec<'_> {
    /// A failed REQUIRE at run time.
    pub fn unpredictable(&self, message: impl Into<String>) -> Error {
        Error::Unpredictable { op: self.op.describe(), message: message.into() }
    }

    /// A state the validator should have excluded.
    pub fn internal(&self, message: impl Into<String>) -> Error {
        Error::Invalid { op: self.op.describe(), message: message.into() }
    }

    pub fn out(&self, data: TensorData) -> Result<Tensor> {
        Tensor::new(self.out_dtype, self.out_shape.to_vec(), data)
            .map_err(|e| self.internal(format!("result does not match declaration: {e}")))
    }

    /// Integer values of operand `i` widened to i64.
    pub fn ints(&self, i: usize) -> Result<Vec<i64>> {
        self.ins[i]
            .data
            .to_i64_vec()
            .ok_or_else(|| self.internal(format!("operand {i} is not an integer tensor")))
    }

    /// First element of integer operand `i` (zero points, shifts).
    pub fn scalar_int(&self, i: usize) -> Result<i64> {
        self.ins[i]
            .data
            .get_i64(0)
            .ok_or_else(|| self.internal(format!("operand {i} is not an integer scalar")))
    }

    /// Float values of operand `i` as f32.
    pub fn floats(&self, i: usize) -> Result<Vec<f32>> {
        to_f32(self.ins[i].data)
            .ok_or_else(|| self.internal(format!("operand {i} is not a floating-point tensor")))
    }
}

pub(crate) fn to_f32(d: &TensorData) -> Option<Vec<f32>> {
    match d {
        TensorData::F32(v) => Some(v.clone()),
        TensorData::F16(v) => Some(v.iter().map(|x| x.to_f32()).collect()),
        TensorData::Bf16(v) => Some(v.iter().map(|x| x.to_f32()).collect()),
        _ => None,
    }
}

/// Store f32 results as `dtype` (fp16/bf16 round to nearest even).
pub(crate) fn from_f32(dtype: DType, v: Vec<f32>) -> Option<TensorData> {
    match dtype {
        DType::Fp32 => Some(TensorData::F32(v)),
        DType::Fp16 => Some(TensorData::F16(v.into_iter().map(f16::from_f32).collect())),
        DType::Bf16 => Some(TensorData::Bf16(v.into_iter().map(bf16::from_f32).collect())),
        _ => None,
    }
}

/// Store i64 results as integer `dtype`, keeping the low bits (values are in range by
/// construction except where the operator defines truncation).
pub(crate) fn from_i64(dtype: DType, v: Vec<i64>) -> Option<TensorData> {
    match dtype {
        DType::Bool => Some(TensorData::Bool(v.into_iter().map(|x| x != 0).collect())),
        DType::Int4 | DType::Int8 => Some(TensorData::I8(v.into_iter().map(|x| x as i8).collect())),
        DType::Int16 => Some(TensorData::I16(v.into_iter().map(|x| x as i16).collect())),
        DType::Int32 => Some(TensorData::I32(v.into_iter().map(|x| x as i32).collect())),
        DType::Int48 => Some(TensorData::I64(v.into_iter().map(|x| (x << 16) >> 16).collect())),
        _ => None,
    }
}

/// Row-major strides.
pub(crate) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        s[k] = s[k + 1] * shape[k + 1];
    }
    s
}

/// Gather `idx` positions of `data`; `usize::MAX` takes `fill[0]` (PAD's constant).
pub(crate) fn gather(data: &TensorData, idx: &[usize], fill: Option<&TensorData>) -> TensorData {
    macro_rules! g {
        ($v:expr, $variant:ident, $zero:expr) => {{
            let f = match fill {
                Some(TensorData::$variant(x)) if !x.is_empty() => x[0],
                _ => $zero,
            };
            TensorData::$variant(
                idx.iter().map(|&i| if i == usize::MAX { f } else { $v[i] }).collect(),
            )
        }};
    }
    match data {
        TensorData::Bool(v) => g!(v, Bool, false),
        TensorData::I8(v) => g!(v, I8, 0),
        TensorData::I16(v) => g!(v, I16, 0),
        TensorData::I32(v) => g!(v, I32, 0),
        TensorData::I64(v) => g!(v, I64, 0),
        TensorData::F16(v) => g!(v, F16, f16::ZERO),
        TensorData::Bf16(v) => g!(v, Bf16, bf16::ZERO),
        TensorData::F32(v) => g!(v, F32, 0.0),
    }
}

/// Elements per parallel task: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 8192;

/// `out[i] = f(i)` for `i < n`, in parallel chunks, stopping at the first error.
pub(crate) fn par_fill<O, F>(n: usize, f: F) -> std::result::Result<Vec<O>, String>
where
    O: Send + Default + Clone,
    F: Fn(usize) -> std::result::Result<O, String> + Sync,
{
    use rayon::prelude::*;
    let mut out = vec![O::default(); n];
    out.par_chunks_mut(CHUNK).enumerate().try_for_each(|(c, chunk)| {
        for (j, o) in chunk.iter_mut().enumerate() {
            *o = f(c * CHUNK + j)?;
        }
        Ok::<(), String>(())
    })?;
    Ok(out)
}

/// Integer element access without widening the whole tensor first.
#[derive(Clone, Copy)]
pub(crate) enum IntView<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
}

impl<'a> IntView<'a> {
    pub fn of(d: &'a TensorData) -> Option<IntView<'a>> {
        match d {
            TensorData::I8(v) => Some(IntView::I8(v)),
            TensorData::I16(v) => Some(IntView::I16(v)),
            TensorData::I32(v) => Some(IntView::I32(v)),
            TensorData::I64(v) => Some(IntView::I64(v)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            IntView::I8(v) => v.len(),
            IntView::I16(v) => v.len(),
            IntView::I32(v) => v.len(),
            IntView::I64(v) => v.len(),
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        match self {
            IntView::I8(v) => i64::from(v[i]),
            IntView::I16(v) => i64::from(v[i]),
            IntView::I32(v) => i64::from(v[i]),
            IntView::I64(v) => v[i],
        }
    }
}
