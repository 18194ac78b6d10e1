//! Arm's command-line tools from the `tosa-tools` and ML SDK wheels, as oracles for tests,
//! the conformance runner, benchmarks and the runner's emulation-layer setup.
//!
//! This is the one place that knows where they live: the Python virtual environment named by
//! `VGFORGE_VENV`, else `<workspace root>/.venv` (what `tools/setup-env.sh` creates). Every
//! lookup that fails says which path is missing and how to provide it, so callers can print
//! `skipped: <reason>` without composing their own message.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The environment variable that overrides the venv location.
pub const VENV_VAR: &str = "VGFORGE_VENV";

const HINT: &str = "set VGFORGE_VENV or run tools/setup-env.sh";

/// `$VGFORGE_VENV` when set and non-empty, else `<workspace root>/.venv`.
///
/// The default is fixed at compile time from this crate's location in the workspace, so
/// tests of every crate agree on it whatever their working directory.
pub fn venv_dir() -> PathBuf {
    venv_dir_from(std::env::var_os(VENV_VAR))
}

fn venv_dir_from(var: Option<std::ffi::OsString>) -> PathBuf {
    match var {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            // crates/tosa -> workspace root; a copy outside a workspace keeps its own folder.
            manifest.ancestors().nth(2).unwrap_or(manifest).join(".venv")
        }
    }
}

fn not_found(what: &str, path: &Path) -> Error {
    Error::Tool { tool: what.into(), message: format!("{} not found ({HINT})", path.display()) }
}

/// A Python virtual environment holding Arm's tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venv {
    dir: PathBuf,
}

impl Venv {
    /// The venv of [`venv_dir`], if that folder exists.
    pub fn find() -> Result<Venv> {
        Venv::at(venv_dir())
    }

    /// The venv at `dir`, if that folder exists.
    pub fn at(dir: impl Into<PathBuf>) -> Result<Venv> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(not_found("venv", &dir));
        }
        Ok(Venv { dir })
    }

    /// The venv's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<venv>/bin/<name>`, if it is a file.
    pub fn tool(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join("bin").join(name);
        if path.is_file() { Ok(path) } else { Err(not_found(name, &path)) }
    }

    /// `<venv>/lib/python3.X/site-packages`. Should a venv hold several Python versions, the
    /// first in name order wins, so the choice does not depend on directory listing order.
    pub fn site_packages(&self) -> Result<PathBuf> {
        let lib = self.dir.join("lib");
        let entries = std::fs::read_dir(&lib).map_err(|_| not_found("site-packages", &lib))?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
            .map(|e| e.path().join("site-packages"))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs.into_iter()
            .next()
            .ok_or_else(|| not_found("site-packages", &lib.join("python3.*/site-packages")))
    }

    /// `rel` inside site-packages (a file or folder a wheel installs), if it exists.
    pub fn package_path(&self, rel: &str) -> Result<PathBuf> {
        let path = self.site_packages()?.join(rel);
        if path.exists() { Ok(path) } else { Err(not_found(rel, &path)) }
    }
}

/// Arm's TOSA tools (`tosa_reference_model`, `model-converter`) in a venv.
#[derive(Debug, Clone)]
pub struct ArmTools {
    venv: Venv,
}

impl ArmTools {
    /// The tools in the venv of [`venv_dir`]; `Err` names the first missing one.
    pub fn find() -> Result<ArmTools> {
        ArmTools::in_venv(Venv::find()?)
    }

    /// The tools in `venv`; `Err` names the first missing one.
    pub fn in_venv(venv: Venv) -> Result<ArmTools> {
        for tool in ["tosa_reference_model", "model-converter"] {
            venv.tool(tool)?;
        }
        Ok(ArmTools { venv })
    }

    /// The venv the tools are in (for the other tools it holds, such as `flatc`).
    pub fn venv(&self) -> &Venv {
        &self.venv
    }

    fn command(&self, name: &str) -> Result<Command> {
        Ok(Command::new(self.venv.tool(name)?))
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
        let mut cmd = self.command("tosa_reference_model")?;
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
        let mut cmd = self.command("tosa_reference_model")?;
        cmd.arg("--test_desc").arg(desc).arg("--output_dir").arg(out_dir);
        self.run("tosa_reference_model", &mut cmd)
    }

    /// Runs `model-converter -i tosa -o vgf`.
    pub fn model_converter(&self, tosa: &Path, vgf: &Path) -> Result<String> {
        let mut cmd = self.command("model-converter")?;
        cmd.arg("-i").arg(tosa).arg("-o").arg(vgf);
        self.run("model-converter", &mut cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vgforge-tools-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn missing_pieces_name_the_path_and_the_remedy() {
        let dir = scratch("missing");
        let e = Venv::at(dir.join("nope")).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("set VGFORGE_VENV"), "{e}");
        let venv = Venv::at(&dir).unwrap();
        let e = venv.tool("vgf_dump").unwrap_err().to_string();
        assert!(e.contains("bin/vgf_dump not found (set VGFORGE_VENV"), "{e}");
        let e = venv.site_packages().unwrap_err().to_string();
        assert!(e.contains("lib") && e.contains("tools/setup-env.sh"), "{e}");
        let e = ArmTools::in_venv(venv).unwrap_err().to_string();
        assert!(e.contains("tosa_reference_model"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn finds_tools_and_the_first_site_packages() {
        let dir = scratch("layout");
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        for t in ["tosa_reference_model", "model-converter"] {
            std::fs::write(dir.join("bin").join(t), b"").unwrap();
        }
        for py in ["python3.12", "python3.11"] {
            std::fs::create_dir_all(dir.join("lib").join(py).join("site-packages/pkg")).unwrap();
        }
        // A folder of that name is not a tool.
        std::fs::create_dir_all(dir.join("bin/flatc")).unwrap();
        let venv = Venv::at(&dir).unwrap();
        assert_eq!(venv.dir(), dir.as_path());
        assert!(venv.tool("flatc").is_err());
        assert_eq!(venv.site_packages().unwrap(), dir.join("lib/python3.11/site-packages"));
        assert_eq!(venv.package_path("pkg").unwrap(), dir.join("lib/python3.11/site-packages/pkg"));
        assert!(venv.package_path("absent").unwrap_err().to_string().contains("absent"));
        let tools = ArmTools::in_venv(venv.clone()).unwrap();
        assert_eq!(tools.venv(), &venv);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_variable_wins_unless_empty() {
        assert_eq!(venv_dir_from(Some("/opt/arm".into())), PathBuf::from("/opt/arm"));
        for var in [None, Some("".into())] {
            let root = venv_dir_from(var).parent().unwrap().to_path_buf();
            assert!(root.join("Cargo.toml").is_file() && root.join("crates/tosa").is_dir());
        }
    }
}
