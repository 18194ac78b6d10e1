//! Backend `compute`: our own GLSL kernels for the TOSA operators CNNs use.
//!
//! A graph is lowered once into a [`plan::Plan`]; for each batch size a [`exec::Instance`]
//! holds the buffers and a command buffer recorded once, so a run is: copy inputs, one
//! submission for the whole batch, copy outputs.

mod conv;
mod conv_fast;
mod depthwise_fast;
pub(crate) mod exec;
pub(crate) mod lower;
mod ops;
pub(crate) mod plan;
mod rescale;
