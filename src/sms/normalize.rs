//! Optional replacement of typographic punctuation with GSM 7-bit
//! equivalents. One curly apostrophe pasted from a word processor would
//! otherwise turn a 160-character message into three UCS-2 parts.

use std::borrow::Cow;

/// The replacement for a typographic character, if it has one (also used
/// by template previews to suggest a GSM 7-bit spelling).
pub fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => "-",
        '\u{2026}' => "...",
        '\u{00A0}' | '\u{2007}' | '\u{2009}' | '\u{200A}' | '\u{202F}' => " ",
        // Invisible characters that only force UCS-2.
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' => "",
        _ => return None,
    })
}

/// Replaces typographic quotes, dashes, the ellipsis and no-break spaces
/// with plain equivalents; borrows when there is nothing to replace.
pub fn normalize_punctuation(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| replacement(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match replacement(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_usual_suspects() {
        assert_eq!(
            normalize_punctuation("It\u{2019}s \u{201C}done\u{201D} \u{2013} 5\u{00A0}min\u{2026}"),
            "It's \"done\" - 5 min..."
        );
        assert_eq!(normalize_punctuation("a\u{2014}b\u{2018}c"), "a-b'c");
        assert!(matches!(normalize_punctuation("plain text"), Cow::Borrowed(_)));
        assert_eq!(normalize_punctuation("Привет"), "Привет");
    }
}
