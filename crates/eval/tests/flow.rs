//! End to end on the embedded dataset: PTQ and QAT, int8 lowering, integer-exact evaluation,
//! the per-layer report, batch-norm folding and fp32 lowering against the Candle model.

use candle_core::Device;
use vgforge_eval::{eval_int8, report};
use vgforge_graph::spec::ModelSpec;
use vgforge_graph::{Graph, TensorData};
use vgforge_lower::{LowerOptions, lower, lower_full};
use vgforge_quant::bnfold::fold_batchnorm;
use vgforge_quant::{Method, ObserverKind, QatConfig, QuantConfig, quantize};
use vgforge_train::data::make_batch;
use vgforge_train::{Dataset, EvalOptions, Model, NoHooks, TrainConfig, evaluate_set, fit};

fn trained_upscaler(data: &Dataset, steps: u64) -> Graph {
    let g = ModelSpec::builtin("upscaler")
        .unwrap()
        .to_graph(Some(data.input_chw(vgforge_graph::Task::Upscale { scale: 2 }).unwrap()))
        .unwrap();
    let model = Model::new(&g, 0).unwrap();
    let cfg = TrainConfig {
        max_steps: Some(steps),
        progress: false,
        eval_batches: Some(1),
        ..TrainConfig::default()
    };
    fit(&model, data, &cfg, &mut NoHooks, None).unwrap();
    model.to_graph().unwrap()
}

fn classifier(data: &Dataset) -> Graph {
    let mut g = ModelSpec::builtin("classifier").unwrap().to_graph(Some(data.train.chw)).unwrap();
    let model = Model::new(&g, 3).unwrap();
    g = model.to_graph().unwrap();
    // Non-trivial running statistics, so folding has something to fold.
    for t in &mut g.tensors {
        let n = t.numel();
        if t.name.ends_with("running_mean") {
            t.data = Some(TensorData::F32((0..n).map(|i| 0.05 * ((i % 7) as f32 - 3.0)).collect()));
        } else if t.name.ends_with("running_var") {
            t.data = Some(TensorData::F32((0..n).map(|i| 0.5 + 0.1 * (i % 5) as f32).collect()));
        } else if t.name.starts_with("bn") && t.name.ends_with(".bias") {
            t.data = Some(TensorData::F32((0..n).map(|i| 0.02 * (i % 3) as f32).collect()));
        }
    }
    g
}

fn max_rel(a: &[f32], b: &[f32]) -> f32 {
    let scale = a.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12);
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[test]
fn upscaler_ptq_eval_and_report() {
    let data = Dataset::embedded().unwrap();
    let fp32 = trained_upscaler(&data, 4);
    let cfg = QuantConfig { calib: 64, ..QuantConfig::ptq() };
    let (int8, rep) = quantize(&fp32, &data, &cfg).unwrap();
    assert_eq!(rep.method, Method::Ptq);
    assert_eq!(rep.calib_samples, 64);
    assert_eq!(rep.observers.len(), 4, "input, relu1, relu2, conv3: {:?}", rep.observers);
    assert!(rep.observers.values().all(|o| *o == ObserverKind::PTQ_DEFAULT));
    assert_eq!(int8.tensor("conv1").unwrap().quant, int8.tensor("relu1").unwrap().quant);
    assert_eq!(int8.tensor("upsample").unwrap().quant, int8.tensor("input").unwrap().quant);
    // Equalization and bias correction are on by default, recorded, and can be turned off
    // for ExecuTorch's exact int8 model: then the biases are the trained ones.
    let pairs = vgforge_quant::equalize::recorded(&int8).unwrap();
    assert_eq!(pairs.len(), 2, "conv1->conv2, conv2->conv3");
    let plain = QuantConfig { equalize: false, bias_correction: false, ..cfg.clone() };
    let (int8_plain, _) = quantize(&fp32, &data, &plain).unwrap();
    assert!(vgforge_quant::equalize::recorded(&int8_plain).unwrap().is_empty());
    // Per-channel weight codes are scale invariant; their scales are not.
    assert_ne!(
        int8.tensor("conv1.weight").unwrap().quant,
        int8_plain.tensor("conv1.weight").unwrap().quant
    );
    let dq = vgforge_quant::convert::dequantize_graph(&int8_plain).unwrap();
    let (b, b0) = (dq.tensor("conv3.bias").unwrap(), fp32.tensor("conv3.bias").unwrap());
    let (b, b0) =
        (b.data.as_ref().unwrap().as_f32().unwrap(), b0.data.as_ref().unwrap().as_f32().unwrap());
    assert!(b.iter().zip(b0).all(|(x, y)| (x - y).abs() < 1e-6), "{b:?} vs {b0:?}");

    let lowered = lower_full(&int8, &LowerOptions::default()).unwrap();
    let io = lowered.io.unwrap();
    let opts = EvalOptions { batch_size: 32, max_batches: Some(2) };
    let int = eval_int8(&lowered.graph, &io, &data.test, fp32.task, opts).unwrap();
    let fp =
        evaluate_set(&Model::from_graph(&fp32).unwrap(), &data.test, opts, &mut NoHooks).unwrap();
    let (pi, pf) = (int.psnr_db.unwrap(), fp.psnr_db.unwrap());
    println!(
        "psnr fp32 {pf:.3} dB, int8 {pi:.3} dB, bilinear {:.3} dB",
        int.bilinear_psnr_db.unwrap()
    );
    assert_eq!(int.samples, 64);
    assert!((pi - pf).abs() < 0.5, "int8 {pi} vs fp32 {pf}");
    assert!((int.bilinear_psnr_db.unwrap() - fp.bilinear_psnr_db.unwrap()).abs() < 1e-6);

    let r = report(&fp32, &int8, &lowered.graph, &data.test, 16).unwrap();
    let layers: Vec<&str> = r.rows.iter().map(|x| x.layer.as_str()).collect();
    assert_eq!(r.rows.len(), 5, "{layers:?}");
    for l in ["input", "upsample", "relu1", "relu2", "conv3"] {
        assert!(layers.contains(&l), "{l} missing from {layers:?}");
    }
    assert!(r.rows.windows(2).all(|w| w[0].int_sqnr_db <= w[1].int_sqnr_db), "weakest first");
    for row in &r.rows {
        assert!(row.int_sqnr_db > 20.0 && row.fake_quant_sqnr_db > 20.0, "{row:?}");
        // Integer and simulated errors agree to within a few dB: both quantize the same way.
        assert!((row.int_sqnr_db - row.fake_quant_sqnr_db).abs() < 6.0, "{row:?}");
    }
    assert_eq!(r.rows.iter().find(|x| x.layer == "relu1").unwrap().op, "conv2d+relu");
    print!("{}", r.to_markdown());
    let dir = std::env::temp_dir().join(format!("vgforge-quant-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    r.write_png(&dir.join("r.png")).unwrap();
    r.write_json(&dir.join("r.json")).unwrap();
    r.write_markdown(&dir.join("r.md")).unwrap();
    let png = std::fs::read(dir.join("r.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let back: vgforge_eval::LayerReport =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(back.rows.len(), 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn upscaler_qat_runs_schedule() {
    let data = Dataset::embedded().unwrap();
    let fp32 = trained_upscaler(&data, 2);
    let cfg = QuantConfig {
        qat: QatConfig {
            batch_size: 16,
            max_steps_per_epoch: Some(4),
            freeze_observers_at: 0.5,
            ..QatConfig::default()
        },
        ..QuantConfig::qat()
    };
    let (int8, rep) = quantize(&fp32, &data, &cfg).unwrap();
    let s = rep.qat.unwrap();
    assert_eq!((s.steps, s.frozen_at), (4, 2));
    assert!(s.first_loss.is_finite() && s.last_loss.is_finite());
    assert!(rep.observers.values().all(|o| *o == ObserverKind::QAT_DEFAULT));
    // Fine-tuning moved the weights.
    assert_ne!(
        int8.tensor("conv2.weight").unwrap().data,
        vgforge_quant::convert(&fp32, &rep.act_params)
            .unwrap()
            .tensor("conv2.weight")
            .unwrap()
            .data
    );
    let t = lower(&int8, &LowerOptions::default()).unwrap();
    assert!(t.compute_op_count() >= 8);
}

#[test]
fn classifier_batchnorm_fold_lowering_and_int8() {
    let data = Dataset::embedded().unwrap();
    let fp32 = classifier(&data);
    let idx: Vec<usize> = (0..8).collect();
    let batch = make_batch(&data.test, &idx, fp32.task, &Device::Cpu).unwrap();

    // Folding keeps the fp32 outputs.
    let folded = fold_batchnorm(&fp32).unwrap();
    assert!(folded.nodes.iter().all(|n| n.op.kind() != "batchnorm"));
    let a = Model::from_graph(&fp32)
        .unwrap()
        .forward(&batch.input, false)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let b = Model::from_graph(&folded)
        .unwrap()
        .forward(&batch.input, false)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let rel = max_rel(&a, &b);
    println!("bn fold max relative difference {rel:e}");
    assert!(rel < 1e-5, "{rel}");

    // The fp32 TOSA graph computes what Candle computes.
    let t = lower(&fp32, &LowerOptions { batch: Some(8), validate: true }).unwrap();
    let x = batch.input.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut nhwc = vec![0f32; x.len()];
    let [n, c, h, w] = [8, 3, 32, 32];
    for bi in 0..n {
        for ch in 0..c {
            for y in 0..h {
                for xx in 0..w {
                    nhwc[((bi * h + y) * w + xx) * c + ch] = x[((bi * c + ch) * h + y) * w + xx];
                }
            }
        }
    }
    let out = vgforge_tosa::interp::run(
        &t,
        &[vgforge_tosa::Tensor::f32(vec![n, h, w, c], nhwc).unwrap()],
    )
    .unwrap()
    .remove(0);
    let vgforge_tosa::TensorData::F32(y) = &out.data else { panic!() };
    let rel = max_rel(&a, y);
    println!("fp32 tosa vs candle max relative difference {rel:e}");
    assert!(rel < 1e-4, "{rel}");

    // PTQ with a per-layer observer override, then integer evaluation.
    let mut cfg =
        QuantConfig { calib: 32, observer: Some(ObserverKind::MinMax), ..QuantConfig::ptq() };
    cfg.per_layer.insert("relu3".into(), ObserverKind::Percentile { percentile: 99.9, bins: 2048 });
    let (int8, rep) = quantize(&fp32, &data, &cfg).unwrap();
    assert_eq!(rep.observers["relu3"], ObserverKind::Percentile { percentile: 99.9, bins: 2048 });
    assert_eq!(rep.observers["relu1"], ObserverKind::MinMax);
    let lowered = lower_full(&int8, &LowerOptions::default()).unwrap();
    let m = eval_int8(
        &lowered.graph,
        &lowered.io.unwrap(),
        &data.test,
        fp32.task,
        EvalOptions { batch_size: 16, max_batches: Some(2) },
    )
    .unwrap();
    assert!(m.accuracy.is_some() && m.psnr_db.is_none());
    let r = report(&fp32, &int8, &lowered.graph, &data.test, 8).unwrap();
    let fc = r.rows.iter().find(|x| x.layer == "fc").unwrap();
    println!("{}", r.to_markdown());
    assert!(fc.int_sqnr_db > 15.0, "{fc:?}");
}

#[test]
fn bad_configs_are_errors() {
    let data = Dataset::embedded().unwrap();
    let g = ModelSpec::builtin("upscaler").unwrap().to_graph(Some([3, 16, 16])).unwrap();
    let g = Model::new(&g, 0).unwrap().to_graph().unwrap();
    let e = quantize(&g, &data, &QuantConfig { calib: 0, ..QuantConfig::ptq() }).unwrap_err();
    assert!(e.to_string().contains("calib"), "{e}");
    let e = quantize(
        &g,
        &data,
        &QuantConfig {
            observer: Some(ObserverKind::Percentile { percentile: 40.0, bins: 100 }),
            ..QuantConfig::ptq()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("percentile"), "{e}");
    let e = quantize(
        &g,
        &data,
        &QuantConfig { qat: QatConfig { lr: -1.0, ..QatConfig::default() }, ..QuantConfig::qat() },
    )
    .unwrap_err();
    assert!(e.to_string().contains("qat.lr"), "{e}");
}

#[test]
fn classifier_qat_simulates_batchnorm_fold() {
    let data = Dataset::embedded().unwrap();
    let fp32 = classifier(&data);
    let cfg = QuantConfig {
        qat: QatConfig { batch_size: 16, max_steps_per_epoch: Some(3), ..QatConfig::default() },
        ..QuantConfig::qat()
    };
    let (int8, rep) = quantize(&fp32, &data, &cfg).unwrap();
    assert_eq!(rep.qat.unwrap().steps, 3);
    // Batch norms are folded after training; the conv takes the ReLU's parameters.
    assert!(int8.nodes.iter().all(|n| n.op.kind() != "batchnorm"));
    assert_eq!(int8.tensor("conv1").unwrap().quant, int8.tensor("relu1").unwrap().quant);
    assert!(int8.tensor("conv1.bias").is_some_and(|b| matches!(b.data, Some(TensorData::I32(_)))));
    // Training moved the running statistics that the fold used.
    let folded_before = fold_batchnorm(&fp32).unwrap();
    assert_ne!(
        vgforge_quant::convert::dequantize_graph(&int8).unwrap().tensor("conv1.bias").unwrap().data,
        folded_before.tensor("conv1.bias").unwrap().data
    );
    let lowered = lower_full(&int8, &LowerOptions::default()).unwrap();
    let m = eval_int8(
        &lowered.graph,
        &lowered.io.unwrap(),
        &data.test,
        fp32.task,
        EvalOptions { batch_size: 16, max_batches: Some(1) },
    )
    .unwrap();
    assert!(m.accuracy.is_some());
}
