//! AT framing and parsing (TS 27.005, 27.007), sans-IO: bytes in, typed
//! events and responses out. No port, no clock, no async; tested from byte
//! strings and recorded transcripts.
//!
//! - [`parser`]: byte stream → [`Event`]s (echo, lines, prompt, finals, URCs).
//! - [`urc`]: the unsolicited result codes simfleet understands.
//! - [`error_code`]: `+CME`/`+CMS ERROR` in words, and what a failed send means.
//! - [`command`]: typed commands with their text, expected lines, timeout and reply parser.
//! - [`params`]: parameter lists of information lines.

pub mod command;
pub mod error_code;
pub mod event;
pub mod params;
pub mod parser;
pub mod urc;

pub use error_code::{CmeError, CmsError, SendFailure};
pub use event::{Event, FinalResult};
pub use parser::Parser;
pub use urc::{Domain, RegStatus, Urc};
