//! A keyed bijection over `[0, n)`: the durable serial of a promo code or a
//! short link goes in, an unrelated-looking number of the same range comes
//! out. Distinct serials give distinct numbers by construction (a
//! permutation), and without the key one output says nothing about
//! another.
//!
//! A balanced Feistel network (Luby–Rackoff) over the smallest even number
//! of bits covering `n`, its round function HMAC-SHA256 of the key, the
//! round number and the right half; 8 rounds. Outputs at or above `n` are
//! fed through again (cycle walking, Black & Rogaway 2002), which keeps a
//! permutation of `[0, n)`; the bit domain is less than 4 × `n`, so fewer
//! than 4 passes are expected.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Rounds of the Feistel network (8 is beyond the 4 that make a strong
/// pseudo-random permutation from a pseudo-random function).
const ROUNDS: u8 = 8;

/// Largest domain: halves of at most 60 bits.
pub const MAX_DOMAIN_BITS: u32 = 120;

/// A keyed permutation of `[0, n)`.
#[derive(Clone)]
pub struct Permutation {
    mac: Hmac<Sha256>,
    n: u128,
    half: u32,
}

impl std::fmt::Debug for Permutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Permutation").field("n", &self.n).finish()
    }
}

impl Permutation {
    /// The permutation of `[0, n)` under `key`, for the purpose `label`
    /// (different labels give unrelated permutations under one key).
    /// `None` when `n` < 2 or needs more than [`MAX_DOMAIN_BITS`] bits.
    pub fn new(key: &[u8], label: &str, n: u128) -> Option<Permutation> {
        if n < 2 {
            return None;
        }
        let bits = 128 - (n - 1).leading_zeros();
        if bits > MAX_DOMAIN_BITS {
            return None;
        }
        let half = bits.div_ceil(2).max(1);
        // A key of its own for this purpose, so the rounds of two purposes
        // never share inputs.
        let mut derive = Hmac::<Sha256>::new_from_slice(key).ok()?;
        derive.update(b"simfleet permutation\0");
        derive.update(label.as_bytes());
        let sub = derive.finalize().into_bytes();
        let mac = Hmac::<Sha256>::new_from_slice(&sub).ok()?;
        Some(Permutation { mac, n, half })
    }

    /// The size of the domain.
    pub fn size(&self) -> u128 {
        self.n
    }

    fn round(&self, r: u8, x: u64) -> u64 {
        let mut m = self.mac.clone();
        m.update(&[r]);
        m.update(&x.to_le_bytes());
        let out = m.finalize().into_bytes();
        let mut b = [0u8; 8];
        b.copy_from_slice(&out[..8]);
        u64::from_le_bytes(b) & self.mask()
    }

    fn mask(&self) -> u64 {
        if self.half >= 64 {
            u64::MAX
        } else {
            (1u64 << self.half) - 1
        }
    }

    fn feistel(&self, x: u128) -> u128 {
        let mask = self.mask();
        let mut l = ((x >> self.half) as u64) & mask;
        let mut r = (x as u64) & mask;
        for i in 0..ROUNDS {
            let f = self.round(i, r);
            (l, r) = (r, l ^ f);
        }
        (u128::from(l) << self.half) | u128::from(r)
    }

    fn feistel_inverse(&self, y: u128) -> u128 {
        let mask = self.mask();
        let mut l = ((y >> self.half) as u64) & mask;
        let mut r = (y as u64) & mask;
        for i in (0..ROUNDS).rev() {
            let f = self.round(i, l);
            (l, r) = (r ^ f, l);
        }
        (u128::from(l) << self.half) | u128::from(r)
    }

    /// The image of `x` (`x` < `n`; larger values are reduced mod `n`).
    pub fn apply(&self, x: u128) -> u128 {
        let mut y = self.feistel(x % self.n);
        // Cycle walking ends: the walk from x < n returns below n, at the
        // latest when the cycle comes back to x.
        while y >= self.n {
            y = self.feistel(y);
        }
        y
    }

    /// The serial whose image is `y` (the inverse of [`Permutation::apply`]).
    pub fn invert(&self, y: u128) -> u128 {
        let mut x = self.feistel_inverse(y % self.n);
        while x >= self.n {
            x = self.feistel_inverse(x);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_domain_is_permuted_exactly() {
        for n in [2u128, 3, 10, 31, 1000, 1023, 1025] {
            let p = Permutation::new(b"key", "t", n).unwrap();
            let mut seen = vec![false; n as usize];
            for x in 0..n {
                let y = p.apply(x);
                assert!(y < n);
                assert!(!seen[y as usize], "n={n}: {y} twice");
                seen[y as usize] = true;
                assert_eq!(p.invert(y), x);
            }
        }
    }

    #[test]
    fn keys_and_labels_give_unrelated_permutations() {
        let n = 1u128 << 40;
        let a = Permutation::new(b"key-a", "codes", n).unwrap();
        let b = Permutation::new(b"key-b", "codes", n).unwrap();
        let c = Permutation::new(b"key-a", "links", n).unwrap();
        let same_ab = (0..1000).filter(|&x| a.apply(x) == b.apply(x)).count();
        let same_ac = (0..1000).filter(|&x| a.apply(x) == c.apply(x)).count();
        assert_eq!((same_ab, same_ac), (0, 0));
    }

    #[test]
    fn huge_or_trivial_domains_are_refused() {
        assert!(Permutation::new(b"k", "t", 1).is_none());
        assert!(Permutation::new(b"k", "t", 1u128 << 121).is_none());
        assert!(Permutation::new(b"k", "t", 1u128 << 120).is_some());
    }
}
