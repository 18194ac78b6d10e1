//! Reference `.vgf` files, lifted to TOSA, run through vgforge's interpreter and reproduce the
//! outputs recorded by Arm's tools (bit-exact for int8; f32 within rounding of the
//! accumulation order).

mod common;

use common::{fixture, read_fixture};
use vgforge_tosa::{Tensor, TensorData, interp, npy};
use vgforge_vgf::{WriteOptions, read_vgf, write_vgf};

fn run(vgf: &str, input: &str) -> Tensor {
    let f = read_vgf(&read_fixture(vgf), vgf).unwrap();
    let g = f.to_tosa().unwrap();
    let x = npy::read(fixture(input)).unwrap();
    let mut out = interp::run(&g, std::slice::from_ref(&x)).unwrap();
    assert_eq!(out.len(), 1);
    // Our own re-encoding runs the same.
    let g2 = read_vgf(&write_vgf(&g, &WriteOptions::default()).unwrap(), vgf)
        .unwrap()
        .to_tosa()
        .unwrap();
    let out2 = interp::run(&g2, &[x]).unwrap();
    assert_eq!(out, out2, "{vgf}: re-encoded graph");
    out.remove(0)
}

#[test]
fn int8_models_are_bit_exact_with_recorded_outputs() {
    for (vgf, input, expected) in [
        ("conv_i8.vgf", "conv_i8_input.npy", "conv_i8_expected.npy"),
        ("conv_i8.vgf", "conv_i8_input.npy", "conv_i8_output.npy"),
        ("minicnn_i8.vgf", "minicnn_i8_input.npy", "minicnn_i8_expected.npy"),
        ("minicnn_i8.vgf", "minicnn_i8_input.npy", "minicnn_i8_output.npy"),
        ("handwritten_minicnn_i8.vgf", "minicnn_i8_input.npy", "minicnn_i8_output.npy"),
        ("handwritten_minicnn_i8_minimal.vgf", "minicnn_i8_input.npy", "minicnn_i8_output.npy"),
        ("upscaler_i8.vgf", "upscaler_input_0.npy", "upscaler_expected_0.npy"),
        ("upscaler_i8_debuginfo.vgf", "upscaler_input_0.npy", "upscaler_expected_0.npy"),
    ] {
        let got = run(vgf, input);
        let want = npy::read(fixture(expected)).unwrap();
        assert_eq!(got, want, "{vgf} vs {expected}");
    }
}

#[test]
fn fp32_conv_matches_emulation_layer_output() {
    let got = run("conv_f32.vgf", "conv_f32_input.npy");
    let want = npy::read(fixture("conv_f32_output.npy")).unwrap();
    assert_eq!(got.shape, want.shape);
    let (TensorData::F32(a), TensorData::F32(b)) = (&got.data, &want.data) else {
        panic!("f32 data")
    };
    let max_err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    println!("conv_f32: max abs difference to scenario-runner {max_err:e}");
    assert!(max_err <= 1e-5, "max abs error {max_err}");
}

#[test]
fn zoo_graphs_survive_write_read_and_run_the_same() {
    let zoos = [
        (common::zoo::int_zoo().unwrap(), common::zoo::int_zoo_input().unwrap()),
        (common::zoo::fp_zoo().unwrap(), common::zoo::fp_zoo_input().unwrap()),
    ];
    for (g, x) in zoos {
        let want = interp::run(&g, std::slice::from_ref(&x)).unwrap();
        for debug_names in [false, true] {
            let opts = WriteOptions { debug_names, ..WriteOptions::default() };
            let back =
                read_vgf(&write_vgf(&g, &opts).unwrap(), &g.name).unwrap().to_tosa().unwrap();
            let identities =
                g.operators.iter().filter(|o| matches!(o.op, vgforge_tosa::Op::Identity)).count();
            assert_eq!(
                back.compute_op_count(),
                g.compute_op_count() - identities,
                "{}: identity folded",
                g.name
            );
            assert_eq!(interp::run(&back, std::slice::from_ref(&x)).unwrap(), want, "{}", g.name);
        }
    }
}
