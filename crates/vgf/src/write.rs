//! TOSA graph → VGF bytes and files.

use std::path::Path;

use vgforge_tosa::Graph;

use crate::container::{
    BindingSlot, Constant, DESCRIPTOR_TYPE_NONE, DESCRIPTOR_TYPE_TENSOR_ARM, DescriptorSetInfo,
    GraphConstantBinding, ModelSequence, Module, ModuleCode, ModuleType, Resource,
    ResourceCategory, Segment, VgfFile, WRITE_VERSION, encode_vgf,
};
use crate::emit::{self, WriteOptions};
use crate::error::{Error, Result};
use crate::format;

/// Builds the container for a graph: one graph module, one segment, the model resource table
/// laid out as model-converter does (constants, then inputs, then outputs), and the constants.
pub fn build_vgf(graph: &Graph, opts: &WriteOptions) -> Result<VgfFile> {
    let m = emit::emit(graph, opts)?;
    let bad = |what: String, dtype: vgforge_tosa::DType| Error::BadGraph {
        graph: graph.name.clone(),
        what,
        reason: format!("element type {dtype} has no vulkan format"),
    };
    let mut resources = Vec::new();
    let mut constants = Vec::new();
    for (k, c) in m.constants.iter().enumerate() {
        let fmt = format::vk_format(c.dtype)
            .ok_or_else(|| bad(format!("graph constant {k}"), c.dtype))?;
        constants.push(Constant {
            mrt_index: resources.len() as u32,
            sparsity_dimension: -1,
            data: c.bytes.clone(),
        });
        resources.push(Resource {
            descriptor_type: DESCRIPTOR_TYPE_NONE,
            format: fmt,
            category: ResourceCategory::Constant,
            shape: c.shape.iter().map(|&d| d as i64).collect(),
            strides: Vec::new(),
            alias_group_id: None,
        });
    }
    let mut slots = Vec::new();
    for (category, list) in
        [(ResourceCategory::Input, &m.inputs), (ResourceCategory::Output, &m.outputs)]
    {
        let mut v = Vec::new();
        for io in list {
            let fmt = format::vk_format(io.dtype)
                .ok_or_else(|| bad(format!("tensor `{}`", io.name), io.dtype))?;
            v.push(BindingSlot {
                binding: (slots.len() + v.len()) as u32,
                mrt_index: resources.len() as u32,
            });
            resources.push(Resource {
                descriptor_type: DESCRIPTOR_TYPE_TENSOR_ARM,
                format: fmt,
                category,
                shape: io.shape.iter().map(|&d| d as i64).collect(),
                strides: Vec::new(),
                alias_group_id: None,
            });
        }
        slots.push(v);
    }
    let [inputs, outputs]: [Vec<BindingSlot>; 2] = slots.try_into().expect("two lists");
    let n_const = m.constants.len() as u32;
    let segment = Segment {
        kind: ModuleType::Graph,
        name: "graph_segment_0".to_owned(),
        module_index: 0,
        set_infos: vec![DescriptorSetInfo {
            set_index: None,
            bindings: inputs.iter().chain(&outputs).copied().collect(),
        }],
        inputs: inputs.clone(),
        outputs: outputs.clone(),
        constants: (0..n_const).collect(),
        dispatch_shape: vec![0, 0, 0],
        push_constant_ranges: Vec::new(),
        constant_bindings: Some(
            (0..n_const)
                .map(|k| GraphConstantBinding { graph_constant_id: k, constant_table_index: k })
                .collect(),
        ),
    };
    Ok(VgfFile {
        version: WRITE_VERSION,
        vk_header_version: 0,
        modules: vec![Module {
            kind: ModuleType::Graph,
            name: m.entry_point.clone(),
            entry_point: m.entry_point,
            code: ModuleCode::Spirv(m.words),
        }],
        sequence: ModelSequence {
            segments: vec![segment],
            inputs,
            outputs,
            input_names: m.inputs.iter().map(|i| i.name.clone()).collect(),
            output_names: m.outputs.iter().map(|o| o.name.clone()).collect(),
        },
        resources,
        constants,
    })
}

/// Writes a TOSA graph as VGF bytes.
pub fn write_vgf(graph: &Graph, opts: &WriteOptions) -> Result<Vec<u8>> {
    Ok(encode_vgf(&build_vgf(graph, opts)?))
}

/// Writes a TOSA graph as a VGF file, atomically (a temporary file in the same directory,
/// then a rename), so readers never see a half-written file.
pub fn write_vgf_file(path: impl AsRef<Path>, graph: &Graph, opts: &WriteOptions) -> Result<()> {
    let bytes = write_vgf(graph, opts)?;
    write_atomic(path.as_ref(), &bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        io(std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"))
    })?;
    let tmp = dir.join(format!(".{}.tmp{}", file_name.to_string_lossy(), std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Reads and decodes a VGF file.
pub fn read_vgf_file(path: impl AsRef<Path>) -> Result<VgfFile> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    crate::container::read_vgf(&bytes, &path.display().to_string())
}
