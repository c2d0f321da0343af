//! The latent explorer's pictures: each request names a picture the CLI makes (a sample, a
//! contact sheet, a walk, vector arithmetic, a turn), is computed by the same library calls with
//! the same defaults, and carries the exact command line that writes the same file.

use std::path::Path;

use crate::figures;
use crate::latent::arithmetic::{self, Term};
use crate::latent::walk::{self, Path as WalkPath};
use crate::latent::{from_seed, parse_seed_list};
use crate::model::{Generator, ModelConfig};
use crate::render::{Canvas, contact_sheet, default_zoom, encode, single_image};
use crate::sample::{generate, z_for_seeds};
use crate::{Error, Result};

/// Images generated per forward pass: the CLI's batch, so that the pixels are the same.
const BATCH: usize = 64;

/// The most seeds one request may name (each is an image to generate).
pub const MAX_SEEDS: usize = 256;
/// The most frames between two points of a walk, or columns of a turn.
pub const MAX_STEPS: usize = 64;
/// The largest enlargement.
pub const MAX_ZOOM: u32 = 8;
/// The most neighbours drawn around an arithmetic result.
pub const MAX_NEIGHBOURS: usize = 64;
/// The most terms of an arithmetic expression.
pub const MAX_TERMS: usize = 8;

/// A picture of the explorer.
#[derive(Debug, Clone, PartialEq)]
pub enum Picture {
    /// One sample at the model's size: `dcgan sample --seeds S --out-dir DIR` (DIR/seed_S.png).
    Seed {
        /// Its seed.
        seed: u64,
    },
    /// Captioned samples: `dcgan sample --seeds LIST --sheet FILE`.
    Sheet {
        /// The seeds, in order.
        seeds: Vec<u64>,
        /// Tiles per row (default: a square).
        columns: Option<usize>,
        /// Enlargement (default: to 64 pixels).
        zoom: Option<u32>,
    },
    /// A walk through seeds: `dcgan interpolate --from-seeds LIST --steps N [--slerp] --out FILE`.
    Walk {
        /// The points it passes through.
        seeds: Vec<u64>,
        /// Frames from each point to the next.
        steps: usize,
        /// Great circles instead of straight lines.
        slerp: bool,
        /// Enlargement.
        zoom: Option<u32>,
    },
    /// Frame `frame` of that walk, at the model's size (the walk figure's tile, unenlarged).
    Frame {
        /// The points it passes through.
        seeds: Vec<u64>,
        /// Frames from each point to the next.
        steps: usize,
        /// Great circles.
        slerp: bool,
        /// Which frame (0-based).
        frame: usize,
    },
    /// Vector arithmetic on averaged z: `dcgan arithmetic --term +A --term -B ... --out FILE`.
    Arithmetic {
        /// The signed terms.
        terms: Vec<Term>,
        /// Noisy copies of the result.
        neighbours: usize,
        /// Half-width of their noise.
        radius: f32,
        /// Seed of their noise.
        noise_seed: u64,
        /// Enlargement.
        zoom: Option<u32>,
    },
    /// Samples moved along mean(towards) - mean(away):
    /// `dcgan turn --towards A --away B --seeds S --steps N --scale X --out FILE`.
    Turn {
        /// Exemplars the direction points to.
        towards: Vec<u64>,
        /// Exemplars it points away from.
        away: Vec<u64>,
        /// The samples moved, one row each.
        seeds: Vec<u64>,
        /// Columns.
        steps: usize,
        /// Largest multiple of the direction.
        scale: f32,
        /// Enlargement.
        zoom: Option<u32>,
    },
    /// One sample moved by `alpha` times that direction, at the model's size (the turn
    /// figure's cell for that multiple).
    TurnFrame {
        /// Exemplars the direction points to.
        towards: Vec<u64>,
        /// Exemplars it points away from.
        away: Vec<u64>,
        /// The sample.
        seed: u64,
        /// The multiple of the direction.
        alpha: f32,
    },
}

/// The parameters of a request, as `(name, value)` pairs in order (a name may repeat).
pub struct Params<'a> {
    pairs: &'a [(String, String)],
    allowed: &'static [&'static str],
}

impl<'a> Params<'a> {
    /// The pairs, checked to name only `allowed` parameters.
    pub fn new(pairs: &'a [(String, String)], allowed: &'static [&'static str]) -> Result<Self> {
        if let Some((name, _)) = pairs.iter().find(|(n, _)| !allowed.contains(&n.as_str())) {
            return Err(Error::option(
                name.as_str(),
                format!(
                    "unknown parameter (this picture takes {})",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Self { pairs, allowed })
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        debug_assert!(self.allowed.contains(&name));
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&'a str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn required(&self, name: &str) -> Result<&'a str> {
        self.get(name)
            .ok_or_else(|| Error::option(name, "missing (this picture needs it)"))
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| Error::option(name, format!("`{v}` is not a valid number here"))),
        }
    }

    fn seeds(&self, name: &str, min: usize) -> Result<Vec<u64>> {
        let seeds = parse_seed_list(name, self.required(name)?)?;
        if seeds.len() < min || seeds.len() > MAX_SEEDS {
            return Err(Error::option(
                name,
                format!(
                    "{} seeds; this picture takes {min} to {MAX_SEEDS}",
                    seeds.len()
                ),
            ));
        }
        Ok(seeds)
    }

    fn zoom(&self) -> Result<Option<u32>> {
        match self.get("zoom") {
            None => Ok(None),
            Some(_) => {
                let z: u32 = self.number("zoom", 1)?;
                if !(1..=MAX_ZOOM).contains(&z) {
                    return Err(Error::option("zoom", format!("must be 1 to {MAX_ZOOM}")));
                }
                Ok(Some(z))
            }
        }
    }

    fn steps(&self, default: usize) -> Result<usize> {
        let steps: usize = self.number("steps", default)?;
        if !(1..=MAX_STEPS).contains(&steps) {
            return Err(Error::option("steps", format!("must be 1 to {MAX_STEPS}")));
        }
        Ok(steps)
    }

    fn flag(&self, name: &str) -> Result<bool> {
        match self.get(name) {
            None | Some("0" | "false") => Ok(false),
            Some("" | "1" | "true") => Ok(true),
            Some(v) => Err(Error::option(name, format!("`{v}`: expected 1 or 0"))),
        }
    }

    fn finite(&self, name: &str, default: f32) -> Result<f32> {
        let v: f32 = self.number(name, default)?;
        if !v.is_finite() {
            return Err(Error::option(name, "must be a finite number"));
        }
        Ok(v)
    }
}

impl Picture {
    /// The picture `kind` with parameters `pairs` (the query string of the explorer's URLs).
    pub fn parse(kind: &str, pairs: &[(String, String)]) -> Result<Self> {
        Ok(match kind {
            "seed" => {
                let p = Params::new(pairs, &["checkpoint", "seed", "download"])?;
                Picture::Seed {
                    seed: p.required("seed")?.trim().parse().map_err(|_| {
                        Error::option("seed", "not a seed (a non-negative integer)")
                    })?,
                }
            }
            "sheet" => {
                let p = Params::new(
                    pairs,
                    &["checkpoint", "seeds", "columns", "zoom", "download"],
                )?;
                let columns = match p.get("columns") {
                    None => None,
                    Some(_) => Some(p.number::<usize>("columns", 1)?.clamp(1, MAX_SEEDS)),
                };
                Picture::Sheet {
                    seeds: p.seeds("seeds", 1)?,
                    columns,
                    zoom: p.zoom()?,
                }
            }
            "walk" | "frame" => {
                let allowed: &'static [&'static str] = if kind == "walk" {
                    &["checkpoint", "seeds", "steps", "slerp", "zoom", "download"]
                } else {
                    &["checkpoint", "seeds", "steps", "slerp", "frame", "download"]
                };
                let p = Params::new(pairs, allowed)?;
                let (seeds, steps, slerp) = (p.seeds("seeds", 2)?, p.steps(8)?, p.flag("slerp")?);
                if kind == "walk" {
                    Picture::Walk {
                        seeds,
                        steps,
                        slerp,
                        zoom: p.zoom()?,
                    }
                } else {
                    let frames = (seeds.len() - 1) * steps + 1;
                    let frame: usize = p.number("frame", 0)?;
                    if frame >= frames {
                        return Err(Error::option(
                            "frame",
                            format!("{frame}: this walk has frames 0 to {}", frames - 1),
                        ));
                    }
                    Picture::Frame {
                        seeds,
                        steps,
                        slerp,
                        frame,
                    }
                }
            }
            "arithmetic" => {
                let p = Params::new(
                    pairs,
                    &[
                        "checkpoint",
                        "term",
                        "neighbours",
                        "radius",
                        "noise_seed",
                        "zoom",
                        "download",
                    ],
                )?;
                let texts = p.all("term");
                if texts.is_empty() || texts.len() > MAX_TERMS {
                    return Err(Error::option(
                        "term",
                        format!("give 1 to {MAX_TERMS} terms such as +12,40 or -3"),
                    ));
                }
                let terms = texts
                    .iter()
                    .map(|t| Term::parse("term", t))
                    .collect::<Result<Vec<_>>>()?;
                if terms.iter().map(|t| t.seeds.len()).sum::<usize>() > MAX_SEEDS {
                    return Err(Error::option(
                        "term",
                        format!("more than {MAX_SEEDS} seeds in all"),
                    ));
                }
                let neighbours: usize = p.number("neighbours", crate::defaults::NEIGHBOURS)?;
                if neighbours > MAX_NEIGHBOURS {
                    return Err(Error::option(
                        "neighbours",
                        format!("at most {MAX_NEIGHBOURS}"),
                    ));
                }
                let radius = p.finite("radius", crate::defaults::NEIGHBOUR_RADIUS)?;
                if radius < 0.0 {
                    return Err(Error::option("radius", "must not be negative"));
                }
                Picture::Arithmetic {
                    terms,
                    neighbours,
                    radius,
                    noise_seed: p.number("noise_seed", 0)?,
                    zoom: p.zoom()?,
                }
            }
            "turn" | "turn-frame" => {
                let allowed: &'static [&'static str] = if kind == "turn" {
                    &[
                        "checkpoint",
                        "towards",
                        "away",
                        "seeds",
                        "steps",
                        "scale",
                        "zoom",
                        "download",
                    ]
                } else {
                    &["checkpoint", "towards", "away", "seed", "alpha", "download"]
                };
                let p = Params::new(pairs, allowed)?;
                let (towards, away) = (p.seeds("towards", 1)?, p.seeds("away", 1)?);
                if kind == "turn" {
                    Picture::Turn {
                        towards,
                        away,
                        seeds: p.seeds("seeds", 1)?,
                        steps: p.steps(crate::defaults::TURN_STEPS)?,
                        scale: p.finite("scale", crate::defaults::TURN_SCALE)?,
                        zoom: p.zoom()?,
                    }
                } else {
                    Picture::TurnFrame {
                        towards,
                        away,
                        seed: p.number("seed", 0)?,
                        alpha: p.finite("alpha", 0.0)?,
                    }
                }
            }
            other => {
                return Err(Error::option(
                    "picture",
                    format!(
                        "`{other}` is not one (seed, sheet, walk, frame, arithmetic, turn, \
                         turn-frame)"
                    ),
                ));
            }
        })
    }

    /// The command line that writes this picture from `checkpoint` (for a frame: the figure it
    /// is a tile of).
    pub fn command(&self, checkpoint: &Path) -> String {
        let ck = shell_quote(&checkpoint.display().to_string());
        let list = |s: &[u64]| s.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let zoom = |z: &Option<u32>| z.map(|z| format!(" --zoom {z}")).unwrap_or_default();
        match self {
            Picture::Seed { seed } => {
                format!("dcgan sample --checkpoint {ck} --seeds {seed} --out-dir samples")
            }
            Picture::Sheet {
                seeds,
                columns,
                zoom: z,
            } => format!(
                "dcgan sample --checkpoint {ck} --seeds {}{}{} --sheet sheet.png",
                list(seeds),
                columns
                    .map(|c| format!(" --columns {c}"))
                    .unwrap_or_default(),
                zoom(z)
            ),
            Picture::Walk {
                seeds,
                steps,
                slerp,
                zoom: z,
            } => format!(
                "dcgan interpolate --checkpoint {ck} --from-seeds {} --steps {steps}{}{} --out walk.png",
                list(seeds),
                if *slerp { " --slerp" } else { "" },
                zoom(z)
            ),
            Picture::Frame {
                seeds,
                steps,
                slerp,
                frame,
            } => format!(
                "dcgan interpolate --checkpoint {ck} --from-seeds {} --steps {steps}{} --out walk.png  # frame {frame}",
                list(seeds),
                if *slerp { " --slerp" } else { "" },
            ),
            Picture::Arithmetic {
                terms,
                neighbours,
                radius,
                noise_seed,
                zoom: z,
            } => {
                let terms: String = terms
                    .iter()
                    .map(|t| format!(" --term {}{}", t.sign_char(), list(&t.seeds)))
                    .collect();
                format!(
                    "dcgan arithmetic --checkpoint {ck}{terms} --neighbours {neighbours} \
                     --radius {radius} --noise-seed {noise_seed}{} --out arithmetic.png",
                    zoom(z)
                )
            }
            Picture::Turn {
                towards,
                away,
                seeds,
                steps,
                scale,
                zoom: z,
            } => format!(
                "dcgan turn --checkpoint {ck} --towards {} --away {} --seeds {} --steps {steps} \
                 --scale {scale}{} --out turn.png",
                list(towards),
                list(away),
                list(seeds),
                zoom(z)
            ),
            Picture::TurnFrame {
                towards,
                away,
                seed,
                alpha,
            } => format!(
                "dcgan turn --checkpoint {ck} --towards {} --away {} --seeds {seed} --steps 1 \
                 --scale={} --out turn.png  # its one column: {alpha:+}",
                list(towards),
                list(away),
                -alpha,
            ),
        }
    }

    /// The file name the command writes (for downloads).
    pub fn file_name(&self) -> String {
        match self {
            Picture::Seed { seed } => format!("seed_{seed:06}.png"),
            Picture::Sheet { .. } => "sheet.png".into(),
            Picture::Walk { .. } => "walk.png".into(),
            Picture::Frame { frame, .. } => format!("walk_frame_{frame}.png"),
            Picture::Arithmetic { .. } => "arithmetic.png".into(),
            Picture::Turn { .. } => "turn.png".into(),
            Picture::TurnFrame { seed, alpha, .. } => format!("turn_{seed}_{alpha:+}.png"),
        }
    }

    /// Draws the picture with `g` (an unconditional generator of `model`) as PNG bytes: the
    /// bytes the command writes.
    pub fn render(
        &self,
        g: &Generator,
        model: &ModelConfig,
        device: &crate::device::Device,
    ) -> Result<Vec<u8>> {
        let png = Path::new("picture.png");
        let canvas_png = |c: Canvas| encode(&image::DynamicImage::ImageRgb8(c.image), png);
        let zoom_of = |z: &Option<u32>| z.unwrap_or(default_zoom(model.image_size));
        let path_of = |slerp: bool| {
            if slerp {
                WalkPath::Spherical
            } else {
                WalkPath::Linear
            }
        };
        match self {
            Picture::Seed { seed } => {
                let images = generate(g, &z_for_seeds(&[*seed], model), model.nz, BATCH, device);
                encode(&single_image(images.get(0)), png)
            }
            Picture::Sheet {
                seeds,
                columns,
                zoom,
            } => {
                let images = generate(g, &z_for_seeds(seeds, model), model.nz, BATCH, device);
                let labels: Vec<String> = seeds.iter().map(u64::to_string).collect();
                let columns =
                    columns.unwrap_or_else(|| (labels.len() as f64).sqrt().ceil() as usize);
                let (canvas, _) = contact_sheet(&images, &labels, columns, zoom_of(zoom));
                canvas_png(canvas)
            }
            Picture::Walk {
                seeds,
                steps,
                slerp,
                zoom,
            } => {
                let walks = figures::walks(
                    g,
                    model,
                    std::slice::from_ref(seeds),
                    *steps,
                    path_of(*slerp),
                    device,
                )?;
                canvas_png(figures::walk_figure(&walks, zoom_of(zoom)))
            }
            Picture::Frame {
                seeds,
                steps,
                slerp,
                frame,
            } => {
                let points: Vec<Vec<f32>> = seeds
                    .iter()
                    .map(|&s| from_seed(s, model.nz, model.latent))
                    .collect();
                let frames = walk::walk(&points, *steps, path_of(*slerp))?;
                let images = generate(g, &frames[*frame], model.nz, BATCH, device);
                encode(&single_image(images.get(0)), png)
            }
            Picture::Arithmetic {
                terms,
                neighbours,
                radius,
                noise_seed,
                zoom,
            } => {
                let result =
                    figures::arithmetic(g, model, terms, *neighbours, *radius, *noise_seed, device);
                canvas_png(figures::arithmetic_figure(&result, zoom_of(zoom)))
            }
            Picture::Turn {
                towards,
                away,
                seeds,
                steps,
                scale,
                zoom,
            } => {
                let direction = direction(towards, away, model)?;
                let alphas = arithmetic::linspace(-scale, *scale, *steps);
                canvas_png(figures::along_figure(
                    g,
                    model,
                    &direction,
                    seeds,
                    &alphas,
                    zoom_of(zoom),
                    device,
                ))
            }
            Picture::TurnFrame {
                towards,
                away,
                seed,
                alpha,
            } => {
                let direction = direction(towards, away, model)?;
                let z = arithmetic::along(
                    &from_seed(*seed, model.nz, model.latent),
                    &direction,
                    &[*alpha],
                )
                .concat();
                let images = generate(g, &z, model.nz, BATCH, device);
                encode(&single_image(images.get(0)), png)
            }
        }
    }
}

fn direction(towards: &[u64], away: &[u64], model: &ModelConfig) -> Result<Vec<f32>> {
    let towards = Term::new("towards", 1.0, towards.to_vec())?;
    let away = Term::new("away", -1.0, away.to_vec())?;
    Ok(arithmetic::evaluate(
        &[towards, away],
        model.nz,
        model.latent,
    ))
}

/// `text` as one shell word.
fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:=".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn requests_parse_to_pictures_and_their_commands() {
        let p = Picture::parse(
            "walk",
            &pairs(&[("seeds", "3,17,42"), ("steps", "4"), ("slerp", "1")]),
        )
        .unwrap();
        assert_eq!(
            p,
            Picture::Walk {
                seeds: vec![3, 17, 42],
                steps: 4,
                slerp: true,
                zoom: None
            }
        );
        assert_eq!(
            p.command(Path::new("runs/a b/checkpoints/ckpt_00000010.safetensors")),
            "dcgan interpolate --checkpoint 'runs/a b/checkpoints/ckpt_00000010.safetensors' \
             --from-seeds 3,17,42 --steps 4 --slerp --out walk.png"
        );
        let a = Picture::parse(
            "arithmetic",
            &pairs(&[("term", "+1,2"), ("term", "-3"), ("term", "+4-6")]),
        )
        .unwrap();
        assert!(a.command(Path::new("c.safetensors")).contains(
            "--term +1,2 --term -3 --term +4,5,6 --neighbours 8 --radius 0.25 --noise-seed 0"
        ));
    }

    #[test]
    fn bad_requests_are_errors_naming_the_parameter() {
        let err = |kind: &str, list: &[(&str, &str)]| {
            Picture::parse(kind, &pairs(list)).unwrap_err().to_string()
        };
        assert!(err("seed", &[("seed", "x")]).contains("seed"));
        assert!(err("sheet", &[("seeds", "1,,2")]).contains("empty entry"));
        assert!(err("sheet", &[("seeds", "0-999")]).contains("1000 seeds"));
        assert!(err("walk", &[("seeds", "1")]).contains("1 seeds"));
        assert!(err("walk", &[("seeds", "1,2"), ("steps", "0")]).contains("steps"));
        assert!(err("walk", &[("seeds", "1,2"), ("path", "../x")]).contains("unknown parameter"));
        assert!(
            err("frame", &[("seeds", "1,2"), ("steps", "4"), ("frame", "5")]).contains("0 to 4")
        );
        assert!(err("arithmetic", &[]).contains("term"));
        assert!(err("arithmetic", &[("term", "*3")]).contains("term"));
        assert!(
            err(
                "turn-frame",
                &[("towards", "1"), ("away", "2"), ("alpha", "inf")]
            )
            .contains("finite")
        );
        assert!(err("sheet", &[("seeds", "1"), ("zoom", "99")]).contains("zoom"));
        assert!(err("nope", &[]).contains("not one"));
    }
}
