//! Test helpers: fixture paths and a reader for numpy `.npz` files (uncompressed zip).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use vgforge_tosa::npy::{self, NpyArray};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/quant").join(name)
}

fn u16_at(b: &[u8], o: usize) -> usize {
    usize::from(u16::from_le_bytes([b[o], b[o + 1]]))
}

fn u32_at(b: &[u8], o: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]))
}

/// Every `NAME.npy` member of an `.npz` written by `np.savez` (stored, possibly zip64).
pub fn read_npz(path: &std::path::Path) -> HashMap<String, NpyArray> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = HashMap::new();
    let mut o = 0;
    while o + 30 <= b.len() && u32_at(&b, o) == 0x0403_4b50 {
        let method = u16_at(&b, o + 8);
        assert_eq!(
            method,
            0,
            "{}: only stored (uncompressed) members are supported",
            path.display()
        );
        let mut csize = u32_at(&b, o + 18);
        let name_len = u16_at(&b, o + 26);
        let extra_len = u16_at(&b, o + 28);
        let name = String::from_utf8_lossy(&b[o + 30..o + 30 + name_len]).into_owned();
        let extra = &b[o + 30 + name_len..o + 30 + name_len + extra_len];
        if csize == 0xffff_ffff {
            // Zip64 extended information: header id 1, then uncompressed and compressed sizes.
            let mut e = 0;
            while e + 4 <= extra.len() {
                let id = u16_at(extra, e);
                let len = u16_at(extra, e + 2);
                if id == 1 {
                    csize = u64::from_le_bytes(extra[e + 12..e + 20].try_into().unwrap());
                }
                e += 4 + len;
            }
        }
        let start = o + 30 + name_len + extra_len;
        let end = start + csize as usize;
        let arr = npy::parse(&b[start..end], &name).unwrap();
        out.insert(name.trim_end_matches(".npy").to_string(), arr);
        o = end;
    }
    assert!(!out.is_empty(), "{}: no members", path.display());
    out
}
