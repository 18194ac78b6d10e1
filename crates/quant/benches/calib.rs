//! PTQ of the upscaler as `vgforge quantize` runs it (batch-norm fold, cross-layer
//! equalization pass, 500-sample histogram calibration, bias correction, int8 conversion),
//! then lowering to TOSA and writing the flatbuffer.
//!
//! ExecuTorch is not installable in CI (a 4.4 GB CUDA venv), so its time is the one measured
//! on this machine (`executorch-flow.md`): calibration 1.1 s plus
//! `to_edge_transform_and_lower` 2.1-2.5 s, 3.2-3.6 s in all. The ratio printed at the end
//! is against the low end, 3.2 s.

use std::time::Instant;

use criterion::{Criterion, criterion_group};
use vgforge_graph::spec::ModelSpec;
use vgforge_lower::{LowerOptions, lower};
use vgforge_quant::QuantConfig;
use vgforge_quant::convert::convert;
use vgforge_quant::ptq::calibrate;
use vgforge_train::{Dataset, Model};

/// ExecuTorch's calibration + export of the same model on this machine, seconds (low end).
const EXECUTORCH_SECS: f64 = 3.2;

fn ptq_to_tosa(fp32: &vgforge_graph::Graph, data: &Dataset, cfg: &QuantConfig) -> Vec<u8> {
    let (int8, _) = vgforge_quant::quantize(fp32, data, cfg).unwrap();
    vgforge_tosa::fbs::write(&lower(&int8, &LowerOptions::default()).unwrap()).unwrap()
}

fn benches(c: &mut Criterion) {
    let data = Dataset::embedded().expect("embedded dataset");
    let g = ModelSpec::builtin("upscaler").unwrap().to_graph(Some([3, 16, 16])).unwrap();
    let fp32 = Model::new(&g, 0).unwrap().to_graph().unwrap();
    let cfg = QuantConfig::ptq();
    let (params, _) = calibrate(&fp32, &data.train, &cfg).unwrap();
    let int8 = convert(&fp32, &params).unwrap();

    let mut group = c.benchmark_group("quant");
    group.sample_size(10);
    group.bench_function("calibrate_500_histogram", |b| {
        b.iter(|| calibrate(&fp32, &data.train, &cfg).unwrap())
    });
    group.bench_function("convert_and_lower_upscaler", |b| {
        b.iter(|| lower(&convert(&fp32, &params).unwrap(), &LowerOptions::default()).unwrap())
    });
    group.bench_function("lower_upscaler", |b| {
        b.iter(|| lower(&int8, &LowerOptions::default()).unwrap())
    });
    group.bench_function("ptq_end_to_end", |b| b.iter(|| ptq_to_tosa(&fp32, &data, &cfg)));
    let plain = QuantConfig { equalize: false, bias_correction: false, ..QuantConfig::ptq() };
    group.bench_function("ptq_end_to_end_executorch_scheme", |b| {
        b.iter(|| ptq_to_tosa(&fp32, &data, &plain))
    });
    group.finish();

    let mut t: Vec<f64> = (0..7)
        .map(|_| {
            let t0 = Instant::now();
            ptq_to_tosa(&fp32, &data, &cfg);
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    let ours = t[t.len() / 2];
    println!(
        "vgforge PTQ upscaler (calibrate 500 + convert + lower + write): {:.3} s; ExecuTorch calibration + export {EXECUTORCH_SECS:.1} s: {:.1}x faster",
        ours,
        EXECUTORCH_SECS / ours
    );
}

criterion_group!(calib, benches);

fn main() {
    // As `vgforge` does: Candle's gemm on one thread while calibration's observer thread
    // takes the other core (two gemm threads plus the observers oversubscribe 2 cores).
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
    calib();
    Criterion::default().configure_from_args().final_summary();
}
