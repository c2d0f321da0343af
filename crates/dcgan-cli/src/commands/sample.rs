//! `dcgan sample`.

use anyhow::{Result, bail};
use dcgan::latent::parse_seeds;
use dcgan::render::{contact_sheet, default_zoom};
use dcgan::sample::{generate, inputs, z_for_grid, z_for_seeds};
use dcgan::train::checkpoint;

use crate::cli::SampleArgs;

/// Images generated per forward pass.
const BATCH: usize = 64;

pub fn run(args: SampleArgs) -> Result<()> {
    if args.out.is_none() && args.out_dir.is_none() && args.sheet.is_none() {
        bail!("nothing to write: give --out FILE.png, --out-dir DIR and/or --sheet FILE.png");
    }
    if args.n == 0 {
        bail!("invalid --n: must be at least 1");
    }
    let seeds = args.seeds.as_deref().map(parse_seeds).transpose()?;
    let device = super::open_device(&args.device)?;
    let path = args.from.path()?;
    let (g, config) = checkpoint::load_any_generator(&path, &device)?;
    let m = &config.model;
    let (z, names): (Vec<f32>, Vec<String>) = match &seeds {
        Some(seeds) => (
            z_for_seeds(seeds, m),
            seeds.iter().map(|s| format!("seed_{s:06}.png")).collect(),
        ),
        None => (
            z_for_grid(args.seed, args.n, m),
            (0..args.n).map(|i| format!("img_{i:06}.png")).collect(),
        ),
    };
    let z = inputs(z, m, args.class, &path)?;
    let images = generate(&g, &z, m.generator_input(), BATCH, &device);
    if let Some(out) = &args.out {
        dcgan::render::save_grid(out, &images, args.columns)?;
        println!("wrote {} images to {}", names.len(), out.display());
    }
    if let Some(sheet) = &args.sheet {
        // Captions are the seeds (with --seeds) or the images' places in the grid's batch.
        let labels: Vec<String> = match &seeds {
            Some(seeds) => seeds.iter().map(u64::to_string).collect(),
            None => (0..args.n).map(|i| format!("#{i}")).collect(),
        };
        let columns = args
            .columns
            .unwrap_or_else(|| (labels.len() as f64).sqrt().ceil() as usize);
        let zoom = args.zoom.unwrap_or(default_zoom(m.image_size));
        let (canvas, entries) = contact_sheet(&images, &labels, columns, zoom);
        canvas.save(sheet)?;
        let index = sheet.with_extension("json");
        let json = serde_json::json!({
            "checkpoint": path.display().to_string(),
            "tiles": entries,
        });
        dcgan::run::write_atomic(&index, serde_json::to_string_pretty(&json)?.as_bytes())?;
        println!(
            "wrote a contact sheet of {} images to {} (index {})",
            labels.len(),
            sheet.display(),
            index.display()
        );
    }
    if let Some(dir) = &args.out_dir {
        for (img, name) in images.iter().zip(&names) {
            dcgan::render::save_image(&dir.join(name), img)?;
        }
        println!("wrote {} images to {}", names.len(), dir.display());
    }
    Ok(())
}
