//! A campaign's lifecycle: `draft` → `scheduled` → `running` ⇄ `paused` →
//! `completed` | `cancelled`, and which action moves it where.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Where a campaign is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Being written: may be changed (`PATCH`), sends nothing.
    Draft,
    /// Started, audience fixed, waiting for `start_at`.
    Scheduled,
    /// Sending.
    Running,
    /// Stopped by the user; `resume` goes on where it stopped.
    Paused,
    /// Every recipient sent, expired or excluded.
    Completed,
    /// Stopped for good; what was not sent never will be.
    Cancelled,
}

impl CampaignStatus {
    /// Every status.
    pub const ALL: [CampaignStatus; 6] = [
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
        CampaignStatus::Running,
        CampaignStatus::Paused,
        CampaignStatus::Completed,
        CampaignStatus::Cancelled,
    ];

    /// The name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Running => "running",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Completed => "completed",
            CampaignStatus::Cancelled => "cancelled",
        }
    }

    /// Whether nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, CampaignStatus::Completed | CampaignStatus::Cancelled)
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CampaignStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CampaignStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown campaign status {s:?}"))
    }
}

/// What a user asks of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Fix the audience and schedule (or begin) sending.
    Start,
    /// Stop sending for now.
    Pause,
    /// Go on after a pause.
    Resume,
    /// Stop for good.
    Cancel,
}

impl Action {
    /// Its name in the API path.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
        }
    }

    /// The statuses it applies to.
    pub fn from_statuses(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Action::Start => &[Draft],
            Action::Pause => &[Scheduled, Running],
            Action::Resume => &[Paused],
            Action::Cancel => &[Draft, Scheduled, Running, Paused],
        }
    }
}
