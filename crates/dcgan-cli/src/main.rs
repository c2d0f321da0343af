//! `dcgan`: the command line of the DCGAN library. Parses arguments, calls the library, prints.

mod cli;
mod commands;
mod errors;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, told to keep freed memory (see [`keep_freed_memory`]): a training step allocates
/// and frees the same large activation buffers every iteration; memory handed back to the kernel
/// comes back zeroed, page by page (measured: 8-12% of a 64x64 step in `clear_page`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the same position in its v2 and v3 enums).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Never purge freed memory back to the OS (`MIMALLOC_PURGE_DELAY=-1`): reuse costs no page
/// faults. Only for training and benchmarks, whose allocations repeat every iteration; commands
/// that allocate a little differently each time (feature extraction, SVMs) keep mimalloc's
/// default, so their peak memory stays what they use (`dcgan classify` on all of CIFAR-10 went
/// from 4.1 to 6.4 GiB with memory kept).
fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; mimalloc reads options at every purge decision.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn main() -> ExitCode {
    exit_quietly_on_closed_pipe();
    let cli = cli::Cli::parse();
    let command = cli.command.name();
    if matches!(cli.command, cli::Command::Train(_) | cli::Command::Bench(_)) {
        keep_freed_memory();
    }
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let interrupted = matches!(
                err.downcast_ref::<dcgan::Error>(),
                Some(dcgan::Error::Interrupted { .. })
            );
            eprintln!("error: {}", errors::render(&err, command));
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

/// `dcgan ... | head` closes the pipe early; like other Unix tools, end quietly then instead of
/// panicking in `println!` (Rust ignores SIGPIPE, so a write to a closed pipe is an error that
/// `println!` turns into a panic). Checkpoints are written atomically, so a run ended this way
/// leaves its last checkpoint whole.
fn exit_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal at start-up, before any other
    // thread exists, has no memory-safety conditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
