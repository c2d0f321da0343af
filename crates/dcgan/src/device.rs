//! The compute device, chosen at run time by name (`flex`, `wgpu`, `vulkan`, `cuda`).

use std::fmt;
use std::str::FromStr;

pub use burn::tensor::Device;

use crate::{Error, Result};

/// A backend the user can name on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// Burn's pure-Rust CPU backend (the default build).
    Flex,
    /// wgpu on whichever graphics API the machine offers (feature `wgpu`).
    Wgpu,
    /// wgpu pinned to Vulkan (feature `vulkan`).
    Vulkan,
    /// CUDA (feature `cuda`; its build downloads LLVM, so it is not in the default build).
    Cuda,
}

impl DeviceChoice {
    /// All names accepted by [`FromStr`].
    pub const NAMES: [&'static str; 4] = ["flex", "wgpu", "vulkan", "cuda"];

    /// Whether this backend was compiled into this build.
    pub fn is_available(self) -> bool {
        match self {
            DeviceChoice::Flex => true,
            DeviceChoice::Wgpu => cfg!(feature = "wgpu"),
            DeviceChoice::Vulkan => cfg!(feature = "vulkan"),
            DeviceChoice::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The Burn device (without autodiff), or a clear error when the backend is not compiled in.
    pub fn device(self) -> Result<Device> {
        let missing = |feature: &str| Error::Device {
            device: self.to_string(),
            message: format!(
                "this build of dcgan does not include it; rebuild with `--features {feature}`"
            ),
        };
        match self {
            DeviceChoice::Flex => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu => Ok(Device::wgpu(Default::default())),
            #[cfg(not(feature = "wgpu"))]
            DeviceChoice::Wgpu => Err(missing("wgpu")),
            #[cfg(feature = "vulkan")]
            DeviceChoice::Vulkan => Ok(Device::vulkan(Default::default())),
            #[cfg(not(feature = "vulkan"))]
            DeviceChoice::Vulkan => Err(missing("vulkan")),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda => Ok(Device::cuda(0)),
            #[cfg(not(feature = "cuda"))]
            DeviceChoice::Cuda => Err(missing("cuda")),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            DeviceChoice::Flex => "flex",
            DeviceChoice::Wgpu => "wgpu",
            DeviceChoice::Vulkan => "vulkan",
            DeviceChoice::Cuda => "cuda",
        };
        f.write_str(name)
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "flex" | "cpu" => Ok(DeviceChoice::Flex),
            "wgpu" => Ok(DeviceChoice::Wgpu),
            "vulkan" => Ok(DeviceChoice::Vulkan),
            "cuda" => Ok(DeviceChoice::Cuda),
            _ => Err(Error::option(
                "device",
                format!(
                    "unknown device `{s}`; expected one of {}",
                    Self::NAMES.join(", ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_rejects_unknown() {
        assert_eq!("flex".parse::<DeviceChoice>().unwrap(), DeviceChoice::Flex);
        assert_eq!("CUDA".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cuda);
        let err = "tpu".parse::<DeviceChoice>().unwrap_err().to_string();
        assert!(err.contains("device") && err.contains("tpu"), "{err}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn backend_not_compiled_in_is_a_clear_error() {
        let err = DeviceChoice::Cuda.device().unwrap_err().to_string();
        assert!(
            err.contains("cuda") && err.contains("--features cuda"),
            "{err}"
        );
    }
}
