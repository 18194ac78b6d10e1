//! The precompiled compute kernels (built by `shaders/build.sh`) and their pipelines.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use vulkanalia::prelude::v1_2::*;

use super::Gpu;
use crate::error::{Error, Result, VkContext};

/// Every push-constant block fits in this many bytes (the Vulkan minimum limit).
pub(crate) const PUSH_BYTES: u32 = 128;
/// Invocations per workgroup, `WG` in `common.glsl`.
pub(crate) const WORKGROUP: u32 = 64;
/// Invocations per workgroup of the register-blocked CONV2D, DEPTHWISE_CONV2D and pooling
/// kernels (`*_i8_fast*`, `WG=32` in `build.sh`): each invocation does a lot of work, and lavapipe runs one workgroup per
/// thread, so smaller groups spread a batch-1 layer over more threads.
pub(crate) const FAST_WORKGROUP: u32 = 32;

macro_rules! kernels {
    ($($variant:ident = $file:literal, $bindings:literal;)*) => {
        /// One compiled shader variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Kernel { $($variant,)* }

        impl Kernel {
            /// All kernels, for the test that builds every pipeline.
            #[cfg(test)]
            pub const ALL: &'static [Kernel] = &[$(Kernel::$variant,)*];

            /// SPIR-V words as committed under `shaders/spv`.
            fn spirv(self) -> &'static [u8] {
                match self {
                    $(Kernel::$variant => include_bytes!(concat!("../../shaders/spv/", $file, ".spv")),)*
                }
            }

            /// Number of storage-buffer bindings (0..n in set 0).
            pub fn bindings(self) -> u32 {
                match self { $(Kernel::$variant => $bindings,)* }
            }

            /// Invocations per workgroup (`WG` in the shader).
            pub fn workgroup(self) -> u32 {
                if self.name().contains("_i8_fast") { FAST_WORKGROUP } else { WORKGROUP }
            }

            /// File stem, for logs and benchmarks.
            pub fn name(self) -> &'static str {
                match self { $(Kernel::$variant => $file,)* }
            }
        }
    };
}

kernels! {
    Conv2dI8 = "conv2d_i8", 6;
    Conv2dI8Fused = "conv2d_i8_fused", 6;
    Conv2dF32 = "conv2d_f32", 6;
    Conv2dI8P4O4 = "conv2d_i8_p4o4", 6;
    Conv2dI8P4O8 = "conv2d_i8_p4o8", 6;
    Conv2dI8FusedP4O4 = "conv2d_i8_fused_p4o4", 6;
    Conv2dI8FusedP4O8 = "conv2d_i8_fused_p4o8", 6;
    ConvFastP16O16W4 = "conv2d_i8_fast_p16o16_w4", 4;
    ConvFastP16O16 = "conv2d_i8_fast_p16o16", 4;
    ConvFastP16O16Raw = "conv2d_i8_fast_p16o16_raw", 4;
    ConvFastP8O4W4 = "conv2d_i8_fast_p8o4_w4", 4;
    ConvFastP8O4 = "conv2d_i8_fast_p8o4", 4;
    ConvFastP8O4Raw = "conv2d_i8_fast_p8o4_raw", 4;
    ConvFastBP4O16W4 = "conv2d_i8_fast_b_p4o16_w4", 4;
    ConvFastBP4O16 = "conv2d_i8_fast_b_p4o16", 4;
    ConvFastBP4O16Raw = "conv2d_i8_fast_b_p4o16_raw", 4;
    ConvFastBP8O4W4 = "conv2d_i8_fast_b_p8o4_w4", 4;
    ConvFastBP8O4 = "conv2d_i8_fast_b_p8o4", 4;
    ConvFastBP8O4Raw = "conv2d_i8_fast_b_p8o4_raw", 4;
    DwV16 = "depthwise_i8_fast_v16", 4;
    DwV16K3S1 = "depthwise_i8_fast_v16_k3s1", 4;
    DwV16K3S2 = "depthwise_i8_fast_v16_k3s2", 4;
    DwW4 = "depthwise_i8_fast_w4", 4;
    DwW4K3S1 = "depthwise_i8_fast_w4_k3s1", 4;
    DwW4K3S2 = "depthwise_i8_fast_w4_k3s2", 4;
    DwW4M2 = "depthwise_i8_fast_w4m2", 4;
    DwW4M2K3S1 = "depthwise_i8_fast_w4m2_k3s1", 4;
    DwW4M2K3S2 = "depthwise_i8_fast_w4m2_k3s2", 4;
    DwBS4 = "depthwise_i8_fast_b_s4", 4;
    DwBS4K3S1 = "depthwise_i8_fast_b_s4_k3s1", 4;
    DwBS4K3S2 = "depthwise_i8_fast_b_s4_k3s2", 4;
    DwB = "depthwise_i8_fast_b", 4;
    DwBK3S1 = "depthwise_i8_fast_b_k3s1", 4;
    DwBK3S2 = "depthwise_i8_fast_b_k3s2", 4;
    DwV16Raw = "depthwise_i8_fast_v16_raw", 4;
    DwW4Raw = "depthwise_i8_fast_w4_raw", 4;
    DwW4M2Raw = "depthwise_i8_fast_w4m2_raw", 4;
    DwBRaw = "depthwise_i8_fast_b_raw", 4;
    DepthwiseI8 = "depthwise_i8", 6;
    DepthwiseI8Fused = "depthwise_i8_fused", 6;
    DepthwiseF32 = "depthwise_f32", 6;
    RescaleI8I8 = "rescale_i8_i8", 4;
    RescaleI8I32 = "rescale_i8_i32", 4;
    RescaleI32I8 = "rescale_i32_i8", 4;
    RescaleI32I32 = "rescale_i32_i32", 4;
    ClampI8 = "clamp_i8", 2;
    ClampI32 = "clamp_i32", 2;
    ClampF32 = "clamp_f32", 2;
    MaxPoolFastV16 = "maxpool_i8_fast_v16", 2;
    MaxPoolFastW4 = "maxpool_i8_fast_w4", 2;
    AvgPoolFastV16 = "avgpool_i8_fast_v16", 2;
    AvgPoolFastW4 = "avgpool_i8_fast_w4", 2;
    MaxPoolI8 = "maxpool_i8", 2;
    MaxPoolI32 = "maxpool_i32", 2;
    MaxPoolF32 = "maxpool_f32", 2;
    AvgPoolI8 = "avgpool_i8", 2;
    AvgPoolI32 = "avgpool_i32", 2;
    AvgPoolF32 = "avgpool_f32", 2;
    ResizeI8I32 = "resize_i8_i32", 2;
    ResizeI8I8 = "resize_i8_i8", 2;
    ResizeI8RescaleI8 = "resize_i8_rescale_i8", 4;
    ResizeI32I32 = "resize_i32_i32", 2;
    ResizeF32 = "resize_f32", 2;
    MatMulI8 = "matmul_i8", 3;
    MatMulF32 = "matmul_f32", 3;
    BinaryI32 = "binary_i32", 3;
    BinaryF32 = "binary_f32", 3;
    TableI8 = "table_i8", 3;
}

/// A compute pipeline with its layouts.
pub(crate) struct Pipeline {
    pub pipeline: vk::Pipeline,
    pub layout: vk::PipelineLayout,
    pub set_layout: vk::DescriptorSetLayout,
}

/// Lazily built pipelines, shared by all models of one runner.
pub(crate) struct Kernels {
    gpu: Arc<Gpu>,
    built: Mutex<HashMap<Kernel, Arc<Pipeline>>>,
}

impl Kernels {
    pub fn new(gpu: &Arc<Gpu>) -> Kernels {
        Kernels { gpu: gpu.clone(), built: Mutex::new(HashMap::new()) }
    }

    /// The pipeline of `k`, built on first use.
    pub fn get(&self, k: Kernel) -> Result<Arc<Pipeline>> {
        let mut built = self
            .built
            .lock()
            .map_err(|_| Error::Vulkan { call: "pipeline cache", code: "poisoned lock".into() })?;
        if let Some(p) = built.get(&k) {
            return Ok(p.clone());
        }
        let p = Arc::new(self.build(k)?);
        built.insert(k, p.clone());
        Ok(p)
    }

    fn build(&self, k: Kernel) -> Result<Pipeline> {
        let d = &self.gpu.device;
        let code = vulkanalia::bytecode::Bytecode::new(k.spirv()).map_err(|e| Error::Vulkan {
            call: "shader bytecode",
            code: format!("{}: {e}", k.name()),
        })?;
        let smi =
            vk::ShaderModuleCreateInfo::builder().code_size(code.code_size()).code(code.code());
        let module = unsafe { d.create_shader_module(&smi, None) }.ctx("vkCreateShaderModule")?;

        let bindings: Vec<_> = (0..k.bindings())
            .map(|b| {
                vk::DescriptorSetLayoutBinding::builder()
                    .binding(b)
                    .descriptor_type(vk::DescriptorType::STORAGE_BUFFER)
                    .descriptor_count(1)
                    .stage_flags(vk::ShaderStageFlags::COMPUTE)
            })
            .collect();
        let sli = vk::DescriptorSetLayoutCreateInfo::builder().bindings(&bindings);
        let set_layout = unsafe { d.create_descriptor_set_layout(&sli, None) };
        let set_layout = match set_layout {
            Ok(l) => l,
            Err(e) => {
                unsafe { d.destroy_shader_module(module, None) };
                return Err(Error::vk("vkCreateDescriptorSetLayout", e));
            }
        };
        let range = vk::PushConstantRange::builder()
            .stage_flags(vk::ShaderStageFlags::COMPUTE)
            .offset(0)
            .size(PUSH_BYTES);
        let set_layouts = [set_layout];
        let ranges = [range];
        let pli = vk::PipelineLayoutCreateInfo::builder()
            .set_layouts(&set_layouts)
            .push_constant_ranges(&ranges);
        let layout = match unsafe { d.create_pipeline_layout(&pli, None) } {
            Ok(l) => l,
            Err(e) => {
                unsafe {
                    d.destroy_descriptor_set_layout(set_layout, None);
                    d.destroy_shader_module(module, None);
                }
                return Err(Error::vk("vkCreatePipelineLayout", e));
            }
        };
        let stage = vk::PipelineShaderStageCreateInfo::builder()
            .stage(vk::ShaderStageFlags::COMPUTE)
            .module(module)
            .name(b"main\0");
        // DISPATCH_BASE: batches are split into per-inference dispatch ranges on some devices.
        let ci = vk::ComputePipelineCreateInfo::builder()
            .flags(vk::PipelineCreateFlags::DISPATCH_BASE)
            .stage(stage)
            .layout(layout);
        let res = unsafe { d.create_compute_pipelines(vk::PipelineCache::null(), &[ci], None) };
        unsafe { d.destroy_shader_module(module, None) };
        match res {
            Ok((p, _)) => Ok(Pipeline { pipeline: p[0], layout, set_layout }),
            Err(e) => {
                unsafe {
                    d.destroy_pipeline_layout(layout, None);
                    d.destroy_descriptor_set_layout(set_layout, None);
                }
                Err(Error::vk("vkCreateComputePipelines", e))
            }
        }
    }
}

impl Drop for Kernels {
    fn drop(&mut self) {
        let d = &self.gpu.device;
        if let Ok(built) = self.built.get_mut() {
            for p in built.values() {
                unsafe {
                    d.destroy_pipeline(p.pipeline, None);
                    d.destroy_pipeline_layout(p.layout, None);
                    d.destroy_descriptor_set_layout(p.set_layout, None);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vk::{DeviceSelector, GpuConfig};

    #[test]
    fn every_committed_kernel_builds_a_pipeline() {
        let gpu = match Gpu::new(&DeviceSelector::Auto, &GpuConfig::default()) {
            Ok(g) => Arc::new(g),
            Err(e) => {
                println!("skipped: {e}");
                return;
            }
        };
        let k = Kernels::new(&gpu);
        for &kernel in Kernel::ALL {
            k.get(kernel).unwrap_or_else(|e| panic!("{}: {e}", kernel.name()));
            assert!(kernel.bindings() >= 2, "{}", kernel.name());
        }
    }
}
