//! The signature a receiver checks: `X-Simfleet-Signature: sha256=HEX`,
//! the HMAC-SHA256 of the exact request body under the webhook's secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header value for `body` signed with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length, so this never comes out empty.
    Hmac::<Sha256>::new_from_slice(secret)
        .map(|mut mac| {
            mac.update(body);
            format!(
                "sha256={}",
                crate::sms::hex::encode_hex(&mac.finalize().into_bytes()).to_lowercase()
            )
        })
        .unwrap_or_default()
}

/// Whether `header` is the right signature of `body` (constant time).
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = signature(secret, body);
    expected.len() == header.len() && bool::from(expected.as_bytes().ct_eq(header.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_case_2() {
        // Key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verifies_only_the_right_body_and_secret() {
        let s = signature(b"secret-secret-secret", b"{\"a\":1}");
        assert!(verify(b"secret-secret-secret", b"{\"a\":1}", &s));
        assert!(!verify(b"secret-secret-secret", b"{\"a\":2}", &s));
        assert!(!verify(b"other-secret-secret!", b"{\"a\":1}", &s));
        assert!(!verify(b"secret-secret-secret", b"{\"a\":1}", "sha256=00"));
    }
}
