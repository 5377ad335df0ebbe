//! A/B test-then-winner: when the test share has had `decide_after`, pick
//! the winner by the metric with a two-proportion z-test, store the
//! decision with its figures and p-value, and give the rest the winner.
//!
//! The metric is successes per message the network accepted, over the
//! test share: replies (attributed), delivery reports, recipients who
//! clicked a tracked link (people, not previews or bots) or whose promo
//! code was redeemed (`store::attribution`). The best variant is compared with the runner-up (pooled
//! two-proportion z-test, two-sided); at p < 0.05 the best wins, otherwise
//! the first variant is kept ("no significant difference: kept A"). A tie
//! for best goes to the earlier variant. If any variant had no message
//! sent, nothing is picked against it: "not enough data", kept A. The normal tail is `libm::erfc`.

use serde::Serialize;
use serde_json::json;
use tracing::info;

use super::spec::{Metric, Spec};
use crate::store::{Store, StoreError};

/// Significance level.
pub const ALPHA: f64 = 0.05;

/// The result of a two-proportion z-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ZTest {
    /// (p1 − p2) / SE with the pooled proportion; 0 when SE is 0.
    pub z: f64,
    /// Two-sided p-value, `erfc(|z| / √2)`; 1 when SE is 0.
    pub p_value: f64,
}

/// Two-proportion z-test of `x1` successes in `n1` trials against `x2` in
/// `n2` (pooled standard error). A group without trials, or a pooled rate
/// of 0 or 1, shows no difference (z 0, p 1).
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> ZTest {
    if n1 == 0 || n2 == 0 {
        return ZTest { z: 0.0, p_value: 1.0 };
    }
    let (x1, n1, x2, n2) = (x1.min(n1) as f64, n1 as f64, x2.min(n2) as f64, n2 as f64);
    let pooled = (x1 + x2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return ZTest { z: 0.0, p_value: 1.0 };
    }
    let z = (x1 / n1 - x2 / n2) / se;
    ZTest {
        z,
        p_value: libm::erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0),
    }
}

/// One variant's test figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arm {
    /// Variant name.
    pub name: String,
    /// Messages the network accepted.
    pub sent: u64,
    /// Successes by the metric.
    pub successes: u64,
    /// successes / sent (`null` when nothing was sent).
    pub rate: Option<f64>,
}

/// A decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The metric compared.
    pub metric: &'static str,
    /// Every variant, in the campaign's order.
    pub variants: Vec<Arm>,
    /// Best and runner-up by rate.
    pub compared: [String; 2],
    /// The test between them.
    pub z: f64,
    /// Its p-value.
    pub p_value: f64,
    /// p < [`ALPHA`].
    pub significant: bool,
    /// The variant the rest gets.
    pub winner: String,
    /// The decision in words.
    pub words: String,
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".into(), |r| format!("{:.1}%", r * 100.0))
}

/// Decides between `arms` (in the campaign's order, at least one).
pub fn decide(metric: Metric, arms: Vec<Arm>) -> Decision {
    let mut order: Vec<usize> = (0..arms.len()).collect();
    // Highest rate first; a variant with nothing sent last; ties keep order.
    order.sort_by(|&a, &b| {
        let ra = arms[a].rate.unwrap_or(-1.0);
        let rb = arms[b].rate.unwrap_or(-1.0);
        rb.partial_cmp(&ra).unwrap_or(std::cmp::Ordering::Equal)
    });
    let first = arms.first().map(|a| a.name.clone()).unwrap_or_default();
    let (best, second) = match (order.first(), order.get(1)) {
        (Some(&b), Some(&s)) => (&arms[b], &arms[s]),
        (Some(&b), None) => (&arms[b], &arms[b]),
        _ => {
            return Decision {
                metric: metric.as_str(),
                variants: arms,
                compared: [first.clone(), first.clone()],
                z: 0.0,
                p_value: 1.0,
                significant: false,
                winner: first.clone(),
                words: format!("no significant difference: kept {first} (nothing to compare)"),
            };
        }
    };
    let t = two_proportion_z(best.successes, best.sent, second.successes, second.sent);
    // Never pick against a variant that was not tried.
    let unsent: Vec<&str> = arms
        .iter()
        .filter(|a| a.sent == 0)
        .map(|a| a.name.as_str())
        .collect();
    let significant = t.p_value < ALPHA && best.name != second.name && unsent.is_empty();
    let stats = format!(
        "{} {} rate {} ({}/{}) vs {} {} ({}/{}), z = {:.3}, p = {:.4}",
        best.name,
        metric.as_str(),
        pct(best.rate),
        best.successes,
        best.sent,
        second.name,
        pct(second.rate),
        second.successes,
        second.sent,
        t.z,
        t.p_value
    );
    let (winner, words) = if !unsent.is_empty() && arms.len() > 1 {
        (
            first.clone(),
            format!(
                "not enough data: {} had no message sent; kept {first} ({stats})",
                unsent.join(", ")
            ),
        )
    } else if significant {
        (best.name.clone(), format!("{} wins: {stats}", best.name))
    } else {
        (
            first.clone(),
            format!("no significant difference: kept {first} ({stats})"),
        )
    };
    Decision {
        metric: metric.as_str(),
        compared: [best.name.clone(), second.name.clone()],
        variants: arms,
        z: t.z,
        p_value: t.p_value,
        significant,
        winner,
        words,
    }
}

/// The arms of `spec`'s variants from the test share's counts.
fn arms(store: &Store, id: i64, spec: &Spec, metric: Metric) -> Result<Vec<Arm>, StoreError> {
    let counts = store.ab_test_counts(id)?;
    Ok(spec
        .variants
        .iter()
        .map(|v| {
            let (sent, delivered, replied, clicked, redeemed) = counts
                .iter()
                .find(|(name, ..)| *name == v.name)
                .map(|(_, s, d, r, c, x)| (*s, *d, *r, *c, *x))
                .unwrap_or_default();
            let successes = match metric {
                Metric::Reply => replied,
                Metric::Delivered => delivered,
                Metric::Click => clicked,
                Metric::Redeem => redeemed,
            };
            Arm {
                name: v.name.clone(),
                sent,
                successes,
                rate: (sent > 0).then(|| successes as f64 / sent as f64),
            }
        })
        .collect())
}

/// Decides every A/B test whose time has come at `now`; returns when the
/// next one is due (unix ms), if any. Called by the dispatcher each round:
/// one indexed read when nothing is due. Only running campaigns are
/// decided; a paused one is decided when resumed (its due time is not
/// returned while it is paused, so the dispatcher does not spin on it).
pub fn decide_due(store: &Store, now: i64) -> Result<Option<i64>, StoreError> {
    let mut next: Option<i64> = None;
    for due in store.ab_tests_undecided()? {
        if due.due_at > now {
            next = Some(next.map_or(due.due_at, |n: i64| n.min(due.due_at)));
            continue;
        }
        if !due.running {
            continue;
        }
        let Some(row) = store.campaign(due.id)? else {
            continue;
        };
        let Some(ab) = row.spec.ab_test else {
            continue;
        };
        let decision = decide(ab.metric, arms(store, row.id, &row.spec, ab.metric)?);
        let mut value = serde_json::to_value(&decision).unwrap_or_else(|_| json!({}));
        value["decided_at"] = json!(crate::store::rfc3339(now));
        if store.store_ab_decision(row.id, &value, &decision.winner, now)? {
            info!(
                campaign = row.id,
                winner = %decision.winner,
                z = decision.z,
                p_value = decision.p_value,
                "A/B test decided"
            );
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(name: &str, successes: u64, sent: u64) -> Arm {
        Arm {
            name: name.into(),
            sent,
            successes,
            rate: (sent > 0).then(|| successes as f64 / sent as f64),
        }
    }

    #[test]
    fn the_z_test_matches_a_hand_computation() {
        // 60/500 vs 40/500: p = 100/1000 = 0.1, SE = sqrt(0.1·0.9·(2/500))
        // = sqrt(0.00036) = 0.018974, z = 0.04/0.018974 = 2.10819;
        // p = 2·(1 − Φ(2.10819)) = 2·0.017507 = 0.035014 (tables).
        let t = two_proportion_z(60, 500, 40, 500);
        assert!((t.z - 2.108_185).abs() < 1e-5, "{t:?}");
        assert!((t.p_value - 0.035_014).abs() < 1e-5, "{t:?}");
        // Symmetric.
        let u = two_proportion_z(40, 500, 60, 500);
        assert!((u.z + t.z).abs() < 1e-12 && (u.p_value - t.p_value).abs() < 1e-12);
        // No variance: no difference.
        let se_z = two_proportion_z(0, 0, 1, 1);
        assert_eq!(se_z, ZTest { z: 0.0, p_value: 1.0 });
        assert_eq!(two_proportion_z(0, 100, 0, 100).p_value, 1.0);
        assert_eq!(two_proportion_z(100, 100, 100, 100).p_value, 1.0);
    }

    #[test]
    fn a_significant_best_wins_and_an_insignificant_one_keeps_the_first_variant() {
        let d = decide(Metric::Reply, vec![arm("A", 40, 500), arm("B", 60, 500)]);
        assert!(d.significant);
        assert_eq!(d.winner, "B");
        assert_eq!(d.compared, ["B".to_string(), "A".to_string()]);
        assert!(d.words.starts_with("B wins: "), "{}", d.words);
        // 45/500 vs 40/500: z ≈ 0.57, p ≈ 0.57.
        let d = decide(Metric::Reply, vec![arm("A", 40, 500), arm("B", 45, 500)]);
        assert!(!d.significant);
        assert_eq!(d.winner, "A");
        assert!(
            d.words.starts_with("no significant difference: kept A"),
            "{}",
            d.words
        );
    }

    #[test]
    fn the_best_is_compared_with_the_runner_up_not_the_worst() {
        // C 80/500 vs B 70/500 is not significant although C vs A 20/500 is.
        let d = decide(
            Metric::Delivered,
            vec![arm("A", 20, 500), arm("B", 70, 500), arm("C", 80, 500)],
        );
        assert_eq!(d.compared, ["C".to_string(), "B".to_string()]);
        assert!(!d.significant, "{}", d.words);
        assert_eq!(d.winner, "A");
    }

    #[test]
    fn nothing_sent_is_no_difference() {
        let d = decide(Metric::Click, vec![arm("A", 0, 0), arm("B", 0, 0)]);
        assert_eq!((d.winner.as_str(), d.significant, d.p_value), ("A", false, 1.0));
    }

    #[test]
    fn a_variant_with_nothing_sent_is_never_picked_against() {
        // B beats C clearly, but A was never tried: not enough data.
        let d = decide(
            Metric::Reply,
            vec![arm("A", 0, 0), arm("B", 50, 100), arm("C", 5, 100)],
        );
        assert_eq!((d.winner.as_str(), d.significant), ("A", false), "{}", d.words);
        assert!(
            d.words
                .starts_with("not enough data: A had no message sent; kept A"),
            "{}",
            d.words
        );
        // Two variants, all six test messages to A: B is untried.
        let d = decide(Metric::Reply, vec![arm("A", 6, 6), arm("B", 0, 0)]);
        assert_eq!((d.winner.as_str(), d.significant), ("A", false));
        assert!(
            d.words.starts_with("not enough data: B had no message sent"),
            "{}",
            d.words
        );
    }
}
