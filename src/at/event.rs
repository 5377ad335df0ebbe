//! What the AT parser yields: echoes, information lines, the `> ` prompt,
//! final result codes and unsolicited result codes.

use super::error_code::{CmeError, CmsError};
use super::urc::Urc;

/// A final result code: the end of a command's response (TS 27.007 §5.7, §9.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinalResult {
    /// `OK`.
    Ok,
    /// Plain `ERROR` (or a vendor's `COMMAND NOT SUPPORT`, `TOO MANY PARAMETERS`).
    Error,
    /// `+CME ERROR: <n>`: equipment or SIM error.
    Cme(CmeError),
    /// `+CMS ERROR: <n>`: message service error (TS 27.005 §3.2.5).
    Cms(CmsError),
    /// `NO CARRIER`, `BUSY`, `NO ANSWER`, `NO DIALTONE`: call results.
    Call(String),
}

impl FinalResult {
    /// Whether the command succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, FinalResult::Ok)
    }

    /// Recognises a final result code line.
    pub fn parse(line: &str) -> Option<FinalResult> {
        match line {
            "OK" => return Some(FinalResult::Ok),
            "ERROR" | "COMMAND NOT SUPPORT" | "TOO MANY PARAMETERS" => return Some(FinalResult::Error),
            "NO CARRIER" | "BUSY" | "NO ANSWER" | "NO DIALTONE" => {
                return Some(FinalResult::Call(line.to_string()));
            }
            _ => {}
        }
        if let Some(rest) = line.strip_prefix("+CME ERROR:") {
            return Some(FinalResult::Cme(CmeError::parse(rest.trim())));
        }
        if let Some(rest) = line.strip_prefix("+CMS ERROR:") {
            return Some(FinalResult::Cms(CmsError::parse(rest.trim())));
        }
        None
    }
}

impl std::fmt::Display for FinalResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FinalResult::Ok => f.write_str("OK"),
            FinalResult::Error => f.write_str("ERROR"),
            FinalResult::Cme(e) => write!(f, "{e}"),
            FinalResult::Cms(e) => write!(f, "{e}"),
            FinalResult::Call(s) => f.write_str(s),
        }
    }
}

/// One thing the modem said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The modem repeating the command it was sent (echo on).
    Echo(String),
    /// An information line belonging to the command in flight.
    Line(String),
    /// The `> ` prompt asking for a PDU (after `AT+CMGS=<n>`).
    Prompt,
    /// The end of the command in flight.
    Final(FinalResult),
    /// Something the modem said on its own.
    Urc(Urc),
    /// A line longer than the parser's bound was dropped.
    LineTooLong {
        /// Bytes discarded.
        len: usize,
    },
}
