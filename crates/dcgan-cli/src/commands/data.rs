//! `dcgan data`: fetching public datasets, packing a source into one memory-mapped file.

use anyhow::Result;
use dcgan::data::{DataSource, Dataset};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{DataCommand, DedupArgs, FetchArgs, PackArgs};

pub fn run(command: DataCommand) -> Result<()> {
    match command {
        DataCommand::Fetch(args) => fetch(args),
        DataCommand::Pack(args) => pack(args),
    }
}

fn fetch(args: FetchArgs) -> Result<()> {
    use dcgan::data::fetch::{self, Outcome};
    let remote = fetch::remote(&args.name)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {bar:30.cyan/blue} {bytes}/{total_bytes} [{elapsed_precise} < {eta}] \
             {bytes_per_sec}",
        )
        .expect("valid template"),
    );
    let report = fetch::fetch(
        &remote,
        &args.to,
        args.mirror.as_deref(),
        &mut |name, done, total| {
            bar.set_message(name.to_string());
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    let report = report?;
    for (f, spec) in report.files.iter().zip(&remote.files) {
        let checked = if spec.md5.is_some() {
            "MD5 verified"
        } else {
            "no published checksum to verify"
        };
        let what = match &f.outcome {
            Outcome::Present => format!("already there, {checked}"),
            Outcome::Downloaded {
                bytes,
                resumed_from: 0,
            } => format!("downloaded {bytes} bytes, {checked}"),
            Outcome::Downloaded {
                bytes,
                resumed_from,
            } => format!("resumed at byte {resumed_from}, downloaded {bytes} more, {checked}"),
        };
        println!("{}: {what} (SHA-256 {})", f.path.display(), f.sha256);
    }
    println!("train from it with --data {}", report.source);
    Ok(())
}

fn pack(args: PackArgs) -> Result<()> {
    let source: DataSource = args.data.parse()?;
    let size =
        args.image_size
            .or(source.native_size())
            .unwrap_or(if source == DataSource::Builtin {
                32
            } else {
                dcgan::defaults::IMAGE_SIZE
            });
    let data = Dataset::open(&source, args.split, size, args.channels)?;
    let bar = ProgressBar::new(data.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "packing {bar:30.cyan/blue} {pos}/{len} images [{elapsed_precise} < {eta_precise}] \
             {per_sec}",
        )
        .expect("valid template"),
    );
    let report = dcgan::data::pack(&data, &args.out, args.force, &mut |done, _| {
        bar.set_position(done as u64)
    });
    bar.finish_and_clear();
    let report = report?;
    let h = &report.header;
    for bad in &report.bad {
        eprintln!("left out: {}", bad.message);
    }
    println!(
        "packed {} images of {}x{}x{} from {} into {} ({:.1} MB, {:.1} s, {:.0} images/s){}",
        h.count,
        h.channels,
        h.size,
        h.size,
        source,
        args.out.display(),
        report.bytes as f64 / 1e6,
        report.seconds,
        h.count as f64 / report.seconds.max(1e-9),
        match report.bad.len() {
            0 => String::new(),
            n => format!("; {n} records did not decode and were left out"),
        }
    );
    println!("train from it with --data packed:{}", args.out.display());
    Ok(())
}

pub fn dedup(args: DedupArgs) -> Result<()> {
    use dcgan::dedup::{self, AutoencoderTraining, DedupConfig};
    let device = super::open_device(&args.device)?;
    let source: DataSource = args.data.parse()?;
    let data = std::sync::Arc::new(Dataset::open(&source, args.split, 32, Some(3))?);
    let config = DedupConfig {
        training: AutoencoderTraining {
            iterations: args.iterations,
            batch_size: args.batch_size,
            seed: args.seed,
            ..AutoencoderTraining::default()
        },
        max_hamming: args.max_hamming,
        max_distance: args.max_distance,
        ..DedupConfig::default()
    };
    let mut bar = crate::progress::StagedBar::new();
    let report = dedup::find_duplicates(data.clone(), &config, &device, &mut |stage, done, of| {
        bar.update(stage, done as usize, of as usize)
    });
    bar.finish();
    let report = report?;
    let outputs = dedup::write_outputs(&report, &data, &args.out)?;
    let s = &report.seconds;
    println!(
        "{} images of {}: {} candidate pairs, {} confirmed, {} groups; the keep-list leaves out \
         {} near-duplicates{}",
        report.images,
        report.source,
        report.candidates,
        report.confirmed,
        report.groups.len(),
        report.removed,
        match report.bad.len() {
            0 => String::new(),
            n => format!(" and {n} records that did not decode"),
        }
    );
    println!(
        "autoencoder {:.1} s (reconstruction MSE {:.4}), hashing {:.1} s ({:.0} images/s), \
         buckets {:.2} s, confirming {:.1} s",
        s.train, report.reconstruction_mse, s.hash, report.hash_rate, s.candidates, s.confirm
    );
    if report.crowded_buckets > 0 {
        println!(
            "{} hash buckets held more than {} image probes ({} in all) and were passed over: \
             their images were compared through their other bands only",
            report.crowded_buckets,
            dedup::hash::MAX_BUCKET,
            report.crowded_entries
        );
    }
    println!(
        "at this rate, hashing LSUN bedrooms' {} images would take {:.1} hours",
        dedup::LSUN_BEDROOMS,
        report.lsun_bedrooms_hash_seconds / 3600.0
    );
    println!("groups:    {}", outputs.json.display());
    println!(
        "keep-list: {} (dcgan train --keep-list)",
        outputs.keep.display()
    );
    println!("figure:    {}", outputs.sheet.display());
    Ok(())
}
