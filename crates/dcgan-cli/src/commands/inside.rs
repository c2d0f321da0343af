//! `dcgan visualize` and `dcgan forget`: inside the networks (paper sections 6.2 and 6.3.1).

use anyhow::{Result, bail};
use dcgan::data::{Dataset, Split};
use dcgan::figures::{self, GuidedPanel};
use dcgan::inside::forget;
use dcgan::inside::guided;
use dcgan::latent::parse_seed_list;
use dcgan::render::default_zoom;

use super::load_generator;
use crate::cli::{ForgetArgs, VisualizeArgs};

pub fn visualize(args: VisualizeArgs) -> Result<()> {
    if args.top == 0 || args.scan == 0 {
        bail!("invalid --top or --scan: each must be at least 1");
    }
    let features: Vec<usize> = parse_seed_list("--features", &args.features)?
        .into_iter()
        .map(|f| f as usize)
        .collect();
    let device = super::open_device(&args.figure.device)?;
    let checkpoint = args.from.path()?;
    let (d, config) = dcgan::train::checkpoint::load_discriminator(&checkpoint, &device)?;
    let model = config.model.clone();
    let layers = d.blocks.len() + 1;
    let layer = guided::parse_layer(&args.layer, layers)?;
    let (channels, _) = guided::layer_shape(&model, layer);
    if let Some(f) = features.iter().find(|&&f| f >= channels) {
        bail!(
            "invalid --features: D's layer {layer} has {channels} features (0-{}), not {f}",
            channels - 1
        );
    }
    let source = super::data_for_run(args.data.as_deref(), &config, args.convert)?;
    let data = Dataset::open(
        &source,
        Split::Train,
        model.image_size,
        Some(model.channels),
    )?;
    let n = args.scan.min(data.len());
    let idx: Vec<usize> = (0..n).map(|i| i * data.len() / n).collect();
    let images = data.batch(&idx)?;
    let zoom = args.figure.zoom.unwrap_or(default_zoom(model.image_size));
    let parts = guided::trained_and_random(
        &d,
        &model,
        &images,
        layer,
        &features,
        args.top,
        args.random_seed,
        &device,
    );
    let panels: Vec<_> = parts
        .iter()
        .map(|v| {
            let panel = GuidedPanel {
                features: &features,
                responses: &v.responses,
                images: &images,
                maps: &v.maps,
            };
            (v.title.clone(), figures::guided_figure(&panel, zoom))
        })
        .collect();
    figures::side_by_side(&panels).save(&args.out)?;
    println!(
        "layer {layer} ({channels} features), {} features x top {} of {n} images scanned from {source}",
        features.len(),
        args.top
    );
    println!("wrote {}", args.out.display());
    Ok(())
}

pub fn forget(args: ForgetArgs) -> Result<()> {
    let seeds = parse_seed_list("--seeds", &args.seeds)?;
    if !(args.l2 >= 0.0 && args.l2.is_finite()) {
        bail!("invalid --l2: must be a non-negative number");
    }
    let (g, model, device) = load_generator(&args.from, &args.figure.device)?;
    let layer = forget::parse_layer(&args.layer, g.blocks.len())?;
    let boxes = forget::read_boxes(&args.boxes, model.image_size)?;
    let f = forget::run(&g, &model, layer, &boxes, &seeds, args.l2, &device);
    let zoom = args.figure.zoom.unwrap_or(default_zoom(model.image_size));
    figures::forget_figure(&seeds, &f.before, &f.after, f.dropped.len(), zoom).save(&args.out)?;
    println!(
        "layer {layer}: {} positions inside {} boxes, {} outside; regression accuracy {:.1}%",
        f.positives,
        boxes.len(),
        f.negatives,
        100.0 * f.accuracy
    );
    println!(
        "dropped {} of {} feature maps: {:?}",
        f.dropped.len(),
        f.channels,
        f.dropped
    );
    println!("wrote {}", args.out.display());
    Ok(())
}
