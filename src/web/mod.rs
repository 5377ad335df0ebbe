//! The web dashboard: server-rendered pages (minijinja) with a little
//! htmx, served at `/` on the API's listener while the JSON API stays
//! under `/v1/`. Everything is embedded in the binary (templates, texts,
//! assets); nothing is fetched from the network, at build or run time.
//!
//! Pages are thin like the API's handlers: they call the same library
//! functions (never SQL of their own), so a page's action meets the same
//! suppression, consent, caps and idempotency as the API. Each page is a
//! module with its `routes()`; [`session`] guards them all but `/login`.

pub mod assets;
pub mod charts;
pub mod format;
pub mod i18n;
pub mod render;
pub mod session;
pub mod users;

pub mod automations;
pub mod campaigns;
pub mod contacts;
pub mod conversations;
pub mod messages;
pub mod optouts;
pub mod overview;
pub mod segments;
pub mod send;
pub mod settings;
pub mod surveys;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use chrono_tz::Tz;

use crate::api::AppState;
use i18n::Catalog;
use render::Renderer;
use session::LoginLimiter;

pub use render::{Viewer, WebError};

/// What lives as long as the process.
#[derive(Debug)]
pub struct WebShared {
    /// Templates and texts.
    pub renderer: Renderer,
    /// The users file (`web.users_file`).
    pub users_file: PathBuf,
    /// Whether the listener speaks TLS (cookies get `Secure`).
    pub tls: bool,
    /// Session idle timeout (ms).
    pub idle_ms: i64,
    /// Session absolute timeout (ms).
    pub max_ms: i64,
    /// Sign-in attempts per client.
    pub login_limiter: LoginLimiter,
    /// The zone times are shown in when the browser has not told its own.
    pub default_tz: Tz,
    /// The configuration the gateway runs with.
    pub config: crate::config::Config,
}

/// What every page handler can reach: the API's state (the same store,
/// dispatcher, rules) and the dashboard's own.
#[derive(Clone)]
pub struct WebState {
    /// The API's state.
    pub api: AppState,
    /// The dashboard's.
    pub shared: Arc<WebShared>,
}

impl WebState {
    /// The dashboard's state for a gateway running `config`.
    pub fn new(api: AppState, config: &crate::config::Config) -> WebState {
        let web = &config.web;
        let default_tz = config.contacts.default_time_zone.parse().unwrap_or(Tz::UTC);
        WebState {
            api,
            shared: Arc::new(WebShared {
                renderer: Renderer::new(Arc::new(Catalog::load())),
                users_file: web.users_file(&config.api),
                tls: config.api.tls(),
                idle_ms: i64::from(web.session_idle_hours) * 3_600_000,
                max_ms: i64::from(web.session_max_days) * 86_400_000,
                login_limiter: LoginLimiter::new(web.login_attempts_per_minute),
                default_tz,
                config: config.clone(),
            }),
        }
    }

    /// Renders `template` for `viewer` as an HTML answer.
    pub fn page(
        &self,
        template: &str,
        viewer: &Viewer,
        ctx: minijinja::Value,
    ) -> Result<axum::response::Response, WebError> {
        self.shared.renderer.page(template, viewer, ctx)
    }

    /// The current time (unix ms) by the gateway's clock.
    pub fn now_ms(&self) -> i64 {
        self.api.clock.now_ms()
    }
}

/// The dashboard's routes: `/login` open, everything else behind a session.
pub fn router(state: WebState) -> Router {
    let pages = Router::new()
        .route("/logout", post(session::logout))
        .route("/assets/{name}", get(assets::serve))
        .merge(overview::routes())
        .merge(send::routes())
        .merge(messages::routes())
        .merge(conversations::routes())
        .merge(contacts::routes())
        .merge(segments::routes())
        .merge(campaigns::routes())
        .merge(automations::routes())
        .merge(surveys::routes())
        .merge(optouts::routes())
        .merge(settings::routes())
        .fallback(|| async { WebError::not_found("no such page") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::require_session,
        ));
    Router::new()
        .route(
            "/login",
            get(session::login_form)
                .post(session::login)
                // A name, a password and a token: no reason to read more
                // from someone not signed in yet.
                .layer(axum::extract::DefaultBodyLimit::max(session::LOGIN_BODY_LIMIT)),
        )
        // Browsers ask for it on every site; nothing to show, nothing to sign in for.
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::prefs,
        ))
        .with_state(state)
}

/// One listener for both: the JSON API at `/v1/…`, `/healthz` and
/// `/metrics`; the dashboard (when on) everywhere else.
pub fn mount(api: Router, web: Option<Router>) -> Router {
    let Some(web) = web else {
        return api;
    };
    let both = tower::service_fn(move |req: axum::extract::Request| {
        let path = req.uri().path();
        let to_api = path == "/v1" || path.starts_with("/v1/") || path == "/healthz" || path == "/metrics";
        let target = if to_api { api.clone() } else { web.clone() };
        async move { tower::ServiceExt::oneshot(target, req).await }
    });
    Router::new().fallback_service(both)
}
