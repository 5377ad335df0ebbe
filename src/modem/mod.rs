//! One actor per modem, owning its serial port; nothing else touches the
//! line. Init, send, read inbox, health, reconnect, per-vendor quirks.
//!
//! - [`port`]: the AT line over any byte stream (commands, PDU sends, URCs).
//! - [`init`]: the initialisation sequence and its fallbacks.
//! - [`quirks`]: per-vendor differences.
//! - [`actor`]: the task, its handle, inbound delivery with acknowledgement.
//! - [`calls`]: incoming voice calls (a burst of `RING`s is one call).
//! - [`connect`]: opening the line (serial port, or anything in tests).
//! - [`state`]: what others can observe.

pub mod actor;
pub mod calls;
pub mod connect;
pub mod discover;
pub mod error;
pub mod fd_stream;
pub mod init;
pub mod port;
pub mod quirks;
pub mod state;
pub mod sysfs;

pub use actor::{Inbound, InboundSource, ModemConfig, ModemHandle, spawn};
pub use calls::{CallAction, CallEnd, CallEvent};
pub use connect::{Connector, SerialConnector};
pub use error::{AtError, SendError};
pub use state::{ModemInfo, ModemState, ModemStatus};
