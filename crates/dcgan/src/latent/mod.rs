//! Latent vectors, drawn on the host from seeds so that a seed gives the same z (and so the same
//! image) on every backend and every rerun; and what the paper does with them (section 6):
//!
//! - [`walk`]: linear and spherical walks through a series of z (Fig. 4).
//! - [`arithmetic`]: averaged exemplars, `mean(A) - mean(B) + mean(C)`, neighbours of the result
//!   and "turn" directions (Figs. 7 and 8).

pub mod arithmetic;
pub mod walk;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::model::LatentDistribution;
use crate::{Error, Result};

/// Draws one z of length `nz` from `rng`.
pub fn draw(rng: &mut ChaCha8Rng, nz: usize, dist: LatentDistribution) -> Vec<f32> {
    match dist {
        LatentDistribution::Uniform => (0..nz).map(|_| rng.random_range(-1.0f32..=1.0)).collect(),
        LatentDistribution::Normal => (0..nz).map(|_| StandardNormal.sample(rng)).collect(),
    }
}

/// The z of one seed: `dcgan sample --seeds 5` always shows the image of this vector.
pub fn from_seed(seed: u64, nz: usize, dist: LatentDistribution) -> Vec<f32> {
    draw(&mut ChaCha8Rng::seed_from_u64(seed), nz, dist)
}

/// A batch of `n` z drawn in sequence from one seed (a grid's "fixed noise").
pub fn batch(seed: u64, n: usize, nz: usize, dist: LatentDistribution) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).flat_map(|_| draw(&mut rng, nz, dist)).collect()
}

/// Parses a seed list such as `0,1,4-6` (inclusive ranges) into seeds in the order given.
///
/// ```
/// assert_eq!(dcgan::latent::parse_seeds("0,1,4-6").unwrap(), vec![0, 1, 4, 5, 6]);
/// assert!(dcgan::latent::parse_seeds("6-4").is_err());
/// ```
pub fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    parse_seed_list("seeds", text)
}

/// The most seeds one list may name (each is an image to generate).
const MAX_SEEDS: usize = 1_000_000;

/// [`parse_seeds`] for a flag other than `--seeds`: errors name `option`.
pub fn parse_seed_list(option: &str, text: &str) -> Result<Vec<u64>> {
    let bad = |msg: String| Error::option(option, msg);
    let mut seeds = Vec::new();
    for part in text.split(',').map(str::trim) {
        if part.is_empty() {
            return Err(bad(format!(
                "`{text}` has an empty entry; expected e.g. 0,1,4-6"
            )));
        }
        let parse = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad(format!("`{s}` is not a seed (a non-negative integer)")))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse(a)?, parse(b)?);
                if b < a {
                    return Err(bad(format!("range `{part}` runs backwards")));
                }
                if b - a >= MAX_SEEDS as u64 {
                    return Err(bad(format!("range `{part}` has more than a million seeds")));
                }
                if seeds.len() + (b - a) as usize >= MAX_SEEDS {
                    return Err(bad("the list has more than a million seeds".into()));
                }
                seeds.extend(a..=b);
            }
            None => seeds.push(parse(part)?),
        }
        if seeds.len() > MAX_SEEDS {
            return Err(bad("the list has more than a million seeds".into()));
        }
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_lists_and_ranges() {
        assert_eq!(parse_seeds("0,1,4-6").unwrap(), vec![0, 1, 4, 5, 6]);
        assert_eq!(parse_seeds("7").unwrap(), vec![7]);
        for bad in ["", "1,,2", "a", "5-3", "-1", "1-x"] {
            let err = parse_seeds(bad).unwrap_err().to_string();
            assert!(err.contains("seeds"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_seed_list_holds_at_most_a_million_seeds() {
        assert_eq!(parse_seeds("0-999999").unwrap().len(), 1_000_000);
        assert!(parse_seeds("0-1000000").is_err());
        // Ranges under the limit one by one, but not together: nine bytes asked for 8 MB each.
        let many = vec!["0-999999"; 1000].join(",");
        let err = parse_seeds(&many).unwrap_err().to_string();
        assert!(err.contains("more than a million seeds"), "{err}");
        assert!(parse_seeds("0-999998,5").is_ok());
        assert!(parse_seeds("0-999999,5").is_err());
    }

    #[test]
    fn z_is_a_function_of_the_seed_and_respects_the_prior() {
        let a = from_seed(3, 100, LatentDistribution::Uniform);
        assert_eq!(a, from_seed(3, 100, LatentDistribution::Uniform));
        assert_ne!(a, from_seed(4, 100, LatentDistribution::Uniform));
        assert!(a.iter().all(|v| (-1.0..=1.0).contains(v)));
        let n = batch(0, 100, 100, LatentDistribution::Normal);
        let mean = n.iter().sum::<f32>() / n.len() as f32;
        let var = n.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n.len() as f32;
        assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.1, "{mean} {var}");
        assert!(n.iter().any(|v| v.abs() > 1.0));
    }
}
