//! Runs generated TOSA conformance tests through vgforge's reader, validator and interpreter.
//!
//! ```text
//! cargo run --release -p vgforge-tosa --example conformance -- DIR [--json OUT.json]
//!     [--known-failures tools/conformance/known-failures.txt]
//! ```
//! DIR comes from `tools/conformance/gen.sh DIR`. Prints pass/fail counts per operator and
//! exits with status 1 when a test fails that the known-failures list does not name (or a
//! listed one passes). `VGFORGE_VENV` points at Arm's tools for missing expected outputs.

use std::path::PathBuf;
use std::process::ExitCode;

use vgforge_tosa::fbs::conformance::{self, Outcome};
use vgforge_tosa::tools::ArmTools;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut json = None;
    let mut known = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = args.next().map(PathBuf::from),
            "--known-failures" => known = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                eprintln!("usage: conformance DIR [--json OUT.json] [--known-failures FILE]");
                return ExitCode::SUCCESS;
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: conformance DIR [--json OUT.json] [--known-failures FILE]");
        return ExitCode::from(2);
    };
    let tools = ArmTools::find().ok();
    let start = std::time::Instant::now();
    let summary = match conformance::run_suite(&dir, tools.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", summary.table());
    println!("{} tests in {:.1} s", summary.cases.len(), start.elapsed().as_secs_f64());
    if let Some(path) = json
        && let Err(e) = std::fs::write(&path, summary.to_json())
    {
        eprintln!("conformance: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    let known = match known.map(|p| conformance::read_known_failures(&p)).transpose() {
        Ok(k) => k.unwrap_or_default(),
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let problems = conformance::unexpected(&summary, &known);
    for p in &problems {
        println!("UNEXPECTED {p}");
    }
    let failing: Vec<_> = summary.cases.iter().filter(|c| c.outcome == Outcome::Fail).collect();
    let known_failing = failing.iter().filter(|c| known.contains(&c.name)).count();
    println!("{} failing ({known_failing} known), {} unexpected", failing.len(), problems.len());
    if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
