//! Our `.tosa` output against Arm's own tools (from `VGFORGE_VENV`, default `<repo>/.venv`):
//! `tosa_reference_model` runs every file we write and agrees bit-exactly with our
//! interpreter and the golden outputs; `model-converter` 0.11 converts them; `flatc` (from
//! tosa-tools) decodes our re-encoding of Arm's files to the same JSON as the originals.
//! Without the tools each test prints `skipped: <reason>` and returns.

use std::path::{Path, PathBuf};
use std::process::Command;

use vgforge_tosa::fbs::tools::ArmTools;
use vgforge_tosa::fbs::{self, VersionTag, WriteOptions};
use vgforge_tosa::{
    Builder, DType, Graph, NanMode, Op, RoundingMode, Scalar, Tensor, TensorData, interp, npy,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/tosa-fbs").join(name)
}

fn tools() -> Option<ArmTools> {
    match ArmTools::find(&root().join(".venv")) {
        Ok(t) => Some(t),
        Err(reason) => {
            println!("skipped: {reason}");
            None
        }
    }
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vgforge-interop-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `g` with `version`, runs the reference model on `inputs` and returns its outputs.
fn reference_run(
    t: &ArmTools,
    dir: &Path,
    g: &Graph,
    inputs: &[Tensor],
    version: VersionTag,
) -> Vec<Tensor> {
    let tosa = dir.join(format!("graph-{version:?}.tosa"));
    fbs::write_file_with(&tosa, g, &WriteOptions { version }).unwrap();
    let in_files: Vec<PathBuf> =
        (0..inputs.len()).map(|i| dir.join(format!("in{i}.npy"))).collect();
    for (t, f) in inputs.iter().zip(&in_files) {
        npy::write(f, t).unwrap();
    }
    let out_files: Vec<PathBuf> =
        (0..g.outputs.len()).map(|i| dir.join(format!("out{i}.npy"))).collect();
    let ins: Vec<(&str, &Path)> =
        g.inputs.iter().map(String::as_str).zip(in_files.iter().map(PathBuf::as_path)).collect();
    let outs: Vec<(&str, &Path)> =
        g.outputs.iter().map(String::as_str).zip(out_files.iter().map(PathBuf::as_path)).collect();
    t.reference_model(&tosa, &ins, &outs).unwrap();
    out_files.iter().map(|f| npy::read(f).unwrap()).collect()
}

fn assert_same(ours: &Tensor, theirs: &Tensor, what: &str) {
    assert_eq!(ours.shape, theirs.shape, "{what}");
    let (a, b) = (ours.data.to_i64_vec().unwrap(), theirs.data.to_i64_vec().unwrap());
    let diff = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert_eq!(diff, 0, "{what}: {diff} of {} elements differ", a.len());
}

#[test]
fn reference_model_runs_our_rewrite_of_the_fixtures() {
    let Some(t) = tools() else { return };
    let dir = scratch("fixtures");
    let cases = [
        ("upscaler_ptq_i8.tosa", "upscaler_input_2.npy", "upscaler_expected_2.npy"),
        ("minicnn_i8.tosa", "minicnn_i8_input.npy", "minicnn_i8_expected.npy"),
    ];
    for (file, input, expected) in cases {
        let g = fbs::read_file(fixture(file)).unwrap();
        let x = npy::read(fixture(input)).unwrap();
        let want = npy::read(fixture(expected)).unwrap();
        let ours = interp::run(&g, std::slice::from_ref(&x)).unwrap();
        for version in [VersionTag::V1_0, VersionTag::V1_1Draft] {
            let theirs = reference_run(&t, &dir, &g, std::slice::from_ref(&x), version);
            assert_same(
                &ours[0],
                &theirs[0],
                &format!("{file} {version:?}: interpreter vs reference model"),
            );
            let golden = Tensor { shape: theirs[0].shape.clone(), ..want.clone() };
            assert_same(
                &theirs[0],
                &golden,
                &format!("{file} {version:?}: reference model vs golden"),
            );
            let vgf = dir.join("out.vgf");
            t.model_converter(&dir.join(format!("graph-{version:?}.tosa")), &vgf).unwrap();
            assert!(std::fs::metadata(&vgf).unwrap().len() > 128);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Deterministic pseudo-random bytes.
fn lcg(seed: u32, n: usize) -> Vec<i8> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 24) as u8 as i8
        })
        .collect()
}

/// A valid int8 graph using the IR operators the fixtures do not: PAD, DEPTHWISE_CONV2D,
/// TRANSPOSE_CONV2D, TABLE, TRANSPOSE, CONCAT, SLICE, CAST, MUL, SUB, MAXIMUM, MINIMUM,
/// REDUCE_SUM, REDUCE_MAX, ARGMAX, CLAMP and IDENTITY.
fn zoo() -> Graph {
    let mut b = Builder::new("main");
    let x = b.add_input("x", DType::Int8, &[1, 6, 6, 4]);
    let padding = b.add_const_shape("padding", &[0, 0, 1, 1, 1, 1, 0, 0]);
    let pad_const = b.add_scalar_const("pad_const", DType::Int8, -5);
    let p = b.add_op(Op::Pad, &[&x, &padding, &pad_const], DType::Int8, &[1, 8, 8, 4]);
    let w = b.add_const("dw_w", Tensor::i8(vec![3, 3, 4, 1], lcg(1, 36)).unwrap());
    let bias = b.add_const("dw_b", Tensor::i32(vec![4], vec![100, -200, 300, -400]).unwrap());
    let izp = b.add_scalar_const("izp", DType::Int8, -5);
    let wzp = b.add_scalar_const("wzp", DType::Int8, 0);
    let conv = Op::DepthwiseConv2d {
        pad: [0; 4],
        stride: [1, 1],
        dilation: [1, 1],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let d = b.add_op(conv, &[&p, &w, &bias, &izp, &wzp], DType::Int32, &[1, 6, 6, 4]);
    let mult = b.add_const(
        "mult",
        Tensor::i32(vec![4], vec![1 << 30, 1_500_000_000, 1_234_567_890, 2_000_000_000]).unwrap(),
    );
    let shift = b.add_const("shift", Tensor::i8(vec![4], vec![38, 39, 40, 37]).unwrap());
    let zp32 = b.add_scalar_const("zp32", DType::Int32, 0);
    let ozp = b.add_scalar_const("ozp", DType::Int8, 3);
    let rescale = Op::Rescale {
        scale32: true,
        rounding_mode: RoundingMode::DoubleRound,
        per_channel: true,
        input_unsigned: false,
        output_unsigned: false,
    };
    let r = b.add_op(rescale, &[&d, &mult, &shift, &zp32, &ozp], DType::Int8, &[1, 6, 6, 4]);
    let clamp = Op::Clamp {
        min_val: Scalar::I8(-100),
        max_val: Scalar::I8(100),
        nan_mode: NanMode::Propagate,
    };
    let c = b.add_op(clamp, &[&r], DType::Int8, &[1, 6, 6, 4]);
    let table = b.add_const("table", Tensor::i8(vec![256], lcg(7, 256)).unwrap());
    let tb = b.add_op(Op::Table, &[&c, &table], DType::Int8, &[1, 6, 6, 4]);
    let tr =
        b.add_op(Op::Transpose { perms: vec![0, 3, 1, 2] }, &[&tb], DType::Int8, &[1, 4, 6, 6]);
    let cat = b.add_op(Op::Concat { axis: 1 }, &[&tr, &tr], DType::Int8, &[1, 8, 6, 6]);
    let start = b.add_const_shape("start", &[0, 1, 1, 0]);
    let size = b.add_const_shape("size", &[1, 6, 4, 6]);
    let sl = b.add_op(Op::Slice, &[&cat, &start, &size], DType::Int8, &[1, 6, 4, 6]);
    let new_shape = b.add_const_shape("new_shape", &[1, 24, 6]);
    let rs = b.add_op(Op::Reshape, &[&sl, &new_shape], DType::Int8, &[1, 24, 6]);
    let ca = b.add_op(Op::Cast, &[&rs], DType::Int32, &[1, 24, 6]);
    let mshift = b.add_scalar_const("mshift", DType::Int8, 3);
    let m = b.add_op(Op::Mul, &[&ca, &ca, &mshift], DType::Int32, &[1, 24, 6]);
    let s = b.add_op(Op::Sub, &[&m, &ca], DType::Int32, &[1, 24, 6]);
    let mx = b.add_op(
        Op::Maximum { nan_mode: NanMode::Propagate },
        &[&s, &ca],
        DType::Int32,
        &[1, 24, 6],
    );
    let mn = b.add_op(
        Op::Minimum { nan_mode: NanMode::Propagate },
        &[&s, &ca],
        DType::Int32,
        &[1, 24, 6],
    );
    let rsum = b.add_op(Op::ReduceSum { axis: 1 }, &[&mx], DType::Int32, &[1, 1, 6]);
    let rmax = b.add_op(
        Op::ReduceMax { axis: 2, nan_mode: NanMode::Propagate },
        &[&mn],
        DType::Int32,
        &[1, 24, 1],
    );
    let am = b.add_op(
        Op::ArgMax { axis: 2, nan_mode: NanMode::Propagate },
        &[&rs],
        DType::Int32,
        &[1, 24],
    );
    let tw = b.add_const("tc_w", Tensor::i8(vec![2, 2, 2, 4], lcg(3, 32)).unwrap());
    let tbias = b.add_const("tc_b", Tensor::i32(vec![2], vec![5, -5]).unwrap());
    let tconv = Op::TransposeConv2d {
        out_pad: [0; 4],
        stride: [2, 2],
        local_bound: false,
        acc_type: DType::Int32,
    };
    let tc = b.add_op(tconv, &[&c, &tw, &tbias, &ozp, &wzp], DType::Int32, &[1, 12, 12, 2]);
    let id = b.add_op(Op::Identity, &[&tc], DType::Int32, &[1, 12, 12, 2]);
    b.set_outputs(&[&rsum, &rmax, &am, &id]);
    b.finish()
}

#[test]
fn reference_model_agrees_with_interpreter_on_op_zoo() {
    let Some(t) = tools() else { return };
    let dir = scratch("zoo");
    let g = zoo();
    let x = Tensor::i8(vec![1, 6, 6, 4], lcg(11, 144)).unwrap();
    let ours = interp::run(&g, std::slice::from_ref(&x)).unwrap();
    let theirs = reference_run(&t, &dir, &g, std::slice::from_ref(&x), VersionTag::V1_0);
    for ((o, th), name) in ours.iter().zip(&theirs).zip(&g.outputs) {
        assert_same(o, th, &format!("zoo output {name}"));
    }
    // Not all zeros: the comparison is meaningful.
    assert!(matches!(&ours[0].data, TensorData::I32(v) if v.iter().any(|&e| e != 0)));
    t.model_converter(&dir.join("graph-V1_0.tosa"), &dir.join("zoo.vgf")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

fn flatc_json(t: &ArmTools, file: &Path, out_dir: &Path) -> String {
    // <venv>/bin/flatc -> <venv>/lib/python3.X/site-packages/bin/tosa.fbs
    let lib = t.tool("flatc").parent().and_then(Path::parent).unwrap().join("lib");
    let schema = std::fs::read_dir(&lib)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages/bin/tosa.fbs"))
        .find(|p| p.is_file())
        .expect("tosa.fbs in the venv");
    let status = Command::new(t.tool("flatc"))
        .args(["--json", "--strict-json", "--defaults-json", "--raw-binary", "-o"])
        .arg(out_dir)
        .arg(&schema)
        .arg("--")
        .arg(file)
        .status()
        .unwrap();
    assert!(status.success(), "flatc on {}", file.display());
    let json = out_dir.join(file.file_stem().unwrap()).with_extension("json");
    std::fs::read_to_string(json).unwrap()
}

#[test]
fn flatc_sees_identical_content_in_our_reencoding() {
    let Some(t) = tools() else { return };
    if !t.tool("flatc").is_file() {
        println!("skipped: flatc not in the venv");
        return;
    }
    let dir = scratch("flatc");
    for f in ["upscaler_ptq_i8.tosa", "minicnn_i8.tosa"] {
        let bytes = std::fs::read(fixture(f)).unwrap();
        let ours = dir.join(f.replace(".tosa", "_ours.tosa"));
        std::fs::write(&ours, fbs::write_raw(&fbs::read_raw(&bytes, f).unwrap())).unwrap();
        let a = flatc_json(&t, &fixture(f), &dir);
        let b = flatc_json(&t, &ours, &dir);
        assert!(a.len() > 1000);
        assert_eq!(a, b, "{f}: flatc JSON differs");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
