//! Splitting a SPIR-V binary into instructions, bounds-checked.

use super::MAGIC;

/// One instruction: opcode, operand words and the word offset of its first word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inst<'a> {
    pub opcode: u16,
    pub operands: &'a [u32],
    pub word: usize,
}

impl Inst<'_> {
    /// Operand `k`, or None when the instruction is shorter.
    pub(crate) fn get(&self, k: usize) -> Option<u32> {
        self.operands.get(k).copied()
    }

    /// A literal string starting at operand `k`, and the number of words it used.
    pub(crate) fn string(&self, k: usize) -> Option<(String, usize)> {
        let words = self.operands.get(k..)?;
        let mut bytes = Vec::new();
        for (n, w) in words.iter().enumerate() {
            for b in w.to_le_bytes() {
                if b == 0 {
                    return String::from_utf8(bytes).ok().map(|s| (s, n + 1));
                }
                bytes.push(b);
            }
        }
        None
    }
}

/// Checks the 5-word header and splits the rest into instructions. Returns the id bound too.
pub(crate) fn parse_module(words: &[u32]) -> Result<(u32, Vec<Inst<'_>>), (usize, String)> {
    if words.len() < 5 {
        return Err((
            0,
            format!("module of {} words is shorter than the 5-word header", words.len()),
        ));
    }
    if words[0] != MAGIC {
        return Err((0, format!("bad magic {:#010x}, expected {MAGIC:#010x}", words[0])));
    }
    let version = words[1];
    if version & 0xFF00_00FF != 0 || (version >> 16) != 1 {
        return Err((1, format!("unsupported spir-v version word {version:#010x}")));
    }
    let bound = words[3];
    let mut out = Vec::new();
    let mut at = 5;
    while at < words.len() {
        let first = words[at];
        let count = (first >> 16) as usize;
        let opcode = (first & 0xFFFF) as u16;
        if count == 0 {
            return Err((at, format!("instruction with opcode {opcode} has word count 0")));
        }
        if at + count > words.len() {
            return Err((
                at,
                format!(
                    "instruction with opcode {opcode} and {count} words runs past the end of the module"
                ),
            ));
        }
        out.push(Inst { opcode, operands: &words[at + 1..at + count], word: at });
        at += count;
    }
    Ok((bound, out))
}
