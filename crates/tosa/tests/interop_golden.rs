//! The Arm-made `.tosa` fixtures, read by our reader and run by our interpreter, reproduce
//! the golden outputs bit-exactly, before and after a write -> read cycle.

use vgforge_testkit::arm_fixture as fixture;
use vgforge_tosa::{Graph, Tensor, fbs, interp, npy};

fn check(graph: &Graph, input: &str, expected: &str) {
    let x = npy::read(fixture(input)).unwrap();
    let want = npy::read(fixture(expected)).unwrap();
    let got = interp::run(graph, &[x]).unwrap();
    assert_eq!(got.len(), 1);
    let got: &Tensor = &got[0];
    // The golden arrays are NHWC/flattened exactly as the graph output.
    let want_shape = graph.tensor(&graph.outputs[0]).unwrap().shape.clone();
    assert_eq!(got.shape, want_shape);
    assert_eq!(got.data.to_i64_vec().unwrap().len(), want.data.len());
    let diff = got
        .data
        .to_i64_vec()
        .unwrap()
        .iter()
        .zip(want.data.to_i64_vec().unwrap())
        .filter(|(a, b)| **a != *b)
        .count();
    assert_eq!(diff, 0, "{expected}: {diff} elements differ");
}

#[test]
fn upscaler_matches_reference_model_golden() {
    let g = fbs::read_file(fixture("upscaler_i8.tosa")).unwrap();
    let again = fbs::read(&fbs::write(&g).unwrap(), "rewritten").unwrap();
    for i in 0..3 {
        check(&g, &format!("upscaler_input_{i}.npy"), &format!("upscaler_expected_{i}.npy"));
    }
    check(&again, "upscaler_input_1.npy", "upscaler_expected_1.npy");
}

#[test]
fn minicnn_matches_golden() {
    let g = fbs::read_file(fixture("minicnn_i8.tosa")).unwrap();
    check(&g, "minicnn_i8_input.npy", "minicnn_i8_expected.npy");
    let again = fbs::read(&fbs::write(&g).unwrap(), "rewritten").unwrap();
    check(&again, "minicnn_i8_input.npy", "minicnn_i8_expected.npy");
}
