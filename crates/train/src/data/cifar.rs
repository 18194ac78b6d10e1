//! CIFAR-10 binary format: per record one label byte, then 3×32×32 bytes CHW.

use std::path::Path;

use super::ImageSet;
use crate::{Error, Result};

pub const CHW: [usize; 3] = [3, 32, 32];
const RECORD: usize = 1 + 3 * 32 * 32;

/// Parses one CIFAR-10 binary file's bytes; `path` only names it in errors.
pub fn parse(bytes: &[u8], path: &Path, classes: usize) -> Result<ImageSet> {
    if bytes.is_empty() {
        return Err(Error::Truncated {
            path: path.into(),
            offset: 0,
            what: "a CIFAR-10 record".into(),
            need: RECORD as u64,
            have: 0,
        });
    }
    let whole = bytes.len() / RECORD;
    if !bytes.len().is_multiple_of(RECORD) {
        let offset = whole * RECORD;
        return Err(Error::Truncated {
            path: path.into(),
            offset: offset as u64,
            what: format!("record {whole}"),
            need: RECORD as u64,
            have: (bytes.len() - offset) as u64,
        });
    }
    let mut labels = Vec::with_capacity(whole);
    let mut pixels = Vec::with_capacity(whole * (RECORD - 1));
    for (i, rec) in bytes.chunks_exact(RECORD).enumerate() {
        if usize::from(rec[0]) >= classes {
            return Err(Error::Format {
                path: path.into(),
                offset: (i * RECORD) as u64,
                msg: format!(
                    "record {i} has label {}, but there are only {classes} classes",
                    rec[0]
                ),
            });
        }
        labels.push(rec[0]);
        pixels.extend_from_slice(&rec[1..]);
    }
    Ok(ImageSet { chw: CHW, pixels, labels, classes })
}

pub fn read_file(path: &Path, classes: usize) -> Result<ImageSet> {
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    parse(&bytes, path, classes)
}

/// Reads `data_batch_1.bin`.. (as many as exist, at least the first) and
/// `test_batch.bin` from `dir` or its `cifar-10-batches-bin` subfolder.
pub fn load_dir(dir: &Path) -> Result<(ImageSet, ImageSet)> {
    let dir = if dir.join("data_batch_1.bin").exists() {
        dir.to_path_buf()
    } else {
        dir.join("cifar-10-batches-bin")
    };
    let mut train = read_file(&dir.join("data_batch_1.bin"), 10)?;
    for i in 2..=5 {
        let p = dir.join(format!("data_batch_{i}.bin"));
        if !p.exists() {
            break;
        }
        train.append(read_file(&p, 10)?)?;
    }
    let test = read_file(&dir.join("test_batch.bin"), 10)?;
    Ok((train, test))
}
