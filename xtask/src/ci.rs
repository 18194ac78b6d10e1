//! `ci`, `test`, `tidy` and `conformance`.

use std::collections::BTreeMap;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{cargo, check_args, flag, root, run, venv};

/// Which workspace crates each crate may depend on: edges point one way along
/// the pipeline, and the IR crates are leaves.
const ALLOWED: &[(&str, &[&str])] = &[
    ("vgforge-graph", &[]),
    ("vgforge-tosa", &[]),
    ("vgforge-train", &["vgforge-graph"]),
    ("vgforge-quant", &["vgforge-graph", "vgforge-train"]),
    ("vgforge-lower", &["vgforge-graph", "vgforge-tosa"]),
    // Runs what quant and lower produce: integer-exact evaluation and the per-layer report.
    (
        "vgforge-eval",
        &["vgforge-graph", "vgforge-train", "vgforge-quant", "vgforge-lower", "vgforge-tosa"],
    ),
    ("vgforge-vgf", &["vgforge-tosa"]),
    ("vgforge-runner", &["vgforge-tosa", "vgforge-vgf"]),
    (
        "vgforge-cli",
        &[
            "vgforge-graph",
            "vgforge-train",
            "vgforge-quant",
            "vgforge-eval",
            "vgforge-tosa",
            "vgforge-lower",
            "vgforge-vgf",
            "vgforge-runner",
        ],
    ),
    // Dev-only test support, used as a dev-dependency by tosa, vgf and later crates.
    ("vgforge-testkit", &["vgforge-tosa"]),
    ("xtask", &[]),
];

/// Crates that may link Candle (directly); the IR crates never do.
const CANDLE_OK: &[&str] = &["vgforge-train", "vgforge-quant", "vgforge-eval"];

fn setup() -> Result<()> {
    if std::env::var_os("VGFORGE_SKIP_SETUP").is_some() {
        eprintln!("xtask: VGFORGE_SKIP_SETUP set, not installing tools");
        return Ok(());
    }
    run(Command::new("bash").arg(root().join("tools/setup-env.sh")))
}

pub fn test(args: &[String]) -> Result<()> {
    check_args(args, &[], &["--no-setup"])?;
    if !flag(args, "--no-setup") {
        setup()?;
    }
    run(cargo().args(["test", "--workspace", "--no-fail-fast"]).env("VGFORGE_VENV", venv()))
}

pub fn ci(args: &[String]) -> Result<()> {
    check_args(args, &[], &["--no-setup"])?;
    if !flag(args, "--no-setup") {
        setup()?;
    }
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    tidy()?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["test", "--workspace", "--no-fail-fast"]).env("VGFORGE_VENV", venv()))?;
    conformance(&[])
}

pub fn tidy() -> Result<()> {
    let out = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut problems = Vec::new();
    for pkg in meta["packages"].as_array().into_iter().flatten() {
        let name = pkg["name"].as_str().unwrap_or_default();
        let Some(ok) = allowed.get(name) else {
            problems.push(format!("{name}: not in the dependency table of xtask/src/ci.rs"));
            continue;
        };
        for dep in pkg["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let kind = dep["kind"].as_str().unwrap_or("normal");
            if kind == "dev" {
                continue;
            }
            if (dep_name.starts_with("vgforge-") || dep_name == "xtask") && !ok.contains(&dep_name)
            {
                problems
                    .push(format!("{name} depends on {dep_name}: against the pipeline direction"));
            }
            if dep_name.starts_with("candle") && !CANDLE_OK.contains(&name) {
                problems.push(format!(
                    "{name} depends on {dep_name}: only train, quant and eval may use Candle"
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!("dependency rule broken:\n  {}", problems.join("\n  "));
    }
    eprintln!("tidy: dependency rule holds");
    Ok(())
}

pub fn conformance(args: &[String]) -> Result<()> {
    check_args(args, &[], &["--full"])?;
    let script = root().join("tools/conformance/run.sh");
    if !script.exists() {
        bail!("{} is missing", script.display());
    }
    let mut cmd = Command::new("bash");
    cmd.arg(script).env("VGFORGE_VENV", venv());
    if flag(args, "--full") {
        cmd.arg("--full");
    }
    run(&mut cmd)
}
