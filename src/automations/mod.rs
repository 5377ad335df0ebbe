//! Automations (issue 14): messages a contact's life triggers rather than a
//! person starting a campaign.
//!
//! - [`spec`]: the request, checked (event trigger, date trigger, sequence).
//! - [`dates`]: when a date trigger falls on a contact's calendar, pure.
//! - [`feed`]: each dispatch round, planning date occurrences and turning
//!   due runs into messages (consent, opt-out, window, cap).
//! - [`model`]: what the API answers (an event's outcome, the figures).
//!
//! Every send is a row in `automation_runs` with a unique key per
//! automation, number, trigger occurrence and step, and becomes a message
//! through `Tx::enqueue` in the transaction that marks it queued: nothing
//! is sent twice, across restarts or crashes.

pub mod dates;
pub mod feed;
pub mod model;
pub mod spec;

pub use feed::AutomationRules;
pub use spec::{AutomationInput, AutomationKind, AutomationSpec, Trigger};
