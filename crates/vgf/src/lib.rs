//! SPIR-V graph modules (SPV_ARM_graph, SPV_ARM_tensors, TOSA.001000.1) and Arm's VGF
//! container (format 0.5.0), written and read.
//!
//! * Writing: [`write_vgf`] / [`write_vgf_file`] turn a [`vgforge_tosa::Graph`] into a `.vgf`
//!   that Arm's 0.11.0 tools (vgf_dump, scenario-runner with the ML emulation layer) accept.
//! * Reading: [`read_vgf`] / [`read_vgf_file`] decode the container with precise errors, and
//!   [`VgfFile::to_tosa`] lifts its graph module back to TOSA, for our own files and for
//!   model-converter's.
//! * [`dump_json`] prints the summary `vgf_dump` prints; [`scenario_json`] writes a
//!   scenario-runner file for the model.

pub mod container;
mod dump;
mod emit;
pub mod error;
mod fb;
pub mod format;
mod lift;
pub mod spirv;
mod to_tosa;
mod write;

pub use container::{VgfFile, encode_vgf, read_vgf};
pub use dump::{dump_json, scenario_json};
pub use emit::WriteOptions;
pub use error::{Error, Result};
pub use write::{build_vgf, read_vgf_file, write_atomic, write_vgf, write_vgf_file};
