//! TP-UDL and TP-UD (TS 23.040 §9.2.3.16, §9.2.3.24): the header, if
//! TP-UDHI says there is one, and the text or data after it.

use super::alphabet::Charset;
use super::dcs::{Dcs, Encoding};
use super::error::DecodeError;
use super::reader::Reader;
use super::septets;
use super::udh::UserDataHeader;

/// The body of a message as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// GSM 7-bit text, already mapped through the charset in use.
    Text(String),
    /// UCS-2 code units; kept as units so parts split inside a surrogate
    /// pair by a careless sender can be joined before decoding.
    Ucs2(Vec<u16>),
    /// 8-bit data (or compressed text, which simfleet does not undo).
    Data(Vec<u8>),
}

impl Content {
    /// The text, if this is text; unpaired surrogates become U+FFFD.
    pub fn text(&self) -> Option<String> {
        match self {
            Content::Text(t) => Some(t.clone()),
            Content::Ucs2(units) => Some(String::from_utf16_lossy(units)),
            Content::Data(_) => None,
        }
    }
}

/// TP-UD: optional header plus content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    /// The user data header, when TP-UDHI is set.
    pub header: Option<UserDataHeader>,
    /// The text or data.
    pub content: Content,
}

impl UserData {
    /// The charset a GSM 7-bit body was read with.
    pub fn charset(&self) -> Charset {
        charset_for(self.header.as_ref())
    }
}

fn charset_for(header: Option<&UserDataHeader>) -> Charset {
    header.map_or(Charset::DEFAULT, |h| {
        Charset::from_ids(h.national_locking, h.national_single)
    })
}

/// Most septets TP-UD holds (§9.2.3.16), header included.
pub const MAX_SEPTETS: usize = 160;
/// Most octets TP-UD holds (§9.2.3.16), header included.
pub const MAX_OCTETS: usize = 140;

/// Reads TP-UDL and TP-UD.
///
/// Errors, each naming the field: TP-UDL over the maximum (160 septets,
/// 140 octets); fewer octets than TP-UDL declares; TP-UDHI set with no
/// user data; a header (TP-UDHL) longer than the user data or one whose
/// elements contradict it ([`UserDataHeader::parse`]); a UCS-2 body of an
/// odd number of octets, which cannot be whole code units.
///
/// Accepted slack, seen from real modems and networks: octets after the
/// declared length (padding) are ignored.
pub(crate) fn decode(r: &mut Reader<'_>, dcs: &Dcs, udhi: bool) -> Result<UserData, DecodeError> {
    let udl = usize::from(r.u8("TP-UDL")?);
    let text_7bit = dcs.encoding == Encoding::Gsm7 && !dcs.compressed;
    let (max, unit) = if text_7bit {
        (MAX_SEPTETS, "septets")
    } else {
        (MAX_OCTETS, "octets")
    };
    if udl > max {
        return Err(DecodeError::Invalid {
            field: "TP-UDL",
            reason: format!("{udl} {unit}, more than the {max} a message can hold"),
        });
    }
    let octet_count = if text_7bit { septets::octets_for(udl) } else { udl };
    let ud = r.take(octet_count, "user data")?;

    let (header, body_start) = match (udhi, ud.first()) {
        (true, Some(&udhl)) => {
            let end = 1 + usize::from(udhl);
            if end > ud.len() {
                return Err(DecodeError::InvalidUdh(format!(
                    "header length {} exceeds the {} octets of user data",
                    udhl,
                    ud.len() - 1
                )));
            }
            (Some(UserDataHeader::parse(&ud[1..end])?), end)
        }
        (true, None) => {
            return Err(DecodeError::InvalidUdh(
                "TP-UDHI announces a header but TP-UDL is 0".to_string(),
            ));
        }
        _ => (None, 0),
    };

    let content = if text_7bit {
        let start = if header.is_some() {
            septets::header_septets(body_start)
        } else {
            0
        };
        if start > udl {
            return Err(DecodeError::InvalidUdh(format!(
                "header takes {start} septets but TP-UDL is {udl}"
            )));
        }
        Content::Text(charset_for(header.as_ref()).decode(&septets::unpack(ud, start, udl - start)))
    } else {
        let body = &ud[body_start..];
        if dcs.encoding == Encoding::Ucs2 && !dcs.compressed {
            if body.len() % 2 != 0 {
                return Err(DecodeError::Invalid {
                    field: "TP-UDL",
                    reason: format!(
                        "UCS-2 text of {} octets is not whole 2-octet characters",
                        body.len()
                    ),
                });
            }
            Content::Ucs2(
                body.chunks_exact(2)
                    .map(|p| u16::from_be_bytes([p[0], p[1]]))
                    .collect(),
            )
        } else {
            Content::Data(body.to_vec())
        }
    };
    Ok(UserData { header, content })
}

/// User data for one segment of a plan, ready to follow TP-DCS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncodedUserData {
    /// Whether a header is present (TP-UDHI).
    pub udhi: bool,
    /// TP-UDL followed by TP-UD.
    pub bytes: Vec<u8>,
}

/// Builds segment `index` of `plan` with concatenation reference `concat_ref`
/// (only its low octet is sent unless the plan uses 16-bit references).
pub(crate) fn encode_segment(
    plan: &super::split::TextPlan,
    index: usize,
    concat_ref: u16,
) -> EncodedUserData {
    use super::split::SegmentBody;
    use super::udh::Concat;

    let total = plan.segments.len();
    let header = UserDataHeader {
        concat: (total > 1).then(|| Concat {
            reference: if plan.wide_ref {
                concat_ref
            } else {
                concat_ref & 0xFF
            },
            total: total as u8,
            seq: (index + 1) as u8,
            wide_ref: plan.wide_ref,
        }),
        national_locking: plan.charset.locking.map(|l| l.id()),
        national_single: plan.charset.single.map(|l| l.id()),
        other: Vec::new(),
    }
    .encode();
    let (ud, udl) = match &plan.segments[index] {
        SegmentBody::Septets(s) => septets::pack_user_data(&header, s),
        SegmentBody::Ucs2(units) => {
            let mut ud = header.clone();
            ud.extend(units.iter().flat_map(|u| u.to_be_bytes()));
            let len = ud.len();
            (ud, len)
        }
    };
    let mut bytes = Vec::with_capacity(1 + ud.len());
    bytes.push(udl as u8);
    bytes.extend_from_slice(&ud);
    EncodedUserData {
        udhi: !header.is_empty(),
        bytes,
    }
}
