//! Starting a campaign: its start and deadline fixed, its audience read
//! (segment, filter or listed numbers) page by page, each contact either
//! pending (consent, active, not opted out) or excluded with the reason,
//! its zone resolved and its variant (or A/B test share) drawn, then all
//! stored in one transaction. Memory holds one page of contacts and a
//! compact row per recipient, never the contacts themselves.

use std::collections::HashSet;

use chrono_tz::Tz;

use super::CampaignStatus;
use super::rules::CampaignRules;
use super::spec::{Audience, ContactRef, Spec};
use super::variant;
use crate::contacts::{ConsentStatus, Contact, ContactStatus};
use crate::phone::Msisdn;
use crate::store::{
    CampaignRow, CampaignStoreError, ContactKey, NewRecipient, SegmentError, Store, StoreError,
};

/// Contacts read per page.
const PAGE: usize = 500;

/// Furthest ahead a campaign may be scheduled: 366 days.
const MAX_LEAD_MS: i64 = 366 * 86_400_000;

/// Why a campaign did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No such campaign.
    #[error("no campaign {0}")]
    NotFound(i64),
    /// Not a draft.
    #[error("campaign {id} is {status}: only a draft can be started")]
    WrongStatus {
        /// Campaign.
        id: i64,
        /// Where it is.
        status: CampaignStatus,
    },
    /// The audience cannot be read (its segment was deleted, its filter
    /// names something that is gone).
    #[error("audience: {0}")]
    Audience(String),
    /// Its times do not work now (deadline passed, no time to test).
    #[error("{0}")]
    Timing(String),
    /// Nobody in the audience may get it.
    #[error("nobody in the audience may receive it: {0}")]
    EmptyAudience(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CampaignStoreError> for StartError {
    fn from(e: CampaignStoreError) -> Self {
        match e {
            CampaignStoreError::NotFound(id) => StartError::NotFound(id),
            CampaignStoreError::WrongStatus { id, status } => StartError::WrongStatus { id, status },
            CampaignStoreError::Store(e) => StartError::Store(e),
        }
    }
}

/// When a campaign started at `now` begins and ends (unix ms).
pub fn timing(spec: &Spec, rules: &CampaignRules, now: i64) -> Result<(i64, i64), StartError> {
    let start_at = spec.start_at.unwrap_or(now).max(now);
    if start_at - now > MAX_LEAD_MS {
        return Err(StartError::Timing(format!(
            "its start_at {} is more than 366 days away; start it closer to the send",
            crate::store::rfc3339(start_at)
        )));
    }
    let deadline = spec
        .deadline
        .unwrap_or(start_at + i64::from(rules.deadline_hours) * 3_600_000);
    if deadline <= now {
        return Err(StartError::Timing(format!(
            "its deadline {} has passed; set a later deadline",
            crate::store::rfc3339(deadline)
        )));
    }
    if let Some(ab) = &spec.ab_test {
        let decide = start_at + ab.decide_after_secs * 1000;
        if decide >= deadline {
            return Err(StartError::Timing(format!(
                "the A/B test would decide at {}, not before the deadline {}: the winner could not be sent; shorten ab_test.decide_after or set a later deadline",
                crate::store::rfc3339(decide),
                crate::store::rfc3339(deadline)
            )));
        }
    }
    Ok((start_at, deadline))
}

/// Why a contact may not get a marketing message, if it may not:
/// `(reason code, words)`.
pub fn exclusion(c: &Contact) -> Option<(&'static str, String)> {
    if let Some(o) = &c.opted_out {
        return Some(("opted_out", o.reason()));
    }
    if c.status == ContactStatus::Invalid {
        return Some((
            "invalid",
            format!(
                "the number is invalid: {}",
                c.status_reason.as_deref().unwrap_or("the network refused it")
            ),
        ));
    }
    match c.consent.status {
        ConsentStatus::OptedIn => None,
        ConsentStatus::Pending => Some((
            "no_consent",
            "consent pending: the contact has not confirmed".into(),
        )),
        ConsentStatus::None => Some(("no_consent", "no consent recorded".into())),
    }
}

/// Fixes the audience of draft `id` and schedules it.
pub fn start(store: &Store, id: i64, rules: &CampaignRules, now: i64) -> Result<CampaignRow, StartError> {
    let row = store.campaign(id)?.ok_or(StartError::NotFound(id))?;
    if row.status != CampaignStatus::Draft {
        return Err(StartError::WrongStatus {
            id,
            status: row.status,
        });
    }
    let (start_at, deadline) = timing(&row.spec, rules, now)?;
    let recipients = audience(store, &row, rules, now)?;
    if !recipients.iter().any(|r| r.excluded.is_none()) {
        return Err(StartError::EmptyAudience(summary(&recipients)));
    }
    // A reply counts as a vote (and for the campaign) while it would be
    // attributed to the campaign's message.
    let survey_closes_at = deadline + i64::from(rules.attribution_days) * 86_400_000;
    Ok(store.start_campaign_until(id, &recipients, start_at, deadline, survey_closes_at, now)?)
}

fn summary(recipients: &[NewRecipient]) -> String {
    if recipients.is_empty() {
        return "the audience is empty".into();
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for r in recipients {
        if let Some((reason, _)) = &r.excluded {
            match counts.iter_mut().find(|(k, _)| k == reason) {
                Some((_, n)) => *n += 1,
                None => counts.push((reason, 1)),
            }
        }
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Builder<'a> {
    id: i64,
    spec: &'a Spec,
    rules: &'a CampaignRules,
    seen: HashSet<String>,
    out: Vec<NewRecipient>,
}

impl Builder<'_> {
    fn zone(&self, c: Option<&Contact>) -> String {
        c.and_then(|c| c.time_zone.as_deref())
            .filter(|z| z.parse::<Tz>().is_ok())
            .unwrap_or(&self.rules.default_time_zone)
            .to_string()
    }

    fn add(&mut self, phone: String, contact: Option<&Contact>, excluded: Option<(&'static str, String)>) {
        if !self.seen.insert(phone.clone()) {
            return;
        }
        let (phase, variant) = match &self.spec.ab_test {
            Some(ab) if !variant::in_test(self.id, &phone, ab.test_share) => ("rest", None),
            Some(_) => ("test", Some(variant::pick(self.id, &phone, &self.spec.variants))),
            None => ("all", Some(variant::pick(self.id, &phone, &self.spec.variants))),
        };
        let time_zone = self.zone(contact);
        self.out.push(NewRecipient {
            contact_id: contact.map(|c| c.id),
            phone,
            time_zone,
            variant: variant
                .and_then(|i| self.spec.variants.get(i))
                .map(|v| v.name.clone()),
            phase,
            excluded,
        });
    }

    fn contact(&mut self, c: &Contact) {
        let excluded = exclusion(c);
        self.add(c.phone.clone(), Some(c), excluded);
    }
}

fn audience(
    store: &Store,
    row: &CampaignRow,
    rules: &CampaignRules,
    now: i64,
) -> Result<Vec<NewRecipient>, StartError> {
    let mut b = Builder {
        id: row.id,
        spec: &row.spec,
        rules,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    let filter = match &row.spec.audience {
        Audience::Segment(seg) => Some(
            store
                .segment_filter(*seg)
                .map_err(segment_error)?
                .ok_or_else(|| StartError::Audience(format!("segment {seg} no longer exists")))?,
        ),
        Audience::Filter(json) => Some(store.parse_filter(json).map_err(segment_error)?),
        Audience::Contacts(list) => {
            for entry in list {
                match entry {
                    ContactRef::Id(cid) => match store.contact(&ContactKey::Id(*cid))? {
                        Some(c) => b.contact(&c),
                        None => {
                            return Err(StartError::Audience(format!("no contact {cid}")));
                        }
                    },
                    ContactRef::Phone(p) => match Msisdn::parse(p, rules.region) {
                        Err(e) => return Err(StartError::Audience(format!("{p:?}: {e}"))),
                        Ok(n) => match store.contact(&ContactKey::Phone(n.as_str().to_string()))? {
                            Some(c) => b.contact(&c),
                            None => b.add(
                                n.as_str().to_string(),
                                None,
                                Some(("no_consent", "not a contact: no consent recorded".into())),
                            ),
                        },
                    },
                }
            }
            None
        }
    };
    if let Some(filter) = filter {
        let mut after = 0;
        loop {
            let page = store.segment_contacts(&filter, now, false, after, PAGE)?;
            for c in &page {
                b.contact(c);
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = last.id,
                _ => break,
            }
        }
    }
    Ok(b.out)
}

fn segment_error(e: SegmentError) -> StartError {
    match e {
        SegmentError::Store(e) => StartError::Store(e),
        other => StartError::Audience(other.to_string()),
    }
}
