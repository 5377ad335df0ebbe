//! Replies by email (`[email]`): received messages the rules select are
//! queued in a durable outbox in the very transaction that stores them
//! (so a crash neither loses one nor queues one twice), then sent through
//! an SMTP server (lettre, rustls with `ring`) one by one or as an hourly
//! digest, retried with backoff while the server is down, and marked
//! failed with the reason when it refuses them for good.
//!
//! - [`queue_reply`]: the hook inbound calls inside the reply's transaction.
//! - [`compose`]: the email itself (headers, UTF-8 subject and body).
//! - [`smtp`]: one SMTP conversation, with its errors sorted into "try
//!   again later" and "never".
//! - [`worker`]: the loop that sends, woken by commits and by known deadlines.

pub mod compose;
pub mod smtp;
pub mod worker;

use chrono::{DateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{EmailMode, EmailReplies};
use crate::store::{Attributed, ContactKey, NewInbound, StoreError, Tx};

pub use worker::run;

/// The zone emails show times in and digests follow the hours of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// An IANA zone (`email.time_zone`).
    Named(chrono_tz::Tz),
    /// The machine's own zone (`/etc/localtime`, `TZ`).
    Local,
}

impl Zone {
    /// `email.time_zone`, or the machine's zone when `None` (an unknown
    /// name is refused by config validation; here it falls back to local).
    pub fn from_config(name: Option<&str>) -> Zone {
        name.and_then(|n| n.parse().ok()).map_or(Zone::Local, Zone::Named)
    }

    /// Offset from UTC at `ms`, in seconds.
    pub fn offset_secs(&self, ms: i64) -> i32 {
        let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
        match self {
            Zone::Named(tz) => tz
                .offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc(),
            Zone::Local => chrono::Local
                .offset_from_utc_datetime(&utc.naive_utc())
                .local_minus_utc(),
        }
    }

    /// `ms` as `2026-12-01 09:15:02 MSK` (the zone's abbreviation, or its
    /// offset when it has none).
    pub fn format(&self, ms: i64) -> String {
        let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
        match self {
            Zone::Named(tz) => utc.with_timezone(tz).format("%Y-%m-%d %H:%M:%S %Z").to_string(),
            Zone::Local => utc
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string(),
        }
    }

    /// The next top of the hour in this zone strictly after `ms` (unix
    /// ms): when an hourly digest holding a reply received at `ms` goes.
    /// Offsets of half or quarter hours (India, Nepal) are followed.
    pub fn next_hour(&self, ms: i64) -> i64 {
        const HOUR: i64 = 3_600_000;
        let local = ms + i64::from(self.offset_secs(ms)) * 1000;
        ms - local.rem_euclid(HOUR) + HOUR
    }
}

/// Which received messages are emailed, and when (from `[email]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailRules {
    /// Which replies.
    pub replies: EmailReplies,
    /// At once or in the hourly digest.
    pub mode: EmailMode,
    /// The zone of the digest's hours.
    pub zone: Zone,
}

/// What an email about one reply shows: a snapshot taken when the reply is
/// stored (stored as JSON in the outbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyMail {
    /// Inbox id.
    pub inbox_id: i64,
    /// Sender (E.164 for a number).
    pub from: String,
    /// The contact's name, if the number is a contact with one.
    pub name: Option<String>,
    /// Text; `None` for a data message.
    pub text: Option<String>,
    /// When it arrived (unix ms).
    pub received_at: i64,
    /// SIM it arrived on.
    pub sim_imsi: Option<String>,
    /// Modem (IMEI).
    pub modem: Option<String>,
    /// What the gateway read it as (optout, help, vote, comment…).
    pub kind: Option<String>,
    /// Some parts never came.
    pub incomplete: bool,
    /// The campaign message it answers.
    pub campaign: Option<CampaignRef>,
}

/// A campaign a reply answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRef {
    /// Campaign id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The variant the recipient got.
    pub variant: Option<String>,
}

/// Kinds of replies the gateway answers or counts by itself: not
/// forwarded under `replies = "non_keyword"`. A survey comment (an answer
/// that is not a vote) and a reply waiting for opt-out review are a
/// person's words, so they are forwarded.
pub const KEYWORD_KINDS: &[&str] = &["optout", "optin", "help", "join", "consent", "vote"];

/// Whether a reply read as `kind`, credited to a campaign or not, is
/// emailed under `replies`.
pub fn wanted(replies: EmailReplies, kind: Option<&str>, attributed: bool) -> bool {
    match replies {
        EmailReplies::All => true,
        EmailReplies::Campaign => attributed,
        EmailReplies::NonKeyword => !kind.is_some_and(|k| KEYWORD_KINDS.contains(&k)),
    }
}

/// A stored reply as [`queue_reply`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// Inbox id.
    pub inbox_id: i64,
    /// The stored row.
    pub row: &'a NewInbound,
    /// What it was read as.
    pub kind: Option<&'a str>,
    /// The campaign message it was credited to.
    pub attributed: Option<&'a Attributed>,
}

/// Queues `reply` for email in `tx` (the transaction storing it) if
/// `rules` select it; returns whether it was queued. Due at once, or at
/// the next top of the hour for the digest.
pub fn queue_reply(
    tx: &mut Tx<'_>,
    rules: Option<&EmailRules>,
    reply: &Reply<'_>,
) -> Result<bool, StoreError> {
    let Some(rules) = rules else {
        return Ok(false);
    };
    if !wanted(rules.replies, reply.kind, reply.attributed.is_some()) {
        return Ok(false);
    }
    let row = reply.row;
    let name = if row.sender.starts_with('+') {
        tx.contact(&ContactKey::Phone(row.sender.clone()))?
            .and_then(|c| c.name)
    } else {
        None
    };
    let campaign = match reply.attributed {
        Some(a) => tx
            .campaign_label(a.campaign_id, a.seq)?
            .map(|(name, variant)| CampaignRef {
                id: a.campaign_id,
                name,
                variant,
            }),
        None => None,
    };
    let mail = ReplyMail {
        inbox_id: reply.inbox_id,
        from: row.sender.clone(),
        name,
        text: row.text.clone(),
        received_at: row.received_at,
        sim_imsi: row.sim_imsi.clone(),
        modem: row.modem_imei.clone(),
        kind: reply.kind.map(str::to_string),
        incomplete: row.incomplete,
        campaign,
    };
    let data = serde_json::to_string(&mail).unwrap_or_default();
    let due = match rules.mode {
        EmailMode::Immediate => tx.now,
        EmailMode::Hourly => rules.zone.next_hour(tx.now),
    };
    tx.queue_email(reply.inbox_id, &data, due)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_goes_at_the_next_top_of_the_hour_in_the_zone() {
        // 2026-12-01T09:20:00Z.
        let t = 1_796_116_800_000;
        let moscow = Zone::Named("Europe/Moscow".parse().unwrap());
        assert_eq!(moscow.next_hour(t), t + 40 * 60_000);
        let kolkata = Zone::Named("Asia/Kolkata".parse().unwrap());
        // 14:50 in Kolkata (+05:30): the digest goes at 15:00 there.
        assert_eq!(kolkata.next_hour(t), t + 10 * 60_000);
        // Exactly on the hour: the next one, not now.
        assert_eq!(moscow.next_hour(t + 40 * 60_000), t + 100 * 60_000);
        assert_eq!(moscow.format(t), "2026-12-01 12:20:00 MSK");
    }

    #[test]
    fn non_keyword_leaves_out_what_the_gateway_handles_itself() {
        for k in ["optout", "optin", "help", "join", "consent", "vote"] {
            assert!(!wanted(EmailReplies::NonKeyword, Some(k), true), "{k}");
            assert!(wanted(EmailReplies::All, Some(k), false), "{k}");
        }
        for k in [None, Some("comment"), Some("optout_review")] {
            assert!(wanted(EmailReplies::NonKeyword, k, false), "{k:?}");
        }
        assert!(!wanted(EmailReplies::Campaign, None, false));
        assert!(wanted(EmailReplies::Campaign, Some("optout"), true));
    }
}
