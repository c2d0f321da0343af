//! `dcgan serve` in a real browser: headless Chromium, driven through ChromeDriver's WebDriver
//! protocol (plain HTTP), loads the page, picks two seeds on the contact sheet, moves the walk
//! slider, and the walk's picture on screen changes as it should: frame 8 of a walk from seed 3 to
//! seed 17 is not frame 0, and going back to 0 shows frame 0 again, pixel for pixel.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test says so and passes,
//! unless `DCGAN_REQUIRE_BROWSER=1` (CI, which installs them) makes that a failure.
//!
//! The README's screenshots are made by this test:
//! `DCGAN_SCREENSHOT_RUN=runs/quickstart DCGAN_SCREENSHOTS=docs/images cargo test -p dcgan-cli
//! --test browser` serves that run instead of a tiny one and saves each view there.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// One WebDriver session.
struct Browser {
    base: String,
    session: String,
    _driver: Killed,
}

impl Browser {
    fn start() -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Killed(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent().get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1100",
                         "--force-device-scale-factor=1"]
            }
        }}});
        let mut me = Self {
            base,
            session: String::new(),
            _driver: driver,
        };
        let v = me.call("POST", "/session", Some(caps));
        me.session = v["sessionId"].as_str().unwrap().to_string();
        me
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if self.session.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let mut r = match method {
            "GET" => agent().get(&url).call(),
            "DELETE" => agent().delete(&url).call(),
            _ => agent()
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        }
        .unwrap();
        let status = r.status().as_u16();
        let v: Value = serde_json::from_slice(
            &r.body_mut()
                .with_config()
                .limit(1 << 28)
                .read_to_vec()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(status, 200, "{method} {path}: {v}");
        v["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Waits until `condition` (a JavaScript expression) is true.
    fn wait_for(&self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.script(&format!("return !!({condition});")) != json!(true) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {condition}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn click(&self, css: &str) {
        let e = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        let id = e
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        self.call("POST", &format!("/element/{id}/click"), None);
    }

    fn screenshot(&self) -> image::RgbImage {
        let b64 = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        image::load_from_memory(&bytes).unwrap().to_rgb8()
    }

    /// The pixels of the element `css` on screen.
    fn shot_of(&self, css: &str) -> image::RgbImage {
        let r = self.script(&format!(
            "const r = document.querySelector('{css}').getBoundingClientRect(); \
             return [r.x, r.y, r.width, r.height];"
        ));
        let r: Vec<u32> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap().round() as u32)
            .collect();
        image::imageops::crop_imm(&self.screenshot(), r[0], r[1], r[2], r[3]).to_image()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = agent()
                .delete(&format!("{}/session/{}", self.base, self.session))
                .call();
        }
    }
}

fn server(run: &Path) -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dcgan"))
        .args(["serve", "--port", "0", "--run", run.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    (Killed(child), url)
}

fn available() -> bool {
    let found = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !found {
        assert!(
            std::env::var_os("DCGAN_REQUIRE_BROWSER").is_none(),
            "DCGAN_REQUIRE_BROWSER is set but {CHROMIUM} or {CHROMEDRIVER} is missing \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: no Chromium (apt-get install chromium chromium-driver)");
    }
    found
}

#[test]
fn picking_two_seeds_and_moving_the_walk_slider_changes_the_walk_on_screen() {
    if !available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let run: PathBuf = match std::env::var_os("DCGAN_SCREENSHOT_RUN") {
        Some(r) => r.into(),
        None => {
            let run = tmp.path().join("run");
            let out = Command::new(env!("CARGO_BIN_EXE_dcgan"))
                .args(["train", "--out", run.to_str().unwrap(), "--max-iters", "4"])
                .args([
                    "--batch-size",
                    "16",
                    "--sample-every",
                    "2",
                    "--checkpoint-every",
                    "2",
                ])
                .args([
                    "--image-size",
                    "16",
                    "--ngf",
                    "8",
                    "--ndf",
                    "8",
                    "--nz",
                    "16",
                    "--quiet",
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            run
        }
    };
    let shots = std::env::var_os("DCGAN_SCREENSHOTS").map(PathBuf::from);
    let (_server, url) = server(&run);
    let browser = Browser::start();

    // The live view: the grid and the loss curves drawn from the run's files.
    browser.go(&format!("{url}?view=live"));
    browser.wait_for("document.querySelector('#grid').complete && document.querySelector('#grid').naturalWidth > 0");
    browser.wait_for("document.querySelectorAll('#loss-chart path').length === 4");
    assert_eq!(
        browser.script(
            "return document.querySelector('#config').textContent.includes('\"iterations\"');"
        ),
        json!(true)
    );
    if let Some(dir) = &shots {
        browser
            .screenshot()
            .save(dir.join("serve-live.png"))
            .unwrap();
    }

    // The explorer: pick seeds 3 and 17 on the contact sheet.
    browser.click("#tab-explore");
    browser.wait_for(
        "[...document.querySelectorAll('#sheet img')].length === 64 && \
         [...document.querySelectorAll('#sheet img')].every(i => i.complete && i.naturalWidth > 0)",
    );
    browser.click(".tile[data-seed='3']");
    browser.click(".tile[data-seed='17']");
    assert_eq!(
        browser.script(
            "return [...document.querySelectorAll('#picked .tile')].map(t => +t.dataset.seed);"
        ),
        json!([3, 17])
    );
    let loaded = "(() => { const i = document.querySelector('#walk-frame'); \
                  return i.dataset.loaded === i.dataset.want && i.complete && i.naturalWidth > 0; })()";
    browser.wait_for(loaded);
    let frame0 = browser.shot_of("#walk-frame");
    // The command that reproduces the walk is on the page.
    browser.wait_for(
        "document.querySelector('#commands').textContent.includes('--from-seeds 3,17 --steps 8')",
    );

    // Move the slider to frame 8 (the walk's end, seed 17): the picture changes.
    browser.script(
        "const s = document.querySelector('#walk-slider'); s.value = 8; \
         s.dispatchEvent(new Event('input'));",
    );
    browser.wait_for(&format!(
        "document.querySelector('#walk-frame').dataset.want.includes('frame=8') && {loaded}"
    ));
    let frame8 = browser.shot_of("#walk-frame");
    assert_eq!(frame0.dimensions(), frame8.dimensions());
    let differ = frame0
        .pixels()
        .zip(frame8.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        differ > frame0.len() / 3 / 10,
        "only {differ} pixels changed from frame 0 to frame 8"
    );
    // And back: frame 0 again, the same pixels.
    browser.script(
        "const s = document.querySelector('#walk-slider'); s.value = 0; \
         s.dispatchEvent(new Event('input'));",
    );
    browser.wait_for(&format!(
        "document.querySelector('#walk-frame').dataset.want.includes('frame=0') && {loaded}"
    ));
    assert!(browser.shot_of("#walk-frame") == frame0);

    if let Some(dir) = &shots {
        // Groups for the arithmetic and the turn, then the explorer's screenshot.
        browser.go(&format!(
            "{url}?view=explore&pick=3,17,5&a=3&b=17&c=5&frame=4"
        ));
        browser.wait_for("document.querySelector('#arith').naturalWidth > 0");
        browser.wait_for(loaded);
        std::thread::sleep(Duration::from_millis(500));
        browser
            .screenshot()
            .save(dir.join("serve-explore.png"))
            .unwrap();
    }
}
