//! Verified, zero-copy access to a FlatBuffer.
//!
//! Every accessor checks bounds before it touches a byte, so a hostile file can only ever
//! produce an [`Error::Flatbuffer`], never a panic or an out-of-bounds read. Allocations made
//! from what is read here are charged to a [`Budget`] sized from the file length: shared
//! sub-objects (which FlatBuffers permits) cannot make decoding blow up quadratically.

use std::cell::Cell;

use crate::error::{Error, Result};

/// Decoding may materialize at most this many bytes per input byte (plus a fixed slack).
/// Legitimate files copy each byte about once; the headroom covers per-element overhead
/// (a `String` per name, an `i64` per shape element).
const BUDGET_FACTOR: usize = 16;
const BUDGET_SLACK: usize = 1 << 20;

/// A FlatBuffer held in memory plus the file name used in error messages.
pub(crate) struct Buf<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) file: &'a str,
    budget: Cell<usize>,
}

/// A table located and verified at `pos`: its vtable is in bounds and every field it
/// declares lies inside the table.
#[derive(Clone, Copy)]
pub(crate) struct Table<'b, 'a> {
    buf: &'b Buf<'a>,
    pos: usize,
    vtable: usize,
    vtable_len: usize,
    table_len: usize,
    /// Table name for error messages, e.g. `TosaTensor`.
    pub(crate) name: &'static str,
}

/// A vector whose length prefix and whole body were checked to fit in the buffer.
#[derive(Clone, Copy)]
pub(crate) struct Vector {
    /// Position of the first element (just after the length prefix).
    start: usize,
    len: usize,
}

impl<'a> Buf<'a> {
    pub(crate) fn new(bytes: &'a [u8], file: &'a str) -> Self {
        let budget = bytes.len().saturating_mul(BUDGET_FACTOR).saturating_add(BUDGET_SLACK);
        Buf { bytes, file, budget: Cell::new(budget) }
    }

    pub(crate) fn err(&self, offset: usize, message: impl Into<String>) -> Error {
        Error::Flatbuffer { file: self.file.to_string(), offset, message: message.into() }
    }

    /// Reserves `n` bytes of materialized output; fails once the file has been "read" far
    /// more often than its size allows.
    pub(crate) fn charge(&self, offset: usize, n: usize, what: &str) -> Result<()> {
        let left = self.budget.get();
        if n > left {
            return Err(self.err(
                offset,
                format!(
                    "{what}: decoded size exceeds what a {} byte file can hold",
                    self.bytes.len()
                ),
            ));
        }
        self.budget.set(left - n);
        Ok(())
    }

    fn slice(&self, pos: usize, len: usize, what: &str) -> Result<&'a [u8]> {
        pos.checked_add(len)
            .and_then(|end| self.bytes.get(pos..end))
            .ok_or_else(|| self.err(pos, format!("truncated: {what} needs {len} bytes")))
    }

    pub(crate) fn u8_at(&self, pos: usize, what: &str) -> Result<u8> {
        Ok(self.slice(pos, 1, what)?[0])
    }

    pub(crate) fn u16_at(&self, pos: usize, what: &str) -> Result<u16> {
        let s = self.slice(pos, 2, what)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }

    pub(crate) fn u32_at(&self, pos: usize, what: &str) -> Result<u32> {
        let s = self.slice(pos, 4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    pub(crate) fn u64_at(&self, pos: usize, what: &str) -> Result<u64> {
        let s = self.slice(pos, 8, what)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(s);
        Ok(u64::from_le_bytes(b))
    }

    /// Follows the `uoffset` stored at `pos` (always forward, relative to `pos`).
    fn follow(&self, pos: usize, what: &str) -> Result<usize> {
        let rel = self.u32_at(pos, what)? as usize;
        let target = pos.checked_add(rel).filter(|&t| t < self.bytes.len());
        target.ok_or_else(|| self.err(pos, format!("{what}: offset {rel} points outside the file")))
    }

    /// The root table, after checking the file identifier.
    pub(crate) fn root(&self, identifier: &[u8; 4], name: &'static str) -> Result<Table<'_, 'a>> {
        if self.bytes.len() < 8 {
            return Err(
                self.err(self.bytes.len(), "truncated: a flatbuffer needs at least 8 bytes")
            );
        }
        if &self.bytes[4..8] != identifier {
            return Err(self.err(
                4,
                format!(
                    "bad magic/file identifier {:?}, expected {:?}",
                    String::from_utf8_lossy(&self.bytes[4..8]),
                    String::from_utf8_lossy(identifier)
                ),
            ));
        }
        let pos = self.follow(0, "root table")?;
        self.table(pos, name)
    }

    pub(crate) fn table(&self, pos: usize, name: &'static str) -> Result<Table<'_, 'a>> {
        let soff = self.u32_at(pos, name)? as i32;
        let vtable = i64::try_from(pos).ok().map(|p| p - i64::from(soff));
        let vtable = vtable.and_then(|v| usize::try_from(v).ok()).ok_or_else(|| {
            self.err(pos, format!("{name}: vtable offset {soff} points outside the file"))
        })?;
        let vtable_len = usize::from(self.u16_at(vtable, name)?);
        let table_len = usize::from(self.u16_at(vtable + 2, name)?);
        if vtable_len < 4 || vtable_len % 2 != 0 {
            return Err(self.err(vtable, format!("{name}: bad vtable size {vtable_len}")));
        }
        if table_len < 4 {
            return Err(self.err(vtable, format!("{name}: bad table size {table_len}")));
        }
        self.slice(vtable, vtable_len, name)?;
        self.slice(pos, table_len, name)?;
        Ok(Table { buf: self, pos, vtable, vtable_len, table_len, name })
    }
}

impl<'b, 'a> Table<'b, 'a> {
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Position of field `slot` when present, after checking that `size` bytes fit inside
    /// the table.
    fn field(&self, slot: usize, size: usize, field: &str) -> Result<Option<usize>> {
        let entry = 4 + 2 * slot;
        if entry + 2 > self.vtable_len {
            return Ok(None);
        }
        let off = usize::from(self.buf.u16_at(self.vtable + entry, field)?);
        if off == 0 {
            return Ok(None);
        }
        if off < 4 || off + size > self.table_len {
            return Err(self.buf.err(
                self.pos,
                format!("{}.{field}: field at {off} (+{size}) lies outside the table", self.name),
            ));
        }
        Ok(Some(self.pos + off))
    }

    fn what(&self, field: &str) -> String {
        format!("{}.{field}", self.name)
    }

    pub(crate) fn bool(&self, slot: usize, field: &str, default: bool) -> Result<bool> {
        match self.field(slot, 1, field)? {
            Some(p) => Ok(self.buf.u8_at(p, &self.what(field))? != 0),
            None => Ok(default),
        }
    }

    pub(crate) fn u8(&self, slot: usize, field: &str, default: u8) -> Result<u8> {
        match self.field(slot, 1, field)? {
            Some(p) => self.buf.u8_at(p, &self.what(field)),
            None => Ok(default),
        }
    }

    pub(crate) fn u32(&self, slot: usize, field: &str, default: u32) -> Result<u32> {
        match self.field(slot, 4, field)? {
            Some(p) => self.buf.u32_at(p, &self.what(field)),
            None => Ok(default),
        }
    }

    pub(crate) fn i32(&self, slot: usize, field: &str, default: i32) -> Result<i32> {
        Ok(self.u32(slot, field, default as u32)? as i32)
    }

    pub(crate) fn u64(&self, slot: usize, field: &str, default: u64) -> Result<u64> {
        match self.field(slot, 8, field)? {
            Some(p) => self.buf.u64_at(p, &self.what(field)),
            None => Ok(default),
        }
    }

    /// Position of a present offset field's target.
    fn target(&self, slot: usize, field: &str) -> Result<Option<usize>> {
        match self.field(slot, 4, field)? {
            Some(p) => Ok(Some(self.buf.follow(p, &self.what(field))?)),
            None => Ok(None),
        }
    }

    pub(crate) fn table(
        &self,
        slot: usize,
        field: &str,
        name: &'static str,
    ) -> Result<Option<Table<'b, 'a>>> {
        match self.target(slot, field)? {
            Some(t) => Ok(Some(self.buf.table(t, name)?)),
            None => Ok(None),
        }
    }

    pub(crate) fn string(&self, slot: usize, field: &str) -> Result<Option<String>> {
        match self.target(slot, field)? {
            Some(t) => Ok(Some(read_string(self.buf, t, &self.what(field))?)),
            None => Ok(None),
        }
    }

    pub(crate) fn vector(
        &self,
        slot: usize,
        field: &str,
        elem_size: usize,
    ) -> Result<Option<Vector>> {
        let Some(t) = self.target(slot, field)? else { return Ok(None) };
        let what = self.what(field);
        let len = self.buf.u32_at(t, &what)? as usize;
        let start = t + 4;
        let bytes = len
            .checked_mul(elem_size)
            .filter(|&n| start.checked_add(n).is_some_and(|e| e <= self.buf.bytes.len()));
        if bytes.is_none() {
            return Err(self.buf.err(
                t,
                format!("truncated: {what} has {len} elements of {elem_size} bytes, more than the file holds"),
            ));
        }
        Ok(Some(Vector { start, len }))
    }

    /// A `[ubyte]` vector copied out (charged to the budget).
    pub(crate) fn bytes(&self, slot: usize, field: &str) -> Result<Option<Vec<u8>>> {
        let Some(v) = self.vector(slot, field, 1)? else { return Ok(None) };
        self.buf.charge(v.start, v.len, &self.what(field))?;
        Ok(Some(self.buf.bytes[v.start..v.start + v.len].to_vec()))
    }

    /// An `[int32]` vector copied out; absent reads as empty.
    pub(crate) fn i32s(&self, slot: usize, field: &str) -> Result<Vec<i32>> {
        let Some(v) = self.vector(slot, field, 4)? else { return Ok(Vec::new()) };
        self.buf.charge(v.start, v.len * 4, &self.what(field))?;
        (0..v.len).map(|i| Ok(self.buf.u32_at(v.start + 4 * i, field)? as i32)).collect()
    }

    /// A `[string]` vector; absent reads as empty.
    pub(crate) fn strings(&self, slot: usize, field: &str) -> Result<Vec<String>> {
        let Some(v) = self.vector(slot, field, 4)? else { return Ok(Vec::new()) };
        let what = self.what(field);
        self.buf.charge(v.start, v.len * std::mem::size_of::<String>(), &what)?;
        (0..v.len)
            .map(|i| {
                let t = self.buf.follow(v.start + 4 * i, &what)?;
                read_string(self.buf, t, &format!("{what}[{i}]"))
            })
            .collect()
    }

    /// A `[Table]` vector; absent reads as empty.
    pub(crate) fn tables(
        &self,
        slot: usize,
        field: &str,
        name: &'static str,
    ) -> Result<Vec<Table<'b, 'a>>> {
        let Some(v) = self.vector(slot, field, 4)? else { return Ok(Vec::new()) };
        self.buf.charge(
            v.start,
            v.len * std::mem::size_of::<Table<'_, '_>>(),
            &self.what(field),
        )?;
        (0..v.len)
            .map(|i| {
                let t = self.buf.follow(v.start + 4 * i, &self.what(field))?;
                self.buf.table(t, name)
            })
            .collect()
    }

    pub(crate) fn err(&self, message: impl Into<String>) -> Error {
        self.buf.err(self.pos, message)
    }
}

fn read_string(buf: &Buf<'_>, pos: usize, what: &str) -> Result<String> {
    let len = buf.u32_at(pos, what)? as usize;
    let body = buf.slice(pos + 4, len, what)?;
    buf.charge(pos, len, what)?;
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            Err(buf.err(pos + 4 + e.valid_up_to(), format!("{what}: string is not valid utf-8")))
        }
    }
}
