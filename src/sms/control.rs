//! Control characters a text may not carry. GSM 03.38 has line feed,
//! carriage return and form feed (the last as an escape); tab is common in
//! pasted text and is sent as UCS-2 or replaced by the normaliser. Anything
//! else in Unicode's Cc category (NUL, BEL, ESC, DEL, C1 controls) is never
//! what a person meant to send: a handset shows it as a box or, worse, a
//! modem takes ESC or Ctrl-Z as the end of the PDU prompt. Refused at the
//! edge with the position, so the client can fix its input.

use thiserror::Error;

/// A control character that a text may not contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "text has a control character U+{code:04X} at character {position} (1-based); only line breaks, tab and form feed are allowed"
)]
pub struct ControlCharacter {
    /// 1-based position in characters (Unicode scalar values).
    pub position: usize,
    /// The character's code point.
    pub code: u32,
}

/// The first forbidden control character in `text`, if any.
pub fn check_text(text: &str) -> Result<(), ControlCharacter> {
    match text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0C'))
    {
        Some((i, c)) => Err(ControlCharacter {
            position: i + 1,
            code: u32::from(c),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_tab_and_form_feed_pass() {
        assert_eq!(check_text("a\nb\r\nc\td\x0Ce — ü 😀"), Ok(()));
    }

    #[test]
    fn nul_bel_esc_del_and_c1_are_refused_with_their_position() {
        for (text, position, code) in [
            ("\0", 1, 0x00),
            ("ab\x07", 3, 0x07),
            ("привет\x1b", 7, 0x1b),
            ("x\x7f", 2, 0x7f),
            ("😀\u{85}", 2, 0x85),
            ("ok\x1a", 3, 0x1a),
        ] {
            assert_eq!(
                check_text(text),
                Err(ControlCharacter { position, code }),
                "{text:?}"
            );
        }
    }
}
