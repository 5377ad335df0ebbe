//! Phone numbers, parsed once at the edge: a [`Msisdn`] is always E.164
//! (`+79161234567`) or a short code (`900`), so the rest of simfleet
//! compares numbers without thinking about how a user typed them.

use std::fmt;
use std::str::FromStr;

use phonenumber::{Mode, country};
use thiserror::Error;

/// A country whose numbering plan reads national numbers ("8 916 …" in RU).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

/// A region code that is not ISO 3166-1 alpha-2.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown region {0:?}: use a two-letter country code such as \"RU\", \"GB\" or \"KE\"")]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .to_ascii_uppercase()
            .parse::<country::Id>()
            .map(Region)
            .map_err(|_| UnknownRegion(s.to_string()))
    }
}

/// RU, as `sending.default_region` defaults (for rules built without a
/// config: tests, tools).
impl Default for Region {
    fn default() -> Self {
        Region(country::Id::RU)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A recipient or sender number in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn(String);

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid number {input:?}: {reason}")]
pub struct InvalidNumber {
    /// What was given.
    pub input: String,
    /// Why it is not a number we can send to.
    pub reason: String,
    /// The same, as a kind a user interface can say in its own words.
    pub problem: NumberProblem,
}

/// What is wrong with a typed number (see [`InvalidNumber::reason`] for
/// the words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberProblem {
    /// Nothing was typed.
    Empty,
    /// A character that has no place in a phone number (letters are not
    /// read as keypad digits).
    Character {
        /// The character.
        character: char,
        /// Its position, from 1.
        position: usize,
    },
    /// Not readable as a number at all (too short, too long, no country).
    Unreadable,
    /// Readable, but no valid number of its country (or of the default
    /// region, for a national number).
    NotValid,
}

impl Msisdn {
    /// Parses a number as a user would type it. National numbers are read
    /// in `region` ("8 916 123-45-67" in RU → +79161234567); numbers with
    /// `+` in any region. Short codes (3 to 6 digits, no `+`) are kept as
    /// they are. Anything else must be a valid number for its country.
    pub fn parse(input: &str, region: Region) -> Result<Msisdn, InvalidNumber> {
        let invalid = |reason: String, problem: NumberProblem| InvalidNumber {
            input: input.to_string(),
            reason,
            problem,
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid("empty".into(), NumberProblem::Empty));
        }
        // libphonenumber reads letters as keypad digits (E.161: "ABC" →
        // "222"), so a typo would text a stranger. Only digits and the
        // separators people type are accepted; the first other character
        // is named.
        if let Some((i, c)) = trimmed
            .chars()
            .enumerate()
            .find(|&(i, c)| !allowed_in_number(i, c))
        {
            return Err(invalid(
                format!(
                    "character {c:?} at position {} is not allowed in a phone number (digits, a leading +, spaces and - . ( ) / only)",
                    i + 1
                ),
                NumberProblem::Character {
                    character: c,
                    position: i + 1,
                },
            ));
        }
        if (3..=6).contains(&trimmed.len()) && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Msisdn(trimmed.to_string()));
        }
        let number = phonenumber::parse(Some(region.0), trimmed)
            .map_err(|e| invalid(e.to_string(), NumberProblem::Unreadable))?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid(
                format!(
                    "not a valid phone number (national numbers are read as {region}; use +country code otherwise)"
                ),
                NumberProblem::NotValid,
            ));
        }
        Ok(Msisdn(number.format().mode(Mode::E164).to_string()))
    }

    /// Accepts a number already in canonical form (from the store).
    pub fn from_canonical(s: impl Into<String>) -> Msisdn {
        Msisdn(s.into())
    }

    /// The region of a number that can receive SMS by its numbering plan:
    /// type mobile or fixed-line-or-mobile (libphonenumber metadata), else
    /// `None` (premium rate, satellite +882, toll free, fixed line, short
    /// codes, …).
    pub fn mobile_region(&self) -> Option<Region> {
        let number = phonenumber::parse(None, &self.0).ok()?;
        match number.number_type(&phonenumber::metadata::DATABASE) {
            phonenumber::Type::Mobile | phonenumber::Type::FixedLineOrMobile => {
                number.country().id().map(Region)
            }
            _ => None,
        }
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A list of numbers as a person types it (one per line, or separated by
/// commas or semicolons), read with [`Msisdn::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberList {
    /// The numbers, in the order typed, each once.
    pub numbers: Vec<Msisdn>,
    /// The entries that are not numbers: the line they are on (from 1) and why.
    pub bad: Vec<(usize, InvalidNumber)>,
    /// Entries left out because the same number came earlier in the list
    /// (however it was typed).
    pub repeated: usize,
}

/// Reads `input` as a list of numbers: one per line, or separated by
/// commas or semicolons; blank entries are skipped, national numbers are
/// read in `region`, a number listed twice is kept once.
pub fn parse_list(input: &str, region: Region) -> NumberList {
    let mut out = NumberList::default();
    let mut seen = std::collections::HashSet::new();
    for (line, text) in input.lines().enumerate() {
        for entry in text.split([',', ';']) {
            if entry.trim().is_empty() {
                continue;
            }
            match Msisdn::parse(entry, region) {
                Ok(n) if seen.insert(n.clone()) => out.numbers.push(n),
                Ok(_) => out.repeated += 1,
                Err(e) => out.bad.push((line + 1, e)),
            }
        }
    }
    out
}

/// What a typed number may contain: digits, one `+` at the start, and the
/// separators of written numbers (space, no-break space, `-`, `.`, `(`,
/// `)`, `/`).
fn allowed_in_number(index: usize, c: char) -> bool {
    c.is_ascii_digit()
        || (c == '+' && index == 0)
        || matches!(
            c,
            ' ' | '\u{a0}' | '\u{202f}' | '-' | '\u{2010}' | '\u{2011}' | '.' | '(' | ')' | '/'
        )
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mobile_numbers_have_a_mobile_region() {
        let m = |s: &str| Msisdn::parse(s, Region::default()).unwrap().mobile_region();
        assert_eq!(m("+79161234567"), Some(Region::default()));
        assert_eq!(m("+12015550123").map(|r| r.to_string()).as_deref(), Some("US"));
        assert_eq!(m("+19005551234"), None, "premium rate");
        assert_eq!(m("+74951234567"), None, "Moscow fixed line");
        assert_eq!(Msisdn::from_canonical("900").mobile_region(), None);
    }

    fn ru() -> Region {
        "RU".parse().unwrap()
    }

    #[test]
    fn national_and_international_forms_agree() {
        for input in [
            "8 916 123-45-67",
            "+7 916 123 45 67",
            "9161234567",
            "+7(916)1234567",
        ] {
            assert_eq!(
                Msisdn::parse(input, ru()).unwrap().as_str(),
                "+79161234567",
                "{input}"
            );
        }
        let ke: Region = "ke".parse().unwrap();
        assert_eq!(
            Msisdn::parse("0712 345678", ke).unwrap().as_str(),
            "+254712345678"
        );
    }

    #[test]
    fn short_codes_kept_garbage_refused() {
        assert_eq!(Msisdn::parse("900", ru()).unwrap().as_str(), "900");
        for bad in ["", "12", "abc", "+7 916", "+44 7700 900123"] {
            assert!(Msisdn::parse(bad, ru()).is_err(), "{bad}");
        }
        assert!("ZZ".parse::<Region>().is_err());
    }

    #[test]
    fn a_typed_list_is_read_line_by_line_with_repeats_dropped_and_bad_entries_named() {
        let list = parse_list(
            "8 916 123-45-67, +7 916 123 45 67\n\n  abc ; +79161234568\r\n12",
            ru(),
        );
        let got: Vec<&str> = list.numbers.iter().map(Msisdn::as_str).collect();
        assert_eq!(got, ["+79161234567", "+79161234568"]);
        assert_eq!(list.repeated, 1);
        assert_eq!(list.bad.len(), 2);
        assert_eq!(list.bad[0].0, 3);
        assert!(matches!(
            list.bad[0].1.problem,
            NumberProblem::Character {
                character: 'a',
                position: 1
            }
        ));
        assert_eq!(list.bad[1].0, 4);
        assert_eq!(list.bad[1].1.input, "12");
        assert_eq!(parse_list("  \n , ", ru()), NumberList::default());
    }

    #[test]
    fn letters_are_refused_not_read_as_keypad_digits() {
        for (bad, named) in [
            ("+7916ABC4567", "'A' at position 6"),
            ("8 916 123-45-6O", "'O' at position 15"),
            ("+7 916 123 45 67 ext 1", "'e' at position 18"),
            ("+7916*1234567", "'*' at position 6"),
            ("+7916+1234567", "'+' at position 6"),
        ] {
            let e = Msisdn::parse(bad, ru()).unwrap_err();
            assert!(e.reason.contains(named), "{bad}: {}", e.reason);
        }
        // What people do type still works.
        for ok in [
            "+7 (916) 123-45-67",
            "8.916.123.45.67",
            "+7\u{a0}916\u{a0}1234567",
        ] {
            assert_eq!(Msisdn::parse(ok, ru()).unwrap().as_str(), "+79161234567", "{ok}");
        }
    }
}
