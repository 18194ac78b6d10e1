//! The one error type of `vgforge-eval`.

use std::path::PathBuf;

/// Everything evaluation and reporting can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The graphs do not fit together (names the layer or tensor).
    #[error("graph '{graph}': {message}")]
    Graph {
        /// Graph name.
        graph: String,
        /// What is wrong.
        message: String,
    },
    /// Evaluation data does not fit the model.
    #[error("data: {0}")]
    Data(String),
    /// From the graph IR.
    #[error(transparent)]
    GraphIr(#[from] vgforge_graph::Error),
    /// From training (model building, forward pass, data).
    #[error(transparent)]
    Train(#[from] vgforge_train::Error),
    /// From quantization (folding, dequantizing, equalization records).
    #[error(transparent)]
    Quant(#[from] vgforge_quant::Error),
    /// From lowering.
    #[error(transparent)]
    Lower(#[from] vgforge_lower::Error),
    /// From the TOSA interpreter.
    #[error(transparent)]
    Tosa(#[from] vgforge_tosa::Error),
    /// From Candle.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// PNG encoding.
    #[error("png '{}': {message}", path.display())]
    Png {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// File system error.
    #[error("i/o error on '{}': {source}", path.display())]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
