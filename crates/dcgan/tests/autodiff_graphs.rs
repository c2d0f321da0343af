//! A process that builds models on the autodiff device and drops them untrained (an import or a
//! checkpoint that is refused, again and again) keeps no memory for them: Burn keeps a graph
//! node per parameter until some backward sweeps it (`model::graphs`), and the library sweeps.
//!
//! Measured as resident memory, so this file holds one test: its own process, nothing else
//! allocating beside it.

use std::collections::BTreeMap;

use burn::tensor::Device;
use dcgan::data::DataSource;
use dcgan::model::{Generator, ModelConfig, graphs, weights};
use dcgan::run::RunDir;
use dcgan::train::TrainConfig;

fn resident_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("a VmRSS line")
}

fn model(ngf: usize) -> ModelConfig {
    ModelConfig {
        image_size: 16,
        ngf,
        ndf: 8,
        nz: 16,
        ..Default::default()
    }
}

#[test]
fn models_dropped_untrained_are_freed() {
    let ad = Device::flex().autodiff();
    let rounds = 1500;

    // A netG of another width than the model: every import builds the models, then refuses it.
    let dir = tempfile::tempdir().unwrap();
    let netg = dir.path().join("netG.safetensors");
    let wide = Generator::new(&model(16), &Device::flex());
    weights::write_safetensors(
        &netg,
        &weights::generator_to_pytorch(&wide),
        BTreeMap::new(),
    )
    .unwrap();
    let config = TrainConfig::new(model(8), DataSource::Builtin);
    let run = RunDir::new(dir.path().join("run"));
    let import = || {
        let refused = dcgan::interop::import_pytorch(&run, &config, &netg, None, true);
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("netG.safetensors")
        );
    };
    for _ in 0..200 {
        import(); // the allocator's pools fill
    }

    let before = resident_kb();
    for _ in 0..rounds {
        import();
    }
    let imports = resident_kb() as i64 - before as i64;

    // The same models built and dropped without the sweep: what the measure sees of a leak.
    let before = resident_kb();
    for _ in 0..rounds {
        drop(Generator::new(&model(8), &ad));
    }
    let unswept = resident_kb() as i64 - before as i64;

    graphs::sweep_dropped();
    let before = resident_kb();
    for _ in 0..rounds {
        drop(Generator::new(&model(8), &ad));
        graphs::sweep_dropped();
    }
    let swept = resident_kb() as i64 - before as i64;

    eprintln!(
        "resident growth over {rounds} rounds: imports {imports} KB, models dropped {unswept} KB unswept, {swept} KB swept"
    );
    // A generator has 14 parameter tensors; Burn keeps about 1.2 KB for each.
    assert!(
        unswept > 8 * 1024,
        "{unswept} KB: the leak this guards against is not measured"
    );
    assert!(
        imports < 1024,
        "{imports} KB kept by {rounds} refused imports"
    );
    assert!(swept < 1024, "{swept} KB kept by {rounds} swept models");
}
