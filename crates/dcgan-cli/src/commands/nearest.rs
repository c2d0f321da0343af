//! `dcgan nearest`: generated samples beside their nearest training images (memorisation check).

use anyhow::{Result, bail};
use dcgan::nearest::check::{self, Check};
use dcgan::render::default_zoom;

use crate::cli::NearestArgs;
use crate::progress::StagedBar;

pub fn run(args: NearestArgs) -> Result<()> {
    if args.out.is_none() && args.json.is_none() {
        bail!("nothing to write: give --out FILE.png and/or --json FILE.json");
    }
    if args.n == 0 || args.k == 0 || args.chunk == 0 {
        bail!("invalid --n, --k or --chunk: each must be at least 1");
    }
    let device = super::open_device(&args.figure.device)?;
    let checkpoint = args.from.path()?;
    let config = dcgan::train::checkpoint::config_of(&checkpoint)?;
    let data = super::data_for_run(args.data.as_deref(), &config, args.convert)?;
    let c = Check {
        checkpoint,
        data,
        n: args.n,
        k: args.k,
        chunk: args.chunk,
        held_out: args.held_out,
        seed: args.seed,
        pixels_only: args.pixels_only,
    };
    let mut bar = StagedBar::new();
    let report = check::run(&c, &device, &mut |stage, done, total| {
        bar.update(stage, done, total)
    });
    bar.finish();
    let report = report?;
    for line in report.lines() {
        println!("{line}");
    }
    if let Some(out) = &args.out {
        let zoom = args
            .figure
            .zoom
            .unwrap_or(default_zoom(report.model.image_size));
        report.figure(args.show, zoom)?.save(out)?;
        println!("wrote {}", out.display());
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        dcgan::run::write_atomic(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
