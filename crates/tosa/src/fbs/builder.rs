//! A small FlatBuffer writer.
//!
//! The encoder describes the file as a tree of [`Node`]s; [`finish`] lays it out front to
//! back. A parent is written before its children, so every `uoffset` points forward as the
//! format requires, and each vtable sits just before its table (a positive `soffset`).
//! Every field the tree lists is written, even when equal to the schema default: the TOSA
//! `Version` defaults `_draft` to true, and readers differ in how they treat absent fields.

use std::borrow::Cow;

/// One object of the tree to serialize.
pub(crate) enum Node<'a> {
    /// A table: `(slot, value)` pairs, slot = field index in the schema.
    Table(Vec<(u16, Value<'a>)>),
    String(Cow<'a, str>),
    /// A `[ubyte]` vector whose first element is aligned to `align` bytes (`force_align`).
    Bytes {
        data: Cow<'a, [u8]>,
        align: usize,
    },
    I32s(Vec<i32>),
    /// A vector of offsets to tables or strings.
    Vector(Vec<Node<'a>>),
}

/// A table field.
pub(crate) enum Value<'a> {
    Bool(bool),
    U8(u8),
    U32(u32),
    I32(i32),
    U64(u64),
    Ref(Node<'a>),
}

impl Value<'_> {
    /// Inline size; equal to the alignment for every scalar FlatBuffers knows.
    fn size(&self) -> usize {
        match self {
            Value::Bool(_) | Value::U8(_) => 1,
            Value::U32(_) | Value::I32(_) | Value::Ref(_) => 4,
            Value::U64(_) => 8,
        }
    }
}

struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn align(&mut self, align: usize) {
        while !self.buf.len().is_multiple_of(align) {
            self.buf.push(0);
        }
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn patch(&mut self, at: usize, target: usize) {
        let rel = u32::try_from(target - at).expect("flatbuffer larger than 4 GiB");
        self.buf[at..at + 4].copy_from_slice(&rel.to_le_bytes());
    }

    /// Writes `node` and everything below it; returns the position offsets must point to.
    fn node(&mut self, node: &Node<'_>) -> usize {
        match node {
            Node::Table(fields) => self.table(fields),
            Node::String(s) => {
                self.align(4);
                let pos = self.buf.len();
                self.u32(len32(s.len()));
                self.buf.extend_from_slice(s.as_bytes());
                self.buf.push(0);
                pos
            }
            Node::Bytes { data, align } => {
                // The length prefix sits just before the aligned first element.
                let align = (*align).max(4);
                while !(self.buf.len() + 4).is_multiple_of(align) {
                    self.buf.push(0);
                }
                let pos = self.buf.len();
                self.u32(len32(data.len()));
                self.buf.extend_from_slice(data);
                pos
            }
            Node::I32s(v) => {
                self.align(4);
                let pos = self.buf.len();
                self.u32(len32(v.len()));
                for x in v {
                    self.buf.extend_from_slice(&x.to_le_bytes());
                }
                pos
            }
            Node::Vector(items) => {
                self.align(4);
                let pos = self.buf.len();
                self.u32(len32(items.len()));
                let slots = self.buf.len();
                self.buf.resize(slots + 4 * items.len(), 0);
                for (i, item) in items.iter().enumerate() {
                    let target = self.node(item);
                    self.patch(slots + 4 * i, target);
                }
                pos
            }
        }
    }

    fn table(&mut self, fields: &[(u16, Value<'_>)]) -> usize {
        // Largest fields first keeps the inline part free of padding after the soffset.
        let mut order: Vec<&(u16, Value<'_>)> = fields.iter().collect();
        order.sort_by_key(|(slot, v)| (std::cmp::Reverse(v.size()), *slot));
        let max_align = order.iter().map(|(_, v)| v.size()).max().unwrap_or(4).max(4);
        let mut offsets = Vec::with_capacity(order.len());
        let mut size = 4usize;
        for (_, v) in &order {
            size = size.next_multiple_of(v.size());
            offsets.push(size);
            size += v.size();
        }
        let slot_count = fields.iter().map(|(s, _)| usize::from(*s) + 1).max().unwrap_or(0);
        let mut vtable = vec![0u16; 2 + slot_count];
        vtable[0] = u16::try_from(4 + 2 * slot_count).expect("too many fields");
        vtable[1] = u16::try_from(size).expect("table too large");
        for ((slot, _), off) in order.iter().zip(&offsets) {
            vtable[2 + usize::from(*slot)] = u16::try_from(*off).expect("table too large");
        }

        self.align(2);
        let vt_pos = self.buf.len();
        for e in &vtable {
            self.buf.extend_from_slice(&e.to_le_bytes());
        }
        self.align(max_align);
        let pos = self.buf.len();
        let soff = i32::try_from(pos - vt_pos).expect("vtable too far");
        self.buf.resize(pos + size, 0);
        self.buf[pos..pos + 4].copy_from_slice(&soff.to_le_bytes());
        let mut refs = Vec::new();
        for ((_, v), off) in order.iter().zip(&offsets) {
            let at = pos + off;
            match v {
                Value::Bool(b) => self.buf[at] = u8::from(*b),
                Value::U8(x) => self.buf[at] = *x,
                Value::U32(x) => self.buf[at..at + 4].copy_from_slice(&x.to_le_bytes()),
                Value::I32(x) => self.buf[at..at + 4].copy_from_slice(&x.to_le_bytes()),
                Value::U64(x) => self.buf[at..at + 8].copy_from_slice(&x.to_le_bytes()),
                Value::Ref(n) => refs.push((at, n)),
            }
        }
        for (at, n) in refs {
            let target = self.node(n);
            self.patch(at, target);
        }
        pos
    }
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).expect("flatbuffer vector longer than u32::MAX")
}

/// Serializes `root` as a complete FlatBuffer with the given file identifier.
pub(crate) fn finish(root: &Node<'_>, identifier: &[u8; 4]) -> Vec<u8> {
    let mut w = Writer { buf: Vec::with_capacity(1024) };
    w.u32(0);
    w.buf.extend_from_slice(identifier);
    let pos = w.node(root);
    w.patch(0, pos);
    w.align(8);
    w.buf
}
