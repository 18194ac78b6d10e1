//! Built-in specs, user specs and the errors a bad spec gives.

use vgforge_graph::spec::ModelSpec;
use vgforge_graph::{Op, Task};

#[test]
fn upscaler_matches_the_learning_path() {
    let g = ModelSpec::builtin("upscaler").unwrap().to_graph(None).unwrap();
    assert_eq!(g.parameter_count(), 11_011);
    assert_eq!(g.task, Task::Upscale { scale: 2 });
    let names: Vec<_> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["upsample", "conv1", "relu1", "conv2", "relu2", "conv3"]);
    assert_eq!(g.tensor("conv3").unwrap().shape, [1, 3, 32, 32]);
}

#[test]
fn classifier_takes_its_input_from_the_data() {
    let spec = ModelSpec::builtin("classifier").unwrap();
    assert!(spec.to_graph(None).is_err(), "no input shape must be an error");
    let g = spec.to_graph(Some([1, 28, 28])).unwrap();
    assert_eq!(g.tensor("pool2").unwrap().shape, [1, 32, 7, 7]);
    assert_eq!(g.tensor("fc").unwrap().shape, [1, 10]);
    let g = spec.to_graph(Some([3, 32, 32])).unwrap();
    assert_eq!(g.tensor("gap").unwrap().shape, [1, 64, 1, 1]);
    // conv (no bias) 3*16*9 + bn 2*16 + conv 16*32*9 + bn 64 + conv 32*64*9 + bn 128 + fc 64*10+10
    assert_eq!(g.parameter_count(), 432 + 32 + 4608 + 64 + 18432 + 128 + 650);
}

#[test]
fn residual_dag_spec() {
    let text = r#"{
      "name": "res", "task": {"classify": {"classes": 4}}, "input": [2, 8, 8],
      "layers": [
        {"op": "conv2d", "name": "stem", "out_channels": 4, "kernel": 3, "padding": 1},
        {"op": "relu", "name": "r1"},
        {"op": "conv2d", "name": "c2", "out_channels": 4, "kernel": 3, "padding": 1},
        {"op": "add", "name": "skip", "inputs": ["c2", "stem"]},
        {"op": "avgpool", "name": "pool", "kernel": 2},
        {"op": "flatten"},
        {"op": "linear", "name": "head", "out_features": 4}
      ]}"#;
    let g = ModelSpec::parse(text, "res.json").unwrap().to_graph(None).unwrap();
    let skip = g.node("skip").unwrap();
    assert_eq!(skip.op, Op::Add);
    assert_eq!(skip.inputs, ["c2", "stem"]);
    assert_eq!(g.nodes[5].name, "flatten_5");
    assert_eq!(g.tensor("head").unwrap().shape, [1, 4]);
}

#[test]
fn bad_specs_name_the_layer() {
    let cases = [
        (r#"{"op": "conv2d", "name": "big", "out_channels": 4, "kernel": 9}"#, "big"),
        (r#"{"op": "add", "name": "sum", "inputs": ["input", "nowhere"]}"#, "nowhere"),
        (r#"{"op": "maxpool", "name": "mp", "kernel": 2, "padding": 2}"#, "mp"),
        (r#"{"op": "linear", "name": "fc", "out_features": 3}"#, "fc"),
    ];
    for (layer, needle) in cases {
        let text = format!(
            r#"{{"name":"m","task":{{"classify":{{"classes":3}}}},"input":[1,4,4],"layers":[{layer}]}}"#
        );
        let e = ModelSpec::parse(&text, "m.json").unwrap().to_graph(None).unwrap_err();
        assert!(e.to_string().contains(needle), "{layer}: {e}");
    }
    let e = ModelSpec::parse(r#"{"name":"m","layers":[]}"#, "m.json").unwrap_err();
    assert!(e.to_string().contains("m.json"), "{e}");
    assert!(ModelSpec::builtin("nope").unwrap_err().to_string().contains("upscaler"));
}

#[test]
fn listing_shows_layers_and_parameters() {
    let g = ModelSpec::builtin("upscaler").unwrap().to_graph(None).unwrap();
    let text = g.to_string();
    assert!(text.starts_with("graph 'upscaler' (upscale x2), 11011 parameters"), "{text}");
    assert!(text.contains("conv2d k=3x3 s=1x1 p=1x1 d=1x1 g=1(upsample, conv1.weight: f32[32,3,3,3] (uninitialised)"), "{text}");
}
