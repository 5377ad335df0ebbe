//! The modem simulator: pseudo-terminals that behave like USB GSM modems
//! (echo, URC noise, SIM storage, `+CMTI`, status reports, send latency)
//! with faults on demand. It drives every integration test, the demo and
//! the benchmarks, and real clients such as gammu work against it.
//!
//! - [`profile`]: identities (vendor, IMEI, IMSI, ICCID, operator).
//! - [`modem`]: one modem's AT command set, SIM and faults, over any stream.
//! - [`pty`]: the PTYs.
//! - [`fleet`]: N modems at `DIR/modemN`, unplug and replug.
//! - [`control`]: the loopback HTTP control API.

pub mod control;
pub mod fleet;
pub mod in_process;
pub mod modem;
pub mod profile;
pub mod pty;

pub use fleet::{Fleet, FleetConfig};
pub use modem::{Faults, LedgerEntry, SimModem};
