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
//!
//! Two bounds keep it linear on data whose codes crowd together (aligned faces hash alike: 5,000
//! CelebA crops gave a million pairs within 16 bits): each image keeps only its
//! [`NEAREST`] nearest candidates by Hamming distance, and a bucket of more than
//! [`MAX_BUCKET`] entries is passed over (its images still meet in their other bands) and
//! counted.

/// Bits per band.
pub const BAND_BITS: u32 = 16;
/// Bands of a 128-bit code.
pub const BANDS: u32 = 128 / BAND_BITS;

/// Candidates kept per image: its nearest codes.
pub const NEAREST: usize = 10;
/// Entries of the largest bucket searched pair by pair.
pub const MAX_BUCKET: usize = 4096;

/// The candidate pairs, and what was passed over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Pairs `(i, j)`, `i < j`, sorted, without repeats.
    pub pairs: Vec<(u32, u32)>,
    /// Buckets of more than [`MAX_BUCKET`] entries passed over.
    pub crowded_buckets: usize,
    /// Entries in them.
    pub crowded_entries: usize,
}

/// Each image's nearest candidates so far: up to [`NEAREST`] `(distance, other)` per image.
struct Nearest {
    slots: Vec<(u8, u32)>,
    len: Vec<u8>,
}

impl Nearest {
    fn new(n: usize) -> Self {
        Self {
            slots: vec![(u8::MAX, 0); n * NEAREST],
            len: vec![0; n],
        }
    }

    fn offer(&mut self, i: usize, other: u32, distance: u8) {
        let len = self.len[i] as usize;
        let list = &mut self.slots[i * NEAREST..i * NEAREST + len.max(NEAREST)];
        if let Some(slot) = list[..len].iter_mut().find(|(_, o)| *o == other) {
            slot.0 = slot.0.min(distance);
            return;
        }
        if len < NEAREST {
            list[len] = (distance, other);
            self.len[i] += 1;
            return;
        }
        let worst = (0..NEAREST).max_by_key(|&k| list[k].0).expect("full list");
        if distance < list[worst].0 {
            list[worst] = (distance, other);
        }
    }
}

/// Bits in which two codes differ.
pub fn hamming(a: u128, b: u128) -> u32 {
    (a ^ b).count_ones()
}

/// Pairs `(i, j)`, `i < j`, of images whose codes (`probes` per image, back to back in
/// `codes`; images with `valid[i]` false did not decode) share a band and differ in at most
/// `max_hamming` bits, for some probe of each; each image keeps its [`NEAREST`] nearest.
pub fn candidate_pairs(
    codes: &[u128],
    valid: &[bool],
    probes: usize,
    max_hamming: u32,
) -> Candidates {
    let n = valid.len();
    let mut nearest = Nearest::new(n);
    let mut out = Candidates::default();
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
            if bucket.len() > MAX_BUCKET {
                out.crowded_buckets += 1;
                out.crowded_entries += bucket.len();
                continue;
            }
            for (m, &(_, ki)) in bucket.iter().enumerate() {
                let (ci, i) = (codes[ki as usize], ki as usize / probes);
                for &(_, kj) in &bucket[m + 1..] {
                    let j = kj as usize / probes;
                    let h = hamming(ci, codes[kj as usize]);
                    if i != j && h <= max_hamming {
                        nearest.offer(i, j as u32, h as u8);
                        nearest.offer(j, i as u32, h as u8);
                    }
                }
            }
        }
    }
    for i in 0..n {
        let len = nearest.len[i] as usize;
        for &(_, j) in &nearest.slots[i * NEAREST..i * NEAREST + len] {
            let i = i as u32;
            out.pairs.push((i.min(j), i.max(j)));
        }
    }
    out.pairs.sort_unstable();
    out.pairs.dedup();
    out
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
        assert_eq!(candidate_pairs(&codes, &valid, 1, 2).pairs, vec![(0, 1)]);
        assert_eq!(
            candidate_pairs(&codes, &valid, 1, 8).pairs,
            vec![(0, 1), (0, 4), (1, 4)]
        );
        // Every band differs: never a candidate, however large the distance allowed.
        let spread: u128 = (0..8).fold(0, |h, b| h | (1u128 << (b * 16 + 3)));
        assert!(
            candidate_pairs(&[0, spread], &[true, true], 1, 128)
                .pairs
                .is_empty()
        );
        // With two probes an image: probes of one image never pair with each other, and a
        // second probe of image 1 meets image 0's first.
        let probes = [0u128, 1, !0, !1];
        assert_eq!(candidate_pairs(&probes, &[true, true], 2, 2).pairs, vec![]);
        let probes = [0u128, spread, !0, 1];
        assert_eq!(
            candidate_pairs(&probes, &[true, true], 2, 2).pairs,
            vec![(0, 1)]
        );
    }

    #[test]
    fn each_image_keeps_its_nearest_candidates_and_crowded_buckets_are_counted() {
        // 30 images all within 3 bits of image 0: each keeps only its NEAREST nearest.
        let codes: Vec<u128> = (0..30u32).map(|k| (k as u128) & 0b111).collect();
        let got = candidate_pairs(&codes, &[true; 30], 1, 3);
        for i in 0..30u32 {
            let mine = got.pairs.iter().filter(|(a, b)| *a == i || *b == i).count();
            assert!(mine >= NEAREST, "image {i}: {mine}");
        }
        assert!(got.pairs.len() < 30 * 29 / 2);
        // Image 29's nearest (the same code, 5) is among them: 5, 13 and 21 share code 5.
        assert!(got.pairs.contains(&(5, 13)) && got.pairs.contains(&(13, 21)));
        assert_eq!(got.crowded_buckets, 0);
        // A bucket larger than MAX_BUCKET is passed over and counted.
        let n = MAX_BUCKET + 1;
        let crowded = candidate_pairs(&vec![7u128; n], &vec![true; n], 1, 0);
        assert!(crowded.pairs.is_empty());
        assert_eq!(crowded.crowded_buckets, 8);
        assert_eq!(crowded.crowded_entries, 8 * n);
    }

    #[test]
    fn groups_are_connected_components_largest_first() {
        let g = groups(10, &[(5, 6), (1, 2), (2, 3), (8, 9), (1, 3)]);
        assert_eq!(g, vec![vec![1, 2, 3], vec![5, 6], vec![8, 9]]);
        assert!(groups(3, &[]).is_empty());
    }
}
