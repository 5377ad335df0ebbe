//! Message statuses and history entries.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its `send_at`.
    Scheduled,
    /// Waiting for a SIM.
    Queued,
    /// Handed to a modem; may be on its way.
    Sending,
    /// Accepted by the network.
    Sent,
    /// The handset has it (status report).
    Delivered,
    /// Will not be delivered.
    Failed,
    /// May or may not have reached the network; not re-sent.
    Unknown,
    /// Cancelled before sending.
    Cancelled,
    /// Its validity ran out before it could be sent.
    Expired,
    /// Not sent: the recipient opted out.
    Suppressed,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 10] = [
        Status::Scheduled,
        Status::Queued,
        Status::Sending,
        Status::Sent,
        Status::Delivered,
        Status::Failed,
        Status::Unknown,
        Status::Cancelled,
        Status::Expired,
        Status::Suppressed,
    ];

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
            Status::Unknown => "unknown",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Suppressed => "suppressed",
        }
    }

    /// Whether nothing more will happen to the message.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            Status::Scheduled | Status::Queued | Status::Sending | Status::Sent
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

/// One entry of a message's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The status entered.
    pub status: Status,
    /// When, unix ms.
    pub at: i64,
    /// Why, in words.
    pub reason: Option<String>,
}

pub(crate) fn status_from_sql(s: String) -> rusqlite::Result<Status> {
    s.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

/// Why the gateway sends a message, when it is not the API's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A reply the gateway sends by itself (help, survey clarification).
    AutoReply,
    /// The one message an opted-out number still gets: the confirmation.
    OptOutConfirmation,
    /// A survey question.
    Survey,
    /// The double opt-in request to a pending contact ("Reply YES to …").
    ConsentRequest,
    /// The thank-you SMS after a call to a tracking SIM (`[calls] thanks`).
    CallThanks,
}

impl MessageKind {
    /// The name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::AutoReply => "auto_reply",
            MessageKind::OptOutConfirmation => "optout_confirmation",
            MessageKind::Survey => "survey",
            MessageKind::ConsentRequest => "consent_request",
            MessageKind::CallThanks => "call_thanks",
        }
    }
}

/// Why a message is sent, for consent: `transactional` (an order, a code,
/// a reminder: sent to anyone who has not opted out) or `marketing` (needs
/// a contact who opted in: checked when accepted and again when claimed).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Receipts, codes, reminders (the default).
    #[default]
    Transactional,
    /// News and offers: only to contacts whose consent is `opted_in`.
    Marketing,
}

impl Category {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Transactional => "transactional",
            Category::Marketing => "marketing",
        }
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "transactional" => Ok(Category::Transactional),
            "marketing" => Ok(Category::Marketing),
            other => Err(format!("unknown category {other:?}")),
        }
    }
}
