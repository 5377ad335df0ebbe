//! `GET /v1/campaigns/{id}/preview`: what a campaign's texts would cost
//! before it starts — each variant rendered (with the template preview,
//! [`crate::templates::preview`]) for the recipients it would go to, drawn
//! by weight as the start draws them, the audience read a page at a time.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Authorized;
use super::campaigns::{campaign_id, invalid, no_campaign};
use super::error::ApiError;
use super::state::AppState;
use crate::campaigns::spec::{Audience, ContactRef};
use crate::campaigns::{CampaignRules, CampaignStatus};
use crate::phone::Msisdn;
use crate::store::{CampaignRow, ContactKey, SegmentError, Store, StoreError};

/// What a campaign's texts would cost for its audience as read now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignPreview {
    /// Campaign id (a decimal string).
    pub id: String,
    /// Recipients a start now would message, across variants.
    pub count: u64,
    /// SMS segments of every recipient's text, across variants.
    pub segments_total: u64,
    /// `pricing.per_segment` × `segments_total` (exact decimal).
    pub estimated_cost: String,
    /// Price of one segment (exact decimal).
    pub per_segment: String,
    /// Currency of the prices.
    pub currency: String,
    /// Each variant rendered for the recipients it would go to (drawn by
    /// weight, as the start draws them): counts, segments, cost, a sample,
    /// warnings (UCS-2, longer texts, missing variables).
    pub variants: std::collections::BTreeMap<String, crate::templates::preview::PreviewReport>,
    /// Caveats in words (an A/B test's rest gets the winner, unknown yet:
    /// previewed with the variant each recipient would draw).
    pub notes: Vec<String>,
}

/// Renders each variant for its share of the audience as read now.
pub fn preview_campaign(
    s: &Store,
    row: &CampaignRow,
    rules: &CampaignRules,
    now: i64,
) -> Result<CampaignPreview, ApiError> {
    use crate::templates::Template;
    use crate::templates::preview::Preview;
    let spec = &row.spec;
    let templates = spec
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| Template::compile(&v.text).map_err(|e| invalid(format!("variants[{i}].text"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let tracking_number = crate::calls::tracking_number(s, spec).map_err(|e| match e {
        crate::calls::TrackingError::NoTracking(m) => ApiError::invalid("call_tracking", m),
        crate::calls::TrackingError::Store(e) => ApiError::from(e),
    })?;
    // A promo code and links of the real length (a short link when
    // `public.base_url` is set): a short link can save a segment.
    let utm_campaign = crate::attribution::links::campaign_slug(&spec.name, row.id);
    let extras: Vec<(String, std::sync::Arc<dyn crate::templates::LinkMaker>)> = spec
        .variants
        .iter()
        .map(|v| {
            crate::attribution::preview_extras(
                &rules.attribution,
                &crate::attribution::Target {
                    variant: v.name.clone(),
                    utm_campaign: utm_campaign.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    let mut previews: Vec<Preview<'_>> = templates
        .iter()
        .zip(&extras)
        .map(|(t, (code, links))| {
            Preview::new(t, &rules.split, &rules.default_time_zone).with_extras(crate::templates::Extras {
                promo_code: Some(code),
                links: Some(links.clone()),
                tracking_number: tracking_number.as_deref(),
                ..Default::default()
            })
        })
        .collect();
    // The variants split as the start splits them (exactly by weight, the
    // A/B test share first): the audience read once for who may receive
    // it, then again to render each contact with its variant.
    let mut rows: Vec<crate::store::NewRecipient> = Vec::new();
    walk_audience(s, spec, rules, now, &mut |c| {
        rows.push(crate::store::NewRecipient {
            contact_id: Some(c.id),
            phone: c.phone.clone(),
            time_zone: String::new(),
            variant: None,
            phase: "all",
            excluded: crate::campaigns::start::exclusion(c),
        })
    })?;
    let chosen = crate::campaigns::start::plan_variants(row.id, spec, &mut rows)
        .map_err(|e| ApiError::invalid("audience", format!("audience: {e}")))?;
    let variant_of: std::collections::HashMap<String, usize> = rows
        .into_iter()
        .zip(chosen)
        .map(|(r, v)| {
            // The rest of an A/B test: the variant each would draw.
            let v = v.unwrap_or_else(|| crate::campaigns::variant::pick(row.id, &r.phone, &spec.variants));
            (r.phone, v)
        })
        .collect();
    walk_audience(s, spec, rules, now, &mut |c| {
        let i = variant_of.get(&c.phone).copied().unwrap_or(0);
        if let Some(p) = previews.get_mut(i) {
            p.add(c);
        }
    })?;
    let mut out = CampaignPreview {
        id: row.id.to_string(),
        count: 0,
        segments_total: 0,
        estimated_cost: String::new(),
        per_segment: crate::templates::preview::money(rules.per_segment),
        currency: rules.currency.clone(),
        variants: Default::default(),
        notes: Vec::new(),
    };
    for (v, p) in spec.variants.iter().zip(previews) {
        let report = p.finish(rules.per_segment, &rules.currency);
        out.count += report.count;
        out.segments_total += report.segments_total;
        out.variants.insert(v.name.clone(), report);
    }
    out.estimated_cost = crate::templates::preview::money(crate::templates::preview::cost(
        rules.per_segment,
        out.segments_total,
    ));
    if let Some(ab) = &spec.ab_test {
        out.notes.push(format!(
            "A/B test: {:.0}% of the audience gets the variants; the rest gets the winner, previewed here with the variant each would draw",
            ab.test_share * 100.0
        ));
    }
    if rules.attribution.base_url.is_none() && templates.iter().any(|t| t.uses("link")) {
        out.notes.push(
            "clicks will not be tracked: links go out as long UTM links; set public.base_url to count clicks"
                .into(),
        );
    }
    if row.status != CampaignStatus::Draft {
        out.notes.push(format!(
            "the campaign is {}: its audience was fixed at start; this reads the audience as it is now",
            row.status
        ));
    }
    Ok(out)
}

/// Every contact of the campaign's audience as it is now, once each.
fn walk_audience(
    s: &Store,
    spec: &crate::campaigns::Spec,
    rules: &CampaignRules,
    now: i64,
    f: &mut dyn FnMut(&crate::contacts::Contact),
) -> Result<(), ApiError> {
    let audience_error = |m: String| ApiError::invalid("audience", format!("audience: {m}"));
    match &spec.audience {
        Audience::Segment(id) => {
            let filter = match s.segment_filter(*id) {
                Ok(Some(f)) => f,
                Ok(None) => return Err(audience_error(format!("segment {id} no longer exists"))),
                Err(SegmentError::Store(e)) => return Err(e.into()),
                Err(e) => return Err(audience_error(e.to_string())),
            };
            each_contact(s, &filter, now, f)?;
        }
        Audience::Filter(json) => {
            let filter = match s.parse_filter(json) {
                Ok(f) => f,
                Err(SegmentError::Store(e)) => return Err(e.into()),
                Err(e) => return Err(audience_error(e.to_string())),
            };
            each_contact(s, &filter, now, f)?;
        }
        Audience::Contacts(list) => {
            let mut seen = std::collections::HashSet::new();
            for entry in list {
                let contact = match entry {
                    ContactRef::Id(id) => s.contact(&ContactKey::Id(*id))?,
                    ContactRef::Phone(p) => match Msisdn::parse(p, rules.region) {
                        Ok(n) => s.contact(&ContactKey::Phone(n.as_str().to_string()))?,
                        Err(e) => return Err(audience_error(format!("{p:?}: {e}"))),
                    },
                };
                if let Some(c) = contact
                    && seen.insert(c.id)
                {
                    f(&c);
                }
            }
        }
    }
    Ok(())
}

/// Every contact `filter` matches, a page at a time.
fn each_contact(
    s: &Store,
    filter: &crate::segments::Filter,
    now: i64,
    f: &mut dyn FnMut(&crate::contacts::Contact),
) -> Result<(), StoreError> {
    let page_size = crate::templates::audience::PAGE;
    let mut after = 0;
    loop {
        let page = s.segment_contacts(filter, now, false, after, page_size)?;
        for c in &page {
            f(c);
        }
        match page.last() {
            Some(last) if page.len() == page_size => after = last.id,
            _ => return Ok(()),
        }
    }
}

/// `GET /v1/campaigns/{id}/preview`: each variant rendered for the
/// recipients it would go to, with segments, cost and warnings; nothing is sent.
#[utoipa::path(get, path = "/v1/campaigns/{id}/preview", operation_id = "preview_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Per variant: recipients, segments, estimated cost, a sample and warnings; the totals", body = CampaignPreview),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such campaign", body = super::ErrorResponse),
        (status = 422, description = "Its audience cannot be read now (`audience`: a deleted segment, a filter naming something gone), or its `{{ tracking_number }}` cannot be filled (`call_tracking`: no call_tracking, or that SIM's number unknown)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn preview(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = campaign_id(&id)?;
    let now = app.clock.now_ms();
    let rules = app.campaigns.clone();
    let preview = app
        .store
        .run(move |s| {
            let row = s.campaign(id)?.ok_or_else(|| no_campaign(id))?;
            preview_campaign(s, &row, &rules, now)
        })
        .await?;
    Ok(Json(preview).into_response())
}
