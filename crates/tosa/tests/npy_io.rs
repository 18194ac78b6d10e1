//! `.npy` reading and writing.

mod support;

use std::path::PathBuf;

use half::f16;
use support::fixture;
use vgforge_tosa::npy::{self, NpyDType};
use vgforge_tosa::{DType, Error, Tensor, TensorData};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tosa_npy");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn header(version: u8, descr: &str, fortran: &str, shape: &str) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n");
    let mut out = b"\x93NUMPY".to_vec();
    out.push(version);
    out.push(0);
    if version == 1 {
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out
}

#[test]
fn reads_numpy_written_files() {
    let t = npy::read(fixture("conv_i8_input.npy")).unwrap();
    assert_eq!(t.dtype, DType::Int8);
    assert_eq!(t.shape, vec![1, 8, 8, 3]);
    let f = npy::read(fixture("conv_f32_input.npy")).unwrap();
    assert_eq!(f.dtype, DType::Fp32);
    assert_eq!(f.numel(), 192);
}

#[test]
fn round_trips_every_type() {
    let cases = [
        Tensor::new(DType::Bool, vec![3], TensorData::Bool(vec![true, false, true])).unwrap(),
        Tensor::i8(vec![2, 2], vec![-128, 0, 1, 127]).unwrap(),
        Tensor::i16(vec![2], vec![-32768, 32767]).unwrap(),
        Tensor::i32(vec![1, 1, 3], vec![i32::MIN, 0, i32::MAX]).unwrap(),
        Tensor::f32(vec![2], vec![1.5, -0.0]).unwrap(),
        Tensor::new(
            DType::Fp16,
            vec![2],
            TensorData::F16(vec![f16::from_f32(0.5), f16::NEG_INFINITY]),
        )
        .unwrap(),
        Tensor::new(DType::Int32, vec![], TensorData::I32(vec![42])).unwrap(),
    ];
    for (k, t) in cases.iter().enumerate() {
        let path = tmp(&format!("rt{k}.npy"));
        npy::write(&path, t).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        // Data starts on a 64-byte boundary.
        let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        assert_eq!(&npy::read(&path).unwrap(), t, "case {k}");
    }
    // Atomic write leaves no temporary file behind.
    let leftovers = std::fs::read_dir(tmp("x").parent().unwrap())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn version_2_and_widened_types() {
    let mut v2 = header(2, "<i2", "False", "(2,)");
    v2.extend_from_slice(&[1, 0, 0xff, 0xff]);
    let a = npy::parse(&v2, "v2.npy").unwrap();
    assert_eq!(a.dtype, NpyDType::I16);
    assert_eq!(a.data, TensorData::I16(vec![1, -1]));

    let mut u8f = header(1, "|u1", "False", "(2,)");
    u8f.extend_from_slice(&[200, 3]);
    let t = npy::parse(&u8f, "u8.npy").unwrap().into_tensor("u8.npy").unwrap();
    assert_eq!(t, Tensor::i16(vec![2], vec![200, 3]).unwrap());

    let mut i64f = header(3, "<i8", "False", "(1, 2)");
    i64f.extend_from_slice(&5i64.to_le_bytes());
    i64f.extend_from_slice(&(-6i64).to_le_bytes());
    let t = npy::parse(&i64f, "i64.npy").unwrap().into_tensor("i64.npy").unwrap();
    assert_eq!(t, Tensor::i32(vec![1, 2], vec![5, -6]).unwrap());

    // Beyond int32 the values load as INT48 (Arm's i48 results), beyond that they fail.
    let mut wide = header(1, "<i8", "False", "(1,)");
    wide.extend_from_slice(&(1i64 << 40).to_le_bytes());
    let t = npy::parse(&wide, "wide.npy").unwrap().into_tensor("wide.npy").unwrap();
    assert_eq!(t.dtype, DType::Int48);
    assert_eq!(t.data, TensorData::I64(vec![1 << 40]));
    let mut big = header(1, "<i8", "False", "(1,)");
    big.extend_from_slice(&(1i64 << 50).to_le_bytes());
    let e = npy::parse(&big, "big.npy").unwrap().into_tensor("big.npy").unwrap_err();
    assert!(e.to_string().contains("big.npy"), "{e}");
}

#[test]
fn read_as_converts_only_when_lossless() {
    let path = tmp("as.npy");
    npy::write(&path, &Tensor::i32(vec![3], vec![-5, 0, 100]).unwrap()).unwrap();
    assert_eq!(
        npy::read_as(&path, DType::Int8).unwrap(),
        Tensor::i8(vec![3], vec![-5, 0, 100]).unwrap()
    );
    let t = npy::read_as(&path, DType::Int48).unwrap();
    assert_eq!((t.dtype, t.data), (DType::Int48, TensorData::I64(vec![-5, 0, 100])));
    assert!(npy::read_as(&path, DType::Fp32).is_err());
    npy::write(&path, &Tensor::i32(vec![1], vec![300]).unwrap()).unwrap();
    let e = npy::read_as(&path, DType::Int8).unwrap_err();
    assert!(e.to_string().contains("value 300 does not fit i8"), "{e}");
    npy::write(&path, &Tensor::f32(vec![1], vec![0.5]).unwrap()).unwrap();
    assert_eq!(npy::read_as(&path, DType::Fp32).unwrap(), Tensor::f32(vec![1], vec![0.5]).unwrap());
    assert!(npy::read_as(&path, DType::Fp16).is_err());
    assert!(npy::read_as(&path, DType::Int32).is_err());
}

#[test]
fn bad_files_give_errors_naming_the_file() {
    let mut fortran = header(1, "<i4", "True", "(1,)");
    fortran.extend_from_slice(&[0; 4]);
    let mut f64f = header(1, "<f8", "False", "(1,)");
    f64f.extend_from_slice(&[0; 8]);
    let mut short = header(1, "<i4", "False", "(2, 3)");
    short.extend_from_slice(&[0; 20]);
    let mut big_endian = header(1, ">i4", "False", "(1,)");
    big_endian.extend_from_slice(&[0; 4]);
    let mut huge = header(1, "<i4", "False", "(4294967296, 4294967296, 4294967296)");
    huge.extend_from_slice(&[0; 4]);
    let trunc_header = header(1, "<i4", "False", "(1,)")[..20].to_vec();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (fortran, "fortran"),
        (f64f, "unsupported dtype '<f8'"),
        (short, "truncated data"),
        (big_endian, "unsupported dtype"),
        (huge, "overflows"),
        (trunc_header, "truncated"),
        (b"PK\x03\x04 not numpy".to_vec(), "bad magic"),
        (b"\x93NUMPY\x09\x00\x00\x00".to_vec(), "unsupported format version 9.0"),
    ];
    for (bytes, want) in cases {
        let e = npy::parse(&bytes, "case.npy").unwrap_err();
        assert!(matches!(e, Error::Npy { .. }));
        let msg = e.to_string();
        assert!(msg.starts_with("npy 'case.npy': "), "{msg}");
        assert!(msg.contains(want), "{msg} does not mention {want}");
    }
    let e = npy::read(tmp("does_not_exist.npy")).unwrap_err();
    assert!(e.to_string().contains("does_not_exist.npy"));
}
