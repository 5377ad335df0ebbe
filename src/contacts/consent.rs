//! Double opt-in: the confirmation request sent to a pending contact, and
//! what a YES leaves as evidence.
//!
//! A contact becomes `pending` when created or updated with that consent
//! (API, import) or when its number texts a join keyword (JOIN, ПОДПИСКА,
//! ALTA). It is then sent one request ("Reply YES to receive …",
//! `contacts.confirmation` in its language, `default` otherwise) as a
//! message of kind `consent_request` — transactional, never marketing,
//! counted with the auto-replies against the per-number daily cap. A YES
//! (`contacts.confirm_keywords`) from a pending contact whose request
//! reached the network makes it `opted_in`; the evidence is the exchange:
//! the request's text, id and time and the reply's text, inbox id and time.

use std::collections::BTreeMap;

use super::save::ContactRules;
use crate::phone::Msisdn;
use crate::sms;
use crate::store::{
    Category, ConfirmationRequest, ContactError, ContactKey, EnqueueError, MessageKind, NewMessage, Tx,
    rfc3339,
};

/// The text of `texts` for `language` (primary subtag), else its
/// `default`; `None` when that is missing or empty (nothing to send).
pub fn text_for<'a>(texts: &'a BTreeMap<String, String>, language: Option<&str>) -> Option<&'a str> {
    language
        .and_then(|l| texts.get(&l.to_ascii_lowercase()))
        .or_else(|| texts.get("default"))
        .map(String::as_str)
        .filter(|t| !t.trim().is_empty())
}

/// The language a join keyword is written in, for a contact who has none
/// yet: the default keywords JOIN → `en`, ПОДПИСКА → `ru`, ALTA → `es`;
/// any other keyword in Cyrillic → `ru`; otherwise `None` (the `default`
/// texts apply).
pub fn language_of_keyword(keyword: &str) -> Option<&'static str> {
    match crate::inbound::keywords::normalize(keyword).as_str() {
        "join" => Some("en"),
        "подписка" => Some("ru"),
        "alta" => Some("es"),
        other if other.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}')) => Some("ru"),
        _ => None,
    }
}

/// Enqueues the confirmation request to the pending contact `id` and
/// records it on the contact ([`Tx::set_confirmation`]). The request goes
/// through the queue like any message: to a number that opted out it is
/// stored `suppressed` (an opt-out wins), and it is recorded all the same
/// so the contact shows what happened. Nothing is sent when the texts for
/// its language and `default` are empty.
///
/// Errors: [`ContactError::Invalid`] (field `contacts.confirmation`) when
/// the configured text cannot be encoded within the segment limit.
pub fn request_confirmation(tx: &mut Tx<'_>, rules: &ContactRules, id: i64) -> Result<(), ContactError> {
    let Some(contact) = tx.contact(&ContactKey::Id(id))? else {
        return Ok(());
    };
    let Some(text) = text_for(&rules.confirmation, contact.language.as_deref()) else {
        return Ok(());
    };
    let plan = sms::plan(text, &rules.split).map_err(|e| ContactError::Invalid {
        field: "contacts.confirmation".into(),
        message: e.to_string(),
    })?;
    let msg = NewMessage {
        recipient: Msisdn::from_canonical(contact.phone.clone()),
        text: plan.text.clone(),
        encoding: plan.encoding,
        segments: plan.segment_count(),
        status_report: false,
        send_at: None,
        expires_at: rules.validity_minutes.map(|v| tx.now + i64::from(v) * 60_000),
        kind: Some(MessageKind::ConsentRequest),
        category: Category::Transactional,
        idempotency_key: None,
        request_hash: String::new(),
    };
    let out = match tx.enqueue(&msg) {
        Ok(o) => o,
        Err(EnqueueError::Store(e)) => return Err(e.into()),
        // Neither can happen to a transactional message without a key.
        Err(e) => {
            return Err(ContactError::Invalid {
                field: "consent".into(),
                message: e.to_string(),
            });
        }
    };
    tx.set_confirmation(id, out.id)?;
    tracing::info!(contact = id, msg_id = out.id, status = %out.status, "double opt-in request enqueued");
    Ok(())
}

/// The evidence of a double opt-in: what came before (the join keyword
/// received, or the evidence given when the contact was made pending),
/// then the request as sent and the reply, e.g.
/// `received 2026-…Z (inbox 33): "JOIN" / sent 2026-…Z (message 12): "Reply YES…" / received 2026-…Z (inbox 34): "yes"`.
pub fn evidence(
    before: Option<&str>,
    request: &ConfirmationRequest,
    inbox_id: i64,
    received_at: i64,
    reply: &str,
) -> String {
    let sent_at = request.sent_at.unwrap_or(request.created_at);
    let exchange = format!(
        "sent {} (message {}): {:?} / received {} (inbox {inbox_id}): {:?}",
        rfc3339(sent_at),
        request.message_id,
        request.text,
        rfc3339(received_at),
        reply.trim()
    );
    match before.filter(|b| !b.trim().is_empty()) {
        Some(b) => format!("{b} / {exchange}"),
        None => exchange,
    }
}

/// The source of a confirmed consent: `double opt-in (<where it began>)`.
pub fn confirmed_source(original: Option<&str>) -> String {
    match original.filter(|s| !s.trim().is_empty()) {
        Some(s) if s.starts_with("double opt-in") => s.to_string(),
        Some(s) => format!("double opt-in ({s})"),
        None => "double opt-in".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{Consent, ConsentStatus, ContactChanges};
    use crate::store::{Status, Store};

    fn pending() -> ContactChanges {
        ContactChanges {
            consent: Some(Consent {
                status: ConsentStatus::Pending,
                source: Some("web form".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn rules() -> ContactRules {
        ContactRules::defaults(crate::phone::Region::default())
    }

    #[test]
    fn texts_by_language_fall_back_to_default() {
        let r = rules();
        assert!(
            text_for(&r.confirmation, Some("ru"))
                .unwrap()
                .starts_with("Ответьте ДА")
        );
        assert!(
            text_for(&r.confirmation, Some("RU"))
                .unwrap()
                .starts_with("Ответьте ДА")
        );
        assert!(
            text_for(&r.confirmation, Some("de"))
                .unwrap()
                .starts_with("Reply YES")
        );
        assert!(text_for(&r.confirmation, None).unwrap().starts_with("Reply YES"));
        let empty: BTreeMap<String, String> = [("default".to_string(), " ".to_string())].into();
        assert_eq!(text_for(&empty, None), None);
    }

    #[test]
    fn join_keywords_say_their_language() {
        assert_eq!(language_of_keyword("JOIN"), Some("en"));
        assert_eq!(language_of_keyword("ПОДПИСКА"), Some("ru"));
        assert_eq!(language_of_keyword("Alta"), Some("es"));
        assert_eq!(language_of_keyword("ХОЧУ"), Some("ru"));
        assert_eq!(language_of_keyword("BEITRETEN"), None);
    }

    #[test]
    fn a_pending_contact_gets_exactly_one_request_in_its_language() {
        let s = Store::open_in_memory().unwrap();
        let phone = Msisdn::from_canonical("+79161234567");
        let mut ru = pending();
        ru.language = Some(Some("ru".into()));
        let first = s
            .write(1, |tx| crate::contacts::save(tx, &rules(), &phone, &ru))
            .unwrap();
        assert!(first.confirm);
        // Saved again pending (a second import, a repeated API call): no second request.
        s.write(2, |tx| crate::contacts::save(tx, &rules(), &phone, &pending()))
            .unwrap();
        let page = s.messages(None, 0, 100).unwrap();
        assert_eq!(page.rows.len(), 1, "exactly one request");
        let m = &page.rows[0];
        assert!(m.text.starts_with("Ответьте ДА"), "{}", m.text);
        assert_eq!(m.status, Status::Queued);
        assert_eq!(m.category, Category::Transactional);
        let req = s
            .write(3, |tx| tx.confirmation_request(first.id))
            .unwrap()
            .expect("recorded on the contact");
        assert_eq!(req.message_id, m.id);
    }

    #[test]
    fn an_opted_out_number_gets_no_request() {
        let s = Store::open_in_memory().unwrap();
        let phone = Msisdn::from_canonical("+79161234567");
        s.write(1, |tx| {
            tx.add_optout(&crate::store::NewOptOut {
                number: phone.as_str(),
                source: crate::store::OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
        let c = s
            .write(2, |tx| crate::contacts::save(tx, &rules(), &phone, &pending()))
            .unwrap();
        let req = s.write(3, |tx| tx.confirmation_request(c.id)).unwrap().unwrap();
        assert_eq!(req.status, Status::Suppressed);
        assert!(req.never_sent());
    }

    #[test]
    fn evidence_holds_both_sides_of_the_exchange() {
        let req = ConfirmationRequest {
            message_id: 12,
            text: "Reply YES to receive news".into(),
            status: Status::Sent,
            created_at: 1_000,
            sent_at: Some(2_000),
        };
        let e = evidence(
            Some("received x (inbox 3): \"JOIN\""),
            &req,
            34,
            60_000,
            " yes please ",
        );
        assert_eq!(
            e,
            "received x (inbox 3): \"JOIN\" / sent 1970-01-01T00:00:02.000Z (message 12): \"Reply YES to receive news\" / received 1970-01-01T00:01:00.000Z (inbox 34): \"yes please\""
        );
        assert_eq!(
            confirmed_source(Some("keyword JOIN")),
            "double opt-in (keyword JOIN)"
        );
        assert_eq!(confirmed_source(None), "double opt-in");
    }
}
