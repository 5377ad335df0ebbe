//! Promo codes: their format (`[promo_codes] alphabet`, `length`), how a
//! serial becomes a code through the keyed [`Permutation`], and how a code
//! typed by a customer is read back (case-insensitive, spaces and dashes
//! ignored).
//!
//! Unique by construction: serial `s` (a durable counter, never reused)
//! maps to `perm(s)` written in base `alphabet.len()` over `length`
//! symbols, and the permutation is a bijection of `[0, alphabet^length)`.

use thiserror::Error;

use super::permute::{MAX_DOMAIN_BITS, Permutation};

/// The default alphabet: digits and capital letters without the ones read
/// alike (0/O, 1/I/l; L and U too, as Crockford's base 32 does): 30 symbols.
pub const DEFAULT_ALPHABET: &str = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The default length: 30^8 ≈ 6.6 × 10^11 codes.
pub const DEFAULT_LENGTH: u32 = 8;
/// The fewest codes a format must allow (millions of messages, and a code
/// space large enough that guessing one is hopeless).
pub const MIN_SPACE: u128 = 1_000_000_000;
/// The fewest symbols an alphabet must have.
pub const MIN_SYMBOLS: usize = 10;
/// Symbols refused in an alphabet: read alike on a screen or a receipt.
pub const AMBIGUOUS: &[char] = &['0', 'O', 'o', '1', 'I', 'i', 'l'];

/// Why a code format is refused (the config key is named by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    /// A symbol that is not an ASCII letter or digit.
    #[error("{0:?} is not an ASCII letter or digit")]
    NotAlphanumeric(char),
    /// A symbol read like another (0/O, 1/I/l).
    #[error("{0:?} is easily mistaken for another symbol (0/O, 1/I/l are refused)")]
    Ambiguous(char),
    /// A symbol given twice (codes are read ignoring case, so `a` and `A` are one).
    #[error("{0:?} appears twice (codes are read ignoring case)")]
    Duplicate(char),
    /// Too few symbols.
    #[error("{0} symbols; at least {MIN_SYMBOLS}")]
    TooFewSymbols(usize),
    /// Too few codes for millions of messages.
    #[error(
        "{symbols} symbols over {length} places make {space} codes; at least {MIN_SPACE} (10^9) are needed"
    )]
    TooSmall {
        /// Symbols.
        symbols: usize,
        /// Length.
        length: u32,
        /// Codes it allows.
        space: u128,
    },
    /// Too many codes for the permutation (more than 2^120).
    #[error(
        "{symbols} symbols over {length} places are more than 2^{MAX_DOMAIN_BITS} codes; use a shorter length"
    )]
    TooLarge {
        /// Symbols.
        symbols: usize,
        /// Length.
        length: u32,
    },
}

/// A checked code format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFormat {
    symbols: Vec<char>,
    length: u32,
    space: u128,
}

impl Default for CodeFormat {
    fn default() -> Self {
        // The defaults are valid; checked by a test.
        CodeFormat::new(DEFAULT_ALPHABET, DEFAULT_LENGTH).unwrap_or(CodeFormat {
            symbols: DEFAULT_ALPHABET.chars().collect(),
            length: DEFAULT_LENGTH,
            space: 30u128.pow(DEFAULT_LENGTH),
        })
    }
}

impl CodeFormat {
    /// Checks `alphabet` (ASCII letters and digits, none ambiguous, none
    /// twice ignoring case, at least 10) and `length` (at least 10^9 codes).
    pub fn new(alphabet: &str, length: u32) -> Result<CodeFormat, FormatError> {
        let mut symbols: Vec<char> = Vec::new();
        for c in alphabet.chars() {
            if !c.is_ascii_alphanumeric() {
                return Err(FormatError::NotAlphanumeric(c));
            }
            if AMBIGUOUS.contains(&c) {
                return Err(FormatError::Ambiguous(c));
            }
            if symbols.iter().any(|s| s.eq_ignore_ascii_case(&c)) {
                return Err(FormatError::Duplicate(c));
            }
            symbols.push(c);
        }
        if symbols.len() < MIN_SYMBOLS {
            return Err(FormatError::TooFewSymbols(symbols.len()));
        }
        let b = symbols.len() as u128;
        let mut space: u128 = 1;
        for _ in 0..length {
            space = match space.checked_mul(b) {
                Some(s) if s <= 1u128 << MAX_DOMAIN_BITS => s,
                _ => {
                    return Err(FormatError::TooLarge {
                        symbols: symbols.len(),
                        length,
                    });
                }
            };
        }
        if space < MIN_SPACE {
            return Err(FormatError::TooSmall {
                symbols: symbols.len(),
                length,
                space,
            });
        }
        Ok(CodeFormat {
            symbols,
            length,
            space,
        })
    }

    /// How many codes the format allows.
    pub fn space(&self) -> u128 {
        self.space
    }

    /// Code length in symbols.
    pub fn length(&self) -> u32 {
        self.length
    }

    /// The alphabet as configured.
    pub fn alphabet(&self) -> String {
        self.symbols.iter().collect()
    }

    /// The name of this format's serial counter and permutation: codes of
    /// one format are unique by construction; a changed format starts a
    /// new counter (its codes are checked against the earlier ones).
    pub fn domain(&self) -> String {
        format!("promo:{}:{}", self.alphabet().to_ascii_uppercase(), self.length)
    }

    /// `value` (< [`CodeFormat::space`]) written in the alphabet, most
    /// significant symbol first, padded to the length.
    pub fn encode(&self, mut value: u128) -> String {
        let b = self.symbols.len() as u128;
        let mut out = vec![self.symbols[0]; self.length as usize];
        for slot in out.iter_mut().rev() {
            *slot = self.symbols[(value % b) as usize];
            value /= b;
        }
        out.into_iter().collect()
    }

    /// The code of serial `serial` under `perm` (built for this format's space).
    pub fn code(&self, perm: &Permutation, serial: u64) -> String {
        self.encode(perm.apply(u128::from(serial)))
    }

    /// A code of the real length for previews (the first symbol repeated:
    /// as many characters, in the same encoding, as a real one).
    pub fn sample(&self) -> String {
        std::iter::repeat_n(self.symbols[0], self.length as usize).collect()
    }
}

/// Why a typed code cannot be one of ours.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodeError {
    /// Nothing left after trimming.
    #[error("the code is empty")]
    Empty,
    /// Longer than any code.
    #[error("the code is {0} characters; codes are at most 64")]
    TooLong(usize),
    /// A character no code has.
    #[error("the code holds {0:?}; codes are letters and digits")]
    BadChar(char),
}

/// Longest code accepted on redemption.
pub const MAX_CODE_CHARS: usize = 64;

/// The form a code is stored and looked up in: ASCII letters upper-cased,
/// spaces and dashes (`ab12-cd34`, `AB12 CD34`) dropped, anything else
/// refused.
pub fn normalize(typed: &str) -> Result<String, CodeError> {
    let mut out = String::new();
    let mut chars = 0usize;
    for c in typed.trim().chars() {
        chars += 1;
        if chars > MAX_CODE_CHARS + 16 {
            return Err(CodeError::TooLong(typed.trim().chars().count()));
        }
        match c {
            ' ' | '-' | '\u{a0}' => {}
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            c => return Err(CodeError::BadChar(c)),
        }
    }
    if out.is_empty() {
        return Err(CodeError::Empty);
    }
    if out.len() > MAX_CODE_CHARS {
        return Err(CodeError::TooLong(out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_format_is_valid_and_unambiguous() {
        let f = CodeFormat::new(DEFAULT_ALPHABET, DEFAULT_LENGTH).unwrap();
        assert_eq!(f, CodeFormat::default());
        assert!(f.space() > 500_000_000_000);
        for c in AMBIGUOUS {
            assert!(!DEFAULT_ALPHABET.contains(*c));
        }
    }

    #[test]
    fn bad_alphabets_and_lengths_are_refused_naming_why() {
        assert_eq!(
            CodeFormat::new("23456789ABO", 10),
            Err(FormatError::Ambiguous('O'))
        );
        assert_eq!(
            CodeFormat::new("23456789Aa", 10),
            Err(FormatError::Duplicate('a'))
        );
        assert_eq!(
            CodeFormat::new("23456789A", 12),
            Err(FormatError::TooFewSymbols(9))
        );
        assert_eq!(
            CodeFormat::new("23456789AB-", 12),
            Err(FormatError::NotAlphanumeric('-'))
        );
        assert!(matches!(
            CodeFormat::new(DEFAULT_ALPHABET, 6),
            Err(FormatError::TooSmall { .. })
        ));
        assert!(CodeFormat::new(DEFAULT_ALPHABET, 7).is_ok());
        assert!(matches!(
            CodeFormat::new(DEFAULT_ALPHABET, 40),
            Err(FormatError::TooLarge { .. })
        ));
    }

    #[test]
    fn encoding_is_fixed_length_and_ordered_by_value() {
        let f = CodeFormat::default();
        assert_eq!(f.encode(0), "22222222");
        assert_eq!(f.encode(1), "22222223");
        assert_eq!(f.encode(f.space() - 1), "ZZZZZZZZ");
    }

    #[test]
    fn typed_codes_are_read_ignoring_case_spaces_and_dashes() {
        assert_eq!(normalize(" ab2c-d3ef "), Ok("AB2CD3EF".into()));
        assert_eq!(normalize("AB2C D3EF"), Ok("AB2CD3EF".into()));
        assert_eq!(normalize("  "), Err(CodeError::Empty));
        assert_eq!(normalize("AB/2"), Err(CodeError::BadChar('/')));
        assert!(matches!(normalize(&"A".repeat(65)), Err(CodeError::TooLong(_))));
    }

    proptest::proptest! {
        #[test]
        fn normalize_never_panics_and_is_idempotent(s in "\\PC{0,90}") {
            if let Ok(n) = normalize(&s) {
                proptest::prop_assert_eq!(normalize(&n), Ok(n.clone()));
                proptest::prop_assert!(n.len() <= MAX_CODE_CHARS);
            }
        }

        #[test]
        fn encode_stays_in_the_alphabet(v in 0u128..852_891_037_441u128) {
            let f = CodeFormat::default();
            let code = f.encode(v % f.space());
            proptest::prop_assert_eq!(code.len(), 8);
            proptest::prop_assert!(code.chars().all(|c| DEFAULT_ALPHABET.contains(c)));
        }
    }
}
