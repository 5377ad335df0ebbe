//! Webhooks: events (inbound, status, optout, vote) POSTed as signed JSON
//! to each configured receiver from the durable outbox, retried with
//! backoff, in order per message or number. Nothing is lost across
//! restarts or while a receiver is down; a receiver may see an event twice
//! (same `id`) if its answer was lost, so it should ignore repeats.

pub mod deliver;
pub mod sign;

pub use deliver::{Receiver, run};
