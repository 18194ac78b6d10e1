//! Emit and read times for the int8 upscaler (ExecuTorch's TOSA graph), next to Arm's
//! model-converter converting the same `.tosa` (spawned; skipped when absent).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vgforge_vgf::{WriteOptions, read_vgf, write_vgf};

use vgforge_testkit::arm_fixture as fixture;

fn bench(c: &mut Criterion) {
    let tosa_path = fixture("upscaler_i8.tosa");
    let tosa = std::fs::read(&tosa_path).expect("fixture upscaler_i8.tosa");
    let graph = vgforge_tosa::fbs::read(&tosa, "upscaler_i8.tosa").expect("tosa graph");
    let opts = WriteOptions::default();
    let ours = write_vgf(&graph, &opts).expect("write");
    let theirs = std::fs::read(fixture("upscaler_i8.vgf")).expect("fixture upscaler_i8.vgf");

    let mut g = c.benchmark_group("vgf/upscaler_i8");
    g.throughput(Throughput::Bytes(ours.len() as u64));
    g.bench_function("emit (tosa graph -> vgf bytes)", |b| {
        b.iter(|| write_vgf(black_box(&graph), &opts).unwrap())
    });
    g.bench_function("read (vgf bytes -> container)", |b| {
        b.iter(|| read_vgf(black_box(&ours), "ours").unwrap())
    });
    g.bench_function("read+lift ours (vgf -> tosa graph)", |b| {
        b.iter(|| read_vgf(black_box(&ours), "ours").unwrap().to_tosa().unwrap())
    });
    g.bench_function("read+lift model-converter's (vgf -> tosa graph)", |b| {
        b.iter(|| read_vgf(black_box(&theirs), "theirs").unwrap().to_tosa().unwrap())
    });
    g.finish();

    model_converter(&tosa_path, &graph, &opts);
}

/// Times `model-converter -i upscaler_i8.tosa -o X.vgf` as a whole process, and our emit plus
/// file write the same way, and prints both.
fn model_converter(tosa_path: &std::path::Path, graph: &vgforge_tosa::Graph, opts: &WriteOptions) {
    let exe = match vgforge_tosa::tools::Venv::find().and_then(|v| v.tool("model-converter")) {
        Ok(exe) => exe,
        Err(reason) => {
            println!("skipped: model-converter comparison ({reason})");
            return;
        }
    };
    let dir = std::env::temp_dir().join(format!("vgforge-vgf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("mc.vgf");
    let runs = 10;
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let st = std::process::Command::new(&exe)
            .arg("--input")
            .arg(tosa_path)
            .arg("--output")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("spawn model-converter");
        assert!(st.success(), "model-converter failed");
        times.push(t.elapsed());
    }
    let ours_path = dir.join("ours.vgf");
    let mut ours = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        vgforge_vgf::write_vgf_file(&ours_path, graph, opts).expect("write");
        ours.push(t.elapsed());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "upscaler_i8 .tosa -> .vgf: model-converter 0.11.0 (whole process) median {:.1} ms over {runs} runs; \
         vgforge write_vgf_file median {:.3} ms",
        median(&mut times).as_secs_f64() * 1e3,
        median(&mut ours).as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
