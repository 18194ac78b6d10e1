//! The `.graph` file: a fixed header followed by a bincode payload.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "VGFGRAPH"
//! 8       2     format major version (u16 LE); readers reject other majors
//! 10      2     format minor version (u16 LE); additive changes only
//! 12      8     payload length in bytes (u64 LE)
//! 20      4     CRC-32 (IEEE) of the payload (u32 LE)
//! 24      ...   payload: bincode 2 (standard config) of `Graph`
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Graph, Result};

pub const MAGIC: &[u8; 8] = b"VGFGRAPH";
pub const VERSION_MAJOR: u16 = 1;
pub const VERSION_MINOR: u16 = 0;
pub const HEADER_LEN: usize = 24;

/// Upper bound on what the decoder may allocate, so a hostile length field
/// cannot ask for more memory than any real model needs.
const DECODE_LIMIT: usize = 1 << 30;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// Serialises a graph to the bytes of a `.graph` file.
pub fn to_bytes(graph: &Graph) -> Result<Vec<u8>> {
    let payload = bincode::serde::encode_to_vec(graph, config())
        .map_err(|e| Error::Encode { graph: graph.name.clone(), msg: e.to_string() })?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION_MAJOR.to_le_bytes());
    out.extend_from_slice(&VERSION_MINOR.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Parses the bytes of a `.graph` file; `path` only names the file in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Graph> {
    let p = || path.to_path_buf();
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        let found = bytes[..bytes.len().min(MAGIC.len())].to_vec();
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(&found) {
            return Err(truncated(p(), "magic", 0, MAGIC.len(), bytes.len()));
        }
        return Err(Error::BadMagic { path: p(), found, expected: "VGFGRAPH" });
    }
    if bytes.len() < HEADER_LEN {
        return Err(truncated(p(), "header", 0, HEADER_LEN, bytes.len()));
    }
    let major = u16::from_le_bytes([bytes[8], bytes[9]]);
    let minor = u16::from_le_bytes([bytes[10], bytes[11]]);
    if major != VERSION_MAJOR {
        return Err(Error::UnsupportedVersion {
            path: p(),
            major,
            minor,
            supported: VERSION_MAJOR,
        });
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8-byte slice"));
    let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4-byte slice"));
    let have = bytes.len() - HEADER_LEN;
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > have {
        return Err(truncated(p(), "payload", HEADER_LEN, len, have));
    }
    if len < have {
        return Err(Error::TrailingBytes {
            path: p(),
            offset: HEADER_LEN + len,
            extra: have - len,
        });
    }
    let payload = &bytes[HEADER_LEN..];
    let actual = crc32fast::hash(payload);
    if actual != crc {
        return Err(Error::Checksum { path: p(), offset: HEADER_LEN, expected: crc, actual });
    }
    let (graph, used): (Graph, usize) = bincode::serde::decode_from_slice(payload, config())
        .map_err(|e| Error::Decode { path: p(), msg: e.to_string() })?;
    if used != payload.len() {
        return Err(Error::Decode {
            path: p(),
            msg: format!("payload has {} bytes but the graph used {used}", payload.len()),
        });
    }
    graph.validate().map_err(|e| Error::Decode { path: p(), msg: e.to_string() })?;
    Ok(graph)
}

fn truncated(path: PathBuf, what: &'static str, offset: usize, need: usize, have: usize) -> Error {
    Error::Truncated { path, what, offset, need, have }
}

/// Reads and checks a `.graph` file.
pub fn read_file(path: impl AsRef<Path>) -> Result<Graph> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.into(), source })?;
    from_bytes(&bytes, path)
}

/// Writes a `.graph` file atomically: readers never see a half-written file.
pub fn write_file(path: impl AsRef<Path>, graph: &Graph) -> Result<()> {
    let path = path.as_ref();
    graph.validate()?;
    let bytes = to_bytes(graph)?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io { path: path.into(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}
