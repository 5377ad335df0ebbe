//! The signature a receiver checks: `X-Simfleet-Signature: sha256=HEX`,
//! the HMAC-SHA256, under the webhook's secret, of the request's
//! `X-Simfleet-Timestamp` (unix seconds), a dot, and the exact body. With
//! the time inside the signed bytes, a receiver that refuses timestamps
//! more than a few minutes from its clock cannot be fed a recorded request
//! again (a replay); the event id (`X-Simfleet-Event-Id`, the same on each
//! retry) lets it ignore a repeat it already handled.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header value for `body` sent at `timestamp` (unix seconds), signed
/// with `secret`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this never comes out empty.
    Hmac::<Sha256>::new_from_slice(secret)
        .map(|mut mac| {
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!(
                "sha256={}",
                crate::sms::hex::encode_hex(&mac.finalize().into_bytes()).to_lowercase()
            )
        })
        .unwrap_or_default()
}

/// Whether `header` is the right signature of `body` sent at `timestamp`
/// (the `X-Simfleet-Timestamp` header as received), compared in constant
/// time, and the timestamp within `tolerance_s` seconds of `now_s`.
pub fn verify(
    secret: &[u8],
    timestamp: &str,
    body: &[u8],
    header: &str,
    now_s: i64,
    tolerance_s: i64,
) -> bool {
    use subtle::ConstantTimeEq;
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if (now_s - ts).abs() > tolerance_s {
        return false;
    }
    let expected = signature(secret, ts, body);
    expected.len() == header.len() && bool::from(expected.as_bytes().ct_eq(header.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_case_2_over_timestamp_dot_body() {
        // Key "Jefe", data "what do ya want for nothing?": RFC 4231's
        // vector, with the message split as "what do ya want for nothing"
        // never matching a timestamp — so sign "<ts>.<body>" and check the
        // HMAC of exactly those bytes.
        let body = b"what do ya want for nothing?";
        let mut signed = b"1764547200.".to_vec();
        signed.extend_from_slice(body);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(&signed);
        let expected = format!(
            "sha256={}",
            crate::sms::hex::encode_hex(&mac.finalize().into_bytes()).to_lowercase()
        );
        assert_eq!(signature(b"Jefe", 1_764_547_200, body), expected);
        // And the bare HMAC primitive is RFC 4231 test case 2.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(body);
        assert_eq!(
            crate::sms::hex::encode_hex(&mac.finalize().into_bytes()).to_lowercase(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verifies_only_the_right_body_secret_and_a_fresh_timestamp() {
        let key = b"secret-secret-secret";
        let s = signature(key, 1000, b"{\"a\":1}");
        assert!(verify(key, "1000", b"{\"a\":1}", &s, 1000, 300));
        assert!(verify(key, "1000", b"{\"a\":1}", &s, 1299, 300));
        assert!(
            !verify(key, "1000", b"{\"a\":1}", &s, 1301, 300),
            "a replay after 5 minutes"
        );
        assert!(
            !verify(key, "1001", b"{\"a\":1}", &s, 1000, 300),
            "another timestamp"
        );
        assert!(!verify(key, "1000", b"{\"a\":2}", &s, 1000, 300));
        assert!(!verify(
            b"other-secret-secret!",
            "1000",
            b"{\"a\":1}",
            &s,
            1000,
            300
        ));
        assert!(!verify(key, "1000", b"{\"a\":1}", "sha256=00", 1000, 300));
        assert!(!verify(key, "x", b"{\"a\":1}", &s, 1000, 300));
    }
}
