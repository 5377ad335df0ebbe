//! Relative TP-VP (TS 23.040 §9.2.3.12.1): one octet on a stepped scale,
//! 5 minutes to 63 weeks.

use super::error::EncodeError;

/// Minutes an octet of relative validity stands for.
pub fn relative_minutes(vp: u8) -> u32 {
    let vp = u32::from(vp);
    match vp {
        0..=143 => (vp + 1) * 5,
        144..=167 => 12 * 60 + (vp - 143) * 30,
        168..=196 => (vp - 166) * 24 * 60,
        _ => (vp - 192) * 7 * 24 * 60,
    }
}

/// The octet for at least `minutes` of validity: the scale is stepped, so
/// the period is rounded up, never cut short.
pub fn relative_octet(minutes: u32) -> Result<u8, EncodeError> {
    if minutes == 0 {
        return Err(EncodeError::InvalidValidity {
            minutes,
            reason: "must be at least 1 minute",
        });
    }
    (0..=255u8)
        .find(|&vp| relative_minutes(vp) >= minutes)
        .ok_or(EncodeError::InvalidValidity {
            minutes,
            reason: "longer than the maximum of 63 weeks (635040 minutes)",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_boundaries() {
        assert_eq!(relative_minutes(0), 5);
        assert_eq!(relative_minutes(143), 720);
        assert_eq!(relative_minutes(144), 750);
        assert_eq!(relative_minutes(167), 1440);
        assert_eq!(relative_minutes(168), 2 * 1440);
        assert_eq!(relative_minutes(196), 30 * 1440);
        assert_eq!(relative_minutes(197), 35 * 1440);
        assert_eq!(relative_minutes(255), 63 * 7 * 1440);
        // 0xAA, the classic "4 days" example.
        assert_eq!(relative_minutes(0xAA), 4 * 1440);
    }

    #[test]
    fn octets_round_up() {
        assert_eq!(relative_octet(1).unwrap(), 0);
        assert_eq!(relative_octet(5).unwrap(), 0);
        assert_eq!(relative_octet(6).unwrap(), 1);
        assert_eq!(relative_octet(1440).unwrap(), 167);
        assert_eq!(relative_octet(1441).unwrap(), 168);
        assert_eq!(relative_octet(4 * 1440).unwrap(), 0xAA);
        assert_eq!(relative_octet(635_040).unwrap(), 255);
        assert!(relative_octet(635_041).is_err());
        assert!(relative_octet(0).is_err());
    }

    #[test]
    fn octet_is_never_shorter_than_asked() {
        for minutes in (1..=635_040).step_by(97) {
            let vp = relative_octet(minutes).unwrap();
            assert!(relative_minutes(vp) >= minutes);
            if vp > 0 {
                assert!(relative_minutes(vp - 1) < minutes);
            }
        }
    }
}
