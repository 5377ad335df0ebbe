//! Which variant a recipient gets, and whether it is in an A/B test's
//! share: deterministic per campaign and number (SHA-256 of both), so a
//! restart, a resumed start or a recount gives the same answer, and the
//! split follows the weights within sampling error. Stored once chosen.

use sha2::{Digest, Sha256};

use super::spec::Variant;

/// A number in [0, 1) drawn from the campaign, the number and a salt
/// (different salts give independent draws).
pub fn draw(campaign: i64, phone: &str, salt: &str) -> f64 {
    let mut h = Sha256::new();
    h.update(campaign.to_be_bytes());
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(phone.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    // 53 bits: exactly representable, uniform in [0, 1).
    (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// The variant (index into `variants`) for `phone`, by weight.
pub fn pick(campaign: i64, phone: &str, variants: &[Variant]) -> usize {
    let total: u64 = variants.iter().map(|v| u64::from(v.weight)).sum();
    if total == 0 || variants.len() < 2 {
        return 0;
    }
    let x = draw(campaign, phone, "variant") * total as f64;
    let mut acc = 0.0;
    for (i, v) in variants.iter().enumerate() {
        acc += f64::from(v.weight);
        if x < acc {
            return i;
        }
    }
    variants.len() - 1
}

/// Whether `phone` is in the test share of an A/B test (`share` of the
/// audience, 0 < share < 1).
pub fn in_test(campaign: i64, phone: &str, share: f64) -> bool {
    draw(campaign, phone, "ab-test") < share
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, weight: u32) -> Variant {
        Variant {
            name: name.into(),
            text: "x".into(),
            weight,
        }
    }

    #[test]
    fn the_split_follows_the_weights_within_sampling_error() {
        // 10,000 numbers, weights 70/20/10: each share within 4 standard
        // errors (sqrt(p(1-p)/n) ≤ 0.005) of its weight.
        let vars = [v("A", 70), v("B", 20), v("C", 10)];
        let mut counts = [0u32; 3];
        for i in 0..10_000 {
            counts[pick(7, &format!("+4915112{i:06}"), &vars)] += 1;
        }
        for (c, p) in counts.iter().zip([0.7, 0.2, 0.1]) {
            let share = f64::from(*c) / 10_000.0;
            let se = (p * (1.0 - p) / 10_000.0_f64).sqrt();
            assert!((share - p).abs() < 4.0 * se, "{counts:?}");
        }
    }

    #[test]
    fn the_choice_is_stable_and_differs_between_campaigns() {
        let vars = [v("A", 1), v("B", 1)];
        let a: Vec<usize> = (0..200)
            .map(|i| pick(1, &format!("+7916{i:07}"), &vars))
            .collect();
        let again: Vec<usize> = (0..200)
            .map(|i| pick(1, &format!("+7916{i:07}"), &vars))
            .collect();
        let other: Vec<usize> = (0..200)
            .map(|i| pick(2, &format!("+7916{i:07}"), &vars))
            .collect();
        assert_eq!(a, again);
        assert_ne!(a, other);
    }

    #[test]
    fn the_test_share_is_independent_of_the_variant() {
        let vars = [v("A", 1), v("B", 1)];
        let mut both = 0;
        let mut test = 0;
        for i in 0..10_000 {
            let p = format!("+3460{i:07}");
            if in_test(3, &p, 0.2) {
                test += 1;
                if pick(3, &p, &vars) == 1 {
                    both += 1;
                }
            }
        }
        assert!((1_880..=2_120).contains(&test), "{test}");
        assert!(
            (f64::from(both) / f64::from(test) - 0.5).abs() < 0.05,
            "{both}/{test}"
        );
    }
}
