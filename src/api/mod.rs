//! The local HTTP API (axum). Thin: every route is in [`router`], handlers
//! live in modules named after their paths, auth is an extractor, and one
//! [`ApiError`](error::ApiError) becomes the JSON error response. The
//! OpenAPI document is built from the same annotated handlers as the
//! router, so the two cannot drift apart.

pub mod auth;
pub mod automations;
pub mod batch_items;
pub mod body;
pub mod calls;
pub mod campaign_preview;
pub mod campaign_reports;
pub mod campaign_view;
pub mod campaigns;
pub mod codes;
pub mod contacts;
pub mod contacts_csv;
pub mod conversations;
pub mod email;
pub mod error;
pub mod estimate;
pub mod events;
pub mod inbox;
pub mod memory;
pub mod message_search;
pub mod messages;
pub mod metrics;
pub mod modems;
pub mod optouts;
pub mod overview;
pub mod page;
pub mod segments;
pub mod state;
pub mod surveys;
pub mod templates;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::Token;
pub use error::{ErrorDetail, ErrorResponse};
pub use state::{Accepting, AppState};

/// What a phone number field may hold, as JSON Schema `pattern`: the
/// characters [`crate::phone::Msisdn::parse`] takes (digits, a leading `+`,
/// the separators people type) between white space it trims. Whether the
/// digits make a valid number is for the parser (422 `invalid_number`).
/// Spelled out in each annotation (utoipa takes literals only);
/// tests/api_contract.rs checks they all equal this.
pub const NUMBER_PATTERN: &str = r"^[\s\u0085]*\+?[0-9 \u00a0\u202f\-\u2010\u2011.()/]*[\s\u0085]*$";

/// Largest single-message request body.
const MESSAGE_BODY_LIMIT: usize = 256 * 1024;
/// Largest batch body: 100,000 messages of a few hundred bytes each fit;
/// the body is held once while its transaction runs, so this bounds memory.
pub(crate) const BATCH_BODY_LIMIT: usize = 32 * 1024 * 1024;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "simfleet", description = "On-premise SMS gateway: send through USB GSM modems, read replies."),
    modifiers(&Bearer),
    components(schemas(ErrorResponse, ErrorDetail, crate::store::Status))
)]
struct ApiDoc;

/// `GET /healthz`: the process is up (no token needed).
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "operations", responses((status = 200, description = "ok", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// The routes and their OpenAPI document, from the same annotations.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let single = OpenApiRouter::new()
        .routes(routes!(messages::create, messages::list))
        .layer(DefaultBodyLimit::max(MESSAGE_BODY_LIMIT));
    // The batch route reads its body itself, bounded by BATCH_BODY_LIMIT.
    let batch = OpenApiRouter::new().routes(routes!(messages::batch));
    // The contact import spools its body itself, bounded by contacts_csv::IMPORT_BODY_LIMIT.
    let contacts_csv = OpenApiRouter::new()
        .routes(routes!(contacts_csv::import))
        .routes(routes!(contacts_csv::export));
    // A campaign's audience may list 100,000 numbers.
    let campaigns = OpenApiRouter::new()
        .routes(routes!(campaigns::create, campaigns::list))
        .routes(routes!(campaigns::get, campaigns::update))
        .routes(routes!(campaigns::start))
        .routes(routes!(campaigns::pause))
        .routes(routes!(campaigns::resume))
        .routes(routes!(campaigns::cancel))
        .routes(routes!(campaign_preview::preview))
        .layer(DefaultBodyLimit::max(campaigns::CAMPAIGN_BODY_LIMIT));
    let rest = OpenApiRouter::new()
        .routes(routes!(messages::get, messages::cancel))
        .routes(routes!(message_search::list))
        .routes(routes!(estimate::create))
        .routes(routes!(conversations::list))
        .routes(routes!(conversations::get))
        .routes(routes!(events::list, automations::record_event))
        .routes(routes!(automations::create, automations::list))
        .routes(routes!(automations::get, automations::update))
        .routes(routes!(automations::pause))
        .routes(routes!(automations::resume))
        .routes(routes!(modems::list))
        .routes(routes!(overview::get))
        .routes(routes!(optouts::list, optouts::create))
        .routes(routes!(optouts::get, optouts::delete))
        .routes(routes!(optouts::review_list))
        .routes(routes!(optouts::review_resolve))
        .routes(routes!(surveys::create, surveys::list))
        .routes(routes!(surveys::get))
        .routes(routes!(surveys::votes))
        .routes(routes!(surveys::close))
        .routes(routes!(inbox::list))
        .routes(routes!(calls::list))
        .routes(routes!(email::outbox))
        .routes(routes!(contacts::upsert, contacts::list))
        .routes(routes!(contacts::get, contacts::patch, contacts::delete))
        .routes(routes!(contacts::messages))
        .routes(routes!(segments::create, segments::list))
        .routes(routes!(segments::get, segments::update, segments::delete))
        .routes(routes!(segments::preview_saved))
        .routes(routes!(segments::preview))
        .routes(routes!(metrics::metrics))
        .routes(routes!(templates::create, templates::list))
        .routes(routes!(templates::get, templates::update, templates::delete))
        .routes(routes!(templates::preview))
        .routes(routes!(campaign_reports::breakdown))
        .routes(routes!(campaign_reports::compare))
        .routes(routes!(campaign_reports::timeseries))
        .routes(routes!(campaign_reports::recipients_csv))
        .routes(routes!(codes::redeem))
        .routes(routes!(codes::get))
        .routes(routes!(healthz));
    let (router, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(single)
        .merge(batch)
        .merge(contacts_csv)
        .merge(campaigns)
        .merge(rest)
        .split_for_parts();
    document_head_limit(&mut spec);
    (router, spec)
}

/// Every operation may answer 431: the HTTP layer refuses a request line
/// and headers over [`crate::gateway::http::WRITE_BUFFER`] (32 KiB) before
/// any route runs, with no body.
fn document_head_limit(spec: &mut utoipa::openapi::OpenApi) {
    for item in spec.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            op.responses.responses.insert(
                "431".into(),
                utoipa::openapi::RefOr::T(utoipa::openapi::Response::new(
                    "Request line and headers over 32 KiB (answered by the HTTP layer, without a body)",
                )),
            );
        }
    }
}

/// The OpenAPI document (for tests and tooling).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// Every route of the API, plus `GET /v1/openapi.json`.
pub fn router(state: AppState) -> Router {
    let (router, spec) = routes();
    router
        .route(
            "/v1/openapi.json",
            get(move |_: auth::Authorized| {
                let spec = spec.clone();
                async move { Json(spec) }
            }),
        )
        // After every route: a known path asked with another method gets a
        // JSON 405 (with `Allow`), not axum's empty one.
        .method_not_allowed_fallback(|| async { error::ApiError::method_not_allowed() })
        .fallback(|| async { error::ApiError::not_found("no such route") })
        .layer(axum::middleware::from_fn_with_state(
            memory::Reads::default(),
            memory::one_at_a_time,
        ))
        // Outermost: whatever axum or a layer answers on its own is JSON too.
        .layer(axum::middleware::map_response(error::json_errors))
        .with_state(state)
}
