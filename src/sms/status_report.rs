//! SMS-STATUS-REPORT (TS 23.040 §9.2.2.3): the network's word on whether a
//! sent message reached the handset, matched to it by TP-MR and TP-RA.

use chrono::{DateTime, FixedOffset};

use super::address::Address;
use super::dcs::Dcs;
use super::error::DecodeError;
use super::reader::Reader;
use super::submit::seven;
use super::timestamp;
use super::user_data::{self, UserData};

/// What a TP-ST value means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusCategory {
    /// The transaction is complete: the handset has it.
    Delivered,
    /// A temporary error; the SC is still trying.
    Pending,
    /// The SC has given up, permanently or after temporary errors.
    Failed,
}

impl StatusCategory {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCategory::Delivered => "delivered",
            StatusCategory::Pending => "pending",
            StatusCategory::Failed => "failed",
        }
    }
}

/// TP-ST with its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryStatus {
    /// The octet as received.
    pub code: u8,
    /// Delivered, pending or failed.
    pub category: StatusCategory,
}

impl DeliveryStatus {
    /// Classifies a TP-ST octet (§9.2.3.15). Reserved values above 0x7F
    /// count as failed: nothing says the SC is still trying.
    pub fn from_code(code: u8) -> Self {
        let category = match code {
            0x00..=0x1F => StatusCategory::Delivered,
            0x20..=0x3F => StatusCategory::Pending,
            _ => StatusCategory::Failed,
        };
        Self { code, category }
    }

    /// The status in words, for logs, history and users.
    pub fn description(self) -> &'static str {
        match self.code {
            0x00 => "received by the recipient",
            0x01 => "forwarded to the recipient, delivery unconfirmed",
            0x02 => "replaced by the service centre",
            0x03..=0x1F => "delivered",
            0x20 | 0x60 => "network congestion",
            0x21 | 0x61 => "recipient busy",
            0x22 | 0x62 => "no response from recipient",
            0x23 | 0x63 => "service rejected",
            0x24 | 0x44 | 0x64 => "quality of service not available",
            0x25 | 0x65 => "error in the recipient's handset",
            0x26..=0x3F => "temporary error, still trying",
            0x40 => "remote procedure error",
            0x41 => "incompatible destination",
            0x42 => "connection rejected by recipient",
            0x43 => "recipient not obtainable",
            0x45 => "no interworking available",
            0x46 => "validity period expired",
            0x47 => "deleted by the sender",
            0x48 => "deleted by service centre administration",
            0x49 => "message does not exist",
            0x4A..=0x5F => "permanent error",
            0x66..=0x7F => "temporary error, service centre gave up",
            _ => "reserved status value",
        }
    }
}

/// A decoded SMS-STATUS-REPORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// TP-MMS inverted.
    pub more_messages: bool,
    /// TP-SRQ: this reports on an SMS-COMMAND rather than a submit.
    pub for_command: bool,
    /// TP-MR of the submit this reports on.
    pub message_ref: u8,
    /// TP-RA: the submit's recipient.
    pub recipient: Address,
    /// TP-SCTS: when the SC received the submit.
    pub sc_timestamp: Option<DateTime<FixedOffset>>,
    /// TP-DT: when the status was reached (delivery, or giving up).
    pub discharge_time: Option<DateTime<FixedOffset>>,
    /// TP-ST.
    pub status: DeliveryStatus,
    /// Optional TP-PID.
    pub pid: Option<u8>,
    /// Optional TP-DCS.
    pub dcs: Option<Dcs>,
    /// Optional TP-UD.
    pub user_data: Option<UserData>,
}

pub(crate) fn decode(first: u8, r: &mut Reader<'_>) -> Result<StatusReport, DecodeError> {
    let message_ref = r.u8("TP-MR")?;
    let recipient = Address::decode_tp(r, "TP-RA")?;
    let sc_timestamp = timestamp::decode_field(seven(r, "TP-SCTS")?, "TP-SCTS")?;
    let discharge_time = timestamp::decode_field(seven(r, "TP-DT")?, "TP-DT")?;
    let status = DeliveryStatus::from_code(r.u8("TP-ST")?);
    let mut report = StatusReport {
        more_messages: first & 0x04 == 0,
        for_command: first & 0x20 != 0,
        message_ref,
        recipient,
        sc_timestamp,
        discharge_time,
        status,
        pid: None,
        dcs: None,
        user_data: None,
    };
    // The optional tail (TP-PI and what it announces) is often padded or
    // cut short by networks; the report is complete without it.
    let mut tail = r.clone();
    if let Ok((pid, dcs, user_data)) = decode_optional(first, &mut tail) {
        report.pid = pid;
        report.dcs = dcs;
        report.user_data = user_data;
    }
    r.rest();
    Ok(report)
}

type OptionalTail = (Option<u8>, Option<Dcs>, Option<UserData>);

fn decode_optional(first: u8, r: &mut Reader<'_>) -> Result<OptionalTail, DecodeError> {
    if r.remaining() == 0 {
        return Ok((None, None, None));
    }
    let pi = r.u8("TP-PI")?;
    // Further TP-PI octets (extension bit) carry nothing defined yet.
    let mut ext = pi;
    while ext & 0x80 != 0 {
        ext = r.u8("TP-PI")?;
    }
    let pid = if pi & 0x01 != 0 {
        Some(r.u8("TP-PID")?)
    } else {
        None
    };
    let dcs = if pi & 0x02 != 0 {
        Some(Dcs::parse(r.u8("TP-DCS")?))
    } else {
        None
    };
    let user_data = if pi & 0x04 != 0 {
        let dcs = dcs.unwrap_or(Dcs::parse(0));
        Some(user_data::decode(r, &dcs, first & 0x40 != 0)?)
    } else {
        None
    };
    Ok((pid, dcs, user_data))
}

/// Encodes a status report as a network would send it (for the simulator).
pub fn encode_status_report(
    smsc: Option<&Address>,
    message_ref: u8,
    recipient: &Address,
    sc_timestamp: DateTime<FixedOffset>,
    discharge_time: DateTime<FixedOffset>,
    status: u8,
) -> Vec<u8> {
    let mut pdu = smsc.map_or_else(|| vec![0x00], Address::encode_smsc);
    pdu.push(0x06); // TP-MTI status report, TP-MMS: no more messages
    pdu.push(message_ref);
    pdu.extend_from_slice(&recipient.encode_tp());
    pdu.extend_from_slice(&timestamp::encode(sc_timestamp));
    pdu.extend_from_slice(&timestamp::encode(discharge_time));
    pdu.push(status);
    pdu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_categories() {
        assert_eq!(
            DeliveryStatus::from_code(0x00).category,
            StatusCategory::Delivered
        );
        assert_eq!(
            DeliveryStatus::from_code(0x1F).category,
            StatusCategory::Delivered
        );
        assert_eq!(DeliveryStatus::from_code(0x20).category, StatusCategory::Pending);
        assert_eq!(DeliveryStatus::from_code(0x30).category, StatusCategory::Pending);
        assert_eq!(DeliveryStatus::from_code(0x46).category, StatusCategory::Failed);
        assert_eq!(DeliveryStatus::from_code(0x62).category, StatusCategory::Failed);
        assert_eq!(DeliveryStatus::from_code(0xFF).category, StatusCategory::Failed);
        assert_eq!(
            DeliveryStatus::from_code(0x46).description(),
            "validity period expired"
        );
    }
}
