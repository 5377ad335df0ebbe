//! The user data header (TS 23.040 §9.2.3.24): concatenation (IEI 0x00 and
//! 0x08) and national language shifts (IEI 0x24, 0x25) are understood;
//! every other information element is kept as is and otherwise skipped.

/// Which part of a concatenated message a PDU carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// Reference shared by all parts of one message.
    pub reference: u16,
    /// Number of parts, 1 to 255.
    pub total: u8,
    /// This part's number, 1 to `total`.
    pub seq: u8,
    /// Whether the 16-bit reference form (IEI 0x08) is used.
    pub wide_ref: bool,
}

/// An information element simfleet does not interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherElement {
    /// Information element identifier.
    pub id: u8,
    /// Its data, as received.
    pub data: Vec<u8>,
}

/// A parsed user data header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDataHeader {
    /// Concatenation, if the message is one part of several.
    pub concat: Option<Concat>,
    /// National language single shift identifier (IEI 0x24).
    pub national_single: Option<u8>,
    /// National language locking shift identifier (IEI 0x25).
    pub national_locking: Option<u8>,
    /// Elements not interpreted here (ports, special SMS indication, …).
    pub other: Vec<OtherElement>,
}

const IEI_CONCAT_8: u8 = 0x00;
const IEI_CONCAT_16: u8 = 0x08;
const IEI_SINGLE_SHIFT: u8 = 0x24;
const IEI_LOCKING_SHIFT: u8 = 0x25;

impl UserDataHeader {
    /// Parses the header octets that follow TP-UDHL. Never fails: an
    /// element whose length runs past the header ends parsing, and a
    /// concatenation element with a zero count or number is ignored, as
    /// TS 23.040 §9.2.3.24.1 asks. Repeated elements: the last one counts.
    pub fn parse(mut bytes: &[u8]) -> Self {
        let mut udh = Self::default();
        while let [id, len, rest @ ..] = bytes {
            let len = usize::from(*len);
            if len > rest.len() {
                break;
            }
            let (data, next) = rest.split_at(len);
            bytes = next;
            match (*id, data) {
                (IEI_CONCAT_8, &[reference, total, seq]) => {
                    udh.concat = concat(u16::from(reference), total, seq, false).or(udh.concat);
                }
                (IEI_CONCAT_16, &[hi, lo, total, seq]) => {
                    let reference = u16::from_be_bytes([hi, lo]);
                    udh.concat = concat(reference, total, seq, true).or(udh.concat);
                }
                (IEI_SINGLE_SHIFT, &[lang]) => udh.national_single = Some(lang),
                (IEI_LOCKING_SHIFT, &[lang]) => udh.national_locking = Some(lang),
                _ => udh.other.push(OtherElement {
                    id: *id,
                    data: data.to_vec(),
                }),
            }
        }
        udh
    }

    /// Whether the header carries no element at all.
    pub fn is_empty(&self) -> bool {
        self.concat.is_none()
            && self.national_single.is_none()
            && self.national_locking.is_none()
            && self.other.is_empty()
    }

    /// The header as sent, TP-UDHL first; empty when there is nothing to say.
    pub fn encode(&self) -> Vec<u8> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut out = vec![0u8];
        if let Some(c) = self.concat {
            if c.wide_ref {
                let [hi, lo] = c.reference.to_be_bytes();
                out.extend_from_slice(&[IEI_CONCAT_16, 4, hi, lo, c.total, c.seq]);
            } else {
                out.extend_from_slice(&[IEI_CONCAT_8, 3, c.reference as u8, c.total, c.seq]);
            }
        }
        if let Some(lang) = self.national_locking {
            out.extend_from_slice(&[IEI_LOCKING_SHIFT, 1, lang]);
        }
        if let Some(lang) = self.national_single {
            out.extend_from_slice(&[IEI_SINGLE_SHIFT, 1, lang]);
        }
        for ie in &self.other {
            out.push(ie.id);
            out.push(ie.data.len() as u8);
            out.extend_from_slice(&ie.data);
        }
        out[0] = (out.len() - 1) as u8;
        out
    }
}

fn concat(reference: u16, total: u8, seq: u8, wide_ref: bool) -> Option<Concat> {
    (total != 0 && seq != 0 && seq <= total).then_some(Concat {
        reference,
        total,
        seq,
        wide_ref,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_8_and_16() {
        let udh = UserDataHeader::parse(&[0x00, 0x03, 0x4C, 0x02, 0x01]);
        assert_eq!(
            udh.concat,
            Some(Concat {
                reference: 0x4C,
                total: 2,
                seq: 1,
                wide_ref: false
            })
        );
        let udh = UserDataHeader::parse(&[0x08, 0x04, 0x12, 0x34, 0x03, 0x03]);
        assert_eq!(
            udh.concat.map(|c| (c.reference, c.wide_ref)),
            Some((0x1234, true))
        );
    }

    #[test]
    fn unknown_elements_are_skipped_and_kept() {
        // Application port addressing (0x05) before a concat element.
        let udh = UserDataHeader::parse(&[0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x01, 0x02, 0x02]);
        assert_eq!(udh.concat.map(|c| c.seq), Some(2));
        assert_eq!(
            udh.other,
            [OtherElement {
                id: 0x05,
                data: vec![0x0B, 0x84, 0x23, 0xF0]
            }]
        );
    }

    #[test]
    fn malformed_elements_do_not_spoil_the_header() {
        // seq 0 and seq > total are ignored; a truncated element ends parsing.
        assert_eq!(
            UserDataHeader::parse(&[0x00, 0x03, 0x01, 0x02, 0x00]).concat,
            None
        );
        assert_eq!(
            UserDataHeader::parse(&[0x00, 0x03, 0x01, 0x02, 0x03]).concat,
            None
        );
        assert_eq!(UserDataHeader::parse(&[0x00, 0x02, 0x01, 0x02]).concat, None);
        let udh = UserDataHeader::parse(&[0x24, 0x01, 0x01, 0x25, 0x09, 0x01]);
        assert_eq!(udh.national_single, Some(1));
        assert_eq!(udh.national_locking, None);
    }

    #[test]
    fn encode_round_trips() {
        let udh = UserDataHeader {
            concat: Some(Concat {
                reference: 0xBEEF,
                total: 9,
                seq: 4,
                wide_ref: true,
            }),
            national_single: Some(1),
            national_locking: Some(3),
            other: vec![],
        };
        let bytes = udh.encode();
        assert_eq!(bytes[0] as usize, bytes.len() - 1);
        assert_eq!(bytes.len(), 1 + 6 + 3 + 3);
        assert_eq!(UserDataHeader::parse(&bytes[1..]), udh);
        assert!(UserDataHeader::default().encode().is_empty());
    }
}
