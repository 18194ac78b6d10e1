//! Lowering: op sequences, unsupported layers, the sidecar, and int8 vs fp32 agreement of
//! every supported layer kind (the int8 graph is quantized from the fp32 graph's own ranges).

use std::collections::BTreeMap;

use vgforge_graph::spec::ModelSpec;
use vgforge_graph::{DType, Graph, Op as GOp, QuantParams, TensorData};
use vgforge_lower::{Error, IoQuant, LowerOptions, Precision, lower, lower_full, sidecar_path};
use vgforge_tosa::{Op, Tensor, TensorData as TData, interp};

const RESIDUAL: &str = r#"{
  "name": "residual", "task": { "classify": { "classes": 4 } }, "input": [3, 8, 8],
  "layers": [
    { "op": "conv2d", "name": "c1", "out_channels": 8, "kernel": 3, "padding": 1 },
    { "op": "relu", "name": "r1" },
    { "op": "conv2d", "name": "c2", "out_channels": 8, "kernel": 3, "padding": 1 },
    { "op": "add", "name": "add", "inputs": ["c2", "r1"] },
    { "op": "relu", "name": "r2" },
    { "op": "maxpool", "name": "mp", "kernel": 2 },
    { "op": "avgpool", "name": "ap", "kernel": 2 },
    { "op": "upsample", "name": "up", "scale": 2, "mode": "nearest" },
    { "op": "flatten", "name": "fl" },
    { "op": "linear", "name": "fc", "out_features": 4 }
  ]
}"#;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

fn filled(spec: &str, seed: u64) -> Graph {
    let spec = ModelSpec::parse(spec, "test").unwrap();
    let mut g = spec.to_graph(None).unwrap();
    let mut r = Lcg(seed);
    for t in &mut g.tensors {
        if t.data.is_none()
            && !g.inputs.contains(&t.name)
            && g.nodes.iter().all(|n| !n.outputs.contains(&t.name))
        {
            let n = t.numel();
            let v: Vec<f32> = if t.name.ends_with("running_var") {
                (0..n).map(|_| 1.0 + 0.5 * r.next()).collect()
            } else if t.name.ends_with(".weight") && t.shape.len() == 1 {
                (0..n).map(|_| 1.0 + 0.2 * r.next()).collect()
            } else {
                (0..n).map(|_| 0.3 * r.next()).collect()
            };
            t.data = Some(TensorData::F32(v));
        }
    }
    g.validate().unwrap();
    g
}

fn input_nhwc(g: &Graph, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let s = &g.tensor(&g.inputs[0]).unwrap().shape;
    let shape = vec![s[0], s[2], s[3], s[1]];
    let mut r = Lcg(seed);
    ((0..shape.iter().product()).map(|_| 0.5 + 0.5 * r.next()).collect(), shape)
}

fn f32_of(t: &Tensor) -> Vec<f32> {
    match &t.data {
        TData::F32(v) => v.clone(),
        d => panic!("expected f32, got {}", d.kind()),
    }
}

fn affine(lo: f32, hi: f32) -> (f32, i32) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let s = ((hi - lo) / 255.0).max(1e-5);
    (s, (-128 - (lo / s).round() as i32).clamp(-128, 127))
}

/// Quantize `g` from the ranges its fp32 lowering produces on `x` (a miniature of the quant
/// crate's scheme: relu fused into conv/add, value-preserving layers share their input's).
fn quantize_from_ranges(g: &Graph, x: &[f32], shape: &[usize]) -> Graph {
    let lowered = lower_full(g, &LowerOptions::default()).unwrap();
    let mut probe = lowered.graph.clone();
    let names: Vec<(String, String)> =
        lowered.layer_outputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    probe.outputs = names.iter().map(|(_, t)| t.clone()).collect();
    let outs = interp::run(&probe, &[Tensor::f32(shape.to_vec(), x.to_vec()).unwrap()]).unwrap();
    let mut range: BTreeMap<String, (f32, f32)> = BTreeMap::new();
    let mm = |v: &[f32]| {
        (
            v.iter().copied().fold(f32::INFINITY, f32::min),
            v.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        )
    };
    range.insert(g.inputs[0].clone(), mm(x));
    for ((layer, _), t) in names.iter().zip(&outs) {
        range.insert(layer.clone(), mm(&f32_of(t)));
    }
    let mut q = g.clone();
    let mut params: BTreeMap<String, (f32, i32)> = BTreeMap::new();
    params.insert(g.inputs[0].clone(), {
        let (a, b) = range[&g.inputs[0]];
        affine(a, b)
    });
    for n in &g.nodes {
        let out = &n.outputs[0];
        let p = match n.op {
            GOp::MaxPool2d { .. }
            | GOp::AvgPool2d { .. }
            | GOp::Upsample { .. }
            | GOp::Flatten
            | GOp::GlobalAvgPool => params[&n.inputs[0]],
            GOp::Conv2d { .. } | GOp::Add | GOp::Linear => {
                let relu = g
                    .nodes
                    .iter()
                    .find(|m| m.inputs.first() == Some(out) && matches!(m.op, GOp::Relu));
                let (a, b) = range[relu.map_or(out, |m| &m.outputs[0])];
                affine(a, b)
            }
            _ => {
                let (a, b) = range[out];
                affine(a, b)
            }
        };
        params.insert(out.clone(), p);
        if let GOp::Relu = n.op {
            // A fused producer takes the relu's parameters.
            let prod = &n.inputs[0];
            if g.nodes
                .iter()
                .any(|m| m.outputs.contains(prod) && matches!(m.op, GOp::Conv2d { .. } | GOp::Add))
            {
                params.insert(prod.clone(), p);
            }
        }
    }
    for (name, (s, z)) in &params {
        let t = q.tensor_mut(name).unwrap();
        t.dtype = DType::I8;
        t.quant = Some(QuantParams::per_tensor(*s, *z, -128, 127));
    }
    for n in &g.nodes {
        if !matches!(n.op, GOp::Conv2d { .. } | GOp::Linear) {
            continue;
        }
        let w = g.tensor(&n.inputs[1]).unwrap().data.as_ref().unwrap().as_f32().unwrap().to_vec();
        let oc = g.tensor(&n.inputs[1]).unwrap().shape[0];
        let per = w.len() / oc;
        let sw: Vec<f32> = (0..oc)
            .map(|c| w[c * per..(c + 1) * per].iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0)
            .collect();
        let qw: Vec<i8> = w
            .iter()
            .enumerate()
            .map(|(i, v)| (v / sw[i / per]).round().clamp(-127.0, 127.0) as i8)
            .collect();
        let t = q.tensor_mut(&n.inputs[1]).unwrap();
        t.dtype = DType::I8;
        t.data = Some(TensorData::I8(qw));
        t.quant = Some(QuantParams {
            scale: sw.clone(),
            zero_point: vec![0; oc],
            axis: Some(0),
            qmin: -127,
            qmax: 127,
        });
        if let Some(bn) = n.inputs.get(2) {
            let b = g.tensor(bn).unwrap().data.as_ref().unwrap().as_f32().unwrap().to_vec();
            let s_in = params[&n.inputs[0]].0;
            let qb: Vec<i32> =
                b.iter().zip(&sw).map(|(v, s)| (v / (s_in * s)).round() as i32).collect();
            let t = q.tensor_mut(bn).unwrap();
            t.dtype = DType::I32;
            t.data = Some(TensorData::I32(qb));
            t.quant = Some(QuantParams {
                scale: sw.iter().map(|s| s * s_in).collect(),
                zero_point: vec![0; oc],
                axis: Some(0),
                qmin: i32::MIN + 1,
                qmax: i32::MAX,
            });
        }
    }
    q.validate().unwrap();
    q
}

fn sqnr(r: &[f32], x: &[f32]) -> f64 {
    let s: f64 = r.iter().map(|v| f64::from(*v).powi(2)).sum();
    let n: f64 = r.iter().zip(x).map(|(a, b)| f64::from(a - b).powi(2)).sum();
    10.0 * (s / n).log10()
}

fn compute_ops(g: &vgforge_tosa::Graph) -> Vec<&'static str> {
    g.operators
        .iter()
        .filter(|o| !matches!(o.op, Op::Const | Op::ConstShape))
        .map(|o| o.op.name())
        .collect()
}

#[test]
fn int8_residual_net_agrees_with_fp32() {
    let g = filled(RESIDUAL, 7);
    let (x, shape) = input_nhwc(&g, 3);
    let fp = lower(&g, &LowerOptions::default()).unwrap();
    let want =
        f32_of(&interp::run(&fp, &[Tensor::f32(shape.clone(), x.clone()).unwrap()]).unwrap()[0]);

    let q = quantize_from_ranges(&g, &x, &shape);
    let lowered = lower_full(&q, &LowerOptions::default()).unwrap();
    assert_eq!(lowered.precision, Precision::Int8);
    let ops = compute_ops(&lowered.graph);
    for needed in ["CONV2D", "RESCALE", "ADD", "MAX_POOL2D", "AVG_POOL2D", "RESIZE", "RESHAPE"] {
        assert!(ops.contains(&needed), "{needed} missing from {ops:?}");
    }
    assert!(!ops.contains(&"TRANSPOSE"));
    let io = lowered.io.unwrap();
    let xq: Vec<i8> = x.iter().map(|&v| io.quantize_input(v)).collect();
    let out = interp::run(&lowered.graph, &[Tensor::i8(shape, xq).unwrap()]).unwrap().remove(0);
    let TData::I8(v) = &out.data else { panic!("int8 output expected") };
    let got: Vec<f32> = v.iter().map(|&q| io.dequantize_output(q)).collect();
    let s = sqnr(&want, &got);
    println!("residual net int8 vs fp32: {s:.1} dB");
    assert!(s > 25.0, "int8 output SQNR {s:.1} dB");
}

#[test]
fn fp32_batch_norm_and_classifier_lowering() {
    let g = filled(
        &serde_json::to_string(&ModelSpec::builtin("classifier").unwrap())
            .unwrap()
            .replace("\"input\":null", "\"input\":[3,16,16]"),
        1,
    );
    let lowered = lower_full(&g, &LowerOptions { batch: Some(2), validate: true }).unwrap();
    assert_eq!(lowered.precision, Precision::Fp32);
    assert!(lowered.io.is_none());
    let ops = compute_ops(&lowered.graph);
    assert_eq!(
        ops.iter().filter(|o| **o == "CONV2D").count(),
        4,
        "3 convs + the 1x1 fully connected: {ops:?}"
    );
    assert!(ops.contains(&"MUL") && ops.contains(&"CLAMP") && ops.contains(&"AVG_POOL2D"));
    assert_eq!(lowered.graph.input_decls()[0].shape, [2, 16, 16, 3]);
    assert_eq!(lowered.graph.output_decls()[0].shape, [2, 10]);
}

#[test]
fn unsupported_layers_are_named() {
    let grouped = r#"{"name":"g","task":{"classify":{"classes":2}},"input":[4,4,4],"layers":[
        {"op":"conv2d","name":"grouped","out_channels":4,"kernel":1,"groups":2},
        {"op":"flatten"},{"op":"linear","out_features":2}]}"#;
    let err = lower(&filled(grouped, 1), &LowerOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Unsupported { ref layer, .. } if layer == "grouped"), "{err}");

    let padded = r#"{"name":"p","task":{"classify":{"classes":2}},"input":[1,4,4],"layers":[
        {"op":"avgpool","name":"pool","kernel":3,"stride":1,"padding":1},
        {"op":"flatten"},{"op":"linear","out_features":2}]}"#;
    let err = lower(&filled(padded, 1), &LowerOptions::default()).unwrap_err();
    assert!(err.to_string().contains("layer 'pool' (avgpool)"), "{err}");

    // A flattened spatial map as the model output would need a TRANSPOSE.
    let flat = r#"{"name":"f","task":{"classify":{"classes":32}},"input":[2,4,4],"layers":[{"op":"flatten","name":"fl"}]}"#;
    let err = lower(&filled(flat, 1), &LowerOptions::default()).unwrap_err();
    assert!(err.to_string().contains("flattened"), "{err}");
}

#[test]
fn int8_graph_with_batch_norm_is_rejected() {
    let g = filled(
        &serde_json::to_string(&ModelSpec::builtin("classifier").unwrap())
            .unwrap()
            .replace("\"input\":null", "\"input\":[3,16,16]"),
        1,
    );
    let mut q = g.clone();
    let t = q.tensor_mut("input").unwrap();
    t.dtype = DType::I8;
    t.quant = Some(QuantParams::per_tensor(0.01, 0, -128, 127));
    let err = lower(&q, &LowerOptions::default()).unwrap_err();
    assert!(err.to_string().contains("layer 'bn1' (batchnorm)"), "{err}");

    let mut bad = g;
    bad.tensor_mut("input").unwrap().dtype = DType::I8;
    let err = lower(&bad, &LowerOptions::default()).unwrap_err();
    assert!(err.to_string().contains("neither an fp32 nor an int8 graph"), "{err}");
}

#[test]
fn upscaler_fp32_sequence() {
    let g = filled(&serde_json::to_string(&ModelSpec::builtin("upscaler").unwrap()).unwrap(), 2);
    let t = lower(&g, &LowerOptions::default()).unwrap();
    assert_eq!(compute_ops(&t), ["RESIZE", "CONV2D", "CLAMP", "CONV2D", "CLAMP", "CONV2D"]);
    let w = t.operators.iter().find(|o| matches!(o.op, Op::Conv2d { .. })).unwrap();
    // OIHW [32, 3, 3, 3] became OHWI [32, 3, 3, 3]: the first output row holds channel-minor taps.
    let decl = t.tensor(&w.inputs[1]).unwrap();
    let src = g.tensor("conv1.weight").unwrap().data.as_ref().unwrap().as_f32().unwrap();
    let TData::F32(dst) = decl.data.as_ref().unwrap() else { panic!() };
    // dst[o, y, x, i] == src[o, i, y, x]
    assert_eq!(dst[1], src[9]);
    assert_eq!(dst[3], src[1]);
}

#[test]
fn sidecar_round_trip_and_corruption() {
    let dir = std::env::temp_dir().join(format!("vgforge-lower-sidecar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = sidecar_path(&dir.join("model.tosa"));
    assert!(p.ends_with("model.tosa.json"));
    let io = IoQuant { input_scale: 0.0039, input_zp: -128, output_scale: 0.0043, output_zp: -112 };
    io.write_sidecar(&p).unwrap();
    assert_eq!(IoQuant::read_sidecar(&p).unwrap(), io);
    std::fs::write(
        &p,
        "{\"input_scale\": -1, \"input_zp\": 0, \"output_scale\": 1, \"output_zp\": 0}",
    )
    .unwrap();
    assert!(IoQuant::read_sidecar(&p).unwrap_err().to_string().contains("out of range"));
    std::fs::write(&p, "{not json").unwrap();
    assert!(IoQuant::read_sidecar(&p).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
