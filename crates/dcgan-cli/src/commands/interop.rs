//! `dcgan export` and `dcgan import`.

use anyhow::{Result, bail};
use dcgan::data::DataSource;
use dcgan::run::RunDir;
use dcgan::train::TrainConfig;

use crate::cli::{ExportArgs, ImportArgs};

pub fn export(args: ExportArgs) -> Result<()> {
    if args.netg.is_none() && args.netd.is_none() {
        bail!("nothing to write: give --netg FILE and/or --netd FILE");
    }
    let path = args.from.path()?;
    dcgan::interop::export_pytorch(&path, args.netg.as_deref(), args.netd.as_deref())?;
    for p in [&args.netg, &args.netd].into_iter().flatten() {
        println!("wrote {}", p.display());
    }
    Ok(())
}

pub fn import(args: ImportArgs) -> Result<()> {
    let data: DataSource = args.data.parse()?;
    // PyTorch's example trains at 64x64 whatever the data; so is the default here.
    let mut model_args = args.model;
    model_args.image_size.get_or_insert(64);
    let model = super::model_config(&model_args, &data, 64)?;
    let config = TrainConfig::new(model, data);
    let run = RunDir::new(&args.out);
    let ckpt = dcgan::interop::import_pytorch(
        &run,
        &config,
        &args.netg,
        args.netd.as_deref(),
        args.force,
    )?;
    println!(
        "created run {} with checkpoint {}",
        run.root().display(),
        ckpt.display()
    );
    Ok(())
}
