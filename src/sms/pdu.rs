//! Decoding a whole PDU as modems print it: the SMSC field, then a TPDU
//! whose TP-MTI says what it is (TS 23.040 §9.2.3.1). Read in the
//! direction a modem stores messages: 00 deliver, 01 submit (one we sent),
//! 10 status report. The reserved 11 is an error: its layout is undefined,
//! so reading it as anything would read garbage. (§9.2.3.1 asks a handset
//! to keep such a TPDU "exactly as received"; the gateway's consumer does
//! that with every PDU it cannot decode.)

use super::address::Address;
use super::deliver::{self, Deliver};
use super::error::DecodeError;
use super::hex::decode_hex;
use super::reader::Reader;
use super::status_report::{self, StatusReport};
use super::submit::{self, Submit};

/// A transfer-layer PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tpdu {
    /// A received message.
    Deliver(Deliver),
    /// A message to send (or stored as sent).
    Submit(Submit),
    /// A delivery report.
    StatusReport(StatusReport),
}

/// A PDU with its SMSC field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The service centre, if the field is not empty.
    pub smsc: Option<Address>,
    /// The TPDU.
    pub tpdu: Tpdu,
}

/// Decodes a PDU that starts with the SMSC field (`AT+CMGL`, `+CMT`).
pub fn decode(bytes: &[u8]) -> Result<Pdu, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut r = Reader::new(bytes);
    let smsc = Address::decode_smsc(&mut r)?;
    let tpdu = decode_tpdu_from(&mut r)?;
    Ok(Pdu { smsc, tpdu })
}

/// Decodes a TPDU without an SMSC field (some modems' `+CDS`).
pub fn decode_tpdu(bytes: &[u8]) -> Result<Tpdu, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    decode_tpdu_from(&mut Reader::new(bytes))
}

/// Decodes hex text (surrounding whitespace ignored).
pub fn decode_hex_pdu(text: &str) -> Result<Pdu, DecodeError> {
    decode(&decode_hex(text.trim())?)
}

fn decode_tpdu_from(r: &mut Reader<'_>) -> Result<Tpdu, DecodeError> {
    let first = r.u8("TP-MTI")?;
    Ok(match first & 0x03 {
        0b00 => Tpdu::Deliver(deliver::decode(first, r)?),
        0b01 => Tpdu::Submit(submit::decode(first, r)?),
        0b10 => Tpdu::StatusReport(status_report::decode(first, r)?),
        _ => {
            return Err(DecodeError::Invalid {
                field: "TP-MTI",
                reason: format!("message type 3 is reserved (first octet {first:02X})"),
            });
        }
    })
}

/// Best effort, for a PDU that failed to decode: the sender (TP-OA) of
/// what looks like an SMS-DELIVER, if the SMSC field and TP-OA themselves
/// read cleanly. Only for showing a person who sent it; never acted on.
pub fn originator(bytes: &[u8]) -> Option<Address> {
    let mut r = Reader::new(bytes);
    Address::decode_smsc(&mut r).ok()?;
    let first = r.u8("TP-MTI").ok()?;
    if first & 0x03 != 0 {
        return None;
    }
    Address::decode_tp(&mut r, "TP-OA").ok()
}
