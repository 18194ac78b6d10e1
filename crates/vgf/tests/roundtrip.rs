//! Reference files decode, match vgf_dump's view of them, and survive read → write → read.

mod common;

use common::{REFERENCE_VGF, read_fixture};
use vgforge_vgf::{WriteOptions, dump_json, encode_vgf, read_vgf, write_vgf};

#[test]
fn container_reencodes_to_the_same_file_model() {
    for name in REFERENCE_VGF {
        let bytes = read_fixture(name);
        let f = read_vgf(&bytes, name).unwrap();
        let again = read_vgf(&encode_vgf(&f), name).unwrap();
        assert_eq!(f, again, "{name}");
    }
}

#[test]
fn dump_json_matches_vgf_dump() {
    for name in ["conv_i8", "conv_f32", "minicnn_i8", "upscaler_i8"] {
        let f = read_vgf(&read_fixture(&format!("{name}.vgf")), name).unwrap();
        let want: serde_json::Value =
            serde_json::from_slice(&read_fixture(&format!("{name}.vgf_dump.json"))).unwrap();
        assert_eq!(dump_json(&f), want, "{name}");
    }
}

#[test]
fn tosa_graph_survives_read_write_read() {
    for name in REFERENCE_VGF {
        let f = read_vgf(&read_fixture(name), name).unwrap();
        let g1 = f.to_tosa_named(name).unwrap();
        assert!(g1.compute_op_count() > 0, "{name}");
        for debug_names in [false, true] {
            let opts = WriteOptions { debug_names, ..WriteOptions::default() };
            let bytes = write_vgf(&g1, &opts).unwrap();
            let g2 = read_vgf(&bytes, name).unwrap().to_tosa().unwrap();
            assert_eq!(g1, g2, "{name} (debug_names {debug_names})");
        }
    }
}

#[test]
fn our_files_match_model_converter_structure() {
    // Same model resource table, sequence bindings and constant data as Arm's file.
    for name in ["conv_i8.vgf", "minicnn_i8.vgf", "upscaler_i8.vgf", "conv_f32.vgf"] {
        let theirs = read_vgf(&read_fixture(name), name).unwrap();
        let ours = read_vgf(
            &write_vgf(&theirs.to_tosa().unwrap(), &WriteOptions::default()).unwrap(),
            name,
        )
        .unwrap();
        assert_eq!(ours.sequence.inputs, theirs.sequence.inputs, "{name}");
        assert_eq!(ours.sequence.outputs, theirs.sequence.outputs, "{name}");
        assert_eq!(ours.sequence.input_names, theirs.sequence.input_names, "{name}");
        let mut a: Vec<_> = ours.constants.iter().map(|c| c.data.clone()).collect();
        let mut b: Vec<_> = theirs.constants.iter().map(|c| c.data.clone()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{name}: constant payloads");
    }
}

#[test]
fn files_without_constant_bindings_bind_by_position() {
    // Before 0.5.0 there is no constant_bindings: graph constant k is constants[k].
    let mut f = read_vgf(&read_fixture("minicnn_i8.vgf"), "m").unwrap();
    let with = f.to_tosa().unwrap();
    f.sequence.segments[0].constant_bindings = None;
    let f = read_vgf(&encode_vgf(&f), "m").unwrap();
    assert_eq!(f.sequence.segments[0].constant_bindings, None);
    assert_eq!(f.to_tosa().unwrap(), with);
}

#[test]
fn constant_bindings_are_followed() {
    // Swap the records of two constants and their bindings: the graph must not change.
    let mut f = read_vgf(&read_fixture("minicnn_i8.vgf"), "m").unwrap();
    let want = f.to_tosa().unwrap();
    f.constants.swap(0, 2);
    for b in f.sequence.segments[0].constant_bindings.as_mut().unwrap() {
        b.constant_table_index = [2, 1, 0][b.constant_table_index as usize];
    }
    assert_eq!(f.to_tosa().unwrap(), want);
    // Pointing a binding at a constant of another size is an error, not a wrong graph.
    f.sequence.segments[0].constant_bindings.as_mut().unwrap()[0].constant_table_index = 1;
    let e = f.to_tosa().unwrap_err().to_string();
    assert!(e.contains("graph constant"), "{e}");
}

#[test]
fn non_semantic_debug_info_is_ignored() {
    let plain = read_vgf(&read_fixture("upscaler_i8.vgf"), "a").unwrap().to_tosa().unwrap();
    let debug =
        read_vgf(&read_fixture("upscaler_i8_debuginfo.vgf"), "b").unwrap().to_tosa().unwrap();
    assert_eq!(plain, debug);
}
