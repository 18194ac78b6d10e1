//! Where a model's time goes on the compute backend: runs growing prefixes of the graph
//! (cut after each operator whose result is an int8 activation) at batch 1 and a large
//! batch, and prints per prefix the best wall time and the CPU time of the whole process
//! per inference (on lavapipe the CPU time barely moves when other processes compete for
//! the cores, so it is the steadier number on a shared machine), with the increments.
//!
//! `cargo run --release -p vgforge-runner --example profile_upscaler [-- VGF [BATCH]]`
//! (default: the int8 upscaler fixture, batch 64). `VGFORGE_PER_DISPATCH=N` sets the
//! inferences per dispatch.

use std::path::PathBuf;

use vgforge_runner::{Backend, DeviceSelector, Model, Runner};
use vgforge_tosa::{DType, Graph, Op, Tensor, TensorData};

fn prefix(g: &Graph, end: usize) -> Graph {
    let mut p = g.clone();
    p.operators.truncate(end + 1);
    p.outputs = vec![p.operators[end].outputs[0].clone()];
    p
}

fn input(g: &Graph, k: usize) -> Vec<Tensor> {
    g.input_decls()
        .iter()
        .map(|d| {
            let mut shape = d.shape.clone();
            shape[0] *= k;
            let n: usize = shape.iter().product();
            let data: Vec<i8> =
                (0..n).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as i8).collect();
            Tensor::new(DType::Int8, shape, TensorData::I8(data)).expect("input")
        })
        .collect()
}

/// CPU time of every thread of this process (lavapipe's workers included), in ns.
fn cpu_ns() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return 0 };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum()
}

struct Prefix {
    end: usize,
    model: Model,
    x: Vec<Tensor>,
    best_ms: f64,
    cpu_ns: u64,
    inferences: usize,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/arm/upscaler_i8.vgf")
    });
    let big: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(64);
    let per_dispatch: Option<usize> =
        std::env::var("VGFORGE_PER_DISPATCH").ok().and_then(|v| v.parse().ok());
    let bytes = std::fs::read(&path).expect("read vgf");
    let vgf = vgforge_vgf::read_vgf(&bytes, &path.display().to_string()).expect("vgf");
    let g = vgf.to_tosa().expect("to_tosa");
    let r = match Runner::new(Backend::Compute, DeviceSelector::Auto) {
        Ok(r) => r,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    println!("device: {}", r.device_name().unwrap_or("?"));
    let cuts: Vec<usize> = g
        .operators
        .iter()
        .enumerate()
        .filter(|(_, o)| !matches!(o.op, Op::Const | Op::ConstShape))
        .filter(|(_, o)| g.tensor(&o.outputs[0]).is_some_and(|d| d.dtype == DType::Int8))
        .map(|(i, _)| i)
        .collect();
    for batch in [1, big] {
        let mut prefixes: Vec<Prefix> = cuts
            .iter()
            .map(|&end| {
                let pg = prefix(&g, end);
                let mut model = r.load(&pg).expect("load");
                model.set_inferences_per_dispatch(per_dispatch);
                let x = input(&pg, batch);
                Prefix { end, model, x, best_ms: f64::MAX, cpu_ns: 0, inferences: 0 }
            })
            .collect();
        // Interleaved rounds, so load from other processes hits every prefix alike.
        let (rounds, iters) = if batch == 1 { (20, 10) } else { (4, 2) };
        for _ in 0..rounds {
            for p in prefixes.iter_mut() {
                p.model.run(&p.x, batch).expect("warm-up");
                let c0 = cpu_ns();
                let t = p.model.time(&p.x, batch, 0, iters).expect("time");
                p.cpu_ns += cpu_ns() - c0;
                p.inferences += iters * batch;
                // The fastest run: other work on a shared machine only ever adds time.
                p.best_ms = p.best_ms.min(t.min.as_secs_f64() * 1e3 / batch as f64);
            }
        }
        let (mut prev, mut prev_cpu) = (0.0, 0.0);
        for p in &prefixes {
            let cpu_ms = p.cpu_ns as f64 / 1e6 / p.inferences as f64;
            let last = p.model.dispatches().last().cloned().unwrap_or_default();
            println!(
                "batch {batch:3} up to op {:3}: wall {:7.3} ms (+{:7.3}) cpu {cpu_ms:7.3} ms (+{:7.3})  {last}",
                p.end,
                p.best_ms,
                p.best_ms - prev,
                cpu_ms - prev_cpu
            );
            (prev, prev_cpu) = (p.best_ms, cpu_ms);
        }
    }
}
