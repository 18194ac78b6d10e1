//! TOSA 1.0: the IR, its validator, a bit-exact interpreter and `.tosa` flatbuffer I/O.
//!
//! This crate is the numerical truth of vgforge: the runner is compared against it.
//! It depends on no other stage crate.
//!
//! * [`ir`]: [`Graph`], [`Operator`], [`Op`], [`TensorDecl`], [`Tensor`], [`Builder`].
//! * [`validate()`]: the specification's ERROR_IF rules per [`Profile`].
//! * [`interp`]: the bit-exact, multithreaded CPU interpreter ([`interp::run`]).
//! * [`npy`]: NumPy `.npy` reading and writing.
//! * [`fbs`]: `.tosa` flatbuffer reading and writing ([`fbs::read`], [`fbs::write`]).
//! * [`tools`]: where Arm's tools are ([`tools::Venv`], [`tools::venv_dir`]) and running them
//!   ([`tools::ArmTools`]); every crate's tests and the runner find them through it.

mod error;
pub mod fbs;
pub mod interp;
pub mod ir;
pub mod npy;
pub mod validate;

pub use error::{Error, Result};
/// Arm's tools are not specific to the flatbuffer code; this is their crate-level path.
pub use fbs::tools;
pub use ir::{
    Builder, DType, Graph, NanMode, Op, Operator, ResizeMode, RoundingMode, Scalar, Tensor,
    TensorData, TensorDecl,
};
pub use validate::{Profile, validate};
