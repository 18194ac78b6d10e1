//! The int8 upscaler from ExecuTorch's Arm backend (`fixtures/arm/upscaler_i8.tosa`,
//! 1x16x16x3 -> 1x32x32x3: RESIZE, 3 CONV2D, 4 RESCALE) through our interpreter, batch 1,
//! and Arm's `tosa_reference_model` on the same input for comparison.
//!
//! `cargo bench -p vgforge-tosa --bench interp`. The reference-model time is the wall time
//! of one `tosa_reference_model` process per inference, as a user runs it: process start,
//! flatbuffer parse, graph validation, `.npy` input read, evaluation and `.npy` output
//! write. A second figure runs it with `--eval 0` (everything but the evaluation) so the
//! evaluation alone can be estimated. Our figure includes validation and evaluation
//! (`interp::run`), not the file read (the graph is parsed once, as a runtime would).

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vgforge_testkit::arm_fixture;
use vgforge_tosa::tools::ArmTools;
use vgforge_tosa::{fbs, interp, npy};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(c: &mut Criterion) {
    let tosa = arm_fixture("upscaler_i8.tosa");
    let input_file = arm_fixture("upscaler_input_0.npy");
    let graph = fbs::read_file(&tosa).expect("fixture");
    let x = npy::read(&input_file).expect("fixture input");
    let want = npy::read(arm_fixture("upscaler_expected_0.npy")).expect("fixture output");
    let got = interp::run(&graph, std::slice::from_ref(&x)).expect("interpreter");
    assert_eq!(got[0].data.to_i64_vec(), want.data.to_i64_vec(), "interpreter is not bit-exact");

    let mut group = c.benchmark_group("tosa");
    group.throughput(Throughput::Elements(1));
    group.bench_function("interp/upscaler_i8_b1", |b| {
        b.iter(|| interp::run(black_box(&graph), black_box(std::slice::from_ref(&x))).unwrap())
    });
    group.finish();

    // Same measure for both sides for the ratio: median of wall-clock runs.
    let ours = median(
        (0..30)
            .map(|_| {
                let t = Instant::now();
                black_box(interp::run(&graph, std::slice::from_ref(&x)).unwrap());
                t.elapsed()
            })
            .collect(),
    );
    let exe = match ArmTools::find().and_then(|t| t.venv().tool("tosa_reference_model")) {
        Ok(exe) => exe,
        Err(reason) => {
            println!(
                "interp/upscaler_i8_b1: ours {ours:?} per inference; reference model skipped: {reason}"
            );
            return;
        }
    };
    let out = std::env::temp_dir().join(format!("vgforge-bench-{}.npy", std::process::id()));
    let run_ref = |eval: bool| {
        let t = Instant::now();
        let status = Command::new(&exe)
            .arg("--tosa_file")
            .arg(&tosa)
            .args(["--ifm_name", &graph.inputs[0], "--ifm_file"])
            .arg(&input_file)
            .args(["--ofm_name", &graph.outputs[0], "--ofm_file"])
            .arg(&out)
            .args(["--eval", if eval { "1" } else { "0" }])
            .output()
            .expect("spawn tosa_reference_model");
        assert!(status.status.success(), "tosa_reference_model failed");
        t.elapsed()
    };
    let full = median((0..10).map(|_| run_ref(true)).collect());
    let no_eval = median((0..10).map(|_| run_ref(false)).collect());
    let _ = std::fs::remove_file(&out);
    let eval_only = full.saturating_sub(no_eval);
    println!("interp/upscaler_i8_b1 (median wall time per inference, batch 1):");
    println!("  vgforge interp::run           {ours:>12?}");
    println!(
        "  tosa_reference_model process  {full:>12?}  ratio {:.1}x",
        full.as_secs_f64() / ours.as_secs_f64()
    );
    println!("  tosa_reference_model --eval 0 {no_eval:>12?}  (start, parse, validate, npy I/O)");
    println!(
        "  reference evaluation alone    {eval_only:>12?}  ratio {:.1}x",
        eval_only.as_secs_f64() / ours.as_secs_f64()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
