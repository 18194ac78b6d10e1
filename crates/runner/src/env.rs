//! Locating Arm's tools (the venv made by `tools/setup-env.sh`) and the environment the
//! ML emulation layers need. Used by tests, benchmarks and the data-graph backend's users.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `$VGFORGE_VENV`, else `<workspace root>/.venv`.
pub fn venv_dir() -> PathBuf {
    match std::env::var_os("VGFORGE_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
    }
}

/// The emulation layer's `deploy` folder inside `venv`, if the wheel is installed.
pub fn emulation_layer_dir(venv: &Path) -> Option<PathBuf> {
    let lib = venv.join("lib");
    let mut entries: Vec<_> = std::fs::read_dir(&lib).ok()?.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    entries.into_iter().find_map(|e| {
        let d = e.path().join("site-packages/emulation_layer/deploy");
        (e.file_name().to_string_lossy().starts_with("python")
            && d.join("lib/libVkLayer_Graph.so").is_file())
        .then_some(d)
    })
}

/// Arm's `scenario_runner` inside `venv`, if installed.
pub fn scenario_runner(venv: &Path) -> Option<PathBuf> {
    let p = venv.join("bin/scenario_runner");
    p.is_file().then_some(p)
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
