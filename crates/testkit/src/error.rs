//! The one error type of `vgforge-testkit`.

use std::path::PathBuf;

/// What can go wrong while preparing test material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A fixture or scratch folder could not be read or made.
    #[error("i/o error on '{}': {source}", path.display())]
    Io {
        /// The file or folder at fault.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Building a graph or tensor failed in the IR crate.
    #[error("tosa: {0}")]
    Tosa(#[from] vgforge_tosa::Error),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
