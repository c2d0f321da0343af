//! Image grids in the layout of torchvision's `make_grid` (used by PyTorch's example):
//! `ceil(sqrt(n))` columns, 2-pixel black padding.

use std::path::Path;

use image::RgbImage;

use crate::images::{Image, Images};
use crate::{Error, Result};

/// Padding between tiles, in pixels.
const PAD: usize = 2;

/// A value in `[-1, 1]` as an 8-bit pixel: `round((v + 1) * 127.5)`, clamped (what writing a PNG
/// does; torchvision's `save_image` rounds the same way).
pub fn to_byte(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// Images `[n, c, s, s]` in `[-1, 1]` as the bytes their PNG files hold, in the same layout.
pub fn to_bytes(images: &[f32]) -> Vec<u8> {
    images.iter().map(|&v| to_byte(v)).collect()
}

/// One image as exactly that: `size` x `size`, grayscale for one channel and RGB for three, no
/// border.
pub fn single_image(image: Image<'_>) -> image::DynamicImage {
    let (size, plane, pixels) = (image.shape.size, image.shape.plane(), image.values);
    if image.shape.channels == 1 {
        let bytes = to_bytes(&pixels[..plane]);
        image::DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(size as u32, size as u32, bytes).expect("size x size"),
        )
    } else {
        let mut rgb = Vec::with_capacity(3 * plane);
        for i in 0..plane {
            rgb.extend((0..3).map(|c| to_byte(pixels[c * plane + i])));
        }
        image::DynamicImage::ImageRgb8(
            RgbImage::from_raw(size as u32, size as u32, rgb).expect("size x size"),
        )
    }
}

/// Writes one image at the model's size and channels (see [`single_image`]): the file tools
/// such as pytorch-fid read as the sample itself.
pub fn save_image(path: &Path, image: Image<'_>) -> Result<()> {
    crate::run::write_whole(path, &encode(&single_image(image), path)?)
}

/// `image` encoded in the format `path`'s extension names (`.png`, `.jpg`, ...).
pub fn encode(image: &image::DynamicImage, path: &Path) -> Result<Vec<u8>> {
    let format = image::ImageFormat::from_path(path)
        .map_err(|e| Error::format(path, format!("cannot write an image there: {e}")))?;
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .map_err(|e| Error::format(path, format!("cannot encode the image: {e}")))?;
    Ok(bytes)
}

/// Tiles `images` into one RGB image with `columns` tiles per row (`None`: `ceil(sqrt(n))`).
pub fn grid_image(images: &Images, columns: Option<usize>) -> RgbImage {
    let (n, size) = (images.len(), images.shape().size);
    let cols = columns
        .unwrap_or_else(|| (n as f64).sqrt().ceil() as usize)
        .clamp(1, n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let (w, h) = (cols * (size + PAD) + PAD, rows * (size + PAD) + PAD);
    let mut out = RgbImage::new(w as u32, h as u32);
    for (k, img) in images.iter().enumerate() {
        let (x0, y0) = (
            PAD + (k % cols) * (size + PAD),
            PAD + (k / cols) * (size + PAD),
        );
        for y in 0..size {
            for x in 0..size {
                let at = |c: usize| to_byte(img.at(c, x, y));
                out.put_pixel(
                    (x0 + x) as u32,
                    (y0 + y) as u32,
                    image::Rgb([at(0), at(1), at(2)]),
                );
            }
        }
    }
    out
}

/// Writes a grid of `images` to `path` (PNG, or any format `image` infers from the extension),
/// atomically: a failed write (a full disk) leaves no partial image.
pub fn save_grid(path: &Path, images: &Images, columns: Option<usize>) -> Result<()> {
    let img = image::DynamicImage::ImageRgb8(grid_image(images, columns));
    crate::run::write_atomic(path, &encode(&img, path)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::ImageShape;

    fn one(values: &[f32], shape: ImageShape) -> image::DynamicImage {
        single_image(Image { values, shape })
    }

    #[test]
    fn tiles_in_rows_with_padding() {
        // Five 2x2 grayscale images valued -1, -0.5, 0, 0.5, 1: three columns, two rows.
        let imgs: Vec<f32> = [-1.0f32, -0.5, 0.0, 0.5, 1.0]
            .iter()
            .flat_map(|v| [*v; 4])
            .collect();
        let imgs = Images::new(imgs, ImageShape::new(1, 2)).unwrap();
        let g = grid_image(&imgs, None);
        assert_eq!((g.width(), g.height()), (3 * 4 + 2, 2 * 4 + 2));
        assert_eq!(g.get_pixel(2, 2).0, [0, 0, 0]);
        assert_eq!(g.get_pixel(6, 2).0, [64, 64, 64]);
        assert_eq!(g.get_pixel(10, 3).0, [128, 128, 128]);
        assert_eq!(g.get_pixel(2, 6).0, [191, 191, 191]);
        assert_eq!(g.get_pixel(7, 7).0, [255, 255, 255]);
        assert_eq!(g.get_pixel(0, 0).0, [0, 0, 0]); // padding
        assert_eq!(g.get_pixel(11, 7).0, [0, 0, 0]); // empty sixth tile
    }

    #[test]
    fn a_single_image_is_the_model_image_without_border() {
        // 2x2 grayscale: one channel, four exact byte values.
        let gray = one(&[-1.0, -0.5, 0.5, 1.0], ImageShape::new(1, 2));
        assert_eq!(gray.color(), image::ColorType::L8);
        assert_eq!(gray.as_bytes(), &[0, 64, 191, 255]);
        // 2x2 RGB from planes: pixel (0, 0) takes the first value of each plane.
        let planes = [
            -1.0, -1.0, -1.0, 1.0, // R
            1.0, -1.0, -1.0, -1.0, // G
            0.0, 0.0, 0.0, 0.0, // B
        ];
        let rgb = one(&planes, ImageShape::new(3, 2)).to_rgb8();
        assert_eq!(rgb.dimensions(), (2, 2));
        assert_eq!(rgb.get_pixel(0, 0).0, [0, 255, 128]);
        assert_eq!(rgb.get_pixel(1, 1).0, [255, 0, 128]);
    }
}
