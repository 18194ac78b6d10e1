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
        if *bench == "train_step" {
            torch_anchor()?;
        }
    }
    Ok(())
}

/// PyTorch's time for the same training step, right after ours, so the two share the
/// machine's state. Debian's python3-torch (CPU) is the anchor; without it we say so.
fn torch_anchor() -> Result<()> {
    let script = crate::util::root().join("tools/bench/torch_step.py");
    let python = std::path::Path::new("/usr/bin/python3");
    let has_torch = std::process::Command::new(python)
        .args(["-c", "import torch"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_torch {
        eprintln!(
            "bench: PyTorch anchor skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)"
        );
        return Ok(());
    }
    crate::util::run(std::process::Command::new(python).arg(script).args(["2", "30", "5"]))
}
