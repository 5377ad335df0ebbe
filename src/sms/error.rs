//! Errors of the PDU codec: one enum for decoding (outside input, so every
//! variant names the field that failed) and one for encoding (caller input).

use thiserror::Error;

/// Why a PDU could not be decoded. Messages name the 3GPP TS 23.040 field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input held no octets at all.
    #[error("empty PDU")]
    Empty,
    /// Hex text with an odd number of digits.
    #[error("odd number of hex digits ({0}); a PDU is whole octets")]
    OddHexLength(usize),
    /// Hex text with a character that is not a hex digit.
    #[error("invalid hex digit {found:?} at position {position}")]
    InvalidHex {
        /// The offending character.
        found: char,
        /// Its zero-based position in the text.
        position: usize,
    },
    /// A field runs past the end of the PDU.
    #[error("truncated {field}: need {need} octets, have {have}")]
    Truncated {
        /// The field being read (e.g. "TP-OA", "user data").
        field: &'static str,
        /// Octets the field needs.
        need: usize,
        /// Octets left in the PDU.
        have: usize,
    },
    /// The user data header contradicts the user data it sits in.
    #[error("invalid user data header: {0}")]
    InvalidUdh(String),
    /// A field holds a value the spec does not allow and that cannot be read around.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field (e.g. "TP-UDL").
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a message could not be encoded. These come from the caller's input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// The destination or SMSC number is not a dialable number.
    #[error("invalid number {number:?}: {reason}")]
    InvalidNumber {
        /// The number as given.
        number: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The text needs more than 255 segments (TS 23.040 §9.2.3.24.1).
    #[error("text needs {segments} segments, more than the maximum of 255")]
    TooManySegments {
        /// Segments the text would need.
        segments: usize,
    },
    /// The validity period cannot be expressed as a relative TP-VP.
    #[error("invalid validity period of {minutes} minutes: {reason}")]
    InvalidValidity {
        /// Minutes asked for.
        minutes: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
}
