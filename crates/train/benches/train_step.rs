//! One upscaler training step (batch 64, 16×16 → 32×32, AdamW), and the
//! forward pass alone, for our model; plus the same step written with
//! Candle's own conv2d (whose backward uses its direct-loop
//! conv_transpose2d), to measure what the custom conv op buys. Compare with
//! tools/bench/torch_step.py for PyTorch.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Conv2dConfig, Optimizer, VarBuilder, VarMap};
use criterion::{Criterion, criterion_group, criterion_main};
use vgforge_graph::spec::ModelSpec;
use vgforge_train::{
    Batches, Dataset, Model, NoHooks, OptimizerConfig, Target, graph_for, optimizer_for, train_step,
};

struct CandleUpscaler {
    convs: Vec<candle_nn::Conv2d>,
}

impl CandleUpscaler {
    fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        let cfg = Conv2dConfig { padding: 1, ..Default::default() };
        let convs = vec![
            candle_nn::conv2d(3, 32, 3, cfg, vb.pp("c1"))?,
            candle_nn::conv2d(32, 32, 3, cfg, vb.pp("c2"))?,
            candle_nn::conv2d(32, 3, 3, cfg, vb.pp("c3"))?,
        ];
        Ok(CandleUpscaler { convs })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        let x = x.upsample_bilinear2d(h * 2, w * 2, false)?;
        let x = self.convs[0].forward(&x)?.relu()?;
        let x = self.convs[1].forward(&x)?.relu()?;
        self.convs[2].forward(&x)
    }
}

fn bench(c: &mut Criterion) {
    let data = Dataset::embedded().expect("embedded data");
    let graph = graph_for(&ModelSpec::builtin("upscaler").expect("spec"), &data).expect("graph");
    let model = Model::new(&graph, 0).expect("model");
    let batch = Batches::new(&data.train, graph.task, 64, true, Some((0, 0)))
        .expect("batches")
        .next()
        .expect("a batch")
        .expect("batch");
    let mut opt = optimizer_for(&model, &OptimizerConfig::adamw()).expect("optimizer");
    let mut g = c.benchmark_group("train");
    g.sample_size(10);
    g.bench_function("upscaler_step_b64", |b| {
        b.iter(|| train_step(&model, &mut opt, &batch, &mut NoHooks).expect("step"))
    });
    g.bench_function("upscaler_forward_b64", |b| {
        b.iter(|| model.forward(&batch.input, true).expect("forward"))
    });

    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let reference = CandleUpscaler::new(vb).expect("candle model");
    let mut adamw = candle_nn::AdamW::new(
        varmap.all_vars(),
        candle_nn::ParamsAdamW { lr: 1e-3, ..Default::default() },
    )
    .expect("adamw");
    let Target::Image(target) = &batch.target else {
        panic!("upscaler batch without an image target")
    };
    g.bench_function("candle_conv_upscaler_step_b64", |b| {
        b.iter(|| {
            let loss = reference
                .forward(&batch.input)
                .and_then(|y| candle_nn::loss::mse(&y, target))
                .expect("loss");
            adamw.backward_step(&loss).expect("step");
        })
    });
    g.bench_function("candle_conv_upscaler_forward_b64", |b| {
        b.iter(|| reference.forward(&batch.input).expect("forward"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
