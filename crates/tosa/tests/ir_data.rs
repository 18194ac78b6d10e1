//! IR data encoding: the little-endian byte forms `.tosa` files use, scalars and tensors.

use half::f16;
use vgforge_tosa::{DType, Scalar, Tensor, TensorData};

#[test]
fn byte_round_trips() {
    let cases = vec![
        (DType::Bool, TensorData::Bool(vec![true, false])),
        (DType::Int4, TensorData::I8(vec![-8, 7, -1])),
        (DType::Int8, TensorData::I8(vec![-128, 127])),
        (DType::Int16, TensorData::I16(vec![-2, 300])),
        (DType::Int32, TensorData::I32(vec![-5, 1 << 30])),
        (DType::Int48, TensorData::I64(vec![-(1 << 47), (1 << 47) - 1, -1])),
        (DType::Shape, TensorData::I64(vec![1, 16, -1])),
        (DType::Fp16, TensorData::F16(vec![f16::from_f32(1.5)])),
        (DType::Fp32, TensorData::F32(vec![-2.25, 1e-30])),
    ];
    for (dtype, data) in cases {
        let bytes = data.to_le_bytes(dtype).unwrap();
        assert_eq!(bytes.len(), dtype.fbs_byte_len(data.len()).unwrap());
        assert_eq!(TensorData::from_le_bytes(dtype, &bytes, data.len()).unwrap(), data, "{dtype}");
    }
    // Exact encodings.
    assert_eq!(TensorData::I8(vec![-8, 7, -1]).to_le_bytes(DType::Int4).unwrap(), vec![0x78, 0x0f]);
    assert_eq!(TensorData::I64(vec![-1]).to_le_bytes(DType::Int48).unwrap(), vec![0xff; 6]);
    assert_eq!(
        TensorData::I32(vec![-50]).to_le_bytes(DType::Int32).unwrap(),
        (-50i32).to_le_bytes()
    );
}

#[test]
fn bad_bytes_are_errors() {
    assert!(TensorData::from_le_bytes(DType::Int32, &[0; 7], 2).is_err());
    assert!(TensorData::from_le_bytes(DType::Int32, &[0; 9], 2).is_err());
    assert!(TensorData::from_le_bytes(DType::Int16, &[], usize::MAX).is_err());
    assert!(TensorData::I8(vec![8]).to_le_bytes(DType::Int4).is_err());
    assert!(TensorData::I32(vec![1]).to_le_bytes(DType::Int8).is_err());
    assert!(TensorData::I64(vec![1 << 47]).to_le_bytes(DType::Int48).is_err());
}

#[test]
fn scalars_and_tensors() {
    let s = Scalar::from_le_bytes(DType::Int8, &[0xfb]).unwrap();
    assert_eq!(s, Scalar::I8(-5));
    assert_eq!(s.to_le_bytes(), vec![0xfb]);
    assert_eq!(
        Scalar::from_le_bytes(DType::Fp32, &6.0f32.to_le_bytes()).unwrap(),
        Scalar::F32(6.0)
    );
    assert!(Scalar::from_le_bytes(DType::Int32, &[1, 2]).is_err());
    // Arm's serializer pads CLAMP bounds to 8 bytes.
    assert_eq!(
        Scalar::from_le_bytes(DType::Int8, &[211, 0, 0, 0, 0, 0, 0, 0]).unwrap(),
        Scalar::I8(-45)
    );
    let padded = [0xc0, 0xa4, 0xe4, 0x3e, 0, 0, 0, 0];
    assert_eq!(
        Scalar::from_le_bytes(DType::Fp32, &padded).unwrap(),
        Scalar::F32(f32::from_le_bytes([0xc0, 0xa4, 0xe4, 0x3e]))
    );
    assert!(Scalar::from_le_bytes(DType::Int8, &[0; 9]).is_err());
    assert!(Scalar::from_le_bytes(DType::Bool, &[1]).is_err());
    assert!(Tensor::i8(vec![2, 2], vec![1, 2, 3]).is_err());
    assert!(Tensor::new(DType::Int16, vec![1], TensorData::I8(vec![1])).is_err());
    assert!(Tensor::i8(vec![usize::MAX, 2], vec![]).is_err());
    for d in DType::ALL {
        assert_eq!(DType::from_fbs(d.to_fbs()), Some(d));
    }
    assert_eq!(DType::from_fbs(0), None);
    assert_eq!(DType::from_fbs(17), None);
}
