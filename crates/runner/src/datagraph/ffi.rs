//! `VK_ARM_tensors` / `VK_ARM_data_graph` structs whose flag fields are `VkFlags64` in the
//! Vulkan headers but 32-bit in vulkanalia 0.35. With the 32-bit field the upper half is
//! struct padding, i.e. uninitialised, and the emulation layer rejects the value
//! ("Unsupported data graph session create flags"). These mirrors have the header's
//! layout and are passed where vulkanalia expects its own type.

use std::ffi::c_void;

use vulkanalia::vk;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct TensorDescription {
    pub s_type: vk::StructureType,
    pub next: *const c_void,
    pub tiling: vk::TensorTilingARM,
    pub format: vk::Format,
    pub dimension_count: u32,
    pub dimensions: *const i64,
    pub strides: *const i64,
    pub usage: u64,
}

impl TensorDescription {
    /// A packed, linear tensor used by data graphs.
    pub fn new(dims: &[i64], format: vk::Format) -> TensorDescription {
        TensorDescription {
            s_type: vk::StructureType::TENSOR_DESCRIPTION_ARM,
            next: std::ptr::null(),
            tiling: vk::TensorTilingARM::LINEAR,
            format,
            dimension_count: dims.len() as u32,
            dimensions: dims.as_ptr(),
            strides: std::ptr::null(),
            usage: u64::from(vk::TensorUsageFlagsARM::DATA_GRAPH.bits()),
        }
    }
}

#[repr(C)]
pub(crate) struct TensorCreateInfo {
    pub s_type: vk::StructureType,
    pub next: *const c_void,
    pub flags: u64,
    pub description: *const TensorDescription,
    pub sharing_mode: vk::SharingMode,
    pub queue_family_index_count: u32,
    pub queue_family_indices: *const u32,
}

#[repr(C)]
pub(crate) struct TensorViewCreateInfo {
    pub s_type: vk::StructureType,
    pub next: *const c_void,
    pub flags: u64,
    pub tensor: vk::TensorARM,
    pub format: vk::Format,
}

#[repr(C)]
pub(crate) struct SessionCreateInfo {
    pub s_type: vk::StructureType,
    pub next: *const c_void,
    pub flags: u64,
    pub data_graph_pipeline: vk::Pipeline,
}

/// Reinterprets a mirror as the vulkanalia type the command signature names.
///
/// # Safety
/// `T` and `U` must describe the same C struct (same size, field offsets and sType).
pub(crate) unsafe fn as_vk<T, U>(v: &T) -> &U {
    debug_assert_eq!(std::mem::size_of::<T>(), std::mem::size_of::<U>());
    // SAFETY: guaranteed by the caller.
    unsafe { &*(v as *const T).cast::<U>() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_have_the_vulkanalia_sizes() {
        use std::mem::size_of;
        assert_eq!(size_of::<TensorDescription>(), size_of::<vk::TensorDescriptionARM>());
        assert_eq!(size_of::<TensorCreateInfo>(), size_of::<vk::TensorCreateInfoARM>());
        assert_eq!(size_of::<TensorViewCreateInfo>(), size_of::<vk::TensorViewCreateInfoARM>());
        assert_eq!(
            size_of::<SessionCreateInfo>(),
            size_of::<vk::DataGraphPipelineSessionCreateInfoARM>()
        );
    }
}
