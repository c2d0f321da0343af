//! The training progress bar: iterations/s, images/s, ETA and the latest losses.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dcgan::train::Observer;
use dcgan::train::metrics::Record;
use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    batch_size: usize,
    stop: Arc<AtomicBool>,
    quiet: bool,
    rate: Option<f64>,
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
        }
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}

impl Observer for Progress {
    fn started(&mut self, first: u64, total: u64, batch_size: usize) {
        self.batch_size = batch_size;
        self.bar.set_length(total);
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
        self.bar.println(message);
    }

    fn should_stop(&mut self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}
