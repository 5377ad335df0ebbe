//! The user data header (TS 23.040 §9.2.3.24): concatenation (IEI 0x00 and
//! 0x08) and national language shifts (IEI 0x24, 0x25) are understood;
//! every other information element is kept as is and otherwise skipped.

use super::error::DecodeError;

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

/// The length an element of type `id` must have, for those whose length is fixed.
fn fixed_length(id: u8) -> Option<usize> {
    match id {
        IEI_CONCAT_8 => Some(3),
        0x01 => Some(2), // special SMS message indication
        0x04 => Some(2), // application port, 8-bit
        0x05 => Some(4), // application port, 16-bit
        IEI_CONCAT_16 => Some(4),
        IEI_SINGLE_SHIFT | IEI_LOCKING_SHIFT => Some(1),
        _ => None,
    }
}

impl UserDataHeader {
    /// Parses the header octets that follow TP-UDHL.
    ///
    /// Errors ([`DecodeError::InvalidUdh`], naming the element and its
    /// offset): an element whose length runs past the header, and an
    /// element whose length contradicts its type (concatenation 3 or 4
    /// octets, application ports 2 or 4, special SMS indication 2,
    /// national language shifts 1; §9.2.3.24.1–.16). Such a header cannot
    /// be trusted to say where the text starts.
    ///
    /// A well-formed concatenation element with a zero count, a zero
    /// number or a number above the count is ignored, as §9.2.3.24.1
    /// asks; the text after the header is still read correctly. Repeated
    /// elements: the last one counts (§9.2.3.24).
    pub fn parse(mut bytes: &[u8]) -> Result<Self, DecodeError> {
        let header_len = bytes.len();
        let mut udh = Self::default();
        while !bytes.is_empty() {
            let offset = header_len - bytes.len();
            let [id, len, rest @ ..] = bytes else {
                return Err(DecodeError::InvalidUdh(format!(
                    "information element at offset {offset} has an identifier but no length"
                )));
            };
            let len = usize::from(*len);
            if len > rest.len() {
                return Err(DecodeError::InvalidUdh(format!(
                    "information element {id:#04x} at offset {offset} declares {len} octets but only {} remain in the header",
                    rest.len()
                )));
            }
            if let Some(want) = fixed_length(*id)
                && want != len
            {
                return Err(DecodeError::InvalidUdh(format!(
                    "information element {id:#04x} at offset {offset} must have {want} octets, declares {len}"
                )));
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
        Ok(udh)
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

    fn parse(bytes: &[u8]) -> UserDataHeader {
        UserDataHeader::parse(bytes).unwrap()
    }

    #[test]
    fn concat_8_and_16() {
        let udh = parse(&[0x00, 0x03, 0x4C, 0x02, 0x01]);
        assert_eq!(
            udh.concat,
            Some(Concat {
                reference: 0x4C,
                total: 2,
                seq: 1,
                wide_ref: false
            })
        );
        let udh = parse(&[0x08, 0x04, 0x12, 0x34, 0x03, 0x03]);
        assert_eq!(
            udh.concat.map(|c| (c.reference, c.wide_ref)),
            Some((0x1234, true))
        );
    }

    #[test]
    fn unknown_elements_are_skipped_and_kept() {
        // Application port addressing (0x05) before a concat element.
        let udh = parse(&[0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x01, 0x02, 0x02]);
        assert_eq!(udh.concat.map(|c| c.seq), Some(2));
        assert_eq!(
            udh.other,
            [OtherElement {
                id: 0x05,
                data: vec![0x0B, 0x84, 0x23, 0xF0]
            }]
        );
        // An element of a type without a fixed length, any length.
        assert_eq!(parse(&[0x70, 0x00, 0x71, 0x02, 0xAA, 0xBB]).other.len(), 2);
    }

    #[test]
    fn out_of_range_concat_numbers_are_ignored_as_the_spec_asks() {
        // seq 0, seq > total and total 0: §9.2.3.24.1 says ignore the element.
        assert_eq!(parse(&[0x00, 0x03, 0x01, 0x02, 0x00]).concat, None);
        assert_eq!(parse(&[0x00, 0x03, 0x01, 0x02, 0x03]).concat, None);
        assert_eq!(parse(&[0x00, 0x03, 0x01, 0x00, 0x00]).concat, None);
        assert_eq!(parse(&[0x08, 0x04, 0x00, 0x01, 0x00, 0x01]).concat, None);
    }

    #[test]
    fn element_running_past_the_header_is_an_error() {
        let err = UserDataHeader::parse(&[0x24, 0x01, 0x01, 0x25, 0x09, 0x01]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid user data header: information element 0x25 at offset 3 declares 9 octets but only 1 remain in the header"
        );
        let err = UserDataHeader::parse(&[0x00, 0x03, 0x01, 0x02, 0x01, 0x70]).unwrap_err();
        assert!(
            err.to_string()
                .contains("offset 5 has an identifier but no length"),
            "{err}"
        );
    }

    #[test]
    fn element_length_contradicting_its_type_is_an_error() {
        for (bytes, id, want, got) in [
            (&[0x00, 0x02, 0x01, 0x02][..], "0x00", 3, 2),
            (&[0x00, 0x04, 0x01, 0x02, 0x01, 0x00][..], "0x00", 3, 4),
            (&[0x08, 0x03, 0x01, 0x02, 0x01][..], "0x08", 4, 3),
            (&[0x24, 0x02, 0x01, 0x01][..], "0x24", 1, 2),
            (&[0x25, 0x00][..], "0x25", 1, 0),
            (&[0x05, 0x02, 0x0B, 0x84][..], "0x05", 4, 2),
            (&[0x04, 0x01, 0x0B][..], "0x04", 2, 1),
        ] {
            let err = UserDataHeader::parse(bytes).unwrap_err().to_string();
            assert!(
                err.contains(&format!(
                    "element {id} at offset 0 must have {want} octets, declares {got}"
                )),
                "{bytes:02X?}: {err}"
            );
        }
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
        assert_eq!(parse(&bytes[1..]), udh);
        assert!(UserDataHeader::default().encode().is_empty());
    }
}
