//! Integer-exact evaluation of int8 models and the per-layer quantization report.
//!
//! * [`eval_int8`] runs the lowered TOSA graph in the bit-exact interpreter over a test set
//!   (or, through [`eval_int8_with`], any executor: the Vulkan runner), so the PSNR or
//!   accuracy it reports is what the deployed model computes.
//! * [`report()`] compares fp32, fake-quant (q/dq simulation) and integer outputs layer by
//!   layer, as JSON, markdown and a PNG chart.
//!
//! This crate sits after `quant` and `lower` in the pipeline: it runs what they produce,
//! so neither of them needs the other or the interpreter.

mod error;
pub mod int8;
pub mod report;

pub use error::{Error, Result};
pub use int8::{eval_int8, eval_int8_with};
pub use report::{LayerReport, LayerRow, report};
