//! The keep-list: which images of a source a training uses after de-duplication.
//!
//! A text file: a few `#` lines naming the source, its number of records and a digest of their
//! names (file paths, LSUN keys), then the index of each kept record, one per line, ascending.
//! `dcgan train --keep-list FILE` refuses a list made for another listing of the data (other
//! files, another environment), since the indices would then name other images.

use std::path::Path;

use crate::data::{BadRecord, Dataset};
use crate::{Error, Result};

const FIRST_LINE: &str = "# dcgan keep-list";

/// Kept indices of one source's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepList {
    /// The source it was made for.
    pub source: String,
    /// Records in that source.
    pub records: usize,
    /// Digest of their names.
    pub digest: String,
    /// The kept indices, ascending.
    pub kept: Vec<usize>,
}

impl KeepList {
    /// Everything in `data` but the members after the first of each group and the records
    /// that did not decode.
    pub fn from_groups(data: &Dataset, groups: &[super::Group], bad: &[BadRecord]) -> Self {
        let mut drop = vec![false; data.len()];
        let later_members = groups.iter().flat_map(|g| &g.members[1..]);
        for &i in later_members.chain(bad.iter().map(|b| &b.index)) {
            drop[i] = true;
        }
        Self {
            source: data.source.to_string(),
            records: data.len(),
            digest: data.listing_digest(),
            kept: (0..data.len()).filter(|&i| !drop[i]).collect(),
        }
    }

    /// Writes the list.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = format!(
            "{FIRST_LINE}\n# source: {}\n# records: {}\n# names-sha256: {}\n# kept: {}\n",
            self.source,
            self.records,
            self.digest,
            self.kept.len()
        );
        for i in &self.kept {
            text.push_str(&i.to_string());
            text.push('\n');
        }
        crate::run::write_atomic(path, text.as_bytes())
    }

    /// Reads a list, checking its form (each index a number, ascending, below the count).
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let bad = |m: String| Error::format(path, m);
        let mut lines = text.lines().enumerate();
        if lines.next().map(|(_, l)| l) != Some(FIRST_LINE) {
            return Err(bad(format!(
                "not a keep-list (its first line is not `{FIRST_LINE}`; `dcgan dedup` writes \
                 them)"
            )));
        }
        let mut field = |name: &str| -> Result<String> {
            match lines.next() {
                Some((_, l)) => l
                    .strip_prefix(&format!("# {name}: "))
                    .map(str::to_string)
                    .ok_or_else(|| bad(format!("line `{l}`: expected `# {name}: ...`"))),
                None => Err(bad(format!("ends before its `# {name}:` line"))),
            }
        };
        let source = field("source")?;
        let records: usize = field("records")?
            .parse()
            .map_err(|e| bad(format!("records: {e}")))?;
        let digest = field("names-sha256")?;
        let count: usize = field("kept")?
            .parse()
            .map_err(|e| bad(format!("kept: {e}")))?;
        // Room for what the header claims, but never more than the file has lines for (an index
        // takes two bytes at least): a claim of 10^19 kept images is found to be false, not
        // allocated.
        let mut kept = Vec::with_capacity(count.min(records).min(text.len() / 2));
        for (n, line) in lines {
            let i: usize = line
                .trim()
                .parse()
                .map_err(|_| bad(format!("line {}: `{line}` is not an index", n + 1)))?;
            if i >= records || kept.last().is_some_and(|&last| i <= last) {
                return Err(bad(format!(
                    "line {}: index {i} is {} ",
                    n + 1,
                    if i >= records {
                        format!("past the {records} records")
                    } else {
                        "not above the one before".to_string()
                    }
                )));
            }
            kept.push(i);
        }
        if kept.len() != count {
            return Err(bad(format!(
                "says it keeps {count} images but lists {}: truncated?",
                kept.len()
            )));
        }
        Ok(Self {
            source,
            records,
            digest,
            kept,
        })
    }

    /// Checks that the list was made for `data`'s listing.
    pub fn check(&self, data: &Dataset, path: &Path) -> Result<()> {
        if self.records != data.len() || self.digest != data.listing_digest() {
            return Err(Error::format(
                path,
                format!(
                    "was made for {} ({} records) and does not fit {} ({} records{}): run \
                     dcgan dedup on this data",
                    self.source,
                    self.records,
                    data.source,
                    data.len(),
                    if self.records == data.len() {
                        ", other names"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(())
    }
}

/// The keep-list file of a run's configuration, opened and applied to `data`.
pub fn apply(data: Dataset, path: &Path) -> Result<Dataset> {
    let list = KeepList::read(path)?;
    list.check(&data, path)?;
    data.restrict(list.kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_keep_list_is_refused_with_the_line_at_fault() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("keep.txt");
        let head = "# dcgan keep-list\n# source: folder:x\n# records: 5\n# names-sha256: ab\n";
        let read = |text: &str| {
            std::fs::write(&path, text).unwrap();
            KeepList::read(&path)
        };
        let good = read(&format!("{head}# kept: 3\n0\n2\n4\n")).unwrap();
        assert_eq!((good.records, good.kept), (5, vec![0, 2, 4]));
        for (text, needle) in [
            ("0\n1\n".to_string(), "not a keep-list"),
            (format!("{head}# kept: 2\n0\n7\n"), "past the 5 records"),
            (
                format!("{head}# kept: 2\n2\n2\n"),
                "not above the one before",
            ),
            (
                format!("{head}# kept: 2\n0\nx\n"),
                "line 7: `x` is not an index",
            ),
            (format!("{head}# kept: 3\n0\n2\n"), "truncated"),
            (head.to_string(), "ends before its `# kept:` line"),
        ] {
            let err = read(&text).unwrap_err().to_string();
            assert!(err.contains("keep.txt") && err.contains(needle), "{err}");
        }
    }
}
