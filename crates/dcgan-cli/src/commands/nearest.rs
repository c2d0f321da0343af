//! `dcgan nearest`: generated samples beside their nearest training images (memorisation check).

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use dcgan::figures::Neighbours;
use dcgan::nearest::{self, DistanceSummary, Neighbour};
use dcgan::render::default_zoom;
use dcgan::sample::{generate, z_for_seeds};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::cli::NearestArgs;

pub fn run(args: NearestArgs) -> Result<()> {
    if args.out.is_none() && args.json.is_none() {
        bail!("nothing to write: give --out FILE.png and/or --json FILE.json");
    }
    if args.n == 0 || args.k == 0 || args.chunk == 0 {
        bail!("invalid --n, --k or --chunk: each must be at least 1");
    }
    let device = super::open_device(&args.figure.device)?;
    let checkpoint = args.from.path()?;
    let (g, config) = dcgan::train::checkpoint::load_generator(&checkpoint, &device)?;
    let model = config.model.clone();
    let source = super::data_for_run(args.data.as_deref(), &config, args.convert)?;
    let d = if args.pixels_only {
        None
    } else {
        Some(dcgan::train::checkpoint::load_discriminator(&checkpoint, &device)?.0)
    };
    let reference = nearest::reference(&source, &model, args.held_out, args.seed)?;
    let seeds: Vec<u64> = (args.seed..args.seed + args.n as u64).collect();
    let samples = generate(&g, &z_for_seeds(&seeds, &model), model.nz, 64, &device);
    // Samples and held-out images are searched in one pass.
    let per = reference.train.image_len();
    let n_held = reference.held_out.len() / per;
    let mut queries = samples.clone();
    queries.extend_from_slice(&reference.held_out);
    eprintln!(
        "searching {} training images of {source} for {} samples and {}",
        reference.search.len(),
        args.n,
        reference.held_out_from
    );
    let bar = ProgressBar::new(reference.search.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} images [{elapsed_precise} < {eta_precise}]",
        )
        .expect("valid template"),
    );
    let started = std::time::Instant::now();
    let found = nearest::search_dataset(
        &reference.train,
        &reference.search,
        &queries,
        d.as_ref().map(|d| (d, &model)),
        args.k,
        args.chunk,
        &device,
        |done, _| bar.set_position(done as u64),
    )?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    let (pixel_s, pixel_h) = found.pixel.split_at(args.n);
    let feature = found.feature.as_ref().map(|f| f.split_at(args.n));
    let mut spaces = BTreeMap::new();
    let mut report = |space: &str, s: &[Vec<Neighbour>], h: &[Vec<Neighbour>]| {
        let (ss, hs) = (DistanceSummary::of(s), DistanceSummary::of(h));
        println!(
            "{space:>8}: nearest-neighbour distance, samples mean {:.3} (median {:.3}, min {:.3}); \
             held-out real mean {:.3} (median {:.3}, min {:.3}); ratio {:.2}",
            ss.mean,
            ss.median,
            ss.min,
            hs.mean,
            hs.median,
            hs.min,
            ss.mean / hs.mean
        );
        spaces.insert(
            space.to_string(),
            json!({"samples": ss, "held_out": hs, "ratio_of_means": ss.mean / hs.mean,
                   "sample_neighbours": s}),
        );
    };
    report("pixels", pixel_s, pixel_h);
    if let Some((fs, fh)) = feature {
        report("features", fs, fh);
    }
    println!(
        "searched {} images in {seconds:.1} s ({:.0} images/s); a ratio well below 1 means \
         samples sit closer to training images than unseen real images do: look for copies",
        reference.search.len(),
        reference.search.len() as f64 / seconds.max(1e-9)
    );

    if let Some(out) = &args.out {
        let show = args.show.min(args.n);
        let fetch = |lists: &[Vec<Neighbour>]| -> dcgan::Result<Vec<Vec<f32>>> {
            lists[..show]
                .iter()
                .map(|l| {
                    let idx: Vec<usize> = l.iter().map(|n| n.index).collect();
                    reference.train.batch(&idx)
                })
                .collect()
        };
        let pixel_images = fetch(pixel_s)?;
        let feature_images = feature.map(|(fs, _)| fetch(fs)).transpose()?;
        let labels: Vec<String> = seeds[..show].iter().map(u64::to_string).collect();
        let zoom = args.figure.zoom.unwrap_or(default_zoom(model.image_size));
        let canvas = dcgan::figures::nearest_figure(
            &samples[..show * per],
            &labels,
            Neighbours {
                found: &pixel_s[..show],
                images: &pixel_images,
            },
            feature
                .zip(feature_images.as_deref())
                .map(|((fs, _), images)| Neighbours {
                    found: &fs[..show],
                    images,
                }),
            &model,
            zoom,
        );
        canvas.save(out)?;
        println!("wrote {}", out.display());
    }
    if let Some(path) = &args.json {
        let value = json!({
            "checkpoint": checkpoint.display().to_string(),
            "data": source.to_string(),
            "searched": reference.search.len(),
            "held_out": {"count": n_held, "from": reference.held_out_from},
            "sample_seeds": seeds,
            "k": args.k,
            "seconds": seconds,
            "spaces": spaces,
        });
        let text = serde_json::to_string_pretty(&value)?;
        dcgan::run::write_atomic(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
