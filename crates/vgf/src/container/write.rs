//! Encoding a [`VgfFile`] to bytes.

use super::header::{HEADER_SIZE, Header, SECTION_ALIGN, Section};
use super::{VgfFile, constants, tables};
use crate::fb;

/// Encodes the file: header, the three FlatBuffer sections and `CONST00`, 8-byte aligned.
pub fn encode_vgf(file: &VgfFile) -> Vec<u8> {
    let parts = [
        fb::finish(&tables::module_table(&file.modules)),
        fb::finish(&tables::sequence_table(&file.sequence)),
        fb::finish(&tables::resource_table(&file.resources)),
        constants::encode(&file.constants),
    ];
    let total: usize =
        HEADER_SIZE + parts.iter().map(|p| p.len() + SECTION_ALIGN as usize).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.resize(HEADER_SIZE, 0);
    let mut sections = [Section { offset: 0, size: 0 }; 4];
    for (k, part) in parts.iter().enumerate() {
        out.resize(out.len().next_multiple_of(SECTION_ALIGN as usize), 0);
        sections[k] = Section { offset: out.len() as u64, size: part.len() as u64 };
        out.extend_from_slice(part);
    }
    let header =
        Header { vk_header_version: file.vk_header_version, version: file.version, sections };
    out[..HEADER_SIZE].copy_from_slice(&header.encode());
    out
}
