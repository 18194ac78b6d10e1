//! `.tosa` reading and writing without external tools: the Arm-made fixtures decode to the
//! expected graphs, and every graph survives write -> read unchanged.

use half::{bf16, f16};
use vgforge_testkit::arm_fixture as fixture;
use vgforge_tosa::fbs::{self, VersionTag, WriteOptions, schema};
use vgforge_tosa::{
    Builder, DType, Graph, NanMode, Op, ResizeMode, RoundingMode, Scalar, Tensor, TensorData,
};

fn count(g: &Graph, name: &str) -> usize {
    g.operators.iter().filter(|o| o.op.name() == name).count()
}

#[test]
fn reads_executorch_upscaler() {
    let g = fbs::read_file(fixture("upscaler_i8.tosa")).unwrap();
    assert_eq!(g.inputs, ["quantized_decomposed_quantize_per_tensor_default"]);
    assert_eq!(g.outputs, ["tosa_rescale_default_3"]);
    assert_eq!(g.operators.len(), 39);
    assert_eq!(count(&g, "CONST"), 28);
    assert_eq!(count(&g, "CONST_SHAPE"), 3);
    assert_eq!(count(&g, "CONV2D"), 3);
    assert_eq!(count(&g, "RESCALE"), 4);
    assert_eq!(count(&g, "RESIZE"), 1);

    let input = g.tensor(&g.inputs[0]).unwrap();
    assert_eq!((input.dtype, input.shape.clone()), (DType::Int8, vec![1, 16, 16, 3]));
    let output = g.tensor(&g.outputs[0]).unwrap();
    assert_eq!((output.dtype, output.shape.clone()), (DType::Int8, vec![1, 32, 32, 3]));

    let resize = g.operators.iter().find(|o| o.op.name() == "RESIZE").unwrap();
    assert_eq!(resize.op, Op::Resize { mode: ResizeMode::Bilinear });
    // The scale of a x2 bilinear upsample, as CONST_SHAPE int64 values.
    let scale = g.tensor(&resize.inputs[1]).unwrap();
    assert_eq!(scale.dtype, DType::Shape);
    assert_eq!(scale.shape, vec![4]);
    assert!(matches!(&scale.data, Some(TensorData::I64(v)) if v.len() == 4));

    let conv = g.operators.iter().find(|o| o.op.name() == "CONV2D").unwrap();
    assert_eq!(
        conv.op,
        Op::Conv2d {
            pad: [1, 1, 1, 1],
            stride: [1, 1],
            dilation: [1, 1],
            local_bound: false,
            acc_type: DType::Int32
        }
    );
    let w = g.tensor(&conv.inputs[1]).unwrap();
    assert_eq!((w.dtype, w.shape.clone()), (DType::Int8, vec![32, 3, 3, 3]));
    // First weight bytes as printed by model-converter --dump-mlir (dense<"0x041EA74A...">).
    match &w.data {
        Some(TensorData::I8(v)) => assert_eq!(&v[..4], &[0x04, 0x1e, 0xa7u8 as i8, 0x4a]),
        other => panic!("weights: {other:?}"),
    }
    let bias = g.tensor(&conv.inputs[2]).unwrap();
    match &bias.data {
        Some(TensorData::I32(v)) => assert_eq!(&v[..3], &[31415, -2300, -2104]),
        other => panic!("bias: {other:?}"),
    }
    let last = g.operators.last().unwrap();
    assert!(matches!(
        last.op,
        Op::Rescale {
            scale32: true,
            rounding_mode: RoundingMode::SingleRound,
            per_channel: true,
            ..
        }
    ));
    let out_zp = g.tensor(&last.inputs[4]).unwrap();
    assert_eq!(out_zp.data, Some(TensorData::I8(vec![-112])));
}

#[test]
fn reads_model_converter_minicnn() {
    let bytes = std::fs::read(fixture("minicnn_i8.tosa")).unwrap();
    let raw = fbs::read_raw(&bytes, "minicnn_i8.tosa").unwrap();
    assert_eq!(raw.version, schema::Version { major: 1, minor: 1, patch: 0, draft: true });
    let g = fbs::read(&bytes, "minicnn_i8.tosa").unwrap();
    assert_eq!(g.operators.len(), 30);
    assert_eq!(g.compute_op_count(), 12);
    let pool = g.operators.iter().find(|o| o.op.name() == "MAX_POOL2D").unwrap();
    assert_eq!(
        pool.op,
        Op::MaxPool2d { kernel: [2, 2], stride: [2, 2], pad: [0; 4], nan_mode: NanMode::Propagate }
    );
    let avg = g.operators.iter().find(|o| o.op.name() == "AVG_POOL2D").unwrap();
    assert_eq!(
        avg.op,
        Op::AvgPool2d { kernel: [8, 8], stride: [1, 1], pad: [0; 4], acc_type: DType::Int32 }
    );
    assert_eq!(pool.location.as_deref(), Some("loc(unknown)"));
}

fn roundtrip(g: &Graph) {
    for version in [VersionTag::V1_0, VersionTag::V1_1Draft] {
        let bytes = fbs::write_with(g, &WriteOptions { version }).unwrap();
        let back = fbs::read(&bytes, "<roundtrip>").unwrap();
        assert_eq!(&back, g);
        assert_eq!(fbs::read_raw(&bytes, "<roundtrip>").unwrap().version, version.version());
        // Deterministic output: the same graph always gives the same bytes.
        assert_eq!(fbs::write_with(&back, &WriteOptions { version }).unwrap(), bytes);
    }
}

#[test]
fn fixtures_survive_read_write_read() {
    for f in ["upscaler_i8.tosa", "minicnn_i8.tosa"] {
        let g = fbs::read_file(fixture(f)).unwrap();
        roundtrip(&g);
    }
}

#[test]
fn raw_layer_is_lossless_on_fixtures() {
    for f in ["upscaler_i8.tosa", "minicnn_i8.tosa"] {
        let bytes = std::fs::read(fixture(f)).unwrap();
        let mut raw = fbs::read_raw(&bytes, f).unwrap();
        let again = fbs::write_raw(&raw);
        let mut back = fbs::read_raw(&again, f).unwrap();
        // Table positions differ between writers; everything else must be identical.
        for g in [&mut raw, &mut back] {
            g.version_pos = 0;
            for b in g.regions.iter_mut().flat_map(|r| r.blocks.iter_mut()) {
                b.operators.iter_mut().for_each(|o| o.pos = 0);
                b.tensors.iter_mut().for_each(|t| t.pos = 0);
                b.shapes.iter_mut().for_each(|s| s.pos = 0);
            }
        }
        assert_eq!(raw, back, "{f}");
        // Constant data stays 8-byte aligned in our output (force_align: 8).
        let g = fbs::read(&again, f).unwrap();
        let some = g.tensors.values().find(|t| t.data.is_some()).unwrap();
        let needle = match &some.data {
            Some(d) => d.to_le_bytes(some.dtype).unwrap(),
            None => unreachable!(),
        };
        if needle.len() >= 16 {
            let at = again.windows(needle.len()).position(|w| w == needle.as_slice()).unwrap();
            assert_eq!(at % 8, 0, "{f}: data of '{}' at {at}", some.name);
        }
    }
}

/// A graph that uses every operator of the IR and every storable data type (it is not a
/// meaningful network: the shapes only need to be representable).
fn every_op_graph() -> Graph {
    let mut b = Builder::new("zoo");
    b.set_location(Some("zoo_layer"));
    let x = b.add_input("x", DType::Int8, &[1, 4, 4, 2]);
    let f = b.add_input("f", DType::Fp32, &[1, 4]);
    let w = b.add_const("w", Tensor::i8(vec![2, 1, 1, 2], vec![1, -2, 3, -4]).unwrap());
    let bias = b.add_const("bias", Tensor::i32(vec![2], vec![7, -7]).unwrap());
    let zp = b.add_scalar_const("zp", DType::Int8, -3);
    let i4 = b.add_const(
        "i4",
        Tensor { dtype: DType::Int4, shape: vec![3], data: TensorData::I8(vec![-8, 7, -1]) },
    );
    let i48 = b.add_const(
        "i48",
        Tensor {
            dtype: DType::Int48,
            shape: vec![2],
            data: TensorData::I64(vec![-(1 << 47), (1 << 47) - 1]),
        },
    );
    let bools = b.add_const(
        "bools",
        Tensor {
            dtype: DType::Bool,
            shape: vec![3],
            data: TensorData::Bool(vec![true, false, true]),
        },
    );
    let h = b.add_const(
        "h",
        Tensor {
            dtype: DType::Fp16,
            shape: vec![2],
            data: TensorData::F16(vec![f16::from_f32(1.5), f16::NEG_INFINITY]),
        },
    );
    let bf = b.add_const(
        "bf",
        Tensor {
            dtype: DType::Bf16,
            shape: vec![1],
            data: TensorData::Bf16(vec![bf16::from_f32(-2.0)]),
        },
    );
    let i16c = b.add_const("i16c", Tensor::i16(vec![2], vec![-32768, 32767]).unwrap());
    let shp = b.add_const_shape("shp", &[1, 32]);
    let empty_shape = b.add_const_shape("empty_shape", &[]);
    let conv_attrs = ([1, 0, 1, 0], [1, 2], [2, 1], true, DType::Int32);
    let ops = vec![
        Op::Conv2d {
            pad: conv_attrs.0,
            stride: conv_attrs.1,
            dilation: conv_attrs.2,
            local_bound: conv_attrs.3,
            acc_type: conv_attrs.4,
        },
        Op::DepthwiseConv2d {
            pad: [0; 4],
            stride: [1, 1],
            dilation: [1, 1],
            local_bound: false,
            acc_type: DType::Int48,
        },
        Op::TransposeConv2d {
            out_pad: [-1, 0, 0, 2],
            stride: [2, 2],
            local_bound: false,
            acc_type: DType::Fp32,
        },
        Op::MaxPool2d {
            kernel: [2, 2],
            stride: [2, 2],
            pad: [0, 1, 0, 1],
            nan_mode: NanMode::Ignore,
        },
        Op::AvgPool2d { kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], acc_type: DType::Int32 },
        Op::MatMul,
        Op::Rescale {
            scale32: false,
            rounding_mode: RoundingMode::DoubleRound,
            per_channel: true,
            input_unsigned: true,
            output_unsigned: false,
        },
        Op::Add,
        Op::Sub,
        Op::Mul,
        Op::Maximum { nan_mode: NanMode::Propagate },
        Op::Minimum { nan_mode: NanMode::Ignore },
        Op::Resize { mode: ResizeMode::Nearest },
        Op::Reshape,
        Op::Transpose { perms: vec![0, 3, 1, 2] },
        Op::Pad,
        Op::Concat { axis: 3 },
        Op::Slice,
        Op::Cast,
        Op::Table,
        Op::ReduceSum { axis: 1 },
        Op::ReduceMax { axis: 2, nan_mode: NanMode::Ignore },
        Op::ArgMax { axis: 3, nan_mode: NanMode::Propagate },
        Op::Identity,
    ];
    for op in ops {
        b.add_op(op, &[&x, &w, &bias, &zp, &zp], DType::Int8, &[1, 4, 4, 2]);
    }
    b.add_op(
        Op::Clamp {
            min_val: Scalar::I8(-128),
            max_val: Scalar::I8(100),
            nan_mode: NanMode::Propagate,
        },
        &[&x],
        DType::Int8,
        &[1, 4, 4, 2],
    );
    b.add_op(
        Op::Clamp {
            min_val: Scalar::F32(-0.5),
            max_val: Scalar::F32(6.0),
            nan_mode: NanMode::Ignore,
        },
        &[&f],
        DType::Fp32,
        &[1, 4],
    );
    b.add_op(
        Op::Clamp {
            min_val: Scalar::I16(-300),
            max_val: Scalar::I16(300),
            nan_mode: NanMode::Propagate,
        },
        &[&i16c],
        DType::Int16,
        &[2],
    );
    for op in [Op::Sigmoid, Op::Tanh, Op::Exp, Op::Reciprocal] {
        b.add_op(op, &[&f], DType::Fp32, &[1, 4]);
    }
    b.set_location(None);
    let last = b.add_op(Op::Reshape, &[&x, &shp], DType::Int8, &[1, 32]);
    let unused = [i4, i48, bools, h, bf, empty_shape];
    assert_eq!(unused.len(), 6);
    b.set_outputs(&[&last]);
    b.finish()
}

#[test]
fn every_op_and_type_round_trips() {
    let g = every_op_graph();
    assert_eq!(
        g.operators.iter().map(|o| o.op.name()).collect::<std::collections::BTreeSet<_>>().len(),
        31
    );
    roundtrip(&g);
}

#[test]
fn write_file_is_atomic_and_readable() {
    let dir = std::env::temp_dir().join(format!("vgforge-fbs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("zoo.tosa");
    let g = every_op_graph();
    fbs::write_file(&path, &g).unwrap();
    fbs::write_file(&path, &g).unwrap();
    assert_eq!(fbs::read_file(&path).unwrap(), g);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let err = fbs::write_file(dir.join("missing-dir/x.tosa"), &g).unwrap_err().to_string();
    assert!(err.contains("missing-dir"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_rejects_inconsistent_constants() {
    let mut g = every_op_graph();
    let w = g.tensors.get_mut("w").unwrap();
    w.data = Some(TensorData::I32(vec![1, 2, 3, 4]));
    let err = fbs::write(&g).unwrap_err().to_string();
    assert!(err.contains("'w'"), "{err}");
    let w = g.tensors.get_mut("w").unwrap();
    w.data = Some(TensorData::I8(vec![1, 2, 3]));
    let err = fbs::write(&g).unwrap_err().to_string();
    assert!(err.contains("'w'") && err.contains("[2, 1, 1, 2]"), "{err}");
}
