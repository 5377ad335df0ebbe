//! The email about one reply, or the hourly digest of several: `From`,
//! `To`, `Subject` (RFC 2047 encoded when not ASCII), `Date`, a stable
//! `Message-ID` (the same on every retry, so a mail client can drop a copy
//! the server accepted twice), and a UTF-8 plain-text body (quoted-printable
//! or base64, as lettre picks) with the reply's text, the number, the
//! contact's name, the time in the gateway's zone and in UTC, the campaign
//! and variant it answers and the SIM that received it.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::SinglePart;
use lettre::message::{Mailbox, MessageBuilder};

use super::{ReplyMail, Zone};

/// Builds emails from outbox snapshots.
#[derive(Debug, Clone)]
pub struct Composer {
    /// `From`.
    pub from: Mailbox,
    /// `To`.
    pub to: Vec<Mailbox>,
    /// The zone times are shown in.
    pub zone: Zone,
}

impl Composer {
    /// From `email.from` and `email.to` (checked by config validation).
    pub fn new(from: &str, to: &[String], zone: Zone) -> Result<Composer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("email.from: {e}"))?;
        let to = to
            .iter()
            .map(|t| t.parse::<Mailbox>().map_err(|e| format!("email.to: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Composer { from, to, zone })
    }

    fn builder(&self, now_ms: i64, subject: String, message_id: String) -> MessageBuilder {
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .date(SystemTime::UNIX_EPOCH + Duration::from_millis(now_ms.max(0) as u64))
            .message_id(Some(message_id));
        for to in &self.to {
            b = b.to(to.clone());
        }
        b
    }

    fn domain(&self) -> &str {
        self.from.email.domain()
    }

    /// The email about one reply, sent at `now_ms`.
    pub fn single(&self, m: &ReplyMail, now_ms: i64) -> Result<Message, String> {
        let mut subject = format!("SMS reply from {}", who(m));
        if let Some(c) = &m.campaign {
            let _ = write!(subject, " — campaign {}", c.name);
            if let Some(v) = &c.variant {
                let _ = write!(subject, " (variant {v})");
            }
        }
        let id = format!("<sms-reply-{}.{}@{}>", m.inbox_id, m.received_at, self.domain());
        let mut body = String::new();
        self.entry(&mut body, m);
        self.builder(now_ms, one_line(&subject), id)
            .singlepart(SinglePart::plain(body))
            .map_err(|e| e.to_string())
    }

    /// One email holding `replies` (oldest first), sent at `now_ms`.
    pub fn digest(&self, replies: &[ReplyMail], now_ms: i64) -> Result<Message, String> {
        let (Some(first), Some(last)) = (replies.first(), replies.last()) else {
            return Err("an empty digest".into());
        };
        let subject = format!(
            "{} SMS {} received {} – {}",
            replies.len(),
            if replies.len() == 1 { "reply" } else { "replies" },
            self.zone.format(first.received_at),
            self.zone.format(last.received_at)
        );
        let id = format!(
            "<sms-digest-{}-{}.{}@{}>",
            first.inbox_id,
            last.inbox_id,
            replies.len(),
            self.domain()
        );
        let mut body = String::new();
        for (i, m) in replies.iter().enumerate() {
            let _ = writeln!(body, "=== {} of {}: {} ===", i + 1, replies.len(), who(m));
            self.entry(&mut body, m);
            body.push('\n');
        }
        self.builder(now_ms, one_line(&subject), id)
            .singlepart(SinglePart::plain(body))
            .map_err(|e| e.to_string())
    }

    /// One reply: its text, then what is known about it.
    fn entry(&self, out: &mut String, m: &ReplyMail) {
        match &m.text {
            Some(t) => {
                out.push_str(t);
                out.push('\n');
            }
            None => out.push_str("(not text: a data message)\n"),
        }
        out.push_str("\n--\n");
        let _ = writeln!(out, "From: {}", who(m));
        let utc = DateTime::<Utc>::from_timestamp_millis(m.received_at).unwrap_or_default();
        let _ = writeln!(
            out,
            "Received: {} ({} UTC)",
            self.zone.format(m.received_at),
            utc.format("%Y-%m-%d %H:%M:%S")
        );
        if let Some(c) = &m.campaign {
            let _ = write!(out, "Campaign: {} (#{})", c.name, c.id);
            if let Some(v) = &c.variant {
                let _ = write!(out, ", variant {v}");
            }
            out.push('\n');
        }
        if let Some(imsi) = &m.sim_imsi {
            let _ = write!(out, "SIM: {imsi}");
            if let Some(modem) = &m.modem {
                let _ = write!(out, " (modem {modem})");
            }
            out.push('\n');
        }
        if let Some(kind) = &m.kind {
            let _ = writeln!(out, "Read as: {kind}");
        }
        if m.incomplete {
            out.push_str("Note: some parts of this message never arrived; this is what came.\n");
        }
        let _ = writeln!(out, "Inbox id: {}", m.inbox_id);
    }
}

/// `+79161234567 (Anna)`, or the number alone.
fn who(m: &ReplyMail) -> String {
    let from = if m.from.is_empty() {
        "(unknown sender)"
    } else {
        &m.from
    };
    match &m.name {
        Some(n) if !n.trim().is_empty() => format!("{from} ({})", n.trim()),
        _ => from.to_string(),
    }
}

/// A header value on one line: a contact name or campaign name with a
/// line break (or another control character) cannot add a header.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::CampaignRef;

    fn mail() -> ReplyMail {
        ReplyMail {
            inbox_id: 7,
            from: "+79161234567".into(),
            name: Some("Анна\r\nBcc: evil@example.org".into()),
            text: Some("Привет! 🚚 Когда доставка?".into()),
            received_at: 1_796_116_800_000,
            sim_imsi: Some("250010000000001".into()),
            modem: Some("356938035643809".into()),
            kind: Some("comment".into()),
            incomplete: false,
            campaign: Some(CampaignRef {
                id: 3,
                name: "Spring sale".into(),
                variant: Some("B".into()),
            }),
        }
    }

    #[test]
    fn a_name_with_a_line_break_cannot_add_a_header() {
        let c = Composer::new(
            "simfleet <sms@shop.example>",
            &["ops@shop.example".into()],
            Zone::Named(chrono_tz::UTC),
        )
        .unwrap();
        let raw = String::from_utf8(c.single(&mail(), 1_796_116_860_000).unwrap().formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(!headers.lines().any(|l| l.starts_with("Bcc:")), "{headers}");
        assert!(
            headers.contains("Message-ID: <sms-reply-7.1796116800000@shop.example>"),
            "{headers}"
        );
        assert!(headers.contains("=?utf-8?b?"), "{headers}");
        // RFC 2045: a MIME body says so, or strict readers show it raw.
        assert!(headers.contains("MIME-Version: 1.0"), "{headers}");
        assert!(
            headers.contains("Content-Type: text/plain; charset=utf-8"),
            "{headers}"
        );
    }
}
