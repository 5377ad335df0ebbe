//! One received PDU into the store: a single SMS is stored and read at
//! once; a part waits for its siblings (durably) and the last one to
//! arrive stores and reads the whole message; a delivery report updates
//! its message. Each in one transaction, before the modem may delete the
//! PDU from the SIM.

use serde_json::json;

use super::keywords::Keywords;
use super::replies::{self, Handled, ReplyRules};
use crate::phone::{Msisdn, Region};
use crate::sms::reassemble::{self, Part};
use crate::sms::{self, AddressKind, Deliver, Tpdu};
use crate::store::{
    CampaignReply, NewInbound, NewPart, PartAdded, ReportIn, ReportOutcome, StaleGroup, Store, StoreError,
    Tx, rfc3339,
};

/// A PDU as a modem handed it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// Hex as printed by the modem.
    pub hex: &'a str,
    /// SIM it arrived for.
    pub imsi: Option<&'a str>,
    /// Modem.
    pub imei: &'a str,
}

/// What became of a PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A whole message, stored with this id.
    Message {
        /// Inbox id.
        inbox_id: i64,
        /// What it was read as and what it set off.
        handled: Handled,
    },
    /// A part kept until its message is whole.
    Part,
    /// A PDU (a whole message or a part) received again; the first copy
    /// counts.
    Duplicate,
    /// A delivery report.
    Report(ReportOutcome),
    /// A PDU that could not be decoded (or is not a received message),
    /// kept raw in the inbox with the reason.
    Undecodable {
        /// Inbox id.
        inbox_id: i64,
    },
}

impl Received {
    /// What arrived, in a word or two (for logs).
    pub fn what(&self) -> &'static str {
        match self {
            Received::Message { .. } => "message",
            Received::Part => "part of a long message",
            Received::Duplicate => "duplicate",
            Received::Report(_) => "delivery report",
            Received::Undecodable { .. } => "undecodable PDU",
        }
    }

    /// The inbox row it became, if any.
    pub fn inbox_id(&self) -> Option<i64> {
        match self {
            Received::Message { inbox_id, .. } | Received::Undecodable { inbox_id } => Some(*inbox_id),
            _ => None,
        }
    }
}

/// The sender as the store keeps it, and whether a person can be answered
/// there: international numbers as E.164, national ones read in `region`,
/// alphanumeric senders as they are (never answered), short codes never
/// answered either.
pub fn sender_of(d: &Deliver, region: Region) -> (String, bool) {
    let a = &d.sender;
    match a.kind {
        AddressKind::Alphanumeric => (a.value.clone(), false),
        AddressKind::International => (format!("+{}", a.value), a.value.len() >= 7),
        _ => {
            let digits = a.value.chars().all(|c| c.is_ascii_digit());
            if digits && a.value.len() >= 7 {
                match Msisdn::parse(&a.value, region) {
                    Ok(m) => (m.as_str().to_string(), true),
                    Err(_) => (a.value.clone(), false),
                }
            } else {
                (a.value.clone(), false)
            }
        }
    }
}

/// Stores `pdu` received at `now` and applies what it means.
pub fn receive(
    store: &Store,
    rules: &ReplyRules,
    region: Region,
    pdu: &Pdu<'_>,
    now: i64,
) -> Result<Received, StoreError> {
    let decoded = sms::decode_hex_pdu(pdu.hex);
    let deliver = match decoded {
        Ok(p) => match p.tpdu {
            Tpdu::Deliver(d) => d,
            Tpdu::StatusReport(r) => {
                let report = ReportIn {
                    imsi: pdu.imsi.map(str::to_string),
                    message_ref: r.message_ref,
                    recipient: r.recipient.to_string(),
                    status_code: r.status.code,
                    category: r.status.category,
                    description: r.status.description().to_string(),
                    submitted_at: r.sc_timestamp.map(|t| t.timestamp_millis()),
                    discharge_at: r.discharge_time.map(|t| t.timestamp_millis()),
                    pdu: pdu.hex.to_string(),
                };
                return Ok(Received::Report(store.apply_report(&report, now)?));
            }
            Tpdu::Submit(s) => {
                // Not something a network delivers (a modem listing what it
                // stored as sent); kept for a human to look at.
                let reason = format!("an SMS-SUBMIT to {}, not a received message", s.recipient);
                return keep_raw(store, pdu, String::new(), s.user_data.content.text(), reason, now);
            }
        },
        Err(e) => {
            // Never acknowledged (deleted from the SIM) without being kept:
            // stored as received with the reason, shown in the inbox and
            // sent to webhooks; not read as a keyword or a vote.
            let sender = sms::hex::decode_hex(pdu.hex.trim())
                .ok()
                .and_then(|b| sms::pdu::originator(&b))
                .map(|a| a.to_string())
                .unwrap_or_default();
            tracing::warn!(imsi = pdu.imsi, modem = %pdu.imei, error = %e, "undecodable PDU kept raw");
            return keep_raw(store, pdu, sender, None, e.to_string(), now);
        }
    };
    let (sender, replyable) = sender_of(&deliver, region);
    let concat = deliver
        .user_data
        .header
        .as_ref()
        .and_then(|h| h.concat)
        .filter(|c| c.total > 1);
    store.write(now, |tx| {
        // Offered again (a late acknowledgement, a retransmission): once.
        if !tx.first_sight(pdu.imsi, pdu.hex)? {
            return Ok(Received::Duplicate);
        }
        let Some(c) = concat else {
            let text = deliver.user_data.content.text();
            return whole(
                tx,
                rules,
                pdu,
                &sender,
                replyable,
                text,
                pdu.hex.to_string(),
                1,
                false,
            );
        };
        let added = tx.add_part(&NewPart {
            sim_imsi: pdu.imsi.unwrap_or(""),
            sender: &sender,
            reference: c.reference,
            wide_ref: c.wide_ref,
            total: c.total,
            seq: c.seq,
            modem_imei: Some(pdu.imei),
            pdu: pdu.hex,
        })?;
        match added {
            PartAdded::Waiting { .. } => Ok(Received::Part),
            PartAdded::Duplicate => Ok(Received::Duplicate),
            PartAdded::Complete(parts) => {
                let pdus: Vec<&str> = parts.iter().map(|p| p.pdu.as_str()).collect();
                let text = join_text(&sender, &pdus);
                whole(
                    tx,
                    rules,
                    pdu,
                    &sender,
                    replyable,
                    text,
                    pdus.join("\n"),
                    c.total,
                    false,
                )
            }
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn whole(
    tx: &mut Tx<'_>,
    rules: &ReplyRules,
    pdu: &Pdu<'_>,
    sender: &str,
    replyable: bool,
    text: Option<String>,
    pdus: String,
    parts: u8,
    incomplete: bool,
) -> Result<Received, StoreError> {
    let row = NewInbound {
        sender: sender.to_string(),
        text,
        received_at: tx.now,
        modem_imei: Some(pdu.imei.to_string()),
        sim_imsi: pdu.imsi.map(str::to_string),
        pdu: pdus,
        parts,
        incomplete,
        error: None,
    };
    let inbox_id = tx.store_inbound(&row)?;
    if let Some(imsi) = pdu.imsi
        && replyable
    {
        tx.stick(sender, imsi)?;
    }
    let handled = replies::handle(
        tx,
        rules,
        &replies::Received {
            inbox_id,
            sender,
            replyable,
            text: row.text.as_deref(),
        },
    )?;
    // Credited to the campaign message it answers, in this transaction.
    let attributed = tx.attribute_campaign_reply(&CampaignReply {
        inbox_id,
        sender,
        sim_imsi: pdu.imsi,
        opted_out: handled.kind == Some("optout"),
        window_ms: i64::from(rules.attribution_days) * 86_400_000,
        received_at: tx.now,
    })?;
    // Queued for email in this transaction too: never lost, never twice.
    crate::email::queue_reply(
        tx,
        rules.email.as_ref(),
        &crate::email::Reply {
            inbox_id,
            row: &row,
            kind: handled.kind,
            attributed: attributed.as_ref(),
        },
    )?;
    emit_inbound(tx, inbox_id, &row, handled.kind)?;
    Ok(Received::Message { inbox_id, handled })
}

fn emit_inbound(tx: &mut Tx<'_>, id: i64, row: &NewInbound, kind: Option<&str>) -> Result<(), StoreError> {
    let undecodable = row.error.is_some();
    tx.emit(
        "inbound",
        &format!("inbox:{id}"),
        &json!({"id": id.to_string(), "from": (!row.sender.is_empty()).then_some(&row.sender), "text": row.text,
                "received_at": rfc3339(row.received_at), "modem": row.modem_imei, "imsi": row.sim_imsi,
                "parts": row.parts, "incomplete": row.incomplete, "kind": kind,
                "undecodable": undecodable, "error": row.error, "pdu": undecodable.then_some(&row.pdu)}),
    )
}

/// The text of a message joined from `pdus` (any order), `None` for data.
fn join_text(sender: &str, pdus: &[&str]) -> Option<String> {
    let parts: Vec<Part> = pdus
        .iter()
        .filter_map(|hex| match sms::decode_hex_pdu(hex).ok()?.tpdu {
            Tpdu::Deliver(d) => Some(Part::of(&d, sender)),
            _ => None,
        })
        .collect();
    reassemble::join(&parts).into_iter().next().and_then(|j| j.text)
}

/// Puts an incomplete message on the opt-out review list when it is from
/// a number (E.164: a person's, not a name or a short code) that has not
/// opted out and mentions an opt-out keyword anywhere; its kind then.
fn review_fragment(
    tx: &mut Tx<'_>,
    keywords: &Keywords,
    id: i64,
    row: &NewInbound,
) -> Result<Option<&'static str>, StoreError> {
    let Some(text) = row.text.as_deref() else {
        return Ok(None);
    };
    let Some(keyword) = keywords.opt_out_anywhere(text) else {
        return Ok(None);
    };
    if !row.sender.starts_with('+') || tx.optout(&row.sender)?.is_some() {
        return Ok(None);
    }
    tx.add_optout_review(id, &row.sender, text, keyword)?;
    tx.set_inbox_kind(id, "optout_review")?;
    Ok(Some("optout_review"))
}

/// Keeps a PDU that is not a readable received message, as received,
/// with `reason`; no reply handling runs on it.
fn keep_raw(
    store: &Store,
    pdu: &Pdu<'_>,
    sender: String,
    text: Option<String>,
    reason: String,
    now: i64,
) -> Result<Received, StoreError> {
    store.write(now, |tx| {
        if !tx.first_sight(pdu.imsi, pdu.hex)? {
            return Ok(Received::Duplicate);
        }
        let row = NewInbound {
            sender,
            text,
            received_at: now,
            modem_imei: Some(pdu.imei.to_string()),
            sim_imsi: pdu.imsi.map(str::to_string),
            pdu: pdu.hex.to_string(),
            parts: 1,
            incomplete: false,
            error: Some(reason),
        };
        let inbox_id = tx.store_inbound(&row)?;
        emit_inbound(tx, inbox_id, &row, None)?;
        Ok(Received::Undecodable { inbox_id })
    })
}

/// Stores every message still missing parts whose first part arrived
/// before `before`, as incomplete (what arrived, in order). They are not
/// read as keywords or votes: a fragment could be misread. One from a
/// person's number that holds an opt-out keyword anywhere goes on the
/// opt-out review list instead of being ignored. Returns the inbox ids.
pub fn flush_stale(
    store: &Store,
    keywords: &Keywords,
    before: i64,
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    flush_stale_attributing(store, keywords, None, before, now)
}

/// [`flush_stale`], also crediting each message stored incomplete to the
/// campaign message it answers as a reply (never as an opt-out: a fragment
/// is not read), within `attribution_days` before it arrived.
pub fn flush_stale_attributing(
    store: &Store,
    keywords: &Keywords,
    attribution_days: Option<u32>,
    before: i64,
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    flush_stale_inner(store, keywords, attribution_days, None, before, now)
}

/// [`flush_stale_attributing`] with `rules`' keywords and attribution
/// window, also queueing each message stored incomplete for email when
/// `rules.email` selects it (in the same transaction).
pub fn flush_stale_with(
    store: &Store,
    rules: &ReplyRules,
    before: i64,
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    flush_stale_inner(
        store,
        &rules.keywords,
        Some(rules.attribution_days),
        rules.email.as_ref(),
        before,
        now,
    )
}

fn flush_stale_inner(
    store: &Store,
    keywords: &Keywords,
    attribution_days: Option<u32>,
    email: Option<&crate::email::EmailRules>,
    before: i64,
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    store.write(now, |tx| {
        let groups: Vec<StaleGroup> = tx.take_stale_parts(before)?;
        let mut ids = Vec::with_capacity(groups.len());
        for g in groups {
            let pdus: Vec<&str> = g.parts.iter().map(|p| p.pdu.as_str()).collect();
            let row = NewInbound {
                sender: g.sender.clone(),
                text: join_text(&g.sender, &pdus),
                received_at: g.parts.iter().map(|p| p.received_at).max().unwrap_or(now),
                modem_imei: g.parts.first().and_then(|p| p.modem_imei.clone()),
                sim_imsi: (!g.sim_imsi.is_empty()).then(|| g.sim_imsi.clone()),
                pdu: pdus.join("\n"),
                parts: g.total,
                incomplete: true,
                error: None,
            };
            let id = tx.store_inbound(&row)?;
            let review = review_fragment(tx, keywords, id, &row)?;
            let mut attributed = None;
            if let Some(days) = attribution_days {
                attributed = tx.attribute_campaign_reply(&CampaignReply {
                    inbox_id: id,
                    sender: &row.sender,
                    sim_imsi: row.sim_imsi.as_deref(),
                    opted_out: false,
                    window_ms: i64::from(days) * 86_400_000,
                    received_at: row.received_at,
                })?;
            }
            crate::email::queue_reply(
                tx,
                email,
                &crate::email::Reply {
                    inbox_id: id,
                    row: &row,
                    kind: review,
                    attributed: attributed.as_ref(),
                },
            )?;
            emit_inbound(tx, id, &row, review)?;
            ids.push(id);
        }
        Ok(ids)
    })
}
