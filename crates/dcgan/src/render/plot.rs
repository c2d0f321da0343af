//! Line plots of training curves (Loss_D and Loss_G, FID against iteration) as PNGs, drawn by
//! `plotters` in DejaVu Sans: each curve raw in a light tint with its moving average over it.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

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

/// Size of a plot, in pixels.
pub const PLOT_SIZE: (u32, u32) = (960, 540);

/// The font every plot is drawn in (`assets/fonts`, with its licence).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "dcgan-sans";

fn font_registered() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; a failure here is a build that lost it, not a user's input.
        assert!(
            register_font(FAMILY, FontStyle::Normal, FONT).is_ok(),
            "the bundled DejaVu Sans does not parse"
        );
    });
}

/// Averages consecutive points in windows so that at most `max` remain: a curve of a million
/// iterations draws as fast as one of a thousand.
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

/// The centred moving average of `points` over a window of 2% of their number (at least 1 point
/// each side; none for fewer than 20 points): GAN losses jump from batch to batch, and the trend
/// is what a reader looks for. Centred, so it does not lag behind the raw curve.
pub fn smooth(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let n = points.len();
    if n < 20 {
        return points.to_vec();
    }
    let half = (n / 100).max(1);
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for p in points {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + p.1);
    }
    (0..n)
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
            (points[i].0, (prefix[b] - prefix[a]) / (b - a) as f64)
        })
        .collect()
}

/// The value below which a fraction `q` of `values` lies (sorted copy; `values` not empty).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The y range shown: everything the smoothed curves reach, and the raw points but for their
/// most extreme 0.5% on each side (one spike of Loss_G to 40 would otherwise flatten the rest).
fn y_range(raw: &[&[(f64, f64)]], smoothed: &[Vec<(f64, f64)>]) -> (f64, f64) {
    let mut all: Vec<f64> = raw
        .iter()
        .flat_map(|s| s.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .collect();
    if all.is_empty() {
        return (0.0, 1.0);
    }
    all.sort_by(f64::total_cmp);
    let (mut lo, mut hi) = (quantile(&all, 0.005), quantile(&all, 0.995));
    for v in smoothed
        .iter()
        .flatten()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
    {
        (lo, hi) = (lo.min(v), hi.max(v));
    }
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let pad = 0.04 * (hi - lo);
    (lo - pad, hi + pad)
}

fn tint([r, g, b]: [u8; 3]) -> RGBColor {
    let light = |c: u8| (c as u16 + 2 * 255) as f64 / 3.0;
    RGBColor(light(r) as u8, light(g) as u8, light(b) as u8)
}

/// Draws `series` with a title, labelled axes, a grid and a legend into an RGB image of
/// [`PLOT_SIZE`].
pub fn plot_image(title: &str, x_label: &str, series: &[Series]) -> Result<image::RgbImage> {
    font_registered();
    let (w, h) = PLOT_SIZE;
    let mut buf = vec![255u8; (w * h * 3) as usize];
    let raw: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            let finite: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            finite
        })
        .collect();
    let smoothed: Vec<Vec<(f64, f64)>> = raw.iter().map(|r| thin(&smooth(r), 4000)).collect();
    let raw_refs: Vec<&[(f64, f64)]> = raw.iter().map(Vec::as_slice).collect();
    let (y0, y1) = y_range(&raw_refs, &smoothed);
    let (mut x0, mut x1) = raw
        .iter()
        .flatten()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    if x0 > x1 {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 - x0 < 1e-9 {
        x1 = x0 + 1.0;
    }
    let draw = |buf: &mut [u8]| -> std::result::Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::with_buffer(buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        let x_whole = x1 - x0 >= 10.0;
        let x_fmt = |v: &f64| {
            if x_whole {
                format!("{}", v.round() as i64)
            } else {
                format!("{v:.2}")
            }
        };
        chart
            .configure_mesh()
            .x_desc(x_label)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 17))
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()?;
        for (s, points) in series.iter().zip(&raw) {
            chart.draw_series(LineSeries::new(thin(points, 4000), tint(s.color)))?;
        }
        for (s, points) in series.iter().zip(&smoothed) {
            let color = RGBColor(s.color[0], s.color[1], s.color[2]);
            let label = s.label.clone();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], color.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw(&mut buf).map_err(|e| Error::format(Path::new(title), format!("cannot draw: {e}")))?;
    Ok(image::RgbImage::from_raw(w, h, buf).expect("the buffer holds w x h pixels"))
}

/// [`plot_image`], written atomically to `path` as PNG.
pub fn save_plot(path: &Path, title: &str, x_label: &str, series: &[Series]) -> Result<()> {
    let img = plot_image(title, x_label, series)?;
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

    fn two_curves() -> Vec<Series> {
        vec![
            Series {
                label: "Loss_D".into(),
                color: [200, 0, 0],
                points: (0..500)
                    .map(|i| (i as f64, 1.0 + (i as f64 / 10.0).sin()))
                    .collect(),
            },
            Series {
                label: "Loss_G".into(),
                color: [0, 0, 200],
                points: (0..500)
                    .map(|i| (i as f64, 3.0 - i as f64 / 250.0))
                    .collect(),
            },
        ]
    }

    #[test]
    fn draws_each_series_in_its_colour_with_its_tint_under_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("loss.png");
        save_plot(&path, "losses", "iteration", &two_curves()).unwrap();
        let img = image::open(&path).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), PLOT_SIZE);
        let count = |c: [u8; 3]| img.pixels().filter(|p| p.0 == c).count();
        // The moving averages in full colour, the raw curves in their tints.
        assert!(count([200, 0, 0]) > 1000, "red {}", count([200, 0, 0]));
        assert!(count([0, 0, 200]) > 1000, "blue {}", count([0, 0, 200]));
        let t = tint([200, 0, 0]);
        assert!(
            count([t.0, t.1, t.2]) > 300,
            "light red {}",
            count([t.0, t.1, t.2])
        );
        // Text was drawn: dark grey-to-black anti-aliased pixels of the labels and title.
        let dark = img.pixels().filter(|p| p.0.iter().all(|&c| c < 80)).count();
        assert!(dark > 2000, "{dark} dark pixels");
        assert_eq!(thin(&two_curves()[0].points, 10).len(), 10);
    }

    #[test]
    fn the_moving_average_is_centred_and_keeps_a_line() {
        let line: Vec<(f64, f64)> = (0..300).map(|i| (i as f64, 2.0 * i as f64)).collect();
        let s = smooth(&line);
        // A centred average leaves a straight line where it is (away from the ends).
        for i in 5..295 {
            assert!((s[i].1 - line[i].1).abs() < 1e-9, "{i}: {:?}", s[i]);
        }
        // And it averages noise down: alternate +-1 around 0.
        let noise: Vec<(f64, f64)> = (0..300)
            .map(|i| (i as f64, if i % 2 == 0 { 1.0 } else { -1.0 }))
            .collect();
        let s = smooth(&noise);
        assert!(s[100..200].iter().all(|p| p.1.abs() <= 1.0 / 3.0 + 1e-9));
    }

    #[test]
    fn one_spike_does_not_flatten_the_range() {
        let mut pts: Vec<(f64, f64)> = (0..1000)
            .map(|i| (i as f64, 1.0 + 0.1 * (i % 7) as f64))
            .collect();
        pts[500].1 = 40.0;
        let smoothed = vec![smooth(&pts)];
        let (lo, hi) = y_range(&[&pts], &smoothed);
        assert!(lo > 0.9 && hi < 5.0, "{lo}..{hi}");
    }
}
