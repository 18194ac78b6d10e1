//! One module per subcommand, plus the data and file-kind helpers they share.

pub mod emit;
pub mod eval;
pub mod inspect;
pub mod lower;
pub mod quantize;
pub mod report;
pub mod run;
pub mod summary;
pub mod train;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vgforge_train::Dataset;

/// Where the data comes from, shared by every subcommand that reads images.
#[derive(clap::Args, Clone, Debug)]
pub struct DataArgs {
    /// CIFAR-10 binary or IDX (Fashion-MNIST) folder; the embedded default when absent.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Use only the first N training images.
    #[arg(long)]
    pub limit_train: Option<usize>,
    /// Use only the first N test images.
    #[arg(long)]
    pub limit_eval: Option<usize>,
}

impl DataArgs {
    pub fn load(&self) -> Result<Dataset> {
        let mut d = Dataset::open(self.data.as_deref()).context("loading the data")?;
        if let Some(n) = self.limit_train {
            d.train.truncate(n);
        }
        if let Some(n) = self.limit_eval {
            d.test.truncate(n);
        }
        Ok(d)
    }
}

/// The kinds of file vgforge reads, by content (magic) first and extension second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Graph,
    Tosa,
    Vgf,
}

pub fn kind_of(path: &Path) -> Result<Kind> {
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .with_context(|| format!("reading {}", path.display()))?;
    let head = &head[..n];
    if head.starts_with(vgforge_graph::file::MAGIC) {
        return Ok(Kind::Graph);
    }
    if head.starts_with(b"VGF1") {
        return Ok(Kind::Vgf);
    }
    if head.len() >= 8 && &head[4..8] == b"TOSA" {
        return Ok(Kind::Tosa);
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("graph") => Ok(Kind::Graph),
        Some("tosa") => Ok(Kind::Tosa),
        Some("vgf") => Ok(Kind::Vgf),
        _ => anyhow::bail!(
            "{}: not a .graph, .tosa or .vgf file (unknown magic {head:02x?})",
            path.display()
        ),
    }
}

pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    vgforge_graph::file::write_atomic(path, text.as_bytes()).map_err(Into::into)
}
