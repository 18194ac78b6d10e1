//! The SPIR-V word layer: opcode numbers, an instruction encoder and a bounds-checked parser.
//!
//! Only what graph modules (SPV_ARM_tensors, SPV_ARM_graph, TOSA.001000.1) need is here;
//! `rspirv::dr::Module` has no graph section, and the encoding is small.

mod encode;
mod parse;
pub mod tosa_ext;

pub(crate) use encode::{Words, string_words};
pub(crate) use parse::{Inst, parse_module};

/// SPIR-V magic number (first word of every module).
pub const MAGIC: u32 = 0x0723_0203;
/// Version word this crate writes: SPIR-V 1.5, as model-converter 0.11.0 does.
pub const VERSION_1_5: u32 = 0x0001_0500;
/// Generator word: tool id 0 ("unregistered"), version 1.
pub const GENERATOR: u32 = 0x0000_0001;

/// Opcode numbers (SPIRV-Headers `spirv.core.grammar.json`).
pub mod op {
    pub const NOP: u16 = 0;
    pub const SOURCE: u16 = 3;
    pub const SOURCE_EXTENSION: u16 = 4;
    pub const NAME: u16 = 5;
    pub const MEMBER_NAME: u16 = 6;
    pub const STRING: u16 = 7;
    pub const LINE: u16 = 8;
    pub const EXTENSION: u16 = 10;
    pub const EXT_INST_IMPORT: u16 = 11;
    pub const EXT_INST: u16 = 12;
    pub const MEMORY_MODEL: u16 = 14;
    pub const CAPABILITY: u16 = 17;
    pub const TYPE_BOOL: u16 = 20;
    pub const TYPE_INT: u16 = 21;
    pub const TYPE_FLOAT: u16 = 22;
    pub const TYPE_ARRAY: u16 = 28;
    pub const TYPE_STRUCT: u16 = 30;
    pub const TYPE_POINTER: u16 = 32;
    pub const CONSTANT_TRUE: u16 = 41;
    pub const CONSTANT_FALSE: u16 = 42;
    pub const CONSTANT: u16 = 43;
    pub const CONSTANT_COMPOSITE: u16 = 44;
    pub const CONSTANT_NULL: u16 = 46;
    pub const VARIABLE: u16 = 59;
    pub const DECORATE: u16 = 71;
    pub const MEMBER_DECORATE: u16 = 72;
    pub const COMPOSITE_EXTRACT: u16 = 81;
    pub const NO_LINE: u16 = 317;
    pub const MODULE_PROCESSED: u16 = 330;
    pub const TYPE_TENSOR_ARM: u16 = 4163;
    pub const GRAPH_CONSTANT_ARM: u16 = 4181;
    pub const GRAPH_ENTRY_POINT_ARM: u16 = 4182;
    pub const GRAPH_ARM: u16 = 4183;
    pub const GRAPH_INPUT_ARM: u16 = 4184;
    pub const GRAPH_SET_OUTPUT_ARM: u16 = 4185;
    pub const GRAPH_END_ARM: u16 = 4186;
    pub const TYPE_GRAPH_ARM: u16 = 4190;
    pub const CONSTANT_COMPOSITE_REPLICATE_EXT: u16 = 4461;
}

/// Capability numbers.
pub mod cap {
    pub const MATRIX: u32 = 0;
    pub const SHADER: u32 = 1;
    pub const FLOAT16: u32 = 9;
    pub const INT64: u32 = 11;
    pub const INT16: u32 = 22;
    pub const INT8: u32 = 39;
    pub const TENSORS_ARM: u32 = 4174;
    pub const GRAPH_ARM: u32 = 4191;
    pub const VULKAN_MEMORY_MODEL: u32 = 5345;
}

/// Decoration numbers.
pub mod deco {
    pub const BINDING: u32 = 33;
    pub const DESCRIPTOR_SET: u32 = 34;
}

/// Storage class UniformConstant.
pub const STORAGE_UNIFORM_CONSTANT: u32 = 0;
/// Addressing model Logical.
pub const ADDRESSING_LOGICAL: u32 = 0;
/// Memory model Vulkan.
pub const MEMORY_MODEL_VULKAN: u32 = 3;
/// Name of the TOSA extended instruction set.
pub const TOSA_EXT_NAME: &str = "TOSA.001000.1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_nul_terminated_and_padded() {
        assert_eq!(string_words("abc"), vec![u32::from_le_bytes(*b"abc\0")]);
        assert_eq!(string_words("abcd"), vec![u32::from_le_bytes(*b"abcd"), 0]);
        let mut w = Words::default();
        w.inst(op::NAME, &[5]);
        assert_eq!(w.0, vec![(2 << 16) | 5, 5]);
    }

    #[test]
    fn parser_rejects_bad_headers_and_lengths() {
        assert!(parse_module(&[MAGIC, VERSION_1_5, 0]).is_err());
        assert!(parse_module(&[0, VERSION_1_5, 0, 1, 0]).is_err());
        assert!(parse_module(&[MAGIC, 0x0002_0000, 0, 1, 0]).is_err());
        assert!(parse_module(&[MAGIC, VERSION_1_5, 0, 1, 0, 0]).is_err(), "word count 0");
        assert!(
            parse_module(&[MAGIC, VERSION_1_5, 0, 1, 0, (3 << 16) | 17, 1]).is_err(),
            "past the end"
        );
        let (bound, insts) =
            parse_module(&[MAGIC, VERSION_1_5, 0, 9, 0, (2 << 16) | 17, 1]).unwrap();
        assert_eq!((bound, insts.len(), insts[0].opcode, insts[0].word), (9, 1, op::CAPABILITY, 5));
    }

    #[test]
    fn extended_instruction_numbers() {
        assert_eq!(tosa_ext::number("CONV2D"), Some(2));
        assert_eq!(tosa_ext::number("CLAMP"), Some(10));
        assert_eq!(tosa_ext::number("RESCALE"), Some(65));
        assert_eq!(tosa_ext::name(56), Some("RESHAPE"));
        assert_eq!(tosa_ext::name(66), None);
    }
}
