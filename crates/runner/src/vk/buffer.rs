//! Storage buffers and host transfers.

use std::sync::Arc;

use vulkanalia::prelude::v1_2::*;

use super::Gpu;
use crate::error::{Error, Result, VkContext};

/// Where a buffer's memory lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemKind {
    /// Device-local: activations and weights.
    Device,
    /// Host-visible and coherent: staging for inputs and outputs.
    Host,
}

/// A storage buffer with its own memory allocation.
pub(crate) struct Buffer {
    gpu: Arc<Gpu>,
    pub buffer: vk::Buffer,
    memory: vk::DeviceMemory,
    /// Size in bytes (at least 4: Vulkan forbids empty buffers).
    pub size: u64,
    mapped: *mut u8,
}

// SAFETY: the mapped pointer is only touched through &mut self / &self methods
// that copy plain bytes; the buffer is owned by one model.
unsafe impl Send for Buffer {}
unsafe impl Sync for Buffer {}

impl Buffer {
    /// Allocates `size` bytes (rounded up to a multiple of 4).
    pub fn new(gpu: &Arc<Gpu>, size: u64, kind: MemKind, what: &str) -> Result<Buffer> {
        let size = size.max(4).div_ceil(4) * 4;
        let d = &gpu.device;
        let info = vk::BufferCreateInfo::builder()
            .size(size)
            .usage(
                vk::BufferUsageFlags::STORAGE_BUFFER
                    | vk::BufferUsageFlags::TRANSFER_SRC
                    | vk::BufferUsageFlags::TRANSFER_DST,
            )
            .sharing_mode(vk::SharingMode::EXCLUSIVE);
        let buffer = unsafe { d.create_buffer(&info, None) }.map_err(|e| oom(e, what))?;
        let req = unsafe { d.get_buffer_memory_requirements(buffer) };
        let flags = match kind {
            MemKind::Device => vk::MemoryPropertyFlags::DEVICE_LOCAL,
            MemKind::Host => {
                vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT
            }
        };
        let host_cached = flags | vk::MemoryPropertyFlags::HOST_CACHED;
        // Device buffers avoid host-visible VRAM (a resizable BAR) where plain VRAM exists:
        // reading results back through the BAR is uncached and slow, a staging copy is not.
        // CPU and unified-memory devices only have host-visible types and map directly.
        let ty = match kind {
            MemKind::Host => gpu.memory_type(req.memory_type_bits, host_cached),
            MemKind::Device => gpu.memory_type_without(
                req.memory_type_bits,
                flags,
                vk::MemoryPropertyFlags::HOST_VISIBLE,
            ),
        }
        .or_else(|| gpu.memory_type(req.memory_type_bits, flags))
        .or_else(|| gpu.memory_type(req.memory_type_bits, vk::MemoryPropertyFlags::empty()));
        let Some(ty) = ty else {
            unsafe { d.destroy_buffer(buffer, None) };
            return Err(Error::OutOfMemory { context: format!("{what}: no usable memory type") });
        };
        let alloc =
            vk::MemoryAllocateInfo::builder().allocation_size(req.size).memory_type_index(ty);
        let memory = match unsafe { d.allocate_memory(&alloc, None) } {
            Ok(m) => m,
            Err(e) => {
                unsafe { d.destroy_buffer(buffer, None) };
                return Err(oom(e, what));
            }
        };
        let cleanup = |e| {
            unsafe {
                d.destroy_buffer(buffer, None);
                d.free_memory(memory, None);
            }
            oom(e, what)
        };
        unsafe { d.bind_buffer_memory(buffer, memory, 0) }.map_err(cleanup)?;
        let props = gpu.memory.memory_types[ty as usize].property_flags;
        let mappable = !(kind == MemKind::Device && gpu.staging_transfers);
        let mapped = if mappable
            && props.contains(
                vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT,
            ) {
            unsafe { d.map_memory(memory, 0, vk::WHOLE_SIZE, vk::MemoryMapFlags::empty()) }
                .map_err(cleanup)? as *mut u8
        } else {
            std::ptr::null_mut()
        };
        Ok(Buffer { gpu: gpu.clone(), buffer, memory, size, mapped })
    }

    /// True when the CPU can read and write the memory directly.
    pub fn is_mapped(&self) -> bool {
        !self.mapped.is_null()
    }

    /// Copies `bytes` to `offset` of a mapped buffer.
    pub fn write(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        if self.mapped.is_null() || offset + bytes.len() as u64 > self.size {
            return Err(Error::Vulkan {
                call: "buffer write",
                code: "not mapped or out of range".into(),
            });
        }
        // SAFETY: range checked above; the mapping is coherent and no GPU work
        // touches it while the caller holds the model (runs are synchronous).
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.mapped.add(offset as usize),
                bytes.len(),
            )
        };
        Ok(())
    }

    /// Reads `len` bytes at `offset` of a mapped buffer.
    pub fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        if self.mapped.is_null() || offset + len as u64 > self.size {
            return Err(Error::Vulkan {
                call: "buffer read",
                code: "not mapped or out of range".into(),
            });
        }
        let mut out = vec![0u8; len];
        // SAFETY: as in `write`.
        unsafe {
            std::ptr::copy_nonoverlapping(self.mapped.add(offset as usize), out.as_mut_ptr(), len)
        };
        Ok(out)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let d = &self.gpu.device;
        unsafe {
            if !self.mapped.is_null() {
                d.unmap_memory(self.memory);
            }
            d.destroy_buffer(self.buffer, None);
            d.free_memory(self.memory, None);
        }
    }
}

fn oom(e: vk::ErrorCode, what: &str) -> Error {
    if e == vk::ErrorCode::OUT_OF_DEVICE_MEMORY || e == vk::ErrorCode::OUT_OF_HOST_MEMORY {
        Error::OutOfMemory { context: format!("allocating {what}") }
    } else {
        Error::vk("vkAllocateMemory", e)
    }
}

/// A command pool, one primary command buffer and a fence: submit-and-wait helper.
pub(crate) struct Submitter {
    gpu: Arc<Gpu>,
    pool: vk::CommandPool,
    pub cmd: vk::CommandBuffer,
    fence: vk::Fence,
}

impl Submitter {
    pub fn new(gpu: &Arc<Gpu>) -> Result<Submitter> {
        let d = &gpu.device;
        let pi = vk::CommandPoolCreateInfo::builder()
            .queue_family_index(gpu.queue_family)
            .flags(vk::CommandPoolCreateFlags::RESET_COMMAND_BUFFER);
        let pool = unsafe { d.create_command_pool(&pi, None) }.ctx("vkCreateCommandPool")?;
        let ai = vk::CommandBufferAllocateInfo::builder()
            .command_pool(pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(1);
        let cmd = match unsafe { d.allocate_command_buffers(&ai) } {
            Ok(v) => v[0],
            Err(e) => {
                unsafe { d.destroy_command_pool(pool, None) };
                return Err(Error::vk("vkAllocateCommandBuffers", e));
            }
        };
        let fence = match unsafe { d.create_fence(&vk::FenceCreateInfo::default(), None) } {
            Ok(f) => f,
            Err(e) => {
                unsafe { d.destroy_command_pool(pool, None) };
                return Err(Error::vk("vkCreateFence", e));
            }
        };
        Ok(Submitter { gpu: gpu.clone(), pool, cmd, fence })
    }

    /// Resets the command buffer and begins recording.
    pub fn begin(&self, one_time: bool) -> Result<()> {
        let d = &self.gpu.device;
        unsafe { d.reset_command_buffer(self.cmd, vk::CommandBufferResetFlags::empty()) }
            .ctx("vkResetCommandBuffer")?;
        let flags = if one_time {
            vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT
        } else {
            vk::CommandBufferUsageFlags::empty()
        };
        let bi = vk::CommandBufferBeginInfo::builder().flags(flags);
        unsafe { d.begin_command_buffer(self.cmd, &bi) }.ctx("vkBeginCommandBuffer")
    }

    pub fn end(&self) -> Result<()> {
        unsafe { self.gpu.device.end_command_buffer(self.cmd) }.ctx("vkEndCommandBuffer")
    }

    /// Submits the recorded buffer and blocks until the queue finishes it.
    pub fn submit_wait(&self) -> Result<()> {
        let d = &self.gpu.device;
        let cmds = [self.cmd];
        let si = vk::SubmitInfo::builder().command_buffers(&cmds);
        unsafe {
            d.reset_fences(&[self.fence]).ctx("vkResetFences")?;
            d.queue_submit(self.gpu.queue, &[si], self.fence).ctx("vkQueueSubmit")?;
            d.wait_for_fences(&[self.fence], true, u64::MAX).ctx("vkWaitForFences")?;
        }
        Ok(())
    }
}

impl Drop for Submitter {
    fn drop(&mut self) {
        let d = &self.gpu.device;
        unsafe {
            let _ = d.wait_for_fences(&[self.fence], true, u64::MAX);
            d.destroy_fence(self.fence, None);
            d.destroy_command_pool(self.pool, None);
        }
    }
}

/// Fills a device buffer with `bytes`, through a staging buffer when it is not mapped.
pub(crate) fn upload(gpu: &Arc<Gpu>, dst: &Buffer, bytes: &[u8]) -> Result<()> {
    if dst.is_mapped() {
        return dst.write(0, bytes);
    }
    let staging = Buffer::new(gpu, bytes.len() as u64, MemKind::Host, "staging")?;
    staging.write(0, bytes)?;
    let s = Submitter::new(gpu)?;
    s.begin(true)?;
    let region = vk::BufferCopy::builder().size(bytes.len().max(1) as u64);
    unsafe { gpu.device.cmd_copy_buffer(s.cmd, staging.buffer, dst.buffer, &[region]) };
    s.end()?;
    s.submit_wait()
}
