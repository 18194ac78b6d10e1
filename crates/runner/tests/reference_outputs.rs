//! The compute backend against outputs produced by Arm's own tools (numpy TOSA reference
//! and tosa_reference_model), from the `.tosa` flatbuffers.

mod common;

use common::{fixture, int_diff, read_npy, runner};
use vgforge_runner::Backend;

fn check(tosa: &str, input: &str, expected: &str) {
    let Some(r) = runner(Backend::Compute, false) else { return };
    let g = vgforge_tosa::fbs::read_file(fixture(tosa)).expect("read .tosa");
    let mut m = r.load(&g).expect("load");
    let x = read_npy(input);
    let want = read_npy(expected);
    let got = m.run(&[x], 1).expect("run");
    let (n, max) = int_diff(&got[0], &want);
    println!("{tosa}: {n} elements differ (max {max} LSB) on {}", r.device_name().unwrap_or("?"));
    assert_eq!(n, 0, "{tosa}: {n} elements differ, max {max} LSB; dispatches {:?}", m.dispatches());
}

#[test]
fn minicnn_matches_numpy_reference() {
    check("minicnn_i8.tosa", "minicnn_i8_input.npy", "minicnn_i8_expected.npy");
}

#[test]
fn upscaler_matches_tosa_reference_model() {
    check("upscaler_i8.tosa", "upscaler_input_0.npy", "upscaler_expected_0.npy");
}
