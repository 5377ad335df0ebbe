//! Reply-to-vote surveys: the question sent to each recipient, every reply
//! kept (votes and comments), and the counts.

use rusqlite::{OptionalExtension, params};

use super::unit::Tx;
use super::{Store, StoreError};

/// Which of a voter's votes counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountMode {
    /// The first valid vote; later ones are kept but not counted.
    First,
    /// The last valid vote while the survey is open.
    Last,
}

impl CountMode {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CountMode::First => "first",
            CountMode::Last => "last",
        }
    }
}

/// A survey to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey {
    /// The text sent, options included.
    pub question: String,
    /// `(key, label)` in order.
    pub options: Vec<(String, String)>,
    /// Which vote counts.
    pub count_mode: CountMode,
    /// Sent once to a recipient whose reply is not a vote.
    pub invalid_reply: Option<String>,
    /// Closes by itself then (unix ms).
    pub closes_at: Option<i64>,
}

/// The open survey a number was last asked, as a reply sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSurvey {
    /// Survey id.
    pub id: i64,
    /// `(key, label)` in order.
    pub options: Vec<(String, String)>,
    /// Clarification text.
    pub invalid_reply: Option<String>,
    /// Whether the clarification already went to this number.
    pub invalid_reply_sent: bool,
    /// Whether this number already voted validly.
    pub voted: bool,
}

/// A survey's state and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyReport {
    /// Id.
    pub id: i64,
    /// The text sent.
    pub question: String,
    /// Whether it still takes votes.
    pub open: bool,
    /// Which vote counts.
    pub count_mode: String,
    /// Numbers asked.
    pub recipients: u64,
    /// Numbers whose question was delivered (delivery report).
    pub delivered: u64,
    /// Numbers with a counted vote.
    pub responded: u64,
    /// `(key, label, votes)` in order.
    pub results: Vec<(String, String, u64)>,
    /// Replies that were not votes.
    pub comments: u64,
    /// Created (unix ms).
    pub created_at: i64,
    /// Closes by itself then.
    pub closes_at: Option<i64>,
    /// Closed then.
    pub closed_at: Option<i64>,
}

/// One voter's counted vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The voter.
    pub number: String,
    /// The option key.
    pub option: String,
    /// Its label.
    pub label: String,
    /// When (unix ms).
    pub at: i64,
    /// What they wrote.
    pub text: Option<String>,
}

fn options_from(json: &str) -> Vec<(String, String)> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Tx<'_> {
    /// Stores a survey; returns its id.
    pub fn create_survey(&mut self, s: &NewSurvey) -> Result<i64, StoreError> {
        let options = serde_json::to_string(&s.options).unwrap_or_else(|_| "[]".into());
        self.tx
            .prepare_cached(
                "INSERT INTO surveys (question, options, count_mode, invalid_reply, closes_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                s.question,
                options,
                s.count_mode.as_str(),
                s.invalid_reply,
                s.closes_at,
                self.now
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Records that `number` is asked survey `survey` by message `message_id`.
    pub fn add_survey_recipient(
        &mut self,
        survey: i64,
        number: &str,
        message_id: i64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO survey_recipients (survey_id, number, message_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![survey, number, message_id])?;
        Ok(())
    }

    /// The most recent survey still open that was sent to `number`.
    pub fn open_survey_for(&mut self, number: &str) -> Result<Option<OpenSurvey>, StoreError> {
        let found: Option<(i64, String, Option<String>, bool)> = self
            .tx
            .prepare_cached(
                "SELECT s.id, s.options, s.invalid_reply, r.invalid_reply_sent
                 FROM survey_recipients r JOIN surveys s ON s.id = r.survey_id JOIN messages m ON m.id = r.message_id
                 WHERE r.number = ?1 AND s.closed_at IS NULL AND (s.closes_at IS NULL OR s.closes_at > ?2)
                   AND m.status IN ('sending', 'sent', 'delivered', 'unknown')
                 ORDER BY s.id DESC LIMIT 1",
            )?
            .query_row(params![number, self.now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((id, options, invalid_reply, invalid_reply_sent)) = found else {
            return Ok(None);
        };
        let voted: bool = self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM survey_responses WHERE survey_id = ?1 AND number = ?2 AND option IS NOT NULL)",
            )?
            .query_row(params![id, number], |r| r.get(0))?;
        Ok(Some(OpenSurvey {
            id,
            options: options_from(&options),
            invalid_reply,
            invalid_reply_sent,
            voted,
        }))
    }

    /// Keeps a reply: a vote for `option`, or a comment when `None`.
    pub fn record_response(
        &mut self,
        survey: i64,
        number: &str,
        option: Option<&str>,
        text: Option<&str>,
        inbox_id: i64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO survey_responses (survey_id, number, option, text, at, inbox_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![survey, number, option, text, self.now, inbox_id])?;
        Ok(())
    }

    /// Notes that the clarification went to `number`.
    pub fn mark_invalid_reply_sent(&mut self, survey: i64, number: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE survey_recipients SET invalid_reply_sent = 1 WHERE survey_id = ?1 AND number = ?2",
            )?
            .execute(params![survey, number])?;
        Ok(())
    }
}

impl Store {
    /// A survey's state and counts at `now`.
    pub fn survey(&self, id: i64, now: i64) -> Result<Option<SurveyReport>, StoreError> {
        let conn = self.reader();
        type Head = (String, String, String, Option<i64>, Option<i64>, i64);
        let head: Option<Head> = conn
            .prepare_cached(
                "SELECT question, options, count_mode, closes_at, closed_at, created_at FROM surveys WHERE id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .optional()?;
        let Some((question, options, count_mode, closes_at, closed_at, created_at)) = head else {
            return Ok(None);
        };
        let (recipients, delivered): (i64, i64) = conn
            .prepare_cached(
                "SELECT count(*), coalesce(sum(m.status = 'delivered'), 0)
                 FROM survey_recipients r JOIN messages m ON m.id = r.message_id WHERE r.survey_id = ?1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let comments: i64 = conn
            .prepare_cached("SELECT count(*) FROM survey_responses WHERE survey_id = ?1 AND option IS NULL")?
            .query_row([id], |r| r.get(0))?;
        let mut counts = std::collections::HashMap::new();
        for v in counted(&conn, id, &count_mode)? {
            *counts.entry(v.0).or_insert(0u64) += 1;
        }
        let results: Vec<(String, String, u64)> = options_from(&options)
            .into_iter()
            .map(|(k, l)| {
                let n = counts.get(&k).copied().unwrap_or(0);
                (k, l, n)
            })
            .collect();
        let responded = results.iter().map(|r| r.2).sum();
        Ok(Some(SurveyReport {
            id,
            question,
            open: closed_at.is_none() && closes_at.is_none_or(|c| c > now),
            count_mode,
            recipients: recipients as u64,
            delivered: delivered as u64,
            responded,
            results,
            comments: comments as u64,
            created_at,
            closes_at,
            closed_at,
        }))
    }

    /// Each voter's counted vote, in the order they voted.
    pub fn survey_votes(&self, id: i64) -> Result<Option<Vec<Vote>>, StoreError> {
        let conn = self.reader();
        let head: Option<(String, String)> = conn
            .prepare_cached("SELECT options, count_mode FROM surveys WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((options, mode)) = head else {
            return Ok(None);
        };
        let labels = options_from(&options);
        let mut votes: Vec<Vote> = counted(&conn, id, &mode)?
            .into_iter()
            .map(|(option, number, at, text)| Vote {
                label: labels
                    .iter()
                    .find(|(k, _)| *k == option)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default(),
                option,
                number,
                at,
                text,
            })
            .collect();
        votes.sort_by_key(|v| v.at);
        Ok(Some(votes))
    }

    /// Closes a survey. `None` if there is no such survey; otherwise
    /// whether this call closed it (false: already closed).
    pub fn close_survey(&self, id: i64, now: i64) -> Result<Option<bool>, StoreError> {
        let conn = self.writer();
        let exists: Option<Option<i64>> = conn
            .prepare_cached("SELECT closed_at FROM surveys WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        match exists {
            None => Ok(None),
            Some(Some(_)) => Ok(Some(false)),
            Some(None) => {
                conn.prepare_cached(
                    "UPDATE surveys SET closed_at = min(?2, coalesce(closes_at, ?2)) WHERE id = ?1",
                )?
                .execute(params![id, now])?;
                Ok(Some(true))
            }
        }
    }
}

/// One counted vote: `(option, number, at, text)`.
type CountedVote = (String, String, i64, Option<String>);

/// Per voter, the vote that counts.
fn counted(conn: &rusqlite::Connection, survey: i64, mode: &str) -> Result<Vec<CountedVote>, StoreError> {
    let order = if mode == "last" { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT option, number, at, text FROM (
             SELECT option, number, at, text, row_number() OVER (PARTITION BY number ORDER BY id {order}) AS n
             FROM survey_responses WHERE survey_id = ?1 AND option IS NOT NULL)
         WHERE n = 1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([survey], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
