//! Starting a campaign: its start and deadline fixed, its audience read
//! (segment, filter or listed numbers) page by page, each contact either
//! pending (consent, active, not opted out) or excluded with the reason,
//! its zone resolved and each variant rendered for it (a variant nobody
//! it may go to can render refuses the start; recipients who will be
//! skipped are counted in `status_reason`), then the variants split
//! exactly by weight (the A/B test share, then each group, by
//! [`variant::split`]) and all stored in one transaction. Memory holds one
//! page of contacts and a compact row per recipient, never the contacts
//! themselves.

use std::collections::HashSet;
use std::time::{Duration, Instant};

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
use crate::templates::Template;

/// Contacts read per page.
const PAGE: usize = 500;

/// Longest the start spends rendering the variants for its audience; past
/// it the rest are not checked (the feed still renders each message).
const RENDER_BUDGET: Duration = Duration::from_secs(3);

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
    /// A variant renders for none of the recipients it may go to (API:
    /// 422 `render_failed`).
    #[error(
        "variant {variant:?} cannot be rendered for any of its {recipients} recipients: {reason}; give those contacts the value, add a default (`{{{{ x | default('…') }}}}`) or change the text"
    )]
    RenderFailed {
        /// The variant's name.
        variant: String,
        /// Recipients it may go to.
        recipients: usize,
        /// The first failure in words (`attributes.shoe_size is missing`).
        reason: String,
    },
    /// `{{ tracking_number }}` cannot be filled: no `call_tracking`, or
    /// its SIM's number is unknown (API: 422 `call_tracking`).
    #[error("{0}")]
    CallTracking(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::calls::TrackingError> for StartError {
    fn from(e: crate::calls::TrackingError) -> Self {
        match e {
            crate::calls::TrackingError::NoTracking(m) => StartError::CallTracking(m),
            crate::calls::TrackingError::Store(e) => StartError::Store(e),
        }
    }
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
    let (mut recipients, renders) = audience(store, &row, rules, now)?;
    if !recipients.iter().any(|r| r.excluded.is_none()) {
        return Err(StartError::EmptyAudience(summary(&recipients)));
    }
    let chosen = plan_variants(row.id, &row.spec, &mut recipients)?;
    let note = renders.check(&row.spec, &recipients, &chosen)?;
    // A reply counts as a vote (and for the campaign) while it would be
    // attributed to the campaign's message.
    let survey_closes_at = deadline + i64::from(rules.attribution_days) * 86_400_000;
    Ok(store.start_campaign_noted(
        id,
        &recipients,
        start_at,
        deadline,
        survey_closes_at,
        note.as_deref(),
        now,
    )?)
}

/// Gives each recipient its phase and variant: with an A/B test, exactly
/// `round(test_share · n)` of the pending (and of the excluded) recipients
/// form the test share, split exactly by weight with every variant at
/// least one; the rest waits for the winner. Without, each group is split
/// exactly by weight. Returns each recipient's variant index (`None`: the
/// rest). Refuses a test share smaller than the number of variants.
pub fn plan_variants(
    id: i64,
    spec: &Spec,
    recipients: &mut [NewRecipient],
) -> Result<Vec<Option<usize>>, StartError> {
    let mut chosen: Vec<Option<usize>> = vec![None; recipients.len()];
    for pending in [true, false] {
        let idx: Vec<usize> = (0..recipients.len())
            .filter(|&i| recipients[i].excluded.is_none() == pending)
            .collect();
        let phones: Vec<&str> = idx.iter().map(|&i| recipients[i].phone.as_str()).collect();
        let (group, phase): (Vec<usize>, &'static str) = match &spec.ab_test {
            None => (idx.clone(), "all"),
            Some(ab) => {
                let test = variant::test_share(id, &phones, ab.test_share);
                let group: Vec<usize> = idx
                    .iter()
                    .zip(&test)
                    .filter(|(_, t)| **t)
                    .map(|(i, _)| *i)
                    .collect();
                if pending && group.len() < spec.variants.len() {
                    return Err(StartError::Audience(format!(
                        "the A/B test share of {} recipient{} ({} of {} who may receive it) cannot test {} variants: raise ab_test.test_share or drop ab_test",
                        group.len(),
                        if group.len() == 1 { "" } else { "s" },
                        ab.test_share,
                        idx.len(),
                        spec.variants.len()
                    )));
                }
                (group, "test")
            }
        };
        let group_phones: Vec<&str> = group.iter().map(|&i| recipients[i].phone.as_str()).collect();
        let split = variant::split(id, &group_phones, &spec.variants, pending && phase == "test");
        let in_group: HashSet<usize> = group.iter().copied().collect();
        for &i in &idx {
            if !in_group.contains(&i) {
                recipients[i].phase = "rest";
                recipients[i].variant = None;
            }
        }
        for (&i, v) in group.iter().zip(split) {
            recipients[i].phase = phase;
            recipients[i].variant = spec.variants.get(v).map(|v| v.name.clone());
            chosen[i] = Some(v);
        }
    }
    Ok(chosen)
}

/// Which variants fail to render for which pending recipients, as found
/// during the audience pass.
#[derive(Default)]
struct Renders {
    /// Per recipient (by index): bit `v` set if variant `v` fails for it.
    failed: Vec<u16>,
    /// Whether each recipient was checked (the time budget may run out).
    checked: Vec<bool>,
    /// Per variant: the first failure in words.
    first: Vec<Option<String>>,
}

impl Renders {
    /// Refuses a variant that fails for every checked pending recipient it
    /// may go to (its own, and the rest of an A/B test); otherwise the
    /// recipients who will (or, waiting for the winner, may) be skipped,
    /// in words.
    fn check(
        &self,
        spec: &Spec,
        recipients: &[NewRecipient],
        chosen: &[Option<usize>],
    ) -> Result<Option<String>, StartError> {
        let n = spec.variants.len();
        let mut goes = vec![0usize; n];
        let mut fails = vec![0usize; n];
        let mut skipped = 0usize;
        let mut rest_may = 0usize;
        for (i, r) in recipients.iter().enumerate() {
            if r.excluded.is_some() || !self.checked.get(i).copied().unwrap_or(false) {
                continue;
            }
            let mask = self.failed.get(i).copied().unwrap_or(0);
            let fails_for = |v: usize| mask & (1 << v) != 0;
            match chosen.get(i).copied().flatten() {
                Some(v) => {
                    goes[v] += 1;
                    if fails_for(v) {
                        fails[v] += 1;
                        skipped += 1;
                    }
                }
                None => {
                    for v in 0..n {
                        goes[v] += 1;
                        if fails_for(v) {
                            fails[v] += 1;
                        }
                    }
                    if mask != 0 {
                        rest_may += 1;
                    }
                }
            }
        }
        for (v, variant) in spec.variants.iter().enumerate() {
            if goes[v] > 0 && fails[v] == goes[v] {
                return Err(StartError::RenderFailed {
                    variant: variant.name.clone(),
                    recipients: goes[v],
                    reason: self
                        .first
                        .get(v)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| "it does not render".into()),
                });
            }
        }
        let mut words = Vec::new();
        if skipped > 0 {
            let detail: Vec<String> = spec
                .variants
                .iter()
                .enumerate()
                .filter(|(v, _)| fails[*v] > 0 && self.first.get(*v).is_some_and(Option::is_some))
                .map(|(v, var)| {
                    format!(
                        "variant {:?}: {}",
                        var.name,
                        self.first[v].as_deref().unwrap_or("")
                    )
                })
                .collect();
            words.push(format!(
                "{skipped} recipient{} will be skipped: the text does not render for them ({})",
                if skipped == 1 { "" } else { "s" },
                detail.join("; ")
            ));
        }
        if rest_may > 0 {
            words.push(format!(
                "{rest_may} of the rest may be skipped, depending on the A/B winner: some variant does not render for them"
            ));
        }
        Ok((!words.is_empty()).then(|| words.join("; ")))
    }
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
    rules: &'a CampaignRules,
    seen: HashSet<String>,
    out: Vec<NewRecipient>,
    /// Each variant's template, if it has variables that may be missing
    /// (`None`: renders alike for everyone, not checked per contact).
    templates: Vec<Option<Template>>,
    /// The campaign's `{{ tracking_number }}`, if it uses one.
    tracking_number: Option<String>,
    renders: Renders,
    /// Rendering stops when this passes.
    render_until: Instant,
}

impl Builder<'_> {
    fn zone(&self, c: Option<&Contact>) -> String {
        c.and_then(|c| c.time_zone.as_deref())
            .filter(|z| z.parse::<Tz>().is_ok())
            .unwrap_or(&self.rules.default_time_zone)
            .to_string()
    }

    /// Which variants fail for `c` (bit per variant), noting the first
    /// failure of each.
    fn render(&mut self, c: &Contact) -> u16 {
        let mut mask = 0u16;
        // A promo code and links as the real messages will have them.
        let (code, links) = crate::attribution::preview_extras(
            &self.rules.attribution,
            &crate::attribution::Target::default(),
        );
        let extras = crate::templates::Extras {
            promo_code: Some(&code),
            links: Some(links),
            tracking_number: self.tracking_number.as_deref(),
            ..Default::default()
        };
        for (v, t) in self.templates.iter().enumerate() {
            let Some(t) = t else { continue };
            let failure = match t.render_with(c, &self.rules.default_time_zone, &extras) {
                Err(e) => Some(match e.failure.variable() {
                    Some(var) => format!(
                        "{var} is {}",
                        if e.failure.code() == "empty_variable" {
                            "empty"
                        } else {
                            "missing"
                        }
                    ),
                    None => e.failure.to_string(),
                }),
                Ok(text) if crate::templates::blank(&text) => Some("it renders an empty text".into()),
                Ok(text) => crate::sms::check_text(&text)
                    .err()
                    .map(|e| format!("it renders a text that cannot be sent: {e}")),
            };
            if let Some(f) = failure {
                mask |= 1 << v;
                if let Some(slot) = self.renders.first.get_mut(v)
                    && slot.is_none()
                {
                    *slot = Some(f);
                }
            }
        }
        mask
    }

    fn add(&mut self, phone: String, contact: Option<&Contact>, excluded: Option<(&'static str, String)>) {
        if !self.seen.insert(phone.clone()) {
            return;
        }
        let (mask, checked) = match contact {
            Some(c) if excluded.is_none() && Instant::now() < self.render_until => (self.render(c), true),
            _ => (0, false),
        };
        self.renders.failed.push(mask);
        self.renders.checked.push(checked);
        let time_zone = self.zone(contact);
        self.out.push(NewRecipient {
            contact_id: contact.map(|c| c.id),
            phone,
            time_zone,
            // Set by `assign` once the whole audience is known.
            variant: None,
            phase: "all",
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
) -> Result<(Vec<NewRecipient>, Renders), StartError> {
    let templates = row
        .spec
        .variants
        .iter()
        .map(|v| {
            Template::compile(&v.text)
                .ok()
                .filter(|t| !t.variables().is_empty())
        })
        .collect();
    let tracking_number = crate::calls::tracking_number(store, &row.spec)?;
    let mut b = Builder {
        rules,
        seen: HashSet::new(),
        out: Vec::new(),
        templates,
        tracking_number,
        renders: Renders {
            first: vec![None; row.spec.variants.len()],
            ..Renders::default()
        },
        render_until: Instant::now() + RENDER_BUDGET,
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
    Ok((b.out, b.renders))
}

fn segment_error(e: SegmentError) -> StartError {
    match e {
        SegmentError::Store(e) => StartError::Store(e),
        other => StartError::Audience(other.to_string()),
    }
}
