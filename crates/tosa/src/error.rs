//! The one error type of `vgforge-tosa`.

use std::path::PathBuf;

/// Everything that can go wrong while building, validating, running or (de)serializing a TOSA graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An ERROR_IF of the specification (or a type-support rule) is violated by an operator.
    #[error("{op}: {message}")]
    Invalid {
        /// Operator name plus its location, e.g. `CONV2D 'conv1'`.
        op: String,
        /// The broken rule, naming the operand.
        message: String,
    },
    /// The graph itself is malformed (undefined operand, duplicate definition, bad declaration).
    #[error("graph '{graph}': {message}")]
    Graph {
        /// Graph name.
        graph: String,
        /// What is wrong.
        message: String,
    },
    /// A REQUIRE of the specification failed at run time: the result would be unpredictable.
    #[error("{op}: unpredictable result: {message}")]
    Unpredictable {
        /// Operator name plus its location.
        op: String,
        /// The violated REQUIRE.
        message: String,
    },
    /// Tensor data does not match its declared type or shape.
    #[error("tensor '{tensor}': {message}")]
    Tensor {
        /// Tensor name (or a description when it has none).
        tensor: String,
        /// What is wrong.
        message: String,
    },
    /// A data type that this operation cannot handle.
    #[error("unsupported data type {dtype} for {context}")]
    UnsupportedDType {
        /// The type's name.
        dtype: String,
        /// Where it was met.
        context: String,
    },
    /// Inputs given to the interpreter do not match the graph's inputs.
    #[error("input '{input}': {message}")]
    Input {
        /// Graph input name.
        input: String,
        /// What is wrong.
        message: String,
    },
    /// A malformed or unsupported `.npy` file.
    #[error("npy '{file}': {message}")]
    Npy {
        /// File name (or `<memory>`).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A malformed or unsupported `.tosa` flatbuffer.
    #[error("tosa flatbuffer '{file}' at offset {offset}: {message}")]
    Flatbuffer {
        /// File name (or `<memory>`).
        file: String,
        /// Byte offset of the fault.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// An external tool (e.g. Arm's reference model) failed.
    #[error("tool '{tool}': {message}")]
    Tool {
        /// Tool name.
        tool: String,
        /// What happened.
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
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub(crate) fn tensor(tensor: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Tensor { tensor: tensor.into(), message: message.into() }
    }
}
