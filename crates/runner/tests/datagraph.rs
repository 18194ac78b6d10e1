//! The data-graph backend (the `.vgf`'s SPIR-V graph through VK_ARM_data_graph; Arm's
//! emulation layers on lavapipe) is bit-exact with the TOSA interpreter, batch 1 and 64.

mod common;

use common::{MODELS, compare_with_interpreter, in_emulation_child, read_vgf, runner};
use vgforge_runner::Backend;

#[test]
fn datagraph_matches_interpreter_on_reference_vgfs() {
    if !in_emulation_child("datagraph_matches_interpreter_on_reference_vgfs") {
        return;
    }
    let Some(r) = runner(Backend::DataGraph, false) else { return };
    for (i, (vgf, input)) in MODELS.iter().enumerate() {
        let mut m = r.load(&read_vgf(vgf)).unwrap_or_else(|e| panic!("{vgf}: {e}"));
        let s = compare_with_interpreter(vgf, input, &mut m, 64, 2000 + i as u64);
        println!("{s}");
    }
}
