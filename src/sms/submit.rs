//! SMS-SUBMIT (TS 23.040 §9.2.2.2): what a modem sends. Encoding produces
//! exactly the hex that follows the `AT+CMGS=<n>` prompt (SMSC field
//! first) and `<n>`, which counts the TPDU without the SMSC field
//! (TS 27.005 §3.5.1). Decoding reads messages stored as sent.

use chrono::{DateTime, FixedOffset};

use super::address::{Address, AddressKind};
use super::dcs::{Dcs, Encoding};
use super::error::{DecodeError, EncodeError};
use super::hex::encode_hex;
use super::reader::Reader;
use super::split::TextPlan;
use super::user_data::{self, UserData};
use super::{timestamp, validity};

/// How a submit is to be sent, beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitOptions {
    /// Service centre to use; `None` writes `00`, "the SIM's own".
    pub smsc: Option<Address>,
    /// Ask the network for a status report (TP-SRR).
    pub status_report: bool,
    /// Relative validity period in minutes (TP-VP), rounded up to the scale.
    pub validity_minutes: Option<u32>,
    /// Class 0: shown at once and not stored by the handset.
    pub flash: bool,
    /// TP-RD: ask the SC to drop a submit with the same TP-MR and TP-DA as
    /// one it still holds. Off by default: modems assign TP-MR themselves
    /// and it wraps at 256, so a busy SIM could see a genuine message rejected.
    pub reject_duplicates: bool,
}

/// One SMS-SUBMIT ready for `AT+CMGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPdu {
    /// SMSC field followed by the TPDU.
    pub bytes: Vec<u8>,
    /// Where the TPDU starts in `bytes` (the SMSC field's length).
    pub tpdu_offset: usize,
    /// 1-based number of this segment.
    pub segment: usize,
    /// Segments in the message.
    pub segments: usize,
    /// Alphabet of the user data.
    pub encoding: Encoding,
}

impl EncodedPdu {
    /// The `<length>` of `AT+CMGS=<length>`: TPDU octets, SMSC field excluded.
    pub fn tpdu_length(&self) -> usize {
        self.bytes.len() - self.tpdu_offset
    }

    /// Upper-case hex, as written after the prompt.
    pub fn hex(&self) -> String {
        encode_hex(&self.bytes)
    }
}

/// Encodes every segment of `plan` to `to`. `concat_ref` is the reference
/// shared by the parts; the caller allocates it (per SIM, so that parts of
/// different messages are never joined by a handset).
pub fn encode_submit(
    to: &Address,
    plan: &TextPlan,
    options: &SubmitOptions,
    concat_ref: u16,
) -> Result<Vec<EncodedPdu>, EncodeError> {
    if to.kind == AddressKind::Alphanumeric {
        return Err(EncodeError::InvalidNumber {
            number: to.value.clone(),
            reason: "an alphanumeric address cannot receive messages",
        });
    }
    let vp = options
        .validity_minutes
        .map(validity::relative_octet)
        .transpose()?;
    let smsc = options
        .smsc
        .as_ref()
        .map_or_else(|| vec![0x00], Address::encode_smsc);
    let da = to.encode_tp();
    let dcs = Dcs::for_submit(plan.encoding, options.flash);
    let segments = plan.segments.len();

    Ok((0..segments)
        .map(|index| {
            let ud = user_data::encode_segment(plan, index, concat_ref);
            let mut first = 0x01; // TP-MTI: SMS-SUBMIT
            if options.reject_duplicates {
                first |= 0x04;
            }
            if vp.is_some() {
                first |= 0x10; // TP-VPF: relative
            }
            if options.status_report {
                first |= 0x20;
            }
            if ud.udhi {
                first |= 0x40;
            }
            let mut bytes = Vec::with_capacity(smsc.len() + 4 + da.len() + ud.bytes.len() + 1);
            bytes.extend_from_slice(&smsc);
            bytes.push(first);
            bytes.push(0x00); // TP-MR: the modem assigns it
            bytes.extend_from_slice(&da);
            bytes.push(0x00); // TP-PID: plain short message
            bytes.push(dcs);
            bytes.extend(vp);
            bytes.extend_from_slice(&ud.bytes);
            EncodedPdu {
                bytes,
                tpdu_offset: smsc.len(),
                segment: index + 1,
                segments,
                encoding: plan.encoding,
            }
        })
        .collect())
}

/// TP-VP of a received submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Relative format, in minutes.
    Relative(u32),
    /// Absolute format; `None` if the date is impossible.
    Absolute(Option<DateTime<FixedOffset>>),
    /// Enhanced format (§9.2.3.12.3), as received.
    Enhanced([u8; 7]),
}

/// A decoded SMS-SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// TP-RD.
    pub reject_duplicates: bool,
    /// TP-VP, if present.
    pub validity: Option<Validity>,
    /// TP-SRR.
    pub status_report_request: bool,
    /// TP-RP.
    pub reply_path: bool,
    /// TP-MR.
    pub message_ref: u8,
    /// TP-DA.
    pub recipient: Address,
    /// TP-PID.
    pub pid: u8,
    /// TP-DCS.
    pub dcs: Dcs,
    /// TP-UD.
    pub user_data: UserData,
}

pub(crate) fn decode(first: u8, r: &mut Reader<'_>) -> Result<Submit, DecodeError> {
    let message_ref = r.u8("TP-MR")?;
    let recipient = Address::decode_tp(r, "TP-DA")?;
    let pid = r.u8("TP-PID")?;
    let dcs = Dcs::parse(r.u8("TP-DCS")?);
    let validity = match (first >> 3) & 0x03 {
        0b10 => Some(Validity::Relative(validity::relative_minutes(r.u8("TP-VP")?))),
        0b11 => Some(Validity::Absolute(timestamp::decode_field(
            seven(r, "TP-VP")?,
            "TP-VP",
        )?)),
        0b01 => Some(Validity::Enhanced(seven(r, "TP-VP")?)),
        _ => None,
    };
    let user_data = user_data::decode(r, &dcs, first & 0x40 != 0)?;
    Ok(Submit {
        reject_duplicates: first & 0x04 != 0,
        validity,
        status_report_request: first & 0x20 != 0,
        reply_path: first & 0x80 != 0,
        message_ref,
        recipient,
        pid,
        dcs,
        user_data,
    })
}

/// Reads a seven-octet field (time stamps, enhanced validity).
pub(crate) fn seven(r: &mut Reader<'_>, field: &'static str) -> Result<[u8; 7], DecodeError> {
    let b = r.take(7, field)?;
    Ok([b[0], b[1], b[2], b[3], b[4], b[5], b[6]])
}
