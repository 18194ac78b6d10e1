//! Decoding a VGF file from bytes, with cross-reference checks.

use super::header::{Header, SECTION_NAMES};
use super::{VgfFile, constants, tables};
use crate::error::{Error, Result};
use crate::fb::Buf;

/// Decodes a VGF file. `path` is used only in error messages.
///
/// Every structure is bounds-checked and every index (module, resource, constant) is checked
/// against what it refers to, so a decoded file can be used without further validation.
pub fn read_vgf(bytes: &[u8], path: &str) -> Result<VgfFile> {
    let header = Header::decode(bytes, path)?;
    let section = |k: usize| {
        let s = header.sections[k];
        Buf {
            data: &bytes[s.offset as usize..(s.offset + s.size) as usize],
            section: SECTION_NAMES[k],
            base: s.offset,
            path,
        }
    };
    let modules = tables::read_modules(&section(0).root("ModuleTable")?)?;
    let sequence = tables::read_sequence(&section(1).root("ModelSequenceTable")?)?;
    let resources = tables::read_resources(&section(2).root("ModelResourceTable")?)?;
    let s = header.sections[3];
    let constants =
        constants::decode(&bytes[s.offset as usize..(s.offset + s.size) as usize], s.offset, path)?;
    let file = VgfFile {
        version: header.version,
        vk_header_version: header.vk_header_version,
        modules,
        sequence,
        resources,
        constants,
    };
    check_references(&file, path)?;
    tracing::debug!(
        path,
        modules = file.modules.len(),
        segments = file.sequence.segments.len(),
        resources = file.resources.len(),
        constants = file.constants.len(),
        "read vgf"
    );
    Ok(file)
}

fn check_references(f: &VgfFile, path: &str) -> Result<()> {
    let bad =
        |what: String, reason: String| Error::Inconsistent { path: path.to_owned(), what, reason };
    let n_res = f.resources.len();
    let check_slot = |what: String, mrt: u32| {
        if mrt as usize >= n_res {
            Err(bad(what, format!("mrt_index {mrt} is out of range ({n_res} resources)")))
        } else {
            Ok(())
        }
    };
    for (k, s) in f.sequence.inputs.iter().enumerate() {
        check_slot(format!("model sequence input {k}"), s.mrt_index)?;
    }
    for (k, s) in f.sequence.outputs.iter().enumerate() {
        check_slot(format!("model sequence output {k}"), s.mrt_index)?;
    }
    for (name, names, n) in [
        ("input_names", &f.sequence.input_names, f.sequence.inputs.len()),
        ("output_names", &f.sequence.output_names, f.sequence.outputs.len()),
    ] {
        if !names.is_empty() && names.len() != n {
            return Err(bad(
                format!("model sequence {name}"),
                format!("{} names for {n} bindings", names.len()),
            ));
        }
    }
    for (i, seg) in f.sequence.segments.iter().enumerate() {
        if seg.module_index as usize >= f.modules.len() {
            return Err(bad(
                format!("segment {i}"),
                format!(
                    "module_index {} is out of range ({} modules)",
                    seg.module_index,
                    f.modules.len()
                ),
            ));
        }
        for s in seg
            .inputs
            .iter()
            .chain(&seg.outputs)
            .chain(seg.set_infos.iter().flat_map(|d| &d.bindings))
        {
            check_slot(format!("segment {i} binding {}", s.binding), s.mrt_index)?;
        }
        let n_const = f.constants.len();
        let out_of_range = |c: u32| c as usize >= n_const;
        if let Some(&c) = seg.constants.iter().find(|&&c| out_of_range(c)) {
            return Err(bad(
                format!("segment {i} constants"),
                format!("index {c} is out of range ({n_const} constants)"),
            ));
        }
        for b in seg.constant_bindings.iter().flatten() {
            if out_of_range(b.constant_table_index) {
                return Err(bad(
                    format!(
                        "segment {i} constant binding for graph constant {}",
                        b.graph_constant_id
                    ),
                    format!(
                        "constant_table_index {} is out of range ({n_const} constants)",
                        b.constant_table_index
                    ),
                ));
            }
        }
    }
    for (k, c) in f.constants.iter().enumerate() {
        check_slot(format!("constant {k}"), c.mrt_index)?;
    }
    Ok(())
}
