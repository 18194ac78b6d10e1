//! The Arm reference models (TOSA MLIR made by the team's generator scripts, run through Arm's
//! model-converter and emulation layer) rebuilt with the Builder and run by the interpreter:
//! integer results must be bit-exact, fp32 within 1e-5.

mod support;

use support::{fixture, parse_mlir};
use vgforge_tosa::{Graph, Profile, Tensor, TensorData, interp, npy, validate};

fn load(name: &str) -> (Graph, Tensor, Tensor, Tensor) {
    let text = std::fs::read_to_string(fixture(&format!("{name}.mlir"))).unwrap();
    let g = parse_mlir(&text);
    let input = npy::read(fixture(&format!("{name}_input.npy"))).unwrap();
    let expected = npy::read(fixture(&format!("{name}_expected.npy"))).unwrap();
    let arm = npy::read(fixture(&format!("{name}_output.npy"))).unwrap();
    (g, input, expected, arm)
}

#[test]
fn conv_i8_is_bit_exact_with_arm() {
    let (g, input, expected, arm) = load("conv_i8");
    validate(&g, Profile::ProInt).unwrap();
    let out = interp::run(&g, &[input]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0], arm);
    assert_eq!(out[0], expected);
}

#[test]
fn minicnn_i8_is_bit_exact_with_arm() {
    let (g, input, expected, arm) = load("minicnn_i8");
    validate(&g, Profile::ProInt).unwrap();
    let out = interp::run(&g, &[input]).unwrap();
    assert_eq!(out[0], arm);
    assert_eq!(out[0], expected);
}

#[test]
fn conv_f32_matches_within_tolerance() {
    let (g, input, expected, arm) = load("conv_f32");
    validate(&g, Profile::ProFp).unwrap();
    assert!(validate(&g, Profile::ProInt).is_err());
    let out = interp::run(&g, &[input]).unwrap();
    let TensorData::F32(got) = &out[0].data else { panic!("f32 output expected") };
    for reference in [&expected, &arm] {
        let TensorData::F32(want) = &reference.data else { panic!("f32 reference expected") };
        assert_eq!(got.len(), want.len());
        let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst <= 1e-5, "max abs diff {worst}");
    }
}

#[test]
fn minicnn_batched_runs_each_chunk() {
    let (g, input, _, arm) = load("minicnn_i8");
    // Three copies of the input along N, each must give Arm's output.
    let TensorData::I8(x) = &input.data else { panic!("i8 input") };
    let mut big = x.clone();
    big.extend(x.iter().map(|v| v.wrapping_neg()));
    big.extend_from_slice(x);
    let mut shape = input.shape.clone();
    shape[0] = 3;
    let out = interp::run_batched(&g, &[Tensor::i8(shape, big).unwrap()]).unwrap();
    assert_eq!(out[0].shape, vec![3, 10]);
    let TensorData::I8(y) = &out[0].data else { panic!("i8 output") };
    let TensorData::I8(want) = &arm.data else { panic!("i8 reference") };
    assert_eq!(&y[..10], &want[..]);
    assert_eq!(&y[20..], &want[..]);
    // The middle chunk is a different image, so it goes through the graph on its own.
    let neg: Vec<i8> = x.iter().map(|v| v.wrapping_neg()).collect();
    let single = interp::run(&g, &[Tensor::i8(input.shape.clone(), neg).unwrap()]).unwrap();
    let TensorData::I8(mid) = &single[0].data else { panic!("i8 output") };
    assert_eq!(&y[10..20], &mid[..]);
    // A leading dimension that is not a multiple is refused.
    let bad = Tensor::i8(vec![1, 32, 32, 2], vec![0; 32 * 32 * 2]).unwrap();
    assert!(interp::run_batched(&g, &[bad]).is_err());
}

#[test]
fn printer_lists_every_operator() {
    let (g, ..) = load("conv_i8");
    let text = g.to_string();
    assert!(
        text.starts_with("tosa.graph @main(%arg0: tensor<1x8x8x3xi8>) -> (tensor<1x8x8x4xi8>) {")
    );
    assert!(text.contains("%acc = tosa.conv2d(%arg0, %w, %b, %izp, %wzp) {pad = [1, 1, 1, 1], stride = [1, 1], dilation = [1, 1], acc_type = i32, local_bound = false} : tensor<1x8x8x4xi32> loc(\"acc\")"));
    assert!(text.contains("%b = tosa.const() : tensor<4xi32> = [363, 18, 174, 455]"));
    assert!(text.contains("rounding_mode = DOUBLE_ROUND, per_channel = true"));
    assert!(text.contains("{min_val = -128 : i8, max_val = 100 : i8, nan_mode = PROPAGATE}"));
    assert!(text.trim_end().ends_with("return %r\n}"));
}

#[test]
fn run_all_exposes_every_layer() {
    let (g, input, _, arm) = load("minicnn_i8");
    let all = interp::run_all(&g, std::slice::from_ref(&input)).unwrap();
    // Every computed tensor is there, constants and inputs are not.
    assert_eq!(all.len(), g.compute_op_count());
    assert!(!all.contains_key("arg0") && !all.contains_key("w1"));
    assert_eq!(all["c1"].shape, vec![1, 32, 32, 8]);
    assert_eq!(all["p2"].shape, vec![1, 8, 8, 16]);
    assert_eq!(all["y"], arm);
}
