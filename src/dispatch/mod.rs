//! Which SIM sends what and when: round-robin with sticky recipients,
//! daily and per-minute limits, cool-downs, retries, schedules.
//!
//! - [`assign`]: the pure choice of SIM for each queued message.
//! - [`limits`]: per-minute windows and error rates, pure.
//! - [`clock`]: the injected clock.
//! - [`dispatcher`]: the event-driven loop and the sends.

pub mod assign;
pub mod clock;
pub mod dispatcher;
pub mod histogram;
pub mod limits;

pub use clock::{Clock, ManualClock, SystemClock};
pub use dispatcher::{DispatchConfig, Dispatcher, ModemView};
pub use limits::SimPolicy;
