//! What a received message means and what it sets off, inside the
//! transaction that stores it: an opt-out (with its one confirmation), a
//! re-subscription, a help request, a survey vote or comment. Auto-replies
//! never go to alphanumeric senders or short codes and are capped per
//! number per day, so two robots cannot talk to each other forever.
//! A reply from a person that mentions an opt-out keyword without being an
//! opt-out (see `keywords`) goes on the review list for a person to decide.
//!
//! Double opt-in (see [`crate::contacts::consent`]):
//! - a join keyword (JOIN, ПОДПИСКА, ALTA) from a person's number makes it
//!   a `pending` contact (source `keyword <KW>`, language guessed from the
//!   keyword when it has none) and sends the confirmation request, within
//!   the auto-reply cap (at the cap nothing changes: the join is not
//!   answered). Texting a join keyword is an explicit request, so it lifts
//!   the number's opt-out as START does. A contact already `opted_in` gets
//!   no second request (and, unless an opt-out was lifted, no reply); a
//!   `pending` one is asked again if the join lifted its opt-out (its
//!   double opt-in starts over: source, evidence and request are the new
//!   join's, so a later YES answers the request sent after it) or if its
//!   request never went out (suppressed, failed, expired, cancelled).
//! - a confirm keyword (YES, ДА, SI) from a `pending` contact whose request
//!   reached the network, and that has not opted out, makes it `opted_in`
//!   with the exchange as evidence, then sends the welcome. This comes
//!   before survey handling: a pending contact's YES confirms, not votes.
//!   From anyone else a YES is an ordinary reply (a survey vote, say).

use serde_json::json;
use tracing::warn;

use std::collections::BTreeMap;

use super::keywords::{Keyword, Keywords};
use super::vote::{Choice, parse_vote};
use crate::contacts::{self, Consent, ConsentStatus, ContactChanges, ContactRules};
use crate::phone::Msisdn;
use crate::sms::{self, SplitOptions};
use crate::store::{
    ContactError, ContactKey, MessageKind, NewMessage, NewOptOut, OptOutSource, Status, StoreError, Tx,
    rfc3339,
};

/// How replies are read and answered.
#[derive(Debug, Clone)]
pub struct ReplyRules {
    /// Keyword lists.
    pub keywords: Keywords,
    /// Sent once when a number opts out; `None`: nothing.
    pub confirmation: Option<String>,
    /// Sent when a number opts back in.
    pub resubscribed: Option<String>,
    /// Sent in answer to HELP.
    pub help: Option<String>,
    /// Auto-replies to one number per 24 hours, at most.
    pub max_auto_replies_per_day: u32,
    /// How replies are encoded.
    pub split: SplitOptions,
    /// Validity of replies (minutes).
    pub validity_minutes: Option<u32>,
    /// How a joining number is saved as a contact, and its confirmation
    /// request (`[contacts]`).
    pub contacts: ContactRules,
    /// Sent once a contact confirms, by language with `default`
    /// (`contacts.welcome`); empty: nothing.
    pub welcome: BTreeMap<String, String>,
    /// Days a reply is credited to the campaign message before it
    /// (`campaigns.attribution_days`).
    pub attribution_days: u32,
    /// Which replies are forwarded by email (`[email]`); `None`: none.
    pub email: Option<crate::email::EmailRules>,
}

impl Default for ReplyRules {
    fn default() -> Self {
        ReplyRules {
            keywords: Keywords::default(),
            confirmation: Some(DEFAULT_CONFIRMATION.into()),
            resubscribed: Some(DEFAULT_RESUBSCRIBED.into()),
            help: Some(DEFAULT_HELP.into()),
            max_auto_replies_per_day: 3,
            split: SplitOptions::default(),
            validity_minutes: Some(1440),
            contacts: ContactRules::defaults(crate::phone::Region::default()),
            welcome: crate::config::ContactsConfig::default().welcome,
            attribution_days: crate::config::CampaignsConfig::default().attribution_days,
            email: None,
        }
    }
}

/// Default opt-out confirmation.
pub const DEFAULT_CONFIRMATION: &str =
    "You will not receive more messages from this number. Reply START to subscribe again.";
/// Default re-subscription reply.
pub const DEFAULT_RESUBSCRIBED: &str = "You are subscribed again. Reply STOP to opt out.";
/// Default help reply.
pub const DEFAULT_HELP: &str = "Reply STOP to opt out of messages from this number.";

/// A received message, stored, as reply handling sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received<'a> {
    /// Inbox id.
    pub inbox_id: i64,
    /// Sender, canonical (E.164) when it is a number.
    pub sender: &'a str,
    /// Whether the sender is a person's number that may get auto-replies.
    pub replyable: bool,
    /// Text, if text.
    pub text: Option<&'a str>,
}

/// What handling a reply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handled {
    /// What the message was read as, if anything.
    pub kind: Option<&'static str>,
    /// Messages enqueued (auto-replies).
    pub enqueued: usize,
    /// The review it was put on, when it mentions an opt-out keyword
    /// without being an opt-out.
    pub review: Option<i64>,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Reads `m` and applies what it means, in `tx`.
pub fn handle(tx: &mut Tx<'_>, rules: &ReplyRules, m: &Received<'_>) -> Result<Handled, StoreError> {
    let mut out = Handled::default();
    if let Some(text) = m.text {
        let mut read = rules
            .keywords
            .read(text)
            .map(|(kind, keyword)| (kind, keyword.to_string()));
        if let Some((Keyword::Confirm, _)) = read {
            match confirm(tx, rules, m, text)? {
                Some(sent) => {
                    out.kind = Some("consent");
                    out.enqueued += sent;
                }
                // Not a pending contact: an ordinary reply.
                None => read = None,
            }
        }
        match read.as_ref().map(|(kind, keyword)| (*kind, keyword.as_str())) {
            Some((Keyword::Confirm, _)) => {}
            Some((Keyword::Join, keyword)) => {
                // Read as a join only when it was one: from a short code,
                // an alphanumeric sender or past the cap nothing is done.
                if let Some(sent) = join(tx, rules, m, keyword, text)? {
                    out.kind = Some("join");
                    out.enqueued += sent;
                }
            }
            Some((Keyword::OptOut, _)) => {
                out.kind = Some("optout");
                let added = tx.add_optout(&NewOptOut {
                    number: m.sender,
                    source: OptOutSource::Keyword,
                    keyword: Some(text.trim()),
                    note: None,
                    inbox_id: Some(m.inbox_id),
                })?;
                if added {
                    out.enqueued +=
                        reply(tx, rules, m, &rules.confirmation, MessageKind::OptOutConfirmation)?;
                }
            }
            Some((Keyword::OptIn, _)) => {
                out.kind = Some("optin");
                if tx.remove_optout(m.sender, OptOutSource::Keyword)? {
                    out.enqueued += reply(tx, rules, m, &rules.resubscribed, MessageKind::AutoReply)?;
                }
            }
            Some((Keyword::Help, _)) => {
                out.kind = Some("help");
                out.enqueued += reply(tx, rules, m, &rules.help, MessageKind::AutoReply)?;
            }
            None => {
                if let Some(survey) = tx.open_survey_for(m.sender)? {
                    let choices: Vec<Choice> = survey
                        .options
                        .iter()
                        .map(|(key, label)| Choice {
                            key: key.clone(),
                            label: label.clone(),
                        })
                        .collect();
                    match parse_vote(text, &choices) {
                        Some(key) => {
                            out.kind = Some("vote");
                            tx.record_response(survey.id, m.sender, Some(key), Some(text), m.inbox_id)?;
                            let label = choices.iter().find(|c| c.key == key).map(|c| c.label.as_str());
                            tx.emit(
                                "vote",
                                &format!("number:{}", m.sender),
                                &json!({"survey_id": survey.id.to_string(), "number": m.sender, "option": key,
                                        "label": label, "text": text, "at": rfc3339(tx.now)}),
                            )?;
                        }
                        None => {
                            out.kind = Some("comment");
                            tx.record_response(survey.id, m.sender, None, Some(text), m.inbox_id)?;
                            if !survey.voted && !survey.invalid_reply_sent && survey.invalid_reply.is_some() {
                                let sent =
                                    reply(tx, rules, m, &survey.invalid_reply, MessageKind::AutoReply)?;
                                if sent > 0 {
                                    tx.mark_invalid_reply_sent(survey.id, m.sender)?;
                                }
                                out.enqueued += sent;
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(text) = m.text
        && out.kind != Some("optout")
    {
        out.review = review(tx, rules, m, text)?;
        if out.review.is_some() && out.kind.is_none() {
            out.kind = Some("optout_review");
        }
    }
    if let Some(kind) = out.kind {
        tx.set_inbox_kind(m.inbox_id, kind)?;
    }
    Ok(out)
}

/// Puts `m` on the opt-out review list if it holds an opt-out keyword
/// without being an opt-out ("Stop by tomorrow?", "can you opt me out"). Only a person's number that has not opted out
/// already: an alphanumeric sender or a short code ("reply STOP to end")
/// is never texted, so there is nothing to decide.
fn review(
    tx: &mut Tx<'_>,
    rules: &ReplyRules,
    m: &Received<'_>,
    text: &str,
) -> Result<Option<i64>, StoreError> {
    if !m.replyable {
        return Ok(None);
    }
    let Some(keyword) = rules.keywords.opt_out_for_review(text) else {
        return Ok(None);
    };
    if tx.optout(m.sender)?.is_some() {
        return Ok(None);
    }
    let id = tx.add_optout_review(m.inbox_id, m.sender, text, keyword)?;
    warn!(
        review = id,
        inbox_id = m.inbox_id,
        keyword,
        "reply mentions an opt-out keyword: waiting for review"
    );
    Ok(Some(id))
}

/// Whether `m`'s sender may get one more message of the gateway's own
/// today (auto-replies, confirmations, double opt-in requests).
fn under_cap(tx: &mut Tx<'_>, rules: &ReplyRules, m: &Received<'_>) -> Result<bool, StoreError> {
    if tx.auto_replies_since(m.sender, tx.now - DAY_MS)? >= rules.max_auto_replies_per_day {
        warn!(
            number = m.sender,
            "auto-reply cap reached for today; not answering"
        );
        return Ok(false);
    }
    Ok(true)
}

/// A join keyword from `m`'s sender: lifts its opt-out, makes it a pending
/// contact and asks for confirmation (see the module docs). Returns the
/// messages queued, or `None` when the join was ignored (not a person's
/// number, or past the day's auto-reply cap: nothing changed).
fn join(
    tx: &mut Tx<'_>,
    rules: &ReplyRules,
    m: &Received<'_>,
    keyword: &str,
    text: &str,
) -> Result<Option<usize>, StoreError> {
    if !m.replyable || !under_cap(tx, rules, m)? {
        return Ok(None);
    }
    let lifted = tx.remove_optout(m.sender, OptOutSource::Keyword)?;
    let key = ContactKey::Phone(m.sender.to_string());
    let existing = tx.contact(&key)?;
    let asked_before = match &existing {
        Some(c) => tx.confirmation_request(c.id)?.map(|r| r.message_id),
        None => None,
    };
    let language = match existing.as_ref().and_then(|c| c.language.as_deref()) {
        Some(_) => None,
        None => contacts::consent::language_of_keyword(keyword).map(|l| Some(l.to_string())),
    };
    let changes = ContactChanges {
        language,
        consent: Some(Consent {
            status: ConsentStatus::Pending,
            at: None,
            source: Some(format!("keyword {keyword}")),
            evidence: Some(format!(
                "received {} (inbox {}): {:?}",
                rfc3339(tx.now),
                m.inbox_id,
                text.trim()
            )),
        }),
        ..Default::default()
    };
    let phone = Msisdn::from_canonical(m.sender);
    let saved = match contacts::save(tx, &rules.contacts, &phone, &changes) {
        Ok(s) => s,
        Err(ContactError::Store(e)) => return Err(e),
        Err(e) => {
            warn!(error = %e, inbox_id = m.inbox_id, "join keyword: contact not saved");
            return Ok(None);
        }
    };
    let consent = tx.contact(&key)?.map(|c| c.consent.status);
    let mut restarted = false;
    if !saved.confirm && consent == Some(ConsentStatus::Pending) {
        // Pending already. After an opt-out this join lifted, it is a new
        // request to join: asked again, and a later YES answers the new
        // request (the evidence is the new exchange), not one sent before
        // the STOP. Otherwise asked again only if the request never went
        // out (suppressed while the number was opted out, failed, expired).
        let ask = if lifted {
            restarted = changes
                .consent
                .as_ref()
                .map(|c| tx.restart_pending(saved.id, c))
                .transpose()?
                .unwrap_or(false);
            restarted
        } else {
            tx.confirmation_request(saved.id)?
                .as_ref()
                .is_none_or(|r| r.never_sent())
        };
        if ask {
            match contacts::consent::request_confirmation(tx, &rules.contacts, saved.id) {
                Ok(()) => {}
                Err(ContactError::Store(e)) => return Err(e),
                Err(e) => warn!(error = %e, contact = saved.id, "double opt-in request not sent"),
            }
        }
    }
    if saved.confirm || restarted {
        emit_consent(tx, saved.id, m.sender)?;
    }
    let request = tx.confirmation_request(saved.id)?;
    let mut enqueued = usize::from(
        request
            .as_ref()
            .is_some_and(|r| Some(r.message_id) != asked_before && r.status == Status::Queued),
    );
    if consent == Some(ConsentStatus::OptedIn) && lifted {
        // Confirmed before, opted out since, back now: no new request.
        enqueued += reply(tx, rules, m, &rules.resubscribed, MessageKind::AutoReply)?;
    }
    Ok(Some(enqueued))
}

/// A confirm keyword from `m`'s sender: if it is a pending contact whose
/// request reached the network and it has not opted out, makes it
/// `opted_in` with the exchange as evidence and sends the welcome
/// (returning the messages queued); otherwise `None` (an ordinary reply).
fn confirm(
    tx: &mut Tx<'_>,
    rules: &ReplyRules,
    m: &Received<'_>,
    text: &str,
) -> Result<Option<usize>, StoreError> {
    if !m.replyable {
        return Ok(None);
    }
    let Some(contact) = tx.contact(&ContactKey::Phone(m.sender.to_string()))? else {
        return Ok(None);
    };
    if contact.consent.status != ConsentStatus::Pending || contact.opted_out.is_some() {
        return Ok(None);
    }
    let Some(request) = tx.confirmation_request(contact.id)? else {
        return Ok(None);
    };
    if !request.reached_network() {
        return Ok(None);
    }
    let changes = ContactChanges {
        consent: Some(Consent {
            status: ConsentStatus::OptedIn,
            at: None,
            source: Some(contacts::consent::confirmed_source(
                contact.consent.source.as_deref(),
            )),
            evidence: Some(contacts::consent::evidence(
                contact.consent.evidence.as_deref(),
                &request,
                m.inbox_id,
                tx.now,
                text,
            )),
        }),
        ..Default::default()
    };
    match contacts::save(tx, &rules.contacts, &Msisdn::from_canonical(m.sender), &changes) {
        Ok(_) => {}
        Err(ContactError::Store(e)) => return Err(e),
        Err(e) => {
            warn!(error = %e, contact = contact.id, "confirmation not recorded");
            return Ok(None);
        }
    }
    emit_consent(tx, contact.id, m.sender)?;
    tracing::info!(
        contact = contact.id,
        inbox_id = m.inbox_id,
        msg_id = request.message_id,
        "double opt-in confirmed"
    );
    let welcome =
        contacts::consent::text_for(&rules.welcome, contact.language.as_deref()).map(str::to_string);
    Ok(Some(reply(tx, rules, m, &welcome, MessageKind::AutoReply)?))
}

/// The `consent` webhook event: contact `id`'s consent as it now is.
/// Keyed by number, so it reaches a receiver in order with the number's
/// `optout` events.
fn emit_consent(tx: &mut Tx<'_>, id: i64, number: &str) -> Result<(), StoreError> {
    let Some(c) = tx.contact(&ContactKey::Id(id))? else {
        return Ok(());
    };
    tx.emit(
        "consent",
        &format!("number:{number}"),
        &json!({"contact_id": id.to_string(), "number": number, "status": c.consent.status.as_str(),
                "source": c.consent.source, "evidence": c.consent.evidence,
                "at": c.consent.at.map(rfc3339)}),
    )
}

/// Enqueues `text` to the sender if it may get one more auto-reply today.
fn reply(
    tx: &mut Tx<'_>,
    rules: &ReplyRules,
    m: &Received<'_>,
    text: &Option<String>,
    kind: MessageKind,
) -> Result<usize, StoreError> {
    let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) else {
        return Ok(0);
    };
    if !m.replyable || !under_cap(tx, rules, m)? {
        return Ok(0);
    }
    let plan = match sms::plan(text, &rules.split) {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, "auto-reply text cannot be sent");
            return Ok(0);
        }
    };
    let msg = NewMessage {
        recipient: Msisdn::from_canonical(m.sender),
        text: plan.text.clone(),
        encoding: plan.encoding,
        segments: plan.segment_count(),
        status_report: false,
        send_at: None,
        expires_at: rules.validity_minutes.map(|v| tx.now + i64::from(v) * 60_000),
        kind: Some(kind),
        category: Default::default(),
        idempotency_key: None,
        request_hash: String::new(),
    };
    match tx.enqueue(&msg) {
        Ok(o) => Ok(usize::from(o.status == crate::store::Status::Queued)),
        Err(crate::store::EnqueueError::Store(e)) => Err(e),
        Err(e) => {
            warn!(error = %e, "auto-reply not enqueued");
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ClaimRequest, NewInbound, Store};

    const N: &str = "+79161234567";

    fn got(s: &Store, rules: &ReplyRules, text: &str, now: i64) -> Handled {
        s.write(now, |tx| {
            let inbox_id = tx.store_inbound(&NewInbound {
                sender: N.into(),
                text: Some(text.into()),
                received_at: now,
                modem_imei: None,
                sim_imsi: None,
                pdu: String::new(),
                parts: 1,
                incomplete: false,
                error: None,
            })?;
            handle(
                tx,
                rules,
                &Received {
                    inbox_id,
                    sender: N,
                    replyable: true,
                    text: Some(text),
                },
            )
        })
        .unwrap()
    }

    fn consent(s: &Store) -> Option<ConsentStatus> {
        s.contact(&ContactKey::Phone(N.into()))
            .unwrap()
            .map(|c| c.consent.status)
    }

    fn texts(s: &Store) -> Vec<String> {
        s.messages(None, 0, 100)
            .unwrap()
            .rows
            .iter()
            .map(|m| m.text.clone())
            .collect()
    }

    #[test]
    fn alta_from_a_number_that_said_stop_joins_in_spanish() {
        let s = Store::open_in_memory().unwrap();
        let rules = ReplyRules::default();
        assert_eq!(got(&s, &rules, "STOP", 1).kind, Some("optout"));
        let h = got(&s, &rules, "Alta, por favor", 2);
        assert_eq!((h.kind, h.enqueued), (Some("join"), 1));
        assert!(s.optout(N).unwrap().is_none(), "a join lifts the opt-out");
        let c = s.contact(&ContactKey::Phone(N.into())).unwrap().unwrap();
        assert_eq!(c.language.as_deref(), Some("es"));
        assert_eq!(c.consent.source.as_deref(), Some("keyword ALTA"));
        assert!(texts(&s)[1].starts_with("Responda SI"), "{:?}", texts(&s));
    }

    #[test]
    fn an_opted_in_contact_back_from_stop_is_welcomed_back_not_asked_again() {
        let s = Store::open_in_memory().unwrap();
        let rules = ReplyRules::default();
        s.write(1, |tx| {
            tx.upsert_contact(
                N,
                &ContactChanges {
                    consent: Some(Consent {
                        status: ConsentStatus::OptedIn,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                None,
            )
        })
        .unwrap();
        got(&s, &rules, "stop", 2);
        let h = got(&s, &rules, "JOIN", 3);
        assert_eq!((h.kind, h.enqueued), (Some("join"), 1));
        assert_eq!(texts(&s).last().unwrap(), DEFAULT_RESUBSCRIBED);
        assert_eq!(consent(&s), Some(ConsentStatus::OptedIn));
        // Subscribed and not opted out: a JOIN changes nothing, sends nothing.
        let h = got(&s, &rules, "JOIN", 4);
        assert_eq!((h.kind, h.enqueued), (Some("join"), 0));
        assert_eq!(texts(&s).len(), 2);
    }

    #[test]
    fn a_join_and_a_yes_are_consent_events_in_order() {
        let s = Store::open_in_memory().unwrap();
        let hook = s
            .sync_webhooks(&[("http://127.0.0.1:1/h".into(), vec!["consent".into()])])
            .unwrap()[0];
        let rules = ReplyRules::default();
        got(&s, &rules, "JOIN", 1);
        let request = s.messages(None, 0, 1).unwrap().rows[0].id;
        s.claim(request, "250010000000001", "imei", "/dev/x", "gw", 2)
            .unwrap();
        got(&s, &rules, "YES", 3);
        got(&s, &rules, "YES", 4); // not pending any more: no event
        // One number's events are due one at a time, in order.
        let mut events = Vec::new();
        while let Some(e) = s.due_events(hook, i64::MAX, 10).unwrap().pop() {
            s.event_delivered(e.row, 5).unwrap();
            events.push(e);
            assert!(events.len() <= 3);
        }
        let data: Vec<serde_json::Value> = events
            .iter()
            .map(|e| serde_json::from_str(&e.data).unwrap())
            .collect();
        assert_eq!(events.len(), 2, "{data:?}");
        assert!(events.iter().all(|e| e.event == "consent"));
        assert_eq!(data[0]["status"], "pending");
        assert_eq!(data[0]["source"], "keyword JOIN");
        assert_eq!(data[1]["status"], "opted_in");
        assert_eq!(data[1]["number"], N);
        assert!(data[1]["evidence"].as_str().unwrap().contains("\"YES\""));
    }

    #[test]
    fn a_join_that_lifts_an_opt_out_asks_again_and_the_yes_answers_the_new_request() {
        let s = Store::open_in_memory().unwrap();
        let rules = ReplyRules::default();
        let sent = |id: i64, now: i64| {
            s.claim(id, "250010000000001", "imei", "/dev/x", "gw", now)
                .unwrap();
        };
        got(&s, &rules, "JOIN", 1);
        let first = s.messages(None, 0, 1).unwrap().rows[0].id;
        sent(first, 2);
        assert_eq!(got(&s, &rules, "STOP", 3).kind, Some("optout"));
        let h = got(&s, &rules, "JOIN", 4);
        assert_eq!((h.kind, h.enqueued), (Some("join"), 1), "asked again");
        assert!(s.optout(N).unwrap().is_none());
        let c = s.contact(&ContactKey::Phone(N.into())).unwrap().unwrap();
        assert_eq!(c.consent.status, ConsentStatus::Pending);
        assert_eq!(c.consent.at, Some(4), "pending since the re-join");
        let second = s.write(5, |tx| tx.confirmation_request(c.id)).unwrap().unwrap();
        assert_ne!(second.message_id, first);
        assert_eq!(second.status, Status::Queued);
        // A YES before the new request went answers nothing.
        assert_ne!(got(&s, &rules, "YES", 6).kind, Some("consent"));
        sent(second.message_id, 7);
        assert_eq!(got(&s, &rules, "YES", 8).kind, Some("consent"));
        let c = s.contact(&ContactKey::Phone(N.into())).unwrap().unwrap();
        assert_eq!(c.consent.status, ConsentStatus::OptedIn);
        let evidence = c.consent.evidence.unwrap();
        assert!(
            evidence.contains(&format!("(message {})", second.message_id))
                && !evidence.contains(&format!("(message {first})")),
            "{evidence}"
        );
        assert!(
            evidence.starts_with("received 1970-01-01T00:00:00.004Z"),
            "{evidence}"
        );
    }

    #[test]
    fn a_join_that_does_nothing_is_not_read_as_a_join() {
        let s = Store::open_in_memory().unwrap();
        let rules = ReplyRules {
            max_auto_replies_per_day: 1,
            ..ReplyRules::default()
        };
        for (sender, replyable) in [("BANK", false), ("900", false)] {
            let h = s
                .write(1, |tx| {
                    let inbox_id = tx.store_inbound(&NewInbound {
                        sender: sender.into(),
                        text: Some("JOIN".into()),
                        received_at: 1,
                        modem_imei: None,
                        sim_imsi: None,
                        pdu: String::new(),
                        parts: 1,
                        incomplete: false,
                        error: None,
                    })?;
                    handle(
                        tx,
                        &rules,
                        &Received {
                            inbox_id,
                            sender,
                            replyable,
                            text: Some("JOIN"),
                        },
                    )
                })
                .unwrap();
            assert_eq!((h.kind, h.enqueued), (None, 0), "{sender}");
        }
        // Past the cap: nothing changes, so nothing to call a join.
        assert_eq!(got(&s, &rules, "HELP", 2).kind, Some("help"));
        assert_eq!(got(&s, &rules, "JOIN", 3).kind, None);
        assert_eq!(consent(&s), None);
    }

    #[test]
    fn yes_before_the_request_reached_the_network_does_not_confirm() {
        let s = Store::open_in_memory().unwrap();
        let rules = ReplyRules::default();
        got(&s, &rules, "join", 1);
        let h = got(&s, &rules, "yes", 2);
        assert_ne!(h.kind, Some("consent"));
        assert_eq!(consent(&s), Some(ConsentStatus::Pending));
        let request = s.messages(None, 0, 1).unwrap().rows[0].id;
        s.claim_many(
            &[ClaimRequest {
                id: request,
                imsi: "250010000000001",
                imei: "imei",
                port: "/dev/x",
            }],
            "gw",
            3,
        )
        .unwrap();
        let h = got(&s, &rules, "yes", 4);
        assert_eq!((h.kind, h.enqueued), (Some("consent"), 1));
        assert_eq!(consent(&s), Some(ConsentStatus::OptedIn));
        assert_eq!(
            texts(&s).last().unwrap(),
            "You are subscribed. Reply STOP to opt out."
        );
    }
}
