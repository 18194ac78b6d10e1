//! A small FlatBuffers layer for the three VGF tables sections.
//!
//! The VGF schema has only a handful of tables, so a hand-written builder and a bounds-checked
//! reader are smaller than a code generator and let every read error name its field and offset.

mod build;
mod read;

pub(crate) use build::{Field, Table, finish};
pub(crate) use read::{Buf, TableRef};

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(data: &[u8]) -> Buf<'_> {
        Buf { data, section: "test", base: 1000, path: "t.vgf" }
    }

    #[test]
    fn every_field_kind_round_trips() {
        let child = Table::new().with(1, Field::U32(7));
        let root = Table::new()
            .with(0, Field::U8(3))
            .with(2, Field::U32(0xDEAD_BEEF))
            .with(3, Field::Str("héllo".into()))
            .with(4, Field::VecU32(vec![1, 2, 3]))
            .with(5, Field::VecI64(vec![-1, i64::MAX]))
            .with(6, Field::VecTable(vec![child.clone(), Table::new()]))
            .with(7, Field::VecStr(vec!["a".into(), String::new()]))
            .with(8, Field::Table(child));
        let bytes = finish(&root);
        let t = buf(&bytes).root("Root").unwrap();
        assert_eq!(t.u8(0, "a", 9).unwrap(), 3);
        assert_eq!(t.u32(1, "absent", 42).unwrap(), 42);
        assert_eq!(t.u32(2, "b", 0).unwrap(), 0xDEAD_BEEF);
        assert_eq!(t.string(3, "c").unwrap().as_deref(), Some("héllo"));
        assert_eq!(t.vec_u32(4, "d").unwrap(), Some(vec![1, 2, 3]));
        assert_eq!(t.vec_i64(5, "e").unwrap(), Some(vec![-1, i64::MAX]));
        let tables = t.vec_tables(6, "f", "Child").unwrap().unwrap();
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].u32(1, "x", 0).unwrap(), 7);
        assert_eq!(tables[1].u32(1, "x", 5).unwrap(), 5);
        assert_eq!(t.vec_strings(7, "g").unwrap(), Some(vec!["a".to_owned(), String::new()]));
        assert_eq!(t.table(8, "h", "Child").unwrap().unwrap().u32(1, "x", 0).unwrap(), 7);
        assert!(t.table(30, "beyond the vtable", "Child").unwrap().is_none());
        // The payload of 8-byte vectors is 8-aligned.
        let pos = bytes.windows(8).position(|w| w == (-1i64).to_le_bytes()).unwrap();
        assert_eq!(pos % 8, 0);
    }

    #[test]
    fn bad_offsets_are_errors_with_file_offsets() {
        let bytes = finish(&Table::new().with(0, Field::Str("x".into())));
        let mut b = bytes.clone();
        b[0..4].copy_from_slice(&1000u32.to_le_bytes());
        let e = buf(&b).root("Root").err().unwrap().to_string();
        assert!(e.contains("t.vgf: test section at byte 1000: root offset"), "{e}");

        // A string length running past the end.
        let mut b = bytes.clone();
        let at = b.len() - 8;
        b[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let t = buf(&b).root("Root").unwrap();
        assert!(t.string(0, "s").is_err());

        // A vtable offset pointing before the section.
        let mut b = bytes;
        let root = u32::from_le_bytes(b[0..4].try_into().unwrap()) as usize;
        b[root..root + 4].copy_from_slice(&i32::MAX.to_le_bytes());
        assert!(buf(&b).root("Root").is_err());
        assert!(buf(&[]).root("Root").is_err());
    }
}
