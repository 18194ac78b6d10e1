//! How TOSA element types map to SPIR-V scalar types, Vulkan formats and constant bytes.

use vgforge_tosa::{DType, TensorData};

use crate::emit::Elem;

pub const VK_FORMAT_R8_UINT: u32 = 13;
pub const VK_FORMAT_R8_SINT: u32 = 14;
pub const VK_FORMAT_R16_SINT: u32 = 75;
pub const VK_FORMAT_R16_SFLOAT: u32 = 76;
pub const VK_FORMAT_R32_UINT: u32 = 98;
pub const VK_FORMAT_R32_SINT: u32 = 99;
pub const VK_FORMAT_R32_SFLOAT: u32 = 100;
pub const VK_FORMAT_R64_SINT: u32 = 111;
pub const VK_FORMAT_R8_BOOL_ARM: u32 = 1_000_460_000;

/// The `VK_FORMAT_*` name `vgf_dump` prints, or None for formats this crate does not know.
pub fn vk_format_name(format: u32) -> Option<&'static str> {
    Some(match format {
        VK_FORMAT_R8_UINT => "VK_FORMAT_R8_UINT",
        VK_FORMAT_R8_SINT => "VK_FORMAT_R8_SINT",
        VK_FORMAT_R16_SINT => "VK_FORMAT_R16_SINT",
        VK_FORMAT_R16_SFLOAT => "VK_FORMAT_R16_SFLOAT",
        VK_FORMAT_R32_UINT => "VK_FORMAT_R32_UINT",
        VK_FORMAT_R32_SINT => "VK_FORMAT_R32_SINT",
        VK_FORMAT_R32_SFLOAT => "VK_FORMAT_R32_SFLOAT",
        VK_FORMAT_R64_SINT => "VK_FORMAT_R64_SINT",
        VK_FORMAT_R8_BOOL_ARM => "VK_FORMAT_R8_BOOL_ARM",
        _ => return None,
    })
}

/// The Vulkan format of a tensor of `dtype` (SHAPE travels as 32-bit ints, INT48 as 64-bit).
pub fn vk_format(dtype: DType) -> Option<u32> {
    Some(match dtype {
        DType::Bool => VK_FORMAT_R8_BOOL_ARM,
        DType::Int8 => VK_FORMAT_R8_SINT,
        DType::Int16 => VK_FORMAT_R16_SINT,
        DType::Int32 | DType::Shape => VK_FORMAT_R32_SINT,
        DType::Int48 => VK_FORMAT_R64_SINT,
        DType::Fp16 => VK_FORMAT_R16_SFLOAT,
        DType::Fp32 => VK_FORMAT_R32_SFLOAT,
        DType::Int4 | DType::Bf16 => return None,
    })
}

/// The SPIR-V scalar type of `dtype`; None for types the TOSA.001000.1 mapping lacks here.
pub(crate) fn elem(dtype: DType) -> Option<Elem> {
    Some(match dtype {
        DType::Bool => Elem::Bool,
        DType::Int8 => Elem::Int(8),
        DType::Int16 => Elem::Int(16),
        DType::Int32 | DType::Shape => Elem::Int(32),
        DType::Int48 => Elem::Int(64),
        DType::Fp16 => Elem::Float(16),
        DType::Fp32 => Elem::Float(32),
        DType::Int4 | DType::Bf16 => return None,
    })
}

/// The TOSA type of a SPIR-V scalar type (ints are signless; the TOSA integer types are signed).
pub(crate) fn dtype_of(elem: Elem) -> Option<DType> {
    Some(match elem {
        Elem::Bool => DType::Bool,
        Elem::Int(8) => DType::Int8,
        Elem::Int(16) => DType::Int16,
        Elem::Int(32) => DType::Int32,
        Elem::Int(64) => DType::Int48,
        Elem::Float(16) => DType::Fp16,
        Elem::Float(32) => DType::Fp32,
        _ => return None,
    })
}

/// Bytes per element in a VGF constant of `dtype`.
pub(crate) fn vgf_elem_size(dtype: DType) -> Option<usize> {
    Some(match dtype {
        DType::Bool | DType::Int8 => 1,
        DType::Int16 | DType::Fp16 => 2,
        DType::Int32 | DType::Shape | DType::Fp32 => 4,
        DType::Int48 => 8,
        DType::Int4 | DType::Bf16 => return None,
    })
}

/// Raw element bits (zero-extended two's complement); None for unsupported storage, or a
/// SHAPE value outside the 32-bit range SPIR-V carries it in.
pub(crate) fn data_bits(data: &TensorData, dtype: DType) -> Option<Vec<u64>> {
    Some(match data {
        TensorData::Bool(v) => v.iter().map(|&b| u64::from(b)).collect(),
        TensorData::I8(v) if dtype == DType::Int8 => {
            v.iter().map(|&x| u64::from(x as u8)).collect()
        }
        TensorData::I16(v) => v.iter().map(|&x| u64::from(x as u16)).collect(),
        TensorData::I32(v) => v.iter().map(|&x| u64::from(x as u32)).collect(),
        TensorData::I64(v) if dtype == DType::Shape => v
            .iter()
            .map(|&x| i32::try_from(x).ok().map(|x| u64::from(x as u32)))
            .collect::<Option<_>>()?,
        TensorData::I64(v) if dtype == DType::Int48 => v.iter().map(|&x| x as u64).collect(),
        TensorData::F16(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
        TensorData::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
        _ => return None,
    })
}

/// Rebuilds typed data from raw element bits (the inverse of [`data_bits`]).
pub(crate) fn data_from_bits(dtype: DType, bits: &[u64]) -> Option<TensorData> {
    Some(match dtype {
        DType::Bool => TensorData::Bool(bits.iter().map(|&b| b != 0).collect()),
        DType::Int8 => TensorData::I8(bits.iter().map(|&b| b as u8 as i8).collect()),
        DType::Int16 => TensorData::I16(bits.iter().map(|&b| b as u16 as i16).collect()),
        DType::Int32 => TensorData::I32(bits.iter().map(|&b| b as u32 as i32).collect()),
        DType::Shape => TensorData::I64(bits.iter().map(|&b| i64::from(b as u32 as i32)).collect()),
        DType::Int48 => TensorData::I64(bits.iter().map(|&b| b as i64).collect()),
        DType::Fp16 => {
            TensorData::F16(bits.iter().map(|&b| half::f16::from_bits(b as u16)).collect())
        }
        DType::Fp32 => TensorData::F32(bits.iter().map(|&b| f32::from_bits(b as u32)).collect()),
        DType::Int4 | DType::Bf16 => return None,
    })
}

/// Little-endian VGF constant bytes of `bits`.
pub(crate) fn bits_to_bytes(dtype: DType, bits: &[u64]) -> Option<Vec<u8>> {
    let size = vgf_elem_size(dtype)?;
    Some(bits.iter().flat_map(|b| b.to_le_bytes().into_iter().take(size)).collect())
}

/// Element bits of little-endian VGF constant bytes; None when the length is not a whole
/// number of elements.
pub(crate) fn bytes_to_bits(dtype: DType, bytes: &[u8]) -> Option<Vec<u64>> {
    let size = vgf_elem_size(dtype)?;
    if !bytes.len().is_multiple_of(size) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(size)
            .map(|c| {
                let mut b = [0u8; 8];
                b[..size].copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect(),
    )
}
