//! `cargo xtask pipeline`: every stage, each through the `vgforge` binary and
//! the files it writes, exactly as a user would run them by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::util::{cargo, check_args, flag, opt, root};

fn vgforge_binary() -> Result<PathBuf> {
    crate::util::run(cargo().args(["build", "--release", "--quiet", "-p", "vgforge-cli"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    Ok(target.join("release").join("vgforge"))
}

pub fn run_pipeline(bin: &Path, steps: &[Vec<String>]) -> Result<()> {
    for step in steps {
        crate::util::run(Command::new(bin).args(step))?;
    }
    Ok(())
}

pub fn run(args: &[String]) -> Result<()> {
    check_args(args, &["--model", "--data", "--out", "--epochs"], &["--quick"])?;
    let model = opt(args, "--model").unwrap_or("upscaler");
    let quick = flag(args, "--quick");
    let out = PathBuf::from(opt(args, "--out").unwrap_or(if quick {
        "out/quick"
    } else {
        "out/pipeline"
    }));
    let out = if out.is_absolute() { out } else { root().join(out) };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let o = |name: &str| out.join(name).to_string_lossy().into_owned();
    let bin = vgforge_binary()?;

    let mut data: Vec<String> = Vec::new();
    if let Some(d) = opt(args, "--data") {
        data = vec!["--data".into(), d.into()];
    }
    let mut limits: Vec<String> = Vec::new();
    if quick {
        limits = ["--limit-train", "2048", "--limit-eval", "512"].map(String::from).to_vec();
    }
    // The embedded default is small (759 patches): the upscaler needs about 1,000 steps
    // to pass plain bilinear upsampling, and QAT about 100 to pass PTQ. A user's own
    // data set keeps the learning path's one epoch.
    let embedded = opt(args, "--data").is_none();
    let (train_epochs, qat_epochs) = match (quick, embedded) {
        (true, _) => ("2", "1"),
        (false, true) => ("100", "10"),
        (false, false) => ("1", "1"),
    };
    let epochs = Some(opt(args, "--epochs").unwrap_or(train_epochs).to_string());
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();

    let mut train = s(&["train", "--model", model, "--out", &o("fp32")]);
    train.extend(data.clone());
    train.extend(limits.clone());
    if let Some(e) = &epochs {
        train.extend(s(&["--epochs", e]));
    }
    let fp32 = o("fp32/fp32.graph");
    let calib = if quick { "128" } else { "500" };
    let mut ptq = s(&[
        "quantize",
        "--method",
        "ptq",
        "--in",
        &fp32,
        "--out",
        &o("ptq/int8.graph"),
        "--calib",
        calib,
    ]);
    ptq.extend(data.clone());
    let mut qat = s(&[
        "quantize",
        "--method",
        "qat",
        "--in",
        &fp32,
        "--out",
        &o("qat/int8.graph"),
        "--epochs",
        qat_epochs,
    ]);
    qat.extend(data.clone());
    qat.extend(limits.clone());
    let mut steps = vec![train, ptq, qat];
    for q in ["ptq", "qat"] {
        let g = o(&format!("{q}/int8.graph"));
        let t = o(&format!("{q}/model.tosa"));
        let v = o(&format!("{q}/model.vgf"));
        steps.push(s(&["lower", "--in", &g, "--out", &t]));
        steps.push(s(&["emit", "--in", &t, "--out", &v]));
        let mut eval = s(&["eval", &t, "--metrics", &o(&format!("{q}/metrics.json"))]);
        eval.extend(data.clone());
        eval.extend(limits.iter().skip(2).cloned());
        steps.push(eval);
        // The deployed file on Vulkan, measured by the same metric code: equal to the
        // interpreter's numbers because the runner is bit-exact.
        let mut on_gpu = s(&[
            "eval",
            &v,
            "--backend",
            "compute",
            "--metrics",
            &o(&format!("{q}/metrics-vgf.json")),
        ]);
        on_gpu.extend(data.clone());
        on_gpu.extend(limits.iter().skip(2).cloned());
        steps.push(on_gpu);
        let mut report = s(&[
            "report",
            "--fp32",
            &fp32,
            "--int8",
            &g,
            "--tosa",
            &t,
            "--out",
            &o(&format!("{q}/report")),
        ]);
        report.extend(data.clone());
        steps.push(report);
    }
    steps.push(s(&["summary", &out.to_string_lossy()]));
    run_pipeline(&bin, &steps)
}
