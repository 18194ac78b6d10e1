//! Test support shared by the integration tests (and benchmarks) of `vgforge-tosa`,
//! `vgforge-vgf` and the crates after them. Dev-only: it depends on `vgforge-tosa` alone, so
//! the tests of that crate may use it (its unit tests inside `src/` may not: they would see
//! two different `vgforge_tosa` crates).
//!
//! * [`zoo`]: the operator-zoo graphs that exercise every operator the writers and Arm's
//!   tools are compared on, and their inputs.
//! * [`arm_fixture`]: the single copy of Arm's reference files in `fixtures/arm/`.
//! * [`Scratch`]: a temporary folder removed on drop.
//!
//! Finding Arm's tools is not here but in [`vgforge_tosa::tools`], because the runner
//! library needs it too.

mod error;
pub mod zoo;

use std::path::{Path, PathBuf};

pub use error::{Error, Result};

/// The workspace root, fixed at compile time (tests run with any working directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest).to_path_buf()
}

/// `<workspace>/fixtures/arm/<name>`: the Arm-made reference files (see its README).
pub fn arm_fixture(name: &str) -> PathBuf {
    workspace_root().join("fixtures/arm").join(name)
}

/// The bytes of [`arm_fixture`]`(name)`.
pub fn read_arm_fixture(name: &str) -> Result<Vec<u8>> {
    let path = arm_fixture(name);
    std::fs::read(&path).map_err(|source| Error::Io { path, source })
}

/// A fresh folder under the system temp dir, unique to this process and `tag`, removed
/// with its contents on drop.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Makes `<temp>/vgforge-<tag>-<pid>`, emptying a leftover of a crashed run.
    pub fn new(tag: &str) -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("vgforge-{tag}-{}", std::process::id()));
        // A previous process with the same pid may have died before its drop ran.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
        Ok(Scratch { dir })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `name` inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_resolve_in_the_workspace() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(arm_fixture("README.md").is_file());
        let bytes = read_arm_fixture("minicnn_i8.tosa").unwrap();
        assert_eq!(&bytes[4..8], b"TOSA");
        let e = read_arm_fixture("no-such.npy").unwrap_err().to_string();
        assert!(e.contains("fixtures/arm/no-such.npy"), "{e}");
    }

    #[test]
    fn scratch_is_removed_on_drop() {
        let s = Scratch::new("testkit-scratch").unwrap();
        std::fs::write(s.path("f"), b"x").unwrap();
        let dir = s.dir().to_path_buf();
        assert!(dir.join("f").is_file());
        drop(s);
        assert!(!dir.exists());
    }
}
