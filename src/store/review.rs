//! Replies that mention an opt-out keyword but are not an opt-out
//! ("please stop texting me", "don't stop", "Stop by tomorrow?"): not opted out automatically,
//! never ignored either — kept on a durable list until a person opts the
//! number out or dismisses the reply.

use rusqlite::{OptionalExtension, params};

use super::optouts::{NewOptOut, OptOut, OptOutSource, lookup};
use super::unit::Tx;
use super::{Store, StoreError};

/// A reply waiting for (or given) a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOutReview {
    /// Id.
    pub id: i64,
    /// The received message.
    pub inbox_id: i64,
    /// The sender, canonical.
    pub number: String,
    /// The reply.
    pub text: String,
    /// The opt-out keyword found in it, as configured.
    pub keyword: String,
    /// When it arrived (unix ms).
    pub received_at: i64,
    /// When it was decided (unix ms), if it was.
    pub resolved_at: Option<i64>,
    /// `opt_out`, `dismiss`, or `opted_out` (the number opted out some other way first).
    pub decision: Option<String>,
}

/// What a person decided about a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    /// It was an opt-out: record it (source `review`).
    OptOut,
    /// It was not.
    Dismiss,
}

impl ReviewAction {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::OptOut => "opt_out",
            ReviewAction::Dismiss => "dismiss",
        }
    }
}

/// What resolving a review did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Decided now; with the number's opt-out, if it has one after this.
    Done(OptOutReview, Option<OptOut>),
    /// It had been decided already.
    AlreadyResolved(OptOutReview),
    /// No such review.
    NotFound,
}

const COLUMNS: &str = "id, inbox_id, number, text, keyword, received_at, resolved_at, decision";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OptOutReview> {
    Ok(OptOutReview {
        id: r.get(0)?,
        inbox_id: r.get(1)?,
        number: r.get(2)?,
        text: r.get(3)?,
        keyword: r.get(4)?,
        received_at: r.get(5)?,
        resolved_at: r.get(6)?,
        decision: r.get(7)?,
    })
}

impl Tx<'_> {
    /// Puts received message `inbox_id` from `number` on the review list,
    /// `keyword` being the opt-out keyword found in `text`; returns its id.
    pub fn add_optout_review(
        &mut self,
        inbox_id: i64,
        number: &str,
        text: &str,
        keyword: &str,
    ) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO optout_reviews (inbox_id, number, text, keyword, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![inbox_id, number, text, keyword, self.now])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Closes every pending review of `number`, which has just opted out.
    pub(super) fn close_reviews_of(&mut self, number: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE optout_reviews SET resolved_at = ?2, decision = 'opted_out'
                 WHERE number = ?1 AND resolved_at IS NULL",
            )?
            .execute(params![number, self.now])?;
        Ok(())
    }

    fn review(&mut self, id: i64) -> Result<Option<OptOutReview>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {COLUMNS} FROM optout_reviews WHERE id = ?1"))?
            .query_row([id], row)
            .optional()?)
    }
}

impl Store {
    /// A page of reviews still waiting for a decision, after id `after`,
    /// oldest first.
    pub fn pending_reviews(&self, after: i64, limit: usize) -> Result<Vec<OptOutReview>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM optout_reviews INDEXED BY optout_reviews_pending
             WHERE resolved_at IS NULL AND id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after, limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many reviews wait for a decision.
    pub fn pending_review_count(&self) -> Result<i64, StoreError> {
        Ok(self.reader().query_row(
            "SELECT count(*) FROM optout_reviews INDEXED BY optout_reviews_pending WHERE resolved_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Decides review `id` at `now`. Opting out records the opt-out with
    /// source `review` and the reply as its keyword (suppressing what is
    /// queued for the number, closing its other pending reviews); no
    /// confirmation is sent. A review already decided is left as it is.
    pub fn resolve_review(&self, id: i64, action: ReviewAction, now: i64) -> Result<Resolved, StoreError> {
        self.write(now, |tx| {
            let Some(review) = tx.review(id)? else {
                return Ok(Resolved::NotFound);
            };
            if review.resolved_at.is_some() {
                return Ok(Resolved::AlreadyResolved(review));
            }
            tx.tx
                .prepare_cached("UPDATE optout_reviews SET resolved_at = ?2, decision = ?3 WHERE id = ?1")?
                .execute(params![id, now, action.as_str()])?;
            if action == ReviewAction::OptOut {
                tx.add_optout(&NewOptOut {
                    number: &review.number,
                    source: OptOutSource::Review,
                    keyword: Some(review.text.trim()),
                    note: None,
                    inbox_id: Some(review.inbox_id),
                })?;
            }
            let optout = lookup(&tx.tx, &review.number)?;
            let review = tx.review(id)?.unwrap_or(review);
            Ok(Resolved::Done(review, optout))
        })
    }
}
