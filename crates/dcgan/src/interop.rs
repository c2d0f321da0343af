//! Weights in PyTorch's `examples/dcgan` layout: export a run's G and D, or start a run folder
//! from a PyTorch-trained `netG` (and optionally `netD`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;

use crate::model::{Discriminator, Generator, weights};
use crate::run::RunDir;
use crate::train::{Gan, TrainConfig, checkpoint};
use crate::{Error, Result};

/// Writes the generator and/or discriminator of `checkpoint_path` with PyTorch's names.
pub fn export_pytorch(
    checkpoint_path: &Path,
    netg: Option<&Path>,
    netd: Option<&Path>,
) -> Result<()> {
    let device = Device::flex();
    let meta = |config: &TrainConfig, net: &str| {
        BTreeMap::from([
            ("format".to_string(), "pytorch-examples-dcgan".to_string()),
            ("net".to_string(), net.to_string()),
            (
                "model".to_string(),
                serde_json::to_string(&config.model).expect("serialises"),
            ),
        ])
    };
    if let Some(out) = netg {
        let (g, config) = checkpoint::load_any_generator(checkpoint_path, &device)?;
        weights::write_safetensors(
            out,
            &weights::generator_to_pytorch(&g),
            meta(&config, "netG"),
        )?;
    }
    if let Some(out) = netd {
        let (d, config) = checkpoint::load_any_discriminator(checkpoint_path, &device)?;
        weights::write_safetensors(
            out,
            &weights::discriminator_to_pytorch(&d),
            meta(&config, "netD"),
        )?;
    }
    Ok(())
}

/// Creates a run folder whose first checkpoint holds the PyTorch weights in `netg` (and `netd`,
/// else a freshly initialised D), so that `sample` and `train --resume` work on it. `config`
/// must describe the PyTorch model's shape; a mismatch is an error naming the file and tensor.
pub fn import_pytorch(
    run: &RunDir,
    config: &TrainConfig,
    netg: &Path,
    netd: Option<&Path>,
    force: bool,
) -> Result<PathBuf> {
    let imported = import_models(run, config, netg, netd, force);
    // The models built on the autodiff device are dropped untrained, refused or not.
    crate::model::graphs::sweep_dropped();
    imported
}

fn import_models(
    run: &RunDir,
    config: &TrainConfig,
    netg: &Path,
    netd: Option<&Path>,
    force: bool,
) -> Result<PathBuf> {
    config.model.validate()?;
    if (run.config().exists() || run.checkpoints().exists()) && !force {
        return Err(Error::RunExists {
            path: run.root().to_path_buf(),
        });
    }
    let device = Device::flex().autodiff();
    let fresh = Gan::new(config, &device);
    let (g_tensors, _) = weights::read_safetensors(netg)?;
    let g =
        weights::generator_from_pytorch(Generator::new(&config.model, &device), &g_tensors, netg)?;
    let d = match netd {
        Some(path) => {
            let (d_tensors, _) = weights::read_safetensors(path)?;
            weights::discriminator_from_pytorch(
                Discriminator::new(&config.model, &device),
                &d_tensors,
                path,
            )?
        }
        None => fresh.d,
    };
    let gan = Gan::from_parts(config, g, d, &device);
    if force {
        run.clear_outputs()?;
    }
    let json = serde_json::to_string_pretty(config).expect("config serialises");
    crate::run::write_atomic(&run.config(), json.as_bytes())?;
    checkpoint::save(run, &gan, config.keep_checkpoints.max(1))
}
