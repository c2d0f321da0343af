//! `dcgan`: the command line of the DCGAN library. Parses arguments, calls the library, prints.

mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed pages for reuse: the training step allocates and frees the same large
/// activation buffers every iteration, which glibc's allocator returns to the kernel and then
/// faults back in, zeroed, page by page.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let interrupted = matches!(
                err.downcast_ref::<dcgan::Error>(),
                Some(dcgan::Error::Interrupted { .. })
            );
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            if interrupted {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
