//! The subscribe form's CSRF token, stateless (double submit): the page
//! sets a cookie holding a random nonce and puts in the form a token
//! `{issued_ms}.{nonce}.{mac}` where `mac` is HMAC-SHA256, under a key
//! kept in `public.secret_file`, of the time and the nonce. A POST is
//! taken only when the token's MAC is right, it is younger than
//! [`TOKEN_TTL_MS`] (and not from the future), and its nonce is the
//! cookie's: a page on another site can neither read our cookie nor make
//! a token for it, and a token copied from a page does not outlive its
//! TTL. Nothing is stored per token.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long a form stays good after it was served: two hours (unix ms).
pub const TOKEN_TTL_MS: i64 = 2 * 3600 * 1000;
/// Clock skew tolerated for a token from the future (ms).
const SKEW_MS: i64 = 60_000;
/// The cookie holding the nonce.
pub const COOKIE: &str = "simfleet_csrf";

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    /// No token in the form, or no cookie.
    #[error("missing")]
    Missing,
    /// Not a token we made, or not for this cookie.
    #[error("invalid")]
    Invalid,
    /// Older than the TTL.
    #[error("expired")]
    Expired,
}

/// Mints and checks tokens under one key.
#[derive(Clone)]
pub struct Csrf {
    key: Vec<u8>,
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf(****)")
    }
}

impl Csrf {
    /// Tokens under `key` (the secret file's contents).
    pub fn new(key: &[u8]) -> Self {
        Csrf { key: key.to_vec() }
    }

    fn mac(&self, issued: i64, nonce: &str) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => unreachable_hmac(),
        };
        mac.update(b"simfleet subscribe csrf\0");
        mac.update(issued.to_string().as_bytes());
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        mac
    }

    /// A new nonce (for the cookie) and the form's token for it, at `now` (unix ms).
    pub fn mint(&self, now: i64) -> (String, String) {
        let nonce: String = (0..16).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
        let tag = crate::sms::hex::encode_hex(&self.mac(now, &nonce).finalize().into_bytes()).to_lowercase();
        let token = format!("{now}.{nonce}.{tag}");
        (nonce, token)
    }

    /// Checks the form's `token` against the request's `cookie` at `now`.
    pub fn verify(&self, token: Option<&str>, cookie: Option<&str>, now: i64) -> Result<(), CsrfError> {
        let (Some(token), Some(cookie)) = (token, cookie) else {
            return Err(CsrfError::Missing);
        };
        let mut parts = token.trim().splitn(3, '.');
        let (Some(issued), Some(nonce), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CsrfError::Invalid);
        };
        let issued: i64 = issued.parse().map_err(|_| CsrfError::Invalid)?;
        let tag = decode_hex(tag).ok_or(CsrfError::Invalid)?;
        if self.mac(issued, nonce).verify_slice(&tag).is_err() {
            return Err(CsrfError::Invalid);
        }
        if !bool::from(nonce.as_bytes().ct_eq(cookie.as_bytes())) {
            return Err(CsrfError::Invalid);
        }
        if issued > now + SKEW_MS {
            return Err(CsrfError::Invalid);
        }
        if now - issued > TOKEN_TTL_MS {
            return Err(CsrfError::Expired);
        }
        Ok(())
    }
}

fn unreachable_hmac() -> ! {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    panic!("HMAC refused a key")
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// The nonce cookie's value from a `Cookie` header.
pub fn cookie_value(header: Option<&str>) -> Option<&str> {
    header?
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_checks_against_its_cookie_only() {
        let c = Csrf::new(b"0123456789abcdef0123456789abcdef");
        let (nonce, token) = c.mint(1_000_000);
        assert_eq!(c.verify(Some(&token), Some(&nonce), 1_000_500), Ok(()));
        let (other, _) = c.mint(1_000_000);
        assert_eq!(
            c.verify(Some(&token), Some(&other), 1_000_500),
            Err(CsrfError::Invalid)
        );
        assert_eq!(c.verify(None, Some(&nonce), 1_000_500), Err(CsrfError::Missing));
        assert_eq!(c.verify(Some(&token), None, 1_000_500), Err(CsrfError::Missing));
        // Another key, a changed time, garbage: invalid.
        let d = Csrf::new(b"another key, another gateway....");
        assert_eq!(
            d.verify(Some(&token), Some(&nonce), 1_000_500),
            Err(CsrfError::Invalid)
        );
        let forged = token.replacen("1000000", "1000001", 1);
        assert_eq!(
            c.verify(Some(&forged), Some(&nonce), 1_000_500),
            Err(CsrfError::Invalid)
        );
        for junk in ["", "x", "1.2", "a.b.c", "1.n.zz"] {
            assert_eq!(
                c.verify(Some(junk), Some(&nonce), 1_000_500),
                Err(CsrfError::Invalid),
                "{junk}"
            );
        }
    }

    #[test]
    fn a_token_expires() {
        let c = Csrf::new(b"k");
        let (nonce, token) = c.mint(0);
        assert_eq!(c.verify(Some(&token), Some(&nonce), TOKEN_TTL_MS), Ok(()));
        assert_eq!(
            c.verify(Some(&token), Some(&nonce), TOKEN_TTL_MS + 1),
            Err(CsrfError::Expired)
        );
        let (nonce, token) = c.mint(10 * SKEW_MS);
        assert_eq!(
            c.verify(Some(&token), Some(&nonce), 0),
            Err(CsrfError::Invalid),
            "from the future"
        );
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        assert_eq!(cookie_value(Some("a=1; simfleet_csrf=abc ; b=2")), Some("abc"));
        assert_eq!(cookie_value(Some("a=1")), None);
        assert_eq!(cookie_value(None), None);
    }
}
