//! Writer behaviour: errors for graphs a graph module cannot hold, options, atomic files,
//! and the scenario file.

mod common;

use common::Scratch;
use common::read_fixture;
use vgforge_tosa::{Builder, DType, Graph, Op, Tensor};
use vgforge_vgf::{
    Error, WriteOptions, read_vgf, read_vgf_file, scenario_json, write_vgf, write_vgf_file,
};

fn tiny(dtype: DType, shape: &[usize]) -> Graph {
    let mut b = Builder::new("tiny");
    let x = b.add_input("x", dtype, shape);
    let y = b.add_op(Op::Sigmoid, &[&x], dtype, shape);
    b.set_outputs(&[&y]);
    b.finish()
}

#[test]
fn unsupported_graphs_are_errors() {
    let e = write_vgf(&tiny(DType::Bf16, &[1, 4]), &WriteOptions::default()).unwrap_err();
    assert!(matches!(&e, Error::BadGraph { reason, .. } if reason.contains("bf16")), "{e}");

    let e = write_vgf(&tiny(DType::Fp32, &[]), &WriteOptions::default()).unwrap_err();
    assert!(e.to_string().contains("rank-0"), "{e}");

    let mut g = tiny(DType::Fp32, &[1, 4]);
    g.outputs.clear();
    let e = write_vgf(&g, &WriteOptions::default()).unwrap_err();
    assert!(e.to_string().contains("at least one output"), "{e}");

    let mut g = tiny(DType::Fp32, &[1, 4]);
    g.operators[0].inputs.push("x".into());
    let e = write_vgf(&g, &WriteOptions::default()).unwrap_err();
    assert!(
        matches!(&e, Error::UnsupportedOp { index: 0, op, .. } if op.starts_with("SIGMOID")),
        "{e}"
    );

    let mut g = tiny(DType::Fp32, &[1, 4]);
    g.operators[0].inputs[0] = "missing".into();
    let e = write_vgf(&g, &WriteOptions::default()).unwrap_err();
    assert!(e.to_string().contains("`missing`"), "{e}");

    let mut g = tiny(DType::Fp32, &[1, 4]);
    g.name = "n".repeat(300_000);
    let e = write_vgf(&g, &WriteOptions::default()).unwrap_err();
    assert!(e.to_string().contains("entry point name"), "{e}");

    let mut g = tiny(DType::Fp32, &[1, 4]);
    g.outputs = vec!["x".into(), "nowhere".into()];
    let e = write_vgf(&g, &WriteOptions::default()).unwrap_err();
    assert!(e.to_string().contains("nowhere"), "{e}");
}

#[test]
fn inline_threshold_moves_constants_to_the_constants_section() {
    let g = common::zoo::int_zoo().unwrap();
    let few = read_vgf(&write_vgf(&g, &WriteOptions::default()).unwrap(), "a").unwrap();
    let opts = WriteOptions { inline_max_elements: 0, ..WriteOptions::default() };
    let many = read_vgf(&write_vgf(&g, &opts).unwrap(), "b").unwrap();
    assert!(
        many.constants.len() > few.constants.len(),
        "{} vs {}",
        many.constants.len(),
        few.constants.len()
    );
    assert_eq!(many.to_tosa().unwrap(), few.to_tosa().unwrap());
}

#[test]
fn debug_names_keep_tensor_names() {
    let g = common::zoo::int_zoo().unwrap();
    let opts = WriteOptions { debug_names: true, ..WriteOptions::default() };
    let back = read_vgf(&write_vgf(&g, &opts).unwrap(), "zoo").unwrap().to_tosa().unwrap();
    let results = |g: &Graph| -> Vec<String> {
        g.operators
            .iter()
            .filter(|o| !matches!(o.op, Op::Const | Op::ConstShape | Op::Identity))
            .map(|o| o.outputs[0].clone())
            .collect()
    };
    assert_eq!(results(&back), results(&g));
    assert_eq!(back.inputs, g.inputs);
    assert_eq!(back.outputs, g.outputs);
    // Without debug names, only the interface keeps its names.
    let plain = read_vgf(&write_vgf(&g, &WriteOptions::default()).unwrap(), "zoo")
        .unwrap()
        .to_tosa()
        .unwrap();
    assert_eq!(plain.outputs, g.outputs);
    assert_ne!(results(&plain), results(&g));
}

#[test]
fn files_are_written_atomically() {
    let dir = Scratch::new("vgf-atomic").unwrap();
    let path = dir.path("m.vgf");
    let g = common::zoo::fp_zoo().unwrap();
    write_vgf_file(&path, &g, &WriteOptions::default()).unwrap();
    write_vgf_file(&path, &g, &WriteOptions::default()).unwrap();
    let names: Vec<_> =
        std::fs::read_dir(dir.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("m.vgf")], "no temporary files left");
    assert_eq!(
        read_vgf_file(&path).unwrap().to_tosa().unwrap().compute_op_count(),
        g.compute_op_count()
    );

    let e =
        write_vgf_file(dir.path("no/such/dir/m.vgf"), &g, &WriteOptions::default()).unwrap_err();
    assert!(matches!(&e, Error::Io { path, .. } if path.ends_with("no/such/dir/m.vgf")), "{e}");
    let e = read_vgf_file(dir.path("absent.vgf")).unwrap_err();
    assert!(e.to_string().contains("absent.vgf"), "{e}");
}

#[test]
fn scenario_matches_the_runnable_reference_scenario() {
    let f = read_vgf(&read_fixture("conv_i8.vgf"), "conv_i8.vgf").unwrap();
    let got = scenario_json(
        &f,
        "../vgf/conv_i8.vgf",
        &["../io/conv_i8_input.npy"],
        &["conv_i8_output.npy"],
    )
    .unwrap();
    let want: serde_json::Value =
        serde_json::from_slice(&read_fixture("conv_i8.run_vgf.json")).unwrap();
    assert_eq!(got, want);
    assert!(scenario_json(&f, "x.vgf", &[], &["y.npy"]).is_err());
}

#[test]
fn shape_values_outside_32_bits_are_errors() {
    let mut b = Builder::new("reshape");
    let x = b.add_input("x", DType::Int8, &[1, 4]);
    let s = b.add_const("s", Tensor::shape_values(vec![1 << 40, 4]));
    let y = b.add_op(Op::Reshape, &[&x, &s], DType::Int8, &[1, 4]);
    b.set_outputs(&[&y]);
    let e = write_vgf(&b.finish(), &WriteOptions::default()).unwrap_err();
    assert!(e.to_string().contains("constant `s`"), "{e}");
}
