//! A fixed-bucket histogram of send durations, for `/metrics`.

/// Upper bounds of the buckets, in seconds.
pub const BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 60.0];

/// Counts per bucket, plus sum and count (Prometheus semantics).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations at or below each bound (not cumulative).
    pub counts: [u64; BUCKETS.len()],
    /// Observations above the last bound.
    pub overflow: u64,
    /// Sum of all observations, seconds.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl Histogram {
    /// Records one duration in seconds.
    pub fn observe(&mut self, seconds: f64) {
        match BUCKETS.iter().position(|&b| seconds <= b) {
            Some(i) => self.counts[i] += 1,
            None => self.overflow += 1,
        }
        self.sum += seconds;
        self.count += 1;
    }

    /// Cumulative counts per bound, as Prometheus `_bucket` lines want them.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut total = 0;
        BUCKETS
            .iter()
            .zip(self.counts)
            .map(|(&b, c)| {
                total += c;
                (b, total)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let mut h = Histogram::default();
        for s in [0.05, 0.3, 0.3, 3.0, 100.0] {
            h.observe(s);
        }
        let c = h.cumulative();
        assert_eq!(c[0], (0.1, 1));
        assert_eq!(c[2], (0.5, 3));
        assert_eq!(c[5], (5.0, 4));
        assert_eq!(c.last().unwrap().1, 4);
        assert_eq!((h.count, h.overflow), (5, 1));
    }
}
