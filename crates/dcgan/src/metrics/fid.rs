//! The Fréchet distance between two Gaussians (Heusel et al. 2017), step for step as pytorch-fid's
//! `calculate_frechet_distance`:
//!
//! ```text
//! covmean = sqrtm(sigma1 @ sigma2)                       # the principal matrix square root
//! if not finite(covmean): covmean = sqrtm((sigma1 + eps I) @ (sigma2 + eps I)), eps = 1e-6
//! if complex: require |imag(diag(covmean))| <= 1e-3, keep the real part
//! FID = |mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr(covmean)
//! ```
//!
//! scipy's `sqrtm` goes through a Schur form; here the square root is built from the
//! eigendecomposition `A = U S U^-1` (faer's general eigensolver) as `U sqrt(S) U^-1`, which is
//! the same principal square root: its trace is `sum(sqrt(lambda_i))` either way.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Par, c64};

use super::Gaussian;
use crate::{Error, Result};

/// Added to both diagonals when the square root of the product is not finite (pytorch-fid).
pub const EPS: f64 = 1e-6;
/// Largest imaginary part tolerated on the square root's diagonal (pytorch-fid's `atol`).
pub const IMAGINARY_TOLERANCE: f64 = 1e-3;

/// A Fréchet distance and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Fid {
    /// The distance.
    pub value: f64,
    /// Whether the product was singular and `EPS` had to be added to the diagonals.
    pub regularised: bool,
    /// Largest `|imag|` on the diagonal of the square root (dropped when within tolerance).
    pub imaginary_diagonal: f64,
}

/// The FID between two fitted Gaussians.
///
/// A fit from fewer vectors than dimensions plus one has a singular covariance, for which FID
/// means little: that is an error saying how many vectors are needed.
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> Result<Fid> {
    let d = a.dim();
    if b.dim() != d {
        return Err(Error::metric(
            "FID",
            format!(
                "the two statistics have different lengths ({d} and {}): they come from \
                 different feature networks or layers",
                b.dim()
            ),
        ));
    }
    for (side, g) in [("first", a), ("second", b)] {
        if let Some(n) = g.n.filter(|&n| n <= d) {
            return Err(Error::metric(
                "FID",
                format!(
                    "the {side} covariance is singular: {n} feature vectors of {d} dimensions; \
                     FID needs at least {} (more samples)",
                    d + 1
                ),
            ));
        }
    }
    let sigma1 = a.sigma_mat();
    let sigma2 = b.sigma_mat();
    let product = |eps: f64| {
        let mut s1 = sigma1.to_owned();
        let mut s2 = sigma2.to_owned();
        for i in 0..d {
            s1[(i, i)] += eps;
            s2[(i, i)] += eps;
        }
        &s1 * &s2
    };
    let (root, regularised) = match sqrtm(&product(0.0)) {
        Some(root) => (root, false),
        None => match sqrtm(&product(EPS)) {
            Some(root) => (root, true),
            None => {
                return Err(Error::metric(
                    "FID",
                    "the square root of the covariance product is not finite, even with 1e-6 \
                     added to the diagonals",
                ));
            }
        },
    };
    let imaginary_diagonal = (0..d).map(|i| root[(i, i)].im.abs()).fold(0.0, f64::max);
    if imaginary_diagonal > IMAGINARY_TOLERANCE {
        let largest = root
            .col_iter()
            .flat_map(|c| c.iter().map(|v| v.im.abs()).collect::<Vec<_>>())
            .fold(0.0, f64::max);
        return Err(Error::metric(
            "FID",
            format!(
                "imaginary component {largest:e} in the square root of the covariance product \
                 (its diagonal's reaches {imaginary_diagonal:e}, above pytorch-fid's 1e-3)"
            ),
        ));
    }
    let tr_covmean: f64 = (0..d).map(|i| root[(i, i)].re).sum();
    let diff: f64 = a.mu.iter().zip(&b.mu).map(|(x, y)| (x - y).powi(2)).sum();
    let trace = |g: &Gaussian| (0..d).map(|i| g.sigma[i * d + i]).sum::<f64>();
    Ok(Fid {
        value: diff + trace(a) + trace(b) - 2.0 * tr_covmean,
        regularised,
        imaginary_diagonal,
    })
}

/// The principal square root of `a` as `U sqrt(S) U^-1`, or `None` when it is not finite
/// (no eigendecomposition, or a defective one whose eigenvectors cannot be inverted).
fn sqrtm(a: &Mat<f64>) -> Option<Mat<c64>> {
    let evd = a.eigen().ok()?;
    let u = evd.U();
    let roots: Vec<c64> = evd.S().column_vector().iter().map(|l| l.sqrt()).collect();
    let inverse = u.partial_piv_lu().inverse();
    let mut scaled = u.to_owned();
    for (j, r) in roots.iter().enumerate() {
        for i in 0..scaled.nrows() {
            scaled[(i, j)] *= r;
        }
    }
    let mut root = Mat::<c64>::zeros(a.nrows(), a.ncols());
    faer::linalg::matmul::matmul(
        root.as_mut(),
        faer::Accum::Replace,
        scaled.as_ref(),
        inverse.as_ref(),
        c64::new(1.0, 0.0),
        Par::rayon(0),
    );
    let finite = root
        .col_iter()
        .all(|c| c.iter().all(|v| v.re.is_finite() && v.im.is_finite()));
    finite.then_some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian(mu: Vec<f64>, sigma: Vec<f64>, n: Option<usize>) -> Gaussian {
        Gaussian { mu, sigma, n }
    }

    #[test]
    fn diagonal_gaussians_have_the_closed_form() {
        // For diagonal covariances FID = |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
        let a = gaussian(vec![0.0, 1.0, 2.0], diag(&[1.0, 4.0, 9.0]), None);
        let b = gaussian(vec![1.0, 1.0, 0.0], diag(&[4.0, 1.0, 1.0]), None);
        let want = (1.0 + 0.0 + 4.0) + (1.0f64 + 1.0 + 4.0);
        let got = frechet_distance(&a, &b).unwrap();
        assert!((got.value - want).abs() < 1e-12, "{got:?} vs {want}");
        assert!(!got.regularised);
        let same = frechet_distance(&a, &a).unwrap().value;
        assert!(same.abs() < 1e-12, "{same}");
    }

    fn diag(v: &[f64]) -> Vec<f64> {
        let d = v.len();
        (0..d * d)
            .map(|k| if k / d == k % d { v[k / d] } else { 0.0 })
            .collect()
    }

    #[test]
    fn full_covariances_match_the_symmetric_route() {
        // tr sqrt(S1 S2) = tr sqrt(S1^1/2 S2 S1^1/2): the latter through symmetric
        // eigendecompositions only, an independent route to the same trace.
        let d = 6;
        let make = |seed: u64| {
            let r: Vec<f64> = (0..d * d)
                .map(|k| (((k as u64 + 1) * (seed * 7919 + 13)) % 101) as f64 / 50.0 - 1.0)
                .collect();
            let m = Mat::<f64>::from_fn(d, d, |i, j| r[i * d + j]);
            let mut s = &m * m.transpose();
            for i in 0..d {
                s[(i, i)] += 0.5;
            }
            s
        };
        let (s1, s2) = (make(1), make(2));
        let a = gaussian(
            vec![0.0; d],
            (0..d * d).map(|k| s1[(k / d, k % d)]).collect(),
            None,
        );
        let b = gaussian(
            vec![0.5; d],
            (0..d * d).map(|k| s2[(k / d, k % d)]).collect(),
            None,
        );
        let got = frechet_distance(&a, &b).unwrap().value;
        let e = s1.self_adjoint_eigen(faer::Side::Lower).unwrap();
        let half = Mat::<f64>::from_fn(d, d, |i, j| {
            (0..d)
                .map(|k| e.U()[(i, k)] * e.S()[k].sqrt() * e.U()[(j, k)])
                .sum()
        });
        let inner = &half * &s2 * &half;
        let tr: f64 = inner
            .self_adjoint_eigenvalues(faer::Side::Lower)
            .unwrap()
            .iter()
            .map(|l| l.max(0.0).sqrt())
            .sum();
        let trace = |s: &Mat<f64>| (0..d).map(|i| s[(i, i)]).sum::<f64>();
        let want = 0.25 * d as f64 + trace(&s1) + trace(&s2) - 2.0 * tr;
        assert!((got - want).abs() < 1e-9 * want.abs(), "{got} vs {want}");
    }

    #[test]
    fn too_few_vectors_and_mismatched_lengths_are_errors() {
        let a = gaussian(vec![0.0; 3], diag(&[1.0; 3]), Some(3));
        let b = gaussian(vec![0.0; 3], diag(&[1.0; 3]), Some(100));
        let err = frechet_distance(&a, &b).unwrap_err().to_string();
        assert!(
            err.contains("singular") && err.contains("at least 4"),
            "{err}"
        );
        let c = gaussian(vec![0.0; 2], diag(&[1.0; 2]), None);
        let err = frechet_distance(&b, &c).unwrap_err().to_string();
        assert!(err.contains("different lengths"), "{err}");
    }

    #[test]
    fn rank_deficient_covariances_still_give_the_distance() {
        // Both covariances [[1, 1], [1, 1]] (rank 1): the product [[2, 2], [2, 2]] has
        // eigenvalues 4 and 0 and square root [[1, 1], [1, 1]], so FID is |mu1 - mu2|^2.
        let s = vec![1.0, 1.0, 1.0, 1.0];
        let a = gaussian(vec![0.0, 0.0], s.clone(), None);
        let b = gaussian(vec![3.0, 4.0], s, None);
        let got = frechet_distance(&a, &b).unwrap();
        // The zero eigenvalue comes out near 1e-16, whose square root adds ~1e-8.
        assert!((got.value - 25.0).abs() < 1e-6, "{got:?}");
    }
}
