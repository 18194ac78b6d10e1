//! PTQ calibration (500 samples, histogram observers) and int8 lowering of the upscaler.
//! ExecuTorch on this machine: calibration 1.1 s, `to_edge_transform_and_lower` 2.1-2.5 s.

use criterion::{Criterion, criterion_group, criterion_main};
use vgforge_graph::spec::ModelSpec;
use vgforge_lower::{LowerOptions, lower};
use vgforge_quant::QuantConfig;
use vgforge_quant::convert::convert;
use vgforge_quant::ptq::calibrate;
use vgforge_train::{Dataset, Model};

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
    group.bench_function("ptq_end_to_end", |b| {
        b.iter(|| {
            let (p, _) = calibrate(&fp32, &data.train, &cfg).unwrap();
            let t = lower(&convert(&fp32, &p).unwrap(), &LowerOptions::default()).unwrap();
            vgforge_tosa::fbs::write(&t).unwrap()
        })
    });
    group.finish();
}

criterion_group!(calib, benches);
criterion_main!(calib);
