//! The runner's error type.

/// Everything that can go wrong while choosing a device, loading a model or running it.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Vulkan loader library could not be opened.
    #[error("no vulkan loader: {0}")]
    NoLoader(String),
    /// The instance has no physical device at all.
    #[error("no vulkan device found")]
    NoDevice,
    /// The selector matched no device.
    #[error("no vulkan device matches {selector} (available: {available})")]
    DeviceNotFound {
        /// The selector, as written by the user.
        selector: String,
        /// Names of the devices that exist.
        available: String,
    },
    /// The chosen device lacks a feature the backend needs.
    #[error("device '{device}' lacks feature {feature}")]
    MissingFeature {
        /// Device name.
        device: String,
        /// Feature name, as in the Vulkan spec.
        feature: &'static str,
    },
    /// The chosen device or instance lacks an extension or layer.
    #[error("device '{device}' lacks {what} {name}")]
    MissingExtension {
        /// Device name (or "instance").
        device: String,
        /// "extension" or "layer".
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// The device ran out of memory.
    #[error("out of device memory while {context}")]
    OutOfMemory {
        /// What was being allocated.
        context: String,
    },
    /// Any other Vulkan failure.
    #[error("vulkan {call} failed: {code}")]
    Vulkan {
        /// The failing call.
        call: &'static str,
        /// The result code.
        code: String,
    },
    /// The graph holds an operator (or operator/type combination) the backend cannot run.
    #[error("unsupported by the {backend} backend: {op}: {reason}")]
    Unsupported {
        /// Backend name.
        backend: &'static str,
        /// The operator, with its layer location.
        op: String,
        /// Why.
        reason: String,
    },
    /// The graph is malformed (dangling tensor names, inconsistent shapes, bad operands).
    #[error("invalid graph: {0}")]
    InvalidGraph(String),
    /// Inputs handed to `run` do not match the model.
    #[error("bad input {index}: {reason}")]
    BadInput {
        /// Input position.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The TOSA interpreter or IR reported an error.
    #[error("tosa: {0}")]
    Tosa(#[from] vgforge_tosa::Error),
    /// An I/O error, with the path involved.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A helper process (Arm's scenario_runner) failed.
    #[error("{tool}: {reason}")]
    Tool {
        /// Tool name.
        tool: &'static str,
        /// What happened.
        reason: String,
    },
}

/// Result with the runner's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Maps a Vulkan error code, turning the out-of-memory codes into [`Error::OutOfMemory`].
    pub(crate) fn vk(call: &'static str, code: vulkanalia::vk::ErrorCode) -> Error {
        use vulkanalia::vk::ErrorCode;
        if code == ErrorCode::OUT_OF_DEVICE_MEMORY || code == ErrorCode::OUT_OF_HOST_MEMORY {
            return Error::OutOfMemory { context: format!("{call} ({code})") };
        }
        Error::Vulkan { call, code: code.to_string() }
    }
}

/// Adds the Vulkan call name to a raw result.
pub(crate) trait VkContext<T> {
    fn ctx(self, call: &'static str) -> Result<T>;
}

impl<T> VkContext<T> for std::result::Result<T, vulkanalia::vk::ErrorCode> {
    fn ctx(self, call: &'static str) -> Result<T> {
        self.map_err(|e| Error::vk(call, e))
    }
}
