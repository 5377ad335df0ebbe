//! TP-SCTS and TP-DT (TS 23.040 §9.2.3.11): seven semi-octet pairs, year to
//! second, then the time zone in quarter hours with a sign bit.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};

use super::error::DecodeError;

const PARTS: [&str; 6] = ["year", "month", "day", "hour", "minute", "second"];

/// Decodes a time stamp read from `field` (TP-SCTS, TP-DT, TP-VP).
///
/// A semi-octet that is not a decimal digit (0xA–0xF) in the date, the
/// time or the time zone's units is an error naming `field` and the part:
/// such a field is not a time stamp at all, and reading it anyway would
/// make one up. Networks do send well-formed but impossible dates (all
/// zeros, month 13, hour 24); those give `Ok(None)` rather than failing
/// the whole message, which is still worth reading.
pub fn decode_field(
    octets: [u8; 7],
    field: &'static str,
) -> Result<Option<DateTime<FixedOffset>>, DecodeError> {
    for (b, part) in octets.iter().zip(PARTS) {
        let (lo, hi) = (b & 0x0F, b >> 4);
        if lo > 9 || hi > 9 {
            return Err(DecodeError::Invalid {
                field,
                reason: format!("{part} semi-octets {b:02X} are not decimal digits"),
            });
        }
    }
    // The time zone: units in the high nibble, tens in bits 0-2, sign in bit 3.
    if octets[6] >> 4 > 9 {
        return Err(DecodeError::Invalid {
            field,
            reason: format!("time zone semi-octets {:02X} are not decimal digits", octets[6]),
        });
    }
    Ok(decode(octets))
}

/// Decodes a service centre time stamp leniently: `None` for anything
/// that is not a valid date, non-BCD digits included. Decoders use
/// [`decode_field`], which refuses non-BCD digits.
pub fn decode(octets: [u8; 7]) -> Option<DateTime<FixedOffset>> {
    let field = |b: u8| -> Option<u32> {
        let (lo, hi) = (b & 0x0F, b >> 4);
        (lo <= 9 && hi <= 9).then(|| u32::from(lo) * 10 + u32::from(hi))
    };
    let yy = field(octets[0])?;
    // Two-digit years: 80–99 are the last century, as on handsets.
    let year = if yy >= 80 { 1900 + yy } else { 2000 + yy };
    let date = NaiveDate::from_ymd_opt(year as i32, field(octets[1])?, field(octets[2])?)?;
    let time = date.and_hms_opt(field(octets[3])?, field(octets[4])?, field(octets[5])?)?;
    let tz = octets[6];
    let quarters = i32::from(tz & 0x07) * 10 + i32::from(tz >> 4);
    if tz >> 4 > 9 {
        return None;
    }
    let seconds = quarters * 15 * 60;
    let offset = FixedOffset::east_opt(if tz & 0x08 != 0 { -seconds } else { seconds })?;
    time.and_local_timezone(offset).single()
}

/// Encodes a time stamp; the offset is truncated to whole quarter hours.
pub fn encode(t: DateTime<FixedOffset>) -> [u8; 7] {
    let pair = |v: u32| -> u8 { (((v % 10) << 4) | ((v / 10) % 10)) as u8 };
    let offset = t.offset().local_minus_utc();
    let quarters = (offset.unsigned_abs() / 900).min(79);
    let mut tz = pair(quarters);
    if offset < 0 {
        tz |= 0x08;
    }
    [
        pair(t.year().rem_euclid(100) as u32),
        pair(t.month()),
        pair(t.day()),
        pair(t.hour()),
        pair(t.minute()),
        pair(t.second()),
        tz,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_offset_from_modemmanager_pdu1() {
        let t = decode([0x11, 0x20, 0x82, 0x11, 0x05, 0x05, 0x0A]).unwrap();
        assert_eq!(t.to_rfc3339(), "2011-02-28T11:50:50-05:00");
    }

    #[test]
    fn positive_offset() {
        let t = decode([0x11, 0x30, 0x92, 0x91, 0x02, 0x40, 0x61]).unwrap();
        assert_eq!(t.to_rfc3339(), "2011-03-29T19:20:04+04:00");
    }

    #[test]
    fn impossible_dates_are_none() {
        assert_eq!(decode([0; 7]), None); // month 0
        assert_eq!(decode([0x11, 0x31, 0x10, 0, 0, 0, 0]), None); // month 13
        assert_eq!(decode([0x1A, 0x10, 0x10, 0, 0, 0, 0]), None); // not a digit
        assert_eq!(decode([0x11, 0x10, 0x10, 0x42, 0, 0, 0]), None); // hour 24
        assert_eq!(decode([0x11, 0x10, 0x10, 0, 0, 0, 0xA0]), None); // tz nibble
    }

    #[test]
    fn non_bcd_digits_are_an_error_naming_field_and_part() {
        let err = decode_field([0x1A, 0x10, 0x10, 0, 0, 0, 0], "TP-SCTS").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid TP-SCTS: year semi-octets 1A are not decimal digits"
        );
        let err = decode_field([0x11, 0x10, 0x10, 0x00, 0xF0, 0, 0], "TP-DT").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid TP-DT: minute semi-octets F0 are not decimal digits"
        );
        assert!(decode_field([0x11, 0x10, 0x10, 0, 0, 0, 0xA0], "TP-SCTS").is_err());
        // Well-formed digits of an impossible date are still read as "no date".
        assert_eq!(decode_field([0; 7], "TP-SCTS"), Ok(None));
        assert_eq!(decode_field([0x11, 0x31, 0x10, 0, 0, 0, 0], "TP-SCTS"), Ok(None));
        // The sign bit and the tens of the time zone may be anything.
        assert!(
            decode_field([0x11, 0x10, 0x10, 0, 0, 0, 0x0F], "TP-SCTS")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn encode_round_trips() {
        for s in [
            "2026-11-22T22:48:52+03:00",
            "1999-03-29T15:16:59-09:45",
            "2031-01-01T00:00:00+00:00",
        ] {
            let t = DateTime::parse_from_rfc3339(s).unwrap();
            assert_eq!(decode(encode(t)), Some(t), "{s}");
        }
    }
}
