//! Errors of the modem driver.

use std::time::Duration;

use thiserror::Error;

use crate::at::command::ReplyError;
use crate::at::{FinalResult, SendFailure};

/// A command that did not get the answer it wanted.
#[derive(Debug, Error)]
pub enum AtError {
    /// Reading or writing the port failed (unplugged, closed).
    #[error("port error: {0}")]
    Io(#[from] std::io::Error),
    /// The port closed: the device went away.
    #[error("port closed")]
    Closed,
    /// No final result within the command's timeout.
    #[error("{command}: no answer within {timeout:?}")]
    Timeout {
        /// The command sent.
        command: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// The modem answered with an error.
    #[error("{command}: {result}")]
    Rejected {
        /// The command sent.
        command: String,
        /// What it answered.
        result: FinalResult,
    },
    /// The reply had an unexpected shape.
    #[error(transparent)]
    Reply(#[from] ReplyError),
}

impl AtError {
    /// Whether the device is gone (as opposed to answering badly).
    pub fn is_disconnect(&self) -> bool {
        matches!(self, AtError::Io(_) | AtError::Closed)
    }
}

/// Why a PDU was not sent, in the two kinds the gateway must tell apart.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// The message certainly did not leave: refused before the prompt, or
    /// `+CMS ERROR` after the PDU. Safe to send again elsewhere.
    #[error("not sent: {reason}")]
    NotSent {
        /// What to do about it.
        failure: SendFailure,
        /// The modem's error in words.
        reason: String,
    },
    /// The PDU was written but no verdict came: the message may or may not
    /// have reached the network. Never re-send blindly.
    #[error("outcome unknown: {reason}")]
    Ambiguous {
        /// What happened.
        reason: String,
    },
}

impl SendError {
    pub(crate) fn not_sent(failure: SendFailure, reason: impl Into<String>) -> Self {
        SendError::NotSent {
            failure,
            reason: reason.into(),
        }
    }

    /// Whether the message certainly did not leave.
    pub fn is_not_sent(&self) -> bool {
        matches!(self, SendError::NotSent { .. })
    }
}
