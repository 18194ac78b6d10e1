//! Element types and the small enums used by operator attributes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// TOSA 1.0 element type, with the flatbuffer `DType` numbering (see [`DType::to_fbs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DType {
    /// Boolean, one byte per element.
    Bool,
    /// 4-bit signed integer (declarations and constants only; EXT-INT4).
    Int4,
    /// 8-bit signed integer.
    Int8,
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 48-bit signed integer, the accumulator of int16 convolutions; stored as i64.
    Int48,
    /// IEEE half precision.
    Fp16,
    /// bfloat16 (declarations and constants only).
    Bf16,
    /// IEEE single precision.
    Fp32,
    /// `shape_t`: the output of CONST_SHAPE, stored as i64.
    Shape,
}

impl DType {
    /// All types, in flatbuffer order.
    pub const ALL: [DType; 10] = [
        DType::Bool,
        DType::Int4,
        DType::Int8,
        DType::Int16,
        DType::Int32,
        DType::Int48,
        DType::Fp32,
        DType::Fp16,
        DType::Bf16,
        DType::Shape,
    ];

    /// Lower-case short name used by the text printer (`i8`, `f32`, `shape`).
    pub fn short_name(self) -> &'static str {
        match self {
            DType::Bool => "i1",
            DType::Int4 => "i4",
            DType::Int8 => "i8",
            DType::Int16 => "i16",
            DType::Int32 => "i32",
            DType::Int48 => "i48",
            DType::Fp16 => "f16",
            DType::Bf16 => "bf16",
            DType::Fp32 => "f32",
            DType::Shape => "shape",
        }
    }

    /// The value of this type in the `DType` enum of `tosa.fbs` (2026.x).
    pub fn to_fbs(self) -> u32 {
        match self {
            DType::Bool => 1,
            DType::Int4 => 2,
            DType::Int8 => 3,
            DType::Int16 => 4,
            DType::Int32 => 5,
            DType::Int48 => 6,
            DType::Fp32 => 7,
            DType::Fp16 => 8,
            DType::Bf16 => 9,
            DType::Shape => 10,
        }
    }

    /// Inverse of [`DType::to_fbs`]; `None` for UNKNOWN and post-1.0 types.
    pub fn from_fbs(v: u32) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.to_fbs() == v)
    }

    /// Bytes per element in the flatbuffer encoding; `None` for INT4 (two per byte).
    pub fn fbs_elem_size(self) -> Option<usize> {
        match self {
            DType::Int4 => None,
            DType::Bool | DType::Int8 => Some(1),
            DType::Int16 | DType::Fp16 | DType::Bf16 => Some(2),
            DType::Int32 | DType::Fp32 => Some(4),
            DType::Int48 => Some(6),
            DType::Shape => Some(8),
        }
    }

    /// Number of bytes needed to store `count` elements in the flatbuffer encoding.
    pub fn fbs_byte_len(self, count: usize) -> Option<usize> {
        match self.fbs_elem_size() {
            Some(s) => count.checked_mul(s),
            None => Some(count.div_ceil(2)),
        }
    }

    /// True for the integer types (not bool, not shape).
    pub fn is_int(self) -> bool {
        matches!(self, DType::Int4 | DType::Int8 | DType::Int16 | DType::Int32 | DType::Int48)
    }

    /// True for the floating-point types.
    pub fn is_float(self) -> bool {
        matches!(self, DType::Fp16 | DType::Bf16 | DType::Fp32)
    }

    /// Bit width of an integer type.
    pub fn int_bits(self) -> Option<u32> {
        match self {
            DType::Int4 => Some(4),
            DType::Int8 => Some(8),
            DType::Int16 => Some(16),
            DType::Int32 => Some(32),
            DType::Int48 => Some(48),
            _ => None,
        }
    }

    /// Signed range `[min, max]` of an integer type.
    pub fn int_range(self) -> Option<(i64, i64)> {
        let bits = self.int_bits()?;
        Some((-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1))
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// RESCALE rounding, with the flatbuffer/spec numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RoundingMode {
    /// Round half towards +infinity after the shift (value 1).
    SingleRound,
    /// Inexact rounding within an error bound (value 2, EXT-INEXACTROUND).
    InexactRound,
    /// gemmlowp-style double rounding for shifts above 31 (value 3, EXT-DOUBLEROUND).
    DoubleRound,
}

impl RoundingMode {
    /// Value in `tosa.fbs` and in the specification.
    pub fn to_fbs(self) -> u32 {
        match self {
            RoundingMode::SingleRound => 1,
            RoundingMode::InexactRound => 2,
            RoundingMode::DoubleRound => 3,
        }
    }

    /// Inverse of [`RoundingMode::to_fbs`].
    pub fn from_fbs(v: u32) -> Option<Self> {
        match v {
            1 => Some(RoundingMode::SingleRound),
            2 => Some(RoundingMode::InexactRound),
            3 => Some(RoundingMode::DoubleRound),
            _ => None,
        }
    }

    /// Spec spelling (`SINGLE_ROUND`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RoundingMode::SingleRound => "SINGLE_ROUND",
            RoundingMode::InexactRound => "INEXACT_ROUND",
            RoundingMode::DoubleRound => "DOUBLE_ROUND",
        }
    }
}

/// NaN handling of min/max style operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NanMode {
    /// A NaN operand gives NaN (value 1).
    Propagate,
    /// A NaN operand is ignored (value 2).
    Ignore,
}

impl NanMode {
    /// Value in `tosa.fbs` and in the specification.
    pub fn to_fbs(self) -> u32 {
        match self {
            NanMode::Propagate => 1,
            NanMode::Ignore => 2,
        }
    }

    /// Inverse of [`NanMode::to_fbs`].
    pub fn from_fbs(v: u32) -> Option<Self> {
        match v {
            1 => Some(NanMode::Propagate),
            2 => Some(NanMode::Ignore),
            _ => None,
        }
    }

    /// Spec spelling.
    pub fn name(self) -> &'static str {
        match self {
            NanMode::Propagate => "PROPAGATE",
            NanMode::Ignore => "IGNORE",
        }
    }
}

/// RESIZE interpolation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResizeMode {
    /// Nearest neighbour (value 1).
    Nearest,
    /// Bilinear (value 2).
    Bilinear,
}

impl ResizeMode {
    /// Value in `tosa.fbs` and in the specification.
    pub fn to_fbs(self) -> u32 {
        match self {
            ResizeMode::Nearest => 1,
            ResizeMode::Bilinear => 2,
        }
    }

    /// Inverse of [`ResizeMode::to_fbs`].
    pub fn from_fbs(v: u32) -> Option<Self> {
        match v {
            1 => Some(ResizeMode::Nearest),
            2 => Some(ResizeMode::Bilinear),
            _ => None,
        }
    }

    /// Spec spelling.
    pub fn name(self) -> &'static str {
        match self {
            ResizeMode::Nearest => "NEAREST",
            ResizeMode::Bilinear => "BILINEAR",
        }
    }
}
