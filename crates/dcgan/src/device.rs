//! The compute device, chosen at run time by name: `flex` (the CPU), `wgpu[:ADAPTER]`,
//! `vulkan[:ADAPTER]` or `cuda[:N]`, where ADAPTER is `discrete`, `integrated`, `virtual` (each
//! optionally `:N`, the N-th of that kind, from 0) or `cpu` (a software rasteriser such as
//! lavapipe). [`list`] names every device this build can reach, as
//! `dcgan devices` prints them.

use std::fmt;
use std::str::FromStr;

pub use burn::tensor::Device;

use crate::{Error, Result};

/// Which adapter of a wgpu backend: wgpu's own classification, numbered within each kind as
/// the graphics API lists them (what CubeCL selects by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Adapter {
    /// The backend's choice: a high-performance GPU if there is one (`CUBECL_WGPU_DEFAULT_DEVICE`
    /// overrides it, as in CubeCL).
    #[default]
    Default,
    /// The N-th discrete GPU.
    Discrete(usize),
    /// The N-th integrated GPU.
    Integrated(usize),
    /// The N-th virtual GPU (a VM's).
    Virtual(usize),
    /// A software rasteriser running on the CPU (lavapipe, llvmpipe, SwiftShader, WARP).
    Cpu,
}

impl Adapter {
    fn parse(text: &str) -> Option<Self> {
        let (kind, index) = match text.split_once(':') {
            Some((kind, n)) => (kind, Some(n.parse::<usize>().ok()?)),
            None => (text, None),
        };
        let n = index.unwrap_or(0);
        Some(match kind {
            "default" if index.is_none() => Adapter::Default,
            "cpu" if index.is_none() => Adapter::Cpu,
            "discrete" | "gpu" => Adapter::Discrete(n),
            "integrated" => Adapter::Integrated(n),
            "virtual" => Adapter::Virtual(n),
            _ => return None,
        })
    }

    /// The selector's suffix (`""` for the default, else `:discrete`, `:discrete:1`, `:cpu`...).
    fn suffix(self) -> String {
        let numbered = |kind: &str, n: usize| match n {
            0 => format!(":{kind}"),
            n => format!(":{kind}:{n}"),
        };
        match self {
            Adapter::Default => String::new(),
            Adapter::Discrete(n) => numbered("discrete", n),
            Adapter::Integrated(n) => numbered("integrated", n),
            Adapter::Virtual(n) => numbered("virtual", n),
            Adapter::Cpu => ":cpu".into(),
        }
    }
}

/// A device the user can name on the command line (`--device`), stored in a run's
/// configuration by that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceChoice {
    /// Burn's pure-Rust CPU backend (the default build).
    Flex,
    /// wgpu on whichever graphics API the machine offers (feature `wgpu`).
    Wgpu(Adapter),
    /// wgpu pinned to Vulkan (feature `vulkan`).
    Vulkan(Adapter),
    /// The N-th CUDA device (feature `cuda`; its build downloads LLVM, so it is not in the
    /// default build).
    Cuda(usize),
}

impl DeviceChoice {
    /// The backend names [`FromStr`] accepts, before any `:ADAPTER`.
    pub const NAMES: [&'static str; 4] = ["flex", "wgpu", "vulkan", "cuda"];

    /// Whether this backend was compiled into this build.
    pub fn is_available(self) -> bool {
        match self {
            DeviceChoice::Flex => true,
            DeviceChoice::Wgpu(_) => cfg!(feature = "wgpu"),
            DeviceChoice::Vulkan(_) => cfg!(feature = "vulkan"),
            DeviceChoice::Cuda(_) => cfg!(feature = "cuda"),
        }
    }

    /// The backend's name without the adapter (`flex`, `wgpu`, `vulkan`, `cuda`).
    pub fn backend(self) -> &'static str {
        match self {
            DeviceChoice::Flex => "flex",
            DeviceChoice::Wgpu(_) => "wgpu",
            DeviceChoice::Vulkan(_) => "vulkan",
            DeviceChoice::Cuda(_) => "cuda",
        }
    }

    /// The Burn device (without autodiff), or a clear error when the backend is not compiled
    /// in or the machine has no such adapter.
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
            DeviceChoice::Wgpu(adapter) => {
                adapters::check(self, adapters::Api::Auto, adapter)?;
                Ok(Device::wgpu(adapters::kind(adapter)))
            }
            #[cfg(not(feature = "wgpu"))]
            DeviceChoice::Wgpu(_) => Err(missing("wgpu")),
            #[cfg(feature = "vulkan")]
            DeviceChoice::Vulkan(adapter) => {
                adapters::check(self, adapters::Api::Vulkan, adapter)?;
                Ok(Device::vulkan(adapters::kind(adapter)))
            }
            #[cfg(not(feature = "vulkan"))]
            DeviceChoice::Vulkan(_) => Err(missing("vulkan")),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda(n) => Ok(Device::cuda(n)),
            #[cfg(not(feature = "cuda"))]
            DeviceChoice::Cuda(_) => Err(missing("cuda")),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DeviceChoice::Flex => f.write_str("flex"),
            DeviceChoice::Wgpu(a) => write!(f, "wgpu{}", a.suffix()),
            DeviceChoice::Vulkan(a) => write!(f, "vulkan{}", a.suffix()),
            DeviceChoice::Cuda(0) => f.write_str("cuda"),
            DeviceChoice::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let lower = s.to_ascii_lowercase();
        let (backend, rest) = match lower.split_once(':') {
            Some((b, rest)) => (b, Some(rest)),
            None => (lower.as_str(), None),
        };
        let bad = |what: String| {
            Error::option(
                "device",
                format!(
                    "{what}; expected flex, wgpu[:ADAPTER], vulkan[:ADAPTER] or cuda[:N], where \
                     ADAPTER is discrete[:N], integrated[:N], virtual[:N] or cpu \
                     (`dcgan devices` lists this machine's)"
                ),
            )
        };
        let adapter = |rest: Option<&str>| match rest {
            None => Ok(Adapter::Default),
            Some(r) => {
                Adapter::parse(r).ok_or_else(|| bad(format!("unknown adapter `{r}` in `{s}`")))
            }
        };
        match backend {
            "flex" | "cpu" if rest.is_none() => Ok(DeviceChoice::Flex),
            "wgpu" => Ok(DeviceChoice::Wgpu(adapter(rest)?)),
            "vulkan" => Ok(DeviceChoice::Vulkan(adapter(rest)?)),
            "cuda" => match rest {
                None => Ok(DeviceChoice::Cuda(0)),
                Some(n) => n
                    .parse()
                    .map(DeviceChoice::Cuda)
                    .map_err(|_| bad(format!("`{s}`: a CUDA device is a number, as in cuda:1"))),
            },
            _ => Err(bad(format!("unknown device `{s}`"))),
        }
    }
}

impl TryFrom<String> for DeviceChoice {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<DeviceChoice> for String {
    fn from(d: DeviceChoice) -> String {
        d.to_string()
    }
}

/// One device this build can reach, as [`list`] reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeviceInfo {
    /// What `--device` takes to select it.
    pub name: String,
    /// What it is (the adapter's name, its graphics API and driver, or why it is missing).
    pub description: String,
    /// Whether it can be used (false for a backend not compiled into this build).
    pub usable: bool,
}

/// Every device this build can reach: the CPU, each wgpu adapter (on the graphics API `wgpu`
/// settles on, and on Vulkan), and CUDA where compiled in; backends left out of this build are
/// listed as such. Asks the graphics APIs for their adapters without opening any device.
pub fn list() -> Vec<DeviceInfo> {
    let threads = rayon::current_num_threads();
    let mut out = vec![DeviceInfo {
        name: "flex".into(),
        description: format!("the CPU, Burn's flex backend ({threads} threads)"),
        usable: true,
    }];
    #[cfg(feature = "wgpu")]
    out.extend(adapters::infos(adapters::Api::Auto));
    #[cfg(feature = "vulkan")]
    out.extend(adapters::infos(adapters::Api::Vulkan));
    #[cfg(feature = "cuda")]
    out.push(DeviceInfo {
        name: "cuda".into(),
        description: "CUDA device 0; cuda:N for the N-th (`nvidia-smi -L` lists them)".into(),
        usable: true,
    });
    for (choice, feature) in [
        (DeviceChoice::Wgpu(Adapter::Default), "wgpu"),
        (DeviceChoice::Vulkan(Adapter::Default), "vulkan"),
        (DeviceChoice::Cuda(0), "cuda"),
    ] {
        if !choice.is_available() {
            out.push(DeviceInfo {
                name: choice.to_string(),
                description: format!("not in this build (rebuild with `--features {feature}`)"),
                usable: false,
            });
        }
    }
    out
}

#[cfg(any(feature = "wgpu", feature = "vulkan"))]
mod adapters {
    //! The adapters of wgpu's graphics APIs, numbered as CubeCL selects them: within each kind
    //! (discrete, integrated, ...), in the order the API lists them; for `wgpu` (no API named),
    //! on the first API of CubeCL's chain that has a GPU, or else the first with any adapter.

    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use burn::tensor::DeviceKind;
    use burn::tensor::wgpu::wgpu;

    use super::{Adapter, DeviceChoice, DeviceInfo};
    use crate::{Error, Result};

    /// Which graphics API a device goes through.
    #[derive(Clone, Copy)]
    pub enum Api {
        /// The one CubeCL settles on (`--device wgpu`).
        Auto,
        /// Vulkan (`--device vulkan`).
        Vulkan,
    }

    /// CubeCL's order of graphics APIs for an automatic choice.
    fn chain() -> Vec<wgpu::Backend> {
        if cfg!(target_os = "macos") {
            vec![wgpu::Backend::Metal]
        } else {
            vec![
                wgpu::Backend::Vulkan,
                wgpu::Backend::Dx12,
                wgpu::Backend::Gl,
            ]
        }
    }

    /// Waits for a future that native wgpu completes at once.
    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::yield_now();
        }
    }

    fn probe(api: wgpu::Backend) -> Vec<wgpu::AdapterInfo> {
        if !wgpu::Instance::enabled_backend_features().contains(api.into()) {
            return Vec::new();
        }
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: api.into(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        ready(instance.enumerate_adapters(api.into()))
            .iter()
            .map(|a| a.get_info())
            .collect()
    }

    /// The graphics API `api` comes up on and its adapters (none: no adapter anywhere).
    fn settle(api: Api) -> (Option<wgpu::Backend>, Vec<wgpu::AdapterInfo>) {
        let candidates = match api {
            Api::Vulkan => vec![wgpu::Backend::Vulkan],
            Api::Auto => chain(),
        };
        let mut software_only = None;
        for backend in candidates {
            let adapters = probe(backend);
            if adapters
                .iter()
                .any(|a| a.device_type != wgpu::DeviceType::Cpu)
            {
                return (Some(backend), adapters);
            }
            if software_only.is_none() && !adapters.is_empty() {
                software_only = Some((backend, adapters));
            }
        }
        match software_only {
            Some((backend, adapters)) => (Some(backend), adapters),
            None => (None, Vec::new()),
        }
    }

    /// Each adapter with its selector (the kind and its index within the kind). Adapters the
    /// API does not classify (`DeviceType::Other`, mostly OpenGL's) have no name Burn selects
    /// by, and are left out.
    fn selectors(adapters: &[wgpu::AdapterInfo]) -> Vec<(Adapter, &wgpu::AdapterInfo)> {
        let mut counts = [0usize; 4];
        adapters
            .iter()
            .filter_map(|info| {
                let (slot, make): (usize, fn(usize) -> Adapter) = match info.device_type {
                    wgpu::DeviceType::DiscreteGpu => (0, Adapter::Discrete),
                    wgpu::DeviceType::IntegratedGpu => (1, Adapter::Integrated),
                    wgpu::DeviceType::VirtualGpu => (2, Adapter::Virtual),
                    wgpu::DeviceType::Cpu => (3, |_| Adapter::Cpu),
                    wgpu::DeviceType::Other => return None,
                };
                let adapter = make(counts[slot]);
                counts[slot] += 1;
                Some((adapter, info))
            })
            .collect()
    }

    fn choice(api: Api, adapter: Adapter) -> DeviceChoice {
        match api {
            Api::Auto => DeviceChoice::Wgpu(adapter),
            Api::Vulkan => DeviceChoice::Vulkan(adapter),
        }
    }

    /// The adapters of `api`, for [`super::list`].
    pub fn infos(api: Api) -> Vec<DeviceInfo> {
        let (backend, adapters) = settle(api);
        let Some(backend) = backend else {
            return vec![DeviceInfo {
                name: choice(api, Adapter::Default).to_string(),
                description: "compiled in, but no adapter found (is a driver installed? for \
                              Vulkan on a machine without a GPU: Mesa's lavapipe)"
                    .into(),
                usable: false,
            }];
        };
        selectors(&adapters)
            .into_iter()
            .map(|(adapter, info)| {
                let kind = match info.device_type {
                    wgpu::DeviceType::DiscreteGpu => "discrete GPU",
                    wgpu::DeviceType::IntegratedGpu => "integrated GPU",
                    wgpu::DeviceType::VirtualGpu => "virtual GPU",
                    wgpu::DeviceType::Cpu => "software, on the CPU",
                    wgpu::DeviceType::Other => "other",
                };
                let driver = match (info.driver.is_empty(), info.driver_info.is_empty()) {
                    (false, false) => format!("; driver {} {}", info.driver, info.driver_info),
                    (false, true) => format!("; driver {}", info.driver),
                    _ => String::new(),
                };
                DeviceInfo {
                    name: choice(api, adapter).to_string(),
                    description: format!("{}; {backend:?}, {kind}{driver}", info.name),
                    usable: true,
                }
            })
            .collect()
    }

    /// An error naming what the machine has when `adapter` is not among `api`'s adapters.
    pub fn check(device: DeviceChoice, api: Api, adapter: Adapter) -> Result<()> {
        let (_, adapters) = settle(api);
        let listed = selectors(&adapters);
        let found = match adapter {
            Adapter::Default => !listed.is_empty(),
            wanted => listed.iter().any(|(a, _)| *a == wanted),
        };
        if found {
            return Ok(());
        }
        let have: Vec<String> = listed
            .iter()
            .map(|(a, info)| format!("{} ({})", choice(api, *a), info.name))
            .collect();
        Err(Error::Device {
            device: device.to_string(),
            message: match have.is_empty() {
                true => "no adapter on this machine (is a Vulkan driver installed? Mesa's \
                         lavapipe runs on the CPU: Debian's mesa-vulkan-drivers)"
                    .into(),
                false => format!(
                    "no such adapter on this machine; it has {} (`dcgan devices` lists every device)",
                    have.join(", ")
                ),
            },
        })
    }

    /// CubeCL's name for an adapter.
    pub fn kind(adapter: Adapter) -> DeviceKind {
        match adapter {
            Adapter::Default => DeviceKind::DefaultDevice,
            Adapter::Discrete(n) => DeviceKind::DiscreteGpu(n),
            Adapter::Integrated(n) => DeviceKind::IntegratedGpu(n),
            Adapter::Virtual(n) => DeviceKind::VirtualGpu(n),
            Adapter::Cpu => DeviceKind::Cpu,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_adapters_and_rejects_unknown() {
        let p = |s: &str| s.parse::<DeviceChoice>().unwrap();
        assert_eq!(p("flex"), DeviceChoice::Flex);
        assert_eq!(p("cpu"), DeviceChoice::Flex);
        assert_eq!(p("CUDA"), DeviceChoice::Cuda(0));
        assert_eq!(p("cuda:1"), DeviceChoice::Cuda(1));
        assert_eq!(p("wgpu"), DeviceChoice::Wgpu(Adapter::Default));
        assert_eq!(p("wgpu:cpu"), DeviceChoice::Wgpu(Adapter::Cpu));
        assert_eq!(
            p("vulkan:discrete"),
            DeviceChoice::Vulkan(Adapter::Discrete(0))
        );
        assert_eq!(
            p("vulkan:gpu:2"),
            DeviceChoice::Vulkan(Adapter::Discrete(2))
        );
        assert_eq!(
            p("vulkan:integrated:1"),
            DeviceChoice::Vulkan(Adapter::Integrated(1))
        );
        for bad in [
            "tpu",
            "cuda:x",
            "vulkan:fast",
            "vulkan:discrete:x",
            "flex:1",
            "wgpu:cpu:1",
            "wgpu:other",
            "",
        ] {
            let err = bad.parse::<DeviceChoice>().unwrap_err().to_string();
            assert!(
                err.contains("device") && err.contains("dcgan devices"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn names_round_trip_through_display_and_json() {
        for name in [
            "flex",
            "wgpu",
            "wgpu:cpu",
            "vulkan",
            "vulkan:discrete",
            "vulkan:discrete:1",
            "vulkan:integrated",
            "vulkan:virtual:3",
            "cuda",
            "cuda:3",
        ] {
            let choice: DeviceChoice = name.parse().unwrap();
            assert_eq!(choice.to_string(), name);
            let json = serde_json::to_string(&choice).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<DeviceChoice>(&json).unwrap(), choice);
        }
        // Run folders written before adapters could be named still read.
        assert_eq!(
            serde_json::from_str::<DeviceChoice>("\"vulkan\"").unwrap(),
            DeviceChoice::Vulkan(Adapter::Default)
        );
        assert!(serde_json::from_str::<DeviceChoice>("\"tpu\"").is_err());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn backend_not_compiled_in_is_a_clear_error() {
        let err = DeviceChoice::Cuda(1).device().unwrap_err().to_string();
        assert!(
            err.contains("cuda:1") && err.contains("--features cuda"),
            "{err}"
        );
    }

    #[test]
    fn the_list_starts_with_the_cpu_and_names_every_backend() {
        let list = list();
        assert_eq!(list[0].name, "flex");
        assert!(list[0].usable);
        for backend in ["wgpu", "vulkan", "cuda"] {
            assert!(
                list.iter().any(|d| d.name.starts_with(backend)),
                "{backend} missing from {list:?}"
            );
        }
        for d in &list {
            assert_eq!(d.name.parse::<DeviceChoice>().unwrap().to_string(), d.name);
        }
    }
}
