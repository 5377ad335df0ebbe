//! What the gateway learns about a contact from its traffic, written in the
//! transaction of the event itself (one `UPDATE contacts … WHERE phone = ?`
//! on the unique phone index; nothing when the number is no contact):
//! - a message recorded `sent`: `last_sent_at`, `messages_sent`;
//! - a delivery report saying a part arrived: `last_delivered_at`; the
//!   number works, so an `unreachable_since` count ends and an `invalid`
//!   contact is `active` again;
//! - a message received from the number: `last_reply_at`, `active` again;
//! - a failure that is the number's (see [`crate::contacts::hygiene`]):
//!   `invalid` at once (not in service), or `unreachable_since` and then
//!   `invalid` once such failures span `contact_hygiene.invalid_after_ms`
//!   (`contacts.invalid_after_days`).

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::contacts::hygiene::RecipientFault;

/// A message to `phone` was recorded sent at `now`.
pub(super) fn sent(tx: &Connection, phone: &str, now: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE contacts SET last_sent_at = ?2, messages_sent = messages_sent + 1 WHERE phone = ?1",
    )?
    .execute(params![phone, now])?;
    Ok(())
}

/// A part to `phone` was delivered at `at` (the report's discharge time).
pub(super) fn delivered(tx: &Connection, phone: &str, at: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE contacts SET last_delivered_at = max(coalesce(last_delivered_at, ?2), ?2),
                unreachable_since = NULL, status = 'active', status_reason = NULL
         WHERE phone = ?1",
    )?
    .execute(params![phone, at])?;
    Ok(())
}

/// A message from `phone` was stored at `at`.
pub(super) fn replied(tx: &Connection, phone: &str, at: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE contacts SET last_reply_at = max(coalesce(last_reply_at, ?2), ?2),
                unreachable_since = NULL, status = 'active', status_reason = NULL
         WHERE phone = ?1",
    )?
    .execute(params![phone, at])?;
    Ok(())
}

/// A message to `phone` failed at `now` for `fault`; `why` is the
/// network's answer in words, `message_id` the message.
pub(super) fn failed(
    tx: &Connection,
    phone: &str,
    fault: RecipientFault,
    why: &str,
    message_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    match fault {
        RecipientFault::Unassigned => {
            let reason = format!("{}: {why} (message {message_id})", fault.describe());
            tx.prepare_cached("UPDATE contacts SET status = 'invalid', status_reason = ?2 WHERE phone = ?1")?
                .execute(params![phone, reason])?;
        }
        RecipientFault::Absent => {
            let since: Option<(i64, i64)> = tx
                .prepare_cached(
                    "UPDATE contacts SET unreachable_since = coalesce(unreachable_since, ?2) WHERE phone = ?1
                     RETURNING unreachable_since, (SELECT invalid_after_ms FROM contact_hygiene WHERE id = 1)",
                )?
                .query_row(params![phone, now], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((since, after)) = since else {
                return Ok(());
            };
            if now - since >= after {
                let days = (now - since) / 86_400_000;
                let reason = format!(
                    "{} for {days} days: every message since {} failed, none delivered; last: {why} (message {message_id})",
                    fault.describe(),
                    super::rfc3339(since)
                );
                tx.prepare_cached(
                    "UPDATE contacts SET status = 'invalid', status_reason = ?2 WHERE phone = ?1 AND status = 'active'",
                )?
                .execute(params![phone, reason])?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// Sets how long "absent subscriber" failures must span before a
    /// contact becomes invalid (`contacts.invalid_after_days`, in days).
    pub fn set_invalid_after_days(&self, days: u32) -> Result<(), StoreError> {
        self.writer()
            .prepare_cached("UPDATE contact_hygiene SET invalid_after_ms = ?1 WHERE id = 1")?
            .execute([i64::from(days) * 86_400_000])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{ContactChanges, ContactStatus};
    use crate::store::ContactKey;

    const DAY: i64 = 86_400_000;
    const PHONE: &str = "+79161234567";

    fn store() -> Store {
        let s = Store::open_in_memory().unwrap();
        s.write(1, |tx| tx.upsert_contact(PHONE, &ContactChanges::default(), None))
            .unwrap();
        s
    }

    fn status(s: &Store) -> (ContactStatus, Option<String>) {
        let c = s.contact(&ContactKey::Phone(PHONE.into())).unwrap().unwrap();
        (c.status, c.status_reason)
    }

    fn fail(s: &Store, fault: RecipientFault, now: i64) {
        s.write(now, |tx| failed(&tx.tx, PHONE, fault, "x", 1, tx.now))
            .unwrap();
    }

    #[test]
    fn an_unassigned_number_is_invalid_at_once_and_a_reply_revives_it() {
        let s = store();
        fail(&s, RecipientFault::Unassigned, 10);
        let (st, why) = status(&s);
        assert_eq!(st, ContactStatus::Invalid);
        assert!(why.unwrap().contains("not in service"));
        s.write(20, |tx| replied(&tx.tx, PHONE, 20)).unwrap();
        assert_eq!(status(&s), (ContactStatus::Active, None));
    }

    #[test]
    fn absence_makes_invalid_only_once_it_spans_the_configured_days() {
        let s = store();
        s.set_invalid_after_days(3).unwrap();
        fail(&s, RecipientFault::Absent, DAY);
        fail(&s, RecipientFault::Absent, 3 * DAY);
        assert_eq!(status(&s).0, ContactStatus::Active, "2 days < 3");
        // A delivery in between starts the count again.
        s.write(3 * DAY, |tx| delivered(&tx.tx, PHONE, 3 * DAY)).unwrap();
        fail(&s, RecipientFault::Absent, 4 * DAY);
        fail(&s, RecipientFault::Absent, 6 * DAY);
        assert_eq!(status(&s).0, ContactStatus::Active, "2 days since the delivery");
        fail(&s, RecipientFault::Absent, 7 * DAY);
        let (st, why) = status(&s);
        assert_eq!(st, ContactStatus::Invalid);
        assert!(why.unwrap().contains("3 days"));
        let c = s.contact(&ContactKey::Phone(PHONE.into())).unwrap().unwrap();
        assert_eq!(c.last_delivered_at, Some(3 * DAY));
    }

    #[test]
    fn activity_counts_sends_and_ignores_numbers_that_are_no_contact() {
        let s = store();
        s.write(5, |tx| {
            sent(&tx.tx, PHONE, 5)?;
            sent(&tx.tx, PHONE, 6)?;
            sent(&tx.tx, "+79990000000", 6)
        })
        .unwrap();
        let c = s.contact(&ContactKey::Phone(PHONE.into())).unwrap().unwrap();
        assert_eq!((c.messages_sent, c.last_sent_at), (2, Some(6)));
    }
}
