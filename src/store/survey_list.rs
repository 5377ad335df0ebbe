//! Surveys as a list (`GET /v1/surveys`, the dashboard's surveys page):
//! newest first, a keyset page at a time, each with how many numbers it
//! asked (counted on the recipients' primary key, not over messages); and
//! a survey's idempotency key, so creating it twice asks nobody twice.

use rusqlite::{OptionalExtension, params};

use super::unit::Tx;
use super::{Store, StoreError};

/// A survey in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveySummary {
    /// Id.
    pub id: i64,
    /// The text sent, options included.
    pub question: String,
    /// Whether it still takes votes.
    pub open: bool,
    /// Which vote counts (`first`, `last`).
    pub count_mode: String,
    /// Numbers asked.
    pub recipients: u64,
    /// Created (unix ms).
    pub created_at: i64,
    /// Closes by itself then.
    pub closes_at: Option<i64>,
    /// Closed then.
    pub closed_at: Option<i64>,
}

/// The survey an idempotency key created, as its first answer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyKeyed {
    /// Id.
    pub id: i64,
    /// Digest of the request that created it.
    pub request_hash: String,
    /// The text sent.
    pub question: String,
    /// Questions queued.
    pub messages: u64,
    /// Recipients who had opted out.
    pub suppressed: u64,
}

impl Store {
    /// Surveys with an id below `before` (0: from the newest), newest
    /// first, at most `limit`; open or not as of `now`.
    pub fn surveys_page(
        &self,
        before: i64,
        limit: usize,
        now: i64,
    ) -> Result<Vec<SurveySummary>, StoreError> {
        let before = if before <= 0 { i64::MAX } else { before };
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.question, s.count_mode, s.created_at, s.closes_at, s.closed_at,
                    (SELECT count(*) FROM survey_recipients r WHERE r.survey_id = s.id)
             FROM surveys s WHERE s.id < ?1 ORDER BY s.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![before, limit as i64], |r| {
            let closes_at: Option<i64> = r.get(4)?;
            let closed_at: Option<i64> = r.get(5)?;
            Ok(SurveySummary {
                id: r.get(0)?,
                question: r.get(1)?,
                count_mode: r.get(2)?,
                created_at: r.get(3)?,
                open: closed_at.is_none() && closes_at.is_none_or(|c| c > now),
                closes_at,
                closed_at,
                recipients: r.get::<_, i64>(6)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Tx<'_> {
    /// The survey created under idempotency `key`, if any.
    pub fn survey_by_key(&mut self, key: &str) -> Result<Option<SurveyKeyed>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT s.id, coalesce(s.request_hash, ''), s.question, s.suppressed,
                        (SELECT count(*) FROM survey_recipients r WHERE r.survey_id = s.id)
                 FROM surveys s WHERE s.idempotency_key = ?1",
            )?
            .query_row([key], |r| {
                Ok(SurveyKeyed {
                    id: r.get(0)?,
                    request_hash: r.get(1)?,
                    question: r.get(2)?,
                    suppressed: r.get::<_, i64>(3)?.max(0) as u64,
                    messages: r.get::<_, i64>(4)?.max(0) as u64,
                })
            })
            .optional()?)
    }

    /// Notes survey `id`'s idempotency `key`, its request's digest and how
    /// many recipients its creation found opted out.
    pub fn keep_survey_key(
        &mut self,
        id: i64,
        key: &str,
        request_hash: &str,
        suppressed: u64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE surveys SET idempotency_key = ?2, request_hash = ?3, suppressed = ?4 WHERE id = ?1",
            )?
            .execute(params![id, key, request_hash, suppressed as i64])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CountMode, NewSurvey};

    fn survey(s: &Store, now: i64, closes_at: Option<i64>) -> i64 {
        s.write(now, |tx| {
            tx.create_survey(&NewSurvey {
                question: "Q?\n1 - Yes, 2 - No".into(),
                options: vec![("1".into(), "Yes".into()), ("2".into(), "No".into())],
                count_mode: CountMode::First,
                invalid_reply: None,
                closes_at,
            })
        })
        .unwrap()
    }

    #[test]
    fn newest_first_by_pages_with_open_as_of_now() {
        let s = Store::open_in_memory().unwrap();
        let a = survey(&s, 1_000, None);
        let b = survey(&s, 2_000, Some(5_000));
        let c = survey(&s, 3_000, None);
        s.close_survey(c, 4_000).unwrap();
        let page = s.surveys_page(0, 2, 6_000).unwrap();
        assert_eq!(page.iter().map(|x| x.id).collect::<Vec<_>>(), vec![c, b]);
        assert!(!page[0].open && !page[1].open, "closed, and past closes_at");
        let rest = s.surveys_page(b, 2, 6_000).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].id, rest[0].open, rest[0].recipients), (a, true, 0));
    }

    #[test]
    fn a_key_finds_its_survey() {
        let s = Store::open_in_memory().unwrap();
        let id = survey(&s, 1_000, None);
        s.write(1_000, |tx| tx.keep_survey_key(id, "k1", "h1", 3))
            .unwrap();
        let found = s.write(2_000, |tx| tx.survey_by_key("k1")).unwrap().unwrap();
        assert_eq!(
            (found.id, found.request_hash.as_str(), found.suppressed),
            (id, "h1", 3)
        );
        assert!(s.write(2_000, |tx| tx.survey_by_key("k2")).unwrap().is_none());
    }
}
