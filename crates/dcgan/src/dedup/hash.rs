//! Semantic hashing: images whose 128-bit codes collide are candidate duplicates.
//!
//! An exact collision of all 128 bits misses near-duplicates whose codes differ in a bit or
//! two (a unit near its threshold), so the code is cut into bands of 16 bits: two images are
//! candidates when one band is equal and the whole codes are within a Hamming distance. A code
//! of raw pixels also changes when an image moves by a pixel or two, so each image is hashed
//! at several small shifts (its probes, see [`super::PROBES`]) and two images are candidates
//! when any probe of one meets any probe of the other. Each band is one sort of
//! `(band value, image, probe)` entries, so the work is linear in the images (plus the pairs
//! inside each bucket), and memory is the codes and one band at a time.

/// Bits per band.
pub const BAND_BITS: u32 = 16;
/// Bands of a 128-bit code.
pub const BANDS: u32 = 128 / BAND_BITS;

/// Bits in which two codes differ.
pub fn hamming(a: u128, b: u128) -> u32 {
    (a ^ b).count_ones()
}

/// Pairs `(i, j)`, `i < j`, of images whose codes (`probes` per image, back to back in
/// `codes`; images with `valid[i]` false did not decode) share a band and differ in at most
/// `max_hamming` bits, for some probe of each; sorted and without repeats.
pub fn candidate_pairs(
    codes: &[u128],
    valid: &[bool],
    probes: usize,
    max_hamming: u32,
) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    let mut band: Vec<(u16, u32)> = Vec::with_capacity(codes.len());
    for b in 0..BANDS {
        band.clear();
        band.extend(
            codes
                .iter()
                .enumerate()
                .filter(|(k, _)| valid[k / probes])
                .map(|(k, c)| ((c >> (b * BAND_BITS)) as u16, k as u32)),
        );
        band.sort_unstable();
        for bucket in band.chunk_by(|x, y| x.0 == y.0) {
            if bucket.len() < 2 {
                continue;
            }
            for (m, &(_, ki)) in bucket.iter().enumerate() {
                let (ci, i) = (codes[ki as usize], ki as usize / probes);
                for &(_, kj) in &bucket[m + 1..] {
                    let j = kj as usize / probes;
                    if i != j && hamming(ci, codes[kj as usize]) <= max_hamming {
                        pairs.push((i.min(j) as u32, i.max(j) as u32));
                    }
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Groups of the items `0..n` joined by `pairs` (connected components), each sorted, largest
/// first (ties: by first member); items in no pair are left out.
pub fn groups(n: usize, pairs: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for &(a, b) in pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            parent[hi as usize] = lo;
        }
    }
    let mut by_root: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
    for &(a, b) in pairs {
        for x in [a, b] {
            let r = root(&mut parent, x);
            by_root.entry(r).or_default().push(x);
        }
    }
    let mut out: Vec<Vec<u32>> = by_root
        .into_values()
        .map(|mut g| {
            g.sort_unstable();
            g.dedup();
            g
        })
        .collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_sharing_a_band_and_close_are_paired() {
        let base: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
        let codes = vec![
            base,
            base ^ 0b101, // 2 bits off, in band 0: the other 7 bands match
            !base,        // far
            base,         // the same code, but the image did not decode
            base ^ (1 << 20) ^ (1 << 40) ^ (1 << 60) ^ (1 << 80) ^ (1 << 100) ^ (1 << 120),
        ];
        let valid = [true, true, true, false, true];
        // Image 4 differs from 0 in 6 bits, one in each of 6 bands; bands 0 and 7 are equal.
        assert_eq!(hamming(base, codes[4]), 6);
        assert_eq!(candidate_pairs(&codes, &valid, 1, 2), vec![(0, 1)]);
        assert_eq!(
            candidate_pairs(&codes, &valid, 1, 8),
            vec![(0, 1), (0, 4), (1, 4)]
        );
        // Every band differs: never a candidate, however large the distance allowed.
        let spread: u128 = (0..8).fold(0, |h, b| h | (1u128 << (b * 16 + 3)));
        assert!(candidate_pairs(&[0, spread], &[true, true], 1, 128).is_empty());
        // With two probes an image: probes of one image never pair with each other, and a
        // second probe of image 1 meets image 0's first.
        let probes = [0u128, 1, !0, !1];
        assert_eq!(candidate_pairs(&probes, &[true, true], 2, 2), vec![]);
        let probes = [0u128, spread, !0, 1];
        assert_eq!(candidate_pairs(&probes, &[true, true], 2, 2), vec![(0, 1)]);
    }

    #[test]
    fn groups_are_connected_components_largest_first() {
        let g = groups(10, &[(5, 6), (1, 2), (2, 3), (8, 9), (1, 3)]);
        assert_eq!(g, vec![vec![1, 2, 3], vec![5, 6], vec![8, 9]]);
        assert!(groups(3, &[]).is_empty());
    }
}
