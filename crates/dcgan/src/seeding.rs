//! The random streams of a training run: one ChaCha key per run seed, one stream per role.
//!
//! Every random draw of a run (G's and D's initial weights, the z of each training step, each
//! epoch's image order) comes from `ChaCha8Rng::seed_from_u64(seed)` on a stream of its own, so
//! no two roles of one run, and no two runs with different seeds, share random numbers. (Deriving
//! the roles from neighbouring seeds instead, `seed + 1` for G and `seed + 2` for D, made run 1's
//! generator start from the numbers run 0's discriminator started from, and run 1's data order
//! come from the key of run 0's generator: consecutive seeds were not independent experiments.)
//! Stream 0 of a key stays the per-seed latent vector of sampling ([`crate::latent::from_seed`]).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// G's initial weights.
pub const GENERATOR_INIT: u64 = 1;
/// D's initial weights.
pub const DISCRIMINATOR_INIT: u64 = 2;
/// The z of the training steps.
pub const TRAINING_Z: u64 = 3;
/// The image order of epoch `e` is stream `DATA_ORDER + e`.
pub const DATA_ORDER: u64 = 1 << 32;

/// The stream `stream` of the run seeded `seed`.
pub fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn roles_and_neighbouring_seeds_share_no_numbers() {
        let draws = |mut r: ChaCha8Rng| (0..64).map(|_| r.random::<u64>()).collect::<Vec<_>>();
        let mut seen = std::collections::HashSet::new();
        for seed in 0..4 {
            for s in [
                0,
                GENERATOR_INIT,
                DISCRIMINATOR_INIT,
                TRAINING_Z,
                DATA_ORDER,
                DATA_ORDER + 1,
            ] {
                for v in draws(stream(seed, s)) {
                    assert!(seen.insert(v), "seed {seed} stream {s} repeats a number");
                }
            }
        }
        assert_eq!(draws(stream(7, TRAINING_Z)), draws(stream(7, TRAINING_Z)));
    }
}
