//! Fitting images to the model: min-side resize, centre crop, channel conversion, scaling.

use image::DynamicImage;
use image::imageops::FilterType;

/// Resizes the shorter side to `size` (keeping the aspect ratio), crops the centre
/// `size` x `size`, and converts to `channels` (1: luma, 3: RGB). Returns `[c, size, size]` bytes.
/// This is torchvision's `Resize(size)` + `CenterCrop(size)` used by PyTorch's example, and the
/// paper's "min-side resize then centre crop" (docs/paper.md section 2).
pub fn fit_image(img: &DynamicImage, size: usize, channels: usize) -> Vec<u8> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let img = if w == size && h == size {
        img.clone()
    } else {
        let scale = size as f64 / w.min(h) as f64;
        let (nw, nh) = (
            ((w as f64 * scale).round() as usize).max(size),
            ((h as f64 * scale).round() as usize).max(size),
        );
        let resized = img.resize_exact(nw as u32, nh as u32, FilterType::Triangle);
        let (x, y) = ((nw - size) / 2, (nh - size) / 2);
        resized.crop_imm(x as u32, y as u32, size as u32, size as u32)
    };
    let plane = size * size;
    let mut out = vec![0u8; channels * plane];
    if channels == 1 {
        out.copy_from_slice(img.to_luma8().as_raw());
    } else {
        let rgb = img.to_rgb8();
        for (i, px) in rgb.as_raw().chunks_exact(3).enumerate() {
            out[i] = px[0];
            out[plane + i] = px[1];
            out[2 * plane + i] = px[2];
        }
    }
    out
}

/// Bytes in `[0, 255]` to floats in `[-1, 1]` (docs/paper.md section 2: "pixels scaled to [-1, 1]").
pub fn to_unit_range(bytes: &[u8]) -> Vec<f32> {
    bytes.iter().map(|&b| b as f32 / 127.5 - 1.0).collect()
}

/// Converts `[c, s, s]` planes from 1 to 3 channels or 3 to 1 (ITU-R 601 luma, as `image` does).
/// An RGB image stored as three `side` x `side` planes (R, G, B, row-major), fitted to `size` and
/// `channels` like every other image.
pub(crate) fn fit_rgb_planes(planes: &[u8], side: usize, size: usize, channels: usize) -> Vec<u8> {
    if size == side {
        return convert_channels(planes, 3, channels);
    }
    let plane = side * side;
    let mut img = image::RgbImage::new(side as u32, side as u32);
    for (i, px) in img.pixels_mut().enumerate() {
        *px = image::Rgb([planes[i], planes[plane + i], planes[2 * plane + i]]);
    }
    fit_image(&DynamicImage::ImageRgb8(img), size, channels)
}

pub(crate) fn convert_channels(planes: &[u8], from: usize, to: usize) -> Vec<u8> {
    if from == to {
        return planes.to_vec();
    }
    let plane = planes.len() / from;
    if from == 1 {
        return planes.repeat(3);
    }
    (0..plane)
        .map(|i| {
            let (r, g, b) = (
                planes[i] as u32,
                planes[plane + i] as u32,
                planes[2 * plane + i] as u32,
            );
            ((2126 * r + 7152 * g + 722 * b + 5000) / 10000) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, RgbImage};

    #[test]
    fn scales_to_minus_one_one() {
        assert_eq!(to_unit_range(&[0, 255]), vec![-1.0, 1.0]);
        assert!((to_unit_range(&[128])[0] - 0.003_921_6).abs() < 1e-6);
    }

    #[test]
    fn min_side_resize_then_centre_crop() {
        // 8 wide x 4 high: left half black, middle white band, right black. After resizing the
        // short side to 2 (-> 4x2) and cropping the centre 2x2, only the white band remains.
        let mut img = RgbImage::new(8, 4);
        for y in 0..4 {
            for x in 2..6 {
                img.put_pixel(x, y, image::Rgb([255, 255, 255]));
            }
        }
        let out = fit_image(&DynamicImage::ImageRgb8(img), 2, 3);
        assert_eq!(out.len(), 12);
        assert!(out.iter().all(|&v| v > 200), "{out:?}");
    }

    #[test]
    fn grayscale_and_rgb_convert_both_ways() {
        let gray = DynamicImage::ImageLuma8(GrayImage::from_pixel(4, 4, image::Luma([100])));
        let rgb = fit_image(&gray, 4, 3);
        assert!(rgb.iter().all(|&v| v == 100));
        let red = DynamicImage::ImageRgb8(RgbImage::from_pixel(4, 4, image::Rgb([255, 0, 0])));
        let luma = fit_image(&red, 4, 1);
        assert_eq!(luma.len(), 16);
        assert!((50..60).contains(&luma[0]), "{}", luma[0]);
        assert_eq!(
            convert_channels(&[10, 20], 1, 3),
            vec![10, 20, 10, 20, 10, 20]
        );
    }
}
