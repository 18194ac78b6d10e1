//! The compute backend is bit-exact with the TOSA interpreter on the reference `.vgf`
//! files (model-converter and ExecuTorch output), at batch 1 and batch 64.

mod common;

use common::{MODELS, compare_with_interpreter, read_vgf, runner, runner_with};
use vgforge_runner::{Backend, RunnerOptions};

#[test]
fn compute_matches_interpreter_on_reference_vgfs() {
    // Both CONV2D kernel families, whichever the device would pick by itself.
    for blocked in [true, false] {
        let opts = RunnerOptions { blocked_conv: Some(blocked), ..Default::default() };
        let Some(r) = runner_with(Backend::Compute, opts) else { return };
        for (i, (vgf, input)) in MODELS.iter().enumerate() {
            let mut m = r.load(&read_vgf(vgf)).unwrap_or_else(|e| panic!("{vgf}: {e}"));
            let s = compare_with_interpreter(vgf, input, &mut m, 64, 1000 + i as u64);
            println!("blocked_conv {blocked}: {s}");
        }
    }
}

#[test]
fn submissions_and_dispatch_granularity_do_not_change_results() {
    let Some(r) = runner(Backend::Compute, false) else { return };
    let vgf = read_vgf("minicnn_i8.vgf");
    let graph = vgf.to_tosa().expect("to_tosa");
    let d = graph.input_decls()[0].clone();
    let x = common::random_input(&mut common::Rng::new(77), d.dtype, &d.shape, 5);
    let want =
        vgforge_tosa::interp::run_batched(&graph, std::slice::from_ref(&x)).expect("interpreter");
    let mut m = r.load(&vgf).expect("load");
    // 5 inferences, 2 per submission (3 submissions), then all in one with each
    // granularity of dispatch.
    for (batch, per_dispatch) in [(2, None), (5, Some(1)), (5, Some(5)), (5, Some(2))] {
        m.set_inferences_per_dispatch(per_dispatch);
        let got = m.run(std::slice::from_ref(&x), batch).expect("run");
        let (n, max) = common::int_diff(&got[0], &want[0]);
        assert_eq!(n, 0, "batch {batch}, per dispatch {per_dispatch:?}: {n} differ (max {max})");
    }
}
