//! `dcgan conditional-eval`: the appendix's nearest-neighbour evaluation of a conditional model.

use anyhow::Result;
use dcgan::conditional::evaluate::{self, Evaluation};

use crate::cli::ConditionalEvalArgs;
use crate::progress::StagedBar;

pub fn evaluate(args: ConditionalEvalArgs) -> Result<()> {
    let device = super::open_device(&args.device)?;
    let checkpoint = args.from.path()?;
    let config = dcgan::train::checkpoint::config_of(&checkpoint)?;
    let data = super::data_for_run(args.data.as_deref(), &config, false)?;
    let nonzero = |sizes: &[usize]| sizes.iter().copied().filter(|&n| n > 0).collect();
    let e = Evaluation {
        checkpoint,
        data,
        generated: nonzero(&args.generated),
        real: nonzero(&args.real),
        test: args.test,
        seed: args.seed,
        chunk: args.chunk,
    };
    let mut bar = StagedBar::new();
    let report = evaluate::run(&e, &device, &mut |stage, done, total| {
        bar.update(stage, done, total)
    });
    bar.finish();
    let report = report?;
    for line in report.lines() {
        println!("{line}");
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        dcgan::run::write_atomic(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
