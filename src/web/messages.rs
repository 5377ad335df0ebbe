//! The messages page (`/messages`). Placeholder until its page is built.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;

use super::{Viewer, WebError, WebState};

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new().route("/messages", get(page))
}

async fn page(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    w.page("placeholder.html", &viewer, context! { page => "messages" })
}
