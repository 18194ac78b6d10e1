//! The execution plan: GPU buffers ("slots") and kernel dispatches, independent of Vulkan handles.

use crate::vk::Kernel;

/// Element storage on the GPU. i16 tensors are widened to int32 storage so one
/// set of integer kernels serves both; the host converts at the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Storage {
    I8,
    I32,
    F32,
}

impl Storage {
    pub fn bytes(self) -> usize {
        match self {
            Storage::I8 => 1,
            Storage::I32 | Storage::F32 => 4,
        }
    }
}

/// One GPU buffer.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// Tensor name, for messages.
    pub name: String,
    pub storage: Storage,
    /// Elements of one inference (or of the constant).
    pub elems: usize,
    /// Constant contents (already in `storage` layout); `None` for activations.
    pub constant: Option<Vec<u8>>,
    /// Whether the buffer holds one copy per inference of the batch.
    pub batched: bool,
}

/// One kernel dispatch.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub kernel: Kernel,
    /// Slot bound at binding i.
    pub bindings: Vec<usize>,
    /// Push-constant words.
    pub push: Vec<u32>,
    /// Invocations needed per inference.
    pub threads: usize,
    /// Images per inference the kernel walks with the z group index (N of NHWC ops, else 1).
    pub images: usize,
    /// Workgroups along y when the kernel uses y itself (CONV2D's channel tiles); 0 when
    /// `threads` is simply spread over x and y.
    pub groups_y: usize,
    /// The TOSA operator(s) this step implements, for profiles and errors.
    pub label: String,
}

/// A graph boundary tensor.
#[derive(Debug, Clone)]
pub(crate) struct Port {
    pub slot: usize,
    pub name: String,
    pub dtype: vgforge_tosa::DType,
    pub shape: Vec<usize>,
}

/// A lowered graph.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub slots: Vec<Slot>,
    pub steps: Vec<Step>,
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
}

/// Packs signed words for a push-constant block.
pub(crate) fn words(v: &[i64]) -> Vec<u32> {
    v.iter().map(|&x| x as i32 as u32).collect()
}
