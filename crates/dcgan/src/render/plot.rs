//! A line plot of training curves (e.g. Loss_D and Loss_G against iteration) as a PNG.

use std::path::Path;

use image::{Rgb, RgbImage};

use super::text::{CHAR_W, draw_text};
use crate::{Error, Result};

/// One curve.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Line colour.
    pub color: [u8; 3],
    /// (x, y) points in order of x.
    pub points: Vec<(f64, f64)>,
}

const W: u32 = 800;
const H: u32 = 450;
const LEFT: i64 = 64;
const RIGHT: i64 = 32;
const TOP: i64 = 28;
const BOTTOM: i64 = 36;

/// Averages consecutive points in windows so that at most `max` remain (keeps plots readable
/// over long runs).
fn thin(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points.to_vec();
    }
    let k = points.len().div_ceil(max);
    points
        .chunks(k)
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

fn line(img: &mut RgbImage, (x0, y0): (i64, i64), (x1, y1): (i64, i64), color: Rgb<u8>) {
    let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
    for s in 0..=steps {
        let x = x0 + (x1 - x0) * s / steps;
        let y = y0 + (y1 - y0) * s / steps;
        if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
            img.put_pixel(x as u32, y as u32, color);
        }
    }
}

fn format_tick(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Draws `series` with a title, axes, ticks and a legend, and writes it atomically to `path`.
pub fn save_plot(path: &Path, title: &str, x_label: &str, series: &[Series]) -> Result<()> {
    let mut img = RgbImage::from_pixel(W, H, Rgb([255, 255, 255]));
    let thinned: Vec<Vec<(f64, f64)>> = series.iter().map(|s| thin(&s.points, 2000)).collect();
    let all = thinned
        .iter()
        .flatten()
        .filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 - x0 < 1e-12 {
        x1 = x0 + 1.0;
    }
    if y1 - y0 < 1e-12 {
        (y0, y1) = (y0 - 0.5, y1 + 0.5);
    }
    let (pw, ph) = (W as i64 - LEFT - RIGHT, H as i64 - TOP - BOTTOM);
    let to_px = |x: f64, y: f64| {
        (
            LEFT + ((x - x0) / (x1 - x0) * pw as f64).round() as i64,
            TOP + ph - ((y - y0) / (y1 - y0) * ph as f64).round() as i64,
        )
    };
    let grey = Rgb([225, 225, 225]);
    let black = Rgb([0, 0, 0]);
    for t in 0..=4 {
        let f = t as f64 / 4.0;
        let (gx, _) = to_px(x0 + f * (x1 - x0), y0);
        let (_, gy) = to_px(x0, y0 + f * (y1 - y0));
        line(&mut img, (LEFT, gy), (LEFT + pw, gy), grey);
        line(&mut img, (gx, TOP), (gx, TOP + ph), grey);
        let ylab = format_tick(y0 + f * (y1 - y0));
        draw_text(
            &mut img,
            LEFT - 6 - CHAR_W * ylab.len() as i64,
            gy - 4,
            &ylab,
            black,
        );
        let xv = x0 + f * (x1 - x0);
        let xlab = if x1 - x0 >= 10.0 {
            format!("{}", xv.round())
        } else {
            format_tick(xv)
        };
        draw_text(
            &mut img,
            gx - CHAR_W * xlab.len() as i64 / 2,
            TOP + ph + 6,
            &xlab,
            black,
        );
    }
    line(&mut img, (LEFT, TOP), (LEFT, TOP + ph), black);
    line(&mut img, (LEFT, TOP + ph), (LEFT + pw, TOP + ph), black);
    draw_text(&mut img, LEFT, 8, title, black);
    draw_text(
        &mut img,
        LEFT + pw / 2 - CHAR_W * x_label.len() as i64 / 2,
        H as i64 - 14,
        x_label,
        black,
    );
    for (k, (s, pts)) in series.iter().zip(&thinned).enumerate() {
        let color = Rgb(s.color);
        for w in pts.windows(2) {
            if w.iter().all(|p| p.0.is_finite() && p.1.is_finite()) {
                line(
                    &mut img,
                    to_px(w[0].0, w[0].1),
                    to_px(w[1].0, w[1].1),
                    color,
                );
            }
        }
        let lx = LEFT + pw - 150;
        let ly = TOP + 8 + 14 * k as i64;
        line(&mut img, (lx, ly + 4), (lx + 20, ly + 4), color);
        line(&mut img, (lx, ly + 5), (lx + 20, ly + 5), color);
        draw_text(&mut img, lx + 26, ly, &s.label, black);
    }
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| Error::format(path, format!("cannot encode PNG: {e}")))?;
    crate::run::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_each_series_in_its_colour() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("loss.png");
        let series = vec![
            Series {
                label: "Loss_D".into(),
                color: [200, 0, 0],
                points: (0..100)
                    .map(|i| (i as f64, 1.0 + (i as f64 / 10.0).sin()))
                    .collect(),
            },
            Series {
                label: "Loss_G".into(),
                color: [0, 0, 200],
                points: (0..100)
                    .map(|i| (i as f64, 3.0 - i as f64 / 50.0))
                    .collect(),
            },
        ];
        save_plot(&path, "losses", "iteration", &series).unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (W, H));
        let count = |c: [u8; 3]| img.pixels().filter(|p| p.0 == c).count();
        assert!(count([200, 0, 0]) > 300, "red {}", count([200, 0, 0]));
        assert!(count([0, 0, 200]) > 300, "blue {}", count([0, 0, 200]));
        assert_eq!(thin(&series[0].points, 10).len(), 10);
    }
}
