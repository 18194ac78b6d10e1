//! The one error type of `vgforge-lower`.

use std::path::PathBuf;

/// Everything that can stop a lowering.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A layer (or one of its parameters) has no TOSA lowering.
    #[error("layer '{layer}' ({op}): {reason}")]
    Unsupported {
        /// Layer name.
        layer: String,
        /// Layer kind (`conv2d`, ...).
        op: &'static str,
        /// Why it cannot be lowered.
        reason: String,
    },
    /// The input graph is inconsistent (missing tensor, data or quantization parameters).
    #[error("graph '{graph}': {message}")]
    Graph {
        /// Graph name.
        graph: String,
        /// What is wrong, naming the tensor or layer.
        message: String,
    },
    /// A scale that cannot be expressed as a TOSA RESCALE multiplier and shift.
    #[error("layer '{layer}': scale {scale} cannot be encoded as a rescale: {reason}")]
    Scale {
        /// Layer name.
        layer: String,
        /// The real scale.
        scale: f64,
        /// Why.
        reason: String,
    },
    /// The input graph failed its own structural validation.
    #[error(transparent)]
    GraphIr(#[from] vgforge_graph::Error),
    /// The produced TOSA graph failed validation (a lowering bug, reported rather than hidden).
    #[error("lowered graph is not valid tosa: {0}")]
    Tosa(#[from] vgforge_tosa::Error),
    /// The quantization sidecar is malformed.
    #[error("sidecar '{}': {message}", path.display())]
    Sidecar {
        /// The file.
        path: PathBuf,
        /// What is wrong.
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

impl Error {
    pub(crate) fn unsupported(layer: &str, op: &'static str, reason: impl Into<String>) -> Self {
        Error::Unsupported { layer: layer.into(), op, reason: reason.into() }
    }
}
