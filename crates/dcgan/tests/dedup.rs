//! The paper's de-duplication on real images with planted near-duplicates: 3,000 CIFAR-10 test
//! images, and 300 copies of some of them re-encoded as JPEG at another quality, shifted by
//! 1-2 pixels, made brighter or tinted. The hash (and its pixel check) must find at least 90%
//! of the planted pairs and flag at most 1% of the distinct images; exact nearest neighbours
//! in pixel space are measured beside it as the baseline (RESULTS.md).

mod common;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use dcgan::data::{DataSource, Dataset, Split};
use dcgan::dedup::{self, AutoencoderTraining, DedupConfig, baseline};

const ORIGINALS: usize = 3000;
const PLANTED: usize = 300;

/// The first `n` CIFAR-10 test images as RGB.
fn cifar_images(archive: &Path, n: usize) -> Vec<image::RgbImage> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
    let mut tar = tar::Archive::new(gz);
    let mut out = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().extension().and_then(|e| e.to_str()) != Some("jpg") {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.push(image::load_from_memory(&bytes).unwrap().to_rgb8());
        if out.len() == n {
            break;
        }
    }
    out
}

/// Variant `kind` of `img`: a near-duplicate as a scrape of the web would hold it.
fn near_copy(img: &image::RgbImage, kind: usize) -> Vec<u8> {
    let (w, h) = img.dimensions();
    let shifted = |dx: i64, dy: i64| {
        image::RgbImage::from_fn(w, h, |x, y| {
            let sx = (x as i64 - dx).clamp(0, w as i64 - 1) as u32;
            let sy = (y as i64 - dy).clamp(0, h as i64 - 1) as u32;
            *img.get_pixel(sx, sy)
        })
    };
    let mapped = |f: &dyn Fn([u8; 3]) -> [u8; 3]| {
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb(f(img.get_pixel(x, y).0)))
    };
    let (out, quality) = match kind % 6 {
        0 => (img.clone(), 40),    // re-encoded at a low quality
        1 => (shifted(1, 0), 95),  // shifted one pixel right
        2 => (shifted(-1, 2), 95), // shifted two down, one left
        3 => (mapped(&|p| p.map(|v| v.saturating_add(18))), 95), // brighter
        4 => (
            mapped(&|[r, g, b]| [r.saturating_add(14), g, b.saturating_sub(10)]),
            95,
        ), // tint
        _ => (shifted(0, -1), 60), // shifted one up, and re-encoded
    };
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(&out)
        .unwrap();
    bytes
}

#[test]
fn planted_near_duplicates_are_found_and_distinct_images_are_not() {
    let test = "planted_near_duplicates_are_found_and_distinct_images_are_not";
    let Some(archive) = common::real_data(test, "cifar10-jpg/cifar10-jpg-test.tar.gz") else {
        return;
    };
    let images = cifar_images(&archive, ORIGINALS);
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("images");
    std::fs::create_dir(&folder).unwrap();
    for (k, img) in images.iter().enumerate() {
        img.save(folder.join(format!("a{k:05}.png"))).unwrap();
    }
    // Copy p is of original 10p (spread over the set), named so it sorts after them.
    for p in 0..PLANTED {
        std::fs::write(
            folder.join(format!("b{p:05}.jpg")),
            near_copy(&images[10 * p], p),
        )
        .unwrap();
    }
    let source = DataSource::Folder(folder.clone());
    let data = Arc::new(Dataset::open(&source, Split::Train, 32, Some(3)).unwrap());
    assert_eq!(data.len(), ORIGINALS + PLANTED);
    let copy_of = |i: usize| (i >= ORIGINALS).then(|| 10 * (i - ORIGINALS));

    let config = DedupConfig {
        training: AutoencoderTraining {
            iterations: 600,
            ..AutoencoderTraining::default()
        },
        ..DedupConfig::default()
    };
    let device = burn::tensor::Device::flex();
    let report = dedup::find_duplicates(data.clone(), &config, &device, &mut |_, _, _| {}).unwrap();
    // Recall of the planted pairs and the share of distinct images flagged (grouped with
    // anything but their own copy), for a set of duplicate pairs.
    let n = data.len();
    let score = |pairs: &[(u32, u32)]| {
        let groups = dedup::hash::groups(n, pairs);
        let mut group_of = vec![usize::MAX; n];
        let mut flagged = vec![false; n];
        for (g, group) in groups.iter().enumerate() {
            for &m in group {
                group_of[m as usize] = g;
            }
            let exact_pair =
                group.len() == 2 && copy_of(group[1] as usize) == Some(group[0] as usize);
            for &m in group {
                flagged[m as usize] = !exact_pair;
            }
        }
        let found = (0..PLANTED)
            .filter(|&p| {
                group_of[10 * p] != usize::MAX && group_of[10 * p] == group_of[ORIGINALS + p]
            })
            .count();
        let false_pos = (0..ORIGINALS).filter(|&i| flagged[i]).count();
        (
            found as f64 / PLANTED as f64,
            false_pos as f64 / ORIGINALS as f64,
        )
    };
    eprintln!(
        "hash: {} candidates, {} confirmed, {} groups; autoencoder {:.1} s (MSE {:.4}), hashing \
         {:.2} s ({:.0} images/s, 9 probes each), buckets {:.3} s, confirming {:.2} s",
        report.candidates,
        report.confirmed,
        report.groups.len(),
        report.seconds.train,
        report.reconstruction_mse,
        report.seconds.hash,
        report.hash_rate,
        report.seconds.candidates,
        report.seconds.confirm
    );
    for max in [0.2, 0.25, 0.3, 0.35, 0.4, 0.5] {
        let pairs: Vec<(u32, u32)> = report
            .candidate_distances
            .iter()
            .filter(|(_, d)| f64::from(*d) <= max)
            .map(|(p, _)| *p)
            .collect();
        let (r, f) = score(&pairs);
        eprintln!(
            "hash + pixel check at distance <= {max}: recall {:.1}% of {PLANTED} planted pairs, \
             {:.2}% of {ORIGINALS} distinct images flagged",
            100.0 * r,
            100.0 * f
        );
    }
    let groups: Vec<(u32, u32)> = report
        .groups
        .iter()
        .flat_map(|g| g.members.windows(2).map(|w| (w[0] as u32, w[1] as u32)))
        .collect();
    let (recall, fp) = score(&groups);
    assert!(recall >= 0.9, "recall {recall}");
    assert!(fp <= 0.01, "false positives {fp}");

    // The baseline: exact nearest neighbours in pixel space, at a few thresholds.
    let t = std::time::Instant::now();
    let nearest = baseline::nearest_others(&data, &device).unwrap();
    let seconds = t.elapsed().as_secs_f64();
    for max_rms in [5.0, 10.0, 15.0, 20.0, 30.0] {
        let (r, f) = score(&baseline::pairs_within(&nearest, max_rms));
        eprintln!(
            "exact pixel nearest neighbour, RMS <= {max_rms}: recall {:.1}%, {:.2}% of distinct \
             images flagged ({seconds:.1} s for the exhaustive search)",
            100.0 * r,
            100.0 * f
        );
    }

    // The outputs: the keep-list leaves out one of each group and reads back; the figure is
    // written.
    let out = tmp.path().join("dedup");
    let outputs = dedup::write_outputs(&report, &data, &out).unwrap();
    let list = dedup::KeepList::read(&outputs.keep).unwrap();
    assert_eq!(list.kept.len(), data.len() - report.removed);
    list.check(&data, &outputs.keep).unwrap();
    for g in &report.groups {
        assert!(list.kept.binary_search(&g.members[0]).is_ok());
        assert!(
            g.members[1..]
                .iter()
                .all(|m| list.kept.binary_search(m).is_err())
        );
    }
    let sheet = image::open(&outputs.sheet).unwrap();
    assert!(sheet.width() > 400 && sheet.height() > 64);
    // A keep-list of another listing is refused.
    std::fs::write(
        folder.join("c_extra.png"),
        std::fs::read(folder.join("a00001.png")).unwrap(),
    )
    .unwrap();
    let grown = Dataset::open(&source, Split::Train, 32, Some(3)).unwrap();
    let err = list.check(&grown, &outputs.keep).unwrap_err().to_string();
    assert!(
        err.contains("keep.txt") && err.contains("does not fit"),
        "{err}"
    );
}
