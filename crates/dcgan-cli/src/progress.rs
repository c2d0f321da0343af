//! The training progress bar: iterations/s, images/s, ETA and the latest losses.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dcgan::train::metrics::Record;
use dcgan::train::{Observer, TrainConfig};
use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    batch_size: usize,
    stop: Arc<AtomicBool>,
    quiet: bool,
    rate: Option<f64>,
    /// Training images that did not decode, so far.
    bad_records: u64,
}

impl Progress {
    pub fn new(stop: Arc<AtomicBool>, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} [{elapsed_precise} < {eta_precise}] {msg}",
            )
            .expect("valid template"),
        );
        Self {
            bar,
            batch_size: 1,
            stop,
            quiet,
            rate: None,
            bad_records: 0,
        }
    }

    /// A line above the bar, or on stderr when there is no bar (quiet, or not a terminal).
    fn line(&self, text: &str) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}

impl Observer for Progress {
    fn started(&mut self, config: &TrainConfig, first: u64, dataset_len: usize) {
        let m = &config.model;
        self.line(&format!(
            "{} on {} ({dataset_len} images at {}x{}x{}): batch {}, iterations {}..{}, device {}",
            if first > 0 { "resuming" } else { "training" },
            config.data,
            m.channels,
            m.image_size,
            m.image_size,
            config.batch_size,
            first,
            config.iterations,
            config.device
        ));
        self.batch_size = config.batch_size;
        self.bar.set_length(config.iterations);
        self.bar.set_position(first);
        self.bar.reset_eta();
    }

    fn iteration(&mut self, r: &Record) {
        // Exponential moving average of the iteration rate.
        let now = 1.0 / r.seconds.max(1e-9);
        let rate = match self.rate {
            None => now,
            Some(old) => 0.9 * old + 0.1 * now,
        };
        self.rate = Some(rate);
        let s = &r.stats;
        let msg = format!(
            "{rate:.2} it/s {:.0} img/s | Loss_D {:.3} Loss_G {:.3} D(x) {:.3} D(G(z)) {:.3}/{:.3}",
            rate * self.batch_size as f64,
            s.loss_d,
            s.loss_g,
            s.d_x,
            s.d_g_z1,
            s.d_g_z2
        );
        let msg = match self.bad_records {
            0 => msg,
            n => format!("{msg} | {n} bad images skipped"),
        };
        self.bar.set_position(r.iteration);
        if self.quiet {
            if r.iteration.is_multiple_of(50) {
                eprintln!("[{}/{}] {msg}", r.iteration, self.bar.length().unwrap_or(0));
            }
        } else {
            self.bar.set_message(msg);
        }
    }

    fn note(&mut self, message: &str) {
        self.line(message);
    }

    fn bad_records(&mut self, bad: &[dcgan::data::BadRecord], total: u64) {
        if self.bad_records == 0 {
            self.line(&format!(
                "warning: {} (replaced by the next image; every such image is listed in \
                 data-errors.txt; --strict-data stops instead)",
                bad[0].message
            ));
        }
        self.bad_records = total;
    }

    fn should_stop(&mut self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// A bar for the library's long calls that report `(stage, done, total)`: the stage is the
/// bar's message, and each new stage restarts it.
pub struct StagedBar {
    bar: ProgressBar,
    stage: String,
}

impl StagedBar {
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>12} {bar:30.cyan/blue} {pos}/{len} [{elapsed_precise} < {eta_precise}]",
            )
            .expect("valid template"),
        );
        Self {
            bar,
            stage: String::new(),
        }
    }

    pub fn update(&mut self, stage: &str, done: usize, total: usize) {
        if stage != self.stage {
            self.stage = stage.to_string();
            self.bar.set_message(self.stage.clone());
            self.bar.set_length(total as u64);
            self.bar.reset();
        }
        self.bar.set_position(done as u64);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
