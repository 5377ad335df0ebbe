//! Consent in the queue: whether a marketing message may go to a number —
//! checked when it is accepted (refused, with the reason) and again when it
//! is claimed and right before its first byte (suppressed, with the
//! reason), since consent may be withdrawn or an opt-out may arrive while
//! it waits — and the double opt-in request recorded on a contact.
//!
//! A marketing message needs a contact for its number whose consent is
//! `opted_in`, whose status is `active`, and no opt-out for the number
//! (an opt-out wins over any consent and outlives an erased contact).

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::types::{Status, status_from_sql};
use super::unit::Tx;
use super::{StoreError, rfc3339};

/// Why a marketing message must not go to `recipient` now, in words, or
/// `None` when it may: opted out (the opt-out's reason), no contact with
/// that number, consent pending (since when), consent none, or the contact
/// is invalid (its reason).
pub(super) fn marketing_refusal(conn: &Connection, recipient: &str) -> Result<Option<String>, StoreError> {
    if let Some(o) = super::optouts::lookup(conn, recipient)? {
        return Ok(Some(o.reason()));
    }
    type Row = (i64, String, Option<i64>, String, Option<String>);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT id, consent_status, consent_at, status, status_reason FROM contacts WHERE phone = ?1",
        )?
        .query_row([recipient], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((id, consent, at, status, reason)) = row else {
        return Ok(Some(format!(
            "no contact with number {recipient}: marketing goes only to contacts who opted in"
        )));
    };
    Ok(match consent.as_str() {
        "opted_in" if status == "active" => None,
        "opted_in" => Some(format!(
            "contact {id} is invalid: {}",
            reason
                .as_deref()
                .unwrap_or("its messages fail for recipient reasons")
        )),
        "pending" => Some(format!(
            "consent pending: waiting for contact {id}'s YES to the double opt-in request since {}",
            at.map(rfc3339).unwrap_or_else(|| "its creation".into())
        )),
        _ => Some(format!(
            "contact {id} has not consented to marketing (consent none)"
        )),
    })
}

/// Why the marketing message `id` must not go out (any status), if it is
/// marketing and may not.
pub(super) fn refusal_of_message(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    let recipient: Option<String> = conn
        .prepare_cached("SELECT recipient FROM messages WHERE id = ?1 AND category = 'marketing'")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    match recipient {
        Some(r) => marketing_refusal(conn, &r),
        None => Ok(None),
    }
}

/// Suppresses the queued marketing message `id` whose recipient no longer
/// qualifies, just before it would be claimed. Returns whether it did.
pub(super) fn suppress_if_no_consent(tx: &Transaction<'_>, id: i64, now: i64) -> Result<bool, StoreError> {
    let recipient: Option<String> = tx
        .prepare_cached(
            "SELECT recipient FROM messages WHERE id = ?1 AND status = 'queued' AND category = 'marketing'",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(recipient) = recipient else {
        return Ok(false);
    };
    match marketing_refusal(tx, &recipient)? {
        Some(reason) => {
            super::optouts::suppress(tx, id, &reason, now)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The double opt-in request a contact was sent, as stored in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationRequest {
    /// Message id.
    pub message_id: i64,
    /// The text as sent.
    pub text: String,
    /// Its status now.
    pub status: Status,
    /// Accepted (unix ms).
    pub created_at: i64,
    /// Handed to the network (unix ms), once it was.
    pub sent_at: Option<i64>,
}

impl ConfirmationRequest {
    /// Whether it reached the network (or may have): only then can a YES
    /// answer it.
    pub fn reached_network(&self) -> bool {
        matches!(
            self.status,
            Status::Sending | Status::Sent | Status::Delivered | Status::Unknown
        )
    }

    /// Whether it will never reach the network (suppressed, failed,
    /// expired, cancelled): the contact may be asked again.
    pub fn never_sent(&self) -> bool {
        matches!(
            self.status,
            Status::Suppressed | Status::Failed | Status::Expired | Status::Cancelled
        )
    }
}

impl Tx<'_> {
    /// The double opt-in request recorded on contact `contact`
    /// ([`Tx::set_confirmation`]), if any.
    pub fn confirmation_request(&mut self, contact: i64) -> Result<Option<ConfirmationRequest>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT m.id, m.text, m.status, m.created_at, m.sent_at
                 FROM contacts c JOIN messages m ON m.id = c.confirmation_id WHERE c.id = ?1",
            )?
            .query_row(params![contact], |r| {
                Ok(ConfirmationRequest {
                    message_id: r.get(0)?,
                    text: r.get(1)?,
                    status: status_from_sql(r.get(2)?)?,
                    created_at: r.get(3)?,
                    sent_at: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// Starts the double opt-in of the `pending` contact `contact` over: a
    /// join keyword that lifted the number's opt-out is a new request to
    /// join, so its consent `at`, `source` and `evidence` become those of
    /// `consent` and the request recorded on it is forgotten (the caller
    /// queues a new one and records it with [`Tx::set_confirmation`]); a
    /// later YES then answers the new request, not the one sent before the
    /// opt-out. Returns whether the contact was pending (else nothing
    /// changes).
    pub fn restart_pending(
        &mut self,
        contact: i64,
        consent: &crate::contacts::Consent,
    ) -> Result<bool, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE contacts SET consent_at = ?2, consent_source = ?3, consent_evidence = ?4,
                        confirmation_id = NULL, updated_at = ?5
                 WHERE id = ?1 AND consent_status = 'pending'",
            )?
            .execute(params![
                contact,
                consent.at.unwrap_or(self.now),
                consent.source,
                consent.evidence,
                self.now
            ])?;
        Ok(n > 0)
    }

    /// Why a marketing message must not go to `recipient` now, if so (see
    /// [`crate::store::EnqueueError::NoConsent`]).
    pub fn marketing_refusal(&mut self, recipient: &str) -> Result<Option<String>, StoreError> {
        marketing_refusal(&self.tx, recipient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{Consent, ConsentStatus, ContactChanges};
    use crate::phone::Msisdn;
    use crate::sms::Encoding;
    use crate::store::{
        Category, ClaimRequest, ContactKey, EnqueueError, NewMessage, NewOptOut, OptOutSource, Store,
    };

    const PHONE: &str = "+79161234567";

    fn marketing(to: &str) -> NewMessage {
        NewMessage {
            recipient: Msisdn::from_canonical(to),
            text: "Sale: -20% today".into(),
            encoding: Encoding::Gsm7,
            segments: 1,
            status_report: false,
            send_at: None,
            expires_at: None,
            kind: None,
            category: Category::Marketing,
            idempotency_key: None,
            request_hash: String::new(),
        }
    }

    fn consent(s: &Store, now: i64, status: ConsentStatus) -> i64 {
        let ch = ContactChanges {
            consent: Some(Consent {
                status,
                evidence: Some("web form".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        s.write(now, |tx| tx.upsert_contact(PHONE, &ch, None)).unwrap().id
    }

    fn optout(s: &Store, now: i64) {
        s.write(now, |tx| {
            tx.add_optout(&NewOptOut {
                number: PHONE,
                source: OptOutSource::Keyword,
                keyword: Some("STOP"),
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
    }

    fn refused(s: &Store, now: i64) -> String {
        match s.enqueue(&marketing(PHONE), now) {
            Err(EnqueueError::NoConsent(why)) => why,
            other => panic!("expected no_consent, got {other:?}"),
        }
    }

    fn claim(s: &Store, id: i64, now: i64) -> bool {
        s.claim_many(
            &[ClaimRequest {
                id,
                imsi: "250011234567890",
                imei: "imei",
                port: "/dev/x",
            }],
            "gw",
            now,
        )
        .unwrap()
        .pop()
        .flatten()
        .is_some()
    }

    #[test]
    fn marketing_is_refused_at_enqueue_naming_why() {
        let s = Store::open_in_memory().unwrap();
        assert!(refused(&s, 1).starts_with("no contact with number +79161234567"));
        let id = consent(&s, 1_700_000_000_000, ConsentStatus::Pending);
        let why = refused(&s, 1_700_000_000_001);
        assert!(
            why.contains("consent pending") && why.contains("2023-11-14T22:13:20.000Z"),
            "{why}"
        );
        consent(&s, 2, ConsentStatus::None);
        assert!(refused(&s, 3).contains("consent none"));
        consent(&s, 4, ConsentStatus::OptedIn);
        s.write(5, |tx| {
            tx.tx.execute(
                "UPDATE contacts SET status = 'invalid', status_reason = 'unassigned number' WHERE id = ?1",
                [id],
            )
            .map_err(StoreError::from)
        })
        .unwrap();
        assert!(
            refused(&s, 6).contains("invalid: unassigned number"),
            "{}",
            refused(&s, 6)
        );
        consent(&s, 7, ConsentStatus::OptedIn); // an update makes it active again
        let ok = s.enqueue(&marketing(PHONE), 8).unwrap();
        assert_eq!(ok.status, Status::Queued);
        let (row, _) = s.message(ok.id).unwrap().unwrap();
        assert_eq!(row.category, Category::Marketing);
        optout(&s, 9);
        assert!(refused(&s, 10).contains("recipient opted out (replied \"STOP\""));
        // Transactional messages are not its business: stored, suppressed by the opt-out.
        let t = s
            .enqueue(
                &NewMessage {
                    category: Category::Transactional,
                    ..marketing(PHONE)
                },
                11,
            )
            .unwrap();
        assert_eq!(t.status, Status::Suppressed);
        // Nothing refused was stored.
        assert_eq!(s.messages(None, 0, 100).unwrap().rows.len(), 2);
    }

    #[test]
    fn a_refused_batch_item_spoils_only_itself() {
        let s = Store::open_in_memory().unwrap();
        let out = s
            .enqueue_batch(
                &[
                    marketing(PHONE),
                    NewMessage {
                        category: Category::Transactional,
                        ..marketing(PHONE)
                    },
                ],
                1,
            )
            .unwrap();
        assert!(matches!(out[0], Err(EnqueueError::NoConsent(_))));
        assert!(out[1].is_ok());
    }

    #[test]
    fn consent_withdrawn_after_enqueue_suppresses_at_claim() {
        let s = Store::open_in_memory().unwrap();
        consent(&s, 1, ConsentStatus::OptedIn);
        let a = s.enqueue(&marketing(PHONE), 2).unwrap();
        let b = s.enqueue(&marketing(PHONE), 2).unwrap();
        let t = s
            .enqueue(
                &NewMessage {
                    category: Category::Transactional,
                    ..marketing(PHONE)
                },
                2,
            )
            .unwrap();
        consent(&s, 3, ConsentStatus::None);
        assert!(
            !claim(&s, a.id, 4),
            "a marketing message without consent is not claimed"
        );
        let (row, history) = s.message(a.id).unwrap().unwrap();
        assert_eq!(row.status, Status::Suppressed);
        assert!(row.error.as_deref().unwrap().contains("consent none"), "{row:?}");
        assert!(
            history
                .last()
                .unwrap()
                .reason
                .as_deref()
                .unwrap()
                .starts_with("not sent: contact")
        );
        // A transactional one to the same number still goes.
        assert!(claim(&s, t.id, 4));
        // Right before the first byte: withdrawn after the claim.
        consent(&s, 5, ConsentStatus::OptedIn);
        assert!(claim(&s, b.id, 6));
        assert_eq!(s.suppression(b.id).unwrap(), None);
        s.write(7, |tx| tx.erase_contact(&ContactKey::Phone(PHONE.into())))
            .unwrap();
        assert!(s.suppression(b.id).unwrap().unwrap().starts_with("no contact"));
        assert_eq!(s.suppression(t.id).unwrap(), None);
    }

    #[test]
    fn an_erased_contact_that_opted_out_stays_suppressed_when_re_created() {
        let s = Store::open_in_memory().unwrap();
        consent(&s, 1, ConsentStatus::OptedIn);
        optout(&s, 2);
        s.write(3, |tx| tx.erase_contact(&ContactKey::Phone(PHONE.into())))
            .unwrap();
        assert!(refused(&s, 4).contains("opted out"));
        // Re-created, even with consent given: the opt-out wins.
        consent(&s, 5, ConsentStatus::OptedIn);
        assert!(refused(&s, 6).contains("opted out"));
        let t = s
            .enqueue(
                &NewMessage {
                    category: Category::Transactional,
                    ..marketing(PHONE)
                },
                7,
            )
            .unwrap();
        assert_eq!(t.status, Status::Suppressed);
    }
}
