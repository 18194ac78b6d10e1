//! A bounds-checked FlatBuffer reader: every access is checked against the section, and every
//! failure names the section, the absolute file offset and the field.

use crate::error::{Error, Result};

/// One FlatBuffer section of a file, with what is needed to report errors against the file.
#[derive(Clone, Copy)]
pub(crate) struct Buf<'a> {
    pub data: &'a [u8],
    /// Section name used in errors ("module", "model sequence", "model resource").
    pub section: &'static str,
    /// File offset of `data[0]`.
    pub base: u64,
    pub path: &'a str,
}

impl<'a> Buf<'a> {
    pub(crate) fn err(&self, pos: usize, field: &str, reason: impl Into<String>) -> Error {
        Error::Malformed {
            path: self.path.to_owned(),
            section: self.section,
            offset: self.base + pos as u64,
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    fn bytes<const N: usize>(&self, pos: usize, field: &str) -> Result<[u8; N]> {
        pos.checked_add(N)
            .and_then(|end| self.data.get(pos..end))
            .map(|s| s.try_into().expect("slice has length N"))
            .ok_or_else(|| {
                self.err(
                    pos,
                    field,
                    format!("{N} bytes past the end of the {} byte section", self.data.len()),
                )
            })
    }

    fn u16(&self, pos: usize, field: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.bytes(pos, field)?))
    }

    fn u32(&self, pos: usize, field: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes(pos, field)?))
    }

    fn i32(&self, pos: usize, field: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.bytes(pos, field)?))
    }

    /// Follows the `uoffset` stored at `pos`.
    fn follow(&self, pos: usize, field: &str) -> Result<usize> {
        let rel = self.u32(pos, field)? as usize;
        let target = pos.checked_add(rel).filter(|&t| t < self.data.len());
        target
            .ok_or_else(|| self.err(pos, field, format!("offset {rel} points outside the section")))
    }

    /// The root table.
    pub(crate) fn root(self, table: &'static str) -> Result<TableRef<'a>> {
        let pos = self.follow(0, "root offset")?;
        TableRef::at(self, pos, table)
    }

    /// Checks a vector header at `pos` and returns (first element position, length).
    /// Elements are copied out byte-wise, so only the length word must be aligned.
    fn vector(&self, pos: usize, elem: usize, field: &str) -> Result<(usize, usize)> {
        if !pos.is_multiple_of(4) {
            return Err(self.err(pos, field, "vector is not 4-byte aligned"));
        }
        let n = self.u32(pos, field)? as usize;
        let start = pos + 4;
        let end = n.checked_mul(elem).and_then(|b| b.checked_add(start));
        match end {
            Some(end) if end <= self.data.len() => Ok((start, n)),
            _ => Err(self.err(
                pos,
                field,
                format!("vector of {n} elements runs past the end of the section"),
            )),
        }
    }

    fn string_at(&self, pos: usize, field: &str) -> Result<String> {
        let (start, n) = self.vector(pos, 1, field)?;
        if self.data.get(start + n) != Some(&0) {
            return Err(self.err(pos, field, "string is not NUL-terminated"));
        }
        String::from_utf8(self.data[start..start + n].to_vec())
            .map_err(|_| self.err(pos, field, "string is not valid utf-8"))
    }
}

/// A verified table: its vtable lies inside the section and its fields lie inside the table.
#[derive(Clone, Copy)]
pub(crate) struct TableRef<'a> {
    buf: Buf<'a>,
    pos: usize,
    vt: usize,
    vt_len: usize,
    size: usize,
    name: &'static str,
}

impl<'a> TableRef<'a> {
    fn at(buf: Buf<'a>, pos: usize, name: &'static str) -> Result<Self> {
        if !pos.is_multiple_of(4) {
            return Err(buf.err(pos, name, "table is not 4-byte aligned"));
        }
        let soff = buf.i32(pos, name)? as i64;
        let vt = pos as i64 - soff;
        if vt < 0 || vt as usize >= buf.data.len() || vt % 2 != 0 {
            return Err(buf.err(
                pos,
                name,
                format!("vtable offset {soff} points outside the section"),
            ));
        }
        let vt = vt as usize;
        let vt_len = buf.u16(vt, name)? as usize;
        let size = buf.u16(vt + 2, name)? as usize;
        if vt_len < 4 || !vt_len.is_multiple_of(2) || vt + vt_len > buf.data.len() {
            return Err(buf.err(vt, name, format!("bad vtable length {vt_len}")));
        }
        if size < 4 || pos + size > buf.data.len() {
            return Err(buf.err(
                pos,
                name,
                format!("table of {size} bytes runs past the end of the section"),
            ));
        }
        Ok(Self { buf, pos, vt, vt_len, size, name })
    }

    pub(crate) fn err(&self, field: &str, reason: impl Into<String>) -> Error {
        self.buf.err(self.pos, &format!("{}.{field}", self.name), reason)
    }

    /// Position of the field in `slot`, or None when absent; checks that `width` bytes fit in the table.
    fn field(&self, slot: u16, width: usize, field: &str) -> Result<Option<usize>> {
        let entry = 4 + 2 * slot as usize;
        if entry + 2 > self.vt_len {
            return Ok(None);
        }
        let off = self.buf.u16(self.vt + entry, field)? as usize;
        if off == 0 {
            return Ok(None);
        }
        if off < 4 || off + width > self.size {
            return Err(self.err(
                field,
                format!("field offset {off} lies outside the {} byte table", self.size),
            ));
        }
        let at = self.pos + off;
        if width > 1 && !at.is_multiple_of(width) {
            return Err(self.err(field, format!("field is not {width}-byte aligned")));
        }
        Ok(Some(at))
    }

    pub(crate) fn u8(&self, slot: u16, field: &str, default: u8) -> Result<u8> {
        match self.field(slot, 1, field)? {
            Some(at) => Ok(self.buf.data[at]),
            None => Ok(default),
        }
    }

    pub(crate) fn u32(&self, slot: u16, field: &str, default: u32) -> Result<u32> {
        match self.field(slot, 4, field)? {
            Some(at) => self.buf.u32(at, field),
            None => Ok(default),
        }
    }

    fn target(&self, slot: u16, field: &str) -> Result<Option<usize>> {
        match self.field(slot, 4, field)? {
            Some(at) => {
                let qualified = format!("{}.{field}", self.name);
                self.buf.follow(at, &qualified).map(Some)
            }
            None => Ok(None),
        }
    }

    pub(crate) fn table(
        &self,
        slot: u16,
        field: &str,
        name: &'static str,
    ) -> Result<Option<TableRef<'a>>> {
        match self.target(slot, field)? {
            Some(p) => TableRef::at(self.buf, p, name).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn string(&self, slot: u16, field: &str) -> Result<Option<String>> {
        match self.target(slot, field)? {
            Some(p) => self.buf.string_at(p, &format!("{}.{field}", self.name)).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn vec_u32(&self, slot: u16, field: &str) -> Result<Option<Vec<u32>>> {
        let Some(p) = self.target(slot, field)? else { return Ok(None) };
        let (start, n) = self.buf.vector(p, 4, &format!("{}.{field}", self.name))?;
        let words = self.buf.data[start..start + 4 * n].chunks_exact(4);
        Ok(Some(words.map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()))
    }

    pub(crate) fn vec_i64(&self, slot: u16, field: &str) -> Result<Option<Vec<i64>>> {
        let Some(p) = self.target(slot, field)? else { return Ok(None) };
        let (start, n) = self.buf.vector(p, 8, &format!("{}.{field}", self.name))?;
        let words = self.buf.data[start..start + 8 * n].chunks_exact(8);
        Ok(Some(words.map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()))
    }

    pub(crate) fn vec_tables(
        &self,
        slot: u16,
        field: &str,
        name: &'static str,
    ) -> Result<Option<Vec<TableRef<'a>>>> {
        let Some(p) = self.target(slot, field)? else { return Ok(None) };
        let qualified = format!("{}.{field}", self.name);
        let (start, n) = self.buf.vector(p, 4, &qualified)?;
        (0..n)
            .map(|k| {
                let t = self.buf.follow(start + 4 * k, &qualified)?;
                TableRef::at(self.buf, t, name)
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    pub(crate) fn vec_strings(&self, slot: u16, field: &str) -> Result<Option<Vec<String>>> {
        let Some(p) = self.target(slot, field)? else { return Ok(None) };
        let qualified = format!("{}.{field}", self.name);
        let (start, n) = self.buf.vector(p, 4, &qualified)?;
        (0..n)
            .map(|k| {
                let s = self.buf.follow(start + 4 * k, &qualified)?;
                self.buf.string_at(s, &qualified)
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}
