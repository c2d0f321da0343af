//! The paper's figures of the latent space, drawn from a generator in inference mode:
//! walks (Fig. 4), vector arithmetic (Fig. 7), a "turn" direction (Fig. 8) and samples beside
//! their nearest training images (the memorisation check).

use burn::tensor::Device;
use image::RgbImage;

use crate::Result;
use crate::latent::arithmetic::{self, Term};
use crate::latent::from_seed;
use crate::latent::walk::{self, Path};
use crate::model::{Generator, ModelConfig};
use crate::nearest::Neighbour;
use crate::render::{Canvas, Cell, LINE_H, Table, grid_image};
use crate::sample::generate;

/// Images generated per forward pass.
const BATCH: usize = 64;

/// A walk through latent space: its key seeds, every frame's z and image.
pub struct Walk {
    /// The seeds of the points walked through, in order.
    pub seeds: Vec<u64>,
    /// Frames between consecutive points.
    pub steps: usize,
    /// Images of every frame, `[frames, c, s, s]`.
    pub images: Vec<f32>,
    /// Number of frames.
    pub frames: usize,
}

/// Generates the walks through each list of seeds (each at least 2 long).
pub fn walks(
    g: &Generator,
    model: &ModelConfig,
    seed_lists: &[Vec<u64>],
    steps: usize,
    path: Path,
    device: &Device,
) -> Result<Vec<Walk>> {
    seed_lists
        .iter()
        .map(|seeds| {
            let points: Vec<Vec<f32>> = seeds
                .iter()
                .map(|&s| from_seed(s, model.nz, model.latent))
                .collect();
            let frames = walk::walk(&points, steps, path)?;
            let z: Vec<f32> = frames.concat();
            Ok(Walk {
                seeds: seeds.clone(),
                steps,
                images: generate(g, &z, model.nz, BATCH, device),
                frames: frames.len(),
            })
        })
        .collect()
}

/// One row per walk, the key frames captioned with their seeds.
pub fn walk_figure(walks: &[Walk], model: &ModelConfig, zoom: u32) -> Canvas {
    let per = model.image_len();
    let columns = walks.iter().map(|w| w.frames).max().unwrap_or(0);
    let rows = walks
        .iter()
        .enumerate()
        .map(|(r, w)| {
            let cells = (0..w.frames)
                .map(|f| {
                    Some(Cell {
                        image: &w.images[f * per..(f + 1) * per],
                        caption: if f % w.steps == 0 {
                            w.seeds[f / w.steps].to_string()
                        } else {
                            String::new()
                        },
                    })
                })
                .collect();
            (format!("{}", r + 1), cells)
        })
        .collect();
    Table {
        channels: model.channels,
        size: model.image_size,
        zoom,
        headers: vec![String::new(); columns],
        rows,
    }
    .render()
}

/// The frames of the walks as film frames: frame `f` shows every walk's `f`-th image side by side
/// (walks that are shorter hold their last image).
pub fn walk_frames(walks: &[Walk], model: &ModelConfig, zoom: u32) -> Vec<RgbImage> {
    let per = model.image_len();
    let frames = walks.iter().map(|w| w.frames).max().unwrap_or(0);
    (0..frames)
        .map(|f| {
            let images: Vec<f32> = walks
                .iter()
                .flat_map(|w| {
                    let f = f.min(w.frames - 1);
                    w.images[f * per..(f + 1) * per].iter().copied()
                })
                .collect();
            let grid = grid_image(&images, model.channels, model.image_size, Some(walks.len()));
            image::imageops::resize(
                &grid,
                grid.width() * zoom,
                grid.height() * zoom,
                image::imageops::FilterType::Nearest,
            )
        })
        .collect()
}

/// The result of vector arithmetic on exemplars.
pub struct Arithmetic {
    /// The expression's terms.
    pub terms: Vec<Term>,
    /// `Y`, the signed sum of the terms' mean z.
    pub y: Vec<f32>,
    /// Exemplar images per term, `[k, c, s, s]`.
    pub exemplars: Vec<Vec<f32>>,
    /// `G(mean z)` per term.
    pub mean_images: Vec<Vec<f32>>,
    /// The mean of each term's exemplar images (pixel space).
    pub pixel_means: Vec<Vec<f32>>,
    /// `G(Y)` then the neighbours `G(Y + u)`.
    pub results: Vec<f32>,
    /// The same arithmetic on the exemplar images' pixels, clipped to `[-1, 1]`.
    pub pixel_result: Vec<f32>,
}

/// Does `terms` in z (and, for comparison, in pixels), with `neighbours` noisy copies of `Y`
/// within `radius`, their noise drawn from `noise_seed`.
pub fn arithmetic(
    g: &Generator,
    model: &ModelConfig,
    terms: &[Term],
    neighbours: usize,
    radius: f32,
    noise_seed: u64,
    device: &Device,
) -> Arithmetic {
    let per = model.image_len();
    let (nz, dist) = (model.nz, model.latent);
    let y = arithmetic::evaluate(terms, nz, dist);
    let mut exemplars = Vec::new();
    let mut mean_images = Vec::new();
    let mut pixel_means = Vec::new();
    for t in terms {
        let z: Vec<f32> = t
            .seeds
            .iter()
            .flat_map(|&s| from_seed(s, nz, dist))
            .collect();
        let images = generate(g, &z, nz, BATCH, device);
        let each: Vec<Vec<f32>> = images.chunks(per).map(<[f32]>::to_vec).collect();
        pixel_means.push(arithmetic::mean(&each));
        mean_images.push(generate(
            g,
            &arithmetic::mean_z(&t.seeds, nz, dist),
            nz,
            1,
            device,
        ));
        exemplars.push(images);
    }
    let pixel_result = arithmetic::signed_sum(terms, &pixel_means)
        .into_iter()
        .map(|v| v.clamp(-1.0, 1.0))
        .collect();
    let mut z = y.clone();
    for n in arithmetic::neighbours(&y, neighbours, radius, noise_seed) {
        z.extend(n);
    }
    let results = generate(g, &z, nz, BATCH, device);
    Arithmetic {
        terms: terms.to_vec(),
        y,
        exemplars,
        mean_images,
        pixel_means,
        results,
        pixel_result,
    }
}

/// The paper's Fig. 7 layout: a row per term (its sign, its exemplars captioned with their seeds,
/// `G(mean z)` and the mean of the exemplars' pixels), then `G(Y)` with its neighbours in a square
/// around it and, beside them, the pixel-space result.
pub fn arithmetic_figure(a: &Arithmetic, model: &ModelConfig, zoom: u32) -> Canvas {
    let per = model.image_len();
    let k = a.terms.iter().map(|t| t.seeds.len()).max().unwrap_or(0);
    let mut headers: Vec<String> = (1..=k).map(|i| format!("ex. {i}")).collect();
    headers.extend(["G(mean z)".to_string(), "mean pixels".to_string()]);
    let rows = a
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut cells: Vec<Option<Cell>> = (0..k)
                .map(|j| {
                    t.seeds.get(j).map(|s| Cell {
                        image: &a.exemplars[i][j * per..(j + 1) * per],
                        caption: s.to_string(),
                    })
                })
                .collect();
            cells.push(Some(Cell {
                image: &a.mean_images[i],
                caption: String::new(),
            }));
            cells.push(Some(Cell {
                image: &a.pixel_means[i],
                caption: String::new(),
            }));
            (t.sign_char().to_string(), cells)
        })
        .collect();
    let table = Table {
        channels: model.channels,
        size: model.image_size,
        zoom,
        headers,
        rows,
    };
    // The result: G(Y) in the centre of a square of its neighbours (3x3 for the paper's 8).
    let n = a.results.len() / per;
    let side = (n as f64).sqrt().ceil() as usize;
    let centre = (side * side) / 2;
    let mut order: Vec<usize> = (1..n).collect();
    order.insert(centre.min(n - 1), 0);
    let result_images: Vec<f32> = order
        .iter()
        .flat_map(|&i| a.results[i * per..(i + 1) * per].iter().copied())
        .collect();
    let tile = model.image_size as u32 * zoom;
    let grid = grid_image(&result_images, model.channels, model.image_size, Some(side));
    let grid = image::imageops::resize(
        &grid,
        grid.width() * zoom,
        grid.height() * zoom,
        image::imageops::FilterType::Nearest,
    );
    let (tw, th) = table.dimensions();
    let label_y = th + 4;
    let width = tw.max(grid.width() + 3 * tile + 40);
    let height = label_y + LINE_H + 4 + grid.height().max(tile) + 8;
    let mut canvas = Canvas::new(width, height);
    table.draw(&mut canvas, 0, 0);
    canvas.text(6, label_y, "= G(Y) at centre, G(Y+u) around");
    image::imageops::replace(&mut canvas.image, &grid, 6, (label_y + LINE_H + 2) as i64);
    let px = 6 + grid.width() + 24;
    canvas.text(px, label_y + LINE_H + 2 + tile + 2, "pixels");
    canvas.tile(
        px,
        label_y + LINE_H + 2,
        &a.pixel_result,
        model.channels,
        model.image_size,
        zoom,
    );
    canvas
}

/// Samples moved along a direction (e.g. "turn": mean of left-looking minus right-looking
/// exemplars): a row per seed, a column per multiple `alphas` of the direction.
pub fn along_figure(
    g: &Generator,
    model: &ModelConfig,
    direction: &[f32],
    seeds: &[u64],
    alphas: &[f32],
    zoom: u32,
    device: &Device,
) -> Canvas {
    let per = model.image_len();
    let z: Vec<f32> = seeds
        .iter()
        .flat_map(|&s| {
            arithmetic::along(&from_seed(s, model.nz, model.latent), direction, alphas).concat()
        })
        .collect();
    let images = generate(g, &z, model.nz, BATCH, device);
    let cols = alphas.len();
    let rows = seeds
        .iter()
        .enumerate()
        .map(|(r, s)| {
            let row = &images[r * cols * per..(r + 1) * cols * per];
            (s.to_string(), cells(row, per, vec![String::new(); cols]))
        })
        .collect();
    Table {
        channels: model.channels,
        size: model.image_size,
        zoom,
        headers: alphas.iter().map(|a| format!("{a:+.2}")).collect(),
        rows,
    }
    .render()
}

/// The neighbours found for each query in one space, with their images.
#[derive(Clone, Copy)]
pub struct Neighbours<'a> {
    /// Per query, nearest first.
    pub found: &'a [Vec<Neighbour>],
    /// Per query, the neighbours' images, `[k, c, s, s]`.
    pub images: &'a [Vec<f32>],
}

/// Each query (a generated sample) beside its nearest training images in pixel space and, when
/// given, in D's feature space, each neighbour captioned with its distance.
pub fn nearest_figure(
    queries: &[f32],
    labels: &[String],
    pixel: Neighbours,
    feature: Option<Neighbours>,
    model: &ModelConfig,
    zoom: u32,
) -> Canvas {
    let per = model.image_len();
    let k = pixel.found.iter().map(Vec::len).max().unwrap_or(0);
    let mut headers = vec!["sample".to_string()];
    headers.extend((1..=k).map(|i| format!("pixel {i}")));
    if feature.is_some() {
        headers.extend((1..=k).map(|i| format!("D feat {i}")));
    }
    let rows = labels
        .iter()
        .enumerate()
        .map(|(q, label)| {
            let mut cells = vec![Some(Cell {
                image: &queries[q * per..(q + 1) * per],
                caption: String::new(),
            })];
            for space in std::iter::once(pixel).chain(feature) {
                cells.extend(neighbour_cells(&space.found[q], &space.images[q], k, per));
            }
            (label.clone(), cells)
        })
        .collect();
    Table {
        channels: model.channels,
        size: model.image_size,
        zoom,
        headers,
        rows,
    }
    .render()
}

/// `k` cells of neighbour images (`[k, c, s, s]`), captioned with their distances.
fn neighbour_cells<'a>(
    found: &[Neighbour],
    images: &'a [f32],
    k: usize,
    per: usize,
) -> Vec<Option<Cell<'a>>> {
    (0..k)
        .map(|j| {
            found.get(j).map(|n| Cell {
                image: &images[j * per..(j + 1) * per],
                caption: format!("{:.2}", n.distance),
            })
        })
        .collect()
}

/// Canvases side by side, each under its title.
pub fn side_by_side(panels: &[(String, Canvas)]) -> Canvas {
    const GAP: u32 = 16;
    let width = panels.iter().map(|p| p.1.image.width() + GAP).sum::<u32>();
    let height = LINE_H + 4 + panels.iter().map(|p| p.1.image.height()).max().unwrap_or(0);
    let mut canvas = Canvas::new(width, height);
    let mut x = 0;
    for (title, panel) in panels {
        canvas.text(x + 6, 2, title);
        image::imageops::replace(
            &mut canvas.image,
            &panel.image,
            x as i64,
            (LINE_H + 4) as i64,
        );
        x += panel.image.width() + GAP;
    }
    canvas
}

/// One discriminator's guided-backpropagation results (paper Fig. 5, one side).
pub struct GuidedPanel<'a> {
    /// The features (channels) shown.
    pub features: &'a [usize],
    /// Per feature, its strongest responses (images of `images`).
    pub responses: &'a [Vec<crate::inside::guided::Response>],
    /// The scanned images, `[n, c, s, s]`.
    pub images: &'a [f32],
    /// Per feature, the maps of its responses scaled to `[-1, 1]`, `[top, c, s, s]`.
    pub maps: &'a [Vec<f32>],
}

/// For each feature, a row of its strongest images (captioned with the response) and under it
/// a row of their guided-backpropagation maps (zero is mid-grey).
pub fn guided_figure(panel: &GuidedPanel, model: &ModelConfig, zoom: u32) -> Canvas {
    let per = model.image_len();
    let top = panel.responses.iter().map(Vec::len).max().unwrap_or(0);
    let mut rows = Vec::new();
    for (fi, f) in panel.features.iter().enumerate() {
        let responses = &panel.responses[fi];
        rows.push((
            format!("f{f}"),
            responses
                .iter()
                .map(|r| {
                    Some(Cell {
                        image: &panel.images[r.image * per..(r.image + 1) * per],
                        caption: format!("{:.2}", r.value),
                    })
                })
                .collect(),
        ));
        let blank = vec![String::new(); responses.len()];
        rows.push(("gbp".to_string(), cells(&panel.maps[fi], per, blank)));
    }
    Table {
        channels: model.channels,
        size: model.image_size,
        zoom,
        headers: (1..=top).map(|k| format!("top {k}")).collect(),
        rows,
    }
    .render()
}

/// The paper's Fig. 6 layout: the samples of `seeds` (top row) and the same z drawn with maps
/// dropped (bottom row).
pub fn forget_figure(
    seeds: &[u64],
    before: &[f32],
    after: &[f32],
    dropped: usize,
    model: &ModelConfig,
    zoom: u32,
) -> Canvas {
    let per = model.image_len();
    let blank = vec![String::new(); seeds.len()];
    Table {
        channels: model.channels,
        size: model.image_size,
        zoom,
        headers: seeds.iter().map(u64::to_string).collect(),
        rows: vec![
            ("samples".to_string(), cells(before, per, blank.clone())),
            (format!("-{dropped} maps"), cells(after, per, blank)),
        ],
    }
    .render()
}

/// One cell per image of `images` (`[n, per]`), captioned in order.
fn cells(images: &[f32], per: usize, captions: Vec<String>) -> Vec<Option<Cell<'_>>> {
    captions
        .into_iter()
        .enumerate()
        .map(|(k, caption)| {
            Some(Cell {
                image: &images[k * per..(k + 1) * per],
                caption,
            })
        })
        .collect()
}
