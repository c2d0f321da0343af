//! `dcgan serve`.

use std::io::Write;

use anyhow::Result;
use dcgan::serve::{ServeConfig, serve};

use crate::cli::ServeArgs;

pub fn run(args: ServeArgs) -> Result<()> {
    let config = ServeConfig {
        runs: args.runs,
        host: args.host,
        port: args.port,
        device: args.device.parse()?,
    };
    serve(&config, |addr| {
        // The first line names the address (with --port 0, the port it got); tests read it.
        println!(
            "serving {} run(s) at http://{addr}/ (Ctrl-C stops)",
            config.runs.len()
        );
        let _ = std::io::stdout().flush();
    })?;
    Ok(())
}
