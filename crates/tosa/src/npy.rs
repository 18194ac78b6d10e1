//! NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
//!
//! Supported dtypes: `|b1`, `|i1`, `|u1`, `<i2`, `<i4`, `<i8`, `<f2`, `<f4`. TOSA has no
//! unsigned or 64-bit tensors, so [`NpyArray::into_tensor`] widens `uint8` to INT16 and narrows
//! `int64` to INT32 (or INT48) when every value fits; [`read_as`] converts to a requested type.

use std::io::Write;
use std::path::Path;

use half::f16;

use crate::error::{Error, Result};
use crate::ir::{DType, Tensor, TensorData, checked_numel};

const MAGIC: &[u8] = b"\x93NUMPY";

/// Element type stored in a `.npy` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpyDType {
    /// `|b1`.
    Bool,
    /// `|i1`.
    I8,
    /// `|u1`.
    U8,
    /// `<i2`.
    I16,
    /// `<i4`.
    I32,
    /// `<i8`.
    I64,
    /// `<f2`.
    F16,
    /// `<f4`.
    F32,
}

impl NpyDType {
    fn descr(self) -> &'static str {
        match self {
            NpyDType::Bool => "|b1",
            NpyDType::I8 => "|i1",
            NpyDType::U8 => "|u1",
            NpyDType::I16 => "<i2",
            NpyDType::I32 => "<i4",
            NpyDType::I64 => "<i8",
            NpyDType::F16 => "<f2",
            NpyDType::F32 => "<f4",
        }
    }

    fn size(self) -> usize {
        match self {
            NpyDType::Bool | NpyDType::I8 | NpyDType::U8 => 1,
            NpyDType::I16 | NpyDType::F16 => 2,
            NpyDType::I32 | NpyDType::F32 => 4,
            NpyDType::I64 => 8,
        }
    }

    fn parse(s: &str) -> Option<NpyDType> {
        Some(match s {
            "|b1" | "b1" | "?" | "|?" => NpyDType::Bool,
            "|i1" | "i1" | "<i1" => NpyDType::I8,
            "|u1" | "u1" | "<u1" => NpyDType::U8,
            "<i2" => NpyDType::I16,
            "<i4" => NpyDType::I32,
            "<i8" => NpyDType::I64,
            "<f2" => NpyDType::F16,
            "<f4" => NpyDType::F32,
            _ => return None,
        })
    }
}

/// The raw content of a `.npy` file.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Stored element type.
    pub dtype: NpyDType,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Data widened to the matching [`TensorData`] (`u8` as `I16`, `i64` as `I64`).
    pub data: TensorData,
}

impl NpyArray {
    /// Convert to a TOSA tensor: bool, i8, i16, i32, f16 and f32 map directly; `u8` becomes
    /// INT16; `i64` becomes INT32 when every value fits, else INT48 when every value fits that.
    pub fn into_tensor(self, file: &str) -> Result<Tensor> {
        let (dtype, data) = match (self.dtype, self.data) {
            (NpyDType::Bool, d) => (DType::Bool, d),
            (NpyDType::I8, d) => (DType::Int8, d),
            (NpyDType::U8 | NpyDType::I16, d) => (DType::Int16, d),
            (NpyDType::I32, d) => (DType::Int32, d),
            (NpyDType::I64, TensorData::I64(v)) => {
                let narrowed: Option<Vec<i32>> = v.iter().map(|&x| i32::try_from(x).ok()).collect();
                match narrowed {
                    Some(v) => (DType::Int32, TensorData::I32(v)),
                    // Arm's tools store i48 results (int16 convolutions) as int64.
                    None if TensorData::I64(v.clone()).matches(DType::Int48) => {
                        (DType::Int48, TensorData::I64(v))
                    }
                    None => return Err(npy_err(file, "int64 values do not fit int48")),
                }
            }
            (NpyDType::F16, d) => (DType::Fp16, d),
            (NpyDType::F32, d) => (DType::Fp32, d),
            (t, _) => return Err(npy_err(file, &format!("inconsistent data for {t:?}"))),
        };
        Tensor::new(dtype, self.shape, data).map_err(|e| npy_err(file, &e.to_string()))
    }
}

impl NpyArray {
    /// Convert to a tensor of exactly `dtype` (a model input's declared type), accepting any
    /// integer or float storage whose values `dtype` holds exactly.
    pub fn into_tensor_as(self, dtype: DType, file: &str) -> Result<Tensor> {
        let shape = self.shape.clone();
        let lossless = |v: Vec<i64>| -> Result<Tensor> {
            let (lo, hi) = match dtype {
                DType::Bool => (0, 1),
                _ => dtype
                    .int_range()
                    .ok_or_else(|| npy_err(file, &format!("integer data cannot become {dtype}")))?,
            };
            if let Some(x) = v.iter().find(|&&x| x < lo || x > hi) {
                return Err(npy_err(file, &format!("value {x} does not fit {dtype}")));
            }
            let data = match dtype {
                DType::Bool => TensorData::Bool(v.into_iter().map(|x| x != 0).collect()),
                DType::Int4 | DType::Int8 => {
                    TensorData::I8(v.into_iter().map(|x| x as i8).collect())
                }
                DType::Int16 => TensorData::I16(v.into_iter().map(|x| x as i16).collect()),
                DType::Int32 => TensorData::I32(v.into_iter().map(|x| x as i32).collect()),
                _ => TensorData::I64(v),
            };
            Tensor::new(dtype, shape.clone(), data).map_err(|e| npy_err(file, &e.to_string()))
        };
        match (&self.data, dtype) {
            (TensorData::F32(_) | TensorData::F16(_), DType::Fp32 | DType::Fp16) => {
                let t = self.into_tensor(file)?;
                if t.dtype == dtype {
                    return Ok(t);
                }
                Err(npy_err(file, &format!("{} data cannot become {dtype} exactly", t.dtype)))
            }
            (d, _) => match d.to_i64_vec() {
                Some(v) => lossless(v),
                None => Err(npy_err(file, &format!("{} data cannot become {dtype}", d.kind()))),
            },
        }
    }
}

/// Read a `.npy` file as a tensor of `dtype` (see [`NpyArray::into_tensor_as`]).
pub fn read_as(path: impl AsRef<Path>, dtype: DType) -> Result<Tensor> {
    let path = path.as_ref();
    let name = path.display().to_string();
    read_array(path)?.into_tensor_as(dtype, &name)
}

fn npy_err(file: &str, message: &str) -> Error {
    Error::Npy { file: file.to_string(), message: message.to_string() }
}

/// Parse `.npy` bytes; `file` names the source in errors.
pub fn parse(bytes: &[u8], file: &str) -> Result<NpyArray> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(npy_err(file, "not a .npy file (bad magic)"));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (hlen, start) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(npy_err(file, "truncated header length"));
            }
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        _ => return Err(npy_err(file, &format!("unsupported format version {major}.{minor}"))),
    };
    let end = start
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| npy_err(file, &format!("header of {hlen} bytes is truncated")))?;
    let header = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| npy_err(file, "header is not valid text"))?;
    let descr = dict_value(header, "descr")
        .ok_or_else(|| npy_err(file, "header has no 'descr'"))?
        .trim_matches(|c| c == '\'' || c == '"');
    let dtype = NpyDType::parse(descr)
        .ok_or_else(|| npy_err(file, &format!("unsupported dtype '{descr}'")))?;
    match dict_value(header, "fortran_order") {
        Some("False") => {}
        Some("True") => return Err(npy_err(file, "fortran order is not supported")),
        _ => return Err(npy_err(file, "header has no valid 'fortran_order'")),
    }
    let shape_s =
        dict_value(header, "shape").ok_or_else(|| npy_err(file, "header has no 'shape'"))?;
    let shape: Vec<usize> = shape_s
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| npy_err(file, &format!("bad shape '{shape_s}'")))?;
    let n = checked_numel(&shape).ok_or_else(|| npy_err(file, "shape overflows"))?;
    let body = &bytes[end..];
    let need = n.checked_mul(dtype.size()).ok_or_else(|| npy_err(file, "shape overflows"))?;
    if body.len() < need {
        return Err(npy_err(
            file,
            &format!("truncated data: shape {shape:?} needs {need} bytes, file has {}", body.len()),
        ));
    }
    let body = &body[..need];
    let data = match dtype {
        NpyDType::Bool => TensorData::Bool(body.iter().map(|&b| b != 0).collect()),
        NpyDType::I8 => TensorData::I8(body.iter().map(|&b| b as i8).collect()),
        NpyDType::U8 => TensorData::I16(body.iter().map(|&b| i16::from(b)).collect()),
        NpyDType::I16 => TensorData::I16(
            body.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect(),
        ),
        NpyDType::I32 => TensorData::I32(
            body.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
        ),
        NpyDType::I64 => TensorData::I64(
            body.chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        ),
        NpyDType::F16 => TensorData::F16(
            body.chunks_exact(2).map(|c| f16::from_le_bytes([c[0], c[1]])).collect(),
        ),
        NpyDType::F32 => TensorData::F32(
            body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
        ),
    };
    Ok(NpyArray { dtype, shape, data })
}

/// The text after `'key':` in a Python dict literal, up to the next top-level comma.
fn dict_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let pat_sq = format!("'{key}'");
    let pat_dq = format!("\"{key}\"");
    let at = header
        .find(&pat_sq)
        .map(|i| i + pat_sq.len())
        .or_else(|| header.find(&pat_dq).map(|i| i + pat_dq.len()))?;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let mut depth = 0i32;
    for (i, ch) in rest.char_indices() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth -= 1;
                if depth == 0 && ch == ')' {
                    return Some(rest[..=i].trim());
                }
            }
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    None
}

/// Read a `.npy` file as a TOSA tensor (see [`NpyArray::into_tensor`]).
pub fn read(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let name = path.display().to_string();
    read_array(path)?.into_tensor(&name)
}

/// Read a `.npy` file without converting it.
pub fn read_array(path: impl AsRef<Path>) -> Result<NpyArray> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(&bytes, &path.display().to_string())
}

/// Encode a tensor as `.npy` (version 1.0) bytes. INT48 and SHAPE are written as `<i8`.
pub fn to_bytes(t: &Tensor) -> Result<Vec<u8>> {
    let dtype = match &t.data {
        TensorData::Bool(_) => NpyDType::Bool,
        TensorData::I8(_) => NpyDType::I8,
        TensorData::I16(_) => NpyDType::I16,
        TensorData::I32(_) => NpyDType::I32,
        TensorData::I64(_) => NpyDType::I64,
        TensorData::F16(_) => NpyDType::F16,
        TensorData::F32(_) => NpyDType::F32,
        TensorData::Bf16(_) => {
            return Err(npy_err("<memory>", "bf16 has no .npy dtype"));
        }
    };
    let dims: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header =
        format!("{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}", dtype.descr());
    // Pad with spaces so the data starts on a 64-byte boundary, ending with a newline.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let hlen = u16::try_from(header.len()).map_err(|_| npy_err("<memory>", "header too long"))?;
    let mut out = Vec::with_capacity(header.len() + 10 + t.numel() * dtype.size());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&hlen.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    match &t.data {
        TensorData::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b))),
        TensorData::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
        TensorData::I16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::I32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::I64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::F16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        TensorData::Bf16(_) => {}
    }
    Ok(out)
}

/// Write a tensor as a `.npy` file, atomically (temporary file in the same folder, then rename).
pub fn write(path: impl AsRef<Path>, t: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let bytes = to_bytes(t)?;
    let file_name = path
        .file_name()
        .ok_or_else(|| npy_err(&path.display().to_string(), "path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
