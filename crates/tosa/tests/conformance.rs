//! Arm's generated conformance tests through reader + validator + interpreter.
//!
//! * Always: the small committed sample in `fixtures/arm/conformance/` (made by
//!   `tools/conformance/gen.sh`, expected outputs from `tosa_reference_model`).
//! * With `VGFORGE_CONFORMANCE_DIR=DIR` (from `tools/conformance/gen.sh DIR`): the whole
//!   generated suite; a summary is written to `DIR/vgforge-summary.json`. Failures must be
//!   listed in `tools/conformance/known-failures.txt`, and listed tests must still fail.

use std::path::PathBuf;

use vgforge_testkit::{arm_fixture, workspace_root as root};
use vgforge_tosa::fbs::conformance::{self, Outcome};
use vgforge_tosa::tools::ArmTools;

#[test]
fn committed_sample_passes() {
    let dir = arm_fixture("conformance");
    let summary = conformance::run_suite(&dir, None).unwrap();
    print!("{}", summary.table());
    assert!(summary.cases.len() >= 8, "sample has {} tests", summary.cases.len());
    assert!(summary.total.negative.pass > 0 && summary.total.positive.pass > 0);
    let bad: Vec<_> = summary.cases.iter().filter(|c| c.outcome != Outcome::Pass).collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn generated_suite() {
    let Some(dir) = std::env::var_os("VGFORGE_CONFORMANCE_DIR") else {
        println!("skipped: VGFORGE_CONFORMANCE_DIR not set (see tools/conformance/gen.sh)");
        return;
    };
    let dir = PathBuf::from(dir);
    let tools = ArmTools::find().ok();
    let start = std::time::Instant::now();
    let summary = conformance::run_suite(&dir, tools.as_ref()).unwrap();
    print!("{}", summary.table());
    println!("{} tests in {:.1} s", summary.cases.len(), start.elapsed().as_secs_f64());
    std::fs::write(dir.join("vgforge-summary.json"), summary.to_json()).unwrap();
    assert!(!summary.cases.is_empty(), "no desc.json under {}", dir.display());
    let known =
        conformance::read_known_failures(&root().join("tools/conformance/known-failures.txt"))
            .unwrap();
    let problems = conformance::unexpected(&summary, &known);
    assert!(problems.is_empty(), "{} unexpected results:\n{}", problems.len(), problems.join("\n"));
}
