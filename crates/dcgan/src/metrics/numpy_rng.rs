//! numpy's legacy `np.random.RandomState(seed).permutation(n)`, bit for bit: torch-fidelity
//! draws KID's subsets (`rng.choice(n, size, replace=False)`, which is `permutation(n)[:size]`)
//! and shuffles the Inception Score's splits with it, from `rng_seed = 2020`.
//!
//! RandomState is MT19937 seeded with `init_genrand(seed)`; its shuffle is Fisher-Yates from the
//! last position down, each swap partner drawn by `random_interval(i)`: 32-bit outputs masked to
//! the smallest `2^k - 1 >= i`, rejected while above `i` (numpy `_legacy` `random_interval`).

use rand_mt::Mt;

/// numpy `RandomState` state, for the draws torch-fidelity makes.
pub struct RandomState {
    mt: Mt,
}

impl RandomState {
    /// `np.random.RandomState(seed)`.
    pub fn new(seed: u32) -> Self {
        Self { mt: Mt::new(seed) }
    }

    /// A uniform integer in `0..=max` (numpy's `random_interval`).
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let value = if max <= u32::MAX as u64 {
                self.mt.next_u32() as u64 & mask
            } else {
                ((self.mt.next_u32() as u64) << 32 | self.mt.next_u32() as u64) & mask
            };
            if value <= max {
                return value;
            }
        }
    }

    /// `permutation(n)`: `arange(n)` shuffled in place.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i as u64) as usize;
            order.swap(i, j);
        }
        order
    }

    /// `choice(n, size, replace=False)`: the first `size` of a permutation of `n`.
    pub fn choice(&mut self, n: usize, size: usize) -> Vec<usize> {
        let mut p = self.permutation(n);
        p.truncate(size);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy() {
        // python: np.random.RandomState(2020).permutation(10), then .choice(20, 5, replace=False)
        // on the same state.
        let mut rng = RandomState::new(2020);
        assert_eq!(rng.permutation(10), vec![2, 4, 9, 1, 5, 7, 6, 3, 8, 0]);
        assert_eq!(rng.choice(20, 5), vec![19, 12, 14, 1, 17]);
    }
}
