//! The public listener (`[public] listen`): the routes people reach from
//! their phones and a shop's website — tracked links (`GET /l/{slug}`) and
//! the subscribe form (`GET|POST /subscribe`) — without the API token,
//! rate-limited, and exposing nothing else. It runs apart from the API's
//! listener so the API can stay on loopback while these face the world
//! (usually behind a reverse proxy that terminates TLS).

pub mod links;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::dispatch::{Clock, Dispatcher};
use crate::store::Store;

/// What the public handlers can reach.
#[derive(Clone)]
pub struct PublicState {
    /// The store.
    pub store: Store,
    /// The dispatcher, woken when a subscription queues a confirmation request.
    pub dispatcher: Dispatcher,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// How contacts are read and what they are sent (double opt-in texts).
    pub contacts: crate::contacts::ContactRules,
    /// `public.base_url`, without a trailing slash.
    pub base_url: Option<String>,
}

/// Every public route, and nothing else.
pub fn router(state: PublicState) -> Router {
    Router::new()
        .route("/l/{slug}", get(links::follow))
        .with_state(state)
}
