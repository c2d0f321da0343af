//! A deterministic synthetic image set generated in code: the offline default (`builtin`).
//!
//! Each image is one bright upright shape (disc, square, triangle or ring; its class) of a random
//! colour and size, a little off centre, on black. It is simple enough that a DCGAN's progress
//! shows within minutes on a CPU (blobs first, then clean shapes and colours: the quick start's
//! 768 iterations end with recognisable shapes) and varied enough for the latent-space figures
//! (colour, size, class and position to walk, mix and subtract).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::transform::convert_channels;
use super::{Pixels, Split};

/// Images in the training split.
pub const TRAIN_IMAGES: usize = 8192;
/// Images in the test split.
pub const TEST_IMAGES: usize = 1024;
/// Class names, in label order.
pub const CLASSES: [&str; 4] = ["disc", "square", "triangle", "ring"];

/// Generates `split` at `size` x `size` with `channels` channels.
pub(crate) fn generate(split: Split, size: usize, channels: usize) -> (Pixels, Vec<String>) {
    let (n, base) = match split {
        Split::Train => (TRAIN_IMAGES, 0u64),
        Split::Test => (TEST_IMAGES, 1 << 32),
    };
    let images: Vec<(Vec<u8>, u16)> = (0..n as u64)
        .into_par_iter()
        .map(|i| {
            let (rgb, class) = render(base + i, size);
            (convert_channels(&rgb, 3, channels), class)
        })
        .collect();
    let labels = images.iter().map(|(_, c)| *c).collect();
    let bytes = images.into_iter().flat_map(|(b, _)| b).collect();
    (
        Pixels {
            bytes,
            labels: Some(labels),
            bad: Vec::new(),
        },
        CLASSES.iter().map(|s| s.to_string()).collect(),
    )
}

fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let i = (h * 6.0).floor();
    let f = h * 6.0 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - f * s), v * (1.0 - (1.0 - f) * s));
    match i as i32 % 6 {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    }
}

/// Renders image `id`: `[3, size, size]` bytes and its class.
fn render(id: u64, size: usize) -> (Vec<u8>, u16) {
    let mut rng = ChaCha8Rng::seed_from_u64(id ^ 0xDC6A_u64.rotate_left(40));
    let class = rng.random_range(0..CLASSES.len() as u16);
    let color = hsv(
        rng.random(),
        rng.random_range(0.6..1.0),
        rng.random_range(0.75..1.0),
    );
    // Upright, near the centre, nearly filling the frame: a DCGAN draws these cleanly after
    // ~600 iterations. (Rotated shapes anywhere over coloured gradients, this set's first
    // form, still gave blobs after 1,280.)
    let r = rng.random_range(0.28f32..0.36);
    let cx = 0.5 + rng.random_range(-0.06f32..0.06);
    let cy = 0.5 + rng.random_range(-0.06f32..0.06);
    let inside = |x: f32, y: f32| -> bool {
        let (dx, dy) = (x - cx, y - cy);
        match class {
            0 => dx * dx + dy * dy <= r * r,
            1 => dx.abs() <= r * 0.8 && dy.abs() <= r * 0.8,
            2 => {
                // Equilateral triangle with circumradius r, apex up (y grows downwards).
                let k = 3f32.sqrt();
                dy <= r * 0.5 && (k * dx - dy) <= r && (-k * dx - dy) <= r
            }
            _ => {
                let d2 = dx * dx + dy * dy;
                d2 <= r * r && d2 >= (0.55 * r) * (0.55 * r)
            }
        }
    };
    let bg = [0.0f32; 3];
    let plane = size * size;
    let mut out = vec![0u8; 3 * plane];
    let s = size as f32;
    for py in 0..size {
        for px in 0..size {
            // 2x2 supersampling for anti-aliased edges.
            let mut cover = 0.0;
            for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                if inside((px as f32 + ox) / s, (py as f32 + oy) / s) {
                    cover += 0.25;
                }
            }
            for c in 0..3 {
                let v = bg[c] * (1.0 - cover) + color[c] * cover;
                out[c * plane + py * size + px] = (v * 255.0).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    (out, class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_varied_and_labelled() {
        let (a, classes) = generate(Split::Test, 16, 3);
        let (b, _) = generate(Split::Test, 16, 3);
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(classes.len(), 4);
        let labels = a.labels.unwrap();
        assert_eq!(labels.len(), TEST_IMAGES);
        for c in 0..4u16 {
            let share = labels.iter().filter(|&&l| l == c).count() as f64 / labels.len() as f64;
            assert!((0.15..0.35).contains(&share), "class {c}: {share}");
        }
        // Images differ from each other and use most of the intensity range.
        let n = 3 * 16 * 16;
        assert_ne!(a.bytes[..n], a.bytes[n..2 * n]);
        let (min, max) = (a.bytes.iter().min().unwrap(), a.bytes.iter().max().unwrap());
        assert!(*min < 30 && *max > 220, "{min} {max}");
        let (train, _) = generate(Split::Train, 16, 1);
        assert_eq!(train.bytes.len(), TRAIN_IMAGES * 16 * 16);
    }
}
