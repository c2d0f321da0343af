//! The paper's figures of the latent space, drawn from a generator in inference mode:
//! walks (Fig. 4), vector arithmetic (Fig. 7), a "turn" direction (Fig. 8) and samples beside
//! their nearest training images (the memorisation check).

use burn::tensor::Device;
use image::RgbImage;

use crate::Result;
use crate::images::{ImageShape, Images};
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
    /// Images of every frame.
    pub images: Images,
}

impl Walk {
    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.images.len()
    }
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
            })
        })
        .collect()
}

/// One row per walk, the key frames captioned with their seeds.
pub fn walk_figure(walks: &[Walk], zoom: u32) -> Canvas {
    let columns = walks.iter().map(Walk::frames).max().unwrap_or(0);
    let rows = walks
        .iter()
        .enumerate()
        .map(|(r, w)| {
            let cells = (0..w.frames())
                .map(|f| {
                    Some(Cell {
                        image: w.images.get(f),
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
        shape: shape_of(walks.iter().map(|w| &w.images)),
        zoom,
        headers: vec![String::new(); columns],
        rows,
    }
    .render()
}

/// The frames of the walks as film frames: frame `f` shows every walk's `f`-th image side by side
/// (walks that are shorter hold their last image).
pub fn walk_frames(walks: &[Walk], zoom: u32) -> Vec<RgbImage> {
    let frames = walks.iter().map(Walk::frames).max().unwrap_or(0);
    let shape = shape_of(walks.iter().map(|w| &w.images));
    (0..frames)
        .map(|f| {
            let mut images = Images::empty(shape);
            for w in walks {
                images.push(w.images.get(f.min(w.frames() - 1)));
            }
            let grid = grid_image(&images, Some(walks.len()));
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
    /// Exemplar images per term.
    pub exemplars: Vec<Images>,
    /// `G(mean z)`, one per term.
    pub mean_images: Images,
    /// The mean of each term's exemplar images (pixel space), one per term.
    pub pixel_means: Images,
    /// `G(Y)` then the neighbours `G(Y + u)`.
    pub results: Images,
    /// The same arithmetic on the exemplar images' pixels, clipped to `[-1, 1]` (one image).
    pub pixel_result: Images,
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
    let shape = g.image_shape();
    let (nz, dist) = (model.nz, model.latent);
    let y = arithmetic::evaluate(terms, nz, dist);
    let mut exemplars = Vec::new();
    let mut mean_images = Images::empty(shape);
    let mut pixel_means = Vec::new();
    for t in terms {
        let z: Vec<f32> = t
            .seeds
            .iter()
            .flat_map(|&s| from_seed(s, nz, dist))
            .collect();
        let images = generate(g, &z, nz, BATCH, device);
        let each: Vec<Vec<f32>> = images.iter().map(|i| i.values.to_vec()).collect();
        pixel_means.push(arithmetic::mean(&each));
        mean_images.extend(&generate(
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
    let pixel_result = Images::new(pixel_result, shape).expect("one image's values");
    let pixel_means = Images::new(pixel_means.concat(), shape).expect("one image per term");
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
pub fn arithmetic_figure(a: &Arithmetic, zoom: u32) -> Canvas {
    let shape = a.results.shape();
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
                        image: a.exemplars[i].get(j),
                        caption: s.to_string(),
                    })
                })
                .collect();
            cells.push(Some(Cell {
                image: a.mean_images.get(i),
                caption: String::new(),
            }));
            cells.push(Some(Cell {
                image: a.pixel_means.get(i),
                caption: String::new(),
            }));
            (t.sign_char().to_string(), cells)
        })
        .collect();
    let table = Table {
        shape,
        zoom,
        headers,
        rows,
    };
    // The result: G(Y) in the centre of a square of its neighbours (3x3 for the paper's 8).
    let n = a.results.len();
    let side = (n as f64).sqrt().ceil() as usize;
    let centre = (side * side) / 2;
    let mut order: Vec<usize> = (1..n).collect();
    order.insert(centre.min(n - 1), 0);
    let result_images = a.results.select(&order);
    let tile = shape.size as u32 * zoom;
    let grid = grid_image(&result_images, Some(side));
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
    canvas.tile(px, label_y + LINE_H + 2, a.pixel_result.get(0), zoom);
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
            (
                s.to_string(),
                cells(&images, r * cols, vec![String::new(); cols]),
            )
        })
        .collect();
    Table {
        shape: images.shape(),
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
    /// Per query, the neighbours' images, nearest first.
    pub images: &'a [Images],
}

/// Each query (a generated sample) beside its nearest training images in pixel space and, when
/// given, in D's feature space, each neighbour captioned with its distance.
pub fn nearest_figure(
    queries: &Images,
    labels: &[String],
    pixel: Neighbours,
    feature: Option<Neighbours>,
    zoom: u32,
) -> Canvas {
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
                image: queries.get(q),
                caption: String::new(),
            })];
            for space in std::iter::once(pixel).chain(feature) {
                cells.extend(neighbour_cells(&space.found[q], &space.images[q], k));
            }
            (label.clone(), cells)
        })
        .collect();
    Table {
        shape: queries.shape(),
        zoom,
        headers,
        rows,
    }
    .render()
}

/// `k` cells of neighbour images, captioned with their distances.
fn neighbour_cells<'a>(found: &[Neighbour], images: &'a Images, k: usize) -> Vec<Option<Cell<'a>>> {
    (0..k)
        .map(|j| {
            found.get(j).map(|n| Cell {
                image: images.get(j),
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
    /// The scanned images.
    pub images: &'a Images,
    /// Per feature, the maps of its responses scaled to `[-1, 1]`, one per response.
    pub maps: &'a [Images],
}

/// For each feature, a row of its strongest images (captioned with the response) and under it
/// a row of their guided-backpropagation maps (zero is mid-grey).
pub fn guided_figure(panel: &GuidedPanel, zoom: u32) -> Canvas {
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
                        image: panel.images.get(r.image),
                        caption: format!("{:.2}", r.value),
                    })
                })
                .collect(),
        ));
        let blank = vec![String::new(); responses.len()];
        rows.push(("gbp".to_string(), cells(&panel.maps[fi], 0, blank)));
    }
    Table {
        shape: panel.images.shape(),
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
    before: &Images,
    after: &Images,
    dropped: usize,
    zoom: u32,
) -> Canvas {
    let blank = vec![String::new(); seeds.len()];
    Table {
        shape: before.shape(),
        zoom,
        headers: seeds.iter().map(u64::to_string).collect(),
        rows: vec![
            ("samples".to_string(), cells(before, 0, blank.clone())),
            (format!("-{dropped} maps"), cells(after, 0, blank)),
        ],
    }
    .render()
}

/// One cell per caption: images `first`, `first + 1`, ... of `images`, captioned in order.
fn cells(images: &Images, first: usize, captions: Vec<String>) -> Vec<Option<Cell<'_>>> {
    captions
        .into_iter()
        .enumerate()
        .map(|(k, caption)| {
            Some(Cell {
                image: images.get(first + k),
                caption,
            })
        })
        .collect()
}

/// The shape shared by image batches (a 1x1 placeholder when there are none: nothing is drawn).
fn shape_of<'a>(mut batches: impl Iterator<Item = &'a Images>) -> ImageShape {
    batches
        .next()
        .map(Images::shape)
        .unwrap_or(ImageShape::new(1, 1))
}
