//! Clear errors, never panics: unsupported operators (named with their layer), bad inputs,
//! device selection, the data-graph backend without a `.vgf`, and a run under the Khronos
//! validation layer that must report nothing.

mod common;

use common::{MODELS, in_emulation_child, read_npy, read_vgf, runner};
use vgforge_runner::{Backend, DeviceSelector, Error, Runner};
use vgforge_tosa::{Builder, DType, Op, Tensor};

#[test]
fn unsupported_operator_is_named_before_any_work() {
    let Some(r) = runner(Backend::Compute, false) else { return };
    let mut b = Builder::new("g");
    b.set_location(Some("head.argmax"));
    let x = b.add_input("x", DType::Int8, &[1, 4, 10]);
    let y = b.add_op(
        Op::ArgMax { axis: 2, nan_mode: vgforge_tosa::NanMode::Propagate },
        &[&x],
        DType::Int32,
        &[1, 4],
    );
    b.set_outputs(&[&y]);
    let err = r.load(&b.finish()).err().expect("ARGMAX must be rejected");
    let msg = err.to_string();
    assert!(matches!(err, Error::Unsupported { .. }), "{msg}");
    assert!(msg.contains("ARGMAX") && msg.contains("head.argmax"), "{msg}");
}

#[test]
fn bad_inputs_are_errors() {
    let Some(r) = runner(Backend::Compute, false) else { return };
    let mut m = r.load(&read_vgf("conv_i8.vgf")).expect("load");
    let x = read_npy("conv_i8_input.npy");
    // Wrong type, wrong inner shape, leading dimension not a multiple, wrong count, batch 0.
    let f = Tensor::f32(vec![1, 8, 8, 3], vec![0.0; 192]).unwrap();
    let shape = Tensor::i8(vec![1, 8, 3, 8], vec![0; 192]).unwrap();
    for (inputs, batch) in
        [(vec![f], 1), (vec![shape], 1), (vec![x.clone(), x.clone()], 1), (vec![], 1), (vec![x], 0)]
    {
        let e = m.run(&inputs, batch).expect_err("must fail");
        assert!(matches!(e, Error::BadInput { .. }), "{e}");
    }
}

#[test]
fn device_selection_errors_name_the_devices() {
    match Runner::new(Backend::Compute, DeviceSelector::Name("no-such-gpu-xyz".into())) {
        Err(Error::DeviceNotFound { selector, available }) => {
            assert!(selector.contains("no-such-gpu-xyz"));
            assert!(!available.is_empty());
        }
        Err(e @ (Error::NoLoader(_) | Error::NoDevice)) => println!("skipped: {e}"),
        other => panic!("expected DeviceNotFound, got {other:?}"),
    }
    match Runner::new(Backend::Compute, DeviceSelector::Index(999)) {
        Err(Error::DeviceNotFound { .. } | Error::NoLoader(_) | Error::NoDevice) => {}
        other => panic!("expected DeviceNotFound, got {other:?}"),
    }
    assert_eq!(DeviceSelector::parse("1"), DeviceSelector::Index(1));
    assert_eq!(DeviceSelector::parse("llvmpipe"), DeviceSelector::Name("llvmpipe".into()));
}

#[test]
fn cpu_backend_runs_batches() {
    let r = Runner::new(Backend::Cpu, DeviceSelector::Auto).expect("cpu");
    let mut m = r.load(&read_vgf("minicnn_i8.vgf")).expect("load");
    let x = read_npy("minicnn_i8_input.npy");
    let two = vgforge_tosa::Tensor::i8(
        vec![2, 32, 32, 3],
        [x.data.clone(), x.data.clone()]
            .iter()
            .flat_map(|d| match d {
                vgforge_tosa::TensorData::I8(v) => v.clone(),
                _ => unreachable!(),
            })
            .collect(),
    )
    .unwrap();
    let out = m.run(&[two], 2).expect("run");
    let want = read_npy("minicnn_i8_expected.npy");
    assert_eq!(out[0].shape, vec![2, 10]);
    let vgforge_tosa::TensorData::I8(v) = &out[0].data else { panic!("type") };
    let vgforge_tosa::TensorData::I8(w) = &want.data else { panic!("type") };
    assert_eq!(&v[..10], &w[..]);
    assert_eq!(&v[10..], &w[..]);
}

#[test]
fn datagraph_needs_a_vgf_source() {
    let check = |r: Runner| {
        let g = read_vgf("conv_i8.vgf").to_tosa().expect("to_tosa");
        assert!(matches!(r.load(&g), Err(Error::Unsupported { .. })));
    };
    if in_emulation_child("datagraph_needs_a_vgf_source") {
        // Arm's emulation layers provide the extensions, so the backend opens.
        check(Runner::new(Backend::DataGraph, DeviceSelector::Auto).expect("data-graph backend"));
        return;
    }
    // Here (the parent) no layer is enabled: a device without the ARM extensions gives the
    // documented MissingExtension error, which is what a user sees too.
    match Runner::new(Backend::DataGraph, DeviceSelector::Auto) {
        Ok(r) => check(r),
        Err(e @ (Error::MissingExtension { .. } | Error::MissingFeature { .. })) => {
            assert!(e.to_string().contains("VK_ARM"), "{e}");
        }
        Err(e @ (Error::NoLoader(_) | Error::NoDevice)) => println!("skipped: {e}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn staging_transfers_clean_and_bit_exact() {
    // The discrete-GPU path (device-only buffers, staging copies, transfer barriers) on
    // whatever device is here, under validation, against the interpreter.
    let opts = vgforge_runner::RunnerOptions {
        validation: true,
        staging_transfers: true,
        ..Default::default()
    };
    let Some(r) = common::runner_with(Backend::Compute, opts) else { return };
    for (i, (vgf, input)) in MODELS.iter().enumerate() {
        let mut m = r.load(&read_vgf(vgf)).expect("load");
        println!("{}", common::compare_with_interpreter(vgf, input, &mut m, 3, 500 + i as u64));
    }
    let msgs = r.validation_messages();
    assert!(msgs.is_empty(), "validation layer reported:\n{}", msgs.join("\n"));
}

#[test]
fn clean_under_khronos_validation() {
    let Some(r) = runner(Backend::Compute, true) else { return };
    for (vgf, input) in MODELS {
        let mut m = r.load(&read_vgf(vgf)).expect("load");
        m.run(&[read_npy(input)], 1).expect("run");
    }
    let msgs = r.validation_messages();
    assert!(msgs.is_empty(), "validation layer reported:\n{}", msgs.join("\n"));
}
