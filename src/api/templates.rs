//! `/v1/templates`: named message templates — create (checked at save: a
//! syntax error is a 422 naming line and column), list, read, change,
//! delete — and `POST /v1/templates/preview`: a template rendered for an
//! audience (a saved segment, an unsaved filter, or listed contacts) with
//! segments, the estimated cost and warnings, without sending anything.
//! The work is [`crate::templates`]; this module reads requests and pages
//! the audience through the store.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::contacts::Contact;
use crate::phone::Msisdn;
use crate::store::{ContactKey, Store, TemplateRow, TemplateStoreError, rfc3339};
use crate::templates::audience::feed_segment;
use crate::templates::preview::{Preview, PreviewReport};
use crate::templates::{Template, TemplateError};

/// Most contacts a preview may list by id or number.
const MAX_LISTED: usize = 1000;

/// `POST /v1/templates` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    /// A unique name, 1 to 200 characters (trimmed), not only white space.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", example = "birthday")]
    pub name: String,
    /// The text: a minijinja template (at most 16 KiB) over the contact's
    /// `name`, `phone`, `language`, `tags`, `attributes`, `time_zone`.
    #[schema(
        min_length = 1,
        max_length = 16384,
        example = "Happy birthday {{ name | default(\"friend\") }}! {{ attributes.birthday | date }} is your day."
    )]
    pub text: String,
}

/// `PATCH /v1/templates/{id}` body: what to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    /// A new unique name, 1 to 200 characters (trimmed), not only white space.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S", example = "birthday-ru")]
    pub name: Option<String>,
    /// A new text (checked like a new template's).
    #[schema(min_length = 1, max_length = 16384, example = "С днём рождения, {{ name }}!")]
    pub text: Option<String>,
}

/// A contact named in a preview: its id (a JSON number) or its phone
/// number (a string, read as `/v1/messages` reads numbers).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ContactRef {
    /// Contact id.
    Id(i64),
    /// Phone number.
    Phone(String),
}

/// An id given as the API shows ids (`"12"`) or as a JSON number (`12`).
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Text(String),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::Number(n) => n.to_string(),
        Id::Text(t) => t,
    }))
}

/// `POST /v1/templates/preview` body: the text (`text`, or a saved
/// `template`) and the audience (`segment`, `filter` or `contacts`), one
/// of each.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePreviewRequest {
    /// An unsaved template text.
    #[schema(
        min_length = 1,
        max_length = 16384,
        example = "Hi {{ name | default(\"friend\") }}, 20% off in {{ attributes.city }} this week."
    )]
    pub text: Option<String>,
    /// A saved template's id (a decimal string, as the API shows ids; a
    /// JSON number is taken too).
    #[schema(pattern = r"^[0-9]{1,18}$", example = "1")]
    #[serde(default, deserialize_with = "id_text")]
    pub template: Option<String>,
    /// A saved segment's id (a decimal string; a JSON number is taken too).
    #[schema(pattern = r"^[0-9]{1,18}$", example = "1")]
    #[serde(default, deserialize_with = "id_text")]
    pub segment: Option<String>,
    /// An unsaved segment filter (see the segments documentation).
    #[schema(value_type = Option<Object>, example = json!({"tag": "vip"}))]
    pub filter: Option<serde_json::Value>,
    /// Contacts by id (numbers, or strings of digits that are an id) or
    /// phone number (strings), at most 1000.
    #[schema(max_items = 1000, example = json!([1, "+79161234567"]))]
    pub contacts: Option<Vec<ContactRef>>,
}

/// Query of `GET /v1/templates`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// Cursor: the `next` of the previous page.
    #[param(pattern = r"^[0-9]{0,18}$")]
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// A saved template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// Template id (a decimal string).
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// Its text.
    pub text: String,
    /// The variables it reads (`name`, `attributes.city`), sorted.
    pub variables: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<TemplateRow> for TemplateView {
    fn from(t: TemplateRow) -> Self {
        let variables = Template::compile(&t.text)
            .map(|c| c.variables())
            .unwrap_or_default();
        TemplateView {
            id: t.id.to_string(),
            name: t.name,
            text: t.text,
            variables,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// A page of templates.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatePage {
    /// Templates, oldest first.
    pub templates: Vec<TemplateView>,
    /// Cursor of the next page (`after`), or null on the last.
    pub next: Option<String>,
}

/// What deleting a template answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDeleted {
    /// The id deleted (a decimal string).
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

impl From<TemplateStoreError> for ApiError {
    fn from(e: TemplateStoreError) -> Self {
        match e {
            TemplateStoreError::InvalidName(m) => ApiError::invalid("invalid_name", m),
            TemplateStoreError::NameTaken(n) => ApiError::new(
                StatusCode::CONFLICT,
                "name_taken",
                format!("a template named {n:?} exists; choose another name"),
            ),
            TemplateStoreError::Store(e) => ApiError::from(e),
        }
    }
}

fn invalid_template(e: TemplateError) -> ApiError {
    ApiError::invalid("invalid_template", e.to_string())
}

fn parse_id(id: &str, what: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::not_found(format!("no {what} {id:?}")))
}

/// The body as `T`, read only from a JSON object: serde would also fill a
/// struct from an array (`["a", "b"]`), which the document does not allow.
fn object<T: serde::de::DeserializeOwned>(
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>,
) -> Result<T, ApiError> {
    let Json(map) = body?;
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| ApiError::invalid("invalid_request", format!("body: {e}")))
}

fn no_template(id: i64) -> ApiError {
    ApiError::not_found(format!("no template {id}"))
}

/// `POST /v1/templates`: saves a template under a name.
#[utoipa::path(post, path = "/v1/templates", operation_id = "create_template", tag = "templates",
    request_body = TemplateRequest,
    responses(
        (status = 201, description = "Saved", body = TemplateView,
            links(
                ("GetTemplate" = (operation_id = "get_template", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("UpdateTemplate" = (operation_id = "update_template", parameters(("id" = "$response.body#/id")), description = "The same id")),
                ("DeleteTemplate" = (operation_id = "delete_template", parameters(("id" = "$response.body#/id")), description = "The same id")),
            )),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 409, description = "Another template has that name (`name_taken`)", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Wrong shape (`invalid_request`), a bad name (`invalid_name`), or a text that does not compile (`invalid_template`: the message names line and column)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn create(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req: TemplateRequest = object(body)?;
    Template::compile(&req.text).map_err(invalid_template)?;
    let now = app.clock.now_ms();
    let row = app
        .store
        .run(move |s| s.write(now, |tx| tx.create_template(&req.name, &req.text)))
        .await?;
    Ok((StatusCode::CREATED, Json(TemplateView::from(row))).into_response())
}

/// `GET /v1/templates?after=&limit=`.
#[utoipa::path(get, path = "/v1/templates", operation_id = "list_templates", tag = "templates",
    params(TemplateQuery),
    responses(
        (status = 200, description = "Templates, oldest first", body = TemplatePage),
        (status = 400, description = "Bad query", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<TemplateQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let (after, limit) = super::page::page(q.after.as_deref(), q.limit)?;
    let rows = app.store.run(move |s| s.templates(after, limit)).await?;
    let next = super::page::next_cursor(rows.iter().map(|r| r.id), limit, false);
    let templates = rows.into_iter().map(TemplateView::from).collect();
    Ok(Json(TemplatePage { templates, next }).into_response())
}

/// `GET /v1/templates/{id}`.
#[utoipa::path(get, path = "/v1/templates/{id}", operation_id = "get_template", tag = "templates",
    params(("id" = String, Path, description = "Template id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such template", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = parse_id(&id, "template")?;
    let row = app.store.run(move |s| s.template(id)).await?;
    row.map(|r| Json(TemplateView::from(r)).into_response())
        .ok_or_else(|| no_template(id))
}

/// `PATCH /v1/templates/{id}`: renames it and/or replaces its text.
#[utoipa::path(patch, path = "/v1/templates/{id}", operation_id = "update_template", tag = "templates",
    params(("id" = String, Path, description = "Template id", pattern = r"^[0-9]{1,18}$")),
    request_body = TemplatePatch,
    responses(
        (status = 200, description = "Changed", body = TemplateView),
        (status = 400, description = "Not JSON (`bad_json`), or the path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such template", body = super::ErrorResponse),
        (status = 409, description = "Another template has that name (`name_taken`)", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Wrong shape (`invalid_request`), a bad name (`invalid_name`), or a text that does not compile (`invalid_template`, naming line and column)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn update(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = parse_id(&id, "template")?;
    let patch: TemplatePatch = object(body)?;
    if let Some(text) = &patch.text {
        Template::compile(text).map_err(invalid_template)?;
    }
    let now = app.clock.now_ms();
    let row = app
        .store
        .run(move |s| {
            s.write(now, |tx| {
                tx.update_template(id, patch.name.as_deref(), patch.text.as_deref())
            })
        })
        .await?;
    row.map(|r| Json(TemplateView::from(r)).into_response())
        .ok_or_else(|| no_template(id))
}

/// `DELETE /v1/templates/{id}`.
#[utoipa::path(delete, path = "/v1/templates/{id}", operation_id = "delete_template", tag = "templates",
    params(("id" = String, Path, description = "Template id", pattern = r"^[0-9]{1,18}$")),
    responses(
        (status = 200, description = "Deleted", body = TemplateDeleted),
        (status = 400, description = "The path is not readable: invalid UTF-8 in its percent-encoding (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such template", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn delete(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let id = parse_id(&id, "template")?;
    let now = app.clock.now_ms();
    let deleted = app
        .store
        .run(move |s| s.write(now, |tx| tx.delete_template(id)))
        .await?;
    if deleted {
        Ok(Json(TemplateDeleted {
            id: id.to_string(),
            deleted: true,
        })
        .into_response())
    } else {
        Err(no_template(id))
    }
}

/// The audience of a preview.
enum Audience {
    Segment(i64),
    Filter(serde_json::Value),
    Contacts(Vec<ContactRef>),
}

/// `POST /v1/templates/preview`: renders a template for an audience and
/// answers what sending it would take — nothing is sent.
#[utoipa::path(post, path = "/v1/templates/preview", operation_id = "preview_template", tag = "templates",
    request_body = TemplatePreviewRequest,
    responses(
        (status = 200, description = "The preview: `count` recipients, segments (total, min, max), `estimated_cost` (`pricing.per_segment` × `segments_total`, in `currency`), the first 20 recipients and the extremes, warnings. Only contacts a marketing send would reach are counted; `excluded` says how many were left out and why", body = PreviewReport),
        (status = 400, description = "Not JSON (`bad_json`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such template or segment", body = super::ErrorResponse),
        (status = 413, description = "Body over 2 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as JSON: Content-Type must be application/json (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "Wrong shape (`invalid_request`: give one of text/template and one of segment/filter/contacts), a text that does not compile (`invalid_template`), a filter that does not validate (`invalid_filter`), a bad number (`invalid_number`) or a contact that does not exist (`unknown_contact`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn preview(
    _: Authorized,
    State(app): State<AppState>,
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req: TemplatePreviewRequest = object(body)?;
    let shape = |m: &str| ApiError::invalid("invalid_request", m.to_string());
    let text_source = match (req.text, req.template) {
        (Some(t), None) => Ok(t),
        (None, Some(id)) => Err(parse_id(&id, "template")?),
        _ => return Err(shape("give one of `text` or `template`")),
    };
    let audience = match (req.segment, req.filter, req.contacts) {
        (Some(id), None, None) => Audience::Segment(parse_id(&id, "segment")?),
        (None, Some(f), None) => Audience::Filter(f),
        (None, None, Some(c)) => {
            if c.len() > MAX_LISTED {
                return Err(shape(
                    "`contacts` lists at most 1000 contacts; use a segment for more",
                ));
            }
            Audience::Contacts(c)
        }
        _ => return Err(shape("give one of `segment`, `filter` or `contacts`")),
    };
    let now = app.clock.now_ms();
    let split = app.accepting.split.clone();
    let region = app.accepting.region;
    let zone = app.contacts.default_time_zone.clone();
    let pricing = app.pricing.clone();
    let attribution = app.campaigns.attribution.clone();
    let report = app
        .store
        .run(move |s| {
            let text = match text_source {
                Ok(t) => t,
                Err(id) => s.template(id)?.ok_or_else(|| no_template(id))?.text,
            };
            let template = Template::compile(&text).map_err(invalid_template)?;
            // A promo code and links of the real length (short links when
            // `public.base_url` is set; else the URL with UTM parameters).
            let (code, links) = crate::attribution::preview_extras(
                &attribution,
                &crate::attribution::Target {
                    variant: "A".into(),
                    utm_campaign: "preview".into(),
                    ..Default::default()
                },
            );
            let mut preview = Preview::new(&template, &split, &zone).with_extras(crate::templates::Extras {
                promo_code: Some(&code),
                links: Some(links),
                ..Default::default()
            });
            match audience {
                Audience::Segment(id) => {
                    let filter = s
                        .segment_filter(id)?
                        .ok_or_else(|| ApiError::not_found(format!("no segment {id}")))?;
                    feed_segment(s, &filter, now, &mut preview)?;
                }
                Audience::Filter(json) => {
                    let filter = s.parse_filter(&json)?;
                    feed_segment(s, &filter, now, &mut preview)?;
                }
                Audience::Contacts(refs) => {
                    for c in listed(s, &refs, region)? {
                        preview.add(&c);
                    }
                }
            }
            Ok::<_, ApiError>(preview.finish(pricing.per_segment, &pricing.currency))
        })
        .await?;
    Ok(Json(report).into_response())
}

/// The contacts listed, in order, each once; an unknown one is an error.
fn listed(s: &Store, refs: &[ContactRef], region: crate::phone::Region) -> Result<Vec<Contact>, ApiError> {
    let mut out: Vec<Contact> = Vec::with_capacity(refs.len());
    let mut seen = std::collections::HashSet::new();
    for r in refs {
        let (key, shown) = match r {
            ContactRef::Id(id) => (ContactKey::Id(*id), id.to_string()),
            // Digits alone name a contact by id first, as in `GET /v1/contacts/{id}`
            // (the API shows ids as strings), then by number.
            ContactRef::Phone(p)
                if !p.is_empty()
                    && p.len() <= 18
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && p.parse::<i64>()
                        .is_ok_and(|id| s.contact(&ContactKey::Id(id)).ok().flatten().is_some()) =>
            {
                let id = p.parse::<i64>().unwrap_or_default();
                (ContactKey::Id(id), id.to_string())
            }
            ContactRef::Phone(p) => {
                let n = Msisdn::parse(p, region)
                    .map_err(|e| ApiError::invalid("invalid_number", e.to_string()))?;
                (ContactKey::Phone(n.as_str().to_string()), n.as_str().to_string())
            }
        };
        let c = s
            .contact(&key)?
            .ok_or_else(|| ApiError::invalid("unknown_contact", format!("no contact {shown}")))?;
        if seen.insert(c.id) {
            out.push(c);
        }
    }
    Ok(out)
}
