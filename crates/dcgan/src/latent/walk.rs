//! Walks in latent space (paper section 6.1, Fig. 4): paths through a series of z, linear or
//! spherical, whose images show whether the learned space changes smoothly (no memorisation) or
//! jumps.

use crate::{Error, Result};

/// How to move between two points of a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Straight line: `(1 - t) a + t b`.
    Linear,
    /// Great circle (Shoemake's slerp): keeps the norm near that of the endpoints, which suits a
    /// normal prior, whose mass lies on a shell.
    Spherical,
}

/// `(1 - t) a + t b`.
pub fn lerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + t * (y - x)).collect()
}

/// Spherical interpolation from `a` (t = 0) to `b` (t = 1) along the great circle through them,
/// the norm moving linearly between the two norms. Falls back to [`lerp`] when the two are
/// (anti)parallel or one is zero, where the circle is undefined.
pub fn slerp(a: &[f32], b: &[f32], t: f32) -> Vec<f32> {
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na < 1e-12 || nb < 1e-12 {
        return lerp(a, b, t);
    }
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let cos = (dot / (na * nb)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    let sin = omega.sin();
    if sin.abs() < 1e-6 {
        return lerp(a, b, t);
    }
    let t = t as f64;
    // Directions on the unit sphere, then the interpolated length.
    let (wa, wb) = (
        ((1.0 - t) * omega).sin() / sin / na,
        (t * omega).sin() / sin / nb,
    );
    let len = (1.0 - t) * na + t * nb;
    a.iter()
        .zip(b)
        .map(|(x, y)| ((wa * *x as f64 + wb * *y as f64) * len) as f32)
        .collect()
}

/// The frames of a walk through `points` (each of length `nz`, at least 2), with `steps` frames
/// from each point up to (not including) the next and the last point as the final frame:
/// `(points - 1) * steps + 1` vectors, the points themselves at frames `0, steps, 2 steps, ...`.
pub fn walk(points: &[Vec<f32>], steps: usize, path: Path) -> Result<Vec<Vec<f32>>> {
    if points.len() < 2 {
        return Err(Error::option(
            "points",
            format!("a walk needs at least 2 points, got {}", points.len()),
        ));
    }
    if steps == 0 {
        return Err(Error::option("steps", "must be at least 1"));
    }
    let mut frames = Vec::with_capacity((points.len() - 1) * steps + 1);
    for pair in points.windows(2) {
        for s in 0..steps {
            let t = s as f32 / steps as f32;
            frames.push(match path {
                Path::Linear => lerp(&pair[0], &pair[1], t),
                Path::Spherical => slerp(&pair[0], &pair[1], t),
            });
        }
    }
    frames.push(points[points.len() - 1].clone());
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latent::from_seed;
    use crate::model::LatentDistribution;

    fn norm(v: &[f32]) -> f32 {
        v.iter().map(|x| x * x).sum::<f32>().sqrt()
    }

    fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn both_paths_start_and_end_at_the_endpoints() {
        let a = from_seed(1, 100, LatentDistribution::Normal);
        let b = from_seed(2, 100, LatentDistribution::Normal);
        for f in [lerp, slerp] {
            assert!(close(&f(&a, &b, 0.0), &a, 1e-5));
            assert!(close(&f(&a, &b, 1.0), &b, 1e-5));
        }
        // The midpoint of a line is the mean.
        let mid: Vec<f32> = a.iter().zip(&b).map(|(x, y)| (x + y) / 2.0).collect();
        assert!(close(&lerp(&a, &b, 0.5), &mid, 1e-6));
    }

    #[test]
    fn slerp_keeps_the_norm_where_lerp_shrinks_it() {
        // Two orthogonal unit vectors: the chord's midpoint has norm 1/sqrt(2), the arc's 1.
        let (a, b) = (vec![1.0f32, 0.0, 0.0], vec![0.0f32, 1.0, 0.0]);
        let s = slerp(&a, &b, 0.5);
        assert!(
            close(&s, &[0.5f32.sqrt(), 0.5f32.sqrt(), 0.0], 1e-6),
            "{s:?}"
        );
        assert!((norm(&lerp(&a, &b, 0.5)) - 0.5f32.sqrt()).abs() < 1e-6);
        // Between random normal z of different lengths the norm moves linearly.
        let a = from_seed(3, 100, LatentDistribution::Normal);
        let b: Vec<f32> = from_seed(4, 100, LatentDistribution::Normal)
            .iter()
            .map(|x| 2.0 * x)
            .collect();
        for t in [0.1f32, 0.25, 0.5, 0.9] {
            let want = (1.0 - t) * norm(&a) + t * norm(&b);
            assert!(
                (norm(&slerp(&a, &b, t)) - want).abs() < 1e-3 * want,
                "t {t}"
            );
            assert!(norm(&lerp(&a, &b, t)) < want, "t {t}");
        }
        // Parallel vectors fall back to the line instead of dividing by zero.
        let p = slerp(&a, &a, 0.3);
        assert!(close(&p, &a, 1e-5));
    }

    #[test]
    fn a_walk_visits_every_point_in_order() {
        let pts: Vec<Vec<f32>> = (0..4)
            .map(|s| from_seed(s, 8, LatentDistribution::Uniform))
            .collect();
        let frames = walk(&pts, 5, Path::Linear).unwrap();
        assert_eq!(frames.len(), 3 * 5 + 1);
        for (i, p) in pts.iter().enumerate() {
            assert_eq!(&frames[i * 5], p);
        }
        assert!(walk(&pts[..1], 5, Path::Linear).is_err());
        assert!(walk(&pts, 0, Path::Spherical).is_err());
    }
}
