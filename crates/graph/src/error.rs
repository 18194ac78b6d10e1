use std::path::PathBuf;

/// Everything that can go wrong reading, writing or checking a graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path}: truncated file: {what} needs {need} bytes at offset {offset}, only {have} present"
    )]
    Truncated { path: PathBuf, what: &'static str, offset: usize, need: usize, have: usize },
    #[error(
        "{path}: not a vgforge graph file (magic {found:02x?} at offset 0, expected {expected:?})"
    )]
    BadMagic { path: PathBuf, found: Vec<u8>, expected: &'static str },
    #[error(
        "{path}: unsupported graph format version {major}.{minor} (this build reads {supported}.x)"
    )]
    UnsupportedVersion { path: PathBuf, major: u16, minor: u16, supported: u16 },
    #[error(
        "{path}: checksum mismatch: header says {expected:08x}, payload at offset {offset} hashes to {actual:08x}"
    )]
    Checksum { path: PathBuf, offset: usize, expected: u32, actual: u32 },
    #[error("{path}: {extra} unexpected bytes after the payload at offset {offset}")]
    TrailingBytes { path: PathBuf, offset: usize, extra: usize },
    #[error("{path}: payload does not decode: {msg}")]
    Decode { path: PathBuf, msg: String },
    #[error("encoding graph '{graph}': {msg}")]
    Encode { graph: String, msg: String },
    #[error("{context}: {msg}")]
    Spec { context: String, msg: String },
    #[error("layer '{node}' ({op}): {msg}")]
    Invalid { node: String, op: &'static str, msg: String },
    #[error("graph '{graph}': {msg}")]
    Graph { graph: String, msg: String },
}

pub type Result<T> = std::result::Result<T, Error>;
