//! The campaign wizard: audience → variants → schedule, window, caps and
//! A/B test → review with the capacity ETA, then "Save as draft" or
//! "Start". Each step is checked with the API's own `check` before the
//! next is shown; "Start" creates (or replaces) the draft with
//! `api::campaigns::create_draft`/`replace_draft` and starts it with
//! `api::campaigns::apply` — the same consent, opt-out, cap and window
//! rules as `POST /v1/campaigns/{id}/start`. A key made when the wizard
//! opened makes a double click or a resubmitted form act once.
//!
//! Live parts (htmx, each also a plain result of the form): the audience
//! count ([`count`]), the variants' preview per sample recipient with
//! segments and cost ([`preview`]), and the exact cost over the whole
//! audience on the review step ([`cost`], loaded after the page).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::form::{STEPS, StepError, VariantRow, Wizard, step_index, step_of_field};
use super::{Claim, ONCE, campaign_id, eta_context, random_key, see_other};
use crate::api::campaign_view::draft_audience;
use crate::api::error::ApiError;
use crate::campaigns::spec::{Audience, ContactRef, MAX_VARIANTS};
use crate::campaigns::{CampaignInput, CampaignStatus, Spec};
use crate::contacts::{AttrType, Contact};
use crate::store::{CampaignRow, ContactKey, SegmentError, Store};
use crate::web::{Viewer, WebError, WebState};

/// Saved segments offered in the audience step.
const SEGMENTS_SHOWN: usize = 200;
/// Recipients rendered for the live preview.
const SAMPLE: usize = 50;
/// Recipients shown per variant in the live preview.
const SHOWN: usize = 3;

type Pairs = Form<Vec<(String, String)>>;

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A [`StepError`] in the viewer's words.
fn step_message(w: &WebState, viewer: &Viewer, e: &StepError) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("what", e.arg.clone());
    w.shared.renderer.catalog().text(viewer.lang, e.id, Some(&args))
}

/// An API error in the viewer's words: the field it names as the wizard
/// labels it, then the library's explanation.
fn api_message(w: &WebState, viewer: &Viewer, e: &ApiError) -> String {
    let c = w.shared.renderer.catalog();
    let t = |id: &str| c.text(viewer.lang, id, None);
    if e.code != "invalid_campaign" {
        let title_id = format!("error-{}", e.code);
        return if c.has(viewer.lang, &title_id) {
            format!("{}: {}", t(&title_id), e.message)
        } else {
            e.message.clone()
        };
    }
    let Some((field, rest)) = e.message.split_once(": ") else {
        return e.message.clone();
    };
    let head = field.split(['.', '[']).next().unwrap_or("");
    let label = match head {
        "name" => t("campaigns-name"),
        "audience" => t("campaigns-step-audience"),
        "variants" => {
            let index = field
                .split_once('[')
                .and_then(|(_, r)| r.split(']').next())
                .and_then(|i| i.parse::<u8>().ok());
            match index {
                Some(i) if i < 26 => {
                    let mut args = fluent_bundle::FluentArgs::new();
                    args.set("name", ((b'A' + i) as char).to_string());
                    c.text(viewer.lang, "campaigns-variant-named", Some(&args))
                }
                _ => t("campaigns-step-variants"),
            }
        }
        "start_at" => t("campaigns-start-at"),
        "deadline" => t("campaigns-deadline"),
        "window" => t("campaigns-window"),
        "rate_per_hour" => t("campaigns-rate"),
        "frequency_cap" => t("campaigns-caps"),
        "ab_test" => t("campaigns-ab"),
        _ => field.to_string(),
    };
    format!("{label}: {rest}")
}

/// What the review step shows.
#[derive(Debug, Default, Serialize)]
struct Review {
    audience: Option<crate::api::campaign_view::DraftAudience>,
    eta: Option<minijinja::Value>,
    segment_name: Option<String>,
    listed: usize,
    window_start: String,
    window_end: String,
    window_days: Vec<String>,
    cap_24h: u32,
    cap_7d: u32,
    start_ms: Option<i64>,
    deadline_ms: Option<i64>,
    ab_share: Option<f64>,
    ab_metric: Option<String>,
    ab_after: Option<(i64, &'static str)>,
}

/// Renders `step` of the wizard `wz`, with `error` shown above it.
async fn render(
    w: &WebState,
    viewer: &Viewer,
    wz: Wizard,
    step: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let step = STEPS[step_index(step)];
    let mut wz = wz;
    if wz.variants.is_empty() {
        // Something to write in (a form posted without the rows).
        wz.variants = Wizard::fresh(String::new(), &w.api.campaigns.window).variants;
    }
    let rules = w.api.campaigns.clone();
    let now = w.now_ms();
    let (segments, attrs) = if step == "audience" {
        w.api
            .store
            .run(move |s| {
                let segs: Vec<(i64, String)> = s
                    .segments(0, SEGMENTS_SHOWN)?
                    .into_iter()
                    .map(|r| (r.id, r.name))
                    .collect();
                let attrs: Vec<String> = s.attribute_types()?.into_keys().collect();
                Ok::<_, crate::store::StoreError>((segs, attrs))
            })
            .await?
    } else {
        (Vec::new(), Vec::new())
    };
    let review = if step == "review" && error.is_none() {
        Some(review(w, viewer, &wz).await?)
    } else {
        None
    };
    let defaults = context! {
        cap_24h => rules.cap.per_24h,
        cap_7d => rules.cap.per_7d,
        window => super::v(rules.window.spec()),
        deadline_hours => rules.deadline_hours,
        currency => rules.currency.clone(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let hidden = wz.hidden_except(step);
    let mut r = w.page(
        "campaigns_wizard.html",
        viewer,
        context! {
            step => step,
            step_no => step_index(step) + 1,
            steps => STEPS,
            wz => super::v(&wz),
            hidden => hidden,
            error => error,
            segments => segments,
            attrs => attrs,
            review => super::v(&review),
            defaults => defaults,
            days => crate::campaigns::window::DAY_NAMES,
            max_variants => MAX_VARIANTS,
            now => now,
        },
    )?;
    *r.status_mut() = status;
    Ok(r)
}

/// The review step's figures: who a start now reaches, the ETA, the schedule.
async fn review(w: &WebState, viewer: &Viewer, wz: &Wizard) -> Result<Review, WebError> {
    let (input, _) = match input_of(w, viewer, wz, 3).await? {
        Ok(x) => x,
        Err(_) => return Ok(Review::default()),
    };
    let rules = w.api.campaigns.clone();
    let sims = w.api.dispatcher.sim_capacities();
    let now = w.now_ms();
    let draft = wz.draft.parse::<i64>().unwrap_or(0);
    w.api
        .store
        .run(move |s| {
            let spec = crate::api::campaigns::check(s, &input, rules.region)?;
            let row = unsaved_row(draft, spec.clone(), now);
            let eta = crate::campaigns::eta::estimate_draft(s, &row, &sims, &rules, now)?;
            let segment_name = match &spec.audience {
                Audience::Segment(id) => s.segment(*id)?.map(|r| r.name),
                _ => None,
            };
            let window = spec.window_or(rules.window).spec();
            let cap = spec.cap_or(rules.cap);
            Ok::<_, ApiError>(Review {
                audience: draft_audience(s, &spec, rules.region, now)?,
                eta: Some(eta_context(&eta)),
                segment_name,
                listed: match &spec.audience {
                    Audience::Contacts(l) => l.len(),
                    _ => 0,
                },
                window_start: window.start,
                window_end: window.end,
                window_days: window.days.unwrap_or_default(),
                cap_24h: cap.per_24h,
                cap_7d: cap.per_7d,
                start_ms: spec.start_at,
                deadline_ms: spec.deadline,
                ab_share: spec.ab_test.map(|a| a.test_share),
                ab_metric: spec.ab_test.map(|a| a.metric.as_str().to_string()),
                ab_after: spec
                    .ab_test
                    .map(|a| super::form::split_duration(a.decide_after_secs)),
            })
        })
        .await
        .map_err(WebError::from)
}

/// A draft as it would be stored (id `id`, 0 for a new one), for the ETA
/// and the cost preview before anything is saved.
fn unsaved_row(id: i64, spec: Spec, now: i64) -> CampaignRow {
    CampaignRow {
        id,
        spec,
        status: CampaignStatus::Draft,
        status_reason: None,
        created_at: now,
        updated_at: now,
        started_at: None,
        start_at: None,
        deadline: None,
        finished_at: None,
        decision: None,
        decided_at: None,
        survey_id: None,
    }
}

/// The stored draft's request, when the wizard edits one.
async fn base_of(w: &WebState, wz: &Wizard) -> Result<Option<(i64, CampaignRow)>, WebError> {
    let Ok(id) = wz.draft.parse::<i64>() else {
        return Ok(None);
    };
    let row = w.api.store.run(move |s| s.campaign(id)).await?;
    Ok(row.map(|r| (id, r)))
}

/// The request the form makes up to step `upto`: `Ok(Err(..))` is a
/// mistake in the form, shown on its step.
async fn input_of(
    w: &WebState,
    viewer: &Viewer,
    wz: &Wizard,
    upto: usize,
) -> Result<Result<(CampaignInput, BTreeMap<String, AttrType>), (&'static str, String)>, WebError> {
    let attrs = w.api.store.run(|s| s.attribute_types()).await?;
    let base = base_of(w, wz).await?;
    let input = wz.to_input(
        upto,
        viewer.tz,
        &w.api.campaigns.window,
        &attrs,
        base.as_ref().map(|(_, r)| &r.spec.input),
    );
    Ok(match input {
        Ok(i) => Ok((i, attrs)),
        Err(e) => Err((e.step, step_message(w, viewer, &e))),
    })
}

/// Checks the form up to step `upto` as the API would; `Err` names the
/// step to show and the message.
async fn validate(
    w: &WebState,
    viewer: &Viewer,
    wz: &Wizard,
    upto: usize,
) -> Result<Result<(CampaignInput, Spec), (&'static str, String)>, WebError> {
    let input = match input_of(w, viewer, wz, upto).await? {
        Ok((i, _)) => i,
        Err(e) => return Ok(Err(e)),
    };
    let region = w.api.campaigns.region;
    let checked = {
        let input = input.clone();
        w.api
            .store
            .run(move |s| crate::api::campaigns::check(s, &input, region))
            .await
    };
    Ok(match checked {
        Ok(spec) => Ok((input, spec)),
        Err(e) if e.code == "invalid_campaign" => {
            Err((step_of_field(&e.message), api_message(w, viewer, &e)))
        }
        Err(e) if e.status.is_server_error() => return Err(e.into()),
        Err(e) => Err(("audience", api_message(w, viewer, &e))),
    })
}

/// `GET /campaigns/new`: the first step of a new campaign.
pub async fn new_form(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let wz = Wizard::fresh(random_key(), &w.api.campaigns.window);
    render(&w, &viewer, wz, "audience", None).await
}

/// `GET /campaigns/{id}/edit`: a draft in the wizard (a started campaign
/// cannot be changed: its page instead).
pub async fn edit_form(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = campaign_id(&id)?;
    let row = w
        .api
        .store
        .run(move |s| s.campaign(id))
        .await?
        .ok_or_else(|| WebError::from(crate::api::campaigns::no_campaign(id)))?;
    if row.status != CampaignStatus::Draft {
        return Ok(see_other(&viewer, &format!("/campaigns/{id}")));
    }
    let wz = Wizard::from_input(
        random_key(),
        id,
        &row.spec.input,
        viewer.tz,
        &w.api.campaigns.window,
    );
    render(&w, &viewer, wz, "audience", None).await
}

/// `POST /campaigns/new`: a step's form. `go` names the step to show next
/// (checked up to the current one first when moving on), or `save` /
/// `start`; `add` / `remove` change the variant rows.
pub async fn submit(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(pairs): Pairs,
) -> Result<Response, WebError> {
    let mut wz = Wizard::from_pairs(&pairs);
    if wz.key.is_empty() {
        wz.key = random_key();
    }
    let current = step_index(field(&pairs, "step").unwrap_or("audience"));
    if let Some(i) = field(&pairs, "remove").and_then(|i| i.parse::<usize>().ok()) {
        if wz.variants.len() > 1 && i < wz.variants.len() {
            wz.variants.remove(i);
        }
        return render(&w, &viewer, wz, "variants", None).await;
    }
    if field(&pairs, "add").is_some() {
        if wz.variants.len() < MAX_VARIANTS {
            let letter = (b'A' + wz.variants.len() as u8) as char;
            wz.variants.push(VariantRow {
                name: letter.to_string(),
                text: String::new(),
                weight: "1".into(),
            });
        }
        return render(&w, &viewer, wz, "variants", None).await;
    }
    let go = field(&pairs, "go").unwrap_or("");
    match go {
        "save" | "start" => finish(&w, &viewer, wz, go == "start").await,
        _ => {
            let target = if STEPS.contains(&go) {
                step_index(go)
            } else {
                (current + 1).min(STEPS.len() - 1)
            };
            if target > current {
                // Every step up to the current one must hold before moving on.
                if let Err((step, message)) = validate(&w, &viewer, &wz, current).await? {
                    return render(&w, &viewer, wz, step, Some(message)).await;
                }
            }
            render(&w, &viewer, wz, STEPS[target], None).await
        }
    }
}

/// "Save as draft" or "Start": stores the campaign once per wizard key,
/// then (for start) starts it as `POST /v1/campaigns/{id}/start` does.
async fn finish(w: &WebState, viewer: &Viewer, mut wz: Wizard, start: bool) -> Result<Response, WebError> {
    let (input, _) = match validate(w, viewer, &wz, 3).await? {
        Ok(x) => x,
        Err((step, message)) => return render(w, viewer, wz, step, Some(message)).await,
    };
    let key = wz.key.clone();
    let mut claim = ONCE.claim(&key);
    for _ in 0..100 {
        if claim != Claim::Busy {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        claim = ONCE.claim(&key);
    }
    match claim {
        Claim::Busy => {
            return Err(WebError::new(
                StatusCode::CONFLICT,
                "busy",
                "this campaign is being saved by another request",
            ));
        }
        Claim::Done(id) => {
            let status = w.api.store.run(move |s| s.campaign(id)).await?.map(|r| r.status);
            if status != Some(CampaignStatus::Draft) {
                // A second click on a campaign already started: show it.
                return Ok(see_other(viewer, &format!("/campaigns/{id}")));
            }
            wz.draft = id.to_string();
        }
        Claim::New => {}
    }
    let rules = w.api.campaigns.clone();
    let now = w.now_ms();
    let draft = wz.draft.parse::<i64>().ok();
    let saved = w
        .api
        .store
        .run(move |s| match draft {
            Some(id) => crate::api::campaigns::replace_draft(s, id, &input, &rules, now),
            None => crate::api::campaigns::create_draft(s, &input, &rules, now),
        })
        .await;
    let row = match saved {
        Ok(row) => row,
        Err(e) => {
            ONCE.release(&key);
            if e.code == "wrong_status"
                && let Some(id) = draft
            {
                return Ok(see_other(viewer, &format!("/campaigns/{id}")));
            }
            if e.status.is_server_error() {
                return Err(e.into());
            }
            let step = step_of_field(&e.message);
            let message = api_message(w, viewer, &e);
            return render(w, viewer, wz, step, Some(message)).await;
        }
    };
    ONCE.finish(&key, row.id);
    let id = row.id;
    wz.draft = id.to_string();
    if start {
        match crate::api::campaigns::apply(&w.api, id, crate::campaigns::Action::Start).await {
            Ok(_) => {}
            Err(e) if e.code == "wrong_status" => {}
            Err(e) if e.status.is_server_error() => return Err(e.into()),
            Err(e) => {
                // Saved, not started (nobody may get it, the deadline passed…):
                // the review again, now editing that draft.
                let message = api_message(w, viewer, &e);
                return render(w, viewer, wz, "review", Some(message)).await;
            }
        }
    }
    Ok(see_other(viewer, &format!("/campaigns/{id}")))
}

/// `POST /campaigns/new/count`: who the audience step's choice reaches now.
pub async fn count(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(pairs): Pairs,
) -> Result<Response, WebError> {
    let mut wz = Wizard::from_pairs(&pairs);
    if wz.name.trim().is_empty() {
        wz.name = "-".into();
    }
    let rules = w.api.campaigns.clone();
    let now = w.now_ms();
    let checked = validate(&w, &viewer, &wz, 0).await?;
    let (audience, error) = match checked {
        Err((_, message)) => (None, Some(message)),
        Ok((_, spec)) => {
            let a = w
                .api
                .store
                .run(move |s| draft_audience(s, &spec, rules.region, now))
                .await?;
            (a, None)
        }
    };
    w.page(
        "campaigns_count.html",
        &viewer,
        context! { audience => super::v(&audience), error => error, kind => wz.audience_kind },
    )
}

/// One variant in the live preview.
#[derive(Debug, Serialize)]
struct VariantPreview {
    name: String,
    error: Option<String>,
    recipients: Vec<crate::templates::preview::RecipientPreview>,
    warnings: Vec<crate::templates::preview::PreviewWarning>,
    segments_min: Option<usize>,
    segments_max: Option<usize>,
    per_message: Option<String>,
    share: f64,
    estimated_recipients: u64,
    estimated_segments: u64,
}

/// The reachable contacts at the head of the audience (at most `limit`).
fn sample_contacts(
    s: &Store,
    spec: &Spec,
    region: crate::phone::Region,
    now: i64,
    limit: usize,
) -> Result<Vec<Contact>, ApiError> {
    let audience_error = |m: String| ApiError::invalid("audience", format!("audience: {m}"));
    let filter = match &spec.audience {
        Audience::Segment(id) => match s.segment_filter(*id) {
            Ok(Some(f)) => f,
            Ok(None) => return Err(audience_error(format!("segment {id} no longer exists"))),
            Err(SegmentError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(audience_error(e.to_string())),
        },
        Audience::Filter(json) => match s.parse_filter(json) {
            Ok(f) => f,
            Err(SegmentError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(audience_error(e.to_string())),
        },
        Audience::Contacts(list) => {
            let mut out: Vec<Contact> = Vec::new();
            // Bounded: a listed audience may hold 100,000 numbers.
            for entry in list.iter().take(limit * 4) {
                let c = match entry {
                    ContactRef::Id(id) => s.contact(&ContactKey::Id(*id))?,
                    ContactRef::Phone(p) => match crate::phone::Msisdn::parse(p, region) {
                        Ok(n) => s.contact(&ContactKey::Phone(n.as_str().to_string()))?,
                        Err(_) => None,
                    },
                };
                if let Some(c) = c
                    && c.may_receive_marketing()
                    && !out.iter().any(|o| o.id == c.id)
                {
                    out.push(c);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            return Ok(out);
        }
    };
    Ok(s.segment_contacts(&filter, now, true, 0, limit)?)
}

/// `POST /campaigns/new/preview`: each variant rendered for the first
/// recipients with their own values (segments, encoding, warnings), and
/// the cost per message and in total, estimated from those recipients
/// for the whole audience (the review step counts it exactly).
pub async fn preview(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(pairs): Pairs,
) -> Result<Response, WebError> {
    let mut wz = Wizard::from_pairs(&pairs);
    if wz.name.trim().is_empty() {
        wz.name = "-".into();
    }
    // The variants as typed, each on its own (one bad text must not hide
    // the others' preview).
    let texts: Vec<(String, String, u32)> = wz
        .variants
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.text.trim().is_empty())
        .map(|(i, v)| {
            let name = if v.name.trim().is_empty() {
                ((b'A' + i as u8) as char).to_string()
            } else {
                v.name.trim().to_string()
            };
            (
                name,
                v.text.clone(),
                v.weight.trim().parse::<u32>().unwrap_or(1).max(1),
            )
        })
        .collect();
    let checked = validate(&w, &viewer, &wz, 0).await?;
    let spec = match checked {
        Ok((_, spec)) => spec,
        Err((_, message)) => {
            return w.page(
                "campaigns_preview.html",
                &viewer,
                context! { error => message, variants => Vec::<String>::new() },
            );
        }
    };
    let rules = w.api.campaigns.clone();
    let now = w.now_ms();
    let result = w
        .api
        .store
        .run(move |s| {
            let reach = draft_audience(s, &spec, rules.region, now)?.map_or(0, |a| a.count);
            let sample = sample_contacts(s, &spec, rules.region, now, SAMPLE)?;
            let total_weight: u32 = texts.iter().map(|t| t.2).sum::<u32>().max(1);
            let mut out = Vec::new();
            let (mut segments_total, mut cost_total) = (0u64, rust_decimal::Decimal::ZERO);
            for (name, text, weight) in texts {
                let share = f64::from(weight) / f64::from(total_weight);
                let estimated_recipients = (reach as f64 * share).round() as u64;
                let template = match crate::templates::Template::compile(&text) {
                    Ok(t) => t,
                    Err(e) => {
                        out.push(VariantPreview {
                            name,
                            error: Some(e.to_string()),
                            recipients: Vec::new(),
                            warnings: Vec::new(),
                            segments_min: None,
                            segments_max: None,
                            per_message: None,
                            share,
                            estimated_recipients,
                            estimated_segments: 0,
                        });
                        continue;
                    }
                };
                let (code, links) = crate::attribution::preview_extras(
                    &rules.attribution,
                    &crate::attribution::Target {
                        variant: name.clone(),
                        utm_campaign: "preview".into(),
                        ..Default::default()
                    },
                );
                let mut p = crate::templates::preview::Preview::new(
                    &template,
                    &rules.split,
                    &rules.default_time_zone,
                )
                .with_extras(crate::templates::Extras {
                    promo_code: Some(&code),
                    links: Some(links),
                    ..Default::default()
                });
                for c in &sample {
                    p.add(c);
                }
                let report = p.finish(rules.per_segment, &rules.currency);
                let avg = if report.count > 0 {
                    report.segments_total as f64 / report.count as f64
                } else {
                    0.0
                };
                let estimated_segments = (estimated_recipients as f64 * avg).round() as u64;
                segments_total += estimated_segments;
                cost_total += crate::templates::preview::cost(rules.per_segment, estimated_segments);
                out.push(VariantPreview {
                    name,
                    error: None,
                    recipients: report.recipients.into_iter().take(SHOWN).collect(),
                    warnings: report.warnings.into_iter().take(4).collect(),
                    segments_min: report.segments_min,
                    segments_max: report.segments_max,
                    per_message: report.segments_min.map(|n| {
                        crate::templates::preview::money(crate::templates::preview::cost(
                            rules.per_segment,
                            n as u64,
                        ))
                    }),
                    share,
                    estimated_recipients,
                    estimated_segments,
                });
            }
            Ok::<_, ApiError>((
                out,
                reach,
                sample.len(),
                segments_total,
                crate::templates::preview::money(cost_total),
                crate::templates::preview::money(rules.per_segment),
                rules.currency.clone(),
            ))
        })
        .await;
    match result {
        Ok((variants, reach, sampled, segments_total, cost_total, per_segment, currency)) => w.page(
            "campaigns_preview.html",
            &viewer,
            context! {
                variants => super::v(&variants), reach => reach, sampled => sampled,
                segments_total => segments_total, cost_total => cost_total,
                per_segment => per_segment, currency => currency, error => None::<String>,
            },
        ),
        Err(e) if e.status.is_server_error() => Err(e.into()),
        Err(e) => w.page(
            "campaigns_preview.html",
            &viewer,
            context! { error => api_message(&w, &viewer, &e), variants => Vec::<String>::new() },
        ),
    }
}

/// `POST /campaigns/new/cost`: the exact cost over the whole audience as
/// `GET /v1/campaigns/{id}/preview` counts it (every recipient rendered
/// with the variant the start would give them). Loaded after the review
/// page, since a large audience takes a moment.
pub async fn cost(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(pairs): Pairs,
) -> Result<Response, WebError> {
    let wz = Wizard::from_pairs(&pairs);
    let spec = match validate(&w, &viewer, &wz, 3).await? {
        Ok((_, spec)) => spec,
        Err((_, message)) => {
            return w.page("campaigns_cost.html", &viewer, context! { error => message });
        }
    };
    let rules = w.api.campaigns.clone();
    let now = w.now_ms();
    let draft = wz.draft.parse::<i64>().unwrap_or(0);
    let preview = w
        .api
        .store
        .run(move |s| {
            crate::api::campaign_preview::preview_campaign(s, &unsaved_row(draft, spec, now), &rules, now)
        })
        .await;
    match preview {
        Ok(p) => w.page(
            "campaigns_cost.html",
            &viewer,
            context! { p => super::v(&p), error => None::<String> },
        ),
        Err(e) if e.status.is_server_error() => Err(e.into()),
        Err(e) => w.page(
            "campaigns_cost.html",
            &viewer,
            context! { error => api_message(&w, &viewer, &e) },
        ),
    }
}
