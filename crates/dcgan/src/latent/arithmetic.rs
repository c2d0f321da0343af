//! Vector arithmetic on averaged z (paper section 6.3.2, Figs. 7 and 8).
//!
//! Single samples are unstable, so each concept is the mean z of a few exemplars (the paper uses
//! three): `Y = mean(A) - mean(B) + mean(C)`. The figure shows `G(Y)` and eight neighbours
//! `G(Y + u)`, `u` uniform in `[-0.25, 0.25]` per coordinate, beside the same arithmetic done on
//! the exemplars' pixels, which fails. A "turn" direction is the difference of two exemplar means
//! (left-looking minus right-looking faces), added in steps to other samples.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{from_seed, parse_seed_list};
use crate::model::LatentDistribution;
use crate::{Error, Result};

/// Half-width of the uniform noise added to Y for its neighbours (paper, Fig. 7 caption).
pub const NEIGHBOUR_RADIUS: f32 = 0.25;

/// One signed term of an arithmetic expression: `+` or `-` the mean of some exemplars.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// +1 or -1.
    pub sign: f32,
    /// The exemplars' seeds (never empty).
    pub seeds: Vec<u64>,
}

impl Term {
    /// A term from its sign and seeds; errors name `option` when there are no seeds.
    pub fn new(option: &str, sign: f32, seeds: Vec<u64>) -> Result<Self> {
        if seeds.is_empty() {
            return Err(Error::option(option, "the exemplar list is empty"));
        }
        Ok(Self { sign, seeds })
    }

    /// A term of the given sign from a seed list such as `12,40,77`, errors naming `option`
    /// (an empty list is refused as such).
    pub fn from_list(option: &str, sign: f32, text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Self::new(option, sign, Vec::new());
        }
        Self::new(option, sign, parse_seed_list(option, text)?)
    }

    /// Parses `+12,40,77`, `-3,9,150` or `12,40,77` (plus), errors naming `option`.
    ///
    /// ```
    /// use dcgan::latent::arithmetic::Term;
    /// let t = Term::parse("--term", "-3,9,150-151").unwrap();
    /// assert_eq!((t.sign, t.seeds), (-1.0, vec![3, 9, 150, 151]));
    /// assert!(Term::parse("--term", "+").is_err());
    /// ```
    pub fn parse(option: &str, text: &str) -> Result<Self> {
        let text = text.trim();
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'+') => (1.0, &text[1..]),
            Some(b'-') => (-1.0, &text[1..]),
            _ => (1.0, text),
        };
        if rest.trim().is_empty() {
            return Err(Error::option(
                option,
                format!("`{text}`: the exemplar list is empty; expected e.g. +12,40,77"),
            ));
        }
        Self::from_list(option, sign, rest)
    }

    /// `+` or `-`.
    pub fn sign_char(&self) -> char {
        if self.sign < 0.0 { '-' } else { '+' }
    }
}

/// The mean of equally long vectors.
pub fn mean(vectors: &[Vec<f32>]) -> Vec<f32> {
    let n = vectors.len().max(1) as f32;
    let mut out = vec![0.0f32; vectors.first().map_or(0, Vec::len)];
    for v in vectors {
        for (o, x) in out.iter_mut().zip(v) {
            *o += x;
        }
    }
    out.iter_mut().for_each(|o| *o /= n);
    out
}

/// The mean z of `seeds` (each drawn with [`from_seed`]).
pub fn mean_z(seeds: &[u64], nz: usize, dist: LatentDistribution) -> Vec<f32> {
    let zs: Vec<Vec<f32>> = seeds.iter().map(|&s| from_seed(s, nz, dist)).collect();
    mean(&zs)
}

/// `sum(sign_i * v_i)`, the terms' signs applied to their (mean) vectors, in order.
pub fn signed_sum(terms: &[Term], vectors: &[Vec<f32>]) -> Vec<f32> {
    let mut out = vec![0.0f32; vectors.first().map_or(0, Vec::len)];
    for (t, v) in terms.iter().zip(vectors) {
        for (o, x) in out.iter_mut().zip(v) {
            *o += t.sign * x;
        }
    }
    out
}

/// The z of an expression: the signed sum of its terms' mean z.
pub fn evaluate(terms: &[Term], nz: usize, dist: LatentDistribution) -> Vec<f32> {
    let means: Vec<Vec<f32>> = terms.iter().map(|t| mean_z(&t.seeds, nz, dist)).collect();
    signed_sum(terms, &means)
}

/// `n` neighbours `y + u`, each coordinate of `u` uniform in `[-radius, radius]`, drawn from
/// `seed` (the same seed gives the same neighbours).
pub fn neighbours(y: &[f32], n: usize, radius: f32, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            y.iter()
                .map(|v| v + rng.random_range(-radius..=radius))
                .collect()
        })
        .collect()
}

/// `z + alpha * direction` for each alpha: a sample moved along a direction such as "turn".
pub fn along(z: &[f32], direction: &[f32], alphas: &[f32]) -> Vec<Vec<f32>> {
    alphas
        .iter()
        .map(|a| z.iter().zip(direction).map(|(x, d)| x + a * d).collect())
        .collect()
}

/// `n` evenly spaced values from `from` to `to` inclusive (`n = 1`: just `from`).
pub fn linspace(from: f32, to: f32, n: usize) -> Vec<f32> {
    match n {
        0 => Vec::new(),
        1 => vec![from],
        _ => (0..n)
            .map(|i| from + (to - from) * i as f32 / (n - 1) as f32)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: LatentDistribution = LatentDistribution::Uniform;

    #[test]
    fn terms_parse_with_signs_and_reject_empty_lists() {
        assert_eq!(
            Term::parse("--a", "12,40,77").unwrap(),
            Term {
                sign: 1.0,
                seeds: vec![12, 40, 77]
            }
        );
        assert_eq!(Term::parse("--term", "+1-3").unwrap().seeds, vec![1, 2, 3]);
        for bad in ["", "-", "+ ", "-1,,2", "+x"] {
            let err = Term::parse("--term", bad).unwrap_err().to_string();
            assert!(err.contains("--term"), "{bad}: {err}");
        }
        assert!(
            Term::new("--b", -1.0, vec![])
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn exemplars_average_coordinatewise() {
        let zs: Vec<Vec<f32>> = [5u64, 6, 7].iter().map(|&s| from_seed(s, 50, U)).collect();
        let m = mean_z(&[5, 6, 7], 50, U);
        for i in 0..50 {
            let want = (zs[0][i] + zs[1][i] + zs[2][i]) / 3.0;
            assert!((m[i] - want).abs() < 1e-6);
        }
        assert_eq!(mean(&[vec![1.0, 2.0], vec![3.0, -2.0]]), vec![2.0, 0.0]);
    }

    #[test]
    fn a_minus_b_plus_c_and_identical_terms_cancel() {
        let parse = |t: &str| Term::parse("--term", t).unwrap();
        let terms = [parse("+1,2,3"), parse("-4,5,6"), parse("+7,8,9")];
        let y = evaluate(&terms, 20, U);
        let (a, b, c) = (
            mean_z(&[1, 2, 3], 20, U),
            mean_z(&[4, 5, 6], 20, U),
            mean_z(&[7, 8, 9], 20, U),
        );
        for i in 0..20 {
            assert!((y[i] - (a[i] - b[i] + c[i])).abs() < 1e-6);
        }
        // A - A + C is exactly C: the subtraction cancels bit for bit.
        let same = [parse("+1,2,3"), parse("-1,2,3"), parse("+7,8,9")];
        assert_eq!(evaluate(&same, 20, U), c);
    }

    #[test]
    fn neighbours_stay_within_the_radius_and_follow_their_seed() {
        let y = mean_z(&[1, 2, 3], 100, U);
        let ns = neighbours(&y, 8, NEIGHBOUR_RADIUS, 0);
        assert_eq!(ns.len(), 8);
        let mut max = 0.0f32;
        for n in &ns {
            for (a, b) in n.iter().zip(&y) {
                max = max.max((a - b).abs());
            }
        }
        assert!(max <= NEIGHBOUR_RADIUS + 1e-6, "{max}");
        // The noise fills the interval rather than collapsing to zero.
        assert!(max > 0.9 * NEIGHBOUR_RADIUS, "{max}");
        assert_eq!(ns, neighbours(&y, 8, NEIGHBOUR_RADIUS, 0));
        assert_ne!(ns, neighbours(&y, 8, NEIGHBOUR_RADIUS, 1));
    }

    #[test]
    fn moving_along_a_direction_is_linear_in_alpha() {
        let z = vec![0.5f32, -0.5];
        let d = vec![1.0f32, 2.0];
        let alphas = linspace(-1.0, 1.0, 5);
        assert_eq!(alphas, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        let moved = along(&z, &d, &alphas);
        assert_eq!(moved[2], z);
        assert_eq!(moved[4], vec![1.5, 1.5]);
        assert_eq!(moved[0], vec![-0.5, -2.5]);
    }
}
