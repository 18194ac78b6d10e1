//! `.tosa` flatbuffer reading and writing, in pure Rust.
//!
//! The format is the `tosa.fbs` schema of Arm's serialization library as shipped in PyPI
//! `tosa-tools` 2026.8.0 (the ExecuTorch Arm backend and `model-converter` speak it).
//! Reading goes bytes -> [`schema::FbsGraph`] (wire level, every offset checked) -> IR
//! [`Graph`]; writing goes the other way. Files are read from 1.0 (final or draft) and
//! 1.1-draft tags; written as 1.0.0 final by default.
//!
//! ```
//! use vgforge_tosa::{Builder, DType, Op, Tensor, fbs};
//! let mut b = Builder::new("main");
//! let x = b.add_input("x", DType::Int32, &[1, 4]);
//! let y = b.add_const("y", Tensor::i32(vec![1, 4], vec![1, 2, 3, 4]).unwrap());
//! let s = b.add_op(Op::Add, &[&x, &y], DType::Int32, &[1, 4]);
//! b.set_outputs(&[&s]);
//! let g = b.finish();
//! let bytes = fbs::write(&g).unwrap();
//! assert_eq!(&bytes[4..8], b"TOSA");
//! assert_eq!(fbs::read(&bytes, "<memory>").unwrap(), g);
//! ```

mod attrs;
mod builder;
pub mod conformance;
mod decode;
mod encode;
mod from_ir;
pub mod schema;
mod to_ir;
pub mod tools;
mod wire;

use std::io::Write;
use std::path::Path;

pub use decode::FILE_IDENTIFIER;
pub use schema::Version;

use crate::error::{Error, Result};
use crate::ir::Graph;

/// The spec version tag a written file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionTag {
    /// `1.0.0`, not draft: what ExecuTorch's Arm backend (tosa-tools 2026.5) writes.
    #[default]
    V1_0,
    /// `1.1.0 draft`: what tosa-tools 2026.8 and model-converter 0.11 write.
    V1_1Draft,
}

impl VersionTag {
    /// The `Version` table contents.
    pub fn version(self) -> Version {
        match self {
            VersionTag::V1_0 => Version { major: 1, minor: 0, patch: 0, draft: false },
            VersionTag::V1_1Draft => Version { major: 1, minor: 1, patch: 0, draft: true },
        }
    }
}

/// Options of [`write_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Version tag written into the file.
    pub version: VersionTag,
}

/// Reads a `.tosa` flatbuffer; `file` names it in error messages.
pub fn read(bytes: &[u8], file: &str) -> Result<Graph> {
    let raw = decode::decode(bytes, file)?;
    let graph = to_ir::to_ir(&raw, file)?;
    tracing::debug!(file, version = %raw.version, ops = graph.operators.len(), "read .tosa");
    Ok(graph)
}

/// Reads a `.tosa` file from disk.
pub fn read_file(path: impl AsRef<Path>) -> Result<Graph> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read(&bytes, &path.display().to_string())
}

/// Reads only the wire-level structure (no mapping to the IR): for tools and tests that
/// want to look at what a file holds, unsupported operators included.
pub fn read_raw(bytes: &[u8], file: &str) -> Result<schema::FbsGraph> {
    decode::decode(bytes, file)
}

/// Serializes a wire-level structure as is.
pub fn write_raw(graph: &schema::FbsGraph) -> Vec<u8> {
    encode::encode(graph)
}

/// Serializes `graph` tagged as TOSA 1.0.0.
///
/// Fails when a constant's data does not match its declared type and shape, or when the
/// graph is too large for a flatbuffer (2 GiB of constants).
pub fn write(graph: &Graph) -> Result<Vec<u8>> {
    write_with(graph, &WriteOptions::default())
}

/// Serializes `graph` with explicit options.
pub fn write_with(graph: &Graph, options: &WriteOptions) -> Result<Vec<u8>> {
    let raw = from_ir::from_ir(graph, options.version.version())?;
    Ok(encode::encode(&raw))
}

/// Writes `graph` to `path` atomically: a temporary file in the same directory is written,
/// synced and renamed over the target, so readers never see a partial file.
pub fn write_file(path: impl AsRef<Path>, graph: &Graph) -> Result<()> {
    write_file_with(path, graph, &WriteOptions::default())
}

/// [`write_file`] with explicit options.
pub fn write_file_with(
    path: impl AsRef<Path>,
    graph: &Graph,
    options: &WriteOptions,
) -> Result<()> {
    let bytes = write_with(graph, options)?;
    write_atomic(path.as_ref(), &bytes)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    // Unique per process and call, so concurrent writers never share a temporary file.
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{}.{}-{n}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}
