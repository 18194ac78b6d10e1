//! The `tosa.fbs` schema (PyPI `tosa-tools` 2026.8.0, `bin/tosa.fbs`) as plain Rust data.
//!
//! The flatbuffer is first decoded into these structs, which mirror the tables one to one
//! (slot order = field order in the schema), and only then mapped to the IR. Keeping the
//! two steps apart lets the mapping report IR-level problems (unsupported op, bad data
//! length) separately from wire-level ones (bad offsets).

/// `TosaGraph.version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// `_major`.
    pub major: i32,
    /// `_minor`.
    pub minor: i32,
    /// `_patch`.
    pub patch: i32,
    /// `_draft` (the schema default is `true`).
    pub draft: bool,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.draft {
            f.write_str(" draft")?;
        }
        Ok(())
    }
}

/// `SoftwareVersion` (which library wrote the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftwareVersion {
    /// `_major`.
    pub major: i32,
    /// `_minor`.
    pub minor: i32,
    /// `_micro`.
    pub micro: i32,
    /// `_modifier`.
    pub modifier: Option<String>,
}

/// `TosaGraph`.
#[derive(Debug, Clone, PartialEq)]
pub struct FbsGraph {
    /// Byte offset of the `Version` table (0 when built in memory); for error messages.
    pub version_pos: usize,
    /// Spec version the file claims.
    pub version: Version,
    /// Regions; region 0 block 0 is the main graph.
    pub regions: Vec<FbsRegion>,
    /// `software_version`.
    pub software_version: Option<SoftwareVersion>,
    /// `compatibility.min_reader_version` and `compatibility.features`.
    pub compatibility: Option<(Option<SoftwareVersion>, u64)>,
}

/// `TosaRegion`.
#[derive(Debug, Clone, PartialEq)]
pub struct FbsRegion {
    /// Region name (`main`).
    pub name: String,
    /// Basic blocks.
    pub blocks: Vec<FbsBlock>,
}

/// `TosaBasicBlock`.
#[derive(Debug, Clone, PartialEq)]
pub struct FbsBlock {
    /// Block name.
    pub name: String,
    /// Operators in file order.
    pub operators: Vec<FbsOperator>,
    /// Every tensor of the block (inputs, intermediates, outputs, constants).
    pub tensors: Vec<FbsTensor>,
    /// Graph input tensor names.
    pub inputs: Vec<String>,
    /// Graph output tensor names.
    pub outputs: Vec<String>,
    /// CONST_SHAPE values.
    pub shapes: Vec<FbsShape>,
}

/// `TosaOperator`.
#[derive(Debug, Clone, PartialEq)]
pub struct FbsOperator {
    /// Byte offset of the table (0 when built in memory); for error messages.
    pub pos: usize,
    /// `Op` enum value.
    pub op: u32,
    /// The attribute union.
    pub attribute: Attribute,
    /// Input tensor/shape names, in spec argument order.
    pub inputs: Vec<String>,
    /// Output names.
    pub outputs: Vec<String>,
    /// `location.text`.
    pub location: Option<String>,
}

/// `TosaTensor`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FbsTensor {
    /// Byte offset of the table (0 when built in memory); for error messages.
    pub pos: usize,
    /// Name (SSA value).
    pub name: String,
    /// Dimensions.
    pub shape: Vec<i32>,
    /// `DType` enum value.
    pub dtype: u32,
    /// Raw little-endian data of a constant.
    pub data: Option<Vec<u8>>,
    /// `variable`.
    pub variable: bool,
    /// `is_unranked`.
    pub is_unranked: bool,
    /// `variable_name`.
    pub variable_name: Option<String>,
    /// `offset` of data stored outside the flatbuffer (models over 2 GiB).
    pub offset: u64,
    /// `size` of that external data.
    pub size: u64,
    /// `scale_type` (block-scaled MX types, post-1.0).
    pub scale_type: u32,
    /// `scale_data`.
    pub scale_data: Option<Vec<u8>>,
    /// `block_shape`.
    pub block_shape: u32,
    /// `scale_offset`.
    pub scale_offset: u64,
    /// `scale_size`.
    pub scale_size: u64,
}

/// `TosaShape`: a CONST_SHAPE value.
#[derive(Debug, Clone, PartialEq)]
pub struct FbsShape {
    /// Byte offset of the table (0 when built in memory); for error messages.
    pub pos: usize,
    /// Name.
    pub name: String,
    /// Number of elements.
    pub rank: u32,
    /// int64 little-endian elements.
    pub data: Option<Vec<u8>>,
}

/// One field of an attribute table.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// `int32`.
    I32(i32),
    /// `uint32` enum (DType, NanPropagationMode, RoundingMode, ResizeMode, BlockSize).
    U32(u32),
    /// `bool`.
    Bool(bool),
    /// `[int32]`.
    I32s(Vec<i32>),
    /// `[ubyte]` (8-byte aligned when the schema says `force_align: 8`).
    Bytes(Vec<u8>),
    /// `string`.
    Str(String),
}

/// The `Attribute` union: its type index (equal to the `Op` value; 0 = NONE) and the
/// fields of the table in slot order. Absent fields hold the schema default.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Union type index.
    pub kind: u8,
    /// Field values, one per schema field.
    pub fields: Vec<AttrValue>,
}

impl Attribute {
    /// The attribute table an op code uses, with every field at its default.
    pub fn default_for(kind: u8) -> Attribute {
        let fields = desc(u32::from(kind))
            .map(|d| d.fields.iter().map(|(_, k)| k.default_value()).collect())
            .unwrap_or_default();
        Attribute { kind, fields }
    }
}

/// Field kinds that occur in attribute tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum K {
    I32,
    U32,
    Bool,
    I32s,
    Bytes,
    /// `[ubyte] (force_align: 8)`.
    Bytes8,
    Str,
}

impl K {
    pub(crate) fn default_value(self) -> AttrValue {
        match self {
            K::I32 => AttrValue::I32(0),
            K::U32 => AttrValue::U32(0),
            K::Bool => AttrValue::Bool(false),
            K::I32s => AttrValue::I32s(Vec::new()),
            K::Bytes | K::Bytes8 => AttrValue::Bytes(Vec::new()),
            K::Str => AttrValue::Str(String::new()),
        }
    }
}

/// What the schema says about one op code: its name, attribute table and fields.
pub(crate) struct Desc {
    pub(crate) op: &'static str,
    pub(crate) table: &'static str,
    pub(crate) fields: &'static [(&'static str, K)],
}

/// Schema description of op code `op` (1-based); `None` for UNKNOWN and unknown codes.
pub(crate) fn desc(op: u32) -> Option<&'static Desc> {
    let i = usize::try_from(op).ok()?.checked_sub(1)?;
    DESCS.get(i)
}

/// Name of op code `op` as spelled in the schema.
pub fn op_name(op: u32) -> Option<&'static str> {
    desc(op).map(|d| d.op)
}

/// Op code of a schema name (`CONV2D` -> 3).
pub fn op_code(name: &str) -> Option<u32> {
    DESCS.iter().position(|d| d.op == name).map(|i| i as u32 + 1)
}

/// Op enum (from value 1) and `union Attribute` of `tosa.fbs` 2026.8.0, in schema order:
/// the union index of an op's attribute equals its op value. The field lists copy each
/// attribute table in slot order.
static DESCS: &[Desc] = &[
    Desc {
        op: "ARGMAX",
        table: "ArgMaxAttribute",
        fields: &[("axis", K::I32), ("nan_mode", K::U32)],
    },
    Desc {
        op: "AVG_POOL2D",
        table: "AvgPool2dAttribute",
        fields: &[("kernel", K::I32s), ("stride", K::I32s), ("pad", K::I32s), ("acc_type", K::U32)],
    },
    Desc {
        op: "CONV2D",
        table: "Conv2dAttribute",
        fields: &[
            ("pad", K::I32s),
            ("stride", K::I32s),
            ("dilation", K::I32s),
            ("local_bound", K::Bool),
            ("acc_type", K::U32),
        ],
    },
    Desc {
        op: "CONV3D",
        table: "Conv3dAttribute",
        fields: &[
            ("pad", K::I32s),
            ("stride", K::I32s),
            ("dilation", K::I32s),
            ("local_bound", K::Bool),
            ("acc_type", K::U32),
        ],
    },
    Desc {
        op: "DEPTHWISE_CONV2D",
        table: "DepthwiseConv2dAttribute",
        fields: &[
            ("pad", K::I32s),
            ("stride", K::I32s),
            ("dilation", K::I32s),
            ("local_bound", K::Bool),
            ("acc_type", K::U32),
        ],
    },
    Desc {
        op: "FFT2D",
        table: "FFT2dAttribute",
        fields: &[("inverse", K::Bool), ("local_bound", K::Bool)],
    },
    Desc { op: "MATMUL", table: "MatMulAttribute", fields: &[] },
    Desc {
        op: "MAX_POOL2D",
        table: "MaxPool2dAttribute",
        fields: &[("kernel", K::I32s), ("stride", K::I32s), ("pad", K::I32s), ("nan_mode", K::U32)],
    },
    Desc { op: "RFFT2D", table: "RFFT2dAttribute", fields: &[("local_bound", K::Bool)] },
    Desc {
        op: "TRANSPOSE_CONV2D",
        table: "TransposeConv2dAttribute",
        fields: &[
            ("out_pad", K::I32s),
            ("stride", K::I32s),
            ("local_bound", K::Bool),
            ("acc_type", K::U32),
        ],
    },
    Desc {
        op: "CLAMP",
        table: "ClampAttribute",
        fields: &[("min_val", K::Bytes8), ("max_val", K::Bytes8), ("nan_mode", K::U32)],
    },
    Desc { op: "ERF", table: "ErfAttribute", fields: &[] },
    Desc { op: "SIGMOID", table: "SigmoidAttribute", fields: &[] },
    Desc { op: "TANH", table: "TanhAttribute", fields: &[] },
    Desc { op: "ADD", table: "AddAttribute", fields: &[] },
    Desc {
        op: "ARITHMETIC_RIGHT_SHIFT",
        table: "ArithmeticRightShiftAttribute",
        fields: &[("round", K::Bool)],
    },
    Desc { op: "BITWISE_AND", table: "BitwiseAndAttribute", fields: &[] },
    Desc { op: "BITWISE_OR", table: "BitwiseOrAttribute", fields: &[] },
    Desc { op: "BITWISE_XOR", table: "BitwiseXorAttribute", fields: &[] },
    Desc { op: "INTDIV", table: "IntDivAttribute", fields: &[] },
    Desc { op: "LOGICAL_AND", table: "LogicalAndAttribute", fields: &[] },
    Desc { op: "LOGICAL_LEFT_SHIFT", table: "LogicalLeftShiftAttribute", fields: &[] },
    Desc { op: "LOGICAL_RIGHT_SHIFT", table: "LogicalRightShiftAttribute", fields: &[] },
    Desc { op: "LOGICAL_OR", table: "LogicalOrAttribute", fields: &[] },
    Desc { op: "LOGICAL_XOR", table: "LogicalXorAttribute", fields: &[] },
    Desc { op: "MAXIMUM", table: "MaximumAttribute", fields: &[("nan_mode", K::U32)] },
    Desc { op: "MINIMUM", table: "MinimumAttribute", fields: &[("nan_mode", K::U32)] },
    Desc { op: "MUL", table: "MulAttribute", fields: &[] },
    Desc { op: "POW", table: "PowAttribute", fields: &[] },
    Desc { op: "SUB", table: "SubAttribute", fields: &[] },
    Desc { op: "TABLE", table: "TableAttribute", fields: &[] },
    Desc { op: "ABS", table: "AbsAttribute", fields: &[] },
    Desc { op: "BITWISE_NOT", table: "BitwiseNotAttribute", fields: &[] },
    Desc { op: "CEIL", table: "CeilAttribute", fields: &[] },
    Desc { op: "CLZ", table: "ClzAttribute", fields: &[] },
    Desc { op: "COS", table: "CosAttribute", fields: &[] },
    Desc { op: "EXP", table: "ExpAttribute", fields: &[] },
    Desc { op: "FLOOR", table: "FloorAttribute", fields: &[] },
    Desc { op: "LOG", table: "LogAttribute", fields: &[] },
    Desc { op: "LOGICAL_NOT", table: "LogicalNotAttribute", fields: &[] },
    Desc { op: "NEGATE", table: "NegateAttribute", fields: &[] },
    Desc { op: "RECIPROCAL", table: "ReciprocalAttribute", fields: &[] },
    Desc { op: "RSQRT", table: "RsqrtAttribute", fields: &[] },
    Desc { op: "SIN", table: "SinAttribute", fields: &[] },
    Desc { op: "SELECT", table: "SelectAttribute", fields: &[] },
    Desc { op: "EQUAL", table: "EqualAttribute", fields: &[] },
    Desc { op: "GREATER", table: "GreaterAttribute", fields: &[] },
    Desc { op: "GREATER_EQUAL", table: "GreaterEqualAttribute", fields: &[] },
    Desc { op: "REDUCE_ALL", table: "ReduceAllAttribute", fields: &[("axis", K::I32)] },
    Desc { op: "REDUCE_ANY", table: "ReduceAnyAttribute", fields: &[("axis", K::I32)] },
    Desc {
        op: "REDUCE_MAX",
        table: "ReduceMaxAttribute",
        fields: &[("axis", K::I32), ("nan_mode", K::U32)],
    },
    Desc {
        op: "REDUCE_MIN",
        table: "ReduceMinAttribute",
        fields: &[("axis", K::I32), ("nan_mode", K::U32)],
    },
    Desc { op: "REDUCE_PRODUCT", table: "ReduceProductAttribute", fields: &[("axis", K::I32)] },
    Desc { op: "REDUCE_SUM", table: "ReduceSumAttribute", fields: &[("axis", K::I32)] },
    Desc { op: "CONCAT", table: "ConcatAttribute", fields: &[("axis", K::I32)] },
    Desc { op: "PAD", table: "PadAttribute", fields: &[] },
    Desc { op: "RESHAPE", table: "ReshapeAttribute", fields: &[] },
    Desc { op: "REVERSE", table: "ReverseAttribute", fields: &[("axis", K::I32)] },
    Desc { op: "SLICE", table: "SliceAttribute", fields: &[] },
    Desc { op: "TILE", table: "TileAttribute", fields: &[] },
    Desc { op: "TRANSPOSE", table: "TransposeAttribute", fields: &[("perms", K::I32s)] },
    Desc { op: "GATHER", table: "GatherAttribute", fields: &[] },
    Desc { op: "SCATTER", table: "ScatterAttribute", fields: &[] },
    Desc { op: "RESIZE", table: "ResizeAttribute", fields: &[("mode", K::U32)] },
    Desc { op: "CAST", table: "CastAttribute", fields: &[] },
    Desc {
        op: "RESCALE",
        table: "RescaleAttribute",
        fields: &[
            ("scale32", K::Bool),
            ("rounding_mode", K::U32),
            ("per_channel", K::Bool),
            ("input_unsigned", K::Bool),
            ("output_unsigned", K::Bool),
        ],
    },
    Desc { op: "CONST", table: "ConstAttribute", fields: &[] },
    Desc { op: "IDENTITY", table: "IdentityAttribute", fields: &[] },
    Desc {
        op: "CUSTOM",
        table: "CustomAttribute",
        fields: &[
            ("operator_name", K::Str),
            ("domain_name", K::Str),
            ("implementation_attrs", K::Bytes),
        ],
    },
    Desc {
        op: "COND_IF",
        table: "CondIfAttribute",
        fields: &[("then_graph", K::Str), ("else_graph", K::Str)],
    },
    Desc {
        op: "WHILE_LOOP",
        table: "WhileLoopAttribute",
        fields: &[("cond_graph", K::Str), ("body_graph", K::Str)],
    },
    Desc { op: "VARIABLE", table: "VariableAttribute", fields: &[] },
    Desc { op: "VARIABLE_WRITE", table: "VariableWriteAttribute", fields: &[] },
    Desc { op: "VARIABLE_READ", table: "VariableReadAttribute", fields: &[] },
    Desc { op: "CONST_SHAPE", table: "ConstShapeAttribute", fields: &[] },
    Desc {
        op: "MATMUL_T_BLOCK_SCALED",
        table: "MatMulTBlockScaledAttribute",
        fields: &[("block_size", K::U32)],
    },
    Desc {
        op: "CAST_FROM_BLOCK_SCALED",
        table: "CastFromBlockScaledAttribute",
        fields: &[("block_size", K::U32)],
    },
    Desc {
        op: "CAST_TO_BLOCK_SCALED",
        table: "CastToBlockScaledAttribute",
        fields: &[("block_size", K::U32)],
    },
    Desc { op: "DIM", table: "DimAttribute", fields: &[("axis", K::I32)] },
    Desc { op: "CONCAT_SHAPE", table: "ConcatShapeAttribute", fields: &[] },
    Desc { op: "ADD_SHAPE", table: "AddShapeAttribute", fields: &[] },
    Desc { op: "SUB_SHAPE", table: "SubShapeAttribute", fields: &[] },
    Desc { op: "MUL_SHAPE", table: "MulShapeAttribute", fields: &[] },
    Desc { op: "SLICE_SHAPE", table: "SliceShapeAttribute", fields: &[] },
    Desc { op: "EXP2_SHAPE", table: "Exp2ShapeAttribute", fields: &[] },
    Desc { op: "LOG2_CEIL_SHAPE", table: "Log2CeilShapeAttribute", fields: &[] },
    Desc { op: "LOG2_FLOOR_SHAPE", table: "Log2FloorShapeAttribute", fields: &[] },
    Desc { op: "MAX_SHAPE", table: "MaxShapeAttribute", fields: &[] },
    Desc { op: "MIN_SHAPE", table: "MinShapeAttribute", fields: &[] },
    Desc { op: "MOD_SHAPE", table: "ModShapeAttribute", fields: &[] },
    Desc { op: "DIV_CEIL_SHAPE", table: "DivCeilShapeAttribute", fields: &[] },
    Desc { op: "DIV_FLOOR_SHAPE", table: "DivFloorShapeAttribute", fields: &[] },
    Desc {
        op: "ASSERT_EQUAL_SHAPE",
        table: "AssertEqualShapeAttribute",
        fields: &[("allow_broadcast", K::Bool)],
    },
    Desc {
        op: "CONV2D_BLOCK_SCALED",
        table: "Conv2dBlockScaledAttribute",
        fields: &[("block_size", K::U32)],
    },
    Desc {
        op: "MAX_POOL2D_ADAPTIVE",
        table: "MaxPool2dAdaptiveAttribute",
        fields: &[("nan_mode", K::U32)],
    },
    Desc {
        op: "AVG_POOL2D_ADAPTIVE",
        table: "AvgPool2dAdaptiveAttribute",
        fields: &[("acc_type", K::U32)],
    },
    Desc {
        op: "RESHAPE_BLOCK_SCALED",
        table: "ReshapeBlockScaledAttribute",
        fields: &[("block_size", K::U32)],
    },
    Desc {
        op: "ROW_GATHER_BLOCK_SCALED",
        table: "RowGatherBlockScaledAttribute",
        fields: &[("block_size", K::U32)],
    },
    Desc { op: "ROW_GATHER", table: "RowGatherAttribute", fields: &[] },
    Desc { op: "MATMUL_T", table: "MatMulTAttribute", fields: &[] },
];
