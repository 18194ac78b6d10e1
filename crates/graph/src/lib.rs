//! The layer graph that vgforge stages hand to each other.
//!
//! A [`Graph`] is a typed DAG: named tensors (dtype, shape, layout, optional
//! quantization parameters and constant data) and named layers in
//! topological order. Training writes `fp32.graph`, quantization writes
//! `int8.graph`, and lowering reads either. Layer names are stable: every
//! later error and report uses them.
//!
//! ```
//! use vgforge_graph::spec::ModelSpec;
//! let graph = ModelSpec::builtin("upscaler").unwrap().to_graph(None).unwrap();
//! assert_eq!(graph.parameter_count(), 11_011);
//! ```

mod error;
pub mod file;
mod infer;
mod listing;
mod model;
pub mod spec;
mod validate;

pub use error::{Error, Result};
pub use file::{read_file, write_file};
pub use infer::output_shape;
pub use model::*;
