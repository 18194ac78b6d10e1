//! FP32 training and evaluation of vgforge graphs in Candle.
//!
//! - [`data`]: CIFAR-10 binary and IDX (plain or gzip) readers, the embedded
//!   default dataset, and a seeded, drop-last batch iterator that makes
//!   upscaler pairs the way Arm's learning path does.
//! - [`model`]: a Candle module built from any [`vgforge_graph::Graph`] DAG,
//!   PyTorch-style init, export back to the graph, and [`ForwardHooks`] for
//!   fake-quant during QAT.
//! - [`optim`]: AdamW and SGD with momentum, with saveable state.
//! - [`train()`] / [`evaluate`]: the loop, checkpoints, metrics and report PNGs.

pub mod checkpoint;
pub mod data;
mod error;
pub mod eval;
pub mod model;
pub mod optim;
pub mod plot;
pub mod rng;
mod train;

pub use data::{Batch, Batches, Dataset, ImageSet, Target};
pub use error::{Error, Result};
pub use eval::{EvalOptions, Metrics, evaluate, evaluate_set};
pub use model::{ForwardHooks, Model, NoHooks, Param, ParamRole};
pub use optim::{Optimizer, OptimizerConfig};
pub use train::{
    FitResult, TrainConfig, TrainReport, fit, graph_for, optimizer_for, recalibrate_batchnorm,
    train, train_step,
};
