//! `cargo xtask bench`: runs each stage's criterion benchmarks. Each bench
//! measures its anchor (PyTorch, tosa_reference_model, model-converter,
//! scenario-runner) in the same run and prints the ratio itself.

use anyhow::Result;

use crate::util::{cargo, check_args, opt, venv};

const BENCHES: &[(&str, &str)] = &[
    ("vgforge-train", "train_step"),
    ("vgforge-quant", "calib"),
    ("vgforge-tosa", "interp"),
    ("vgforge-vgf", "vgf"),
    ("vgforge-runner", "runner"),
];

pub fn run(args: &[String]) -> Result<()> {
    check_args(args, &["--only"], &[])?;
    let only = opt(args, "--only");
    for (pkg, bench) in BENCHES {
        if only.is_some_and(|o| !pkg.ends_with(o) && *bench != o) {
            continue;
        }
        crate::util::run(
            cargo().args(["bench", "-p", pkg, "--bench", bench]).env("VGFORGE_VENV", venv()),
        )?;
    }
    Ok(())
}
