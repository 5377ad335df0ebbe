//! Addresses (TS 23.040 §9.1.2.5): the SMSC field, TP-OA, TP-DA and TP-RA.
//! Numbers are semi-octets with a type-of-address octet; an alphanumeric
//! sender ("InternetSMS") is GSM 7-bit text.

use std::fmt;

use super::alphabet::Charset;
use super::error::{DecodeError, EncodeError};
use super::reader::Reader;
use super::septets;

/// Type of number, from the type-of-address octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// International number (TON 001): shown with a leading `+`.
    International,
    /// National number (TON 010).
    National,
    /// Alphanumeric sender (TON 101), e.g. a brand name.
    Alphanumeric,
    /// Unknown (TON 000) or any other type; digits as given.
    Other,
}

/// A phone number or alphanumeric sender.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// Type of number.
    pub kind: AddressKind,
    /// Digits (`0-9 * # a b c`) without `+`, or the alphanumeric text.
    pub value: String,
    /// The type-of-address octet as received or to be sent.
    pub toa: u8,
}

/// Most digits an address field holds (TS 23.040 §9.1.2.5).
pub const MAX_DIGITS: usize = 20;

const TOA_INTERNATIONAL: u8 = 0x91;
const TOA_UNKNOWN: u8 = 0x81;

impl Address {
    /// Parses a dialable number: an optional leading `+` (international)
    /// then digits; spaces, dashes, dots and brackets are ignored.
    pub fn parse_number(text: &str) -> Result<Address, EncodeError> {
        let invalid = |reason| EncodeError::InvalidNumber {
            number: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        let (international, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{A0}' => {}
                '+' => return Err(invalid("'+' may only lead the number")),
                _ => return Err(invalid("only digits and an optional leading '+' are allowed")),
            }
        }
        if digits.is_empty() {
            return Err(invalid("no digits"));
        }
        if digits.len() > MAX_DIGITS {
            return Err(invalid("more than 20 digits"));
        }
        Ok(if international {
            Address {
                kind: AddressKind::International,
                value: digits,
                toa: TOA_INTERNATIONAL,
            }
        } else {
            Address {
                kind: AddressKind::Other,
                value: digits,
                toa: TOA_UNKNOWN,
            }
        })
    }

    /// TP-DA / TP-OA / TP-RA form: length in digits, type, semi-octets.
    pub fn encode_tp(&self) -> Vec<u8> {
        match self.kind {
            AddressKind::Alphanumeric => {
                let septets = Charset::DEFAULT
                    .encode(&self.value)
                    .unwrap_or_else(|_| Charset::DEFAULT.encode("?").unwrap_or_default());
                let (octets, count) = septets::pack_user_data(&[], &septets);
                // Length counts useful semi-octets.
                let semi = (count * 7).div_ceil(4);
                let mut out = vec![semi as u8, self.toa];
                out.extend_from_slice(&octets);
                out
            }
            _ => {
                let mut out = vec![self.value.len() as u8, self.toa];
                out.extend(semi_octets(&self.value));
                out
            }
        }
    }

    /// SMSC form: length in octets (type included), type, semi-octets.
    pub fn encode_smsc(&self) -> Vec<u8> {
        let digits = semi_octets(&self.value);
        let mut out = vec![(digits.len() + 1) as u8, self.toa];
        out.extend(digits);
        out
    }

    /// Reads a TP address field named `field` (TP-OA, TP-DA, TP-RA).
    ///
    /// Errors: a length over [`MAX_DIGITS`] semi-octets (TS 23.040
    /// §9.1.2.5 allows 20, an 11-character alphanumeric sender included),
    /// and a number with a filler semi-octet (0xF) before its last digit.
    /// A filler after the last digit counted is the slack real networks
    /// send and is accepted.
    pub(crate) fn decode_tp(r: &mut Reader<'_>, field: &'static str) -> Result<Address, DecodeError> {
        let len = usize::from(r.u8(field)?);
        if len > MAX_DIGITS {
            return Err(DecodeError::Invalid {
                field,
                reason: format!(
                    "length of {len} semi-octets, more than the {MAX_DIGITS} an address may have"
                ),
            });
        }
        let toa = r.u8(field)?;
        let octets = r.take(len.div_ceil(2), field)?;
        Self::from_parts(toa, octets, len, field)
    }

    /// Reads the SMSC field that `AT+CMGL` puts first; `None` when its length is 0.
    /// Its length counts octets, the type of address included: at most 11
    /// (20 digits; TS 24.011 §8.2.5.1 RP-Address).
    pub(crate) fn decode_smsc(r: &mut Reader<'_>) -> Result<Option<Address>, DecodeError> {
        const FIELD: &str = "SMSC address";
        let len = usize::from(r.u8(FIELD)?);
        if len == 0 {
            return Ok(None);
        }
        if len > 1 + MAX_DIGITS / 2 {
            return Err(DecodeError::Invalid {
                field: FIELD,
                reason: format!(
                    "length of {len} octets, more than the {} a service centre address may have",
                    1 + MAX_DIGITS / 2
                ),
            });
        }
        let toa = r.u8(FIELD)?;
        let octets = r.take(len - 1, FIELD)?;
        Self::from_parts(toa, octets, octets.len() * 2, FIELD).map(Some)
    }

    fn from_parts(
        toa: u8,
        octets: &[u8],
        semi_count: usize,
        field: &'static str,
    ) -> Result<Address, DecodeError> {
        let kind = match (toa >> 4) & 0x07 {
            0b001 => AddressKind::International,
            0b010 => AddressKind::National,
            0b101 => AddressKind::Alphanumeric,
            _ => AddressKind::Other,
        };
        let value = if kind == AddressKind::Alphanumeric {
            let count = semi_count * 4 / 7;
            Charset::DEFAULT.decode(&septets::unpack(octets, 0, count))
        } else {
            read_semi_octets(octets, semi_count, field)?
        };
        Ok(Address { kind, value, toa })
    }
}

impl fmt::Display for Address {
    /// International numbers with `+`, everything else as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == AddressKind::International && !self.value.is_empty() {
            write!(f, "+{}", self.value)
        } else {
            f.write_str(&self.value)
        }
    }
}

fn semi_octets(digits: &str) -> Vec<u8> {
    let nibble = |c: u8| match c {
        b'*' => 0xA,
        b'#' => 0xB,
        b'a' => 0xC,
        b'b' => 0xD,
        b'c' => 0xE,
        d => (d.wrapping_sub(b'0')) & 0x0F,
    };
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let lo = nibble(pair[0]);
            let hi = pair.get(1).map_or(0xF, |&d| nibble(d));
            hi << 4 | lo
        })
        .collect()
}

/// The digits of `count` semi-octets; fillers (0xF) may only end them.
fn read_semi_octets(octets: &[u8], count: usize, field: &'static str) -> Result<String, DecodeError> {
    let nibbles = || octets.iter().flat_map(|b| [b & 0x0F, b >> 4]).take(count);
    if let Some(pos) = nibbles().position(|n| n == 0xF)
        && nibbles().skip(pos).any(|n| n != 0xF)
    {
        return Err(DecodeError::Invalid {
            field,
            reason: format!("filler semi-octet F at digit {} before the last digit", pos + 1),
        });
    }
    Ok(nibbles()
        .filter_map(|n| match n {
            0..=9 => Some(char::from(b'0' + n)),
            0xA => Some('*'),
            0xB => Some('#'),
            0xC => Some('a'),
            0xD => Some('b'),
            0xE => Some('c'),
            _ => None, // 0xF: filler
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(bytes: &[u8]) -> Result<Address, DecodeError> {
        Address::decode_tp(&mut Reader::new(bytes), "TP-OA")
    }

    #[test]
    fn encodes_like_modemmanager() {
        // mm tests: Address-Encoder/{intl,unknown,smsc-intl,smsc-unknown}.
        let intl = Address::parse_number("+19037029920").unwrap();
        assert_eq!(intl.encode_tp(), [0x0B, 0x91, 0x91, 0x30, 0x07, 0x92, 0x29, 0xF0]);
        assert_eq!(
            intl.encode_smsc(),
            [0x07, 0x91, 0x91, 0x30, 0x07, 0x92, 0x29, 0xF0]
        );
        let unknown = Address::parse_number("9037029920").unwrap();
        assert_eq!(unknown.encode_tp(), [0x0A, 0x81, 0x09, 0x73, 0x20, 0x99, 0x02]);
        assert_eq!(unknown.encode_smsc(), [0x06, 0x81, 0x09, 0x73, 0x20, 0x99, 0x02]);
    }

    #[test]
    fn parse_number_forgives_formatting_not_letters() {
        let a = Address::parse_number(" +7 (916) 123-45.67 ").unwrap();
        assert_eq!(a.to_string(), "+79161234567");
        assert_eq!(
            Address::parse_number("8 916 123 45 67").unwrap().to_string(),
            "89161234567"
        );
        for bad in ["", "+", "abc", "+7+9", "12345678901234567890123", "☎123"] {
            assert!(Address::parse_number(bad).is_err(), "{bad:?}");
        }
        assert!(Address::parse_number("12345678901234567890").is_ok());
    }

    #[test]
    fn decodes_alphanumeric_sender() {
        // mm test pdu2: "InternetSMS".
        let a = tp(&[
            0x14, 0xD0, 0x49, 0x37, 0xBD, 0x2C, 0x77, 0x97, 0xE9, 0xD3, 0xE6, 0x14,
        ])
        .unwrap();
        assert_eq!(a.kind, AddressKind::Alphanumeric);
        assert_eq!(a.to_string(), "InternetSMS");
    }

    #[test]
    fn alphanumeric_round_trips() {
        for name in ["Bank", "simfleet", "ABCDEFGHIJK"] {
            let a = Address {
                kind: AddressKind::Alphanumeric,
                value: name.into(),
                toa: 0xD0,
            };
            assert_eq!(tp(&a.encode_tp()).unwrap(), a);
        }
    }

    #[test]
    fn short_code_and_national() {
        let a = tp(&[0x04, 0x85, 0x81, 0x00]).unwrap();
        assert_eq!(a.to_string(), "1800");
        let a = tp(&[0x03, 0xA1, 0x21, 0xF3]).unwrap();
        assert_eq!((a.kind, a.value.as_str()), (AddressKind::National, "123"));
    }

    #[test]
    fn truncated_address_names_field() {
        let err = tp(&[0x0B, 0x91, 0x61, 0x71]).unwrap_err();
        assert_eq!(err.to_string(), "truncated TP-OA: need 6 octets, have 2");
        assert!(tp(&[]).is_err());
        assert!(Address::decode_smsc(&mut Reader::new(&[0x07, 0x91, 0x21])).is_err());
    }

    #[test]
    fn over_long_addresses_are_refused_naming_the_field() {
        // 21 digits: one more than §9.1.2.5 allows.
        let mut pdu = vec![21, 0x91];
        pdu.extend([0x21; 11]);
        assert_eq!(
            tp(&pdu).unwrap_err().to_string(),
            "invalid TP-OA: length of 21 semi-octets, more than the 20 an address may have"
        );
        // 20 digits, and an 11-character alphanumeric sender (20 semi-octets), are fine.
        let mut pdu = vec![20, 0x91];
        pdu.extend([0x21; 10]);
        assert_eq!(tp(&pdu).unwrap().value.len(), 20);
        // The SMSC field: 12 octets (type + 22 digits) is too long.
        let mut smsc = vec![12, 0x91];
        smsc.extend([0x21; 11]);
        let err = Address::decode_smsc(&mut Reader::new(&smsc)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid SMSC address: length of 12 octets"),
            "{err}"
        );
    }

    #[test]
    fn filler_inside_a_number_is_refused_but_trailing_filler_is_slack() {
        // "12F4": a filler before the last digit.
        let err = tp(&[0x04, 0x81, 0x21, 0x4F]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid TP-OA: filler semi-octet F at digit 3 before the last digit"
        );
        // A length that counts the trailing filler: harmless, accepted.
        assert_eq!(tp(&[0x04, 0x81, 0x21, 0xF3]).unwrap().value, "123");
    }

    #[test]
    fn smsc_zero_length_is_none() {
        assert_eq!(Address::decode_smsc(&mut Reader::new(&[0x00])).unwrap(), None);
        let smsc = Address::decode_smsc(&mut Reader::new(&[
            0x07, 0x91, 0x21, 0x04, 0x44, 0x29, 0x61, 0xF4,
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(smsc.to_string(), "+12404492164");
    }
}
