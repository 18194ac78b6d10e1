//! ExecuTorch's PTQ upscaler rebuilt from its fp32 weights and q-params: our int8 graph,
//! lowered to TOSA, must reproduce ExecuTorch's weights, biases, multipliers and shifts exactly
//! and the TOSA reference model's outputs bit for bit (0 LSB).

mod common;

use std::collections::BTreeMap;

use serde_json::Value;
use vgforge_graph::spec::ModelSpec;
use vgforge_graph::{Graph, TensorData};
use vgforge_lower::{LowerOptions, lower_full};
use vgforge_quant::convert::{ActParams, convert};
use vgforge_tosa::{Op, ResizeMode};

use common::{fixture, read_npz};

fn f32s(t: &vgforge_tosa::TensorData) -> Vec<f32> {
    match t {
        vgforge_tosa::TensorData::F32(v) => v.clone(),
        other => panic!("expected f32 data, got {}", other.kind()),
    }
}

fn fp32_graph() -> Graph {
    let mut g = ModelSpec::builtin("upscaler").unwrap().to_graph(None).unwrap();
    let w = read_npz(&fixture("executorch_fp32_weights.npz"));
    for (ours, theirs) in [("conv1", "net.0"), ("conv2", "net.2"), ("conv3", "net.4")] {
        for p in ["weight", "bias"] {
            let arr = &w[&format!("{theirs}.{p}")];
            let t = g.tensor_mut(&format!("{ours}.{p}")).unwrap();
            assert_eq!(t.shape, arr.shape, "{ours}.{p}");
            t.data = Some(TensorData::F32(f32s(&arr.data)));
        }
    }
    g.validate().unwrap();
    g
}

fn qparams() -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(fixture("executorch_qparams.json")).unwrap())
        .unwrap()
}

/// ExecuTorch's activation q-params, keyed by our tensor names.
fn act_params() -> ActParams {
    let ours = BTreeMap::from([
        ("x_lowres", "input"),
        ("upsample_bilinear2d", "upsample"),
        ("relu", "relu1"),
        ("relu_1", "relu2"),
        ("conv2d_2", "conv3"),
    ]);
    let mut p = ActParams::new();
    for q in qparams() {
        if q["op"] != "quantized_decomposed.quantize_per_tensor.default" {
            continue;
        }
        let name = ours[q["input"].as_str().unwrap()];
        let args = q["args"].as_array().unwrap();
        p.insert(
            name.to_string(),
            (args[0].as_f64().unwrap() as f32, args[1].as_i64().unwrap() as i32),
        );
    }
    assert_eq!(p.len(), 5);
    // The upsample shares its input's parameters, as our scheme assumes.
    assert_eq!(p["upsample"], p["input"]);
    p
}

fn tosa_consts() -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(fixture("executorch_tosa_consts.json")).unwrap())
        .unwrap()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

fn const_ints(g: &vgforge_tosa::Graph, name: &str) -> Vec<i64> {
    g.tensor(name).unwrap().data.as_ref().unwrap().to_i64_vec().unwrap()
}

#[test]
fn weight_scales_match_executorch() {
    let g = convert(&fp32_graph(), &act_params()).unwrap();
    let per_channel: Vec<Value> = qparams()
        .into_iter()
        .filter(|q| {
            q["op"] == "quantized_decomposed.dequantize_per_channel.default"
                && q["args"][5] == "torch.int8"
        })
        .collect();
    assert_eq!(per_channel.len(), 3);
    for (layer, q) in ["conv1", "conv2", "conv3"].iter().zip(&per_channel) {
        let ours = &g.tensor(&format!("{layer}.weight")).unwrap().quant.as_ref().unwrap().scale;
        let theirs: Vec<f32> =
            q["args"][0].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
        assert_eq!(ours, &theirs, "{layer} weight scales");
    }
}

#[test]
fn rebuilt_upscaler_is_bit_exact_with_executorch() {
    let int8 = convert(&fp32_graph(), &act_params()).unwrap();
    // The int8 graph survives its file format unchanged.
    let file =
        std::env::temp_dir().join(format!("vgforge-quant-int8-{}.graph", std::process::id()));
    vgforge_graph::write_file(&file, &int8).unwrap();
    assert_eq!(vgforge_graph::read_file(&file).unwrap(), int8);
    std::fs::remove_file(&file).unwrap();
    let lowered = lower_full(&int8, &LowerOptions::default()).unwrap();
    let g = &lowered.graph;

    // Same operator sequence as ExecuTorch: RESIZE + RESCALE, then 3x CONV2D + RESCALE; the
    // ReLUs are folded into the output zero point and there is no TRANSPOSE or CLAMP.
    let seq: Vec<&str> = g
        .operators
        .iter()
        .filter(|o| !matches!(o.op, Op::Const | Op::ConstShape))
        .map(|o| o.op.name())
        .collect();
    assert_eq!(
        seq,
        ["RESIZE", "RESCALE", "CONV2D", "RESCALE", "CONV2D", "RESCALE", "CONV2D", "RESCALE"]
    );
    let resize = g.operators.iter().find(|o| matches!(o.op, Op::Resize { .. })).unwrap();
    assert_eq!(resize.op, Op::Resize { mode: ResizeMode::Bilinear });
    assert_eq!(const_ints(g, &resize.inputs[1]), [4, 2, 4, 2]);
    assert_eq!(const_ints(g, &resize.inputs[2]), [-1, -1]);
    assert_eq!(const_ints(g, &resize.inputs[3]), [1, 1]);

    // Every RESCALE and CONV2D constant equals ExecuTorch's.
    let ours: Vec<&vgforge_tosa::Operator> = g
        .operators
        .iter()
        .filter(|o| matches!(o.op, Op::Rescale { .. } | Op::Conv2d { .. }))
        .collect();
    let theirs = tosa_consts();
    assert_eq!(ours.len(), theirs.len());
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        match o.op {
            Op::Rescale { .. } => {
                assert_eq!(t["op"], "rescale");
                assert_eq!(
                    const_ints(g, &o.inputs[1]),
                    ints(&t["multiplier"]),
                    "multiplier of rescale #{i}"
                );
                assert_eq!(const_ints(g, &o.inputs[2]), ints(&t["shift"]), "shift of rescale #{i}");
                assert_eq!(const_ints(g, &o.inputs[3]), [t["input_zp"].as_i64().unwrap()]);
                assert_eq!(const_ints(g, &o.inputs[4]), [t["output_zp"].as_i64().unwrap()]);
            }
            _ => {
                assert_eq!(t["op"], "conv2d");
                assert_eq!(
                    const_ints(g, &o.inputs[1]),
                    ints(&t["weight_ohwi"]),
                    "weights of conv #{i}"
                );
                assert_eq!(const_ints(g, &o.inputs[2]), ints(&t["bias"]), "bias of conv #{i}");
                assert_eq!(const_ints(g, &o.inputs[3]), [t["input_zp"].as_i64().unwrap()]);
            }
        }
    }

    // I/O quantization as ExecuTorch's delegate boundary.
    let io = lowered.io.unwrap();
    assert_eq!((io.input_scale, io.input_zp), (0.003_919_653_6, -128));
    assert_eq!((io.output_scale, io.output_zp), (0.004_317_938, -112));

    // Through a .tosa file and the interpreter: 0 LSB from the TOSA reference model.
    let bytes = vgforge_tosa::fbs::write(g).unwrap();
    let back = vgforge_tosa::fbs::read(&bytes, "rebuilt.tosa").unwrap();
    let golden = read_npz(&fixture("executorch_golden_io.npz"));
    let x = golden["x_lr_int8_nhwc"].clone().into_tensor("golden").unwrap();
    let want = golden["y_tosa_ref_int8_nhwc"].clone().into_tensor("golden").unwrap();
    assert_eq!(x.shape, [8, 16, 16, 3]);
    let got = vgforge_tosa::interp::run_batched(&back, &[x]).unwrap().remove(0);
    assert_eq!(got.shape, want.shape);
    let (vgforge_tosa::TensorData::I8(a), vgforge_tosa::TensorData::I8(b)) =
        (&got.data, &want.data)
    else {
        panic!("outputs are not int8");
    };
    let differing = a.iter().zip(b).filter(|(x, y)| x != y).count();
    let max_lsb =
        a.iter().zip(b).map(|(x, y)| (i16::from(*x) - i16::from(*y)).abs()).max().unwrap();
    println!("golden: {} int8 outputs, {differing} differ, max {max_lsb} LSB", a.len());
    assert_eq!(max_lsb, 0);
}

/// Our `.tosa` file, run by Arm's `tosa_reference_model`, gives ExecuTorch's golden outputs.
#[test]
fn arm_reference_model_runs_our_tosa_file() {
    let tools = match vgforge_tosa::tools::ArmTools::find() {
        Ok(t) => t,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    let int8 = convert(&fp32_graph(), &act_params()).unwrap();
    let g = vgforge_lower::lower(&int8, &LowerOptions::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("vgforge-quant-refmodel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tosa = dir.join("upscaler.tosa");
    vgforge_tosa::fbs::write_file(&tosa, &g).unwrap();
    let golden = read_npz(&fixture("executorch_golden_io.npz"));
    let vgforge_tosa::TensorData::I8(x) = golden["x_lr_int8_nhwc"].data.clone() else { panic!() };
    let vgforge_tosa::TensorData::I8(y) = golden["y_tosa_ref_int8_nhwc"].data.clone() else {
        panic!()
    };
    for s in 0..2 {
        let inp = dir.join(format!("x{s}.npy"));
        let out = dir.join(format!("y{s}.npy"));
        let xs = vgforge_tosa::Tensor::i8(vec![1, 16, 16, 3], x[s * 768..(s + 1) * 768].to_vec())
            .unwrap();
        vgforge_tosa::npy::write(&inp, &xs).unwrap();
        tools.reference_model(&tosa, &[(&g.inputs[0], &inp)], &[(&g.outputs[0], &out)]).unwrap();
        let got = vgforge_tosa::npy::read(&out).unwrap();
        let vgforge_tosa::TensorData::I8(v) = &got.data else {
            panic!("reference model output is not int8")
        };
        assert_eq!(v.as_slice(), &y[s * 3072..(s + 1) * 3072], "sample {s}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
