//! Truncated and corrupted files give errors naming what is wrong, never panics.

mod common;

use common::{REFERENCE_VGF, read_fixture};
use vgforge_vgf::{Error, read_vgf};

fn section(bytes: &[u8], k: usize) -> (usize, usize) {
    let at = 16 + 16 * k;
    let off = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let size = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap()) as usize;
    (off, size)
}

/// Reads and, when the container is accepted, lifts; either may fail but must not panic.
fn read_and_lift(bytes: &[u8]) -> Result<(), Error> {
    let f = read_vgf(bytes, "mutant.vgf")?;
    f.to_tosa()?;
    Ok(())
}

#[test]
fn truncation_at_every_section_boundary_is_an_error() {
    for name in REFERENCE_VGF {
        let bytes = read_fixture(name);
        let mut cuts = vec![0, 3, 64, 127, 128];
        for k in 0..4 {
            let (off, size) = section(&bytes, k);
            cuts.extend([off, off + 1, off + size / 2, off + size - 1]);
        }
        for cut in cuts.into_iter().filter(|&c| c < bytes.len()) {
            let err = read_vgf(&bytes[..cut], name).expect_err(&format!("{name} cut at {cut}"));
            let msg = err.to_string();
            assert!(msg.starts_with(name), "{msg}");
        }
    }
}

#[test]
fn header_errors_name_the_field() {
    let bytes = read_fixture("conv_i8.vgf");
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(matches!(read_vgf(&b, "x"), Err(Error::BadMagic { .. })));

    let mut b = bytes.clone();
    b[9] = 6;
    let e = read_vgf(&b, "x").unwrap_err();
    assert!(matches!(e, Error::UnsupportedVersion { major: 0, minor: 6, .. }), "{e}");
    let mut b = bytes.clone();
    b[8] = 1;
    assert!(matches!(read_vgf(&b, "x"), Err(Error::UnsupportedVersion { major: 1, .. })));

    // Misaligned section offset (Arm's decoder: "section alignment invalid (alignment=8)").
    let mut b = bytes.clone();
    let (off, _) = section(&bytes, 3);
    b[64..72].copy_from_slice(&((off + 4) as u64).to_le_bytes());
    let e = read_vgf(&b, "x").unwrap_err().to_string();
    assert!(e.contains("constants section entry") && e.contains("aligned"), "{e}");

    // A size past the end of the file.
    let mut b = bytes.clone();
    b[72..80].copy_from_slice(&u64::MAX.to_le_bytes());
    let e = read_vgf(&b, "x").unwrap_err().to_string();
    assert!(e.contains("runs past the end"), "{e}");

    // An older format version is accepted.
    let mut b = bytes.clone();
    b[9] = 4;
    b[10] = 3;
    read_vgf(&b, "x").unwrap();
}

#[test]
fn corrupt_constant_records_are_errors() {
    for name in REFERENCE_VGF {
        let bytes = read_fixture(name);
        let (coff, _) = section(&bytes, 3);
        let count = u64::from_le_bytes(bytes[coff + 8..coff + 16].try_into().unwrap()) as usize;
        for k in 0..count {
            let rec = coff + 16 + 24 * k;
            for (field, at) in [("size", rec + 8), ("offset", rec + 16)] {
                for value in [u64::MAX, 1 << 40, (bytes.len() as u64) * 2] {
                    let mut b = bytes.clone();
                    b[at..at + 8].copy_from_slice(&value.to_le_bytes());
                    let e = read_vgf(&b, name).expect_err("record past the payload").to_string();
                    assert!(e.contains(&format!("record {k} size/offset")), "{field}: {e}");
                }
            }
            // A record pointing at a resource that does not exist.
            let mut b = bytes.clone();
            b[rec..rec + 4].copy_from_slice(&9999u32.to_le_bytes());
            let e = read_vgf(&b, name).expect_err("dangling mrt index").to_string();
            assert!(e.contains(&format!("constant {k}")) && e.contains("mrt_index 9999"), "{e}");
        }
    }
}

#[test]
fn corrupt_count_fields_are_errors() {
    for name in REFERENCE_VGF {
        let bytes = read_fixture(name);
        let (coff, _) = section(&bytes, 3);
        // The constants record count, then every u32 in the flatbuffer sections that holds a
        // small vector length (the only counts those sections have).
        let mut count_fields = vec![coff + 8];
        for k in 0..3 {
            let (off, size) = section(&bytes, k);
            for at in (off..off + size - 3).step_by(4) {
                let v = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
                if (1..=16).contains(&v) {
                    count_fields.push(at);
                }
            }
        }
        for at in count_fields {
            for value in [u32::MAX, 0x7FFF_FFFF, 0x0001_0000] {
                let mut b = bytes.clone();
                b[at..at + 4].copy_from_slice(&value.to_le_bytes());
                // Many of these words are not counts at all; what matters is no panic and no
                // runaway allocation. The constants count must always be rejected.
                let r = read_and_lift(&b);
                if at == coff + 8 {
                    let e = r.expect_err("constants count").to_string();
                    assert!(e.contains("constants section") && e.contains("count"), "{e}");
                }
            }
        }
    }
}

/// xorshift64*: a deterministic mutation source without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn mutation_loop_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut errors = 0usize;
    let mut accepted = 0usize;
    for name in
        ["conv_i8.vgf", "minicnn_i8.vgf", "upscaler_i8.vgf", "handwritten_minicnn_i8_minimal.vgf"]
    {
        let bytes = read_fixture(name);
        for _ in 0..1500 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % b.len() as u64) as usize;
                match rng.next() % 3 {
                    0 => b[at] ^= 1 << (rng.next() % 8),
                    1 => b[at] = rng.next() as u8,
                    _ => b[at] = [0x00, 0xFF, 0x7F, 0x80][(rng.next() % 4) as usize],
                }
            }
            match read_and_lift(&b) {
                Ok(()) => accepted += 1,
                Err(_) => errors += 1,
            }
        }
    }
    println!("mutation loop: {errors} rejected, {accepted} accepted (payload bytes)");
    assert!(errors > 1000, "mutations should mostly be caught: {errors}");
}

#[test]
fn spirv_module_corruption_is_an_error() {
    let f = read_vgf(&read_fixture("minicnn_i8.vgf"), "m").unwrap();
    let vgforge_vgf::container::ModuleCode::Spirv(words) = &f.modules[0].code else { panic!() };
    let mut rng = Rng(7);
    for i in 0..words.len() {
        for value in [0u32, u32::MAX, (rng.next() as u32) | 0xFFFF_0000, words[i] ^ 1] {
            let mut g = f.clone();
            let vgforge_vgf::container::ModuleCode::Spirv(w) = &mut g.modules[0].code else {
                panic!()
            };
            w[i] = value;
            let _ = g.to_tosa();
        }
        let mut g = f.clone();
        let vgforge_vgf::container::ModuleCode::Spirv(w) = &mut g.modules[0].code else { panic!() };
        w.truncate(i);
        assert!(g.to_tosa().is_err(), "module cut at word {i} must not lift");
    }
}
