//! Arm's command-line tools from the `tosa-tools` and ML SDK wheels, as oracles for tests,
//! the conformance runner and the benchmark.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// A Python virtual environment holding Arm's tools (`tools/setup-env.sh` creates one).
#[derive(Debug, Clone)]
pub struct ArmTools {
    bin: PathBuf,
}

impl ArmTools {
    /// The venv named by `VGFORGE_VENV`, else `default_venv`; `Err` says why it is unusable
    /// (callers print `skipped: <reason>`).
    pub fn find(default_venv: &Path) -> std::result::Result<ArmTools, String> {
        let venv = std::env::var_os("VGFORGE_VENV")
            .map_or_else(|| default_venv.to_path_buf(), PathBuf::from);
        let bin = venv.join("bin");
        for tool in ["tosa_reference_model", "model-converter"] {
            if !bin.join(tool).is_file() {
                return Err(format!(
                    "{} not found (set VGFORGE_VENV or run tools/setup-env.sh)",
                    bin.join(tool).display()
                ));
            }
        }
        Ok(ArmTools { bin })
    }

    /// Path of a tool in the venv.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    fn run(&self, name: &str, cmd: &mut Command) -> Result<String> {
        let out = cmd.output().map_err(|e| Error::Tool {
            tool: name.into(),
            message: format!("cannot start: {e}"),
        })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            let tail: String =
                text.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(Error::Tool {
                tool: name.into(),
                message: format!("exited with {}: {tail}", out.status),
            });
        }
        Ok(text)
    }

    /// Runs `tosa_reference_model` on `tosa` with `.npy` inputs, writing `.npy` outputs.
    pub fn reference_model(
        &self,
        tosa: &Path,
        inputs: &[(&str, &Path)],
        outputs: &[(&str, &Path)],
    ) -> Result<String> {
        let join = |v: Vec<String>| v.join(",");
        let mut cmd = Command::new(self.tool("tosa_reference_model"));
        cmd.arg("--tosa_file")
            .arg(tosa)
            .arg("--ifm_name")
            .arg(join(inputs.iter().map(|(n, _)| n.to_string()).collect()))
            .arg("--ifm_file")
            .arg(join(inputs.iter().map(|(_, p)| p.display().to_string()).collect()))
            .arg("--ofm_name")
            .arg(join(outputs.iter().map(|(n, _)| n.to_string()).collect()))
            .arg("--ofm_file")
            .arg(join(outputs.iter().map(|(_, p)| p.display().to_string()).collect()));
        self.run("tosa_reference_model", &mut cmd)
    }

    /// Runs `tosa_reference_model --test_desc desc.json`, writing the outputs into `out_dir`.
    pub fn reference_model_desc(&self, desc: &Path, out_dir: &Path) -> Result<String> {
        let mut cmd = Command::new(self.tool("tosa_reference_model"));
        cmd.arg("--test_desc").arg(desc).arg("--output_dir").arg(out_dir);
        self.run("tosa_reference_model", &mut cmd)
    }

    /// Runs `model-converter -i tosa -o vgf`.
    pub fn model_converter(&self, tosa: &Path, vgf: &Path) -> Result<String> {
        let mut cmd = Command::new(self.tool("model-converter"));
        cmd.arg("-i").arg(tosa).arg("-o").arg(vgf);
        self.run("model-converter", &mut cmd)
    }
}
