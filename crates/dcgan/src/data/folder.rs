//! A folder of images, searched recursively. When every image lies in a first-level subfolder,
//! the subfolder names are the class labels (the ImageFolder layout).

use std::path::{Path, PathBuf};

use super::source::existing_dir;
use super::transform::fit_image;
use crate::{Error, Result};

/// Extensions read as images.
const EXTENSIONS: [&str; 12] = [
    "png", "jpg", "jpeg", "gif", "bmp", "pgm", "ppm", "pnm", "pbm", "webp", "tif", "tiff",
];

/// The images of a folder, in sorted path order.
pub(crate) struct Listing {
    pub files: Vec<PathBuf>,
    pub labels: Option<Vec<u16>>,
    pub classes: Option<Vec<String>>,
}

pub(crate) fn list(dir: &Path) -> Result<Listing> {
    existing_dir(dir)?;
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            Error::io(
                &path,
                e.into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("loop in folder links")),
            )
        })?;
        let is_image = entry.file_type().is_file()
            && entry
                .path()
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if is_image {
            files.push(entry.into_path());
        }
    }
    if files.is_empty() {
        return Err(Error::format(
            dir,
            format!(
                "contains no images (looked for {} files, recursively)",
                EXTENSIONS.join("/")
            ),
        ));
    }
    // Labels when every file sits below a first-level subfolder.
    let firsts: Option<Vec<String>> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(dir).ok()?;
            let mut comps = rel.components();
            let first = comps.next()?.as_os_str().to_string_lossy().into_owned();
            comps.next().map(|_| first)
        })
        .collect();
    let (labels, classes) = match firsts {
        Some(names) => {
            let mut classes: Vec<String> = names.clone();
            classes.sort();
            classes.dedup();
            if classes.len() > u16::MAX as usize {
                (None, None)
            } else {
                let labels = names
                    .iter()
                    .map(|n| classes.binary_search(n).expect("present") as u16)
                    .collect();
                (Some(labels), Some(classes))
            }
        }
        None => (None, None),
    };
    Ok(Listing {
        files,
        labels,
        classes,
    })
}

/// Decodes one image file and fits it to the model; a corrupt or truncated file, or one whose
/// header claims more pixels than it can hold ([`super::decode`]), is an error naming it.
pub(crate) fn decode(path: &Path, size: usize, channels: usize) -> Result<Vec<u8>> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| Error::io(path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?;
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let img = super::decode::decode(reader, len)
        .map_err(|e| Error::format(path, format!("cannot decode image: {e}")))?;
    Ok(fit_image(&img, size, channels))
}

/// Images examined to decide a folder's channel count: all of them up to this many, an even
/// spread of this many beyond (only each file's header is read).
pub const CHANNEL_SAMPLE: usize = 2000;

/// Of the images examined (see [`CHANNEL_SAMPLE`]), how many are single-channel and how many
/// could be examined (a file whose header does not read is left out; decoding it will say why).
pub(crate) fn count_greyscale(files: &[PathBuf]) -> (usize, usize) {
    use image::ImageDecoder;
    use rayon::prelude::*;
    let picks: Vec<&PathBuf> = if files.len() <= CHANNEL_SAMPLE {
        files.iter().collect()
    } else {
        (0..CHANNEL_SAMPLE)
            .map(|k| &files[k * files.len() / CHANNEL_SAMPLE])
            .collect()
    };
    let colours: Vec<Option<bool>> = picks
        .par_iter()
        .map(|path| {
            let decoder = image::ImageReader::open(path)
                .ok()?
                .with_guessed_format()
                .ok()?
                .into_decoder()
                .ok()?;
            Some(decoder.color_type().has_color())
        })
        .collect();
    let examined = colours.iter().flatten().count();
    let grey = colours.iter().flatten().filter(|c| !**c).count();
    (grey, examined)
}
