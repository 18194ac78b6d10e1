//! Instruction encoding: `(word_count << 16) | opcode`, then the operand words.

/// A growing stream of instruction words.
#[derive(Debug, Default, Clone)]
pub(crate) struct Words(pub Vec<u32>);

impl Words {
    pub(crate) fn inst(&mut self, opcode: u16, operands: &[u32]) {
        let count = u32::try_from(operands.len() + 1).ok().filter(|&c| c <= 0xFFFF);
        let count = count.expect("instruction longer than 65535 words");
        self.0.push((count << 16) | u32::from(opcode));
        self.0.extend_from_slice(operands);
    }
}

/// A literal string: UTF-8, NUL-terminated, zero-padded to whole words.
pub(crate) fn string_words(s: &str) -> Vec<u32> {
    let mut bytes = s.as_bytes().to_vec();
    bytes.push(0);
    bytes.resize(bytes.len().next_multiple_of(4), 0);
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
}
