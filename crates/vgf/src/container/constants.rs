//! The raw constants section, version `CONST00`.
//!
//! `"CONST00\0"`, u64 count, `count` records of {u32 mrt_index, i32 sparsity_dimension,
//! u64 size, u64 offset-from-payload}, then the payload with each entry padded to 8 bytes.

use super::Constant;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"CONST00\0";
const RECORD: usize = 24;

pub(crate) fn encode(constants: &[Constant]) -> Vec<u8> {
    let payload_len: usize = constants.iter().map(|c| c.data.len().next_multiple_of(8)).sum();
    let mut out = Vec::with_capacity(16 + RECORD * constants.len() + payload_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(constants.len() as u64).to_le_bytes());
    let mut offset = 0u64;
    for c in constants {
        out.extend_from_slice(&c.mrt_index.to_le_bytes());
        out.extend_from_slice(&c.sparsity_dimension.to_le_bytes());
        out.extend_from_slice(&(c.data.len() as u64).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset += c.data.len().next_multiple_of(8) as u64;
    }
    for c in constants {
        out.extend_from_slice(&c.data);
        out.resize(out.len().next_multiple_of(8), 0);
    }
    out
}

pub(crate) fn decode(data: &[u8], base: u64, path: &str) -> Result<Vec<Constant>> {
    let err = |pos: usize, field: &str, reason: String| Error::Malformed {
        path: path.to_owned(),
        section: "constants",
        offset: base + pos as u64,
        field: field.to_owned(),
        reason,
    };
    if data.is_empty() {
        return Ok(Vec::new());
    }
    if data.len() < 16 {
        return Err(err(
            0,
            "header",
            format!("section is {} bytes, shorter than its 16-byte header", data.len()),
        ));
    }
    if &data[0..8] != MAGIC {
        return Err(err(
            0,
            "version",
            format!("unknown constants section version {:?}", String::from_utf8_lossy(&data[0..8])),
        ));
    }
    let count = u64::from_le_bytes(data[8..16].try_into().expect("8 bytes"));
    let max = (data.len() - 16) / RECORD;
    if count > max as u64 {
        return Err(err(
            8,
            "count",
            format!(
                "{count} records do not fit in the {} byte section (at most {max})",
                data.len()
            ),
        ));
    }
    let count = count as usize;
    let payload = 16 + RECORD * count;
    let payload_len = (data.len() - payload) as u64;
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let at = 16 + RECORD * k;
        let r = &data[at..at + RECORD];
        let mrt_index = u32::from_le_bytes(r[0..4].try_into().expect("4 bytes"));
        let sparsity_dimension = i32::from_le_bytes(r[4..8].try_into().expect("4 bytes"));
        let size = u64::from_le_bytes(r[8..16].try_into().expect("8 bytes"));
        let offset = u64::from_le_bytes(r[16..24].try_into().expect("8 bytes"));
        let end = offset.checked_add(size).filter(|&e| e <= payload_len);
        let Some(end) = end else {
            return Err(err(
                at + 8,
                &format!("record {k} size/offset"),
                format!(
                    "{size} bytes at payload offset {offset} run past the {payload_len} byte payload"
                ),
            ));
        };
        let start = payload + offset as usize;
        out.push(Constant {
            mrt_index,
            sparsity_dimension,
            data: data[start..payload + end as usize].to_vec(),
        });
    }
    Ok(out)
}
