//! The training loop over a run folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};

use super::checkpoint;
use super::metrics::{MetricsLog, Record};
use super::{Evaluator, Gan, TrainConfig};
use crate::data::{Dataset, Loader, Split};
use crate::run::RunDir;
use crate::run::tensorboard::EventWriter;
use crate::{Error, Result, latent, render};

/// Whether a run starts fresh or continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A new run; `force` allows replacing the outputs of an existing one in the same folder.
    New {
        /// Replace an existing run's files.
        force: bool,
    },
    /// Continue from the newest checkpoint of the folder.
    Resume,
}

/// Receives progress from [`run_training`]; the CLI shows it, tests record it.
pub trait Observer {
    /// Training is about to run iterations `first..config.iterations` (images in `dataset_len`).
    fn started(&mut self, _config: &TrainConfig, _first: u64, _dataset_len: usize) {}
    /// One iteration finished.
    fn iteration(&mut self, _record: &Record) {}
    /// Something worth a line: a checkpoint or grid written.
    fn note(&mut self, _message: &str) {}
    /// Training images of this batch did not decode and were replaced (listed in the run's
    /// `data-errors.txt`); `total`: how many the run has met so far.
    fn bad_records(&mut self, _bad: &[crate::data::BadRecord], _total: u64) {}
    /// Polled after every iteration: `true` saves a checkpoint and stops (Ctrl-C).
    fn should_stop(&mut self) -> bool {
        false
    }
}

/// What a finished run produced.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Iterations completed in total.
    pub iterations: u64,
    /// The last checkpoint.
    pub checkpoint: std::path::PathBuf,
    /// The final sample grid (`None` when it could not be written: a warning said why).
    pub grid: Option<std::path::PathBuf>,
    /// The last iteration's measurements.
    pub last: Option<Record>,
}

/// Reads a run's `config.json`.
pub fn read_run_config(run: &RunDir) -> Result<TrainConfig> {
    let path = run.config();
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::format(&path, format!("not a dcgan run configuration: {e}")))
}

/// The fixed-noise grid of `gan`'s generator as PNG bytes: square, or for a conditional model
/// one column per class.
fn grid_png(gan: &Gan, fixed_z: &Tensor<2>, path: &Path) -> Result<(Vec<u8>, (u32, u32))> {
    let images = crate::images::Images::from_tensor(gan.generator().forward(fixed_z.clone()));
    let classes = gan.config().model.classes;
    let grid = render::grid_image(&images, (classes > 0).then_some(classes));
    let size = grid.dimensions();
    Ok((
        render::encode(&image::DynamicImage::ImageRgb8(grid), path)?,
        size,
    ))
}

/// The run's TensorBoard events (`--no-tensorboard`: none). Like the figures, they are not
/// state: a write that fails is a warning, and the events stop for the rest of the session.
struct Board(Option<EventWriter>);

impl Board {
    fn open(run: &RunDir, config: &TrainConfig, first: u64, observer: &mut dyn Observer) -> Self {
        if !config.tensorboard {
            return Self(None);
        }
        match EventWriter::create(run.root(), first + 1) {
            Ok(w) => Self(Some(w)),
            Err(e) => {
                observer.note(&format!(
                    "warning: no TensorBoard events this session: {e}; training goes on"
                ));
                Self(None)
            }
        }
    }

    fn record(&mut self, record: &Record, batch: usize) {
        let Some(w) = &mut self.0 else { return };
        let s = &record.stats;
        let mut values = vec![
            ("loss/D", f64::from(s.loss_d)),
            ("loss/G", f64::from(s.loss_g)),
            ("D/real", f64::from(s.d_x)),
            ("D/fake_before_D_step", f64::from(s.d_g_z1)),
            ("D/fake_after_D_step", f64::from(s.d_g_z2)),
        ];
        if record.seconds > 0.0 {
            values.push(("speed/images_per_s", batch as f64 / record.seconds));
        }
        if let Some(e) = record.eval {
            values.extend([
                ("eval/FID", e.fid),
                ("eval/KID", e.kid),
                ("eval/KID_std", e.kid_std),
            ]);
        }
        w.scalars(record.iteration, &values);
    }

    fn flush(&mut self, observer: &mut dyn Observer) {
        if let Some(Err(e)) = self.0.as_mut().map(EventWriter::flush) {
            observer.note(&format!(
                "warning: TensorBoard events stop here: {e}; training goes on"
            ));
            self.0 = None;
        }
    }
}

/// Writes the grid of iteration `it` and `latest.png` (and, with `log`, the loss plot). These
/// are figures, not state: one that cannot be written (a full disk, a read-only `samples/`) is
/// a warning and training goes on; the checkpoints are what a resume needs. Returns whether the
/// grid was written.
fn write_figures(
    run: &RunDir,
    gan: &Gan,
    fixed_z: &Tensor<2>,
    log: Option<&MetricsLog>,
    board: &mut Board,
    observer: &mut dyn Observer,
) -> bool {
    let it = gan.iteration;
    let path = run.samples().join(format!("iter_{it:08}.png"));
    let grid = grid_png(gan, fixed_z, &path).and_then(|(png, size)| {
        if let Some(w) = &mut board.0 {
            w.image(it, "samples", &png, size, 3);
        }
        crate::run::write_whole(&path, &png)?;
        crate::run::write_whole(&run.samples().join("latest.png"), &png)
    });
    if let Err(e) = &grid {
        observer.note(&format!(
            "warning: skipped the sample grid of iteration {it}: {e}; training goes on"
        ));
    }
    if let Some(Err(e)) = log.map(|log| log.plot(&run.loss_plot())) {
        observer.note(&format!(
            "warning: skipped the loss plot at iteration {it}: {e}; training goes on"
        ));
    }
    grid.is_ok()
}

/// A failed write of what a resume needs (a checkpoint, the metrics log) as
/// [`Error::NotWritten`], naming the newest checkpoint, which the failure left whole (a
/// checkpoint is written to a temporary file first, and older ones are removed only after a new
/// one is in place). Other errors pass through.
fn not_written(run: &RunDir, iteration: u64, err: Error) -> Error {
    match err {
        Error::Io { path, error } => Error::NotWritten {
            path,
            iteration,
            error,
            kept: run
                .list_checkpoints()
                .ok()
                .and_then(|all| all.last().map(|(_, p)| p.clone())),
        },
        other => other,
    }
}

/// Checks that a conditional model's data has labels of as many classes as the model.
fn check_classes(config: &TrainConfig, dataset: &Dataset) -> Result<()> {
    let classes = config.model.classes;
    if classes == 0 {
        return Ok(());
    }
    match &dataset.classes {
        Some(names) if names.len() == classes => Ok(()),
        Some(names) => Err(Error::option(
            "conditional",
            format!(
                "the model has {classes} classes but {} has {}",
                config.data,
                names.len()
            ),
        )),
        None => Err(Error::option(
            "conditional",
            format!(
                "{} has no labels (a folder needs one subfolder per class): a conditional model \
                 trains on labelled images",
                config.data
            ),
        )),
    }
}

/// Trains per `config` in `run` (new) or continues the run (resume: `config` then only supplies
/// a new length, `epochs` or `iterations` when set, and the device), writing config, metrics,
/// grids and checkpoints.
pub fn run_training(
    run: &RunDir,
    config: &TrainConfig,
    start: Start,
    device: &Device,
    observer: &mut dyn Observer,
) -> Result<Summary> {
    let open = |c: &TrainConfig| {
        Dataset::open(
            &c.data,
            Split::Train,
            c.model.image_size,
            Some(c.model.channels),
        )
        .map(|d| d.strict(c.strict_data))
        .and_then(|d| match &c.keep_list {
            Some(list) => crate::dedup::keep::apply(d, list),
            None => Ok(d),
        })
    };
    // Resolved first, so that a device the machine lacks changes nothing in the folder.
    let replicas = config
        .replicas
        .iter()
        .map(|c| c.device())
        .collect::<Result<Vec<_>>>()?;
    let (config, gan, dataset, _lock) = match start {
        Start::New { force } => {
            config.validate()?;
            let occupied =
                run.config().exists() || run.checkpoints().exists() || run.metrics().exists();
            if occupied && !force {
                return Err(Error::RunExists {
                    path: run.root().to_path_buf(),
                });
            }
            // Open the data before touching the folder, so a bad source changes nothing.
            let dataset = open(config)?;
            check_classes(config, &dataset)?;
            let mut config = config.clone();
            config.resolve_length(dataset.len());
            std::fs::create_dir_all(run.root()).map_err(|e| Error::io(run.root(), e))?;
            // Taken before --force clears anything: a live run's outputs are never removed.
            let lock = run.lock()?;
            if force {
                run.clear_outputs()?;
            }
            let gan = Gan::new(&config, device);
            (config, gan, dataset, lock)
        }
        Start::Resume => {
            let mut stored = read_run_config(run)?;
            let lock = run.lock()?;
            if config.epochs.is_some() || config.iterations > 0 {
                stored.epochs = config.epochs;
                stored.iterations = config.iterations;
            }
            stored.device = config.device;
            stored.replicas = config.replicas.clone();
            stored.strict_data |= config.strict_data;
            stored.tensorboard = config.tensorboard;
            stored.validate()?;
            let dataset = open(&stored)?;
            check_classes(&stored, &dataset)?;
            stored.resolve_length(dataset.len());
            let gan = match newest_intact(run, observer)? {
                Some((path, contents)) => checkpoint::restore(&path, contents, &stored, device)?,
                None => {
                    // Stopped before its first checkpoint: config.json holds everything the run
                    // is, and the same seed draws the same start, so this is the same run.
                    observer.note(&format!(
                        "{} has no checkpoint yet: starting it again from iteration 0",
                        run.root().display()
                    ));
                    Gan::new(&stored, device)
                }
            };
            (stored, gan, dataset, lock)
        }
    };
    let json = serde_json::to_string_pretty(&config).expect("config serialises");
    crate::run::write_atomic(&run.config(), json.as_bytes())?;
    let gan = gan.with_replicas(&replicas);
    if !replicas.is_empty() {
        let n = 1 + replicas.len();
        let names: Vec<String> = std::iter::once(config.device)
            .chain(config.replicas.iter().copied())
            .map(|d| d.to_string())
            .collect();
        observer.note(&format!(
            "data-parallel on {n} devices ({}): shards of {} images, batch norm per shard, \
             gradients averaged on {}",
            names.join(", "),
            config.batch_size / n,
            config.device
        ));
    }
    train_loop(run, config, gan, Arc::new(dataset), observer)
}

/// The newest checkpoint of `run` that reads back whole, with its contents, noting each damaged
/// one passed over (truncated, bit-flipped: see [`checkpoint`]); `None` when the run has none
/// yet, an error when it has only damaged ones.
fn newest_intact(
    run: &RunDir,
    observer: &mut dyn Observer,
) -> Result<Option<(PathBuf, checkpoint::Contents)>> {
    let all = run.list_checkpoints()?;
    let mut newest_error = None;
    let mut damaged = Vec::new();
    for (_, path) in all.iter().rev() {
        match checkpoint::read_config(path) {
            Ok(contents) => {
                if newest_error.is_some() {
                    observer.note(&format!("resuming from {}", path.display()));
                }
                // The damaged ones are newer than where the run goes on from: out of the list,
                // or keeping the newest N would count them and remove new, whole checkpoints.
                for bad in damaged {
                    let aside = set_aside(bad)?;
                    observer.note(&format!("kept the damaged file as {}", aside.display()));
                }
                return Ok(Some((path.clone(), contents)));
            }
            Err(e) => {
                observer.note(&format!("passing over a damaged checkpoint: {e}"));
                newest_error.get_or_insert(e);
                damaged.push(path);
            }
        }
    }
    match newest_error {
        None => Ok(None),
        Some(e) => Err(Error::format(
            run.checkpoints(),
            format!(
                "none of its {} checkpoints reads back whole (the newest: {e}); start the run \
                 afresh with --force",
                all.len()
            ),
        )),
    }
}

/// Renames a damaged checkpoint to `NAME.damaged` (or `NAME.damaged-2`, ...): kept for whoever
/// wants to look at it, no longer a checkpoint of the run.
fn set_aside(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let aside = (1..)
        .map(|k| match k {
            1 => path.with_file_name(format!("{name}.damaged")),
            k => path.with_file_name(format!("{name}.damaged-{k}")),
        })
        .find(|p| !p.exists())
        .expect("an unused name");
    std::fs::rename(path, &aside).map_err(|e| Error::io(path, e))?;
    Ok(aside)
}

/// Appends the records of iteration `it` that did not decode to the run's `data-errors.txt`.
fn log_bad_records(run: &RunDir, it: u64, bad: &[crate::data::BadRecord]) -> Result<()> {
    use std::io::Write;
    let path = run.data_errors();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let text: String = bad
        .iter()
        .map(|b| {
            format!(
                "iteration {it}: {} (replaced by the next record)\n",
                b.message
            )
        })
        .collect();
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(&path, e))
}

fn train_loop(
    run: &RunDir,
    config: TrainConfig,
    mut gan: Gan,
    dataset: Arc<Dataset>,
    observer: &mut dyn Observer,
) -> Result<Summary> {
    let m = config.model.clone();
    let dataset_len = dataset.len();
    let per_epoch = (dataset_len / config.batch_size) as u64;
    let first = gan.iteration;
    let mut loader = Loader::start(
        dataset,
        config.batch_size,
        config.seed,
        first,
        config.iterations,
        3,
    )?;
    let mut log = MetricsLog::open(&run.metrics(), first)?;
    // One fixed noise batch for every grid, so progress is comparable (PyTorch's `fixed_noise`).
    let mut fixed = latent::batch(config.seed ^ 0xF1ED, config.grid_samples, m.nz, m.latent);
    if m.is_conditional() {
        // Image i shows class i % classes: one column per class.
        let labels: Vec<usize> = (0..config.grid_samples).map(|i| i % m.classes).collect();
        fixed = crate::conditional::join_labels(&fixed, m.nz, &labels, m.classes);
    }
    let fixed_z = Tensor::<2>::from_data(
        TensorData::new(fixed, [config.grid_samples, m.generator_input()]),
        &gan.device.clone().inner(),
    );
    let mut evaluator = match &config.eval {
        Some(e) => {
            observer.note(&format!(
                "evaluating every {} iterations: FID and KID of {} samples in {} features",
                e.every, e.samples, e.features
            ));
            Some(Evaluator::start(e, &gan, run)?)
        }
        None => None,
    };
    let mut board = Board::open(run, &config, first, observer);
    observer.started(&config, first, dataset_len);
    let mut bad_total =
        std::fs::read_to_string(run.data_errors()).map_or(0, |t| t.lines().count() as u64);

    let mut last = None;
    let mut checkpoint_path = None;
    let mut stopped = false;
    let mut tick = Instant::now();
    while let Some(batch) = loader.next_batch() {
        let batch = batch?;
        if !batch.bad.is_empty() {
            bad_total += batch.bad.len() as u64;
            if let Err(e) = log_bad_records(run, batch.iteration + 1, &batch.bad) {
                observer.note(&format!(
                    "warning: could not list the images that did not decode: {e}"
                ));
            }
            observer.bad_records(&batch.bad, bad_total);
        }
        let real = batch.images.into_tensor(&gan.device);
        let stats = if m.is_conditional() {
            let labels = batch.labels.as_deref().unwrap_or(&[]);
            let labels =
                crate::conditional::labels_of(labels, m.classes, &config.data.to_string())?;
            gan.step_labelled(real, &labels)
        } else {
            gan.step(real)
        };
        let mut record = Record {
            iteration: gan.iteration,
            epoch: batch.iteration / per_epoch,
            stats,
            seconds: tick.elapsed().as_secs_f64(),
            eval: None,
        };
        let it = gan.iteration;
        let stop_writing = |e| not_written(run, it, e);
        if !(stats.loss_d.is_finite() && stats.loss_g.is_finite()) {
            log.push(record).map_err(stop_writing)?;
            log.flush().map_err(stop_writing)?;
            return Err(Error::Diverged {
                iteration: gan.iteration,
                loss_d: stats.loss_d,
                loss_g: stats.loss_g,
            });
        }
        let done = it >= config.iterations;
        if let Some(ev) = evaluator.as_mut()
            && (it.is_multiple_of(config.eval.as_ref().map_or(1, |e| e.every)) || done)
        {
            let (scores, best) = ev.evaluate(&gan, run).map_err(stop_writing)?;
            record.eval = Some(scores);
            observer.note(&format!(
                "iteration {it}: FID {:.4}, KID {:.6} +- {:.6} in {} features ({:.1} s){}",
                scores.fid,
                scores.kid,
                scores.kid_std,
                ev.label(),
                scores.seconds,
                if best { ", the best so far" } else { "" }
            ));
        }
        tick = Instant::now();
        log.push(record).map_err(stop_writing)?;
        board.record(&record, config.batch_size);
        if let (Some(ev), Some(_)) = (&evaluator, record.eval) {
            log.flush().map_err(stop_writing)?;
            if let Err(e) = log.plot_eval(&run.eval_plot(), &ev.label()) {
                observer.note(&format!(
                    "warning: skipped the FID plot at iteration {it}: {e}; training goes on"
                ));
            }
        }
        observer.iteration(&record);
        last = Some(record);
        stopped = observer.should_stop();
        if (config.sample_every > 0 && it.is_multiple_of(config.sample_every)) || done || stopped {
            log.flush().map_err(stop_writing)?;
            write_figures(run, &gan, &fixed_z, Some(&log), &mut board, observer);
            board.flush(observer);
        }
        if (config.checkpoint_every > 0 && it.is_multiple_of(config.checkpoint_every))
            || done
            || stopped
        {
            log.persist().map_err(stop_writing)?;
            board.flush(observer);
            let path =
                checkpoint::save(run, &gan, config.keep_checkpoints).map_err(stop_writing)?;
            observer.note(&format!("checkpoint {}", path.display()));
            checkpoint_path = Some(path);
        }
        if stopped {
            break;
        }
    }
    log.flush()
        .map_err(|e| not_written(run, gan.iteration, e))?;
    board.flush(observer);
    if stopped {
        return Err(Error::Interrupted {
            iteration: gan.iteration,
            checkpoint: checkpoint_path.expect("saved on stop"),
        });
    }
    // Nothing ran (already complete): make sure the outputs exist anyway.
    let checkpoint = match checkpoint_path {
        Some(p) => p,
        None => run.latest_checkpoint()?,
    };
    let latest = run.samples().join("latest.png");
    let grid = (latest.exists() || write_figures(run, &gan, &fixed_z, None, &mut board, observer))
        .then_some(latest);
    board.flush(observer);
    Ok(Summary {
        iterations: gan.iteration,
        checkpoint,
        grid,
        last,
    })
}
