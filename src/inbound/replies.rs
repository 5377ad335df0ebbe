//! What a received message means and what it sets off, inside the
//! transaction that stores it: an opt-out (with its one confirmation), a
//! re-subscription, a help request, a survey vote or comment. Auto-replies
//! never go to alphanumeric senders or short codes and are capped per
//! number per day, so two robots cannot talk to each other forever.
//! A reply from a person that mentions an opt-out keyword without being an
//! opt-out (see `keywords`) goes on the review list for a person to decide.

use serde_json::json;
use tracing::warn;

use super::keywords::{Keyword, Keywords};
use super::vote::{Choice, parse_vote};
use crate::phone::Msisdn;
use crate::sms::{self, SplitOptions};
use crate::store::{MessageKind, NewMessage, NewOptOut, OptOutSource, StoreError, Tx, rfc3339};

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
        match rules.keywords.classify(text) {
            Some(Keyword::OptOut) => {
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
            Some(Keyword::OptIn) => {
                out.kind = Some("optin");
                if tx.remove_optout(m.sender, OptOutSource::Keyword)? {
                    out.enqueued += reply(tx, rules, m, &rules.resubscribed, MessageKind::AutoReply)?;
                }
            }
            Some(Keyword::Help) => {
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
    if !m.replyable {
        return Ok(0);
    }
    if tx.auto_replies_since(m.sender, tx.now - DAY_MS)? >= rules.max_auto_replies_per_day {
        warn!(
            number = m.sender,
            "auto-reply cap reached for today; not answering"
        );
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
