//! Cross-layer equalization keeps the fp32 network's function; bias correction removes the
//! mean error int8 weights add; both are recorded and undone where the report needs it.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};
use vgforge_graph::spec::ModelSpec;
use vgforge_graph::{Graph, TensorData};
use vgforge_quant::biascorr::correct_biases;
use vgforge_quant::convert::weight_scales;
use vgforge_quant::equalize::{Equalized, apply, plan, recorded, to_metadata};
use vgforge_train::Model;

fn upscaler(seed: u64) -> Graph {
    let g = ModelSpec::builtin("upscaler").unwrap().to_graph(Some([3, 16, 16])).unwrap();
    Model::new(&g, seed).unwrap().to_graph().unwrap()
}

fn input(n: usize) -> Tensor {
    let v: Vec<f32> = (0..n * 3 * 16 * 16).map(|i| ((i * 37 % 101) as f32) / 100.0).collect();
    Tensor::from_vec(v, (n, 3, 16, 16), &Device::Cpu).unwrap()
}

fn forward(g: &Graph, x: &Tensor) -> Vec<f32> {
    Model::from_graph(g)
        .unwrap()
        .forward(x, false)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn f32s<'a>(g: &'a Graph, name: &str) -> &'a [f32] {
    g.tensor(name).unwrap().data.as_ref().unwrap().as_f32().unwrap()
}

#[test]
fn equalization_keeps_fp32_outputs() {
    let g = upscaler(1);
    let mut act_max = BTreeMap::new();
    act_max.insert("relu1".to_string(), (0..32).map(|i| 0.05 + 0.06 * i as f32).collect());
    // A dead channel keeps scale 1.
    let mut m2: Vec<f32> = (0..32).map(|i| 1.5 - 0.04 * i as f32).collect();
    m2[7] = 0.0;
    act_max.insert("relu2".to_string(), m2);
    let pairs = plan(&g, &act_max);
    let names: Vec<_> = pairs.iter().map(|p| (p.producer.as_str(), p.consumer.as_str())).collect();
    assert_eq!(names, [("conv1", "conv2"), ("conv2", "conv3")]);
    assert_eq!(pairs[1].scales[7], 1.0);
    assert_eq!(pairs[0].scales[31], 1.0, "the widest channel keeps its range");
    assert!((pairs[0].scales[0] - (0.05f32 / 1.91).sqrt()).abs() < 1e-6);
    let eq = apply(&g, &pairs).unwrap();
    assert_ne!(f32s(&eq, "conv1.weight"), f32s(&g, "conv1.weight"));
    let x = input(4);
    let (a, b) = (forward(&g, &x), forward(&eq, &x));
    let scale = a.iter().fold(0f32, |m, v| m.max(v.abs()));
    let err = a.iter().zip(&b).fold(0f32, |m, (p, q)| m.max((p - q).abs()));
    assert!(err / scale < 1e-5, "relative error {}", err / scale);
}

#[test]
fn equalization_round_trips_through_metadata_and_rejects_garbage() {
    let pairs = vec![
        Equalized {
            producer: "conv1".into(),
            consumer: "conv2".into(),
            scales: vec![1.0, 0.1234567, 3e-5],
        },
        Equalized { producer: "conv2".into(), consumer: "conv3".into(), scales: vec![0.5] },
    ];
    let mut g = upscaler(0);
    g.metadata.insert(vgforge_quant::equalize::METADATA_KEY.into(), to_metadata(&pairs));
    assert_eq!(recorded(&g).unwrap(), pairs);
    g.metadata.insert(vgforge_quant::equalize::METADATA_KEY.into(), "conv1>conv2:1,x".into());
    let e = recorded(&g).unwrap_err().to_string();
    assert!(e.contains("quant.equalized") && e.contains("'x'"), "{e}");
    // Scales that do not fit the layers are an error naming them, not a panic.
    let wrong =
        [Equalized { producer: "conv1".into(), consumer: "conv2".into(), scales: vec![1.0; 5] }];
    let e = apply(&upscaler(0), &wrong).unwrap_err().to_string();
    assert!(e.contains("conv1") && e.contains("5 scales"), "{e}");
    let skip =
        [Equalized { producer: "conv1".into(), consumer: "conv3".into(), scales: vec![1.0; 32] }];
    assert!(apply(&upscaler(0), &skip).is_err());
}

#[test]
fn bias_correction_cancels_the_mean_weight_error() {
    let g = upscaler(2);
    // Means of the inputs of every layer, as calibration measures them.
    let mut means = BTreeMap::new();
    means.insert("upsample".to_string(), vec![0.4, 0.5, 0.6]);
    means.insert("relu1".to_string(), (0..32).map(|i| 0.1 + 0.01 * i as f32).collect());
    means.insert("relu2".to_string(), (0..32).map(|i| 0.3 - 0.005 * i as f32).collect());
    let (bc, shifts) = correct_biases(&g, &means).unwrap();
    assert_eq!(shifts.len(), 3, "{shifts:?}");
    // conv2 on a constant input equal to its channel means (interior pixel, no padding):
    // the corrected bias with int8 weights matches fp32 exactly in expectation.
    let w = f32s(&g, "conv2.weight");
    let s_w = weight_scales(w, 32);
    let mu = &means["relu1"];
    let per = 32 * 9;
    let (b0, b1) = (f32s(&g, "conv2.bias"), f32s(&bc, "conv2.bias"));
    let (mut before, mut after) = (0f64, 0f64);
    for o in 0..32 {
        let (mut exact, mut quant) = (f64::from(b0[o]), 0f64);
        for c in 0..32 {
            for t in 0..9 {
                let v = w[o * per + c * 9 + t];
                let q = (v / s_w[o]).round().clamp(-127.0, 127.0) * s_w[o];
                exact += f64::from(v * mu[c]);
                quant += f64::from(q * mu[c]);
            }
        }
        // Interior taps see no padding; correction used the whole-image share, so allow
        // the border fraction (2 of 32 rows/columns) of the shift as slack.
        before += (quant + f64::from(b0[o]) - exact).abs();
        after += (quant + f64::from(b1[o]) - exact).abs();
    }
    assert!(before > 0.0);
    assert!(after < 0.2 * before, "mean error {after} after vs {before} before");
    // Other tensors are untouched.
    assert_eq!(f32s(&g, "conv2.weight"), f32s(&bc, "conv2.weight"));
    let Some(TensorData::F32(_)) = bc.tensor("conv2.bias").unwrap().data.as_ref() else { panic!() };
}
