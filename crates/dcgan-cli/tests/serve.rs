//! `dcgan serve` over HTTP: every endpoint against the run folder it serves, the explorer's
//! pictures against the files their own command lines write (byte for byte), bad parameters and
//! path traversal answered with a 4xx, and a run that is still training seen growing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dcgan"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const TINY: [&str; 8] = [
    "--image-size",
    "16",
    "--ngf",
    "8",
    "--ndf",
    "8",
    "--nz",
    "16",
];

fn train(out: &Path, iters: &str) -> Command {
    let mut cmd = bin();
    cmd.args([
        "train",
        "--out",
        s(out),
        "--max-iters",
        iters,
        "--batch-size",
        "16",
        "--sample-every",
        "2",
        "--checkpoint-every",
        "2",
        "--quiet",
    ])
    .args(TINY);
    cmd
}

/// A server on a free port, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(runs: &[&Path]) -> Self {
        let mut cmd = bin();
        cmd.args(["serve", "--port", "0"]);
        for r in runs {
            cmd.args(["--run", s(r)]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Self { child, base }
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>, ureq::http::HeaderMap) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut r = agent.get(&format!("{}{path}", self.base)).call().unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 28)
            .read_to_vec()
            .unwrap();
        (status, body, headers)
    }

    fn ok(&self, path: &str) -> Vec<u8> {
        let (status, body, _) = self.get(path);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        body
    }

    fn json(&self, path: &str) -> serde_json::Value {
        serde_json::from_slice(&self.ok(path)).unwrap()
    }

    /// A request sent as these bytes, unnormalised (an HTTP client would resolve `..`).
    fn raw(&self, target: &str) -> u16 {
        let addr = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        reply
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("{reply}"))
    }

    /// The status and message of a request that must fail with a 4xx.
    fn refused(&self, path: &str) -> (u16, String) {
        let (status, body, _) = self.get(path);
        let text = String::from_utf8_lossy(&body).into_owned();
        assert!((400..500).contains(&status), "{path}: {status} {text}");
        assert!(!text.contains("panicked"), "{text}");
        (status, text)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command line the server gave (`dcgan ...`, a `# note` after it) in `dir`.
fn run_command(line: &str, dir: &Path) {
    let line = line.split("  #").next().unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[0], "dcgan", "{line}");
    let out = bin().args(&words[1..]).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_endpoint_serves_the_run_and_pictures_equal_their_commands_output() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    assert!(train(&run, "4").status().unwrap().success());
    let server = Server::start(&[&run]);

    // The page and its assets come from the binary.
    let page = String::from_utf8(server.ok("/")).unwrap();
    assert!(page.contains("<script src=\"/assets/app.js\">"), "{page}");
    assert!(
        String::from_utf8(server.ok("/assets/app.js"))
            .unwrap()
            .contains("function poll")
    );
    let (_, _, h) = server.get("/assets/style.css");
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    server.refused("/assets/secret.txt");
    server.refused("/nowhere");

    // The runs: what the folder holds.
    let runs = server.json("/api/runs");
    let r = &runs[0];
    assert_eq!(r["name"], "run");
    assert_eq!(r["config"]["iterations"], 4);
    assert_eq!(
        r["checkpoints"],
        serde_json::json!(["ckpt_00000002.safetensors", "ckpt_00000004.safetensors"])
    );
    assert_eq!(r["samples"], serde_json::json!([2, 4]));
    assert_eq!(r["plots"], serde_json::json!(["loss.png"]));
    assert_eq!(r["training"], false);

    // Metrics: the log's records, after an iteration when asked.
    let log: Vec<serde_json::Value> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(server.json("/api/runs/0/metrics"), serde_json::json!(log));
    assert_eq!(
        server.json("/api/runs/0/metrics?after=2"),
        serde_json::json!(log[2..])
    );
    assert!(
        server
            .refused("/api/runs/0/metrics?after=x")
            .1
            .contains("after")
    );
    assert!(
        server
            .refused("/api/runs/0/metrics?from=1")
            .1
            .contains("unknown parameter")
    );
    assert_eq!(server.refused("/api/runs/1/metrics").0, 404);
    assert_eq!(server.refused("/api/runs/-1/metrics").0, 404);

    // Files: the grids and the plot, byte for byte; nothing else.
    for (url, file) in [
        (
            "/runs/0/samples/iter_00000002.png",
            "samples/iter_00000002.png",
        ),
        ("/runs/0/samples/latest.png", "samples/latest.png"),
        ("/runs/0/loss.png", "loss.png"),
    ] {
        assert_eq!(
            server.ok(url),
            std::fs::read(run.join(file)).unwrap(),
            "{url}"
        );
    }
    assert_eq!(server.refused("/runs/0/fid.png").0, 404); // not written without --eval-every
    for target in [
        "/runs/0/config.json",
        "/runs/0/metrics.jsonl",
        "/runs/0/samples/iter_00000003.png",
        "/runs/0/samples/..%2Fconfig.json",
        "/runs/0/%2E%2E%2Fconfig.json",
        "/runs/0/samples/../../../etc/passwd",
        "/runs/0/samples/%2e%2e/%2e%2e/etc/passwd",
        "/runs/0/checkpoints/ckpt_00000004.safetensors",
        "/runs/..%2F..%2Fetc/passwd",
        "/assets/..%2F..%2FCargo.toml",
    ] {
        let status = server.raw(target);
        assert!((400..500).contains(&status), "{target}: {status}");
    }

    // The explorer: each picture is the file its command line writes.
    let pictures = [
        "seed?seed=3",
        "sheet?seeds=0-15",
        "sheet?seeds=5,1,9&columns=2&zoom=3",
        "walk?seeds=3,17,42&steps=4",
        "walk?seeds=3,17&steps=5&slerp=1&zoom=2",
        "arithmetic?term=%2B1,2&term=-3,4&term=%2B5",
        "arithmetic?term=%2B7&term=-8&neighbours=3&radius=0.5&noise_seed=9",
        "turn?towards=1,2&away=3&seeds=4,5&steps=3&scale=2",
        "sheet?seeds=0-3&checkpoint=ckpt_00000002.safetensors",
    ];
    for (k, query) in pictures.iter().enumerate() {
        let (status, body, headers) = server.get(&format!("/api/runs/0/picture/{query}"));
        assert_eq!(status, 200, "{query}: {}", String::from_utf8_lossy(&body));
        assert_eq!(headers["content-type"], "image/png");
        let command = headers["x-dcgan-command"].to_str().unwrap().to_string();
        let kind = query.split('?').next().unwrap();
        let json = server.json(&format!("/api/runs/0/command/{query}"));
        assert_eq!(json["command"], command.as_str());
        let dir = tmp.path().join(format!("cli-{k}"));
        std::fs::create_dir(&dir).unwrap();
        run_command(&command, &dir);
        let file = if kind == "seed" {
            dir.join("samples/seed_000003.png")
        } else {
            dir.join(json["file"].as_str().unwrap())
        };
        assert!(
            body == std::fs::read(&file).unwrap(),
            "{query}: the served picture differs from `{command}`'s {}",
            file.display()
        );
        if query.contains("checkpoint=") {
            assert!(command.contains("ckpt_00000002.safetensors"), "{command}");
        } else {
            assert!(command.contains("ckpt_00000004.safetensors"), "{command}");
        }
    }
    // A download names the file.
    let (_, _, h) = server.get("/api/runs/0/picture/walk?seeds=1,2&download=1");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"walk.png\""
    );

    // The sliders' single frames: a walk's first frame is its first seed's sample, a turn by 0
    // is the sample itself, and a frame between two seeds is neither.
    let seed3 = server.ok("/api/runs/0/picture/seed?seed=3");
    let seed17 = server.ok("/api/runs/0/picture/seed?seed=17");
    assert_eq!(
        server.ok("/api/runs/0/picture/frame?seeds=3,17&steps=8&frame=0"),
        seed3
    );
    let middle = server.ok("/api/runs/0/picture/frame?seeds=3,17&steps=8&frame=4");
    assert!(middle != seed3 && middle != seed17);
    assert_eq!(
        server.ok("/api/runs/0/picture/turn-frame?towards=1&away=2&seed=3&alpha=0"),
        seed3
    );
    assert!(server.ok("/api/runs/0/picture/turn-frame?towards=1&away=2&seed=3&alpha=1.5") != seed3);

    // Bad requests: a 400 naming the parameter, or a 404 for what is not there.
    for (query, says) in [
        ("sheet?seeds=1,,2", "empty entry"),
        ("sheet?seeds=9-1", "backwards"),
        ("sheet?seeds=0-999", "1000 seeds"),
        ("sheet", "seeds"),
        ("seed?seed=-1", "seed"),
        ("walk?seeds=4", "1 seeds"),
        ("walk?seeds=1,2&steps=1000", "steps"),
        ("frame?seeds=1,2&steps=2&frame=3", "frame"),
        ("arithmetic?term=*3", "term"),
        ("turn?towards=1&away=2&seeds=3&scale=nan", "finite"),
        ("walk?seeds=1,2&file=../../x", "unknown parameter"),
        ("sheet?seeds=1&zoom=0", "zoom"),
        ("mosaic?seeds=1", "not one"),
    ] {
        let (status, text) = server.refused(&format!("/api/runs/0/picture/{query}"));
        assert_eq!(status, 400, "{query}: {text}");
        assert!(text.contains(says), "{query}: {text}");
    }
    for query in [
        "seed?seed=1&checkpoint=../../config.json",
        "seed?seed=1&checkpoint=ckpt_00000009.safetensors",
    ] {
        let (status, text) = server.refused(&format!("/api/runs/0/picture/{query}"));
        assert_eq!(status, 404, "{query}: {text}");
        assert!(text.contains("not one of this run's"), "{text}");
    }
    assert_eq!(server.refused("/api/runs/7/picture/seed?seed=1").0, 404);
}

#[test]
fn a_run_still_training_is_seen_growing_and_bad_folders_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("live");
    // Started long, stopped by the test once the page has seen it grow.
    let mut training = train(&run, "100000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !run.join("config.json").exists() {
        assert!(Instant::now() < deadline, "the training did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let server = Server::start(&[&run]);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        assert!(Instant::now() < deadline, "saw only {seen:?}");
        let records = server.json("/api/runs/0/metrics");
        let last = records
            .as_array()
            .unwrap()
            .last()
            .map(|r| r["iteration"].as_u64().unwrap());
        if let Some(last) = last
            && seen.last() != Some(&last)
        {
            // Only whole records, in order, 1 to the newest.
            let its: Vec<u64> = records
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["iteration"].as_u64().unwrap())
                .collect();
            assert_eq!(its, (1..=last).collect::<Vec<_>>());
            seen.push(last);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(server.json("/api/runs")[0]["training"], true);
    // The explorer works on the newest checkpoint while the run trains.
    let (status, body, _) = server.get("/api/runs/0/picture/seed?seed=1");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    training.kill().unwrap();
    training.wait().unwrap();
    assert_eq!(server.json("/api/runs")[0]["training"], false);
    drop(server);

    // A conditional model: the explorer says it works on unconditional ones (a 400), the live
    // view still serves it.
    let cond = tmp.path().join("cond");
    let out = train(&cond, "2").arg("--conditional").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(&[&cond]);
    assert_eq!(
        server.json("/api/runs/0/metrics").as_array().unwrap().len(),
        2
    );
    let (status, text) = server.refused("/api/runs/0/picture/seed?seed=1");
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("conditional model (4 classes)"), "{text}");
    drop(server);

    // Folders that are not runs: one clear message, nothing served.
    for (dir, says) in [
        (tmp.path().join("missing"), "no config.json"),
        (tmp.path().to_path_buf(), "no config.json"),
    ] {
        let out = bin()
            .args(["serve", "--port", "0", "--run", s(&dir)])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains(says) && stderr.contains(s(&dir)),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
