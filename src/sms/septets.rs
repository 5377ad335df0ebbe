//! Septet packing (TS 23.038 §6.1.2.1.1): seven-bit codes packed LSB first
//! into octets. After a user data header the septets start at the next
//! septet boundary of the user data, so fill bits follow the header
//! (TS 23.040 §9.2.3.24).

/// Septets a user data header of `udh_octets` octets (UDHL included) occupies.
pub fn header_septets(udh_octets: usize) -> usize {
    (udh_octets * 8).div_ceil(7)
}

/// Octets needed to hold `septets` septets.
pub fn octets_for(septets: usize) -> usize {
    (septets * 7).div_ceil(8)
}

/// Builds 7-bit user data: `header` octets (UDHL first, or empty), fill
/// bits, then `septets`. Returns the octets and TP-UDL (total septets).
pub fn pack_user_data(header: &[u8], septets: &[u8]) -> (Vec<u8>, usize) {
    let start = header_septets(header.len());
    let total = start + septets.len();
    let mut out = vec![0u8; octets_for(total)];
    out[..header.len()].copy_from_slice(header);
    for (i, &s) in septets.iter().enumerate() {
        let bit = (start + i) * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        let value = u16::from(s & 0x7F) << shift;
        out[byte] |= value as u8;
        if shift > 1 {
            out[byte + 1] |= (value >> 8) as u8;
        }
    }
    (out, total)
}

/// Reads `count` septets starting at septet index `start` of `data`.
/// Septets beyond the data read as zero bits; callers check lengths first.
pub fn unpack(data: &[u8], start: usize, count: usize) -> Vec<u8> {
    (start..start + count)
        .map(|i| {
            let bit = i * 7;
            let (byte, shift) = (bit / 8, bit % 8);
            let lo = u16::from(data.get(byte).copied().unwrap_or(0));
            let hi = u16::from(data.get(byte + 1).copied().unwrap_or(0));
            (((hi << 8 | lo) >> shift) & 0x7F) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::alphabet::Charset;

    #[test]
    fn hellohello_packs_as_in_23_040_examples() {
        let septets = Charset::DEFAULT.encode("hellohello").unwrap();
        let (octets, udl) = pack_user_data(&[], &septets);
        assert_eq!(udl, 10);
        assert_eq!(octets, [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]);
        assert_eq!(unpack(&octets, 0, 10), septets);
    }

    #[test]
    fn fill_bits_after_six_octet_header() {
        // 8-bit concat header: 6 octets = 48 bits, so one fill bit and the
        // text starts at septet 7.
        let header = [0x05, 0x00, 0x03, 0x4C, 0x02, 0x01];
        assert_eq!(header_septets(header.len()), 7);
        let (octets, udl) = pack_user_data(&header, &[0x41]);
        assert_eq!(udl, 8);
        assert_eq!(&octets[..6], &header);
        // 'A' (0x41) shifted left by the one fill bit.
        assert_eq!(octets[6], 0x82);
        assert_eq!(unpack(&octets, 7, 1), [0x41]);
    }

    #[test]
    fn every_alignment_round_trips() {
        let septets: Vec<u8> = (0..=127).collect();
        for header_len in 0..=12 {
            let header: Vec<u8> = (0..header_len as u8).map(|b| b.wrapping_mul(37)).collect();
            let (octets, udl) = pack_user_data(&header, &septets);
            let start = header_septets(header_len);
            assert_eq!(udl, start + 128);
            assert_eq!(&octets[..header_len], &header[..]);
            assert_eq!(unpack(&octets, start, 128), septets, "header {header_len}");
        }
    }

    #[test]
    fn unpack_past_end_is_zero_not_panic() {
        assert_eq!(unpack(&[0xFF], 0, 3), [0x7F, 0x01, 0x00]);
    }
}
