//! A cursor over PDU octets whose every read is length-checked and names
//! the field it reads, so a short PDU yields "truncated TP-OA: need 6
//! octets, have 2" rather than a panic.

use super::error::DecodeError;

/// Reads octets front to back; never panics, never reads past the end.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Octets not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// One octet of `field`.
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, field)?[0])
    }

    /// `n` octets of `field`.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let have = self.remaining();
        if n > have {
            return Err(DecodeError::Truncated { field, need: n, have });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Everything not yet read.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_past_end_names_field_and_counts() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u8("TP-MTI").unwrap(), 1);
        let err = r.take(5, "TP-OA").unwrap_err();
        assert_eq!(err.to_string(), "truncated TP-OA: need 5 octets, have 2");
        // A failed read consumes nothing.
        assert_eq!(r.remaining(), 2);
        assert_eq!(r.rest(), &[2, 3]);
        assert!(r.u8("TP-PID").is_err());
    }
}
