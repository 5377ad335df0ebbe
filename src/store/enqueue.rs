//! Accepting messages: one, or a batch in one transaction. An idempotency
//! key returns the original message when the request is the same and a
//! conflict when it is not.

use rusqlite::{OptionalExtension, Transaction, params};
use thiserror::Error;

use super::types::{Category, MessageKind, Status, status_from_sql};
use super::unit::Tx;
use super::{Store, StoreError};
use crate::phone::Msisdn;
use crate::sms::Encoding;

/// A message ready to be stored (already validated and planned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Canonical recipient.
    pub recipient: Msisdn,
    /// The text as it will be sent.
    pub text: String,
    /// GSM 7-bit or UCS-2.
    pub encoding: Encoding,
    /// Segments it takes.
    pub segments: usize,
    /// Request a delivery report.
    pub status_report: bool,
    /// Not before this time (unix ms).
    pub send_at: Option<i64>,
    /// Not after this time (unix ms): still queued then, it expires.
    pub expires_at: Option<i64>,
    /// Why the gateway sends it, if not for the API.
    pub kind: Option<MessageKind>,
    /// Transactional or marketing (needs consent: see
    /// [`EnqueueError::NoConsent`]). The gateway's own messages (opt-out
    /// confirmations, consent requests, welcomes, replies) are
    /// transactional.
    pub category: Category,
    /// Client's idempotency key.
    pub idempotency_key: Option<String>,
    /// Digest of the request, to tell a retry from a different request.
    pub request_hash: String,
}

/// What enqueueing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnqueueOutcome {
    /// Message id.
    pub id: i64,
    /// Its status now.
    pub status: Status,
    /// Segments.
    pub segments: usize,
    /// Encoding name.
    pub encoding: String,
    /// Whether this is an earlier message returned for its idempotency key.
    pub existing: bool,
}

/// Why a message was not stored.
#[derive(Debug, Error)]
pub enum EnqueueError {
    /// The idempotency key was used for a different request.
    #[error("idempotency key {0:?} was already used for a different message")]
    Conflict(String),
    /// A marketing message to a number that may not get one: no contact,
    /// consent pending or none, contact invalid, or opted out (the reason
    /// in words).
    #[error("no consent for marketing: {0}")]
    NoConsent(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for EnqueueError {
    fn from(e: rusqlite::Error) -> Self {
        EnqueueError::Store(e.into())
    }
}

impl Store {
    /// Stores one message.
    pub fn enqueue(&self, msg: &NewMessage, now: i64) -> Result<EnqueueOutcome, EnqueueError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let out = insert(&tx, msg, now)?;
        tx.commit()?;
        Ok(out)
    }

    /// Stores many messages in one transaction; each gets its own outcome.
    /// An item's conflict does not spoil the others.
    pub fn enqueue_batch(
        &self,
        msgs: &[NewMessage],
        now: i64,
    ) -> Result<Vec<Result<EnqueueOutcome, EnqueueError>>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let mut out = Vec::with_capacity(msgs.len());
        for msg in msgs {
            match insert(&tx, msg, now) {
                Err(EnqueueError::Store(e)) => return Err(e),
                other => out.push(other),
            }
        }
        tx.commit()?;
        Ok(out)
    }
}

pub(super) fn insert(
    tx: &Transaction<'_>,
    msg: &NewMessage,
    now: i64,
) -> Result<EnqueueOutcome, EnqueueError> {
    if let Some(key) = &msg.idempotency_key {
        let found = tx
            .prepare_cached(
                "SELECT id, status, segments, encoding, request_hash FROM messages WHERE idempotency_key = ?1",
            )?
            .query_row([key], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    status_from_sql(r.get(1)?)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .optional()?;
        if let Some((id, status, segments, encoding, hash)) = found {
            if hash.as_deref() != Some(msg.request_hash.as_str()) {
                return Err(EnqueueError::Conflict(key.clone()));
            }
            return Ok(EnqueueOutcome {
                id,
                status,
                segments: segments as usize,
                encoding,
                existing: true,
            });
        }
    }
    // Marketing needs consent, checked here so that every path (API,
    // batch, campaigns) is covered; refused rather than stored suppressed,
    // so the sender learns why at once. Checked again at claim.
    if msg.category == Category::Marketing
        && let Some(reason) = super::consent::marketing_refusal(tx, msg.recipient.as_str())?
    {
        return Err(EnqueueError::NoConsent(reason));
    }
    // Opt-out is law: only the confirmation of an opt-out may reach a
    // number that opted out.
    let opted_out = match msg.kind {
        Some(MessageKind::OptOutConfirmation) => None,
        _ => super::optouts::lookup(tx, msg.recipient.as_str())?,
    };
    let status = match msg.send_at {
        _ if opted_out.is_some() => Status::Suppressed,
        Some(at) if at > now => Status::Scheduled,
        _ => Status::Queued,
    };
    tx.prepare_cached(
        "INSERT INTO messages (recipient, text, encoding, segments, status, status_report, send_at,
                               created_at, updated_at, idempotency_key, request_hash, expires_at, kind, error, category)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        msg.recipient.as_str(),
        msg.text,
        msg.encoding.as_str(),
        msg.segments as i64,
        status.as_str(),
        msg.status_report,
        msg.send_at,
        now,
        msg.idempotency_key,
        msg.request_hash,
        msg.expires_at,
        msg.kind.map(MessageKind::as_str),
        opted_out.as_ref().map(|o| o.reason()),
        msg.category.as_str(),
    ])?;
    let id = tx.last_insert_rowid();
    let reason = match (status, &opted_out) {
        (_, Some(o)) => format!("not sent: {}", o.reason()),
        (Status::Scheduled, _) => "accepted; waiting for send_at".to_string(),
        _ => "accepted; waiting for a SIM".to_string(),
    };
    tx.prepare_cached("INSERT INTO message_events (message_id, status, at, reason) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, status.as_str(), now, reason])?;
    Ok(EnqueueOutcome {
        id,
        status,
        segments: msg.segments,
        encoding: msg.encoding.as_str().to_string(),
        existing: false,
    })
}

impl Tx<'_> {
    /// Stores one message as part of this unit of work.
    pub fn enqueue(&mut self, msg: &NewMessage) -> Result<EnqueueOutcome, EnqueueError> {
        insert(&self.tx, msg, self.now)
    }

    /// How many messages of the gateway's own (auto-replies, opt-out
    /// confirmations, double opt-in requests) went to `number` since
    /// `since`: replies are capped per number. One suppressed (the number
    /// had opted out) never went, so it does not count.
    pub fn auto_replies_since(&mut self, number: &str, since: i64) -> Result<u32, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM messages
                 WHERE recipient = ?1 AND kind IN ('auto_reply', 'optout_confirmation', 'consent_request')
                   AND created_at >= ?2 AND status != 'suppressed'",
            )?
            .query_row(params![number, since], |r| r.get(0))?)
    }
}
