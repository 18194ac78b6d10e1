//! The VGF container (format 0.5.0, as written by Arm's 0.11.0 tools): its parts, and their
//! encoding to and from bytes.
//!
//! Layout: a 128-byte header with four `{offset, size}` section entries, then three FlatBuffer
//! sections (module table, model sequence, model resource table) and the raw `CONST00` constants
//! section, each starting 8-byte aligned.

mod constants;
mod header;
mod read;
mod tables;
mod write;

pub use read::read_vgf;
pub use write::encode_vgf;

/// `VK_DESCRIPTOR_TYPE_TENSOR_ARM`.
pub const DESCRIPTOR_TYPE_TENSOR_ARM: u32 = 1_000_460_000;
/// The descriptor type model-converter writes for constants (none).
pub const DESCRIPTOR_TYPE_NONE: u32 = u32::MAX;

/// The format version this crate writes.
pub const WRITE_VERSION: Version = Version { major: 0, minor: 5, patch: 0 };

/// A VGF format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
    pub patch: u8,
}

/// What a module or segment runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleType {
    Compute,
    Graph,
}

impl ModuleType {
    fn to_u8(self) -> u8 {
        match self {
            Self::Compute => 0,
            Self::Graph => 1,
        }
    }

    fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Compute),
            1 => Some(Self::Graph),
            _ => None,
        }
    }

    /// The name `vgf_dump` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compute => "COMPUTE",
            Self::Graph => "GRAPH",
        }
    }
}

/// The code stored for a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleCode {
    /// No code stored (the module is provided at run time).
    None,
    /// SPIR-V binary words, starting with the magic number.
    Spirv(Vec<u32>),
    Glsl(String),
    Hlsl(String),
}

/// One entry of the module table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub kind: ModuleType,
    pub name: String,
    pub entry_point: String,
    pub code: ModuleCode,
}

/// A binding number and the model-resource-table entry bound to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindingSlot {
    pub binding: u32,
    pub mrt_index: u32,
}

/// The bindings of one descriptor set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorSetInfo {
    /// Explicit set number; None means "the position in the list".
    pub set_index: Option<u32>,
    pub bindings: Vec<BindingSlot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushConstantRange {
    pub stage_flags: u32,
    pub offset: u32,
    pub size: u32,
}

/// Maps an `OpGraphConstantARM` id to a record of the constants section (format 0.5.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphConstantBinding {
    pub graph_constant_id: u32,
    pub constant_table_index: u32,
}

/// One dispatch of the model sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub kind: ModuleType,
    pub name: String,
    pub module_index: u32,
    pub set_infos: Vec<DescriptorSetInfo>,
    pub inputs: Vec<BindingSlot>,
    pub outputs: Vec<BindingSlot>,
    /// Indices into the constants section.
    pub constants: Vec<u32>,
    pub dispatch_shape: Vec<u32>,
    pub push_constant_ranges: Vec<PushConstantRange>,
    /// None when the file has no `constant_bindings` (before 0.5.0); readers then bind
    /// graph constant id k to `constants[k]`.
    pub constant_bindings: Option<Vec<GraphConstantBinding>>,
}

impl Segment {
    /// The constants-section index that `OpGraphConstantARM <graph_constant_id>` refers to.
    pub fn constant_for(&self, graph_constant_id: u32) -> Option<u32> {
        match &self.constant_bindings {
            Some(b) => b
                .iter()
                .find(|b| b.graph_constant_id == graph_constant_id)
                .map(|b| b.constant_table_index),
            None => self.constants.get(graph_constant_id as usize).copied(),
        }
    }
}

/// The model sequence: segments and the model's own inputs and outputs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelSequence {
    pub segments: Vec<Segment>,
    pub inputs: Vec<BindingSlot>,
    pub outputs: Vec<BindingSlot>,
    /// Empty when the file stores no names.
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
}

/// What a model-resource-table entry is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceCategory {
    Input,
    Output,
    Intermediate,
    Constant,
}

impl ResourceCategory {
    fn to_u8(self) -> u8 {
        match self {
            Self::Input => 0,
            Self::Output => 1,
            Self::Intermediate => 2,
            Self::Constant => 3,
        }
    }

    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Input,
            1 => Self::Output,
            2 => Self::Intermediate,
            3 => Self::Constant,
            _ => return None,
        })
    }

    /// The name `vgf_dump` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "INPUT",
            Self::Output => "OUTPUT",
            Self::Intermediate => "INTERMEDIATE",
            Self::Constant => "CONSTANT",
        }
    }
}

/// One entry of the model resource table (a tensor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// A `VkDescriptorType`, or [`DESCRIPTOR_TYPE_NONE`].
    pub descriptor_type: u32,
    /// A `VkFormat`, see [`crate::format`].
    pub format: u32,
    pub category: ResourceCategory,
    pub shape: Vec<i64>,
    /// Empty means packed row-major.
    pub strides: Vec<i64>,
    /// None when the resource aliases nothing.
    pub alias_group_id: Option<u32>,
}

/// One record of the constants section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    /// The model-resource-table entry describing the data (shape, format).
    pub mrt_index: u32,
    /// -1 for dense data.
    pub sparsity_dimension: i32,
    /// Raw little-endian bytes, row-major in the resource's shape.
    pub data: Vec<u8>,
}

/// A whole VGF file, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VgfFile {
    pub version: Version,
    pub vk_header_version: u16,
    pub modules: Vec<Module>,
    pub sequence: ModelSequence,
    pub resources: Vec<Resource>,
    pub constants: Vec<Constant>,
}
