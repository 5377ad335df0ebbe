//! Campaigns: a marketing send to a fixed audience, with variants, each
//! recipient's local window, frequency caps, a deadline, priorities below
//! transactional messages and an optional A/B test with a winner.
//!
//! - [`spec`]: the request, checked.
//! - [`window`]: the sending window on each recipient's clock (DST-safe), pure.
//! - [`variant`]: deterministic A/B assignment, pure.
//! - [`status`]: the lifecycle.
//! - [`rules`]: the configured defaults.
//! - [`lifecycle`]: start, pause, resume, cancel (what the API and CLI call).
//! - [`feed`]: turning pending recipients into messages each dispatch round.
//! - [`ab_test`]: deciding an A/B test's winner.
//! - [`metrics`]: the figures the guides define.
//! - [`eta`]: what the SIMs can send before the deadline.
//! - [`start`]: fixing the audience when a campaign starts.

pub mod ab_test;
pub mod eta;
pub mod feed;
pub mod lifecycle;
pub mod metrics;
pub mod rules;
pub mod spec;
pub mod start;
pub mod status;
pub mod variant;
pub mod window;

pub use rules::CampaignRules;
pub use spec::{CampaignInput, Spec, SpecError};
pub use status::{Action, CampaignStatus};
pub use window::Window;
