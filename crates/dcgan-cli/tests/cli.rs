//! The real `dcgan` binary, run in temporary folders: a short train, resume, sample, export and
//! import; and every bad input giving one clear message, a non-zero exit, no panic, and nothing
//! on disk changed.

#[path = "../../dcgan/tests/common/data.rs"]
mod data;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dcgan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcgan"))
        .args(args)
        .output()
        .expect("runs")
}

fn ok(args: &[&str]) -> String {
    let out = dcgan(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dcgan {args:?} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail; returns its error output after checking it is clean.
fn fails(args: &[&str]) -> String {
    let out = dcgan(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "dcgan {args:?} succeeded");
    assert!(
        !stderr.contains("panicked"),
        "dcgan {args:?} panicked:\n{stderr}"
    );
    assert!(stderr.contains("error"), "{stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A tiny model so that each run takes a second.
const TINY: [&str; 10] = [
    "--image-size",
    "16",
    "--ngf",
    "8",
    "--ndf",
    "8",
    "--nz",
    "16",
    "--batch-size",
    "16",
];

fn train_tiny(out: &Path, iters: &str) {
    let mut args = vec![
        "train",
        "--out",
        s(out),
        "--max-iters",
        iters,
        "--sample-every",
        "2",
        "--checkpoint-every",
        "2",
        "--quiet",
    ];
    args.extend(TINY);
    ok(&args);
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

fn png(path: &Path) -> image::RgbImage {
    image::open(path).unwrap().to_rgb8()
}

#[test]
fn help_lists_the_commands_and_the_papers_defaults() {
    let help = ok(&["--help"]);
    for cmd in [
        "train",
        "sample",
        "export",
        "import",
        "interpolate",
        "arithmetic",
        "turn",
        "nearest",
        "visualize",
        "forget",
        "features",
        "classify",
        "metrics",
        "classifier",
    ] {
        assert!(help.contains(cmd), "{help}");
    }
    let train = ok(&["train", "--help"]);
    for flag in [
        "--data",
        "--resume",
        "--force",
        "--image-size",
        "--kernel",
        "--latent",
        "--device",
        "--epochs",
        "--max-iters",
    ] {
        assert!(train.contains(flag), "{flag} missing:\n{train}");
    }
    assert!(
        train.contains("[default: 128]")
            && train.contains("[default: 0.0002]")
            && train.contains("[default: 0.5]")
    );
}

#[test]
fn train_resume_sample_export_import() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train_tiny(&run, "4");
    for f in [
        "config.json",
        "metrics.jsonl",
        "loss.png",
        "samples/latest.png",
        "samples/iter_00000002.png",
        "checkpoints/ckpt_00000004.safetensors",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    assert_eq!(lines(&run.join("metrics.jsonl")), 4);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"]["image_size"], 16);
    assert_eq!(config["adam"]["beta1"], 0.5);

    // Resume to 6 iterations: two more lines, a new checkpoint, the last 3 kept.
    ok(&["train", "--resume", s(&run), "--max-iters", "6", "--quiet"]);
    assert_eq!(lines(&run.join("metrics.jsonl")), 6);
    let ckpts: Vec<String> = std::fs::read_dir(run.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        ckpts.contains(&"ckpt_00000006.safetensors".to_string()),
        "{ckpts:?}"
    );

    // Sampling by seed: the image of seed 2 is the same alone or in a batch.
    let grid = tmp.path().join("grid.png");
    let each = tmp.path().join("each");
    ok(&[
        "sample",
        "--run",
        s(&run),
        "--seeds",
        "0-3",
        "--out",
        s(&grid),
        "--out-dir",
        s(&each),
    ]);
    let grid_image = png(&grid);
    assert_eq!(grid_image.dimensions(), (2 * 18 + 2, 2 * 18 + 2));
    // One file per seed is exactly the model's image: 16x16 RGB, no border, the grid's tile.
    for (k, seed) in (0..4).enumerate() {
        let file = image::open(each.join(format!("seed_{seed:06}.png"))).unwrap();
        assert_eq!(file.color(), image::ColorType::Rgb8);
        let file = file.to_rgb8();
        assert_eq!(file.dimensions(), (16, 16));
        let (x0, y0) = (2 + 18 * (k as u32 % 2), 2 + 18 * (k as u32 / 2));
        for (x, y, p) in file.enumerate_pixels() {
            assert_eq!(
                grid_image.get_pixel(x0 + x, y0 + y),
                p,
                "seed {seed} ({x}, {y})"
            );
        }
    }
    let alone = tmp.path().join("alone");
    ok(&[
        "sample",
        "--run",
        s(&run),
        "--seeds",
        "2",
        "--out-dir",
        s(&alone),
    ]);
    assert_eq!(
        png(&each.join("seed_000002.png")),
        png(&alone.join("seed_000002.png"))
    );
    assert_ne!(
        png(&each.join("seed_000001.png")),
        png(&each.join("seed_000002.png"))
    );

    // Export with PyTorch names, import into a new run: the same images come out.
    let (netg, netd) = (
        tmp.path().join("netG.safetensors"),
        tmp.path().join("netD.safetensors"),
    );
    ok(&[
        "export",
        "--run",
        s(&run),
        "--netg",
        s(&netg),
        "--netd",
        s(&netd),
    ]);
    let bytes = std::fs::read(&netg).unwrap();
    let names = String::from_utf8_lossy(&bytes[..4096.min(bytes.len())]).into_owned();
    assert!(
        names.contains("main.0.weight") && names.contains("main.1.running_var"),
        "{names}"
    );
    let imported = tmp.path().join("imported");
    let mut args = vec![
        "import",
        "--netg",
        s(&netg),
        "--netd",
        s(&netd),
        "--out",
        s(&imported),
    ];
    args.extend(&TINY[..8]);
    ok(&args);
    let again = tmp.path().join("again");
    ok(&[
        "sample",
        "--run",
        s(&imported),
        "--seeds",
        "0-3",
        "--out-dir",
        s(&again),
    ]);
    for seed in 0..4 {
        let name = format!("seed_{seed:06}.png");
        assert_eq!(png(&each.join(&name)), png(&again.join(&name)), "{name}");
    }
    // Importing into the wrong shape names the file and the tensor.
    let wrong = tmp.path().join("wrong");
    let err = fails(&[
        "import",
        "--netg",
        s(&netg),
        "--out",
        s(&wrong),
        "--image-size",
        "16",
        "--ngf",
        "16",
        "--ndf",
        "8",
        "--nz",
        "16",
    ]);
    assert!(
        err.contains("netG.safetensors") && err.contains("PyTorch name `main."),
        "{err}"
    );
}

/// Snapshot of every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = walk(dir)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn an_existing_run_is_neither_overwritten_nor_resumed_with_another_model() {
    let (tmp, run) = tiny_run();
    let before = snapshot(&run);
    let mut args = vec!["train", "--out", s(&run), "--max-iters", "2", "--quiet"];
    args.extend(TINY);
    let err = fails(&args);
    assert!(
        err.contains(s(&run)) && err.contains("--resume") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(snapshot(&run), before);

    // A config.json edited to another width: resuming refuses the checkpoint, names it.
    let config = std::fs::read_to_string(run.join("config.json"))
        .unwrap()
        .replace("\"ngf\": 8", "\"ngf\": 16");
    std::fs::write(run.join("config.json"), &config).unwrap();
    let err = fails(&["train", "--resume", s(&run), "--max-iters", "4"]);
    assert!(
        err.contains("ckpt_00000002.safetensors") && err.contains("another model configuration"),
        "{err}"
    );
    let after: Vec<_> = snapshot(&run)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("config.json"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(p, _)| !p.ends_with("config.json"))
        .collect();
    assert_eq!(after, before);

    // A truncated checkpoint is reported, not panicked on.
    let ckpt = run.join("checkpoints/ckpt_00000002.safetensors");
    let bytes = std::fs::read(&ckpt).unwrap();
    std::fs::write(&ckpt, &bytes[..bytes.len() / 2]).unwrap();
    let err = fails(&[
        "sample",
        "--run",
        s(&run),
        "--out",
        s(&tmp.path().join("x.png")),
    ]);
    assert!(err.contains("ckpt_00000002.safetensors"), "{err}");
}

#[test]
fn bad_options_name_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    for (args, needle) in [
        (vec!["--image-size", "48"], "--image-size"),
        (vec!["--channels", "2"], "--channels"),
        (vec!["--kernel", "3"], "--kernel"),
        (vec!["--device", "cuda"], "--features cuda"),
        (vec!["--device", "tpu"], "--device"),
        (vec!["--device", "flex,cuda"], "--features cuda"),
        (vec!["--device", "flex,"], "--device"),
        (vec!["--device", "flex,flex,flex"], "--batch-size"),
        (vec!["--data", "lmdb:/x"], "--data"),
        (vec!["--latent", "cauchy"], "--latent"),
        (vec!["--batch-size", "1"], "--batch-size"),
        (vec!["--lr", "0"], "--lr"),
    ] {
        let mut all = vec!["train", "--out", s(&out), "--max-iters", "1"];
        all.extend(args.iter());
        let err = fails(&all);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created the run folder");
    }
    let err = fails(&["sample", "--run", s(tmp.path()), "--out", "x.png"]);
    assert!(err.contains("no checkpoint"), "{err}");
    let err = fails(&[
        "sample",
        "--checkpoint",
        "/nonexistent/c.safetensors",
        "--out",
        "x.png",
        "--seeds",
        "1-",
    ]);
    assert!(err.contains("--seeds"), "{err}");
}

/// `--device flex,flex`: data-parallel training on two replicas, said in the run's first lines
/// and kept in its configuration; a resume may name other devices.
#[test]
fn training_on_several_devices_is_data_parallel() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let mut args = vec![
        "train",
        "--out",
        s(&run),
        "--max-iters",
        "2",
        "--device",
        "flex,flex",
    ];
    args.extend(TINY);
    let out = dcgan(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("data-parallel on 2 devices (flex, flex): shards of 8 images"),
        "{stderr}"
    );
    let config = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap()
    };
    assert_eq!(config()["replicas"], serde_json::json!(["flex"]));
    ok(&["train", "--resume", s(&run), "--max-iters", "3", "--quiet"]);
    let config = config();
    assert!(config.get("replicas").is_none(), "{config}");
    let lines = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3);
}

fn train_on(data: &str, out: &Path) -> String {
    fails(&[
        "train",
        "--data",
        data,
        "--out",
        s(out),
        "--max-iters",
        "1",
        "--batch-size",
        "2",
        "--image-size",
        "16",
        "--ngf",
        "4",
        "--ndf",
        "4",
    ])
}

#[test]
fn bad_data_names_the_file_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");

    let err = train_on("mnist:/no/such/dir", &out);
    assert!(err.contains("/no/such/dir"), "{err}");

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = train_on(&format!("folder:{}", s(&empty)), &out);
    assert!(
        err.contains(s(&empty)) && err.contains("no images"),
        "{err}"
    );

    // IDX with a wrong magic number, and one whose header promises more bytes than it has.
    let mnist = tmp.path().join("mnist");
    std::fs::create_dir(&mnist).unwrap();
    let idx = |magic: u8, n: u32, data: usize| {
        let mut v = vec![0, 0, 8, magic];
        for d in [n, 28, 28] {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.resize(v.len() + data, 0);
        v
    };
    let labels = {
        let mut v = vec![0, 0, 8, 1, 0, 0, 0, 4];
        v.extend([1, 2, 3, 4]);
        v
    };
    std::fs::write(mnist.join("train-labels-idx1-ubyte"), &labels).unwrap();
    std::fs::write(mnist.join("train-images-idx3-ubyte"), idx(2, 4, 4 * 784)).unwrap();
    let err = train_on(&format!("mnist:{}", s(&mnist)), &out);
    assert!(
        err.contains("train-images-idx3-ubyte") && err.contains("magic"),
        "{err}"
    );
    std::fs::write(mnist.join("train-images-idx3-ubyte"), idx(3, 4, 3 * 784)).unwrap();
    let err = train_on(&format!("mnist:{}", s(&mnist)), &out);
    assert!(
        err.contains("train-images-idx3-ubyte") && err.contains("truncated"),
        "{err}"
    );

    // A truncated CIFAR-10 batch.
    let cifar = tmp.path().join("cifar");
    std::fs::create_dir(&cifar).unwrap();
    std::fs::write(cifar.join("data_batch_1.bin"), vec![1u8; 3073 * 2 + 100]).unwrap();
    let err = train_on(&format!("cifar10:{}", s(&cifar)), &out);
    assert!(
        err.contains("data_batch_1.bin") && err.contains("truncated"),
        "{err}"
    );

    // A folder with a good image and a truncated one: with --strict-data the error names the
    // broken file; without, the run goes on with the good image in its place, and the broken
    // one is listed in data-errors.txt.
    let folder = tmp.path().join("imgs");
    std::fs::create_dir(&folder).unwrap();
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 100]));
    img.save(folder.join("a_good.png")).unwrap();
    img.save(folder.join("b_broken.png")).unwrap();
    let bytes = std::fs::read(folder.join("b_broken.png")).unwrap();
    std::fs::write(folder.join("b_broken.png"), &bytes[..bytes.len() / 2]).unwrap();
    let before = snapshot(&folder);
    let data = format!("folder:{}", s(&folder));
    let tiny = [
        "--max-iters",
        "2",
        "--batch-size",
        "2",
        "--image-size",
        "16",
        "--ngf",
        "4",
        "--ndf",
        "4",
    ];
    let mut args = vec!["train", "--data", &data, "--out", s(&out), "--strict-data"];
    args.extend(tiny);
    let err = fails(&args);
    assert!(err.contains("b_broken.png"), "{err}");
    assert!(!out.join("checkpoints").exists());
    args.retain(|a| *a != "--strict-data");
    args.push("--force");
    let run = dcgan(&args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("b_broken.png") && stderr.contains("replaced"),
        "{stderr}"
    );
    let listed = std::fs::read_to_string(out.join("data-errors.txt")).unwrap();
    // Each of the 2 iterations drew both images: the broken one twice.
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.lines().all(|l| l.contains("b_broken.png")),
        "{listed}"
    );
    assert!(listed.starts_with("iteration 1: "), "{listed}");
    assert_eq!(snapshot(&folder), before, "the dataset was modified");
    std::fs::remove_dir_all(&out).unwrap();
    // A folder of nothing but broken images cannot train: the error says so.
    std::fs::remove_file(folder.join("a_good.png")).unwrap();
    std::fs::copy(folder.join("b_broken.png"), folder.join("c_broken.png")).unwrap();
    let err = train_on(&data, &out);
    assert!(
        err.contains("2 records in a row") && err.contains("broken.png"),
        "{err}"
    );
}

/// The LSUN fixture (crates/dcgan/tests/fixtures/lsun: 25 records written by Python's `lmdb`,
/// one of them garbage).
fn lsun_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dcgan/tests/fixtures/lsun")
}

#[test]
fn training_on_lsun_lists_the_record_that_does_not_decode() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let env = lsun_fixture().join("tiny_train_lmdb");
    let garbage = std::fs::read_to_string(lsun_fixture().join("garbage-key.txt")).unwrap();
    let data = format!("lsun:{}", s(&env));
    // 25 records, batches of 8: 3 batches an epoch; 9 iterations are 3 epochs, and each epoch
    // leaves out one record, so the garbage one is drawn at least twice.
    let mut args = vec![
        "train",
        "--data",
        &data,
        "--out",
        s(&out),
        "--max-iters",
        "9",
    ];
    args.extend([
        "--batch-size",
        "8",
        "--image-size",
        "16",
        "--ngf",
        "4",
        "--ndf",
        "4",
    ]);
    args.extend(["--nz", "8", "--quiet"]);
    let run = dcgan(&args);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stdout.starts_with(&format!("{data}: 3 channels")),
        "{stdout}"
    );
    assert!(stderr.contains(garbage.trim()), "{stderr}");
    let listed = std::fs::read_to_string(out.join("data-errors.txt")).unwrap();
    assert!(listed.lines().count() >= 2, "{listed}");
    assert!(
        listed
            .lines()
            .all(|l| l.contains(garbage.trim()) && l.contains("does not decode")),
        "{listed}"
    );
    let config = json(&out.join("config.json"));
    assert_eq!(config["data"], data.as_str());
    assert_eq!(lines(&out.join("metrics.jsonl")), 9);

    // Strict: the garbage record ends the run, named.
    let strict = tmp.path().join("strict");
    args[4] = s(&strict);
    args.push("--strict-data");
    let err = fails(&args);
    assert!(
        err.contains(garbage.trim()) && err.contains("data.mdb"),
        "{err}"
    );

    // A broken environment is refused before the run folder is touched.
    let broken = tmp.path().join("broken_lmdb");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("data.mdb"), vec![7u8; 20000]).unwrap();
    let err = train_on(&format!("lsun:{}", s(&broken)), &tmp.path().join("r2"));
    assert!(err.contains("data.mdb") && err.contains("LMDB"), "{err}");
    assert!(!tmp.path().join("r2").exists());
}

#[test]
fn a_folder_of_greyscale_faces_trains_greyscale_and_says_so() {
    let test = "a_folder_of_greyscale_faces_trains_greyscale_and_says_so";
    let Some(archive) = data::real_data(test, "celeba/celeba-align-subset5000.tar") else {
        return;
    };
    use std::io::Read;
    let tmp = tempfile::tempdir().unwrap();
    let faces = tmp.path().join("faces");
    std::fs::create_dir(&faces).unwrap();
    let mut tar = tar::Archive::new(std::fs::File::open(&archive).unwrap());
    let mut n = 0;
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().extension().and_then(|e| e.to_str()) != Some("jpg") {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let grey = image::load_from_memory(&bytes).unwrap().to_luma8();
        grey.save(faces.join(format!("face{n:03}.pgm"))).unwrap();
        n += 1;
        if n == 400 {
            break;
        }
    }
    let out = tmp.path().join("run");
    let data = format!("folder:{}", s(&faces));
    let mut args = vec![
        "train",
        "--data",
        &data,
        "--out",
        s(&out),
        "--max-iters",
        "1",
    ];
    args.extend(TINY);
    let stdout = ok(&args);
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("1 channel") && first.contains("all 400 images are single-channel"),
        "{stdout}"
    );
    assert_eq!(json(&out.join("config.json"))["model"]["channels"], 1);
    // One colour image among them makes the folder RGB, and the line says why.
    image::RgbImage::from_pixel(20, 20, image::Rgb([200, 10, 10]))
        .save(faces.join("zz_colour.png"))
        .unwrap();
    let stdout = ok(&{
        let mut a = args.clone();
        a.push("--force");
        a
    });
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("3 channels") && first.contains("1 of all 401 images are in colour"),
        "{stdout}"
    );
    assert_eq!(json(&out.join("config.json"))["model"]["channels"], 3);
    // --channels overrides the detection.
    let stdout = ok(&{
        let mut a = args.clone();
        a.extend(["--force", "--channels", "1"]);
        a
    });
    assert!(!stdout.contains("as 1 of"), "{stdout}");
    assert_eq!(json(&out.join("config.json"))["model"]["channels"], 1);
}

/// Each command fails with every needle in its message, and `out` is never written.
fn refused(cases: Vec<(Vec<&str>, &[&str])>, out: &Path) {
    for (args, needles) in cases {
        let err = fails(&args);
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: no `{needle}` in {err}");
        }
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

/// A temporary folder holding a tiny run of 2 iterations in `run/`.
fn tiny_run() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train_tiny(&run, "2");
    (tmp, run)
}

#[test]
fn contact_sheet_tiles_and_labels_match_sample_seeds() {
    let (tmp, run) = tiny_run();
    let (sheet, each) = (tmp.path().join("sheet.png"), tmp.path().join("each"));
    ok(&[
        "sample",
        "--run",
        s(&run),
        "--seeds",
        "3-8,40",
        "--sheet",
        s(&sheet),
        "--zoom",
        "1",
        "--columns",
        "4",
    ]);
    ok(&[
        "sample",
        "--run",
        s(&run),
        "--seeds",
        "3-8,40",
        "--out-dir",
        s(&each),
    ]);
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sheet.with_extension("json")).unwrap())
            .unwrap();
    let tiles = index["tiles"].as_array().unwrap();
    let sheet = png(&sheet);
    let seeds = [3u64, 4, 5, 6, 7, 8, 40];
    assert_eq!(tiles.len(), seeds.len());
    for (tile, seed) in tiles.iter().zip(seeds) {
        let label = tile["label"].as_str().unwrap();
        assert_eq!(label, seed.to_string());
        let (x, y, size) = (
            tile["x"].as_u64().unwrap() as u32,
            tile["y"].as_u64().unwrap() as u32,
            tile["size"].as_u64().unwrap() as u32,
        );
        assert_eq!(size, 16);
        // The tile is the seed's own image.
        let own = png(&each.join(format!("seed_{seed:06}.png")));
        for py in 0..16 {
            for px in 0..16 {
                assert_eq!(
                    sheet.get_pixel(x + px, y + py),
                    own.get_pixel(px, py),
                    "seed {seed} at ({px}, {py})"
                );
            }
        }
        // Under it, the seed printed in the 8x8 font, centred on the tile.
        let width = 8 * label.len() as u32;
        let mut want = image::RgbImage::from_pixel(width, 8, image::Rgb([255, 255, 255]));
        dcgan::render::draw_text(&mut want, 0, 0, label, image::Rgb([0, 0, 0]));
        let lx = x + size / 2 - width / 2;
        for py in 0..8 {
            for px in 0..width {
                let black = |p: &image::Rgb<u8>| p.0 == [0, 0, 0];
                assert_eq!(
                    black(sheet.get_pixel(lx + px, y + size + 1 + py)),
                    black(want.get_pixel(px, py)),
                    "label {label} at ({px}, {py})"
                );
            }
        }
    }
}

#[test]
fn interpolate_arithmetic_turn_and_nearest_write_their_figures() {
    let (tmp, run) = tiny_run();
    let (walk, gif) = (tmp.path().join("walk.png"), tmp.path().join("walk.gif"));
    let out = ok(&[
        "interpolate",
        "--run",
        s(&run),
        "--points",
        "3",
        "--steps",
        "4",
        "--walks",
        "2",
        "--out",
        s(&walk),
        "--gif",
        s(&gif),
        "--zoom",
        "1",
    ]);
    assert!(out.contains("2 walk(s) of 9 frames"), "{out}");
    let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(
        std::fs::File::open(&gif).unwrap(),
    ))
    .unwrap();
    use image::AnimationDecoder;
    assert_eq!(decoder.into_frames().collect_frames().unwrap().len(), 9);
    let w = png(&walk);
    assert!(
        w.width() > 9 * 16 && w.height() > 2 * 16,
        "{:?}",
        w.dimensions()
    );

    let fig = tmp.path().join("arith.png");
    let out = ok(&[
        "arithmetic",
        "--run",
        s(&run),
        "--term",
        "+1,2,3",
        "--term",
        "-4,5",
        "--term",
        "+6",
        "--out",
        s(&fig),
    ]);
    assert!(out.contains("+ mean(1,2,3) - mean(4,5) + mean(6)"), "{out}");
    assert!(fig.is_file());
    let turn = tmp.path().join("turn.png");
    ok(&[
        "turn",
        "--run",
        s(&run),
        "--towards",
        "1,2",
        "--away",
        "3,4",
        "--seeds",
        "0-2",
        "--steps",
        "5",
        "--out",
        s(&turn),
    ]);
    assert!(turn.is_file());

    let (nn, json) = (tmp.path().join("nn.png"), tmp.path().join("nn.json"));
    ok(&[
        "nearest",
        "--run",
        s(&run),
        "--n",
        "8",
        "--k",
        "2",
        "--held-out",
        "40",
        "--out",
        s(&nn),
        "--json",
        s(&json),
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["searched"], 8192);
    assert_eq!(report["held_out"]["count"], 40);
    for space in ["pixels", "features"] {
        let sp = &report["spaces"][space];
        assert_eq!(sp["samples"]["count"], 8, "{space}");
        assert_eq!(sp["held_out"]["count"], 40, "{space}");
        let first = &sp["sample_neighbours"][0];
        assert_eq!(first.as_array().unwrap().len(), 2);
        assert!(first[0]["distance"].as_f64().unwrap() <= first[1]["distance"].as_f64().unwrap());
    }
    assert!(nn.is_file());
}

#[test]
fn latent_commands_reject_bad_input_and_write_nothing() {
    let (tmp, run) = tiny_run();
    let out = tmp.path().join("out.png");
    let r = s(&run);
    let o = s(&out);
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        // Unknown seeds syntax.
        (
            vec!["interpolate", "--run", r, "--from-seeds", "1,x", "--out", o],
            &["--from-seeds", "`x`"],
        ),
        (
            vec!["interpolate", "--run", r, "--from-seeds", "4", "--out", o],
            &["--from-seeds", "at least 2"],
        ),
        (
            vec!["sample", "--run", r, "--seeds", "9-3", "--sheet", o],
            &["--seeds", "backwards"],
        ),
        (
            vec![
                "turn",
                "--run",
                r,
                "--towards",
                "1",
                "--away",
                "2",
                "--seeds",
                "a-b",
                "--out",
                o,
            ],
            &["--seeds"],
        ),
        // Empty exemplar lists.
        (
            vec![
                "arithmetic",
                "--run",
                r,
                "--a",
                "",
                "--b",
                "1",
                "--c",
                "2",
                "--out",
                o,
            ],
            &["--a", "empty"],
        ),
        (
            vec![
                "arithmetic",
                "--run",
                r,
                "--term",
                "+",
                "--term",
                "-1",
                "--out",
                o,
            ],
            &["--term", "empty"],
        ),
        (
            vec![
                "turn",
                "--run",
                r,
                "--towards",
                " ",
                "--away",
                "2",
                "--out",
                o,
            ],
            &["--towards", "empty"],
        ),
        (
            vec!["arithmetic", "--run", r, "--a", "1", "--out", o],
            &["--a, --b and --c"],
        ),
        // A run folder without a checkpoint.
        (
            vec!["interpolate", "--run", s(tmp.path()), "--out", o],
            &["no checkpoint"],
        ),
        (
            vec!["nearest", "--run", s(tmp.path()), "--out", o],
            &["no checkpoint"],
        ),
    ];
    refused(cases, &out);
}

#[test]
fn nearest_refuses_real_images_of_another_shape_unless_converted() {
    let test = "nearest_refuses_real_images_of_another_shape_unless_converted";
    let Some(mnist) = data::real_data(test, "mnist") else {
        return;
    };
    let (tmp, run) = tiny_run();
    let out = tmp.path().join("out.png");
    let (r, o) = (s(&run), s(&out));
    let data = format!("mnist:{}", s(&mnist));
    // Data whose images differ from the model's (1-channel 28x28 MNIST for a 3-channel 16x16
    // model trained on builtin).
    refused(
        vec![(
            vec!["nearest", "--run", r, "--data", &data, "--out", o],
            &[
                "--data",
                "28x28 1-channel",
                "16x16 3-channel",
                "(`convert`)",
            ],
        )],
        &out,
    );
    // With --convert the same data is accepted (and fitted as training would).
    let json = tmp.path().join("nn.json");
    ok(&[
        "nearest",
        "--run",
        r,
        "--data",
        &data,
        "--convert",
        "--n",
        "2",
        "--held-out",
        "10",
        "--pixels-only",
        "--json",
        s(&json),
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["searched"], 60_000);
    assert!(report["spaces"]["features"].is_null());
}

#[test]
fn visualize_and_forget_write_their_figures_and_reject_bad_input() {
    let (tmp, run) = tiny_run();
    let r = s(&run);
    let gbp = tmp.path().join("gbp.png");
    let out = ok(&[
        "visualize",
        "--run",
        r,
        "--layer",
        "last",
        "--features",
        "0-2",
        "--top",
        "3",
        "--scan",
        "50",
        "--out",
        s(&gbp),
    ]);
    assert!(
        out.contains("layer 1 (16 features), 3 features x top 3 of 50 images"),
        "{out}"
    );
    let fig = png(&gbp);
    assert!(
        fig.width() > 6 * 64 && fig.height() > 6 * 64,
        "{:?}",
        fig.dimensions()
    );

    let boxes = tmp.path().join("boxes.json");
    std::fs::write(
        &boxes,
        r#"{"boxes": [{"seed": 1, "x": 4, "y": 4, "w": 8, "h": 8},
                      {"seed": 2, "x": 0, "y": 8, "w": 8, "h": 8}]}"#,
    )
    .unwrap();
    let forgotten = tmp.path().join("forget.png");
    let out = ok(&[
        "forget",
        "--run",
        r,
        "--boxes",
        s(&boxes),
        "--seeds",
        "0-5",
        "--out",
        s(&forgotten),
    ]);
    assert!(
        out.contains("dropped") && out.contains("of 16 feature maps"),
        "{out}"
    );
    assert!(forgotten.is_file());

    let out_png = tmp.path().join("out.png");
    let o = s(&out_png);
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let outside = write(
        "outside.json",
        r#"{"boxes": [{"seed": 1, "x": 10, "y": 0, "w": 8, "h": 4}]}"#,
    );
    let empty = write("empty.json", r#"{"boxes": []}"#);
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec!["forget", "--run", r, "--boxes", s(&outside), "--out", o],
            &["outside.json", "outside the 16x16"],
        ),
        (
            vec!["forget", "--run", r, "--boxes", s(&empty), "--out", o],
            &["empty.json", "empty"],
        ),
        (
            vec![
                "forget",
                "--run",
                r,
                "--boxes",
                s(&boxes),
                "--seeds",
                "1;2",
                "--out",
                o,
            ],
            &["--seeds"],
        ),
        (
            vec![
                "forget",
                "--run",
                r,
                "--boxes",
                s(&boxes),
                "--layer",
                "third",
                "--out",
                o,
            ],
            &["--layer", "third"],
        ),
        (
            vec!["visualize", "--run", r, "--layer", "9", "--out", o],
            &["--layer", "`9`"],
        ),
        (
            vec!["visualize", "--run", r, "--features", "14-20", "--out", o],
            &["--features", "16 features"],
        ),
        (
            vec![
                "forget",
                "--run",
                s(tmp.path()),
                "--boxes",
                s(&boxes),
                "--out",
                o,
            ],
            &["no checkpoint"],
        ),
    ];
    refused(cases, &out_png);
}

#[test]
fn features_and_classify_end_to_end_and_their_bad_input() {
    let (tmp, run) = tiny_run();
    let r = s(&run);
    let feats = tmp.path().join("feats.safetensors");
    let out = ok(&[
        "features",
        "--run",
        r,
        "--split",
        "test",
        "--out",
        s(&feats),
    ]);
    // The tiny D (16x16, ndf 8) has layers of 8 and 16 channels: (8 + 16) * 16 features.
    assert!(out.contains("-> 384 features each"), "{out}");
    let (t, meta) = dcgan::model::weights::read_safetensors(&feats).unwrap();
    let n = t["labels"].shape[0];
    assert_eq!(t["features"].shape, vec![n, 384]);
    assert!(t["labels"].values.iter().all(|l| (0.0..4.0).contains(l)));
    assert_eq!(meta["classes"], "disc,square,triangle,ring");

    let json = tmp.path().join("cls.json");
    let cm = tmp.path().join("cm.png");
    let out = ok(&[
        "classify",
        "--run",
        r,
        "--train",
        "builtin",
        "--max-train",
        "600",
        "--max-test",
        "200",
        "--validation",
        "100",
        "--labels-per-class",
        "20",
        "--draws",
        "3",
        "--c-grid",
        "0.01,1",
        "--supervised",
        "--supervised-epochs",
        "2",
        "--out",
        s(&json),
        "--confusion",
        s(&cm),
    ]);
    assert!(
        out.contains("trained D: test accuracy") && out.contains("random D: test accuracy"),
        "{out}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for name in ["trained D", "random D"] {
        let o = &v["results"][name]["outcome"];
        assert_eq!(o["accuracies"].as_array().unwrap().len(), 3, "{name}");
        assert_eq!(o["train_size"], 80, "{name}");
        let mean = o["mean"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&mean), "{name}: {mean}");
        let total: u64 = o["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum();
        assert_eq!(total, 3 * 200);
    }
    let sup = &v["results"]["supervised"];
    assert_eq!(sup["accuracies"].as_array().unwrap().len(), 3);
    assert!(
        sup["best_epochs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| [1, 2].contains(&e.as_u64().unwrap()))
    );
    assert!(out.contains("supervised: test accuracy"), "{out}");
    assert!(cm.is_file());

    // A folder of images without class subfolders has no labels.
    let flat = tmp.path().join("flat");
    std::fs::create_dir(&flat).unwrap();
    for i in 0..3 {
        image::RgbImage::from_pixel(20, 20, image::Rgb([i * 80, 0, 0]))
            .save(flat.join(format!("{i}.png")))
            .unwrap();
    }
    let flat_src = format!("folder:{}", s(&flat));
    let out_json = tmp.path().join("out.json");
    let o = s(&out_json);
    refused(
        vec![
            (
                vec![
                    "classify", "--run", r, "--train", &flat_src, "--test", &flat_src, "--out", o,
                ],
                &["has no labels"],
            ),
            (
                vec!["classify", "--run", r, "--train", &flat_src, "--out", o],
                &["no test split", "--test"],
            ),
            (
                vec![
                    "classify",
                    "--run",
                    r,
                    "--train",
                    "builtin",
                    "--labels-per-class",
                    "100000",
                    "--max-train",
                    "400",
                    "--validation",
                    "100",
                    "--out",
                    o,
                ],
                &["--labels-per-class", "100000"],
            ),
            (
                vec![
                    "classify", "--run", r, "--train", "builtin", "--c-grid", "0,1", "--out", o,
                ],
                &["--c-grid"],
            ),
            (
                vec![
                    "classify",
                    "--run",
                    r,
                    "--train",
                    "builtin",
                    "--validation",
                    "9000",
                    "--out",
                    o,
                ],
                &["--validation"],
            ),
            (
                vec!["features", "--run", r, "--split", "dev", "--out", o],
                &["--split"],
            ),
        ],
        &out_json,
    );
}

#[test]
fn bench_measures_every_requested_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("images").join("a");
    std::fs::create_dir_all(&class).unwrap();
    for i in 0..5u8 {
        let img = image::RgbImage::from_fn(40, 30, |x, y| {
            image::Rgb([x as u8 * 6, y as u8 * 8, i * 50])
        });
        img.save(class.join(format!("{i}.png"))).unwrap();
    }
    let json = dir.path().join("bench.json");
    let data = format!("folder:{}", s(&dir.path().join("images")));
    let out = ok(&[
        "bench",
        "--image-sizes",
        "16",
        "--batch-sizes",
        "4,6",
        "--iters",
        "2",
        "--warmup",
        "0",
        "--threads",
        "1",
        "--data",
        &data,
        "--data-size",
        "16",
        "--data-images",
        "5",
        "--json",
        s(&json),
    ]);
    assert!(out.contains("images/s"), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let records = doc["records"].as_array().unwrap();
    let got: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["workload"].as_str().unwrap().to_string(),
                r["batch_size"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("train", 4),
        ("sample", 4),
        ("train", 6),
        ("sample", 6),
        ("data", 5),
    ]
    .iter()
    .map(|(w, b)| (w.to_string(), *b))
    .collect();
    assert_eq!(got, want);
    for r in records {
        let seconds: Vec<f64> = r["seconds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(seconds.len(), 2, "{r}");
        assert!(seconds.iter().all(|&t| t > 0.0 && t.is_finite()), "{r}");
        let rate = r["images_per_s"].as_f64().unwrap();
        let want = 2.0 * r["batch_size"].as_f64().unwrap() / seconds.iter().sum::<f64>();
        assert!((rate - want).abs() <= 1e-9 * want, "{r}");
        assert_eq!(r["threads"].as_u64(), Some(1));
    }

    let err = fails(&["bench", "--what", "warp", "--iters", "1"]);
    assert!(err.contains("--what") && err.contains("warp"), "{err}");
    let err = fails(&["bench", "--what", "data", "--iters", "1"]);
    assert!(err.contains("--data"), "{err}");
}

/// A 4-class classifier of the 16x16 builtin shapes (8-d features), trained in a second.
fn tiny_classifier(dir: &Path) {
    ok(&[
        "classifier",
        "train",
        "--data",
        "builtin",
        "--out",
        s(dir),
        "--image-size",
        "16",
        "--width",
        "4",
        "--epochs",
        "1",
    ]);
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn metrics_and_training_evaluations_agree_and_name_their_network() {
    let tmp = tempfile::tempdir().unwrap();
    let clf = tmp.path().join("clf");
    tiny_classifier(&clf);
    let record = json(&clf.join("classifier.json"));
    assert_eq!(record["config"]["classes"], 4);
    assert!(record["test_accuracy"].as_f64().unwrap() > 0.4, "{record}");
    let features = format!("classifier:{}", s(&clf));

    // Training evaluates every 2 iterations on 300 fixed samples and keeps the best state.
    let run = tmp.path().join("run");
    let mut args = vec![
        "train",
        "--out",
        s(&run),
        "--max-iters",
        "4",
        "--quiet",
        "--eval-every",
        "2",
        "--eval-samples",
        "300",
        "--eval-features",
        &features,
    ];
    args.extend(TINY);
    let cache = tmp.path().join("cache");
    let out = Command::new(env!("CARGO_BIN_EXE_dcgan"))
        .args(&args)
        .env("DCGAN_CACHE", &cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let evals: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r.get("eval").is_some())
        .collect();
    assert_eq!(evals.len(), 2);
    assert_eq!(
        (
            evals[0]["iteration"].as_u64(),
            evals[1]["iteration"].as_u64()
        ),
        (Some(2), Some(4))
    );
    let best = json(&run.join("best.json"));
    let best_fid = best["fid"].as_f64().unwrap();
    let fids: Vec<f64> = evals
        .iter()
        .map(|r| r["eval"]["fid"].as_f64().unwrap())
        .collect();
    assert_eq!(best_fid, fids.iter().cloned().fold(f64::INFINITY, f64::min));
    assert!(best["network"].as_str().unwrap().contains("classifier"));
    assert!(run.join("fid.png").exists());
    assert_eq!(walk(&cache).len(), 1, "one cached real-feature file");

    // `dcgan metrics` on the best checkpoint, with the same 300 seeds, gives the same FID and
    // KID; it reads the real features the training cached.
    let best_ckpt = run.join("checkpoints/best.safetensors");
    let report = tmp.path().join("report.json");
    let stats = tmp.path().join("samples.npz");
    ok(&[
        "metrics",
        "--checkpoint",
        s(&best_ckpt),
        "--n",
        "300",
        "--features",
        &features,
        "--cache-dir",
        s(&cache),
        "--kid-subset-size",
        "300",
        "--json",
        s(&report),
        "--save-stats",
        s(&stats),
    ]);
    let r = json(&report);
    assert_eq!(r["fid"]["value"].as_f64().unwrap(), best_fid);
    let best_iter = best["iteration"].as_u64().unwrap();
    let eval = evals
        .iter()
        .find(|e| e["iteration"].as_u64() == Some(best_iter))
        .unwrap();
    assert_eq!(r["kid"]["mean"].as_f64(), eval["eval"]["kid"].as_f64());
    assert_eq!(r["real"]["cached"], true);
    assert!(
        r["network"]
            .as_str()
            .unwrap()
            .contains("8-d penultimate layer"),
        "{r}"
    );
    for metric in ["kid", "precision_recall", "inception_score"] {
        assert!(r[metric].is_object(), "{metric} missing: {r}");
    }
    // The samples' statistics as a pytorch-fid .npz: scored against themselves, FID 0.
    let again = tmp.path().join("again.json");
    ok(&[
        "metrics",
        "--checkpoint",
        s(&best_ckpt),
        "--n",
        "300",
        "--features",
        &features,
        "--real-stats",
        s(&stats),
        "--metrics",
        "fid",
        "--json",
        s(&again),
    ]);
    assert!(json(&again)["fid"]["value"].as_f64().unwrap().abs() < 1e-6);
    // Every line of the human output names the network.
    let text = ok(&[
        "metrics",
        "--images",
        "builtin",
        "--image-size",
        "16",
        "--data",
        "builtin",
        "--features",
        &features,
        "--no-cache",
        "--kid-subset-size",
        "500",
    ]);
    for line in text
        .lines()
        .filter(|l| l.starts_with("FID") || l.starts_with("KID"))
    {
        assert!(
            line.contains("in classifier") && line.contains("features"),
            "{line}"
        );
    }
}

#[test]
fn metrics_reject_bad_input_with_clear_errors_and_write_nothing() {
    let (tmp, run) = tiny_run();
    let clf = tmp.path().join("clf");
    tiny_classifier(&clf);
    let features = format!("classifier:{}", s(&clf));
    let out = tmp.path().join("out.json");
    let missing = tmp.path().join("pt_inception.pth");
    let missing_features = format!("inception:{}", s(&missing));
    let junk = tmp.path().join("junk.npz");
    std::fs::write(&junk, b"not a zip").unwrap();
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec![
                "metrics",
                "--run",
                s(&run),
                "--features",
                "resnet:x",
                "--json",
                s(&out),
            ],
            &["--features", "resnet"],
        ),
        (
            vec![
                "metrics",
                "--run",
                s(&run),
                "--features",
                &missing_features,
                "--json",
                s(&out),
            ],
            &["pt_inception.pth"],
        ),
        (
            vec![
                "metrics",
                "--run",
                s(&run),
                "--features",
                "classifier:/nonexistent",
                "--json",
                s(&out),
            ],
            &["/nonexistent"],
        ),
        // KID needs at least a subset's worth of samples.
        (
            vec![
                "metrics",
                "--run",
                s(&run),
                "--features",
                &features,
                "--n",
                "100",
                "--no-cache",
                "--json",
                s(&out),
            ],
            &["KID", "100 feature vectors", "1000"],
        ),
        // FID needs more samples than the features have dimensions.
        (
            vec![
                "metrics",
                "--run",
                s(&run),
                "--features",
                &features,
                "--n",
                "5",
                "--metrics",
                "fid",
                "--no-cache",
                "--json",
                s(&out),
            ],
            &["singular", "at least 9"],
        ),
        (
            vec![
                "metrics",
                "--run",
                s(&run),
                "--features",
                &features,
                "--real-stats",
                s(&junk),
                "--json",
                s(&out),
            ],
            &["junk.npz", "pytorch-fid"],
        ),
        (
            vec![
                "metrics",
                "--run",
                s(&run),
                "--features",
                &features,
                "--metrics",
                "fid,lpips",
                "--json",
                s(&out),
            ],
            &["--metrics", "lpips"],
        ),
        (
            vec!["metrics", "--features", &features, "--json", s(&out)],
            &["--run", "--images"],
        ),
    ];
    refused(cases, &out);
    // A training evaluation with fewer samples than dimensions is refused before training.
    let bad_run = tmp.path().join("bad-run");
    let mut args = vec![
        "train",
        "--out",
        s(&bad_run),
        "--max-iters",
        "2",
        "--quiet",
        "--eval-every",
        "1",
        "--eval-samples",
        "5",
        "--eval-features",
        &features,
    ];
    args.extend(TINY);
    let err = fails(&args);
    assert!(
        err.contains("--eval-samples") && err.contains("at least 9"),
        "{err}"
    );
    assert!(!bad_run.join("checkpoints").exists());
    // The classifier needs labels, and never overwrites a trained one.
    let before = snapshot(&clf);
    let err = fails(&[
        "classifier",
        "train",
        "--data",
        "builtin",
        "--out",
        s(&clf),
        "--image-size",
        "16",
        "--width",
        "4",
        "--epochs",
        "1",
    ]);
    assert!(err.contains("already holds a classifier"), "{err}");
    assert_eq!(snapshot(&clf), before);
    let unlabelled = tmp.path().join("unlabelled");
    std::fs::create_dir_all(&unlabelled).unwrap();
    image::RgbImage::new(16, 16)
        .save(unlabelled.join("a.png"))
        .unwrap();
    let clf2 = tmp.path().join("clf2");
    let err = fails(&[
        "classifier",
        "train",
        "--data",
        &format!("folder:{}", s(&unlabelled)),
        "--out",
        s(&clf2),
        "--image-size",
        "16",
        "--epochs",
        "1",
        "--batch-size",
        "1",
    ]);
    assert!(err.contains("no labels"), "{err}");
    assert!(!clf2.exists());
}

#[test]
fn a_conditional_run_samples_by_class_and_refuses_bad_classes() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("cond");
    let mut args = vec![
        "train",
        "--out",
        s(&run),
        "--max-iters",
        "2",
        "--conditional",
        "--bn-affine",
        "false",
        "--quiet",
    ];
    args.extend(TINY);
    ok(&args);
    let config = json(&run.join("config.json"));
    assert_eq!(config["model"]["classes"], 4, "builtin has 4 shapes");
    assert_eq!(config["model"]["bn_affine"], false);
    // The training grid (64 images of 16 pixels, 2 between) has one column per class.
    let grid = png(&run.join("samples/latest.png"));
    assert_eq!((grid.width(), grid.height()), (4 * 18 + 2, 16 * 18 + 2));

    // --class fixes every image's class: the same seeds with another class differ.
    let a = tmp.path().join("a.png");
    let b = tmp.path().join("b.png");
    let a2 = tmp.path().join("a2.png");
    ok(&[
        "sample",
        "--run",
        s(&run),
        "--seeds",
        "0-3",
        "--class",
        "1",
        "--out",
        s(&a),
    ]);
    ok(&[
        "sample",
        "--run",
        s(&run),
        "--seeds",
        "0-3",
        "--class",
        "2",
        "--out",
        s(&b),
    ]);
    ok(&[
        "sample",
        "--run",
        s(&run),
        "--seeds",
        "0-3",
        "--class",
        "1",
        "--out",
        s(&a2),
    ]);
    assert_eq!(png(&a), png(&a2));
    assert_ne!(png(&a), png(&b));

    let out = tmp.path().join("never.png");
    let (_plain_tmp, plain) = tiny_run();
    refused(
        vec![
            (
                vec![
                    "sample",
                    "--run",
                    s(&run),
                    "--class",
                    "12",
                    "--out",
                    s(&out),
                ],
                &["12", "0 to 3"],
            ),
            (
                vec![
                    "sample",
                    "--run",
                    s(&plain),
                    "--class",
                    "1",
                    "--out",
                    s(&out),
                ],
                &["unconditional"],
            ),
            (
                vec!["interpolate", "--run", s(&run), "--out", s(&out)],
                &["conditional", "--class"],
            ),
            (
                vec![
                    "train",
                    "--out",
                    s(&out),
                    "--conditional",
                    "--data",
                    "folder:/nonexistent",
                ],
                &["/nonexistent"],
            ),
        ],
        &out,
    );
}

/// `dcgan ... | head -1`: a closed stdout ends the command quietly (SIGPIPE, as other Unix tools
/// do), not with a panic in `println!`.
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_quietly_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    let (tmp, run) = tiny_run();
    let grid = tmp.path().join("grid.png");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dcgan"))
        .args(["sample", "--run", s(&run), "--n", "4", "--out", s(&grid)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    // Close the reading end before the command writes anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // SIGPIPE is 13 on Linux, macOS and the BSDs.
    assert_eq!(out.status.signal(), Some(13), "{:?}", out.status);
    // The work before the first line of output was done: the grid is there, 2x2 tiles of 16.
    assert!(png(&grid).width() >= 32, "{}", grid.display());
}

/// A second `dcgan train` on a folder that a live training writes is refused with the holder's
/// process id, while `sample` still reads the run; after the first is killed with SIGKILL (no
/// chance to clean up), the folder resumes.
#[cfg(unix)]
#[test]
fn one_training_per_run_folder_and_a_killed_one_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let mut args = vec![
        "train",
        "--out",
        s(&run),
        "--max-iters",
        "1000000",
        "--sample-every",
        "0",
        "--checkpoint-every",
        "2",
        "--quiet",
    ];
    args.extend(TINY);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dcgan"))
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    let checkpoints = run.join("checkpoints");
    let started = std::time::Instant::now();
    let finished = |dir: &Path| {
        std::fs::read_dir(dir).map_or(0, |d| {
            d.filter(|e| {
                let name = e.as_ref().unwrap().file_name().into_string().unwrap();
                name.starts_with("ckpt_") && name.ends_with(".safetensors")
            })
            .count()
        })
    };
    while finished(&checkpoints) == 0 {
        assert!(
            started.elapsed().as_secs() < 120,
            "no checkpoint after 2 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = fails(&["train", "--resume", s(&run), "--max-iters", "4"]);
    assert!(
        err.contains("another training is writing this run folder")
            && err.contains(&format!("process {}", child.id())),
        "{err}"
    );
    let forced = {
        let mut a = args.clone();
        a.push("--force");
        fails(&a)
    };
    assert!(forced.contains("another training is writing"), "{forced}");
    let grid = tmp.path().join("grid.png");
    ok(&["sample", "--run", s(&run), "--n", "4", "--out", s(&grid)]);

    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        run.join("train.lock").exists(),
        "SIGKILL leaves the file behind"
    );
    let last = std::fs::read_dir(&checkpoints)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("ckpt_")?
                .strip_suffix(".safetensors")?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap();
    let target = (last + 2).to_string();
    ok(&[
        "train",
        "--resume",
        s(&run),
        "--max-iters",
        &target,
        "--quiet",
    ]);
    assert!(
        run.join(format!("checkpoints/ckpt_{:08}.safetensors", last + 2))
            .exists()
    );
    assert!(!run.join("train.lock").exists());
}

/// A checkpoint damaged after it was written (one flipped bit) is refused by every reader with
/// the file named, and `--resume` of a run with no intact checkpoint says how to start over.
#[test]
fn a_damaged_checkpoint_is_refused_with_the_file_named() {
    let (tmp, run) = tiny_run();
    let ckpt = run.join("checkpoints/ckpt_00000002.safetensors");
    let mut bytes = std::fs::read(&ckpt).unwrap();
    let i = bytes.len() - 100;
    bytes[i] ^= 0x01;
    std::fs::write(&ckpt, &bytes).unwrap();
    let grid = tmp.path().join("grid.png");
    let err = fails(&["sample", "--run", s(&run), "--n", "4", "--out", s(&grid)]);
    assert!(
        err.contains("ckpt_00000002.safetensors") && err.contains("damaged"),
        "{err}"
    );
    assert!(!grid.exists());
    let err = fails(&["train", "--resume", s(&run), "--max-iters", "4"]);
    assert!(
        err.contains("reads back whole") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&ckpt).unwrap(),
        bytes,
        "the damaged file is left as it was"
    );
}

#[path = "../../dcgan/tests/common/http.rs"]
mod http;

#[test]
fn data_fetch_pack_dedup_and_a_keep_list_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name);
    let dir_s = |name: &str| t(name).to_str().unwrap().to_string();
    let (run_dir_s, run_32_dir_s) = (dir_s("run"), dir_s("run32"));
    let (kept_dir_s, kept_2_dir_s) = (dir_s("kept"), dir_s("kept2"));

    // fetch: unknown names and categories are refused; a server error names the URL.
    let err = fails(&["data", "fetch", "imagenet", "--to", s(&t("x"))]);
    assert!(
        err.contains("imagenet") && err.contains("lsun:CATEGORY"),
        "{err}"
    );
    let err = fails(&["data", "fetch", "lsun:sofa", "--to", s(&t("x"))]);
    assert!(err.contains("church_outdoor"), "{err}");
    let server = http::Server::start();
    server.serve(
        "test_32x32.mat",
        http::Served {
            status: Some(500),
            ..Default::default()
        },
    );
    server.serve(
        "train_32x32.mat",
        http::Served {
            bytes: b"not the official file".to_vec(),
            ..Default::default()
        },
    );
    let err = fails(&[
        "data",
        "fetch",
        "svhn",
        "--to",
        s(&t("svhn")),
        "--mirror",
        &server.base,
    ]);
    assert!(
        err.contains("train_32x32.mat") && err.contains("e26dedcc434d2e4c54c9b2d4a06d8373"),
        "{err}"
    );
    assert!(!t("svhn").join("train_32x32.mat").exists());

    // pack: the LSUN fixture at 16x16, its garbage record left out; then trained from.
    let env = lsun_fixture().join("tiny_train_lmdb");
    let pack = t("tiny.pack");
    let lsun = format!("lsun:{}", s(&env));
    let out = ok(&[
        "data",
        "pack",
        "--data",
        &lsun,
        "--out",
        s(&pack),
        "--image-size",
        "16",
    ]);
    assert!(
        out.contains("packed 24 images of 3x16x16") && out.contains("1 records did not decode"),
        "{out}"
    );
    let err = fails(&[
        "data",
        "pack",
        "--data",
        &lsun,
        "--out",
        s(&pack),
        "--image-size",
        "16",
    ]);
    assert!(err.contains("already exists"), "{err}");
    let packed = format!("packed:{}", s(&pack));
    let mut args = vec![
        "train",
        "--data",
        &packed,
        "--out",
        &run_dir_s,
        "--max-iters",
        "2",
    ];
    args.extend(TINY);
    let out = ok(&args);
    assert!(out.starts_with(&format!("{packed}: 3 channels")), "{out}");
    assert_eq!(
        json(&t("run").join("config.json"))["model"]["image_size"],
        16
    );
    let mut wrong = vec![
        "train",
        "--data",
        &packed,
        "--out",
        &run_32_dir_s,
        "--max-iters",
        "1",
    ];
    wrong.extend(["--image-size", "32", "--batch-size", "8"]);
    let err = fails(&wrong);
    assert!(
        err.contains("tiny.pack") && err.contains("--image-size 32"),
        "{err}"
    );

    // dedup on a folder with two exact copies among distinct pictures; the keep-list trains.
    let folder = t("pictures");
    std::fs::create_dir(&folder).unwrap();
    for k in 0..40u32 {
        // Blocks of 4x4 pixels of pseudo-random colours: pictures with nothing in common.
        let img = image::RgbImage::from_fn(32, 32, |x, y| {
            let cell = (k * 64 + (y / 4) * 8 + x / 4).wrapping_mul(2_654_435_761);
            image::Rgb([(cell >> 8) as u8, (cell >> 16) as u8, (cell >> 24) as u8])
        });
        img.save(folder.join(format!("p{k:02}.png"))).unwrap();
    }
    std::fs::copy(folder.join("p03.png"), folder.join("q03.png")).unwrap();
    std::fs::copy(folder.join("p17.png"), folder.join("q17.png")).unwrap();
    let data = format!("folder:{}", s(&folder));
    let dd = t("dedup");
    let out = ok(&[
        "dedup",
        "--data",
        &data,
        "--out",
        s(&dd),
        "--iterations",
        "30",
    ]);
    assert!(
        out.contains("42 images") && out.contains("LSUN bedrooms"),
        "{out}"
    );
    let report = json(&dd.join("duplicates.json"));
    let groups: Vec<Vec<u64>> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            g["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_u64().unwrap())
                .collect()
        })
        .collect();
    // Sorted names: p00..p39 are 0..39, q03 is 40, q17 is 41.
    assert_eq!(groups, vec![vec![3, 40], vec![17, 41]], "{report}");
    assert!(image::open(dd.join("groups.png")).is_ok());
    let keep = dd.join("keep.txt");
    let mut args = vec![
        "train",
        "--data",
        &data,
        "--out",
        &kept_dir_s,
        "--max-iters",
        "1",
    ];
    args.extend(TINY);
    args.extend(["--keep-list", s(&keep), "--quiet"]);
    let run = dcgan(&args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("(40 images at"), "{stderr}");
    assert_eq!(json(&t("kept").join("config.json"))["keep_list"], s(&keep));
    // Another folder's keep-list is refused, naming the file.
    std::fs::remove_file(folder.join("p39.png")).unwrap();
    let mut args = vec![
        "train",
        "--data",
        &data,
        "--out",
        &kept_2_dir_s,
        "--max-iters",
        "1",
    ];
    args.extend(TINY);
    args.extend(["--keep-list", s(&keep)]);
    let err = fails(&args);
    assert!(
        err.contains("keep.txt") && err.contains("does not fit"),
        "{err}"
    );
    assert!(!t("kept2").exists());
}
