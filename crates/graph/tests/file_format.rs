//! The `.graph` format: exact round trips and a precise error for each kind of damage.

use std::path::Path;

use vgforge_graph::file::{HEADER_LEN, from_bytes, to_bytes};
use vgforge_graph::spec::ModelSpec;
use vgforge_graph::{Error, Graph, QuantParams, TensorData};

/// The upscaler with deterministic, awkward weights (negative zero, subnormals, extremes).
fn sample_graph() -> Graph {
    let mut g = ModelSpec::builtin("upscaler").unwrap().to_graph(None).unwrap();
    let mut state = 0x9e37_79b9_u32;
    for t in g.tensors.iter_mut().filter(|t| t.name.contains('.')) {
        let vals = (0..t.numel())
            .map(|i| match i % 7 {
                0 => -0.0,
                1 => f32::MIN_POSITIVE / 4.0,
                2 => f32::MAX,
                _ => {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 8) as f32 / (1 << 24) as f32 - 0.5
                }
            })
            .collect();
        t.data = Some(TensorData::F32(vals));
    }
    g.tensor_mut("conv1").unwrap().quant = Some(QuantParams::per_tensor(0.0123, -128, -128, 127));
    g.metadata.insert("producer".into(), "test".into());
    g
}

#[test]
fn round_trip_is_bit_exact() {
    let g = sample_graph();
    let bytes = to_bytes(&g).unwrap();
    let back = from_bytes(&bytes, Path::new("mem.graph")).unwrap();
    assert_eq!(to_bytes(&back).unwrap(), bytes, "re-encoding changed the bytes");
    for (a, b) in g.tensors.iter().zip(&back.tensors) {
        let (Some(TensorData::F32(x)), Some(TensorData::F32(y))) = (&a.data, &b.data) else {
            continue;
        };
        assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()), "{} changed", a.name);
    }
    assert_eq!(back, g);
}

#[test]
fn file_round_trip_is_atomic_and_exact() {
    let dir = std::env::temp_dir().join(format!("vgforge-graph-test-{}", std::process::id()));
    let path = dir.join("m.graph");
    let g = sample_graph();
    vgforge_graph::write_file(&path, &g).unwrap();
    assert_eq!(vgforge_graph::read_file(&path).unwrap(), g);
    let leftovers: Vec<_> =
        std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind: {leftovers:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn err(bytes: &[u8]) -> Error {
    from_bytes(bytes, Path::new("bad.graph")).expect_err("damaged file was accepted")
}

#[test]
fn wrong_magic_is_named() {
    let mut bytes = to_bytes(&sample_graph()).unwrap();
    bytes[0] = b'X';
    let e = err(&bytes);
    assert!(matches!(e, Error::BadMagic { .. }), "{e}");
    assert!(
        e.to_string().contains("bad.graph") && e.to_string().contains("not a vgforge graph"),
        "{e}"
    );
}

#[test]
fn unknown_major_version_is_rejected() {
    let mut bytes = to_bytes(&sample_graph()).unwrap();
    bytes[8] = 2;
    let e = err(&bytes);
    assert!(matches!(e, Error::UnsupportedVersion { major: 2, .. }), "{e}");
    assert!(e.to_string().contains("version 2.0"), "{e}");
}

#[test]
fn newer_minor_version_is_read() {
    let mut bytes = to_bytes(&sample_graph()).unwrap();
    bytes[10] = 7;
    from_bytes(&bytes, Path::new("minor.graph")).unwrap();
}

#[test]
fn flipped_payload_byte_fails_the_checksum() {
    let mut bytes = to_bytes(&sample_graph()).unwrap();
    let mid = HEADER_LEN + (bytes.len() - HEADER_LEN) / 2;
    bytes[mid] ^= 0x40;
    let e = err(&bytes);
    assert!(matches!(e, Error::Checksum { offset: HEADER_LEN, .. }), "{e}");
}

#[test]
fn every_truncation_is_an_error_naming_what_is_missing() {
    let bytes = to_bytes(&sample_graph()).unwrap();
    // Every cut in the header, then a stride through the payload.
    let cuts = (0..HEADER_LEN + 8).chain((HEADER_LEN + 8..bytes.len()).step_by(97));
    for cut in cuts {
        let e = err(&bytes[..cut]);
        assert!(matches!(e, Error::Truncated { .. } | Error::BadMagic { .. }), "cut at {cut}: {e}");
        if cut >= 8 {
            assert!(matches!(e, Error::Truncated { .. }), "cut at {cut}: {e}");
        }
    }
}

#[test]
fn trailing_garbage_is_rejected() {
    let mut bytes = to_bytes(&sample_graph()).unwrap();
    bytes.extend_from_slice(b"junk");
    assert!(matches!(err(&bytes), Error::TrailingBytes { extra: 4, .. }));
}

#[test]
fn valid_checksum_over_garbage_is_a_decode_error() {
    let mut bytes = to_bytes(&sample_graph()).unwrap();
    for b in &mut bytes[HEADER_LEN..] {
        *b = 0xff;
    }
    let crc = crc32fast::hash(&bytes[HEADER_LEN..]);
    bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    assert!(matches!(err(&bytes), Error::Decode { .. }));
}

#[test]
fn inconsistent_graph_is_rejected_on_read_and_write() {
    let mut g = sample_graph();
    g.tensor_mut("conv2.weight").unwrap().shape = vec![32, 32, 3, 2];
    let e = vgforge_graph::write_file(std::env::temp_dir().join("never.graph"), &g).unwrap_err();
    assert!(e.to_string().contains("conv2"), "{e}");
    let bytes = to_bytes(&g).unwrap();
    let e = err(&bytes);
    assert!(e.to_string().contains("conv2"), "{e}");
}
