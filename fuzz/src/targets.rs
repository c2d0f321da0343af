//! The fuzz targets: each writes the input where the parser expects a file and calls the
//! library as a command would. An error is the right answer to a bad file; a panic, an abort
//! (an allocation the machine cannot give) or a hang is a finding. Shared with the regression
//! tests in `crates/dcgan/tests/fuzz_regressions.rs`, which replay the inputs that found bugs.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use dcgan::data::{DataSource, Dataset, Split};

/// A target: the library's answer to one input (`Err` for a rejected file is fine).
pub type Target = fn(&[u8]) -> dcgan::Result<()>;

const TARGETS: &[(&str, Target)] = &[
    ("idx", idx),
    ("cifar", cifar),
    ("svhn", svhn),
    ("image", image),
    ("checkpoint", checkpoint),
    ("import", import),
    ("weights", weights),
    ("config", config),
    ("boxes", boxes),
    ("seeds", seeds),
    ("stats", stats),
    ("metrics", metrics),
    ("lsun", lsun),
    ("packed", packed),
    ("keeplist", keeplist),
];

pub fn names() -> Vec<&'static str> {
    TARGETS.iter().map(|(n, _)| *n).collect()
}

pub fn find(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// A fresh, empty folder of this process and thread's own (on a RAM disk where there is one):
/// the regression tests replay inputs on several threads at once.
fn scratch(name: &str) -> PathBuf {
    let dir = scratch_root().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn scratch_root() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    base.join(format!("dcgan-fuzz-{}-{thread}", std::process::id()))
}

/// Removes this thread's scratch folders (the fuzzer keeps its own until it exits).
pub fn clean_scratch() {
    let _ = std::fs::remove_dir_all(scratch_root());
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("scratch write");
}

/// Splits the input in two at a point its first two bytes give.
fn two_files(bytes: &[u8]) -> (&[u8], &[u8]) {
    if bytes.len() < 2 {
        return (bytes, &[]);
    }
    let at = u16::from_le_bytes([bytes[0], bytes[1]]) as usize;
    let rest = &bytes[2..];
    rest.split_at(at.min(rest.len()))
}

fn open(source: &str, split: Split, size: usize) -> dcgan::Result<()> {
    let source = DataSource::from_str(source)?;
    let data = Dataset::open(&source, split, size, None)?;
    let _ = data.len();
    Ok(())
}

/// MNIST's IDX pair: images, then labels (the split point in the first two bytes).
fn idx(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("idx");
    let (images, labels) = two_files(bytes);
    write(&dir.join("t10k-images-idx3-ubyte"), images);
    write(&dir.join("t10k-labels-idx1-ubyte"), labels);
    open(&format!("mnist:{}", dir.display()), Split::Test, 16)
}

/// A CIFAR-10 binary batch.
fn cifar(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("cifar");
    write(&dir.join("test_batch.bin"), bytes);
    open(&format!("cifar10:{}", dir.display()), Split::Test, 16)
}

/// SVHN's MATLAB v5 file.
fn svhn(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("svhn");
    write(&dir.join("test_32x32.mat"), bytes);
    open(&format!("svhn:{}", dir.display()), Split::Test, 16)
}

/// One image in a folder source, under the extension the first byte picks: tif from 0xf0 up
/// (added later, so that the corpora of earlier sessions keep their meaning), else one of six.
fn image(bytes: &[u8]) -> dcgan::Result<()> {
    const EXTENSIONS: [&str; 6] = ["png", "jpg", "bmp", "pgm", "webp", "gif"];
    let dir = scratch("image");
    let (ext, body) = match bytes.split_first() {
        Some((b, rest)) if *b >= 0xf0 => ("tif", rest),
        Some((b, rest)) => (EXTENSIONS[*b as usize % EXTENSIONS.len()], rest),
        None => ("png", bytes),
    };
    write(&dir.join(format!("a.{ext}")), body);
    let source = DataSource::from_str(&format!("folder:{}", dir.display()))?;
    let data = Dataset::open(&source, Split::Train, 16, Some(3))?;
    // Decoding happens when a batch is read.
    data.batch(&[0])?;
    Ok(())
}

/// A checkpoint: its header alone (what commands read first), then the whole model.
fn checkpoint(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("checkpoint");
    let path = dir.join("ckpt_00000001.safetensors");
    write(&path, bytes);
    let config = dcgan::train::checkpoint::config_of(&path)?;
    let gan = dcgan::train::checkpoint::load(&path, &config, &burn::tensor::Device::flex())?;
    // A loaded model is dropped untrained: free what autodiff keeps of it (the library does
    // this itself for a checkpoint it refuses).
    drop(gan);
    dcgan::model::graphs::sweep_dropped();
    Ok(())
}

/// A PyTorch generator's weights (`export` of PyTorch's example), imported into a 16x16 model.
fn import(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("import");
    let netg = dir.join("netG.safetensors");
    write(&netg, bytes);
    let model = dcgan::model::ModelConfig {
        image_size: 16,
        ngf: 8,
        ndf: 8,
        nz: 16,
        ..Default::default()
    };
    let config = dcgan::train::TrainConfig::new(model, DataSource::Builtin);
    let run = dcgan::run::RunDir::new(dir.join("run"));
    dcgan::interop::import_pytorch(&run, &config, &netg, None, true)?;
    Ok(())
}

/// A weights file in either format, told from its content: safetensors or a PyTorch `.pth`
/// (zip or legacy pickle), as `import --pytorch` and the metrics' Inception weights read it.
fn weights(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("weights");
    let path = dir.join("weights.pth");
    write(&path, bytes);
    dcgan::model::weights::read_weights(&path)?;
    Ok(())
}

/// A run's `config.json`.
fn config(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("config");
    write(&dir.join("config.json"), bytes);
    let config = dcgan::train::read_run_config(&dcgan::run::RunDir::new(&dir))?;
    config.validate()
}

/// A box file of `forget`.
fn boxes(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("boxes");
    let path = dir.join("boxes.json");
    write(&path, bytes);
    dcgan::inside::forget::read_boxes(&path, 64)?;
    Ok(())
}

/// Seed lists, arithmetic terms and layer names, as typed on the command line.
fn seeds(bytes: &[u8]) -> dcgan::Result<()> {
    let text = String::from_utf8_lossy(bytes);
    let a = dcgan::latent::parse_seeds(&text);
    let b = dcgan::latent::arithmetic::Term::parse("--term", &text);
    let c = dcgan::inside::forget::parse_layer(&text, 4);
    let d = dcgan::inside::guided::parse_layer(&text, 4);
    a?;
    b?;
    c?;
    d?;
    Ok(())
}

/// Reference statistics (`.npz`, pytorch-fid's format).
fn stats(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("stats");
    let path = dir.join("stats.npz");
    write(&path, bytes);
    dcgan::metrics::stats_file::read_npz(&path)?;
    Ok(())
}

/// A run's `metrics.jsonl`.
fn metrics(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("metrics");
    let path = dir.join("metrics.jsonl");
    write(&path, bytes);
    dcgan::train::metrics::read(&path)?;
    Ok(())
}

/// An LSUN environment's `data.mdb`: opened, its keys listed, its first records decoded.
fn lsun(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("lsun");
    write(&dir.join("data.mdb"), bytes);
    let source = DataSource::Lsun(dir);
    let data = Dataset::open_with_cache(&source, Split::Train, 8, Some(3), None)?;
    let first: Vec<usize> = (0..data.len().min(3)).collect();
    data.strict(true).pixels(&first)?;
    Ok(())
}

/// A packed dataset (`dcgan data pack`), opened at the size its header gives, its first images
/// read (and checked against their CRCs).
fn packed(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("packed");
    let path = dir.join("data.pack");
    write(&path, bytes);
    let header = dcgan::data::read_pack_header(&path)?;
    let data = Dataset::open(&DataSource::Packed(path), Split::Train, header.size, None)?;
    let first: Vec<usize> = (0..data.len().min(3)).collect();
    data.strict(true).pixels(&first)?;
    Ok(())
}

/// A keep-list (`dcgan dedup`).
fn keeplist(bytes: &[u8]) -> dcgan::Result<()> {
    let dir = scratch("keeplist");
    let path = dir.join("keep.txt");
    write(&path, bytes);
    dcgan::dedup::KeepList::read(&path)?;
    Ok(())
}
