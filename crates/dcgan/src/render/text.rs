//! Text in images from the 8x8 bitmap font of the `font8x8` crate.

use font8x8::UnicodeFonts;
use image::{Rgb, RgbImage};

/// Width of one character, in pixels.
pub const CHAR_W: i64 = 8;

/// Draws `text` with its top-left corner at (`x`, `y`); pixels outside the image are skipped.
pub fn draw_text(img: &mut RgbImage, x: i64, y: i64, text: &str, color: Rgb<u8>) {
    for (i, ch) in text.chars().enumerate() {
        let glyph = font8x8::BASIC_FONTS
            .get(ch)
            .unwrap_or(font8x8::BASIC_FONTS.get('?').expect("'?' is in the font"));
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                if bits & (1 << col) != 0 {
                    let (px, py) = (x + i as i64 * CHAR_W + col, y + row as i64);
                    if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height()
                    {
                        img.put_pixel(px as u32, py as u32, color);
                    }
                }
            }
        }
    }
}
