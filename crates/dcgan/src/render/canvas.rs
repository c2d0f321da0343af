//! A white canvas to compose figures on: image tiles (enlarged by an integer zoom so that small
//! images stay visible) and text labels in the 8x8 bitmap font.

use std::path::Path;

use image::{Rgb, RgbImage};

use super::grid::to_byte;
use super::text::{CHAR_W, draw_text};
use crate::images::Image;
use crate::{Error, Result};

/// Height of one line of text, in pixels.
pub const LINE_H: u32 = 10;

/// The integer zoom that makes a tile of `size` pixels at least 64 pixels wide (room for an
/// 8-character label under it).
pub fn default_zoom(size: usize) -> u32 {
    64usize.div_ceil(size.max(1)).max(1) as u32
}

/// Width of `text` in pixels.
pub fn text_width(text: &str) -> u32 {
    (text.chars().count() as i64 * CHAR_W) as u32
}

/// A figure under construction.
pub struct Canvas {
    /// The pixels.
    pub image: RgbImage,
}

impl Canvas {
    /// A white canvas of `width` x `height`.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            image: RgbImage::from_pixel(width.max(1), height.max(1), Rgb([255, 255, 255])),
        }
    }

    /// Draws one image with its top-left corner at (`x`, `y`), each pixel as a `zoom` x `zoom`
    /// block. Parts outside the canvas are skipped.
    pub fn tile(&mut self, x: u32, y: u32, image: Image<'_>, zoom: u32) {
        let size = image.shape.size;
        let (w, h) = self.image.dimensions();
        for py in 0..size * zoom as usize {
            for px in 0..size * zoom as usize {
                let (cx, cy) = (x + px as u32, y + py as u32);
                if cx >= w || cy >= h {
                    continue;
                }
                let (ix, iy) = (px / zoom as usize, py / zoom as usize);
                let c = |k: usize| to_byte(image.at(k, ix, iy));
                self.image.put_pixel(cx, cy, Rgb([c(0), c(1), c(2)]));
            }
        }
    }

    /// Writes `text` in black with its top-left corner at (`x`, `y`).
    pub fn text(&mut self, x: u32, y: u32, text: &str) {
        draw_text(&mut self.image, x as i64, y as i64, text, Rgb([0, 0, 0]));
    }

    /// Writes `text` centred horizontally on `centre`.
    pub fn text_centred(&mut self, centre: u32, y: u32, text: &str) {
        let x = centre.saturating_sub(text_width(text) / 2);
        self.text(x, y, text);
    }

    /// Saves the canvas (PNG, or the format the extension names), creating the folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        save_rgb(&self.image, path)
    }
}

/// Saves `image` to `path`, creating its folder; errors name the file.
pub fn save_rgb(image: &RgbImage, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    image
        .save(path)
        .map_err(|e| Error::format(path, format!("cannot write image: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_are_zoomed_blocks_and_text_is_black() {
        // A 2x2 grayscale image: -1, 1 / 0, 1.
        let img = Image {
            values: &[-1.0, 1.0, 0.0, 1.0],
            shape: crate::images::ImageShape::new(1, 2),
        };
        let mut c = Canvas::new(20, 20);
        c.tile(2, 3, img, 3);
        assert_eq!(c.image.get_pixel(2, 3).0, [0, 0, 0]);
        assert_eq!(c.image.get_pixel(4, 5).0, [0, 0, 0]);
        assert_eq!(c.image.get_pixel(5, 3).0, [255, 255, 255]);
        assert_eq!(c.image.get_pixel(2, 6).0, [128, 128, 128]);
        assert_eq!(c.image.get_pixel(7, 8).0, [255, 255, 255]);
        assert_eq!(c.image.get_pixel(1, 1).0, [255, 255, 255]); // background
        let mut t = Canvas::new(40, 12);
        t.text(0, 0, "8");
        assert!(t.image.pixels().any(|p| p.0 == [0, 0, 0]));
        assert_eq!(default_zoom(32), 2);
        assert_eq!(default_zoom(64), 1);
        assert_eq!(default_zoom(28), 3);
        assert_eq!(text_width("123"), 24);
    }
}
