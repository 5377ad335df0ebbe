//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;

use super::auth::Token;
use crate::dispatch::{Clock, Dispatcher};
use crate::phone::Region;
use crate::sms::SplitOptions;
use crate::store::Store;

/// How messages are read and encoded when accepted.
#[derive(Debug, Clone)]
pub struct Accepting {
    /// How national numbers are read.
    pub region: Region,
    /// Delivery reports unless a message says otherwise.
    pub status_reports: bool,
    /// Encoding options (national tables, punctuation).
    pub split: SplitOptions,
    /// How long a message may wait to be sent (from `send_at` or
    /// acceptance) before it expires; `None`: it waits forever.
    pub validity_minutes: Option<u32>,
}

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The dispatcher, woken on enqueue.
    pub dispatcher: Dispatcher,
    /// The API token.
    pub token: Token,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Acceptance rules.
    pub accepting: Accepting,
    /// How contacts are read and what they are sent.
    pub contacts: crate::contacts::ContactRules,
    /// What one SMS costs (template previews).
    pub pricing: crate::config::PricingConfig,
    /// Campaign defaults (`[campaigns]`).
    pub campaigns: crate::campaigns::CampaignRules,
}

impl FromRef<AppState> for Token {
    fn from_ref(state: &AppState) -> Token {
        state.token.clone()
    }
}
