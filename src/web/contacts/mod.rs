//! The contacts pages: the list with its search and "add a contact"
//! (`/contacts`), a contact's page with its edit form, consent and the
//! messages sent to it (`/contacts/{id}`), its erasure, the CSV export
//! (`/contacts/export`) and, in [`import`], the CSV import.
//!
//! Every read and change goes through the API's own functions
//! ([`crate::api::contacts`]): the same parsing, rules and errors (each
//! naming its field), the same double opt-in request and the same
//! opt-out kept on erasure.

pub mod import;

use std::collections::BTreeMap;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Viewer, WebError, WebState};
use crate::api::contacts as api;
use crate::api::error::ApiError;
use crate::contacts::{AttrType, Contact, ContactStatus};
use crate::store::{ContactFilter, MessageRow};

/// Contacts on a page of the list.
pub const PAGE: usize = 50;
/// Messages on a page of a contact's history.
pub const HISTORY: usize = 25;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/contacts", get(list).post(add))
        .route("/contacts/export", get(export))
        .route("/contacts/{id}", get(show).post(edit))
        .route("/contacts/{id}/delete", post(erase))
        .merge(import::routes())
}

/// `?q=&after=` of the list.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    tag: Option<String>,
    after: Option<String>,
    erased: Option<String>,
}

/// A contact as a row of the list or a sample.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Id.
    pub id: i64,
    /// Number.
    pub phone: String,
    /// Name.
    pub name: Option<String>,
    /// Tags, each with the link listing its contacts.
    pub tags: Vec<(String, String)>,
    /// `opted_in`, `pending`, `none`, or `opted_out` / `invalid` when those win.
    pub reach: &'static str,
    /// Language.
    pub language: Option<String>,
    /// Last message sent or received (unix ms).
    pub last_activity: Option<i64>,
}

impl From<&Contact> for Row {
    fn from(c: &Contact) -> Self {
        Row {
            id: c.id,
            phone: c.phone.clone(),
            name: c.name.clone(),
            tags: c
                .tags
                .iter()
                .map(|t| (t.clone(), href(None, Some(t), None)))
                .collect(),
            reach: reach(c),
            language: c.language.clone(),
            last_activity: c.last_sent_at.max(c.last_reply_at),
        }
    }
}

/// Any serialisable value for a template.
pub fn ser<T: Serialize>(v: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}

/// Where a contact stands for marketing, in one word (the order of
/// [`api::marketing_refusal`]: an opt-out wins, then invalid, then consent).
pub fn reach(c: &Contact) -> &'static str {
    if c.opted_out.is_some() {
        "opted_out"
    } else if c.status == ContactStatus::Invalid {
        "invalid"
    } else {
        c.consent.status.as_str()
    }
}

/// `/contacts` with a search, a tag and a cursor.
fn href(q: Option<&str>, tag: Option<&str>, after: Option<&str>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("q", q), ("tag", tag), ("after", after)] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            s.append_pair(k, v);
        }
    }
    let query = s.finish();
    if query.is_empty() {
        "/contacts".into()
    } else {
        format!("/contacts?{query}")
    }
}

fn cursor(after: Option<&str>) -> Result<i64, WebError> {
    Ok(crate::api::page::page(after, Some(PAGE))?.0)
}

async fn list(
    State(w): State<WebState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let after = cursor(q.after.as_deref())?;
    let search =
        q.q.clone()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
    let tag = q
        .tag
        .clone()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let filter = ContactFilter {
        tag: tag.clone(),
        q: search.clone(),
    };
    let rows = api::list_contacts(&w.api, filter, None, after, PAGE).await?;
    let next = crate::api::page::next_cursor(rows.iter().map(|c| c.id), PAGE, false);
    let rows: Vec<Row> = rows.iter().map(Row::from).collect();
    let template = if viewer.htmx {
        "contacts_rows.html"
    } else {
        "contacts.html"
    };
    w.page(
        template,
        &viewer,
        context! {
            rows => ser(&rows),
            first_href => href(search.as_deref(), tag.as_deref(), None),
            next_href => next.as_deref().map(|n| href(search.as_deref(), tag.as_deref(), Some(n))),
            untagged_href => href(search.as_deref(), None, None),
            q => search.unwrap_or_default(),
            tag => tag.unwrap_or_default(),
            after => after,
            erased => q.erased,
        },
    )
}

/// The "add a contact" form.
#[derive(Debug, Deserialize)]
struct AddForm {
    phone: String,
    #[serde(default)]
    name: String,
}

async fn add(
    State(w): State<WebState>,
    viewer: Viewer,
    Form(f): Form<AddForm>,
) -> Result<Response, WebError> {
    let mut obj = Map::new();
    obj.insert("phone".into(), Value::String(f.phone.clone()));
    if !f.name.trim().is_empty() {
        obj.insert("name".into(), Value::String(f.name.clone()));
    }
    match api::upsert_contact(&w.api, obj).await {
        Ok((c, _)) => Ok(Redirect::to(&format!("/contacts/{}", c.id)).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let rows = api::list_contacts(&w.api, ContactFilter::default(), None, 0, PAGE).await?;
            let next = crate::api::page::next_cursor(rows.iter().map(|c| c.id), PAGE, false);
            let rows: Vec<Row> = rows.iter().map(Row::from).collect();
            let mut r = w.page(
                "contacts.html",
                &viewer,
                context! {
                    rows => ser(&rows), q => "", tag => "", after => 0,
                    next_href => next.as_deref().map(|n| href(None, None, Some(n))),
                    add_error => error_view(&w, &viewer, &e),
                    add_phone => f.phone, add_name => f.name,
                },
            )?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// An API refusal shown beside a form: its title in the viewer's
/// language and the API's words (which name the field).
pub fn error_view(w: &WebState, viewer: &Viewer, e: &ApiError) -> minijinja::Value {
    let catalog = w.shared.renderer.catalog();
    let id = format!("error-{}", e.code);
    let title = if catalog.has(viewer.lang, &id) {
        catalog.text(viewer.lang, &id, None)
    } else {
        catalog.text(viewer.lang, "error-generic", None)
    };
    context! { code => e.code, title => title, message => e.message.clone() }
}

/// `?before=&saved=` of a contact's page.
#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    before: Option<String>,
    saved: Option<String>,
}

/// An attribute as the form shows it.
#[derive(Debug, Serialize)]
struct AttrField {
    name: String,
    value: String,
    kind: &'static str,
}

fn attr_fields(c: &Contact) -> Vec<AttrField> {
    c.attributes
        .iter()
        .map(|(k, v)| AttrField {
            name: k.clone(),
            value: crate::contacts::csv_export::cell(v),
            kind: v.attr_type().as_str(),
        })
        .collect()
}

/// A message of a contact's history.
#[derive(Debug, Serialize)]
struct HistoryRow {
    id: i64,
    text: String,
    status: &'static str,
    tone: &'static str,
    created_at: i64,
    sent_at: Option<i64>,
    delivered_at: Option<i64>,
    error: Option<String>,
    marketing: bool,
}

impl From<&MessageRow> for HistoryRow {
    fn from(m: &MessageRow) -> Self {
        use crate::store::Status;
        HistoryRow {
            id: m.id,
            text: m.text.clone(),
            status: m.status.as_str(),
            tone: match m.status {
                Status::Delivered | Status::Sent => "good",
                Status::Failed | Status::Expired => "bad",
                Status::Cancelled | Status::Suppressed => "muted",
                _ => "warn",
            },
            created_at: m.created_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            error: m.error.clone(),
            marketing: m.category == crate::store::Category::Marketing,
        }
    }
}

/// The contact's own fields as the form holds them (after a refusal: as typed).
#[derive(Debug, Default, Serialize, Deserialize)]
struct EditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    new_attr_name: String,
    #[serde(default)]
    new_attr_value: String,
}

fn form_of(c: &Contact) -> EditForm {
    EditForm {
        name: c.name.clone().unwrap_or_default(),
        language: c.language.clone().unwrap_or_default(),
        time_zone: if c.time_zone_source == crate::contacts::TimeZoneSource::Given {
            c.time_zone.clone().unwrap_or_default()
        } else {
            String::new()
        },
        tags: c.tags.join(", "),
        ..EditForm::default()
    }
}

/// What the contact's form shows: the fields (as stored, or as typed
/// after a refusal), the refusal, and whether it was just saved.
struct Shown<'a> {
    form: EditForm,
    attrs: Vec<AttrField>,
    error: Option<&'a ApiError>,
    saved: bool,
}

async fn render_contact(
    w: &WebState,
    viewer: &Viewer,
    c: &Contact,
    before: i64,
    shown: Shown<'_>,
) -> Result<Response, WebError> {
    let Shown {
        form,
        attrs,
        error,
        saved,
    } = shown;
    let phone = c.phone.clone();
    let page = w
        .api
        .store
        .run(move |s| s.messages_to(&phone, before, HISTORY))
        .await?;
    let older = crate::api::page::next_cursor(page.iter().map(|m| m.id), HISTORY, page.cut);
    let history: Vec<HistoryRow> = page.iter().map(HistoryRow::from).collect();
    let zone = c
        .time_zone
        .clone()
        .unwrap_or_else(|| w.api.contacts.default_time_zone.clone());
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    let mut r = w.page(
        "contact.html",
        viewer,
        context! {
            c => context! {
                id => c.id,
                phone => c.phone.clone(),
                name => c.name.clone(),
                zone => zone,
                zone_source => c.time_zone_source.as_str(),
                language => c.language.clone(),
                tags => c.tags.clone(),
                consent => context! {
                    status => c.consent.status.as_str(),
                    at => c.consent.at,
                    source => c.consent.source.clone(),
                    evidence => c.consent.evidence.clone(),
                },
                opted_out => c.opted_out.as_ref().map(|o| context! {
                    source => o.source.clone(), at => o.at, keyword => o.keyword.clone(),
                }),
                status => c.status.as_str(),
                status_reason => c.status_reason.clone(),
                reach => reach(c),
                created_at => c.created_at,
                updated_at => c.updated_at,
                last_sent_at => c.last_sent_at,
                last_delivered_at => c.last_delivered_at,
                last_reply_at => c.last_reply_at,
                messages_sent => c.messages_sent,
            },
            form => ser(&form),
            attrs => ser(&attrs),
            zones => zones,
            history => ser(&history),
            before => before,
            older => older,
            saved => saved,
            error => error.map(|e| error_view(w, viewer, e)),
        },
    )?;
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn found(w: &WebState, id: &str) -> Result<Contact, WebError> {
    api::find_contact(&w.api, id)
        .await?
        .ok_or_else(|| WebError::not_found(format!("no contact {id:?}")))
}

async fn show(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let c = found(&w, &id).await?;
    let before = crate::api::page::page(q.before.as_deref(), Some(HISTORY))?.0;
    let attrs = attr_fields(&c);
    let shown = Shown {
        form: form_of(&c),
        attrs,
        error: None,
        saved: q.saved.is_some(),
    };
    render_contact(&w, &viewer, &c, before, shown).await
}

/// The edit form as a merge patch: empty fields clear, tags replace,
/// attribute fields (`attr.<name>`) set (empty: remove), a new one added.
fn patch_of(form: &EditForm, attrs: &BTreeMap<String, String>) -> Map<String, Value> {
    let text = |s: &str| {
        let s = s.trim();
        if s.is_empty() {
            Value::Null
        } else {
            Value::String(s.to_string())
        }
    };
    let mut obj = Map::new();
    obj.insert("name".into(), text(&form.name));
    obj.insert("language".into(), text(&form.language));
    obj.insert("time_zone".into(), text(&form.time_zone));
    let tags: Vec<Value> = form
        .tags
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Value::String(t.to_string()))
        .collect();
    obj.insert("tags".into(), Value::Array(tags));
    let mut a = Map::new();
    for (name, value) in attrs {
        a.insert(name.clone(), text(value));
    }
    if !form.new_attr_name.trim().is_empty() {
        a.insert(form.new_attr_name.trim().to_string(), text(&form.new_attr_value));
    }
    if !a.is_empty() {
        obj.insert("attributes".into(), Value::Object(a));
    }
    obj
}

async fn edit(
    State(w): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let mut form = EditForm::default();
    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in fields {
        match k.as_str() {
            "name" => form.name = v,
            "language" => form.language = v,
            "time_zone" => form.time_zone = v,
            "tags" => form.tags = v,
            "new_attr_name" => form.new_attr_name = v,
            "new_attr_value" => form.new_attr_value = v,
            other => {
                if let Some(name) = other.strip_prefix("attr.") {
                    attrs.insert(name.to_string(), v);
                }
            }
        }
    }
    let c = found(&w, &id).await?;
    match api::update_contact(&w.api, &c.id.to_string(), patch_of(&form, &attrs)).await {
        Ok(c) => Ok(Redirect::to(&format!("/contacts/{}?saved=1", c.id)).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            // Shown again as typed, with the refusal.
            let types: BTreeMap<String, AttrType> = c
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.attr_type()))
                .collect();
            let fields = attrs
                .into_iter()
                .map(|(name, value)| AttrField {
                    kind: types.get(&name).map_or("string", |t| t.as_str()),
                    name,
                    value,
                })
                .collect();
            let shown = Shown {
                form,
                attrs: fields,
                error: Some(&e),
                saved: false,
            };
            render_contact(&w, &viewer, &c, 0, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn erase(State(w): State<WebState>, Path(id): Path<String>) -> Result<Response, WebError> {
    let (c, _) = api::erase_contact(&w.api, &id)
        .await?
        .ok_or_else(|| WebError::not_found(format!("no contact {id:?}")))?;
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("erased", &c.phone)
        .finish();
    Ok(Redirect::to(&format!("/contacts?{q}")).into_response())
}

async fn export(State(w): State<WebState>) -> Response {
    crate::api::contacts_csv::export_csv(&w.api)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_a_merge_patch_that_clears_replaces_and_adds() {
        let form = EditForm {
            name: "  Anna ".into(),
            language: "".into(),
            time_zone: "Europe/Moscow".into(),
            tags: "vip, kazan;; ,new".into(),
            new_attr_name: "city".into(),
            new_attr_value: "Kazan".into(),
        };
        let attrs = BTreeMap::from([
            ("spent".to_string(), "1500".to_string()),
            ("old".to_string(), " ".to_string()),
        ]);
        let p = Value::Object(patch_of(&form, &attrs));
        assert_eq!(
            p,
            serde_json::json!({
                "name": "Anna", "language": null, "time_zone": "Europe/Moscow",
                "tags": ["vip", "kazan", "new"],
                "attributes": {"spent": "1500", "old": null, "city": "Kazan"}
            })
        );
    }

    #[test]
    fn every_text_a_template_builds_from_a_value_exists() {
        use crate::web::i18n::{Catalog, Lang};
        let catalog = Catalog::load();
        let mut ids: Vec<String> = Vec::new();
        for t in [
            AttrType::String,
            AttrType::Number,
            AttrType::Boolean,
            AttrType::Date,
        ] {
            ids.push(format!("contacts-type-{}", t.as_str()));
        }
        for s in crate::store::Status::ALL {
            ids.push(format!("contacts-status-{}", s.as_str()));
        }
        for c in ["opted_in", "pending", "none"] {
            ids.push(format!("contacts-consent-{c}"));
            ids.push(format!("contacts-reach-{c}"));
        }
        for r in ["opted_out", "invalid"] {
            ids.push(format!("contacts-reach-{r}"));
        }
        for s in ["keyword", "api", "import", "review"] {
            ids.push(format!("contacts-optout-source-{s}"));
        }
        for c in crate::contacts::csv_import::ColumnChoice::ALL {
            ids.push(format!("contacts-import-field-{}", c.as_str()));
        }
        for id in ids {
            for lang in Lang::ALL {
                assert!(catalog.has(lang, &id), "{id} missing in {}", lang.code());
            }
        }
    }
}
