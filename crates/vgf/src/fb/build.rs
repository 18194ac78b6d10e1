//! Writes a FlatBuffer from a value tree, front to back.
//!
//! FlatBuffers needs every `uoffset` to point forward, so children are written after their parent
//! (pre-order) and the parent's offset slot is patched once the child's position is known. Each
//! vtable sits directly before its table, which gives the usual positive `soffset`.

/// One field value of a table.
#[derive(Debug, Clone)]
pub(crate) enum Field {
    U8(u8),
    U32(u32),
    Table(Table),
    Str(String),
    VecU32(Vec<u32>),
    VecI64(Vec<i64>),
    VecTable(Vec<Table>),
    VecStr(Vec<String>),
}

/// A table under construction: fields by vtable slot. Absent slots take the schema default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    fields: Vec<(u16, Field)>,
}

impl Table {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a field; slots must be unique.
    pub(crate) fn with(mut self, slot: u16, value: Field) -> Self {
        debug_assert!(self.fields.iter().all(|(s, _)| *s != slot), "slot {slot} set twice");
        self.fields.push((slot, value));
        self
    }

    /// Adds a scalar only when it differs from the schema default, as FlatBuffers builders do.
    pub(crate) fn with_u32(self, slot: u16, value: u32, default: u32) -> Self {
        if value == default { self } else { self.with(slot, Field::U32(value)) }
    }

    pub(crate) fn with_u8(self, slot: u16, value: u8, default: u8) -> Self {
        if value == default { self } else { self.with(slot, Field::U8(value)) }
    }
}

/// Serialises `root` as a complete FlatBuffer (root offset first, no file identifier).
pub(crate) fn finish(root: &Table) -> Vec<u8> {
    let mut out = vec![0u8; 4];
    let pos = write_table(&mut out, root);
    patch(&mut out, 0, pos);
    pad_to(&mut out, 4);
    out
}

fn pad_to(out: &mut Vec<u8>, align: usize) {
    while !out.len().is_multiple_of(align) {
        out.push(0);
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn patch(out: &mut [u8], at: usize, target: usize) {
    let rel = u32::try_from(target - at).expect("flatbuffer larger than 4 GiB");
    out[at..at + 4].copy_from_slice(&rel.to_le_bytes());
}

fn inline_size(f: &Field) -> usize {
    match f {
        Field::U8(_) => 1,
        _ => 4,
    }
}

fn write_table(out: &mut Vec<u8>, t: &Table) -> usize {
    // 4-byte fields first, then bytes, so no inline field needs padding.
    let mut order: Vec<usize> = (0..t.fields.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(inline_size(&t.fields[i].1)), t.fields[i].0));
    let mut field_off = vec![0u16; t.fields.len()];
    let mut size = 4usize;
    for &i in &order {
        field_off[i] = size as u16;
        size += inline_size(&t.fields[i].1);
    }
    let table_size = size.next_multiple_of(4);
    let n_slots = t.fields.iter().map(|(s, _)| *s as usize + 1).max().unwrap_or(0);
    let vt_len = 4 + 2 * n_slots;

    // Place the vtable so that the table after it starts 4-aligned.
    pad_to(out, 2);
    if !(out.len() + vt_len).is_multiple_of(4) {
        out.extend_from_slice(&[0, 0]);
    }
    let vt_pos = out.len();
    out.extend_from_slice(&(vt_len as u16).to_le_bytes());
    out.extend_from_slice(&(table_size as u16).to_le_bytes());
    let mut slots = vec![0u16; n_slots];
    for (i, (slot, _)) in t.fields.iter().enumerate() {
        slots[*slot as usize] = field_off[i];
    }
    for s in slots {
        out.extend_from_slice(&s.to_le_bytes());
    }
    let pos = out.len();
    debug_assert!(pos.is_multiple_of(4));
    out.extend_from_slice(&((pos - vt_pos) as i32).to_le_bytes());
    out.resize(pos + table_size, 0);

    let mut pending = Vec::new();
    for (i, (_, f)) in t.fields.iter().enumerate() {
        let at = pos + field_off[i] as usize;
        match f {
            Field::U8(v) => out[at] = *v,
            Field::U32(v) => out[at..at + 4].copy_from_slice(&v.to_le_bytes()),
            _ => pending.push((at, f)),
        }
    }
    for (at, f) in pending {
        let child = write_child(out, f);
        patch(out, at, child);
    }
    pos
}

fn write_child(out: &mut Vec<u8>, f: &Field) -> usize {
    match f {
        Field::U8(_) | Field::U32(_) => unreachable!("scalars are inline"),
        Field::Table(t) => write_table(out, t),
        Field::Str(s) => write_str(out, s),
        Field::VecU32(v) => {
            // 8-aligned payload, as model-converter lays out SPIR-V words.
            pad_to(out, 4);
            if out.len().is_multiple_of(8) {
                put_u32(out, 0);
            }
            let pos = out.len();
            put_u32(out, v.len() as u32);
            for w in v {
                put_u32(out, *w);
            }
            pos
        }
        Field::VecI64(v) => {
            pad_to(out, 4);
            if out.len().is_multiple_of(8) {
                put_u32(out, 0);
            }
            let pos = out.len();
            put_u32(out, v.len() as u32);
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
            pos
        }
        Field::VecTable(ts) => {
            let pos = write_offset_vec(out, ts.len());
            for (k, t) in ts.iter().enumerate() {
                let child = write_table(out, t);
                patch(out, pos + 4 + 4 * k, child);
            }
            pos
        }
        Field::VecStr(ss) => {
            let pos = write_offset_vec(out, ss.len());
            for (k, s) in ss.iter().enumerate() {
                let child = write_str(out, s);
                patch(out, pos + 4 + 4 * k, child);
            }
            pos
        }
    }
}

fn write_offset_vec(out: &mut Vec<u8>, n: usize) -> usize {
    pad_to(out, 4);
    let pos = out.len();
    put_u32(out, n as u32);
    out.resize(out.len() + 4 * n, 0);
    pos
}

fn write_str(out: &mut Vec<u8>, s: &str) -> usize {
    pad_to(out, 4);
    let pos = out.len();
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    pos
}
