//! Named weights: listing and loading a module's tensors by path, host-side initialisation, and
//! safetensors files with PyTorch's `examples/dcgan` names.
//!
//! Paths are the module's field paths (`blocks.0.conv.weight`, `blocks.0.bn.running_var`, ...).
//! PyTorch's `nn.Sequential` names them by position (`main.0.weight`, `main.1.running_var`):
//! [`to_pytorch`] and [`from_pytorch`] translate.

use std::collections::BTreeMap;
use std::path::Path;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::{Discriminator, Generator};
use crate::{Error, Result};

/// A tensor by name: its shape and row-major `f32` values.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub values: Vec<f32>,
}

impl NamedTensor {
    /// Copies a tensor's data (any float dtype) to the host as `f32`.
    pub fn from_data(data: TensorData) -> Self {
        let shape = data.shape().to_vec();
        let values = data
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("converted to f32");
        Self { shape, values }
    }

    /// Copies a tensor to the host.
    pub fn from_tensor<const D: usize>(tensor: Tensor<D>) -> Self {
        Self::from_data(tensor.into_data())
    }

    fn to_data(&self) -> TensorData {
        TensorData::new(self.values.clone(), self.shape.clone())
    }
}

/// Tensors keyed by path, in sorted order.
pub type Tensors = BTreeMap<String, NamedTensor>;

struct Lister {
    path: Vec<String>,
    out: Tensors,
}

impl ModuleVisitor for Lister {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let data = param.val().into_data();
        self.out
            .insert(self.path.join("."), NamedTensor::from_data(data));
    }
}

/// Folds pending running-statistics updates into their stored values.
///
/// Burn's `RunningState` keeps each forward pass's update per thread until it is synchronised;
/// visiting or mapping the module reads and writes the stored value only. `valid()` synchronises
/// every running state in place (they are shared), so calling it first makes both exact.
fn sync_running_state<M: Module>(module: &M) {
    let _ = module.valid();
}

/// Every float tensor of `module` (parameters and running statistics) by path.
pub fn list<M: Module>(module: &M) -> Tensors {
    sync_running_state(module);
    let mut lister = Lister {
        path: Vec::new(),
        out: Tensors::new(),
    };
    module.visit(&mut lister);
    lister.out
}

struct Replacer<'a, F: FnMut(&str, &[usize]) -> Option<NamedTensor>> {
    path: Vec<String>,
    replace: &'a mut F,
}

impl<F: FnMut(&str, &[usize]) -> Option<NamedTensor>> ModuleMapper for Replacer<'_, F> {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let path = self.path.join(".");
        let shape = param.shape().dims::<D>();
        match (self.replace)(&path, &shape) {
            None => param,
            Some(new) => param.map(|old| {
                let tensor = Tensor::from_data(new.to_data(), &old.device());
                if old.is_require_grad() {
                    tensor.require_grad()
                } else {
                    tensor
                }
            }),
        }
    }
}

/// Rebuilds `module` with each tensor for which `replace(path, shape)` returns a value.
/// The returned tensor must have the given shape.
pub fn replace<M: Module>(
    module: M,
    mut replace: impl FnMut(&str, &[usize]) -> Option<NamedTensor>,
) -> M {
    sync_running_state(&module);
    module.map(&mut Replacer {
        path: Vec::new(),
        replace: &mut replace,
    })
}

/// Loads every tensor of `module` from `tensors`, checking that each is present with the right
/// shape. `origin` names the file in errors.
pub fn load<M: Module>(module: M, tensors: &Tensors, origin: &Path) -> Result<M> {
    let expected = list(&module);
    for (path, want) in &expected {
        let problem = match tensors.get(path) {
            None => "is missing: the file was written for another model".to_string(),
            Some(got) if got.shape != want.shape => format!(
                "has shape {:?} but this model needs {:?}: the file was written for another \
                 configuration",
                got.shape, want.shape
            ),
            Some(_) => continue,
        };
        return Err(Error::Tensor {
            path: origin.to_path_buf(),
            tensor: path.clone(),
            pytorch_name: None,
            problem,
        });
    }
    Ok(replace(module, |path, _| tensors.get(path).cloned()))
}

/// Initialises weights as the paper does (section 4): every convolution N(0, 0.02), batch-norm
/// scale N(1, 0.02), batch-norm shift 0 (PyTorch's `weights_init`). Drawn on the host from
/// `seed`, so a seed gives the same network on every backend.
pub fn initialize<M: Module>(module: M, seed: u64) -> M {
    initialize_with(module, &mut ChaCha8Rng::seed_from_u64(seed))
}

/// [`initialize`] drawing from `rng` (a training run's own stream, see [`crate::seeding`]).
pub fn initialize_with<M: Module>(module: M, rng: &mut ChaCha8Rng) -> M {
    let std = 0.02f32; // docs/paper.md section 2: "weights N(0, 0.02)".
    replace(module, |path, shape| {
        let n: usize = shape.iter().product();
        let draw = |mean: f32, rng: &mut ChaCha8Rng| {
            let normal = Normal::new(mean, std).expect("valid normal");
            (0..n).map(|_| normal.sample(rng)).collect::<Vec<f32>>()
        };
        let values = if path.ends_with("bn.weight") {
            draw(1.0, rng)
        } else if path.ends_with("bn.bias") {
            vec![0.0; n]
        } else if path.ends_with(".weight") {
            draw(0.0, rng)
        } else {
            return None; // running statistics keep their initial 0 / 1
        };
        Some(NamedTensor {
            shape: shape.to_vec(),
            values,
        })
    })
}

/// Which network a set of names belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// The generator (`netG` in PyTorch's example).
    Generator,
    /// The discriminator (`netD`).
    Discriminator,
}

/// Translates one of our paths to PyTorch's `examples/dcgan` name.
///
/// G: block i is `main.{3i}` (conv) and `main.{3i+1}` (BN), the output conv `main.{3n}`.
/// D: the input conv is `main.0`, block j (from 0) is `main.{2+3j}` / `main.{3+3j}`, the output
/// conv `main.{2+3m}` with m blocks.
pub fn to_pytorch(net: Net, path: &str, blocks: usize) -> Option<String> {
    let parts: Vec<&str> = path.split('.').collect();
    let (index, leaf) = match (net, parts.as_slice()) {
        (Net::Generator, ["blocks", i, "conv", leaf]) => (3 * i.parse::<usize>().ok()?, *leaf),
        (Net::Generator, ["blocks", i, "bn", leaf]) => (3 * i.parse::<usize>().ok()? + 1, *leaf),
        (Net::Generator, ["output", leaf]) => (3 * blocks, *leaf),
        (Net::Discriminator, ["input", leaf]) => (0, *leaf),
        (Net::Discriminator, ["blocks", j, "conv", leaf]) => {
            (2 + 3 * j.parse::<usize>().ok()?, *leaf)
        }
        (Net::Discriminator, ["blocks", j, "bn", leaf]) => {
            (3 + 3 * j.parse::<usize>().ok()?, *leaf)
        }
        (Net::Discriminator, ["output", leaf]) => (2 + 3 * blocks, *leaf),
        _ => return None,
    };
    Some(format!("main.{index}.{leaf}"))
}

/// Translates a whole tensor set from our paths to PyTorch's names.
pub fn to_pytorch_names(net: Net, tensors: &Tensors, blocks: usize) -> Tensors {
    tensors
        .iter()
        .filter_map(|(k, v)| Some((to_pytorch(net, k, blocks)?, v.clone())))
        .collect()
}

/// Translates PyTorch's names into our paths for a network with `blocks` hidden blocks,
/// using the expected paths of `module` as the vocabulary. Unknown names are ignored
/// (`num_batches_tracked`, say).
pub fn from_pytorch_names(
    net: Net,
    expected: &Tensors,
    tensors: &Tensors,
    blocks: usize,
) -> Tensors {
    expected
        .keys()
        .filter_map(|ours| {
            let theirs = to_pytorch(net, ours, blocks)?;
            Some((ours.clone(), tensors.get(&theirs)?.clone()))
        })
        .collect()
}

/// The generator's weights under PyTorch's `netG` names.
pub fn generator_to_pytorch(g: &Generator) -> Tensors {
    to_pytorch_names(Net::Generator, &list(g), g.blocks.len())
}

/// The discriminator's weights under PyTorch's `netD` names.
pub fn discriminator_to_pytorch(d: &Discriminator) -> Tensors {
    to_pytorch_names(Net::Discriminator, &list(d), d.blocks.len())
}

/// Loads PyTorch `netG` weights (a `state_dict` by name) into `g`.
pub fn generator_from_pytorch(g: Generator, tensors: &Tensors, origin: &Path) -> Result<Generator> {
    let blocks = g.blocks.len();
    let ours = from_pytorch_names(Net::Generator, &list(&g), tensors, blocks);
    load(g, &ours, origin).map_err(|e| pytorch_hint(e, Net::Generator, blocks))
}

/// Loads PyTorch `netD` weights into `d`.
pub fn discriminator_from_pytorch(
    d: Discriminator,
    tensors: &Tensors,
    origin: &Path,
) -> Result<Discriminator> {
    let blocks = d.blocks.len();
    let ours = from_pytorch_names(Net::Discriminator, &list(&d), tensors, blocks);
    load(d, &ours, origin).map_err(|e| pytorch_hint(e, Net::Discriminator, blocks))
}

/// Adds PyTorch's name of the tensor at fault to a load error.
fn pytorch_hint(e: Error, net: Net, blocks: usize) -> Error {
    match e {
        Error::Tensor {
            path,
            tensor,
            problem,
            ..
        } => Error::Tensor {
            pytorch_name: to_pytorch(net, &tensor, blocks),
            path,
            tensor,
            problem,
        },
        other => other,
    }
}

/// Writes `tensors` (f32) and string `metadata` to a safetensors file, atomically: the bytes go
/// to a temporary file beside `path` that is renamed over it only when complete.
pub fn write_safetensors(
    path: &Path,
    tensors: &Tensors,
    metadata: BTreeMap<String, String>,
) -> Result<()> {
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(k, t)| {
            let raw = t.values.iter().flat_map(|v| v.to_le_bytes()).collect();
            (k.clone(), raw, t.shape.clone())
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = bytes
        .iter()
        .map(|(k, raw, shape)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), raw)
                    .expect("byte length matches shape");
            (k.clone(), view)
        })
        .collect();
    let metadata: std::collections::HashMap<String, String> = metadata.into_iter().collect();
    let data = safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::format(path, format!("cannot serialise: {e}")))?;
    crate::run::write_atomic(path, &data)
}

/// The metadata of a safetensors file, reading only its header (a checkpoint's configuration
/// without its tens of megabytes of tensors). The tensors are checked when the file is loaded.
pub fn read_safetensors_metadata(path: &Path) -> Result<BTreeMap<String, String>> {
    use std::io::Read;
    /// safetensors' own limit on the header.
    const MAX_HEADER: u64 = 100_000_000;
    let bad = |why: String| Error::format(path, format!("not a safetensors file: {why}"));
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|_| bad(format!("{file_len} bytes, shorter than its header")))?;
    let n = u64::from_le_bytes(len);
    if n > MAX_HEADER || n + 8 > file_len {
        return Err(bad(format!(
            "a header of {n} bytes does not fit a file of {file_len}"
        )));
    }
    let mut header = vec![0u8; n as usize];
    file.read_exact(&mut header)
        .map_err(|e| Error::io(path, e))?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|e| bad(format!("header: {e}")))?;
    let Some(meta) = header.get("__metadata__") else {
        return Ok(BTreeMap::new());
    };
    let meta: BTreeMap<String, String> =
        serde_json::from_value(meta.clone()).map_err(|e| bad(format!("metadata: {e}")))?;
    Ok(meta)
}

/// Reads every f32 (or f64/f16-free) tensor of a safetensors file, with its metadata.
pub fn read_safetensors(path: &Path) -> Result<(Tensors, BTreeMap<String, String>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| Error::format(path, format!("not a safetensors file: {e}")))?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::format(path, format!("not a safetensors file: {e}")))?;
    let mut out = Tensors::new();
    for (name, view) in st.tensors() {
        let values: Vec<f32> = match view.dtype() {
            safetensors::Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            safetensors::Dtype::F64 => view
                .data()
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
                .collect(),
            // Integer bookkeeping such as BN's `num_batches_tracked` is not a weight.
            _ => continue,
        };
        out.insert(
            name,
            NamedTensor {
                shape: view.shape().to_vec(),
                values,
            },
        );
    }
    let metadata = meta
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok((out, metadata))
}

/// Reads every floating-point tensor of a PyTorch checkpoint (`torch.save` of a state dict, in
/// the zip container of PyTorch 1.6+ or the legacy pickle stream before it) through Burn's
/// `pytorch-reader`, as `f32`. Integer bookkeeping (`num_batches_tracked`) is skipped.
pub fn read_pytorch(path: &Path) -> Result<Tensors> {
    let reader = pytorch_reader::PytorchReader::new(path)
        .map_err(|e| Error::format(path, format!("not a PyTorch checkpoint: {e}")))?;
    let mut out = Tensors::new();
    for (name, tensor) in reader.into_tensors() {
        use pytorch_reader::DType;
        let (dtype, shape) = (tensor.dtype(), tensor.shape().to_vec());
        if !matches!(dtype, DType::F32 | DType::F64) {
            if matches!(dtype, DType::F16 | DType::BF16) {
                return Err(Error::format(
                    path,
                    format!("tensor `{name}` is {dtype:?}; expected float32 or float64 weights"),
                ));
            }
            continue;
        }
        let bytes = tensor
            .read()
            .map_err(|e| Error::format(path, format!("cannot read tensor `{name}`: {e}")))?;
        let values = match dtype {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                .collect(),
            _ => bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
                .collect(),
        };
        out.insert(name, NamedTensor { shape, values });
    }
    Ok(out)
}

/// Reads a weights file in either format: safetensors, or a PyTorch checkpoint (`.pth`, `.pt`).
/// The format is told from the content, not the name.
pub fn read_weights(path: &Path) -> Result<Tensors> {
    let mut head = [0u8; 9];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| Error::io(path, e))?;
    // safetensors: an 8-byte little-endian header length, then the JSON header.
    if n == 9 && head[8] == b'{' {
        Ok(read_safetensors(path)?.0)
    } else {
        read_pytorch(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelConfig;
    use burn::tensor::Device;

    #[test]
    fn pytorch_names_match_examples_dcgan_at_64() {
        let config = ModelConfig::default();
        let device = Device::flex();
        let g = Generator::new(&config, &device);
        let d = Discriminator::new(&config, &device);
        let gn: Vec<String> = list(&g)
            .keys()
            .map(|k| to_pytorch(Net::Generator, k, g.blocks.len()).unwrap())
            .collect();
        let dn: Vec<String> = list(&d)
            .keys()
            .map(|k| to_pytorch(Net::Discriminator, k, d.blocks.len()).unwrap())
            .collect();
        // netG: ConvT at 0,3,6,9,12; BN at 1,4,7,10.  netD: Conv at 0,2,5,8,11; BN at 3,6,9.
        for name in [
            "main.0.weight",
            "main.1.running_var",
            "main.10.bias",
            "main.12.weight",
        ] {
            assert!(gn.contains(&name.to_string()), "{name} in {gn:?}");
        }
        for name in [
            "main.0.weight",
            "main.2.weight",
            "main.3.weight",
            "main.9.running_mean",
            "main.11.weight",
        ] {
            assert!(dn.contains(&name.to_string()), "{name} in {dn:?}");
        }
        assert_eq!(gn.len(), 5 + 4 * 4);
        assert_eq!(dn.len(), 5 + 3 * 4);
    }

    #[test]
    fn initialisation_has_the_papers_statistics_and_is_seeded() {
        let config = ModelConfig::default();
        let device = Device::flex();
        let g = initialize(Generator::new(&config, &device), 7);
        let t = list(&g);
        let w = &t["blocks.1.conv.weight"].values;
        let mean = w.iter().sum::<f32>() / w.len() as f32;
        let std = (w.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / w.len() as f32).sqrt();
        assert!(mean.abs() < 1e-3, "mean {mean}");
        assert!((std - 0.02).abs() < 5e-4, "std {std}");
        let gamma = &t["blocks.1.bn.weight"].values;
        let gmean = gamma.iter().sum::<f32>() / gamma.len() as f32;
        assert!((gmean - 1.0).abs() < 0.01, "gamma mean {gmean}");
        assert!(t["blocks.1.bn.bias"].values.iter().all(|v| *v == 0.0));
        assert!(
            t["blocks.1.bn.running_var"]
                .values
                .iter()
                .all(|v| *v == 1.0)
        );
        let again = list(&initialize(Generator::new(&config, &device), 7));
        assert_eq!(t, again);
        let other = list(&initialize(Generator::new(&config, &device), 8));
        assert_ne!(t["output.weight"], other["output.weight"]);
    }

    #[test]
    fn load_rejects_missing_and_misshapen_tensors() {
        let device = Device::flex();
        let small = ModelConfig {
            image_size: 32,
            ngf: 8,
            ..Default::default()
        };
        let big = ModelConfig {
            image_size: 32,
            ngf: 16,
            ..Default::default()
        };
        let from_small = list(&Generator::new(&small, &device));
        let err = load(
            Generator::new(&big, &device),
            &from_small,
            Path::new("x.safetensors"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("x.safetensors") && err.contains("shape"),
            "{err}"
        );
        let mut missing = from_small.clone();
        missing.remove("output.weight");
        let err = load(
            Generator::new(&small, &device),
            &missing,
            Path::new("y.safetensors"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("output.weight") && err.contains("missing"),
            "{err}"
        );
    }
}
