//! The 128-byte VGF header.

use super::Version;
use crate::error::{Error, Result};

pub(crate) const HEADER_SIZE: usize = 128;
const MAGIC: [u8; 4] = *b"VGF1";
/// The magic number of older files (u32 0xF0E1D2C3 stored little-endian), still accepted by Arm's decoder.
const OLD_MAGIC: [u8; 4] = [0xC3, 0xD2, 0xE1, 0xF0];
pub(crate) const SECTION_ALIGN: u64 = 8;

/// The four sections, in header order.
pub(crate) const SECTION_NAMES: [&str; 4] =
    ["module", "model sequence", "model resource", "constants"];

/// A section entry: where a section lives in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Section {
    pub offset: u64,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub vk_header_version: u16,
    pub version: Version,
    pub sections: [Section; 4],
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut h = [0u8; HEADER_SIZE];
        h[0..4].copy_from_slice(&MAGIC);
        h[4..6].copy_from_slice(&self.vk_header_version.to_le_bytes());
        h[8] = self.version.major;
        h[9] = self.version.minor;
        h[10] = self.version.patch;
        for (k, s) in self.sections.iter().enumerate() {
            let at = 16 + 16 * k;
            h[at..at + 8].copy_from_slice(&s.offset.to_le_bytes());
            h[at + 8..at + 16].copy_from_slice(&s.size.to_le_bytes());
        }
        h
    }

    /// Parses and checks the header against the file length: magic, version, and that each
    /// section is 8-byte aligned, after the header, and inside the file.
    pub(crate) fn decode(bytes: &[u8], path: &str) -> Result<Self> {
        let malformed = |offset: u64, field: &str, reason: String| Error::Malformed {
            path: path.to_owned(),
            section: "header",
            offset,
            field: field.to_owned(),
            reason,
        };
        if bytes.len() < HEADER_SIZE {
            return Err(malformed(
                0,
                "header",
                format!(
                    "file is {} bytes, shorter than the {HEADER_SIZE}-byte header",
                    bytes.len()
                ),
            ));
        }
        let magic: [u8; 4] = bytes[0..4].try_into().expect("4 bytes");
        if magic != MAGIC && magic != OLD_MAGIC {
            return Err(Error::BadMagic { path: path.to_owned(), found: magic });
        }
        let version = Version { major: bytes[8], minor: bytes[9], patch: bytes[10] };
        if version.major != 0 || version.minor > 5 {
            return Err(Error::UnsupportedVersion {
                path: path.to_owned(),
                major: version.major,
                minor: version.minor,
                patch: version.patch,
            });
        }
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let mut sections = [Section { offset: 0, size: 0 }; 4];
        let mut prev_end = HEADER_SIZE as u64;
        for (k, name) in SECTION_NAMES.iter().enumerate() {
            let at = 16 + 16 * k;
            let s = Section { offset: u64_at(at), size: u64_at(at + 8) };
            let field = format!("{name} section entry");
            if !s.offset.is_multiple_of(SECTION_ALIGN) {
                return Err(malformed(
                    at as u64,
                    &field,
                    format!("section offset {} is not {SECTION_ALIGN}-byte aligned", s.offset),
                ));
            }
            if s.offset < prev_end {
                return Err(malformed(
                    at as u64,
                    &field,
                    format!(
                        "section offset {} overlaps the header or the previous section (ends at {prev_end})",
                        s.offset
                    ),
                ));
            }
            let end = s.offset.checked_add(s.size).filter(|&e| e <= bytes.len() as u64);
            let Some(end) = end else {
                return Err(malformed(
                    at as u64,
                    &field,
                    format!(
                        "section of {} bytes at offset {} runs past the end of the {} byte file",
                        s.size,
                        s.offset,
                        bytes.len()
                    ),
                ));
            };
            prev_end = end;
            sections[k] = s;
        }
        Ok(Self { vk_header_version: u16::from_le_bytes([bytes[4], bytes[5]]), version, sections })
    }
}
