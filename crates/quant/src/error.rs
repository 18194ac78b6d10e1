//! The one error type of `vgforge-quant`.

/// Everything quantization can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value out of range (names the field).
    #[error("quant config: {field}: {message}")]
    Config {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The graph cannot be quantized as asked (names the layer or tensor).
    #[error("graph '{graph}': {message}")]
    Graph {
        /// Graph name.
        graph: String,
        /// What is wrong.
        message: String,
    },
    /// A tensor was never observed during calibration, so it has no range.
    #[error("tensor '{tensor}' was not observed: calibration saw no data for it")]
    Unobserved {
        /// Tensor name.
        tensor: String,
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
    /// From Candle.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn config(field: &'static str, message: impl Into<String>) -> Self {
        Error::Config { field, message: message.into() }
    }
}
