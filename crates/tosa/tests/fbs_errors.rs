//! Bad `.tosa` files give errors that name the file, the byte offset and what is wrong.

use vgforge_tosa::Error;
use vgforge_tosa::fbs::{self, schema};

fn fixture_bytes(name: &str) -> Vec<u8> {
    vgforge_testkit::read_arm_fixture(name).unwrap()
}

fn upscaler_raw() -> schema::FbsGraph {
    fbs::read_raw(&fixture_bytes("upscaler_i8.tosa"), "up.tosa").unwrap()
}

/// Reads `bytes` expecting a flatbuffer error; returns (offset, message).
fn fails(bytes: &[u8]) -> (usize, String) {
    match fbs::read(bytes, "bad.tosa") {
        Err(e @ Error::Flatbuffer { .. }) => {
            let text = e.to_string();
            assert!(text.starts_with("tosa flatbuffer 'bad.tosa' at offset "), "{text}");
            let Error::Flatbuffer { offset, message, .. } = e else { unreachable!() };
            (offset, message)
        }
        Err(other) => panic!("expected a flatbuffer error, got {other}"),
        Ok(_) => panic!("corrupt file was accepted"),
    }
}

#[test]
fn truncated_file() {
    let bytes = fixture_bytes("upscaler_i8.tosa");
    let (_, m) = fails(&bytes[..5]);
    assert!(m.contains("truncated"), "{m}");
    let (off, m) = fails(&bytes[..bytes.len() / 2]);
    assert!(m.contains("truncated") || m.contains("outside the file"), "{m}");
    assert!(off < bytes.len(), "{off}");
    let (_, m) = fails(&[]);
    assert!(m.contains("truncated"), "{m}");
}

#[test]
fn bad_file_identifier() {
    let mut bytes = fixture_bytes("minicnn_i8.tosa");
    bytes[4..8].copy_from_slice(b"VGF1");
    let (off, m) = fails(&bytes);
    assert_eq!(off, 4);
    assert!(m.contains("bad magic/file identifier \"VGF1\""), "{m}");
}

#[test]
fn unsupported_version() {
    let mut raw = upscaler_raw();
    raw.version = schema::Version { major: 2, minor: 0, patch: 0, draft: false };
    let bytes = fbs::write_raw(&raw);
    let (off, m) = fails(&bytes);
    assert!(m.contains("unsupported version 2.0"), "{m}");
    assert!(off > 8, "offset names the Version table: {off}");
}

#[test]
fn unknown_and_unsupported_op_codes() {
    let mut raw = upscaler_raw();
    let op = &mut raw.regions[0].blocks[0].operators[9];
    op.op = 9999;
    op.attribute = schema::Attribute { kind: 0, fields: vec![] };
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("unknown op code 9999"), "{m}");
    assert!(m.contains("tosa_resize_default"), "names the operator's output: {m}");

    let mut raw = upscaler_raw();
    let op = &mut raw.regions[0].blocks[0].operators[9];
    op.op = schema::op_code("MATMUL_T").unwrap();
    op.attribute = schema::Attribute::default_for(0);
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("unsupported op MATMUL_T (code 100)"), "{m}");

    // An attribute table of another op.
    let mut raw = upscaler_raw();
    let op = &mut raw.regions[0].blocks[0].operators[9];
    op.attribute = schema::Attribute::default_for(schema::op_code("CONCAT").unwrap() as u8);
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("does not belong to this op"), "{m}");
}

#[test]
fn data_size_mismatch() {
    let mut raw = upscaler_raw();
    raw.regions[0].blocks[0].tensors.push(schema::FbsTensor {
        name: "x".into(),
        shape: vec![2, 3],
        dtype: 5,
        data: Some(vec![0; 12]),
        ..Default::default()
    });
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("tensor 'x': data is 12 bytes but shape [2, 3] int32 needs 24"), "{m}");
}

#[test]
fn bad_tensor_declarations() {
    let cases: [(schema::FbsTensor, &str); 4] = [
        (
            schema::FbsTensor {
                name: "n".into(),
                shape: vec![2, -1],
                dtype: 3,
                ..Default::default()
            },
            "negative dimension -1",
        ),
        (
            schema::FbsTensor { name: "m".into(), shape: vec![2], dtype: 18, ..Default::default() },
            "unsupported DType value 18",
        ),
        (
            schema::FbsTensor {
                name: "u".into(),
                dtype: 3,
                is_unranked: true,
                ..Default::default()
            },
            "unranked",
        ),
        (
            schema::FbsTensor {
                name: "o".into(),
                dtype: 3,
                offset: 64,
                size: 8,
                ..Default::default()
            },
            "outside the flatbuffer",
        ),
    ];
    for (t, want) in cases {
        let mut raw = upscaler_raw();
        let name = t.name.clone();
        raw.regions[0].blocks[0].tensors.push(t);
        let (_, m) = fails(&fbs::write_raw(&raw));
        assert!(m.contains(want) && m.contains(&format!("'{name}'")), "{m}");
    }
}

#[test]
fn const_without_data_and_bad_attributes() {
    let mut raw = upscaler_raw();
    let block = &mut raw.regions[0].blocks[0];
    let w = block.tensors.iter_mut().find(|t| t.name == "b__frozen_param1").unwrap();
    w.data = None;
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("CONST output 'b__frozen_param1' has no data"), "{m}");

    let mut raw = upscaler_raw();
    let conv = raw.regions[0].blocks[0].operators.iter_mut().find(|o| o.op == 3).unwrap();
    conv.attribute.fields[0] = schema::AttrValue::I32s(vec![1, 1, 1]);
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("Conv2dAttribute.pad: has 3 values, expected 4"), "{m}");

    let mut raw = upscaler_raw();
    let rescale = raw.regions[0].blocks[0].operators.iter_mut().find(|o| o.op == 66).unwrap();
    rescale.attribute.fields[1] = schema::AttrValue::U32(7);
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("unknown RoundingMode 7"), "{m}");
}

#[test]
fn control_flow_and_missing_version() {
    let mut raw = upscaler_raw();
    let extra = raw.regions[0].blocks[0].clone();
    raw.regions[0].blocks.push(extra);
    let (_, m) = fails(&fbs::write_raw(&raw));
    assert!(m.contains("2 blocks"), "{m}");

    // A root table with an empty vtable: the required `version` is absent.
    let mut bytes = vec![0u8; 16];
    bytes[0..4].copy_from_slice(&12u32.to_le_bytes());
    bytes[4..8].copy_from_slice(b"TOSA");
    bytes[8..10].copy_from_slice(&4u16.to_le_bytes());
    bytes[10..12].copy_from_slice(&4u16.to_le_bytes());
    bytes[12..16].copy_from_slice(&4i32.to_le_bytes());
    let (off, m) = fails(&bytes);
    assert_eq!(off, 12);
    assert!(m.contains("TosaGraph.version: required field is missing"), "{m}");
}

#[test]
fn huge_vector_count() {
    let mut bytes = fixture_bytes("minicnn_i8.tosa");
    // Find the first operator list length (30) and claim 0xFFFF_FFF0 elements instead.
    let at = bytes.windows(4).position(|w| w == 30u32.to_le_bytes()).unwrap();
    bytes[at..at + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let (off, m) = fails(&bytes);
    assert_eq!(off, at);
    assert!(m.contains("more than the file holds"), "{m}");
}

#[test]
fn shared_subobjects_cannot_blow_up_memory() {
    // A file whose tensor list names one 4 KiB constant 200,000 times through shared
    // offsets: under 1 MB of file would decode to 800 MB without the allocation budget.
    let mut raw = upscaler_raw();
    raw.regions[0].blocks[0].tensors = vec![schema::FbsTensor {
        name: "big".into(),
        shape: vec![4096],
        dtype: 3,
        data: Some(vec![1; 4096]),
        ..Default::default()
    }];
    let bytes = fbs::write_raw(&raw);
    let tv = find_tensor_vector(&bytes);
    let field = find_field_pointing_to(&bytes, tv);
    let table = tv + 4 + u32::from_le_bytes(bytes[tv + 4..tv + 8].try_into().unwrap()) as usize;
    let vtable = table - i32::from_le_bytes(bytes[table..table + 4].try_into().unwrap()) as usize;

    let n = 200_000usize;
    let mut evil = bytes.clone();
    evil.resize(evil.len().next_multiple_of(8), 0);
    let vec_at = evil.len();
    let copy_at = (vec_at + 4 + 4 * n).next_multiple_of(8) + vtable % 8;
    let new_table = copy_at + (table - vtable);
    evil.extend_from_slice(&(n as u32).to_le_bytes());
    for i in 0..n {
        let slot = vec_at + 4 + 4 * i;
        evil.extend_from_slice(&((new_table - slot) as u32).to_le_bytes());
    }
    evil.resize(copy_at, 0);
    // Everything inside the tensor is relative, so a byte copy is a valid second tensor.
    evil.extend_from_slice(&bytes[vtable..]);
    evil[field..field + 4].copy_from_slice(&((vec_at - field) as u32).to_le_bytes());
    assert!(evil.len() < 1 << 20);
    match fbs::read(&evil, "evil.tosa") {
        Err(Error::Flatbuffer { message, .. }) => {
            assert!(message.contains("exceeds what a"), "{message}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("shared-offset bomb was accepted"),
    }
    // The same construction with 3 copies is a legal file and reads fine (then fails only
    // because the name is declared three times).
    let mut ok = evil.clone();
    ok[vec_at..vec_at + 4].copy_from_slice(&3u32.to_le_bytes());
    let (_, m) = fails(&ok);
    assert!(m.contains("'big': declared twice"), "{m}");
}

/// Position of the length prefix of the block's tensor vector (1 element) in our output.
fn find_tensor_vector(bytes: &[u8]) -> usize {
    let raw = fbs::read_raw(bytes, "x").unwrap();
    assert_eq!(raw.regions[0].blocks[0].tensors.len(), 1);
    // The tensor vector is the only 1-element offset vector whose target decodes as the
    // "big" tensor; search for a length of 1 followed by an offset to a table with it.
    (0..bytes.len() - 8)
        .step_by(4)
        .find(|&p| {
            u32::from_le_bytes(bytes[p..p + 4].try_into().unwrap()) == 1 && {
                let rel = u32::from_le_bytes(bytes[p + 4..p + 8].try_into().unwrap()) as usize;
                let t = p + 4 + rel;
                t + 4 <= bytes.len() && is_big_tensor(bytes, t)
            }
        })
        .expect("tensor vector")
}

fn is_big_tensor(bytes: &[u8], table: usize) -> bool {
    let soff = i32::from_le_bytes(bytes[table..table + 4].try_into().unwrap()) as i64;
    let vt = table as i64 - soff;
    if vt < 0 || vt as usize + 6 > bytes.len() {
        return false;
    }
    let vt = vt as usize;
    let name_off = u16::from_le_bytes([bytes[vt + 4], bytes[vt + 5]]) as usize;
    if name_off == 0 || table + name_off + 4 > bytes.len() {
        return false;
    }
    let p = table + name_off;
    let s = p + u32::from_le_bytes(bytes[p..p + 4].try_into().unwrap()) as usize;
    s + 7 <= bytes.len() && &bytes[s..s + 7] == b"\x03\0\0\0big"
}

/// Position of the uoffset field that points at `target`.
fn find_field_pointing_to(bytes: &[u8], target: usize) -> usize {
    (0..target)
        .step_by(4)
        .find(|&p| u32::from_le_bytes(bytes[p..p + 4].try_into().unwrap()) as usize == target - p)
        .expect("field")
}
