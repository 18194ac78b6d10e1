//! IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::ImageSet;
use crate::{Error, Result};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// Opens a file, decompressing it when it starts with the gzip magic.
fn open(path: &Path) -> Result<Box<dyn Read>> {
    let mut f = std::fs::File::open(path).map_err(Error::io(path))?;
    let mut head = [0u8; 2];
    let n = f.read(&mut head).map_err(Error::io(path))?;
    let f = std::io::Cursor::new(head[..n].to_vec()).chain(f);
    if n == 2 && head == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::GzDecoder::new(f)))
    } else {
        Ok(Box::new(f))
    }
}

/// Reads exactly `need` bytes, but grows the buffer only as data arrives, so a
/// header that claims a huge size cannot make us allocate it up front.
fn read_exact_bounded(
    r: &mut dyn Read,
    need: usize,
    path: &Path,
    offset: usize,
    what: &str,
) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(need as u64).read_to_end(&mut buf).map_err(Error::io(path))?;
    if buf.len() != need {
        return Err(Error::Truncated {
            path: path.into(),
            offset: (offset + buf.len()) as u64,
            what: what.into(),
            need: need as u64,
            have: buf.len() as u64,
        });
    }
    Ok(buf)
}

fn header(r: &mut dyn Read, path: &Path, magic: u32, ndims: usize) -> Result<Vec<usize>> {
    // The magic comes first so a wrong kind of file is named as such even
    // when it is shorter than this kind's header.
    let m = read_exact_bounded(r, 4, path, 0, "the IDX magic")?;
    let found = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
    if found != magic {
        return Err(Error::BadMagic { path: path.into(), found, expected: magic });
    }
    let head = read_exact_bounded(r, 4 * ndims, path, 4, "the IDX dimensions")?;
    Ok(head
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect())
}

fn expect_end(r: &mut dyn Read, path: &Path, offset: usize) -> Result<()> {
    let mut extra = [0u8; 1];
    match r.read(&mut extra).map_err(Error::io(path))? {
        0 => Ok(()),
        _ => Err(Error::Format {
            path: path.into(),
            offset: offset as u64,
            msg: "trailing bytes after the data".into(),
        }),
    }
}

/// Reads an IDX3 image file: `[count, rows, cols]` u8 images.
pub fn read_images(path: &Path) -> Result<(usize, [usize; 3], Vec<u8>)> {
    let mut r = open(path)?;
    let dims = header(&mut *r, path, IMAGES_MAGIC, 3)?;
    let (n, h, w) = (dims[0], dims[1], dims[2]);
    if h == 0 || w == 0 {
        return Err(Error::Format {
            path: path.into(),
            offset: 8,
            msg: format!("images of {h}×{w} pixels"),
        });
    }
    let need = n.checked_mul(h).and_then(|v| v.checked_mul(w)).ok_or_else(|| Error::Format {
        path: path.into(),
        offset: 4,
        msg: format!("dimensions {n}×{h}×{w} overflow"),
    })?;
    let pixels = read_exact_bounded(&mut *r, need, path, 16, &format!("{n} images of {h}×{w}"))?;
    expect_end(&mut *r, path, 16 + need)?;
    Ok((n, [1, h, w], pixels))
}

/// Reads an IDX1 label file.
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    let mut r = open(path)?;
    let dims = header(&mut *r, path, LABELS_MAGIC, 1)?;
    let labels = read_exact_bounded(&mut *r, dims[0], path, 8, &format!("{} labels", dims[0]))?;
    expect_end(&mut *r, path, 8 + dims[0])?;
    Ok(labels)
}

/// Reads an image file and its label file into one set.
pub fn read_pair(images: &Path, labels: &Path, classes: usize) -> Result<ImageSet> {
    let (n, chw, pixels) = read_images(images)?;
    let lab = read_labels(labels)?;
    if lab.len() != n {
        return Err(Error::Data(format!(
            "{} holds {n} images but {} holds {} labels",
            images.display(),
            labels.display(),
            lab.len()
        )));
    }
    if let Some((i, l)) = lab.iter().enumerate().find(|(_, l)| usize::from(**l) >= classes) {
        return Err(Error::Format {
            path: labels.into(),
            offset: (8 + i) as u64,
            msg: format!("label {l} of item {i} is not below {classes}"),
        });
    }
    Ok(ImageSet { chw, pixels, labels: lab, classes })
}

/// Finds `<stem>-idx3-ubyte`, `<stem>.idx3-ubyte` or either with `.gz`.
fn find(dir: &Path, stem: &str, kind: &str) -> Result<PathBuf> {
    for sep in ["-", "."] {
        for ext in ["", ".gz"] {
            let p = dir.join(format!("{stem}{sep}{kind}-ubyte{ext}"));
            if p.exists() {
                return Ok(p);
            }
        }
    }
    Err(Error::Data(format!("{}: no {stem}-{kind}-ubyte[.gz] file", dir.display())))
}

/// True when `dir` holds an IDX training set.
pub fn detect(dir: &Path) -> bool {
    find(dir, "train-images", "idx3").is_ok()
}

/// Reads `train-*` and `t10k-*` image/label files from `dir`.
pub fn load_dir(dir: &Path) -> Result<(ImageSet, ImageSet)> {
    let train =
        read_pair(&find(dir, "train-images", "idx3")?, &find(dir, "train-labels", "idx1")?, 10)?;
    let test =
        read_pair(&find(dir, "t10k-images", "idx3")?, &find(dir, "t10k-labels", "idx1")?, 10)?;
    Ok((train, test))
}
