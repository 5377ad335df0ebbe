//! Which variant a recipient gets, and whether it is in an A/B test's
//! share: deterministic per campaign and audience (SHA-256 draws of the
//! campaign and each number), so a restart, a resumed start or a recount
//! gives the same answer. At the start a group (the test share, or the
//! whole audience without an A/B test) is split exactly by weight: its
//! recipients ordered by their draw, each variant given its quota by
//! largest remainder ([`quotas`], [`split`]). Stored once chosen.
//! [`pick`] is the per-number draw alone (the preview's sample).

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
/// audience, 0 < share < 1), by its draw alone (the exact share is
/// [`test_share`]).
pub fn in_test(campaign: i64, phone: &str, share: f64) -> bool {
    draw(campaign, phone, "ab-test") < share
}

/// How many of `n` recipients each variant gets: `n · weight / total`
/// rounded by largest remainder (ties to the earlier variant), so the
/// counts sum to `n` and each is within 1 of its exact share. With
/// `at_least_one` (an A/B test share) and `n ≥ variants`, a variant that
/// would get none takes one from the variant furthest above its exact
/// share.
pub fn quotas(n: usize, variants: &[Variant], at_least_one: bool) -> Vec<usize> {
    let total: u128 = variants.iter().map(|v| u128::from(v.weight)).sum();
    if variants.is_empty() {
        return Vec::new();
    }
    if total == 0 {
        let mut q = vec![0; variants.len()];
        q[0] = n;
        return q;
    }
    let n128 = n as u128;
    let mut q: Vec<usize> = Vec::with_capacity(variants.len());
    let mut rem: Vec<(u128, usize)> = Vec::with_capacity(variants.len());
    for (i, v) in variants.iter().enumerate() {
        let exact = n128 * u128::from(v.weight);
        q.push((exact / total) as usize);
        rem.push((exact % total, i));
    }
    let left = n - q.iter().sum::<usize>();
    // Largest remainder first; ties to the earlier variant.
    rem.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in rem.iter().take(left) {
        q[i] += 1;
    }
    if at_least_one && n >= variants.len() {
        while let Some(zero) = q.iter().position(|&c| c == 0) {
            // Surplus over the exact share, in units of 1 / total.
            let donor = (0..q.len()).filter(|&i| q[i] > 1).max_by_key(|&i| {
                let surplus =
                    (q[i] as i128) * total as i128 - (n128 * u128::from(variants[i].weight)) as i128;
                (surplus, std::cmp::Reverse(i))
            });
            let Some(d) = donor else { break };
            q[d] -= 1;
            q[zero] += 1;
        }
    }
    q
}

/// Splits `phones` (a group of campaign `campaign`'s audience) exactly by
/// weight: the variant index of each, in the order given. The group is
/// ordered by each number's draw and cut into [`quotas`]; the result
/// depends only on the campaign and the set of numbers.
pub fn split(campaign: i64, phones: &[&str], variants: &[Variant], at_least_one: bool) -> Vec<usize> {
    let q = quotas(phones.len(), variants, at_least_one);
    let mut order: Vec<(f64, &str, usize)> = phones
        .iter()
        .enumerate()
        .map(|(i, p)| (draw(campaign, p, "variant"), *p, i))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    let mut out = vec![0; phones.len()];
    let mut variant = 0;
    let mut used = 0;
    for (_, _, i) in order {
        while variant + 1 < q.len() && used >= q[variant] {
            variant += 1;
            used = 0;
        }
        out[i] = variant;
        used += 1;
    }
    out
}

/// Which of `phones` form the test share of an A/B test: exactly
/// `round(share · n)` of them, those with the lowest test draws.
pub fn test_share(campaign: i64, phones: &[&str], share: f64) -> Vec<bool> {
    let want = ((phones.len() as f64) * share).round() as usize;
    let mut order: Vec<(f64, &str, usize)> = phones
        .iter()
        .enumerate()
        .map(|(i, p)| (draw(campaign, p, "ab-test"), *p, i))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    let mut out = vec![false; phones.len()];
    for (_, _, i) in order.into_iter().take(want) {
        out[i] = true;
    }
    out
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
        // The per-number draw alone, 10,000 numbers, weights 70/20/10: each
        // share within 4 standard errors (sqrt(p(1-p)/n) ≤ 0.005).
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
    fn the_exact_split_of_10_000_matches_the_weights_and_is_deterministic() {
        let vars = [v("A", 70), v("B", 20), v("C", 10)];
        let phones: Vec<String> = (0..10_000).map(|i| format!("+4915112{i:06}")).collect();
        let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
        let got = split(7, &refs, &vars, false);
        let mut counts = [0usize; 3];
        for i in &got {
            counts[*i] += 1;
        }
        assert_eq!(counts, [7_000, 2_000, 1_000]);
        // The same audience in another order gives each number the same variant.
        let mut rev = refs.clone();
        rev.reverse();
        let again = split(7, &rev, &vars, false);
        for (i, p) in rev.iter().enumerate() {
            let j = refs.iter().position(|q| q == p).unwrap_or(usize::MAX);
            assert_eq!(again[i], got[j], "{p}");
        }
        assert_ne!(split(8, &refs, &vars, false), got);
    }

    #[test]
    fn largest_remainder_quotas_sum_to_the_group_and_give_each_test_variant_one() {
        let ab = [v("A", 1), v("B", 1)];
        assert_eq!(quotas(6, &ab, true), vec![3, 3]);
        assert_eq!(quotas(7, &ab, true), vec![4, 3]);
        let skew = [v("A", 99), v("B", 1)];
        assert_eq!(quotas(2, &skew, false), vec![2, 0]);
        assert_eq!(quotas(2, &skew, true), vec![1, 1]);
        let three = [v("A", 5), v("B", 3), v("C", 2)];
        assert_eq!(quotas(10, &three, true), vec![5, 3, 2]);
        assert_eq!(quotas(3, &three, true), vec![1, 1, 1]);
        assert_eq!(quotas(2, &three, true).iter().sum::<usize>(), 2);
        // Every 6-recipient test share of a 50/50 test gets both variants.
        for c in 0..200 {
            let phones: Vec<String> = (0..6).map(|i| format!("+4915112{c:03}{i:03}")).collect();
            let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
            let s = split(c, &refs, &ab, true);
            assert_eq!(s.iter().filter(|&&x| x == 1).count(), 3, "{c}: {s:?}");
        }
    }

    #[test]
    fn the_test_share_is_exact() {
        let phones: Vec<String> = (0..30).map(|i| format!("+4915112{i:06}")).collect();
        let refs: Vec<&str> = phones.iter().map(String::as_str).collect();
        let t = test_share(5, &refs, 0.2);
        assert_eq!(t.iter().filter(|x| **x).count(), 6);
        assert_eq!(test_share(5, &refs, 0.2), t);
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
