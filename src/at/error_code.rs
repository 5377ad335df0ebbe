//! `+CME ERROR` (TS 27.007 §9.2) and `+CMS ERROR` (TS 27.005 §3.2.5) codes,
//! in words, and what a failed send means for the gateway.

use std::fmt;

/// An error value as modems print it: a number (`AT+CMEE=1`) or words (`AT+CMEE=2`).
fn code_or_text(s: &str) -> (Option<u16>, Option<String>) {
    match s.parse() {
        Ok(code) => (Some(code), None),
        Err(_) => (None, Some(s.to_string())),
    }
}

/// A `+CME ERROR`: numeric with `AT+CMEE=1`, text with `AT+CMEE=2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmeError {
    /// The number, if the modem gave one.
    pub code: Option<u16>,
    /// The modem's text, if it gave text instead.
    pub text: Option<String>,
}

impl CmeError {
    pub(crate) fn parse(s: &str) -> Self {
        let (code, text) = code_or_text(s);
        Self { code, text }
    }

    /// The error in words.
    pub fn description(&self) -> &str {
        if let Some(text) = &self.text {
            return text;
        }
        match self.code.unwrap_or(u16::MAX) {
            0 => "phone failure",
            3 => "operation not allowed",
            4 => "operation not supported",
            10 => "SIM not inserted",
            11 => "SIM PIN required",
            12 => "SIM PUK required",
            13 => "SIM failure",
            14 => "SIM busy",
            15 => "SIM wrong",
            16 => "incorrect password",
            17 => "SIM PIN2 required",
            18 => "SIM PUK2 required",
            20 => "memory full",
            21 => "invalid index",
            22 => "not found",
            23 => "memory failure",
            30 => "no network service",
            31 => "network timeout",
            100 => "unknown error",
            _ => "equipment error",
        }
    }
}

impl fmt::Display for CmeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "+CME ERROR {code}: {}", self.description()),
            None => write!(f, "+CME ERROR: {}", self.description()),
        }
    }
}

/// What a `+CMS ERROR` on a send means for where the message goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendFailure {
    /// Transient, or this modem's or network's trouble: try another SIM.
    RetryElsewhere,
    /// This SIM or its account (no credit, barred, operator limit, no
    /// SMSC): cool the SIM down and send through others.
    SimProblem,
    /// The recipient or the message itself is refused: sending again will
    /// not help, through any SIM, and it says nothing about this SIM.
    Permanent,
    /// Refused in words that fit both the recipient and this SIM (transfer
    /// rejected, call barred, unknown subscriber…): the network does not
    /// say whose. Tried through another SIM; refused the same way there,
    /// it is the recipient's; sent there, it was this SIM's.
    RecipientOrSim,
}

/// A `+CMS ERROR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmsError {
    /// The number, if the modem gave one.
    pub code: Option<u16>,
    /// The modem's text, if it gave text instead.
    pub text: Option<String>,
}

impl CmsError {
    pub(crate) fn parse(s: &str) -> Self {
        let (code, text) = code_or_text(s);
        Self { code, text }
    }

    /// A numeric error, as the simulator and tests raise them.
    pub fn code(code: u16) -> Self {
        Self {
            code: Some(code),
            text: None,
        }
    }

    /// The error in words: 0–127 are network RP causes (TS 24.011 E.2),
    /// 128–255 TP-FCS values (TS 23.040 §9.2.3.22), 300+ modem errors.
    pub fn description(&self) -> &str {
        if let Some(text) = &self.text {
            return text;
        }
        let Some(code) = self.code else {
            return "unknown error";
        };
        cms_description(code).unwrap_or(match code {
            0..=127 => "network rejected the message",
            128..=255 => "service centre rejected the message",
            _ => "modem-specific error",
        })
    }
}

/// Words for the `+CMS ERROR` codes that have a meaning of their own.
fn cms_description(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "unassigned (unallocated) number",
        8 => "operator determined barring",
        10 => "call barred",
        17 => "network failure",
        21 => "short message transfer rejected",
        22 => "memory capacity exceeded",
        27 => "destination out of order",
        28 => "unidentified subscriber",
        29 => "facility rejected",
        30 => "unknown subscriber",
        38 => "network out of order",
        41 => "temporary failure",
        42 => "congestion",
        47 => "resources unavailable",
        50 => "requested facility not subscribed",
        69 => "requested facility not implemented",
        81 => "invalid short message transfer reference value",
        95 => "invalid message",
        96 => "invalid mandatory information",
        97 => "message type non-existent or not implemented",
        98 => "message not compatible with short message protocol state",
        99 => "information element non-existent or not implemented",
        111 => "protocol error",
        127 => "interworking unspecified",
        0x80 => "telematic interworking not supported",
        0x81 => "short message type 0 not supported",
        0x82 => "cannot replace short message",
        0x8F => "unspecified TP-PID error",
        0x90 => "data coding scheme not supported",
        0x91 => "message class not supported",
        0x9F => "unspecified TP-DCS error",
        0xB0 => "TPDU not supported",
        0xC0 => "service centre busy",
        0xC1 => "no service centre subscription",
        0xC2 => "service centre system failure",
        0xC3 => "invalid recipient address",
        0xC4 => "recipient barred",
        0xC5 => "rejected as a duplicate",
        0xC6 => "validity period format not supported",
        0xC7 => "validity period not supported",
        0xD0 => "SIM SMS storage full",
        0xD3 => "memory capacity exceeded",
        0xD4 => "SIM toolkit busy",
        300 => "modem failure",
        301 => "SMS service of modem reserved",
        302 => "operation not allowed",
        303 => "operation not supported",
        304 => "invalid PDU mode parameter",
        305 => "invalid text mode parameter",
        310 => "SIM not inserted",
        311 => "SIM PIN required",
        312 => "PH-SIM PIN required",
        313 => "SIM failure",
        314 => "SIM busy",
        315 => "SIM wrong",
        316 => "SIM PUK required",
        317 => "SIM PIN2 required",
        318 => "SIM PUK2 required",
        320 => "memory failure",
        321 => "invalid memory index",
        322 => "memory full",
        330 => "service centre address unknown",
        331 => "no network service",
        332 => "network timeout",
        340 => "no +CNMA acknowledgement expected",
        500 => "unknown error",
        _ => return None,
    })
}

impl CmsError {
    /// What this error means for a send, and so whose fault it is.
    ///
    /// Causes are RP-Cause values (TS 24.011 §8.2.5.4, Table 8.4 and Annex
    /// E.2), TP-Failure-Cause values (TS 23.040 §9.2.3.22) and the ME
    /// errors of TS 27.005 §3.2.5:
    /// - the recipient: 1 unassigned number, 0xC3 invalid SME address,
    ///   0xC4 SME barred: [`SendFailure::Permanent`];
    /// - the message: 95–97, 99 invalid or unsupported message, TP-PID and
    ///   TP-DCS errors (0x80–0x9F), 0xB0 TPDU not supported, 0xC6/0xC7
    ///   validity period, 304 invalid PDU: [`SendFailure::Permanent`];
    /// - this SIM or its subscription: 8 operator determined barring, 50
    ///   facility not subscribed, 0xC1 no SC subscription, 301 SMS service
    ///   reserved, 310–318 SIM errors, 330 SMSC address unknown:
    ///   [`SendFailure::SimProblem`];
    /// - either (the words fit both, and operators use them for account
    ///   trouble as much as for a recipient they refuse): 10 call barred,
    ///   21 transfer rejected, 22 memory capacity exceeded, 27 destination
    ///   out of order, 28 unidentified subscriber, 29 facility rejected, 30
    ///   unknown subscriber, 69 facility not implemented:
    ///   [`SendFailure::RecipientOrSim`];
    /// - the network or the modem, for now (38, 41, 42, 47, 0xC0, 0xC2,
    ///   331, 332, 500 and anything else): [`SendFailure::RetryElsewhere`].
    pub fn failure(&self) -> SendFailure {
        let Some(code) = self.code else {
            return SendFailure::RetryElsewhere;
        };
        match code {
            // The number does not exist or may not receive messages.
            1 | 0xC3 | 0xC4 => SendFailure::Permanent,
            // The message itself is refused (encoding, type, validity): anywhere.
            95..=97 | 99 | 0x80..=0x9F | 0xB0 | 0xC6 | 0xC7 | 304 => SendFailure::Permanent,
            // Only this SIM's subscription or the SIM itself can cause these.
            8 | 50 | 0xC1 | 301 | 310..=318 | 330 => SendFailure::SimProblem,
            // The recipient's, or this SIM's: a second SIM tells.
            10 | 21 | 22 | 27 | 28 | 29 | 30 | 69 => SendFailure::RecipientOrSim,
            _ => SendFailure::RetryElsewhere,
        }
    }
}

impl fmt::Display for CmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "+CMS ERROR {code}: {}", self.description()),
            None => write!(f, "+CMS ERROR: {}", self.description()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cms_categories() {
        assert_eq!(CmsError::code(1).failure(), SendFailure::Permanent);
        assert_eq!(CmsError::code(0xC4).failure(), SendFailure::Permanent);
        assert_eq!(CmsError::code(96).failure(), SendFailure::Permanent);
        assert_eq!(CmsError::code(0x90).failure(), SendFailure::Permanent);
        assert_eq!(CmsError::code(21).failure(), SendFailure::RecipientOrSim);
        assert_eq!(CmsError::code(28).failure(), SendFailure::RecipientOrSim);
        assert_eq!(CmsError::code(30).failure(), SendFailure::RecipientOrSim);
        assert_eq!(CmsError::code(8).failure(), SendFailure::SimProblem);
        assert_eq!(CmsError::code(50).failure(), SendFailure::SimProblem);
        assert_eq!(CmsError::code(38).failure(), SendFailure::RetryElsewhere);
        assert_eq!(CmsError::code(330).failure(), SendFailure::SimProblem);
        assert_eq!(CmsError::code(42).failure(), SendFailure::RetryElsewhere);
        assert_eq!(CmsError::code(500).failure(), SendFailure::RetryElsewhere);
        assert_eq!(CmsError::code(332).failure(), SendFailure::RetryElsewhere);
        assert_eq!(CmsError::parse("SIM busy").failure(), SendFailure::RetryElsewhere);
    }

    #[test]
    fn in_words() {
        assert_eq!(CmsError::code(42).to_string(), "+CMS ERROR 42: congestion");
        assert_eq!(
            CmeError::parse("10").to_string(),
            "+CME ERROR 10: SIM not inserted"
        );
        assert_eq!(
            CmeError::parse("SIM PIN required").to_string(),
            "+CME ERROR: SIM PIN required"
        );
        assert_eq!(CmsError::code(9999).description(), "modem-specific error");
    }
}
