use std::path::PathBuf;

/// Everything that can go wrong loading data, building a model, training or
/// evaluating it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: truncated at offset {offset}: {what} needs {need} bytes, only {have} present")]
    Truncated { path: PathBuf, offset: u64, what: String, need: u64, have: u64 },
    #[error("{path}: bad magic {found:#010x} at offset 0, expected {expected:#010x}")]
    BadMagic { path: PathBuf, found: u32, expected: u32 },
    #[error("{path}: at offset {offset}: {msg}")]
    Format { path: PathBuf, offset: u64, msg: String },
    #[error("dataset: {0}")]
    Data(String),
    #[error("layer '{node}' ({op}): {msg}")]
    Layer { node: String, op: &'static str, msg: String },
    #[error("graph '{graph}': {msg}")]
    Model { graph: String, msg: String },
    #[error("config field '{field}': {msg}")]
    Config { field: &'static str, msg: String },
    #[error("checkpoint {path}: {msg}")]
    Checkpoint { path: PathBuf, msg: String },
    #[error("training diverged at step {step}: loss is {loss}")]
    Diverged { step: u64, loss: f32 },
    #[error("png {path}: {msg}")]
    Png { path: PathBuf, msg: String },
    #[error(transparent)]
    Graph(#[from] vgforge_graph::Error),
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("json {path}: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
