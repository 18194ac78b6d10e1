//! The environment the ML emulation layers need, on top of the workspace's one lookup of
//! Arm's tools ([`vgforge_tosa::tools`]). Used by tests, benchmarks and the data-graph
//! backend's users.

use std::path::{Path, PathBuf};

use vgforge_tosa::tools::Venv;

use crate::error::{Error, Result};

/// `$VGFORGE_VENV`, else `<workspace root>/.venv` (the one lookup, in
/// [`vgforge_tosa::tools::venv_dir`]).
pub fn venv_dir() -> PathBuf {
    vgforge_tosa::tools::venv_dir()
}

/// The emulation layer's `deploy` folder inside `venv`; `Err` names what is missing.
pub fn emulation_layer_dir(venv: &Path) -> Result<PathBuf> {
    let deploy = Venv::at(venv)?.package_path("emulation_layer/deploy")?;
    // The wheel's folder without its library is as useless as no wheel.
    let lib = deploy.join("lib/libVkLayer_Graph.so");
    if !lib.is_file() {
        return Err(Error::Tool {
            tool: "emulation layer",
            reason: format!("{} not found (reinstall with tools/setup-env.sh)", lib.display()),
        });
    }
    Ok(deploy)
}

/// Arm's `scenario_runner` inside `venv`; `Err` says where it was looked for.
pub fn scenario_runner(venv: &Path) -> Result<PathBuf> {
    Ok(Venv::at(venv)?.tool("scenario_runner")?)
}

/// Names of the two emulation layers, in the order they must be enabled (Graph above Tensor).
pub const EMULATION_LAYERS: [&str; 2] =
    ["VK_LAYER_ML_Graph_Emulation", "VK_LAYER_ML_Tensor_Emulation"];

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let io = |e| Error::Io { path: path.display().to_string(), source: e };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes the two layer manifests, each in its own folder under `scratch` with an absolute
/// `library_path`, and returns the environment that makes the Vulkan loader find them
/// (Graph first, which Debian 12's loader needs), for this process's children.
///
/// For our own runner `VK_ADD_LAYER_PATH` is enough (it enables the layers itself, in
/// order); Arm's `scenario_runner` also needs `VK_INSTANCE_LAYERS`, which is included.
pub fn emulation_env(deploy: &Path, scratch: &Path) -> Result<Vec<(String, String)>> {
    let mut dirs = Vec::new();
    for (sub, file) in [("graph", "VkLayer_Graph"), ("tensor", "VkLayer_Tensor")] {
        let src = deploy.join(format!("share/vulkan/explicit_layer.d/{file}.json"));
        let text = std::fs::read_to_string(&src)
            .map_err(|e| Error::Io { path: src.display().to_string(), source: e })?;
        let lib = deploy.join(format!("lib/lib{file}.so"));
        let needle = format!("\"lib{file}.so\"");
        if !text.contains(&needle) {
            return Err(Error::Tool {
                tool: "emulation layer",
                reason: format!("{}: no {needle} library_path", src.display()),
            });
        }
        let text = text.replace(&needle, &format!("\"{}\"", lib.display()));
        let dir = scratch.join(sub);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::Io { path: dir.display().to_string(), source: e })?;
        write_atomic(&dir.join(format!("{file}.json")), &text)?;
        dirs.push(dir.display().to_string());
    }
    let path = dirs.join(":");
    Ok(vec![
        ("VK_LAYER_PATH".into(), path.clone()),
        ("VK_ADD_LAYER_PATH".into(), path),
        ("VK_INSTANCE_LAYERS".into(), EMULATION_LAYERS.join(":")),
        ("XDG_RUNTIME_DIR".into(), scratch.display().to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_say_what_is_missing() {
        let venv = std::env::temp_dir().join(format!("vgforge-env-{}", std::process::id()));
        let deploy = venv.join("lib/python3.11/site-packages/emulation_layer/deploy");
        std::fs::create_dir_all(deploy.join("lib")).unwrap();
        std::fs::create_dir_all(venv.join("bin")).unwrap();

        let e = scenario_runner(&venv).unwrap_err().to_string();
        assert!(e.contains("bin/scenario_runner not found"), "{e}");
        let e = emulation_layer_dir(&venv).unwrap_err().to_string();
        assert!(e.contains("libVkLayer_Graph.so not found"), "{e}");

        std::fs::write(venv.join("bin/scenario_runner"), b"").unwrap();
        std::fs::write(deploy.join("lib/libVkLayer_Graph.so"), b"").unwrap();
        assert_eq!(scenario_runner(&venv).unwrap(), venv.join("bin/scenario_runner"));
        assert_eq!(emulation_layer_dir(&venv).unwrap(), deploy);
        std::fs::remove_dir_all(&venv).unwrap();

        let e = emulation_layer_dir(&venv).unwrap_err().to_string();
        assert!(e.contains("set VGFORGE_VENV"), "{e}");
    }
}
