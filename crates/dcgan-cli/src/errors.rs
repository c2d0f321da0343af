//! How the library's errors read on the command line: a setting is named by the flag that sets
//! it, and an occupied run folder by the flags that deal with it.

use dcgan::Error;

/// The flag that sets the library setting `setting` (a configuration field's name).
pub fn flag(setting: &str) -> String {
    match setting {
        // TrainConfig::iterations is set by either.
        "iterations" => "--max-iters/--epochs".to_string(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// What the command `command` prints for `err` (after `error: `).
pub fn render(err: &anyhow::Error, command: &str) -> String {
    match err.downcast_ref::<Error>() {
        Some(Error::InvalidOption { option, message }) => {
            format!("invalid {}: {message}", flag(option))
        }
        Some(e @ Error::RunExists { .. }) if command == "train" => {
            format!("{e}; use --resume to continue it or --force to replace it")
        }
        Some(e @ Error::RunExists { .. }) => format!("{e}; use --force to replace it"),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_as_their_flags() {
        assert_eq!(flag("image_size"), "--image-size");
        assert_eq!(flag("iterations"), "--max-iters/--epochs");
        let err = anyhow::Error::from(Error::option("batch_size", "0: expected at least 1"));
        assert_eq!(
            render(&err, "train"),
            "invalid --batch-size: 0: expected at least 1"
        );
        let busy = || {
            anyhow::Error::from(Error::RunExists {
                path: "runs/a".into(),
            })
        };
        assert_eq!(
            render(&busy(), "train"),
            "runs/a: already holds a training run; use --resume to continue it or --force to \
             replace it"
        );
        assert_eq!(
            render(&busy(), "import"),
            "runs/a: already holds a training run; use --force to replace it"
        );
    }
}
