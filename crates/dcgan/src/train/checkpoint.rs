//! Checkpoints: G, D, both Adam states, the z stream and the iteration (which fixes the data
//! position, see [`crate::data::Loader`]) in one safetensors file with the config in its
//! metadata. Written atomically; the last K kept. Each carries a SHA-256 of its contents
//! (`checksum`), checked on every read, so a bad copy or a flipped bit is an error naming the file
//! instead of a model quietly trained on from damaged weights.

use std::collections::BTreeMap;
use std::path::Path;

use rand_chacha::ChaCha8Rng;

use super::{Adam, Gan, TrainConfig};
use crate::model::weights::{self, Tensors};
use crate::model::{Discriminator, Generator};
use crate::run::RunDir;
use crate::{Error, Result};

/// Marks our checkpoint files.
const FORMAT: &str = "dcgan-checkpoint-v1";
/// The metadata key of the checksum.
const CHECKSUM: &str = "checksum";

/// SHA-256 of a checkpoint's contents: every tensor (name, shape, values) in name order, then
/// every metadata entry but the checksum itself, each length-prefixed; `sha256:<hex>`.
fn checksum(tensors: &Tensors, meta: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let text = |h: &mut Sha256, s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    let mut buf = Vec::with_capacity(4 << 14);
    for (name, t) in tensors {
        text(&mut hash, name);
        hash.update((t.shape.len() as u64).to_le_bytes());
        for d in &t.shape {
            hash.update((*d as u64).to_le_bytes());
        }
        for chunk in t.values.chunks(1 << 14) {
            buf.clear();
            buf.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
            hash.update(&buf);
        }
    }
    for (key, value) in meta.iter().filter(|(k, _)| k.as_str() != CHECKSUM) {
        text(&mut hash, key);
        text(&mut hash, value);
    }
    format!("sha256:{:x}", hash.finalize())
}

/// Checks a checkpoint's contents against its checksum (files written before checksums were
/// added have none, and pass).
fn verify(path: &Path, tensors: &Tensors, meta: &BTreeMap<String, String>) -> Result<()> {
    match meta.get(CHECKSUM) {
        Some(stored) if *stored != checksum(tensors, meta) => Err(Error::format(
            path,
            "checkpoint is damaged: its contents do not match the checksum written with it (a bad \
             copy or a disk error)",
        )),
        _ => Ok(()),
    }
}

fn prefixed(
    prefix: &str,
    tensors: Tensors,
) -> impl Iterator<Item = (String, weights::NamedTensor)> + '_ {
    tensors
        .into_iter()
        .map(move |(k, v)| (format!("{prefix}.{k}"), v))
}

fn strip(prefix: &str, tensors: &Tensors) -> Tensors {
    let p = format!("{prefix}.");
    tensors
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&p)?.to_string(), v.clone())))
        .collect()
}

/// Serialises the z stream's position.
fn rng_state(rng: &ChaCha8Rng) -> String {
    let seed: String = rng.get_seed().iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({
        "seed": seed,
        "stream": rng.get_stream().to_string(),
        "word_pos": rng.get_word_pos().to_string(),
    })
    .to_string()
}

fn parse_rng(path: &Path, text: &str) -> Result<ChaCha8Rng> {
    use rand::SeedableRng;
    let bad = || Error::format(path, "checkpoint has an unreadable RNG state");
    let v: serde_json::Value = serde_json::from_str(text).map_err(|_| bad())?;
    let hex = v["seed"].as_str().ok_or_else(bad)?;
    // ASCII first: a 64-byte string holding a multi-byte character would be cut inside it below.
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    let stream: u64 = v["stream"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let pos: u128 = v["word_pos"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let mut rng = ChaCha8Rng::from_seed(seed);
    rng.set_stream(stream);
    rng.set_word_pos(pos);
    Ok(rng)
}

/// Writes the state of `gan` to the run's checkpoint for its iteration and deletes all but the
/// newest `keep`. Returns the file written.
pub fn save(run: &RunDir, gan: &Gan, keep: usize) -> Result<std::path::PathBuf> {
    let path = run.checkpoint(gan.iteration);
    write(&path, gan)?;
    let all = run.list_checkpoints()?;
    for (_, old) in all.iter().take(all.len().saturating_sub(keep)) {
        std::fs::remove_file(old).map_err(|e| Error::io(old, e))?;
    }
    Ok(path)
}

/// Writes the whole state of `gan` to `path` (atomically): a checkpoint every command reads.
pub fn write(path: &Path, gan: &Gan) -> Result<()> {
    let mut tensors = Tensors::new();
    tensors.extend(prefixed("g", weights::list(&gan.g)));
    tensors.extend(prefixed("d", weights::list(&gan.d)));
    tensors.extend(prefixed("adam_g", gan.adam_g.state()));
    tensors.extend(prefixed("adam_d", gan.adam_d.state()));
    let config = serde_json::to_string(gan.config()).expect("config serialises");
    let mut meta = BTreeMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("iteration".to_string(), gan.iteration.to_string()),
        ("adam_g_step".to_string(), gan.adam_g.step.to_string()),
        ("adam_d_step".to_string(), gan.adam_d.step.to_string()),
        ("rng".to_string(), rng_state(&gan.rng)),
        ("config".to_string(), config),
    ]);
    meta.insert(CHECKSUM.to_string(), checksum(&tensors, &meta));
    weights::write_safetensors(path, &tensors, meta)
}

/// The training configuration of a checkpoint, reading only the file's header (what a command
/// needs to know before it opens data at the model's size).
pub fn config_of(path: &Path) -> Result<TrainConfig> {
    config_in(path, &weights::read_safetensors_metadata(path)?)
}

/// A checkpoint as read: its configuration, tensors and metadata.
pub type Contents = (TrainConfig, Tensors, BTreeMap<String, String>);

/// The configuration stored in a checkpoint, with its tensors and metadata, after checking the
/// contents against the checksum.
pub fn read_config(path: &Path) -> Result<Contents> {
    let (tensors, meta) = weights::read_safetensors(path)?;
    let config = config_in(path, &meta)?;
    verify(path, &tensors, &meta)?;
    Ok((config, tensors, meta))
}

/// The configuration in a checkpoint's metadata; an error unless it is a dcgan checkpoint.
fn config_in(path: &Path, meta: &BTreeMap<String, String>) -> Result<TrainConfig> {
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(Error::format(
            path,
            format!("not a dcgan checkpoint (no `{FORMAT}` marker)"),
        ));
    }
    let config: TrainConfig = meta
        .get("config")
        .and_then(|c| serde_json::from_str(c).ok())
        .ok_or_else(|| Error::format(path, "checkpoint has no readable configuration"))?;
    // The model is what commands build from it; the rest is checked where it is used.
    config
        .model
        .validate()
        .map_err(|e| Error::format(path, format!("checkpoint describes no valid model: {e}")))?;
    Ok(config)
}

/// Restores a [`Gan`] from `path` onto `device` for `config`, which must describe the same model
/// as the checkpoint (else a clear error naming the file).
pub fn load(path: &Path, config: &TrainConfig, device: &burn::tensor::Device) -> Result<Gan> {
    restore(path, read_config(path)?, config, device)
}

/// [`load`] from contents already read from `path` (by [`read_config`]).
pub fn restore(
    path: &Path,
    contents: Contents,
    config: &TrainConfig,
    device: &burn::tensor::Device,
) -> Result<Gan> {
    let restored = restore_gan(path, contents, config, device);
    if restored.is_err() {
        // The models built for a checkpoint that did not fit were dropped untrained.
        crate::model::graphs::sweep_dropped();
    }
    restored
}

fn restore_gan(
    path: &Path,
    (stored, tensors, meta): Contents,
    config: &TrainConfig,
    device: &burn::tensor::Device,
) -> Result<Gan> {
    if stored.model != config.model {
        return Err(Error::format(
            path,
            format!(
                "checkpoint is for another model configuration ({}) than this run ({})",
                serde_json::to_string(&stored.model).unwrap_or_default(),
                serde_json::to_string(&config.model).unwrap_or_default()
            ),
        ));
    }
    let number = |key: &str| -> Result<u64> {
        meta.get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::format(path, format!("checkpoint has no readable `{key}`")))
    };
    // The model is built before its weights are read into it: first make sure the file holds
    // at least that many values, so a damaged header cannot make us allocate what it claims.
    let held: u64 = tensors.values().map(|t| t.values.len() as u64).sum();
    let needed = config.model.value_count();
    if held < needed {
        return Err(Error::format(
            path,
            format!(
                "holds {held} values, but the model its configuration describes holds {needed} \
                 values: not a whole checkpoint"
            ),
        ));
    }
    let device = device.clone().autodiff();
    let g = weights::load(
        Generator::new(&config.model, &device),
        &strip("g", &tensors),
        path,
    )?;
    let d = weights::load(
        Discriminator::new(&config.model, &device),
        &strip("d", &tensors),
        path,
    )?;
    let mut gan = Gan::from_parts(config, g, d, &device);
    let inner = device.clone().inner();
    gan.adam_g = Adam::restore(
        config.adam,
        number("adam_g_step")?,
        &strip("adam_g", &tensors),
        &inner,
    );
    gan.adam_d = Adam::restore(
        config.adam,
        number("adam_d_step")?,
        &strip("adam_d", &tensors),
        &inner,
    );
    gan.iteration = number("iteration")?;
    gan.rng = parse_rng(path, meta.get("rng").map(String::as_str).unwrap_or(""))?;
    Ok(gan)
}

/// Loads one network of a checkpoint, built by `build` and stored under `prefix`.
fn load_network<M: burn::module::Module>(
    path: &Path,
    prefix: &str,
    build: impl FnOnce(&crate::model::ModelConfig) -> M,
) -> Result<(M, TrainConfig)> {
    let (config, tensors, _) = read_config(path)?;
    config
        .model
        .validate()
        .map_err(|e| Error::format(path, format!("stored configuration is invalid: {e}")))?;
    let net = weights::load(build(&config.model), &strip(prefix, &tensors), path)?;
    Ok((net, config))
}

/// Loads just the generator of an unconditional model from a checkpoint, with its
/// configuration; a conditional model is an error naming the file (its G needs a class: see
/// [`load_any_generator`]). On a plain (not autodiff) device it runs in inference mode.
pub fn load_generator(
    path: &Path,
    device: &burn::tensor::Device,
) -> Result<(Generator, TrainConfig)> {
    unconditional(path, load_any_generator(path, device)?)
}

/// Loads just the generator from a checkpoint, conditional or not.
pub fn load_any_generator(
    path: &Path,
    device: &burn::tensor::Device,
) -> Result<(Generator, TrainConfig)> {
    load_network(path, "g", |m| Generator::new(m, device))
}

/// Loads just the discriminator of an unconditional model from a checkpoint, with its
/// configuration; a conditional model is an error naming the file.
pub fn load_discriminator(
    path: &Path,
    device: &burn::tensor::Device,
) -> Result<(Discriminator, TrainConfig)> {
    unconditional(path, load_any_discriminator(path, device)?)
}

/// Loads just the discriminator from a checkpoint, conditional or not.
pub fn load_any_discriminator(
    path: &Path,
    device: &burn::tensor::Device,
) -> Result<(Discriminator, TrainConfig)> {
    load_network(path, "d", |m| Discriminator::new(m, device))
}

/// `loaded`, unless its model is conditional.
fn unconditional<M>(path: &Path, loaded: (M, TrainConfig)) -> Result<(M, TrainConfig)> {
    if loaded.1.model.is_conditional() {
        return Err(Error::format(
            path,
            format!(
                "is a conditional model ({} classes): this command works on unconditional \
                 models; sample it with `dcgan sample --class`, evaluate it with `dcgan \
                 conditional-eval`",
                loaded.1.model.classes
            ),
        ));
    }
    Ok(loaded)
}
