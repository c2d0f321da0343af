//! The GPU path, run: every command of the real `dcgan` binary on a wgpu/Vulkan device, checked
//! against the same command on the CPU (`flex`), which the rest of the suite checks against
//! PyTorch. Built only with `--features wgpu` or `--features vulkan`.
//!
//! The device is `$DCGAN_GPU_DEVICE` (default: `vulkan`, or `wgpu` in a build without Vulkan).
//! CI runs it on Mesa's software Vulkan driver, lavapipe (`apt-get install mesa-vulkan-drivers`;
//! `CUBECL_WGPU_DEFAULT_DEVICE=Cpu` or `DCGAN_GPU_DEVICE=vulkan:cpu`): the same shaders a GPU
//! runs, compiled for the CPU. A machine with no such device reports the tests as not run, and
//! with `DCGAN_REQUIRE_GPU=1` (CI sets it) fails them instead.
//!
//! Tolerances: the GPU sums in other orders than the CPU, so floats agree to rounding (losses to
//! 5e-5 over three iterations; weights to 1e-4 relative), and 8-bit images to one level in a few
//! pixels; Adam moves a weight whose gradient is ~0 by ±lr on either side of zero, so single
//! weights may differ by up to 2 lr per step.
#![cfg(any(feature = "wgpu", feature = "vulkan"))]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use dcgan::model::weights::read_safetensors;

/// The device under test, or `None` (test not run) when this machine has none.
fn gpu(test: &str) -> Option<&'static str> {
    static DEVICE: OnceLock<Result<String, String>> = OnceLock::new();
    let found = DEVICE.get_or_init(|| {
        let wanted = std::env::var("DCGAN_GPU_DEVICE").unwrap_or_else(|_| {
            if cfg!(feature = "vulkan") {
                "vulkan"
            } else {
                "wgpu"
            }
            .into()
        });
        let out = run(&["devices", "--json"]);
        assert!(out.status.success(), "dcgan devices failed");
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let backend = wanted.split(':').next().unwrap().to_string();
        let usable = list.as_array().unwrap().iter().any(|d| {
            let name = d["name"].as_str().unwrap();
            d["usable"] == true && (name == wanted || name.split(':').next() == Some(&backend))
        });
        match usable {
            true => Ok(wanted),
            false => Err(format!(
                "no usable `{wanted}` device: `dcgan devices` lists {list}"
            )),
        }
    });
    match found {
        Ok(device) => Some(device.as_str()),
        Err(why) => {
            let message = format!(
                "GPU test `{test}` did not run: {why} (install a Vulkan driver, e.g. Debian's \
                 mesa-vulkan-drivers, or set DCGAN_GPU_DEVICE)"
            );
            let required = std::env::var_os("DCGAN_REQUIRE_GPU").is_some_and(|v| v != "0");
            assert!(
                !required,
                "{message}; DCGAN_REQUIRE_GPU is set, so this is a failure"
            );
            let _ = writeln!(std::io::stderr(), "NOT RUN: {message}");
            None
        }
    }
}

/// A writable runtime folder for the graphics stack, which wants one.
fn runtime_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = std::env::temp_dir().join(format!("dcgan-gpu-tests-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            dir
        }
    })
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcgan"))
        .args(args)
        .env("XDG_RUNTIME_DIR", runtime_dir())
        .output()
        .expect("runs")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "dcgan {args:?} failed ({}):\n{stderr}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `args` on the CPU and on `device` (the device flag appended), returning both outputs.
fn both(args: &[&str], device: &str) -> (String, String) {
    let on = |d: &str| {
        let mut a = args.to_vec();
        a.extend(["--device", d]);
        ok(&a)
    };
    (on("flex"), on(device))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The 32x32 model of the issue's check: widths 16, batch 16.
const SMALL: [&str; 10] = [
    "--image-size",
    "32",
    "--ngf",
    "16",
    "--ndf",
    "16",
    "--nz",
    "16",
    "--batch-size",
    "16",
];

fn train(out: &Path, iters: &str, device: &str, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--out",
        s(out),
        "--max-iters",
        iters,
        "--sample-every",
        iters,
        "--checkpoint-every",
        iters,
        "--quiet",
        "--device",
        device,
    ];
    args.extend(SMALL);
    args.extend(extra);
    ok(&args);
}

fn records(run: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn rgb(path: &Path) -> image::RgbImage {
    image::open(path).unwrap().to_rgb8()
}

/// The largest difference between two images of one size, and how many channels differ.
fn image_diff(a: &Path, b: &Path) -> (u8, usize) {
    let (a, b) = (rgb(a), rgb(b));
    assert_eq!(a.dimensions(), b.dimensions(), "{a:?} vs {b:?}");
    let mut worst = 0;
    let mut differ = 0;
    for (x, y) in a.as_raw().iter().zip(b.as_raw()) {
        let d = x.abs_diff(*y);
        worst = worst.max(d);
        differ += usize::from(d > 0);
    }
    (worst, differ)
}

/// Images that agree to one level in at most 1% of their channel values.
fn assert_images_agree(cpu: &Path, gpu: &Path) {
    let (worst, differ) = image_diff(cpu, gpu);
    let total = rgb(cpu).as_raw().len();
    assert!(
        worst <= 1 && differ * 100 <= total,
        "{} and {}: largest difference {worst}, {differ} of {total} values differ",
        cpu.display(),
        gpu.display()
    );
}

#[test]
fn training_on_the_gpu_follows_the_cpu() {
    let Some(device) = gpu("training_on_the_gpu_follows_the_cpu") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (cpu_run, gpu_run) = (tmp.path().join("cpu"), tmp.path().join("gpu"));
    train(&cpu_run, "3", "flex", &[]);
    train(&gpu_run, "3", device, &[]);

    // The same five numbers at every iteration, the first one included.
    let (a, b) = (records(&cpu_run), records(&gpu_run));
    assert_eq!((a.len(), b.len()), (3, 3));
    for (ra, rb) in a.iter().zip(&b) {
        for key in ["loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"] {
            let (x, y) = (ra[key].as_f64().unwrap(), rb[key].as_f64().unwrap());
            assert!(
                (x - y).abs() <= 5e-5,
                "iteration {}: {key} {x} on the CPU, {y} on {device}",
                ra["iteration"]
            );
        }
    }

    // The same weights and Adam moments after three steps.
    let ckpt = "checkpoints/ckpt_00000003.safetensors";
    let (ta, _) = read_safetensors(&cpu_run.join(ckpt)).unwrap();
    let (tb, mb) = read_safetensors(&gpu_run.join(ckpt)).unwrap();
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    assert!(
        mb["config"].contains(&format!("\"device\":\"{device}\"")),
        "{}",
        mb["config"]
    );
    let lr = 2e-4;
    for (name, x) in &ta {
        let y = &tb[name];
        assert_eq!(x.shape, y.shape, "{name}");
        let (mut diff2, mut norm2, mut worst) = (0f64, 0f64, 0f32);
        for (p, q) in x.values.iter().zip(&y.values) {
            diff2 += f64::from(p - q).powi(2);
            norm2 += f64::from(*p).powi(2);
            worst = worst.max((p - q).abs());
        }
        let relative = (diff2 / norm2.max(1e-30)).sqrt();
        let tolerance = if name.starts_with("adam") { 1e-3 } else { 1e-4 };
        assert!(
            relative <= tolerance,
            "{name}: relative difference {relative:e}"
        );
        if name.starts_with("g.") || name.starts_with("d.") {
            assert!(
                worst <= 3.0 * 2.0 * lr as f32 + 1e-5,
                "{name}: a weight moved {worst} apart"
            );
        }
    }

    // Resuming on the GPU continues the CPU's run as the CPU would (a run moves between
    // devices), and the grid of the GPU's own run shows what the CPU's shows.
    let resumed = tmp.path().join("resumed");
    copy_dir(&cpu_run, &resumed);
    ok(&[
        "train",
        "--resume",
        s(&resumed),
        "--max-iters",
        "4",
        "--quiet",
        "--device",
        device,
    ]);
    ok(&[
        "train",
        "--resume",
        s(&cpu_run),
        "--max-iters",
        "4",
        "--quiet",
    ]);
    let (a, b) = (records(&cpu_run), records(&resumed));
    assert_eq!(b.len(), 4);
    for key in ["loss_d", "loss_g"] {
        let (x, y) = (a[3][key].as_f64().unwrap(), b[3][key].as_f64().unwrap());
        assert!(
            (x - y).abs() <= 5e-5,
            "resumed iteration 4: {key} {x} on the CPU, {y} on {device}"
        );
    }
}

/// Data-parallel training with the model on one backend and a replica on the other, both ways:
/// shards, gradients and statistics cross between the GPU and the CPU each iteration, and the
/// run follows two replicas on the CPU.
#[test]
fn data_parallel_training_across_the_gpu_and_the_cpu_follows_the_cpu() {
    let Some(device) = gpu("data_parallel_training_across_the_gpu_and_the_cpu_follows_the_cpu")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let cpu_run = tmp.path().join("flex-flex");
    train(&cpu_run, "3", "flex,flex", &[]);
    let cpu = records(&cpu_run);
    for devices in [format!("{device},flex"), format!("flex,{device}")] {
        let run = tmp.path().join(devices.replace([',', ':'], "-"));
        train(&run, "3", &devices, &[]);
        let got = records(&run);
        assert_eq!((cpu.len(), got.len()), (3, 3));
        for (ra, rb) in cpu.iter().zip(&got) {
            for key in ["loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"] {
                let (x, y) = (ra[key].as_f64().unwrap(), rb[key].as_f64().unwrap());
                assert!(
                    (x - y).abs() <= 5e-5,
                    "iteration {}: {key} {x} on flex,flex, {y} on {devices}",
                    ra["iteration"]
                );
            }
        }
    }
    // Two replicas are not one device: the first iteration already differs (batch norm on
    // shards of 8).
    let one = tmp.path().join("one");
    train(&one, "1", "flex", &[]);
    let (x, y) = (
        records(&one)[0]["loss_d"].as_f64().unwrap(),
        cpu[0]["loss_d"].as_f64().unwrap(),
    );
    assert!((x - y).abs() > 1e-4, "loss_d {x} on one device, {y} on two");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "train.lock" {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A trained CPU run (4 iterations of the small model), shared by the tests below.
fn cpu_run(tmp: &Path) -> PathBuf {
    let run = tmp.join("run");
    train(&run, "4", "flex", &[]);
    run
}

#[test]
fn sampling_and_the_latent_commands_give_the_cpus_images() {
    let Some(device) = gpu("sampling_and_the_latent_commands_give_the_cpus_images") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = cpu_run(tmp.path());
    let r = s(&run);
    let out = |name: &str, d: &str| {
        tmp.path()
            .join(format!("{name}-{}.png", d.replace(':', "_")))
    };
    for d in ["flex", device] {
        let each = tmp.path().join(format!("each-{}", d.replace(':', "_")));
        ok(&[
            "sample",
            "--run",
            r,
            "--seeds",
            "0-15",
            "--out",
            s(&out("grid", d)),
            "--out-dir",
            s(&each),
            "--device",
            d,
        ]);
        ok(&[
            "interpolate",
            "--run",
            r,
            "--points",
            "3",
            "--steps",
            "4",
            "--walks",
            "2",
            "--slerp",
            "--out",
            s(&out("walk", d)),
            "--device",
            d,
        ]);
        ok(&[
            "arithmetic",
            "--run",
            r,
            "--term",
            "+1,2,3",
            "--term",
            "-4,5",
            "--term",
            "+6",
            "--out",
            s(&out("arith", d)),
            "--device",
            d,
        ]);
        ok(&[
            "turn",
            "--run",
            r,
            "--towards",
            "1,2",
            "--away",
            "3,4",
            "--seeds",
            "0-2",
            "--steps",
            "5",
            "--out",
            s(&out("turn", d)),
            "--device",
            d,
        ]);
    }
    // One image per seed, as the model made it: the GPU's equal the CPU's.
    for seed in 0..16 {
        let name = format!("seed_{seed:06}.png");
        assert_images_agree(
            &tmp.path().join("each-flex").join(&name),
            &tmp.path()
                .join(format!("each-{}", device.replace(':', "_")))
                .join(&name),
        );
    }
    for figure in ["grid", "walk", "arith", "turn"] {
        assert_images_agree(&out(figure, "flex"), &out(figure, device));
    }
}

#[test]
fn nearest_finds_the_cpus_neighbours() {
    let Some(device) = gpu("nearest_finds_the_cpus_neighbours") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = cpu_run(tmp.path());
    let json = |d: &str| tmp.path().join(format!("nn-{}.json", d.replace(':', "_")));
    for (d, chunk) in [("flex", "4096"), (device, "1000")] {
        // Another chunk size on the GPU: the search must not depend on how it is cut.
        ok(&[
            "nearest",
            "--run",
            s(&run),
            "--n",
            "8",
            "--k",
            "3",
            "--held-out",
            "40",
            "--chunk",
            chunk,
            "--out",
            s(&tmp.path().join("nn.png")),
            "--json",
            s(&json(d)),
            "--device",
            d,
        ]);
    }
    let read = |d: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(json(d)).unwrap()).unwrap()
    };
    let (a, b) = (read("flex"), read(device));
    assert_eq!(a["searched"], b["searched"]);
    // The same training images, at the same distances to float rounding: the samples (and
    // D's features of them) come from the device, the distances are summed on the host.
    let neighbours = |r: &serde_json::Value, space: &str| -> (Vec<u64>, Vec<f64>) {
        r["spaces"][space]["sample_neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n.as_array().unwrap().iter())
            .map(|x| {
                (
                    x["index"].as_u64().unwrap(),
                    x["distance"].as_f64().unwrap(),
                )
            })
            .unzip()
    };
    let ((ia, da), (ib, db)) = (neighbours(&a, "pixels"), neighbours(&b, "pixels"));
    assert_eq!(ia.len(), 8 * 3);
    assert_eq!(ia, ib, "pixel-space neighbours");
    for (x, y) in da.iter().zip(&db) {
        assert!(
            (x - y).abs() <= 1e-5 * x,
            "pixel distance {x} on the CPU, {y} on {device}"
        );
    }
    assert_eq!(
        neighbours(&a, "features").0,
        neighbours(&b, "features").0,
        "feature-space neighbours"
    );
    let feats = |r: &serde_json::Value| -> Vec<f64> {
        r["spaces"]["features"]["sample_neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| {
                n.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["distance"].as_f64().unwrap())
            })
            .collect()
    };
    let (fa, fb) = (feats(&a), feats(&b));
    assert_eq!(fa.len(), 8 * 3);
    for (x, y) in fa.iter().zip(&fb) {
        assert!(
            (x - y).abs() <= 1e-3 * x.max(1e-3),
            "feature distance {x} on the CPU, {y} on {device}"
        );
    }
}

#[test]
fn features_classify_visualize_and_forget_agree_with_the_cpu() {
    let Some(device) = gpu("features_classify_visualize_and_forget_agree_with_the_cpu") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = cpu_run(tmp.path());
    let r = s(&run);
    let path = |name: &str, d: &str| tmp.path().join(format!("{}-{name}", d.replace(':', "_")));

    // D's features of the same images.
    for d in ["flex", device] {
        ok(&[
            "features",
            "--run",
            r,
            "--split",
            "test",
            "--out",
            s(&path("f.safetensors", d)),
            "--device",
            d,
        ]);
    }
    let (fa, _) = read_safetensors(&path("f.safetensors", "flex")).unwrap();
    let (fb, _) = read_safetensors(&path("f.safetensors", device)).unwrap();
    assert_eq!(fa["labels"].values, fb["labels"].values);
    let (x, y) = (&fa["features"].values, &fb["features"].values);
    assert_eq!(x.len(), y.len());
    let scale = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let worst = x.iter().zip(y).fold(0f32, |m, (p, q)| m.max((p - q).abs()));
    assert!(
        worst <= 1e-4 * scale,
        "features differ by {worst} (largest feature {scale})"
    );

    // The SVM protocol on those features, and D trained supervised on the device.
    let report = |d: &str| -> serde_json::Value {
        let out = path("classify.json", d);
        ok(&[
            "classify",
            "--run",
            r,
            "--train",
            "builtin",
            "--max-train",
            "400",
            "--max-test",
            "200",
            "--validation",
            "100",
            "--labels-per-class",
            "20",
            "--draws",
            "2",
            "--c-grid",
            "0.01,1",
            "--supervised",
            "--supervised-epochs",
            "1",
            "--out",
            s(&out),
            "--device",
            d,
        ]);
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
    };
    let (a, b) = (report("flex"), report(device));
    // The SVMs see features equal to 1e-4: the same accuracy but for an example or two of the
    // 200 on a decision boundary. The supervised D trains for an epoch on each device, and
    // float rounding grows along it: a few points apart.
    for (who, tolerance) in [
        ("trained D", 0.02),
        ("random D", 0.02),
        ("supervised", 0.05),
    ] {
        let mean = |r: &serde_json::Value| {
            let x = &r["results"][who];
            x["outcome"]["mean"]
                .as_f64()
                .or_else(|| x["mean"].as_f64())
                .unwrap_or_else(|| panic!("{who}: {r}"))
        };
        let (ca, cb) = (mean(&a), mean(&b));
        assert!(
            (ca - cb).abs() <= tolerance,
            "{who}: test accuracy {ca} on the CPU, {cb} on {device}"
        );
    }

    // Guided backpropagation: the same figure; forgetting: the same maps dropped.
    for d in ["flex", device] {
        ok(&[
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
            s(&path("gbp.png", d)),
            "--device",
            d,
        ]);
    }
    let (worst, differ) = image_diff(&path("gbp.png", "flex"), &path("gbp.png", device));
    let total = rgb(&path("gbp.png", "flex")).as_raw().len();
    assert!(
        worst <= 2 && differ * 50 <= total,
        "guided backprop: largest difference {worst}, {differ} of {total}"
    );
    let boxes = tmp.path().join("boxes.json");
    std::fs::write(
        &boxes,
        r#"{"boxes": [{"seed": 1, "x": 8, "y": 8, "w": 16, "h": 16},
                      {"seed": 2, "x": 0, "y": 16, "w": 16, "h": 16}]}"#,
    )
    .unwrap();
    let (fa, fb) = both(
        &[
            "forget",
            "--run",
            r,
            "--boxes",
            s(&boxes),
            "--seeds",
            "0-5",
            "--out",
            s(&tmp.path().join("forget.png")),
        ],
        device,
    );
    let dropped = |t: &str| {
        t.lines()
            .find(|l| l.contains("dropped"))
            .map(str::to_string)
    };
    assert!(dropped(&fa).is_some(), "{fa}");
    assert_eq!(dropped(&fa), dropped(&fb));
}

#[test]
fn weights_move_between_devices_and_pytorch_files() {
    let Some(device) = gpu("weights_move_between_devices_and_pytorch_files") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let trained = tmp.path().join("trained");
    train(&trained, "2", device, &[]);
    let (netg, netd) = (
        tmp.path().join("netG.safetensors"),
        tmp.path().join("netD.safetensors"),
    );
    ok(&[
        "export",
        "--run",
        s(&trained),
        "--netg",
        s(&netg),
        "--netd",
        s(&netd),
    ]);
    let imported = tmp.path().join("imported");
    ok(&[
        "import",
        "--netg",
        s(&netg),
        "--netd",
        s(&netd),
        "--out",
        s(&imported),
        "--image-size",
        "32",
        "--ngf",
        "16",
        "--ndf",
        "16",
        "--nz",
        "16",
    ]);
    let grid = |run: &Path, name: &str| {
        let out = tmp.path().join(name);
        ok(&[
            "sample",
            "--run",
            s(run),
            "--seeds",
            "0-7",
            "--out",
            s(&out),
            "--device",
            device,
        ]);
        out
    };
    assert_eq!(
        image_diff(&grid(&trained, "a.png"), &grid(&imported, "b.png")),
        (0, 0)
    );

    // A conditional model trains and samples by class on the device.
    let cond = tmp.path().join("cond");
    train(&cond, "2", device, &["--conditional", "--data", "builtin"]);
    let by_class = tmp.path().join("class.png");
    ok(&[
        "sample",
        "--run",
        s(&cond),
        "--class",
        "2",
        "--n",
        "4",
        "--out",
        s(&by_class),
        "--device",
        device,
    ]);
    assert!(rgb(&by_class).width() > 32);
}

#[test]
fn a_feature_network_trains_and_scores_samples_on_the_gpu_as_on_the_cpu() {
    let Some(device) = gpu("a_feature_network_trains_and_scores_samples_on_the_gpu_as_on_the_cpu")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = cpu_run(tmp.path());
    let clf = tmp.path().join("clf");
    ok(&[
        "classifier",
        "train",
        "--data",
        "builtin",
        "--out",
        s(&clf),
        "--image-size",
        "32",
        "--width",
        "4",
        "--epochs",
        "1",
        "--device",
        device,
    ]);
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(clf.join("classifier.json")).unwrap())
            .unwrap();
    assert!(record["test_accuracy"].as_f64().unwrap() > 0.4, "{record}");
    let features = format!("classifier:{}", s(&clf));
    let report = |d: &str| {
        let json = tmp.path().join(format!("m-{}.json", d.replace(':', "_")));
        ok(&[
            "metrics",
            "--run",
            s(&run),
            "--features",
            &features,
            "--n",
            "300",
            "--real-n",
            "600",
            "--kid-subset-size",
            "300",
            "--cache-dir",
            s(&tmp.path().join(format!("cache-{d}"))),
            "--json",
            s(&json),
            "--device",
            d,
        ]);
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        r
    };
    let (a, b) = (report("flex"), report(device));
    let fid = |r: &serde_json::Value| r["fid"]["value"].as_f64().unwrap();
    assert!(fid(&a) > 0.0);
    assert!(
        (fid(&a) - fid(&b)).abs() <= 1e-3 * fid(&a),
        "FID {} on the CPU, {} on {device}",
        fid(&a),
        fid(&b)
    );
}

#[test]
fn devices_lists_the_device_and_a_missing_one_is_refused() {
    let Some(device) = gpu("devices_lists_the_device_and_a_missing_one_is_refused") else {
        return;
    };
    let list = ok(&["devices"]);
    let backend = device.split(':').next().unwrap();
    assert!(list.lines().any(|l| l.starts_with(backend)), "{list}");
    // Nothing has 99 discrete GPUs: a clear error naming what is there, no panic.
    let out = run(&[
        "sample",
        "--run",
        "nowhere",
        "--out",
        "nowhere.png",
        "--device",
        &format!("{backend}:discrete:99"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(
        stderr.contains("discrete:99") && stderr.contains("no such adapter"),
        "{stderr}"
    );
}
