//! Hex text as modems print PDUs (`AT+CMGL`, `+CMT`) and as `AT+CMGS` wants them.

use super::error::DecodeError;

/// Parses hex digits (either case) into octets. Surrounding whitespace is
/// the caller's business; anything else that is not a hex digit is an error.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, DecodeError> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(DecodeError::OddHexLength(digits.len()));
    }
    let nibble = |i: usize| -> Result<u8, DecodeError> {
        let c = digits[i];
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(DecodeError::InvalidHex {
                found: text.get(i..).and_then(|t| t.chars().next()).unwrap_or('?'),
                position: i,
            }),
        }
    };
    (0..digits.len() / 2)
        .map(|k| Ok(nibble(2 * k)? << 4 | nibble(2 * k + 1)?))
        .collect()
}

/// Upper-case hex, the form modems accept and print.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0F)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_case() {
        assert_eq!(decode_hex("00aF10").unwrap(), vec![0x00, 0xAF, 0x10]);
        assert_eq!(encode_hex(&[0x00, 0xAF, 0x10]), "00AF10");
        assert_eq!(decode_hex("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(decode_hex("0A1").unwrap_err(), DecodeError::OddHexLength(3));
        assert_eq!(
            decode_hex("0G").unwrap_err().to_string(),
            "invalid hex digit 'G' at position 1"
        );
        // A multi-byte character is reported whole, not as a broken byte.
        let err = decode_hex("0Ж").unwrap_err();
        assert_eq!(err, DecodeError::OddHexLength(3));
        assert_eq!(
            decode_hex("ЖЖ").unwrap_err().to_string(),
            "invalid hex digit 'Ж' at position 0"
        );
    }
}
