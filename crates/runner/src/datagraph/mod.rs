//! Backend `datagraph`: the `.vgf`'s SPIR-V graph module handed unchanged to
//! `VK_ARM_data_graph`, with tensors from `VK_ARM_tensors` and the graph constants taken
//! from the VGF constants section. On devices without native support this runs through
//! Arm's ML emulation layers, which [`configure`] enables when the loader can find them
//! (see [`crate::env::emulation_env`]).

use std::ffi::CString;
use std::sync::Arc;

use vgforge_tosa::{DType, Tensor, TensorData};
use vgforge_vgf::VgfFile;
use vgforge_vgf::container::{ModuleCode, ModuleType, Segment};
use vulkanalia::prelude::v1_2::*;
use vulkanalia::vk::{ArmDataGraphExtensionDeviceCommands, ArmTensorsExtensionDeviceCommands};

mod ffi;

use ffi::{SessionCreateInfo, TensorCreateInfo, TensorDescription, TensorViewCreateInfo, as_vk};

use crate::PortInfo;
use crate::env::EMULATION_LAYERS;
use crate::error::{Error, Result, VkContext};
use crate::tensors;
use crate::vk::{Gpu, GpuConfig, Submitter};

/// Requests the extensions, features and (when present) emulation layers.
pub(crate) fn configure(c: &mut GpuConfig) {
    c.optional_layers = EMULATION_LAYERS.iter().map(|s| s.to_string()).collect();
    c.device_extensions = vec![vk::ARM_TENSORS_EXTENSION.name, vk::ARM_DATA_GRAPH_EXTENSION.name];
    c.data_graph = true;
}

fn dtype_of(format: u32) -> Option<(DType, usize)> {
    match vk::Format::from_raw(format as i32) {
        vk::Format::R8_SINT => Some((DType::Int8, 1)),
        vk::Format::R16_SINT => Some((DType::Int16, 2)),
        vk::Format::R32_SINT => Some((DType::Int32, 4)),
        vk::Format::R32_SFLOAT => Some((DType::Fp32, 4)),
        _ => None,
    }
}

/// One tensor bound to the graph, in host-visible memory.
struct BoundTensor {
    set: u32,
    binding: u32,
    dims: Vec<i64>,
    format: vk::Format,
    bytes: usize,
    tensor: vk::TensorARM,
    view: vk::TensorViewARM,
    memory: vk::DeviceMemory,
    mapped: *mut u8,
}

/// A `.vgf` prepared for `vkCmdDispatchDataGraphARM`.
pub(crate) struct DataGraphModel {
    gpu: Arc<Gpu>,
    inputs: Vec<(usize, PortInfo)>,
    outputs: Vec<(usize, PortInfo)>,
    tensors: Vec<BoundTensor>,
    set_layouts: Vec<vk::DescriptorSetLayout>,
    layout: vk::PipelineLayout,
    pipeline: vk::Pipeline,
    session: vk::DataGraphPipelineSessionARM,
    session_memory: Vec<vk::DeviceMemory>,
    pool: vk::DescriptorPool,
    submitter: Submitter,
}

// SAFETY: the mapped pointers are only used by &mut self methods.
unsafe impl Send for DataGraphModel {}

fn describe(dims: &[i64], format: vk::Format) -> TensorDescription {
    TensorDescription::new(dims, format)
}

impl DataGraphModel {
    pub fn new(gpu: &Arc<Gpu>, vgf: &VgfFile) -> Result<DataGraphModel> {
        let unsupported =
            |reason: String| Error::Unsupported { backend: "datagraph", op: "vgf".into(), reason };
        let [seg] = vgf.sequence.segments.as_slice() else {
            return Err(unsupported(format!(
                "{} segments; only single-graph-segment files run here",
                vgf.sequence.segments.len()
            )));
        };
        if seg.kind != ModuleType::Graph {
            return Err(unsupported(format!(
                "segment '{}' is a {} segment",
                seg.name,
                seg.kind.as_str()
            )));
        }
        let module = vgf.modules.get(seg.module_index as usize).ok_or_else(|| {
            Error::InvalidGraph(format!("segment '{}' names module {}", seg.name, seg.module_index))
        })?;
        let ModuleCode::Spirv(words) = &module.code else {
            return Err(unsupported(format!("module '{}' stores no SPIR-V", module.name)));
        };

        // Every (set, binding) of the segment becomes one tensor.
        let mut model = DataGraphModel {
            gpu: gpu.clone(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            tensors: Vec::new(),
            set_layouts: Vec::new(),
            layout: vk::PipelineLayout::null(),
            pipeline: vk::Pipeline::null(),
            session: vk::DataGraphPipelineSessionARM::null(),
            session_memory: Vec::new(),
            pool: vk::DescriptorPool::null(),
            submitter: Submitter::new(gpu)?,
        };
        let (mut ins, mut outs) = (Vec::new(), Vec::new());
        for (pos, set) in seg.set_infos.iter().enumerate() {
            let set_index = set.set_index.unwrap_or(pos as u32);
            for b in &set.bindings {
                let r = vgf.resources.get(b.mrt_index as usize).ok_or_else(|| {
                    Error::InvalidGraph(format!(
                        "binding {} names resource {}",
                        b.binding, b.mrt_index
                    ))
                })?;
                let (dtype, elem) = dtype_of(r.format).ok_or_else(|| {
                    unsupported(format!("resource {} has VkFormat {}", b.mrt_index, r.format))
                })?;
                if r.shape.iter().any(|&d| d < 1) || !r.strides.is_empty() {
                    return Err(unsupported(format!(
                        "resource {}: shape {:?} strides {:?}",
                        b.mrt_index, r.shape, r.strides
                    )));
                }
                let count = r
                    .shape
                    .iter()
                    .try_fold(1usize, |a, &d| a.checked_mul(d as usize))
                    .ok_or_else(|| Error::InvalidGraph("tensor size overflows".into()))?;
                let t = model.create_tensor(
                    set_index,
                    b.binding,
                    r.shape.clone(),
                    r.format,
                    count * elem,
                )?;
                let shape: Vec<usize> = r.shape.iter().map(|&d| d as usize).collect();
                let idx = model.tensors.len();
                model.tensors.push(t);
                let name = |names: &[String], i: usize, kind: &str| {
                    names.get(i).cloned().unwrap_or_else(|| format!("{kind}_{i}"))
                };
                if let Some(i) = vgf.sequence.inputs.iter().position(|s| s.mrt_index == b.mrt_index)
                {
                    ins.push((
                        i,
                        idx,
                        PortInfo {
                            name: name(&vgf.sequence.input_names, i, "input"),
                            dtype,
                            shape,
                        },
                    ));
                } else if let Some(i) =
                    vgf.sequence.outputs.iter().position(|s| s.mrt_index == b.mrt_index)
                {
                    outs.push((
                        i,
                        idx,
                        PortInfo {
                            name: name(&vgf.sequence.output_names, i, "output"),
                            dtype,
                            shape,
                        },
                    ));
                }
            }
        }
        // Model input/output order follows the sequence tables, not the binding order.
        ins.sort_by_key(|x| x.0);
        outs.sort_by_key(|x| x.0);
        model.inputs = ins.into_iter().map(|(_, i, p)| (i, p)).collect();
        model.outputs = outs.into_iter().map(|(_, i, p)| (i, p)).collect();
        if model.inputs.is_empty() || model.outputs.is_empty() {
            return Err(Error::InvalidGraph("the segment binds no model input or output".into()));
        }
        model.build_pipeline(vgf, seg, words, &module.entry_point)?;
        model.record()?;
        Ok(model)
    }

    fn create_tensor(
        &self,
        set: u32,
        binding: u32,
        dims: Vec<i64>,
        format: u32,
        bytes: usize,
    ) -> Result<BoundTensor> {
        let d = &self.gpu.device;
        let format = vk::Format::from_raw(format as i32);
        let desc = describe(&dims, format);
        let ci = TensorCreateInfo {
            s_type: vk::StructureType::TENSOR_CREATE_INFO_ARM,
            next: std::ptr::null(),
            flags: 0,
            description: &desc,
            sharing_mode: vk::SharingMode::EXCLUSIVE,
            queue_family_index_count: 0,
            queue_family_indices: std::ptr::null(),
        };
        // SAFETY: `TensorCreateInfo` mirrors VkTensorCreateInfoARM.
        let tensor = unsafe { d.create_tensor_arm(as_vk(&ci), None) }.ctx("vkCreateTensorARM")?;
        let mri = vk::TensorMemoryRequirementsInfoARM { tensor, ..Default::default() };
        let mut req = vk::MemoryRequirements2::default();
        unsafe { d.get_tensor_memory_requirements_arm(&mri, &mut req) };
        let flags = vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT;
        let ty = self.gpu.memory_type(req.memory_requirements.memory_type_bits, flags).ok_or_else(
            || Error::OutOfMemory { context: "no host-visible memory type for a tensor".into() },
        )?;
        let ai = vk::MemoryAllocateInfo::builder()
            .allocation_size(req.memory_requirements.size)
            .memory_type_index(ty);
        let memory = unsafe { d.allocate_memory(&ai, None) }.ctx("vkAllocateMemory")?;
        let bind =
            vk::BindTensorMemoryInfoARM { tensor, memory, memory_offset: 0, ..Default::default() };
        unsafe { d.bind_tensor_memory_arm(&[bind]) }.ctx("vkBindTensorMemoryARM")?;
        let mapped = unsafe { d.map_memory(memory, 0, vk::WHOLE_SIZE, vk::MemoryMapFlags::empty()) }
            .ctx("vkMapMemory")? as *mut u8;
        if (req.memory_requirements.size as usize) < bytes {
            return Err(Error::Vulkan {
                call: "vkGetTensorMemoryRequirementsARM",
                code: format!("{} bytes for a {bytes}-byte tensor", req.memory_requirements.size),
            });
        }
        let vi = TensorViewCreateInfo {
            s_type: vk::StructureType::TENSOR_VIEW_CREATE_INFO_ARM,
            next: std::ptr::null(),
            flags: 0,
            tensor,
            format,
        };
        // SAFETY: `TensorViewCreateInfo` mirrors VkTensorViewCreateInfoARM.
        let view =
            unsafe { d.create_tensor_view_arm(as_vk(&vi), None) }.ctx("vkCreateTensorViewARM")?;
        Ok(BoundTensor { set, binding, dims, format, bytes, tensor, view, memory, mapped })
    }

    fn build_pipeline(
        &mut self,
        vgf: &VgfFile,
        seg: &Segment,
        words: &[u32],
        entry: &str,
    ) -> Result<()> {
        let d = &self.gpu.device;
        let max_set = self.tensors.iter().map(|t| t.set).max().unwrap_or(0);
        for s in 0..=max_set {
            let bindings: Vec<_> = self
                .tensors
                .iter()
                .filter(|t| t.set == s)
                .map(|t| {
                    vk::DescriptorSetLayoutBinding::builder()
                        .binding(t.binding)
                        .descriptor_type(vk::DescriptorType::TENSOR_ARM)
                        .descriptor_count(1)
                        .stage_flags(vk::ShaderStageFlags::ALL)
                        .build()
                })
                .collect();
            let li = vk::DescriptorSetLayoutCreateInfo::builder().bindings(&bindings);
            self.set_layouts.push(
                unsafe { d.create_descriptor_set_layout(&li, None) }
                    .ctx("vkCreateDescriptorSetLayout")?,
            );
        }
        let pli = vk::PipelineLayoutCreateInfo::builder().set_layouts(&self.set_layouts);
        self.layout =
            unsafe { d.create_pipeline_layout(&pli, None) }.ctx("vkCreatePipelineLayout")?;

        let smi = vk::ShaderModuleCreateInfo {
            code_size: words.len() * 4,
            code: words.as_ptr(),
            ..Default::default()
        };
        let module = unsafe { d.create_shader_module(&smi, None) }.ctx("vkCreateShaderModule")?;

        // Graph constants: OpGraphConstantARM id k -> constants-section record.
        let ids: Vec<u32> = match &seg.constant_bindings {
            Some(b) => b.iter().map(|b| b.graph_constant_id).collect(),
            None => (0..seg.constants.len() as u32).collect(),
        };
        let mut const_dims: Vec<Vec<i64>> = Vec::with_capacity(ids.len());
        let mut const_fmt = Vec::with_capacity(ids.len());
        let mut const_data: Vec<&[u8]> = Vec::with_capacity(ids.len());
        for &id in &ids {
            let ci = seg
                .constant_for(id)
                .ok_or_else(|| Error::InvalidGraph(format!("graph constant {id} has no record")))?;
            let c = vgf
                .constants
                .get(ci as usize)
                .ok_or_else(|| Error::InvalidGraph(format!("constant record {ci} missing")))?;
            let r = vgf.resources.get(c.mrt_index as usize).ok_or_else(|| {
                Error::InvalidGraph(format!("constant {ci} names resource {}", c.mrt_index))
            })?;
            let (_, elem) = dtype_of(r.format).ok_or_else(|| Error::Unsupported {
                backend: "datagraph",
                op: format!("constant {ci}"),
                reason: format!("VkFormat {}", r.format),
            })?;
            let n = r
                .shape
                .iter()
                .try_fold(1usize, |a, &x| if x < 1 { None } else { a.checked_mul(x as usize) });
            if n.and_then(|n| n.checked_mul(elem)) != Some(c.data.len()) {
                return Err(Error::InvalidGraph(format!(
                    "constant {ci}: {} bytes for shape {:?}",
                    c.data.len(),
                    r.shape
                )));
            }
            const_dims.push(r.shape.clone());
            const_fmt.push(vk::Format::from_raw(r.format as i32));
            const_data.push(&c.data);
        }
        let const_desc: Vec<TensorDescription> =
            const_dims.iter().zip(&const_fmt).map(|(dims, &f)| describe(dims, f)).collect();
        let constants: Vec<vk::DataGraphPipelineConstantARM> = ids
            .iter()
            .zip(&const_desc)
            .zip(&const_data)
            .map(|((&id, desc), data)| vk::DataGraphPipelineConstantARM {
                next: (desc as *const TensorDescription).cast(),
                id,
                constant_data: data.as_ptr().cast(),
                ..Default::default()
            })
            .collect();
        let name = CString::new(entry)
            .map_err(|_| Error::InvalidGraph(format!("entry point name {entry:?}")))?;
        let smci = vk::DataGraphPipelineShaderModuleCreateInfoARM {
            module,
            name: name.as_ptr(),
            constant_count: constants.len() as u32,
            constants: constants.as_ptr(),
            ..Default::default()
        };
        let res_desc: Vec<TensorDescription> =
            self.tensors.iter().map(|t| describe(&t.dims, t.format)).collect();
        let resources: Vec<vk::DataGraphPipelineResourceInfoARM> = self
            .tensors
            .iter()
            .zip(&res_desc)
            .map(|(t, desc)| vk::DataGraphPipelineResourceInfoARM {
                next: (desc as *const TensorDescription).cast(),
                descriptor_set: t.set,
                binding: t.binding,
                array_element: 0,
                ..Default::default()
            })
            .collect();
        let pci = vk::DataGraphPipelineCreateInfoARM {
            next: (&smci as *const vk::DataGraphPipelineShaderModuleCreateInfoARM).cast(),
            layout: self.layout,
            resource_info_count: resources.len() as u32,
            resource_infos: resources.as_ptr(),
            ..Default::default()
        };
        let res = unsafe {
            d.create_data_graph_pipelines_arm(
                vk::DeferredOperationKHR::null(),
                vk::PipelineCache::null(),
                &[pci],
                None,
            )
        };
        unsafe { d.destroy_shader_module(module, None) };
        self.pipeline = res.ctx("vkCreateDataGraphPipelinesARM")?.0[0];

        let si = SessionCreateInfo {
            s_type: vk::StructureType::DATA_GRAPH_PIPELINE_SESSION_CREATE_INFO_ARM,
            next: std::ptr::null(),
            flags: 0,
            data_graph_pipeline: self.pipeline,
        };
        // SAFETY: `SessionCreateInfo` mirrors VkDataGraphPipelineSessionCreateInfoARM.
        self.session = unsafe { d.create_data_graph_pipeline_session_arm(as_vk(&si), None) }
            .ctx("vkCreateDataGraphPipelineSessionARM")?;
        let bri = vk::DataGraphPipelineSessionBindPointRequirementsInfoARM {
            session: self.session,
            ..Default::default()
        };
        let reqs = unsafe { d.get_data_graph_pipeline_session_bind_point_requirements_arm(&bri) }
            .ctx("vkGetDataGraphPipelineSessionBindPointRequirementsARM")?;
        for r in reqs {
            for obj in 0..r.num_objects {
                let mi = vk::DataGraphPipelineSessionMemoryRequirementsInfoARM {
                    session: self.session,
                    bind_point: r.bind_point,
                    object_index: obj,
                    ..Default::default()
                };
                let mut mr = vk::MemoryRequirements2::default();
                unsafe { d.get_data_graph_pipeline_session_memory_requirements_arm(&mi, &mut mr) };
                if mr.memory_requirements.size == 0 {
                    continue;
                }
                let ty = self
                    .gpu
                    .memory_type(
                        mr.memory_requirements.memory_type_bits,
                        vk::MemoryPropertyFlags::DEVICE_LOCAL,
                    )
                    .or_else(|| {
                        self.gpu.memory_type(
                            mr.memory_requirements.memory_type_bits,
                            vk::MemoryPropertyFlags::empty(),
                        )
                    })
                    .ok_or_else(|| Error::OutOfMemory {
                        context: "no memory type for the session".into(),
                    })?;
                let ai = vk::MemoryAllocateInfo::builder()
                    .allocation_size(mr.memory_requirements.size)
                    .memory_type_index(ty);
                let mem = unsafe { d.allocate_memory(&ai, None) }.ctx("vkAllocateMemory")?;
                self.session_memory.push(mem);
                let bi = vk::BindDataGraphPipelineSessionMemoryInfoARM {
                    session: self.session,
                    bind_point: r.bind_point,
                    object_index: obj,
                    memory: mem,
                    memory_offset: 0,
                    ..Default::default()
                };
                unsafe { d.bind_data_graph_pipeline_session_memory_arm(&[bi]) }
                    .ctx("vkBindDataGraphPipelineSessionMemoryARM")?;
            }
        }
        Ok(())
    }

    fn record(&mut self) -> Result<()> {
        let d = &self.gpu.device;
        let sizes = [vk::DescriptorPoolSize::builder()
            .type_(vk::DescriptorType::TENSOR_ARM)
            .descriptor_count(self.tensors.len().max(1) as u32)];
        let pi = vk::DescriptorPoolCreateInfo::builder()
            .max_sets(self.set_layouts.len().max(1) as u32)
            .pool_sizes(&sizes);
        self.pool = unsafe { d.create_descriptor_pool(&pi, None) }.ctx("vkCreateDescriptorPool")?;
        let ai = vk::DescriptorSetAllocateInfo::builder()
            .descriptor_pool(self.pool)
            .set_layouts(&self.set_layouts);
        let sets = unsafe { d.allocate_descriptor_sets(&ai) }.ctx("vkAllocateDescriptorSets")?;
        let views: Vec<[vk::TensorViewARM; 1]> = self.tensors.iter().map(|t| [t.view]).collect();
        let tinfo: Vec<vk::WriteDescriptorSetTensorARM> = views
            .iter()
            .map(|v| vk::WriteDescriptorSetTensorARM {
                tensor_view_count: 1,
                tensor_views: v.as_ptr(),
                ..Default::default()
            })
            .collect();
        let writes: Vec<vk::WriteDescriptorSet> = self
            .tensors
            .iter()
            .zip(&tinfo)
            .map(|(t, ti)| vk::WriteDescriptorSet {
                next: (ti as *const vk::WriteDescriptorSetTensorARM).cast(),
                dst_set: sets[t.set as usize],
                dst_binding: t.binding,
                dst_array_element: 0,
                descriptor_count: 1,
                descriptor_type: vk::DescriptorType::TENSOR_ARM,
                ..Default::default()
            })
            .collect();
        unsafe { d.update_descriptor_sets(&writes, &[] as &[vk::CopyDescriptorSet]) };

        let cmd = self.submitter.cmd;
        self.submitter.begin(false)?;
        unsafe {
            d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::DATA_GRAPH_ARM, self.pipeline);
            d.cmd_bind_descriptor_sets(
                cmd,
                vk::PipelineBindPoint::DATA_GRAPH_ARM,
                self.layout,
                0,
                &sets,
                &[],
            );
            d.cmd_dispatch_data_graph_arm(cmd, self.session, None);
            let mb = vk::MemoryBarrier::builder()
                .src_access_mask(vk::AccessFlags::MEMORY_WRITE)
                .dst_access_mask(vk::AccessFlags::HOST_READ);
            d.cmd_pipeline_barrier(
                cmd,
                vk::PipelineStageFlags::ALL_COMMANDS,
                vk::PipelineStageFlags::HOST,
                vk::DependencyFlags::empty(),
                &[mb],
                &[] as &[vk::BufferMemoryBarrier],
                &[] as &[vk::ImageMemoryBarrier],
            );
        }
        self.submitter.end()
    }

    pub fn inputs(&self) -> Vec<PortInfo> {
        self.inputs.iter().map(|(_, p)| p.clone()).collect()
    }

    /// Runs the inferences in `inputs` one submission each (a data graph has fixed shapes).
    pub fn run(&mut self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::BadInput {
                index: inputs.len(),
                reason: format!(
                    "the model takes {} inputs, got {}",
                    self.inputs.len(),
                    inputs.len()
                ),
            });
        }
        let mut total = None;
        for (i, (t, (_, p))) in inputs.iter().zip(&self.inputs).enumerate() {
            let k = tensors::inferences(i, t, p.dtype, &p.shape)?;
            if *total.get_or_insert(k) != k {
                return Err(Error::BadInput {
                    index: i,
                    reason: "inputs hold different numbers of inferences".into(),
                });
            }
        }
        let total = total.unwrap_or(1);
        let mut out: Vec<TensorData> =
            self.outputs.iter().map(|(_, p)| TensorData::zeros(p.dtype, 0)).collect();
        for k in 0..total {
            for (i, (t, (ti, p))) in inputs.iter().zip(&self.inputs).enumerate() {
                let bt = &self.tensors[*ti];
                let per: usize = p.shape.iter().product();
                let bytes = raw_bytes(t, k * per, per)
                    .ok_or_else(|| Error::BadInput { index: i, reason: "element type".into() })?;
                if bytes.len() != bt.bytes {
                    return Err(Error::BadInput {
                        index: i,
                        reason: format!("{} bytes for a {}-byte tensor", bytes.len(), bt.bytes),
                    });
                }
                // SAFETY: the mapping holds at least `bt.bytes` bytes (checked at creation)
                // and the queue is idle between submissions.
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), bt.mapped, bytes.len()) };
            }
            self.submitter.submit_wait()?;
            for ((ti, p), data) in self.outputs.iter().zip(out.iter_mut()) {
                let bt = &self.tensors[*ti];
                let mut bytes = vec![0u8; bt.bytes];
                // SAFETY: as above; the fence wait made the device writes visible.
                unsafe { std::ptr::copy_nonoverlapping(bt.mapped, bytes.as_mut_ptr(), bt.bytes) };
                append_raw(data, p.dtype, &bytes)?;
            }
        }
        self.outputs
            .iter()
            .zip(out)
            .map(|((_, p), data)| {
                let mut shape = p.shape.clone();
                if let Some(d0) = shape.first_mut() {
                    *d0 *= total;
                }
                Ok(Tensor::new(p.dtype, shape, data)?)
            })
            .collect()
    }
}

/// Elements `[start, start + n)` as packed little-endian bytes of their own type.
fn raw_bytes(t: &Tensor, start: usize, n: usize) -> Option<Vec<u8>> {
    let r = start..start + n;
    Some(match &t.data {
        TensorData::I8(v) => v.get(r)?.iter().map(|&x| x as u8).collect(),
        TensorData::I16(v) => v.get(r)?.iter().flat_map(|x| x.to_le_bytes()).collect(),
        TensorData::I32(v) => v.get(r)?.iter().flat_map(|x| x.to_le_bytes()).collect(),
        TensorData::F32(v) => v.get(r)?.iter().flat_map(|x| x.to_le_bytes()).collect(),
        _ => return None,
    })
}

fn append_raw(out: &mut TensorData, dtype: DType, b: &[u8]) -> Result<()> {
    match (out, dtype) {
        (TensorData::I8(v), DType::Int8) => v.extend(b.iter().map(|&x| x as i8)),
        (TensorData::I16(v), DType::Int16) => {
            v.extend(b.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])))
        }
        (TensorData::I32(v), DType::Int32) => {
            v.extend(b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        }
        (TensorData::F32(v), DType::Fp32) => {
            v.extend(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        }
        (_, dt) => {
            return Err(Error::Vulkan { call: "tensor read-back", code: format!("type {dt}") });
        }
    }
    Ok(())
}

impl Drop for DataGraphModel {
    fn drop(&mut self) {
        let d = &self.gpu.device;
        unsafe {
            let _ = d.queue_wait_idle(self.gpu.queue);
            if !self.pool.is_null() {
                d.destroy_descriptor_pool(self.pool, None);
            }
            if !self.session.is_null() {
                d.destroy_data_graph_pipeline_session_arm(self.session, None);
            }
            for &m in &self.session_memory {
                d.free_memory(m, None);
            }
            if !self.pipeline.is_null() {
                d.destroy_pipeline(self.pipeline, None);
            }
            if !self.layout.is_null() {
                d.destroy_pipeline_layout(self.layout, None);
            }
            for &l in &self.set_layouts {
                d.destroy_descriptor_set_layout(l, None);
            }
            for t in &self.tensors {
                d.destroy_tensor_view_arm(t.view, None);
                d.destroy_tensor_arm(t.tensor, None);
                d.unmap_memory(t.memory);
                d.free_memory(t.memory, None);
            }
        }
    }
}
