//! A/B test-then-winner: when the test share has had `decide_after`, pick
//! the winner by the metric with a two-proportion z-test, store the
//! decision with its figures and p-value, and give the rest the winner.
//!
//! TODO(issue 13, metrics): the test and the decision.

use crate::store::{Store, StoreError};

/// Decides every A/B test whose time has come at `now`; returns when the
/// next one is due (unix ms), if any. Called by the dispatcher each round.
pub fn decide_due(_store: &Store, _now: i64) -> Result<Option<i64>, StoreError> {
    Ok(None)
}
