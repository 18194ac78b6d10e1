//! Training: loss goes down, runs are deterministic, resume equals an
//! uninterrupted run, and `train` writes its files.

use std::path::PathBuf;

use vgforge_graph::spec::ModelSpec;
use vgforge_graph::{Graph, TensorData};
use vgforge_train::{
    Dataset, Model, NoHooks, OptimizerConfig, TrainConfig, evaluate, fit, graph_for, train,
};

const TINY_UPSCALER: &str = r#"{
  "name": "tiny-upscaler", "task": { "upscale": { "scale": 2 } },
  "layers": [
    { "op": "upsample", "name": "up", "scale": 2, "mode": "bilinear" },
    { "op": "conv2d", "name": "c1", "out_channels": 6, "kernel": 3, "padding": 1 },
    { "op": "relu", "name": "r1" },
    { "op": "conv2d", "name": "c2", "out_channels": 3, "kernel": 3, "padding": 1 },
    { "op": "add", "name": "res", "inputs": ["up", "c2"] }
  ]
}"#;

const TINY_CLASSIFIER: &str = r#"{
  "name": "tiny-classifier", "task": { "classify": { "classes": 3 } },
  "layers": [
    { "op": "conv2d", "name": "c1", "out_channels": 4, "kernel": 3, "stride": 2, "padding": 1, "bias": false },
    { "op": "batchnorm", "name": "bn1" },
    { "op": "relu", "name": "r1" },
    { "op": "maxpool", "name": "p1", "kernel": 2 },
    { "op": "global_avgpool", "name": "gap" },
    { "op": "flatten", "name": "flat" },
    { "op": "linear", "name": "fc", "out_features": 3 }
  ]
}"#;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vgforge-train-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn small_data(train: usize, test: usize) -> Dataset {
    let mut ds = Dataset::embedded().unwrap();
    ds.train.truncate(train);
    ds.test.truncate(test);
    ds
}

fn tiny(spec: &str, data: &Dataset) -> Graph {
    graph_for(&ModelSpec::parse(spec, "test").unwrap(), data).unwrap()
}

fn cfg(steps: u64) -> TrainConfig {
    TrainConfig {
        batch_size: 16,
        max_steps: Some(steps),
        epochs: 100,
        progress: false,
        ..TrainConfig::default()
    }
}

fn weights(g: &Graph) -> Vec<(String, Vec<f32>)> {
    g.tensors
        .iter()
        .filter_map(|t| match &t.data {
            Some(TensorData::F32(v)) => Some((t.name.clone(), v.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn builtin_upscaler_has_11011_parameters() {
    let ds = Dataset::embedded().unwrap();
    let g = graph_for(&ModelSpec::builtin("upscaler").unwrap(), &ds).unwrap();
    let m = Model::new(&g, 0).unwrap();
    assert_eq!(m.parameter_count(), 11_011);
    assert_eq!(m.to_graph().unwrap().parameter_count(), 11_011);
}

#[test]
fn a_few_steps_reduce_the_loss() {
    let ds = small_data(64, 16);
    let g = tiny(TINY_UPSCALER, &ds);
    let model = Model::new(&g, 1).unwrap();
    let c = TrainConfig { optimizer: OptimizerConfig::adamw().with_lr(3e-3), ..cfg(24) };
    let r = fit(&model, &ds, &c, &mut NoHooks, None).unwrap();
    let first: f32 = r.loss_curve[..4].iter().sum();
    let last: f32 = r.loss_curve[20..].iter().sum();
    assert!(last < 0.7 * first, "loss went {first} -> {last}");

    let sgd = OptimizerConfig::Sgd { lr: 0.05, momentum: 0.9, weight_decay: 1e-4, nesterov: true };
    let model = Model::new(&g, 1).unwrap();
    let r =
        fit(&model, &ds, &TrainConfig { optimizer: sgd, ..cfg(24) }, &mut NoHooks, None).unwrap();
    let (first, last): (f32, f32) =
        (r.loss_curve[..4].iter().sum(), r.loss_curve[20..].iter().sum());
    assert!(last < first, "sgd loss went {first} -> {last}");
}

#[test]
fn same_seed_gives_bit_identical_weights() {
    let ds = small_data(48, 16);
    let g = tiny(TINY_CLASSIFIER, &ds);
    let run = |seed| {
        let m = Model::new(&g, seed).unwrap();
        fit(&m, &ds, &TrainConfig { seed, ..cfg(5) }, &mut NoHooks, None).unwrap();
        weights(&m.to_graph().unwrap())
    };
    let a = run(3);
    assert_eq!(a, run(3));
    assert_ne!(a, run(4));
}

#[test]
fn resume_equals_an_uninterrupted_run() {
    let ds = small_data(40, 16);
    let g = tiny(TINY_CLASSIFIER, &ds);
    // 40 images at batch 16 make 2 steps an epoch, so the 7 steps cross
    // epoch boundaries and the cut at step 3 falls inside an epoch.
    let full = Model::new(&g, 9).unwrap();
    let whole = fit(&full, &ds, &TrainConfig { seed: 9, ..cfg(7) }, &mut NoHooks, None).unwrap();

    let dir = tmp("resume");
    let first = Model::new(&g, 9).unwrap();
    fit(&first, &ds, &TrainConfig { seed: 9, ..cfg(3) }, &mut NoHooks, Some(&dir)).unwrap();
    let second = Model::new(&g, 123).unwrap();
    let resumed = fit(
        &second,
        &ds,
        &TrainConfig { seed: 9, resume: Some(dir.clone()), ..cfg(7) },
        &mut NoHooks,
        None,
    )
    .unwrap();
    assert_eq!(resumed.loss_curve, whole.loss_curve);
    assert_eq!(weights(&second.to_graph().unwrap()), weights(&full.to_graph().unwrap()));

    // A different seed must not silently continue someone else's run.
    let third = Model::new(&g, 9).unwrap();
    assert!(
        fit(
            &third,
            &ds,
            &TrainConfig { seed: 8, resume: Some(dir.clone()), ..cfg(7) },
            &mut NoHooks,
            None
        )
        .is_err()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn batchnorm_running_stats_move_only_in_train_mode() {
    let ds = small_data(32, 16);
    let g = tiny(TINY_CLASSIFIER, &ds);
    let m = Model::new(&g, 2).unwrap();
    let rm = || m.param("bn1.running_mean").unwrap().var.as_tensor().to_vec1::<f32>().unwrap();
    assert!(m.trainable().all(|p| !p.name.contains("running")));
    let batch = vgforge_train::Batches::new(&ds.train, g.task, 16, true, None)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    m.forward(&batch.input, false).unwrap();
    assert_eq!(rm(), vec![0.0; 4]);
    m.forward(&batch.input, true).unwrap();
    assert!(rm().iter().any(|v| *v != 0.0));
}

#[test]
fn train_writes_graph_metrics_and_pngs() {
    // 16 test images make one batch both at the training batch size and at
    // `evaluate`'s 64, so the two PSNRs must agree.
    let ds = small_data(32, 16);
    let g = tiny(TINY_UPSCALER, &ds);
    let dir = tmp("train");
    let report = train(&g, &ds, &cfg(4), &dir).unwrap();
    for f in ["fp32.graph", "metrics.json", "loss.png", "samples.png", "checkpoint/checkpoint.json"]
    {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    assert_eq!(report.steps, 4);
    assert_eq!(report.loss_curve.len(), 4);
    let psnr = report.eval.psnr_db.unwrap();
    assert!(psnr.is_finite() && report.eval.bilinear_psnr_db.unwrap() > 10.0);
    assert_eq!(report.eval.samples, 16);
    let back = vgforge_graph::read_file(dir.join("fp32.graph")).unwrap();
    let again = evaluate(&back, &ds).unwrap();
    assert!((again.psnr_db.unwrap() - psnr).abs() < 1e-6);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["steps"], 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn graph_round_trip_keeps_the_forward_pass() {
    let ds = small_data(16, 16);
    let g = tiny(TINY_CLASSIFIER, &ds);
    let m = Model::new(&g, 4).unwrap();
    let back = Model::from_graph(&m.to_graph().unwrap()).unwrap();
    let batch = vgforge_train::Batches::new(&ds.test, g.task, 16, true, None)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let a =
        m.forward(&batch.input, false).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let b =
        back.forward(&batch.input, false).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(a, b);
    // A graph without weights cannot be loaded as trained.
    assert!(Model::from_graph(&g).is_err());
}

#[test]
fn corrupt_checkpoints_and_bad_configs_are_errors() {
    let ds = small_data(32, 16);
    let g = tiny(TINY_CLASSIFIER, &ds);
    let dir = tmp("corrupt");
    let m = Model::new(&g, 1).unwrap();
    fit(&m, &ds, &cfg(2), &mut NoHooks, Some(&dir)).unwrap();
    let resume = || {
        let m = Model::new(&g, 1).unwrap();
        fit(&m, &ds, &TrainConfig { resume: Some(dir.clone()), ..cfg(3) }, &mut NoHooks, None)
    };
    assert!(resume().is_ok());
    let tensors = dir.join(vgforge_train::checkpoint::TENSORS);
    let bytes = std::fs::read(&tensors).unwrap();
    std::fs::write(&tensors, &bytes[..bytes.len() / 2]).unwrap();
    let err = resume().unwrap_err();
    assert!(err.to_string().contains("checkpoint"), "{err}");
    std::fs::write(dir.join(vgforge_train::checkpoint::STATE), b"{\"version\": 99").unwrap();
    assert!(resume().is_err());
    std::fs::remove_dir_all(&dir).unwrap();

    for bad in [
        TrainConfig { epochs: 0, ..cfg(1) },
        TrainConfig { batch_size: 0, ..cfg(1) },
        TrainConfig { optimizer: OptimizerConfig::adamw().with_lr(-1.0), ..cfg(1) },
        TrainConfig {
            optimizer: OptimizerConfig::Sgd {
                lr: 0.1,
                momentum: 0.0,
                weight_decay: 0.0,
                nesterov: true,
            },
            ..cfg(1)
        },
        TrainConfig { batch_size: 64, ..cfg(1) },
    ] {
        let m = Model::new(&g, 1).unwrap();
        assert!(fit(&m, &ds, &bad, &mut NoHooks, None).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn optimizer_state_holds_no_autograd_graph() {
    // Regression: BatchNorm's dγ is computed from tracked tensors; keeping it
    // tracked in AdamW's moments chained every step's graph and leaked GBs.
    let ds = small_data(32, 16);
    let g = tiny(TINY_CLASSIFIER, &ds);
    let m = Model::new(&g, 1).unwrap();
    let batch = vgforge_train::Batches::new(&ds.train, g.task, 16, true, None)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    for cfg in [
        OptimizerConfig::adamw(),
        OptimizerConfig::Sgd { lr: 0.1, momentum: 0.9, weight_decay: 0.0, nesterov: false },
    ] {
        let mut opt = vgforge_train::optimizer_for(&m, &cfg).unwrap();
        vgforge_train::train_step(&m, &mut opt, &batch, &mut NoHooks).unwrap();
        vgforge_train::train_step(&m, &mut opt, &batch, &mut NoHooks).unwrap();
        let state = opt.state();
        assert!(state.contains_key("m.bn1.weight"));
        assert!(state.values().all(|t| !t.track_op()), "{cfg:?} keeps a tracked tensor");
        assert!(m.params().iter().all(|p| p.var.as_tensor().is_variable()));
    }
}

#[test]
fn batchnorm_recalibration_moves_only_running_stats() {
    let ds = small_data(48, 16);
    let g = tiny(TINY_CLASSIFIER, &ds);
    let m = Model::new(&g, 6).unwrap();
    fit(&m, &ds, &cfg(3), &mut NoHooks, None).unwrap();
    let snapshot = |running: bool| -> Vec<Vec<f32>> {
        m.params()
            .iter()
            .filter(|p| p.name.contains("running") == running)
            .map(|p| p.var.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap())
            .collect()
    };
    let (stats, weights) = (snapshot(true), snapshot(false));
    vgforge_train::recalibrate_batchnorm(&m, &ds, 16, 5, 0).unwrap();
    assert_ne!(snapshot(true), stats);
    assert_eq!(snapshot(false), weights);
}
