//! The thin Vulkan layer shared by the compute and data-graph backends.

mod buffer;
mod context;
mod kernels;

pub(crate) use buffer::{Buffer, MemKind, Submitter, upload};
pub use context::DeviceSelector;
pub(crate) use context::{Gpu, GpuConfig};
pub(crate) use kernels::{Kernel, Kernels, PUSH_BYTES};
