//! Deterministic mutation loop: truncated, bit-flipped and count-inflated versions of the
//! fixtures must give `Ok` or an error, never a panic, and whatever reads back must write
//! and read back unchanged, and the validator must not panic on it.

use vgforge_tosa::{Graph, Profile, fbs, validate};

fn fixture_bytes(name: &str) -> Vec<u8> {
    vgforge_testkit::read_arm_fixture(name).unwrap()
}

/// xorshift64*: a fixed sequence, so a failure reproduces from the printed case number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Default)]
struct Tally {
    ok: usize,
    err: usize,
}

fn check(bytes: &[u8], case: &str, tally: &mut Tally) -> Option<Graph> {
    let result = std::panic::catch_unwind(|| match fbs::read(bytes, case) {
        Ok(g) => {
            // A graph that reads must also write and read back unchanged.
            let again = fbs::write(&g).expect("a graph that was read must write");
            assert_eq!(fbs::read(&again, case).expect("re-read"), g);
            // The validator must cope with whatever the reader lets through.
            let _ = validate(&g, Profile::Both);
            Some(g)
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty());
            None
        }
    });
    match result {
        Ok(Some(g)) => {
            tally.ok += 1;
            Some(g)
        }
        Ok(None) => {
            tally.err += 1;
            None
        }
        Err(_) => panic!("panic on mutated input {case}"),
    }
}

#[test]
fn truncation_at_every_offset() {
    for f in ["minicnn_i8.tosa", "upscaler_i8.tosa"] {
        let bytes = fixture_bytes(f);
        let whole = fbs::read(&bytes, f).unwrap();
        let mut tally = Tally::default();
        for len in 0..bytes.len() {
            if let Some(g) = check(&bytes[..len], &format!("{f}[..{len}]"), &mut tally) {
                // Only trailing padding may be cut without loss.
                assert_eq!(g, whole, "{f}[..{len}] read as a different graph");
                assert!(bytes[len..].iter().all(|&b| b == 0), "{f}[..{len}]");
            }
        }
        assert!(tally.err > bytes.len() - 8, "{f}: {} truncations read", tally.ok);
    }
}

#[test]
fn random_byte_mutations() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for f in ["minicnn_i8.tosa", "upscaler_i8.tosa"] {
        let bytes = fixture_bytes(f);
        let mut tally = Tally::default();
        for case in 0..3000 {
            let mut m = bytes.clone();
            let edits = 1 + rng.below(4);
            for _ in 0..edits {
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] ^= 1 << rng.below(8),
                    1 => m[at] = rng.next() as u8,
                    // Inflate what may be a count or offset to hostile values.
                    _ => {
                        let at = at & !3;
                        let v: u32 = [0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0x0001_0000, 0xFFFF]
                            [rng.below(5)];
                        if at + 4 <= m.len() {
                            m[at..at + 4].copy_from_slice(&v.to_le_bytes());
                        }
                    }
                }
            }
            check(&m, &format!("{f} mutation #{case}"), &mut tally);
        }
        // Both outcomes occur: flips inside constant data stay readable.
        assert!(tally.ok > 0 && tally.err > 0, "{f}: ok {} err {}", tally.ok, tally.err);
    }
}

#[test]
fn every_u32_word_set_to_extremes() {
    let bytes = fixture_bytes("minicnn_i8.tosa");
    let mut tally = Tally::default();
    for at in (0..bytes.len() - 4).step_by(4) {
        for v in [0u32, 0xFFFF_FFFF, 0x8000_0000, 4] {
            let mut m = bytes.clone();
            m[at..at + 4].copy_from_slice(&v.to_le_bytes());
            check(&m, &format!("word {at} = {v:#x}"), &mut tally);
        }
    }
    assert!(tally.err > 0);
}
