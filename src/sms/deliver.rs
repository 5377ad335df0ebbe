//! SMS-DELIVER (TS 23.040 §9.2.2.1): a message received from the network.
//! Encoding is here for the simulator, which plays the network's part.

use chrono::{DateTime, FixedOffset};

use super::address::Address;
use super::dcs::Dcs;
use super::error::DecodeError;
use super::reader::Reader;
use super::split::TextPlan;
use super::submit::seven;
use super::timestamp;
use super::user_data::{self, UserData};

/// A decoded SMS-DELIVER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// TP-MMS inverted: more messages are waiting at the SC.
    pub more_messages: bool,
    /// TP-RP.
    pub reply_path: bool,
    /// TP-SRI: the sender asked for a status report.
    pub status_report_indication: bool,
    /// TP-OA: who sent it.
    pub sender: Address,
    /// TP-PID (0x40 is a "type 0" message to be discarded after receipt).
    pub pid: u8,
    /// TP-DCS.
    pub dcs: Dcs,
    /// TP-SCTS; `None` when the network sent an impossible date.
    pub timestamp: Option<DateTime<FixedOffset>>,
    /// TP-UD.
    pub user_data: UserData,
}

pub(crate) fn decode(first: u8, r: &mut Reader<'_>) -> Result<Deliver, DecodeError> {
    let sender = Address::decode_tp(r, "TP-OA")?;
    let pid = r.u8("TP-PID")?;
    let dcs = Dcs::parse(r.u8("TP-DCS")?);
    let timestamp = timestamp::decode_field(seven(r, "TP-SCTS")?, "TP-SCTS")?;
    let user_data = user_data::decode(r, &dcs, first & 0x40 != 0)?;
    Ok(Deliver {
        more_messages: first & 0x04 == 0,
        reply_path: first & 0x80 != 0,
        status_report_indication: first & 0x20 != 0,
        sender,
        pid,
        dcs,
        timestamp,
        user_data,
    })
}

/// Encodes every segment of `plan` as SMS-DELIVER PDUs from `sender`,
/// SMSC field first, as a network would deliver a long message.
pub fn encode_deliver(
    smsc: Option<&Address>,
    sender: &Address,
    plan: &TextPlan,
    sent_at: DateTime<FixedOffset>,
    concat_ref: u16,
) -> Vec<Vec<u8>> {
    let smsc = smsc.map_or_else(|| vec![0x00], Address::encode_smsc);
    let oa = sender.encode_tp();
    let dcs = Dcs::for_submit(plan.encoding, false);
    (0..plan.segments.len())
        .map(|index| {
            let ud = user_data::encode_segment(plan, index, concat_ref);
            let mut first = 0x04; // TP-MTI deliver, TP-MMS: no more messages
            if ud.udhi {
                first |= 0x40;
            }
            let mut pdu = smsc.clone();
            pdu.push(first);
            pdu.extend_from_slice(&oa);
            pdu.push(0x00);
            pdu.push(dcs);
            pdu.extend_from_slice(&timestamp::encode(sent_at));
            pdu.extend_from_slice(&ud.bytes);
            pdu
        })
        .collect()
}
