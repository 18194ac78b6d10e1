//! Vulkan instance, device choice and the one compute queue every backend uses.

use std::ffi::{CStr, CString, c_void};
use std::sync::{Arc, Mutex};

use tracing::{debug, info};
use vulkanalia::loader::{LIBRARY, LibloadingLoader};
use vulkanalia::prelude::v1_2::*;
use vulkanalia::vk::{ExtDebugUtilsExtensionInstanceCommands, ExtensionName};

use crate::error::{Error, Result, VkContext};

/// Which physical device to use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceSelector {
    /// Prefer a discrete GPU, then integrated, virtual, then CPU (lavapipe).
    #[default]
    Auto,
    /// Position in `vkEnumeratePhysicalDevices` order.
    Index(usize),
    /// First device whose name contains this (case-insensitive).
    Name(String),
}

impl DeviceSelector {
    /// Parses a command-line style selector: a number is an index, anything else a name part.
    pub fn parse(s: &str) -> DeviceSelector {
        match s.parse::<usize>() {
            Ok(i) => DeviceSelector::Index(i),
            Err(_) if s.is_empty() || s == "auto" => DeviceSelector::Auto,
            Err(_) => DeviceSelector::Name(s.to_string()),
        }
    }
}

impl std::fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSelector::Auto => f.write_str("auto"),
            DeviceSelector::Index(i) => write!(f, "index {i}"),
            DeviceSelector::Name(n) => write!(f, "name '{n}'"),
        }
    }
}

/// What the device must offer beyond core Vulkan 1.2.
#[derive(Debug, Clone, Default)]
pub(crate) struct GpuConfig {
    /// Instance layers, enabled in this order when the loader has them (the ML emulation
    /// layers need [Graph, Tensor]); absent ones are skipped, so native drivers still work.
    pub optional_layers: Vec<String>,
    /// Device extensions to enable.
    pub device_extensions: Vec<ExtensionName>,
    /// Enable VK_LAYER_KHRONOS_validation and record every message it sends.
    pub validation: bool,
    /// Enable the VK_ARM_tensors / VK_ARM_data_graph feature structs.
    pub data_graph: bool,
    /// Never map device buffers, so transfers go through staging copies as on discrete GPUs.
    pub staging_transfers: bool,
}

/// Validation messages collected by the debug messenger.
pub(crate) type MessageLog = Arc<Mutex<Vec<String>>>;

/// A created instance + device + compute queue.
pub(crate) struct Gpu {
    // Kept alive for the function pointers of `instance`.
    _entry: Entry,
    pub instance: Instance,
    pub device: Device,
    pub queue: vk::Queue,
    pub queue_family: u32,
    pub memory: vk::PhysicalDeviceMemoryProperties,
    pub name: String,
    pub max_group_count: [u32; 3],
    /// A CPU implementation (lavapipe): gets the register-blocked CONV2D kernels by default.
    pub is_cpu: bool,
    /// See [`GpuConfig::staging_transfers`].
    pub staging_transfers: bool,
    messenger: vk::DebugUtilsMessengerEXT,
    messages: Option<(MessageLog, *mut MessageLog)>,
}

// SAFETY: Vulkan handles are plain identifiers; all mutation of the device goes
// through `&mut` methods of the owners (Model), and the message log is a Mutex.
unsafe impl Send for Gpu {}
unsafe impl Sync for Gpu {}

const VALIDATION_LAYER: &str = "VK_LAYER_KHRONOS_validation";

extern "system" fn debug_callback(
    severity: vk::DebugUtilsMessageSeverityFlagsEXT,
    _types: vk::DebugUtilsMessageTypeFlagsEXT,
    data: *const vk::DebugUtilsMessengerCallbackDataEXT,
    user: *mut c_void,
) -> vk::Bool32 {
    // SAFETY: the loader passes a valid callback-data struct and our user pointer,
    // which outlives the messenger (it is freed after the messenger is destroyed).
    let text = unsafe {
        let d = &*data;
        if d.message.is_null() {
            String::from("(no message)")
        } else {
            CStr::from_ptr(d.message).to_string_lossy().into_owned()
        }
    };
    if severity.intersects(
        vk::DebugUtilsMessageSeverityFlagsEXT::WARNING
            | vk::DebugUtilsMessageSeverityFlagsEXT::ERROR,
    ) {
        let log = unsafe { &*(user as *const MessageLog) };
        if let Ok(mut v) = log.lock() {
            v.push(text);
        }
    }
    vk::FALSE
}

fn device_name(instance: &Instance, pd: vk::PhysicalDevice) -> String {
    let props = unsafe { instance.get_physical_device_properties(pd) };
    props.device_name.to_string_lossy().into_owned()
}

fn type_rank(t: vk::PhysicalDeviceType) -> u32 {
    match t {
        vk::PhysicalDeviceType::DISCRETE_GPU => 0,
        vk::PhysicalDeviceType::INTEGRATED_GPU => 1,
        vk::PhysicalDeviceType::VIRTUAL_GPU => 2,
        vk::PhysicalDeviceType::CPU => 3,
        _ => 4,
    }
}

impl Gpu {
    /// Opens the loader, creates the instance and a device chosen by `selector`.
    pub fn new(selector: &DeviceSelector, config: &GpuConfig) -> Result<Gpu> {
        let loader = unsafe { LibloadingLoader::new(LIBRARY) }
            .map_err(|e| Error::NoLoader(format!("{LIBRARY}: {e}")))?;
        let entry = unsafe { Entry::new(loader) }.map_err(|e| Error::NoLoader(e.to_string()))?;

        let available = unsafe { entry.enumerate_instance_layer_properties() }
            .ctx("vkEnumerateInstanceLayerProperties")?;
        let has = |l: &str| available.iter().any(|p| p.layer_name.to_string_lossy() == l);
        let mut layers: Vec<String> =
            config.optional_layers.iter().filter(|l| has(l)).cloned().collect();
        if !layers.is_empty() {
            info!(?layers, "enabling layers");
        }
        if config.validation {
            layers.push(VALIDATION_LAYER.to_string());
        }
        for l in &layers {
            if !available.iter().any(|p| p.layer_name.to_string_lossy() == l.as_str()) {
                return Err(Error::MissingExtension {
                    device: "instance".into(),
                    what: "layer",
                    name: l.clone(),
                });
            }
        }
        let layer_c: Vec<CString> =
            layers.iter().map(|l| CString::new(l.as_str()).unwrap_or_default()).collect();
        let layer_p: Vec<*const i8> = layer_c.iter().map(|c| c.as_ptr()).collect();
        let mut inst_ext: Vec<*const i8> = Vec::new();
        if config.validation {
            inst_ext.push(vk::EXT_DEBUG_UTILS_EXTENSION.name.as_ptr());
        }

        let version = entry.version().ctx("vkEnumerateInstanceVersion")?;
        let api = if version >= vulkanalia::Version::new(1, 3, 0) {
            vk::make_version(1, 3, 0)
        } else {
            vk::make_version(1, 2, 0)
        };
        let app = vk::ApplicationInfo::builder()
            .application_name(b"vgforge\0")
            .engine_name(b"vgforge\0")
            .api_version(api);
        let info = vk::InstanceCreateInfo::builder()
            .application_info(&app)
            .enabled_layer_names(&layer_p)
            .enabled_extension_names(&inst_ext);
        let instance = unsafe { entry.create_instance(&info, None) }.map_err(|e| {
            if e == vk::ErrorCode::INCOMPATIBLE_DRIVER {
                Error::NoDevice
            } else {
                Error::vk("vkCreateInstance", e)
            }
        })?;

        let mut messenger = vk::DebugUtilsMessengerEXT::null();
        let mut messages = None;
        if config.validation {
            let log: MessageLog = Arc::new(Mutex::new(Vec::new()));
            let raw = Box::into_raw(Box::new(log.clone()));
            let mi = vk::DebugUtilsMessengerCreateInfoEXT::builder()
                .message_severity(
                    vk::DebugUtilsMessageSeverityFlagsEXT::WARNING
                        | vk::DebugUtilsMessageSeverityFlagsEXT::ERROR,
                )
                .message_type(
                    vk::DebugUtilsMessageTypeFlagsEXT::GENERAL
                        | vk::DebugUtilsMessageTypeFlagsEXT::VALIDATION
                        | vk::DebugUtilsMessageTypeFlagsEXT::PERFORMANCE,
                )
                .user_callback(Some(debug_callback))
                .user_data(unsafe { &mut *(raw as *mut c_void) });
            messenger = unsafe { instance.create_debug_utils_messenger_ext(&mi, None) }
                .ctx("vkCreateDebugUtilsMessengerEXT")?;
            messages = Some((log, raw));
        }

        Self::with_instance(entry, instance, selector, config, messenger, messages)
    }

    fn with_instance(
        entry: Entry,
        instance: Instance,
        selector: &DeviceSelector,
        config: &GpuConfig,
        messenger: vk::DebugUtilsMessengerEXT,
        messages: Option<(MessageLog, *mut MessageLog)>,
    ) -> Result<Gpu> {
        let destroy = |instance: &Instance| unsafe {
            if !messenger.is_null() {
                instance.destroy_debug_utils_messenger_ext(messenger, None);
            }
            instance.destroy_instance(None);
            if let Some((_, raw)) = messages {
                drop(Box::from_raw(raw));
            }
        };
        match Self::open_device(&instance, selector, config) {
            Ok((physical, device, queue_family, name)) => {
                let queue = unsafe { device.get_device_queue(queue_family, 0) };
                let memory = unsafe { instance.get_physical_device_memory_properties(physical) };
                let props = unsafe { instance.get_physical_device_properties(physical) };
                info!(device = %name, "vulkan device opened");
                Ok(Gpu {
                    _entry: entry,
                    instance,
                    device,
                    queue,
                    queue_family,
                    memory,
                    name,
                    max_group_count: props.limits.max_compute_work_group_count,
                    is_cpu: props.device_type == vk::PhysicalDeviceType::CPU,
                    staging_transfers: config.staging_transfers,
                    messenger,
                    messages,
                })
            }
            Err(e) => {
                destroy(&instance);
                Err(e)
            }
        }
    }

    fn open_device(
        instance: &Instance,
        selector: &DeviceSelector,
        config: &GpuConfig,
    ) -> Result<(vk::PhysicalDevice, Device, u32, String)> {
        let devices =
            unsafe { instance.enumerate_physical_devices() }.ctx("vkEnumeratePhysicalDevices")?;
        if devices.is_empty() {
            return Err(Error::NoDevice);
        }
        let names: Vec<String> = devices.iter().map(|&d| device_name(instance, d)).collect();
        let not_found = || Error::DeviceNotFound {
            selector: selector.to_string(),
            available: names.join(", "),
        };
        let physical = match selector {
            DeviceSelector::Auto => *devices
                .iter()
                .min_by_key(|&&d| {
                    type_rank(unsafe { instance.get_physical_device_properties(d) }.device_type)
                })
                .ok_or(Error::NoDevice)?,
            DeviceSelector::Index(i) => *devices.get(*i).ok_or_else(not_found)?,
            DeviceSelector::Name(n) => {
                let n = n.to_lowercase();
                let pos = names
                    .iter()
                    .position(|d| d.to_lowercase().contains(&n))
                    .ok_or_else(not_found)?;
                devices[pos]
            }
        };
        let name = device_name(instance, physical);
        debug!(device = %name, "selected");

        // Features the integer kernels rely on.
        let mut f12 = vk::PhysicalDeviceVulkan12Features::default();
        let mut f2 = vk::PhysicalDeviceFeatures2::builder().push_next(&mut f12);
        unsafe { instance.get_physical_device_features2(physical, &mut f2) };
        let core = f2.features;
        let missing = |feature| Error::MissingFeature { device: name.clone(), feature };
        if core.shader_int64 == 0 {
            return Err(missing("shaderInt64"));
        }
        if f12.shader_int8 == 0 {
            return Err(missing("shaderInt8"));
        }
        if f12.storage_buffer_8bit_access == 0 {
            return Err(missing("storageBuffer8BitAccess"));
        }

        let exts = unsafe { instance.enumerate_device_extension_properties(physical, None) }
            .ctx("vkEnumerateDeviceExtensionProperties")?;
        for want in &config.device_extensions {
            if !exts.iter().any(|e| e.extension_name == *want) {
                return Err(Error::MissingExtension {
                    device: name.clone(),
                    what: "extension",
                    name: want.to_string_lossy().into_owned(),
                });
            }
        }

        let families = unsafe { instance.get_physical_device_queue_family_properties(physical) };
        let want_flags = if config.data_graph {
            vk::QueueFlags::COMPUTE | vk::QueueFlags::DATA_GRAPH_ARM
        } else {
            vk::QueueFlags::COMPUTE
        };
        let queue_family = families
            .iter()
            .position(|f| f.queue_flags.contains(want_flags))
            .ok_or_else(|| Error::MissingFeature {
                device: name.clone(),
                feature: if config.data_graph {
                    "a queue family with COMPUTE and DATA_GRAPH_ARM"
                } else {
                    "a compute queue family"
                },
            })? as u32;

        let priorities = [1.0f32];
        let qinfo = vk::DeviceQueueCreateInfo::builder()
            .queue_family_index(queue_family)
            .queue_priorities(&priorities);
        let qinfos = [qinfo];
        let enable_core = vk::PhysicalDeviceFeatures::builder().shader_int64(true);
        let mut en12 = vk::PhysicalDeviceVulkan12Features::builder()
            .shader_int8(true)
            .storage_buffer_8bit_access(true);
        let mut tensor_f = vk::PhysicalDeviceTensorFeaturesARM::builder().tensors(true);
        let mut graph_f = vk::PhysicalDeviceDataGraphFeaturesARM::builder().data_graph(true);
        let ext_p: Vec<*const i8> = config.device_extensions.iter().map(|e| e.as_ptr()).collect();
        let mut dinfo = vk::DeviceCreateInfo::builder()
            .queue_create_infos(&qinfos)
            .enabled_extension_names(&ext_p)
            .enabled_features(&enable_core)
            .push_next(&mut en12);
        if config.data_graph {
            dinfo = dinfo.push_next(&mut tensor_f).push_next(&mut graph_f);
        }
        let device = unsafe { instance.create_device(physical, &dinfo, None) }.map_err(|e| {
            if e == vk::ErrorCode::FEATURE_NOT_PRESENT {
                Error::MissingFeature {
                    device: name.clone(),
                    feature: "a requested device feature",
                }
            } else if e == vk::ErrorCode::EXTENSION_NOT_PRESENT {
                Error::MissingExtension {
                    device: name.clone(),
                    what: "extension",
                    name: "one of the requested device extensions".into(),
                }
            } else {
                Error::vk("vkCreateDevice", e)
            }
        })?;
        Ok((physical, device, queue_family, name))
    }

    /// Messages the validation layer has reported so far (empty without validation).
    pub fn validation_messages(&self) -> Vec<String> {
        match &self.messages {
            Some((log, _)) => log.lock().map(|v| v.clone()).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Index of a memory type with `flags` among those allowed by `type_bits`.
    pub fn memory_type(&self, type_bits: u32, flags: vk::MemoryPropertyFlags) -> Option<u32> {
        self.memory_type_without(type_bits, flags, vk::MemoryPropertyFlags::empty())
    }

    /// Like [`Gpu::memory_type`], skipping types that have any of `without`.
    pub fn memory_type_without(
        &self,
        type_bits: u32,
        flags: vk::MemoryPropertyFlags,
        without: vk::MemoryPropertyFlags,
    ) -> Option<u32> {
        (0..self.memory.memory_type_count).find(|&i| {
            let f = self.memory.memory_types[i as usize].property_flags;
            type_bits & (1 << i) != 0 && f.contains(flags) && !f.intersects(without)
        })
    }
}

impl Drop for Gpu {
    fn drop(&mut self) {
        unsafe {
            let _ = self.device.device_wait_idle();
            self.device.destroy_device(None);
            if !self.messenger.is_null() {
                self.instance.destroy_debug_utils_messenger_ext(self.messenger, None);
            }
            self.instance.destroy_instance(None);
            if let Some((_, raw)) = self.messages.take() {
                drop(Box::from_raw(raw));
            }
        }
    }
}
