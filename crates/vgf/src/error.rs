//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while writing or reading a VGF file or a SPIR-V graph module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The first four bytes are not a VGF magic number.
    #[error("{path}: header at byte 0: bad magic {found:02x?}, expected \"VGF1\"")]
    BadMagic { path: String, found: [u8; 4] },

    /// A VGF format version this crate does not understand.
    #[error(
        "{path}: header at byte 8: unsupported vgf version {major}.{minor}.{patch} (supported: 0.x up to 0.5)"
    )]
    UnsupportedVersion { path: String, major: u8, minor: u8, patch: u8 },

    /// A container structure (header, section, flatbuffer table, constant record) is malformed.
    #[error("{path}: {section} section at byte {offset}: {field}: {reason}")]
    Malformed { path: String, section: &'static str, offset: u64, field: String, reason: String },

    /// A SPIR-V module is malformed or uses something this crate cannot map to TOSA.
    #[error("{path}: spir-v module {module} at word {word}: {reason}")]
    Spirv { path: String, module: usize, word: usize, reason: String },

    /// The TOSA graph cannot be expressed as a SPIR-V graph module.
    #[error("tosa graph `{graph}`: operator {index} ({op}): {reason}")]
    UnsupportedOp { graph: String, index: usize, op: String, reason: String },

    /// The TOSA graph is inconsistent (a missing tensor, a bad shape, a bad dtype).
    #[error("tosa graph `{graph}`: {what}: {reason}")]
    BadGraph { graph: String, what: String, reason: String },

    /// The container does not describe what was asked of it (no graph module, a dangling index).
    #[error("{path}: {what}: {reason}")]
    Inconsistent { path: String, what: String, reason: String },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
