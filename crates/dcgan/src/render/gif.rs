//! Animated GIFs (a latent walk as a film).

use std::path::Path;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbImage};

use crate::{Error, Result};

/// Writes `frames` as a looping animated GIF with `delay_ms` between frames.
pub fn save_gif(path: &Path, frames: &[RgbImage], delay_ms: u32) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let fail = |e: image::ImageError| Error::format(path, format!("cannot write GIF: {e}"));
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, 10);
        encoder.set_repeat(Repeat::Infinite).map_err(fail)?;
        encoder
            .encode_frames(frames.iter().map(|f| {
                let rgba = image::DynamicImage::ImageRgb8(f.clone()).to_rgba8();
                Frame::from_parts(rgba, 0, 0, Delay::from_numer_denom_ms(delay_ms, 1))
            }))
            .map_err(fail)?;
    }
    crate::run::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::AnimationDecoder;
    use image::codecs::gif::GifDecoder;

    #[test]
    fn frames_come_back_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("walk.gif");
        let frames: Vec<RgbImage> = [0u8, 128, 255]
            .iter()
            .map(|v| RgbImage::from_pixel(6, 4, image::Rgb([*v, *v, *v])))
            .collect();
        save_gif(&path, &frames, 100).unwrap();
        let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
        let back = GifDecoder::new(file)
            .unwrap()
            .into_frames()
            .collect_frames()
            .unwrap();
        assert_eq!(back.len(), 3);
        for (f, v) in back.iter().zip([0u8, 128, 255]) {
            let px = f.buffer().get_pixel(3, 2).0;
            assert!((px[0] as i32 - v as i32).abs() <= 8, "{px:?} vs {v}");
        }
    }
}
