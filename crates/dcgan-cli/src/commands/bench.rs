//! `dcgan bench`: images per second of training, sampling and the data pipeline.

use anyhow::{Context, Result, bail};
use dcgan::bench::{self, Repeats, Timing};
use dcgan::data::{DataSource, Dataset, Split};
use serde_json::{Value, json};

use crate::cli::BenchArgs;

pub fn run(args: BenchArgs) -> Result<()> {
    for what in &args.what {
        if !matches!(
            what.as_str(),
            "train" | "sample" | "data" | "inception" | "fid" | "tensorboard"
        ) {
            bail!(
                "invalid --what: unknown workload `{what}`; expected train, sample, data, \
                 inception, fid or tensorboard"
            );
        }
    }
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    bench::set_threads(threads)?;
    let device = super::open_device(&args.device)?;
    let repeats = Repeats {
        warmup: args.warmup,
        iters: args.iters,
    };
    let wants = |w: &str| args.what.iter().any(|x| x == w);
    println!(
        "dcgan {} bench on {} with {threads} threads ({} timed after {} warm-up)",
        env!("CARGO_PKG_VERSION"),
        args.device,
        args.iters,
        args.warmup
    );
    let mut records = Vec::new();
    let mut record = |workload: &str, size: usize, batch: usize, threads: usize, t: &Timing| {
        let peak = bench::peak_rss_bytes();
        println!(
            "{workload:>6} image {size:>3} batch {batch:>4} threads {threads}: {:>9.1} images/s \
             (median {:.4} s per repetition, peak RSS {})",
            t.images_per_s(),
            t.median_s(),
            peak.map_or("?".to_string(), |b| format!("{} MiB", b >> 20)),
        );
        records.push(json!({
            "workload": workload,
            "image_size": size,
            "batch_size": batch,
            "threads": threads,
            "device": args.device,
            "images_per_s": t.images_per_s(),
            "median_s": t.median_s(),
            "seconds": t.seconds,
            "peak_rss_bytes": peak,
        }));
    };
    // Train-step medians by (image size, batch), for the TensorBoard ratio below.
    let mut steps: Vec<(usize, usize, f64)> = Vec::new();
    for &size in &args.image_sizes {
        let model = bench::reference_model(size);
        for &batch in &args.batch_sizes {
            if wants("train") {
                let t = bench::train_step(&model, batch, repeats, &device)?;
                record("train", size, batch, threads, &t);
                steps.push((size, batch, t.median_s()));
            }
            if wants("sample") {
                let t = bench::sampling(&model, batch, repeats, &device)?;
                record("sample", size, batch, threads, &t);
            }
            if wants("inception") {
                let t = bench::inception_features(size, batch, repeats, &device)?;
                record("inception", size, batch, threads, &t);
            }
        }
    }
    if wants("tensorboard") {
        for &size in &args.image_sizes {
            // "images" here are iterations logged: images/s reads as iterations/s.
            let t = bench::tensorboard_logging(size, repeats)?;
            record("tboard", size, 100, 1, &t);
            let per_iteration = t.median_s() / 100.0;
            println!(
                "        TensorBoard logging: {:.1} us per iteration (scalars, and a 64-image grid \
                 every 100)",
                per_iteration * 1e6
            );
            for &(_, batch, step) in steps.iter().filter(|s| s.0 == size) {
                println!(
                    "        = {:.4}% of a training step at batch {batch} ({step:.4} s)",
                    100.0 * per_iteration / step
                );
            }
        }
    }
    if wants("fid") {
        let t = bench::fid_from_features(args.fid_n, 2048, repeats)?;
        record("fid", 2048, args.fid_n, threads, &t);
    }
    if wants("data") {
        match &args.data {
            Some(source) => {
                let source: DataSource = source.parse()?;
                let data = Dataset::open(&source, Split::Train, args.data_size, Some(3))?;
                let per_core = bench::pipeline(&data, args.data_images, 1, repeats)?;
                record("data", args.data_size, per_core.images, 1, &per_core);
                if threads > 1 {
                    let all = bench::pipeline(&data, args.data_images, threads, repeats)?;
                    record("data", args.data_size, all.images, threads, &all);
                }
            }
            None if args.what.len() == 1 => bail!("--what data needs --data (a folder of images)"),
            None => println!("  data: skipped (no --data)"),
        }
    }
    if let Some(path) = &args.json {
        let doc: Value = json!({
            "dcgan_version": env!("CARGO_PKG_VERSION"),
            "threads": threads,
            "device": args.device,
            "warmup": args.warmup,
            "iters": args.iters,
            "records": records,
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}
