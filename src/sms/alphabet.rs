//! The GSM 7-bit alphabets of 3GPP TS 23.038: the default table and its
//! extension (§6.2.1, §6.2.1.1) and the national language locking and single
//! shift tables of Annex A for Turkish, Spanish and Portuguese.
//!
//! A [`Charset`] pairs one locking table (the 128 one-septet codes) with one
//! single shift table (codes reached through the escape septet 0x1B). The
//! default charset is the default table plus its extension table.

use std::sync::OnceLock;

/// The escape septet that switches one code to the single shift table.
pub const ESCAPE: u8 = 0x1B;

/// A national language with shift tables (TS 23.038 §6.2.1.2.4 identifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NationalLanguage {
    /// Identifier 1: locking (A.3.1) and single shift (A.2.1) tables.
    Turkish,
    /// Identifier 2: single shift table only (A.2.2); A.3.2 is void.
    Spanish,
    /// Identifier 3: locking (A.3.3) and single shift (A.2.3) tables.
    Portuguese,
}

impl NationalLanguage {
    /// Every language simfleet has tables for.
    pub const ALL: [NationalLanguage; 3] = [Self::Turkish, Self::Spanish, Self::Portuguese];

    /// The identifier carried in UDH IEs 0x24 and 0x25.
    pub fn id(self) -> u8 {
        match self {
            Self::Turkish => 1,
            Self::Spanish => 2,
            Self::Portuguese => 3,
        }
    }

    /// The language for a UDH identifier, if simfleet has its tables.
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(Self::Turkish),
            2 => Some(Self::Spanish),
            3 => Some(Self::Portuguese),
            _ => None,
        }
    }

    /// ISO 639-1 code, as used on the command line and in config.
    pub fn code(self) -> &'static str {
        match self {
            Self::Turkish => "tr",
            Self::Spanish => "es",
            Self::Portuguese => "pt",
        }
    }

    /// Parses an ISO 639-1 code (`tr`, `es`, `pt`), ignoring case.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// Whether the language defines a locking shift table.
    pub fn has_locking_table(self) -> bool {
        !matches!(self, Self::Spanish)
    }

    fn index(self) -> usize {
        usize::from(self.id())
    }
}

/// How one character is written in a charset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// One septet from the locking table.
    Direct(u8),
    /// The escape septet followed by this code from the single shift table.
    Escaped(u8),
}

impl Code {
    /// Septets this code occupies.
    pub fn septets(self) -> usize {
        match self {
            Code::Direct(_) => 1,
            Code::Escaped(_) => 2,
        }
    }
}

// The locking tables as 128-character strings, row by row (16 codes a row).
// '\u{1B}' stands at 0x1B, the escape, which is not a character.
const DEFAULT_TABLE: [&str; 8] = [
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
];

// A.3.1 Turkish locking shift table.
const TURKISH_LOCKING: [&str; 8] = [
    "@£$¥€éùıòÇ\nĞğ\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞ\u{1B}ŞşßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "İABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "çabcdefghijklmno",
    "pqrstuvwxyzäöñüà",
];

// A.3.3 Portuguese locking shift table.
const PORTUGUESE_LOCKING: [&str; 8] = [
    "@£$¥êéúíóç\nÔô\rÁá",
    "Δ_ªÇÀ∞^\\€Ó|\u{1B}ÂâÊÉ",
    " !\"#º%&'()*+,-./",
    "0123456789:;<=>?",
    "ÍABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÃÕÚÜ§",
    "~abcdefghijklmno",
    "pqrstuvwxyzãõ`üà",
];

const FORM_FEED: char = '\u{0C}';

// §6.2.1.1 default extension table. 0x0D (CR2) and 0x1B are reserved.
const DEFAULT_EXTENSION: &[(u8, char)] = &[
    (0x0A, FORM_FEED),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

// A.2.1 Turkish single shift table.
const TURKISH_SINGLE: &[(u8, char)] = &[
    (0x0A, FORM_FEED),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x47, 'Ğ'),
    (0x49, 'İ'),
    (0x53, 'Ş'),
    (0x63, 'ç'),
    (0x65, '€'),
    (0x67, 'ğ'),
    (0x69, 'ı'),
    (0x73, 'ş'),
];

// A.2.2 Spanish single shift table.
const SPANISH_SINGLE: &[(u8, char)] = &[
    (0x09, 'ç'),
    (0x0A, FORM_FEED),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x41, 'Á'),
    (0x49, 'Í'),
    (0x4F, 'Ó'),
    (0x55, 'Ú'),
    (0x61, 'á'),
    (0x65, '€'),
    (0x69, 'í'),
    (0x6F, 'ó'),
    (0x75, 'ú'),
];

// A.2.3 Portuguese single shift table.
const PORTUGUESE_SINGLE: &[(u8, char)] = &[
    (0x05, 'ê'),
    (0x09, 'ç'),
    (0x0A, FORM_FEED),
    (0x0B, 'Ô'),
    (0x0C, 'ô'),
    (0x0E, 'Á'),
    (0x0F, 'á'),
    (0x12, 'Φ'),
    (0x13, 'Γ'),
    (0x14, '^'),
    (0x15, 'Ω'),
    (0x16, 'Π'),
    (0x17, 'Ψ'),
    (0x18, 'Σ'),
    (0x19, 'Θ'),
    (0x1F, 'Ê'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x41, 'À'),
    (0x49, 'Í'),
    (0x4F, 'Ó'),
    (0x55, 'Ú'),
    (0x5B, 'Ã'),
    (0x5C, 'Õ'),
    (0x61, 'Â'),
    (0x65, '€'),
    (0x69, 'í'),
    (0x6F, 'ó'),
    (0x75, 'ú'),
    (0x7B, 'ã'),
    (0x7C, 'õ'),
    (0x7F, 'â'),
];

/// One 128-code table with its reverse index.
struct Table {
    chars: [Option<char>; 128],
    /// Code of each ASCII character, or 0xFF.
    ascii: [u8; 128],
    /// (character, code) for the rest, sorted by character.
    others: Vec<(char, u8)>,
}

impl Table {
    fn from_pairs(pairs: impl IntoIterator<Item = (u8, char)>) -> Self {
        let mut chars = [None; 128];
        let mut ascii = [0xFF; 128];
        let mut others = Vec::new();
        for (code, c) in pairs {
            chars[usize::from(code)] = Some(c);
            if c.is_ascii() {
                ascii[c as usize] = code;
            } else {
                others.push((c, code));
            }
        }
        others.sort_unstable();
        Self { chars, ascii, others }
    }

    fn from_rows(rows: &[&str; 8]) -> Self {
        let pairs = rows
            .iter()
            .flat_map(|row| row.chars())
            .zip(0u8..)
            .filter(|&(c, code)| !(code == ESCAPE && c == '\u{1B}'))
            .map(|(c, code)| (code, c));
        Self::from_pairs(pairs)
    }

    fn code_of(&self, c: char) -> Option<u8> {
        if c.is_ascii() {
            let code = self.ascii[c as usize];
            (code != 0xFF).then_some(code)
        } else {
            self.others
                .binary_search_by_key(&c, |&(k, _)| k)
                .ok()
                .map(|i| self.others[i].1)
        }
    }
}

struct Tables {
    /// Index 0 is the default table, then by language identifier.
    locking: [Table; 4],
    single: [Table; 4],
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables {
        locking: [
            Table::from_rows(&DEFAULT_TABLE),
            Table::from_rows(&TURKISH_LOCKING),
            // Spanish has no locking shift table: a receiver uses the default.
            Table::from_rows(&DEFAULT_TABLE),
            Table::from_rows(&PORTUGUESE_LOCKING),
        ],
        single: [
            Table::from_pairs(DEFAULT_EXTENSION.iter().copied()),
            Table::from_pairs(TURKISH_SINGLE.iter().copied()),
            Table::from_pairs(SPANISH_SINGLE.iter().copied()),
            Table::from_pairs(PORTUGUESE_SINGLE.iter().copied()),
        ],
    })
}

/// A locking table and a single shift table in use together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Charset {
    /// National locking shift table, or `None` for the default table.
    pub locking: Option<NationalLanguage>,
    /// National single shift table, or `None` for the default extension.
    pub single: Option<NationalLanguage>,
}

impl Charset {
    /// The default alphabet and its extension table.
    pub const DEFAULT: Charset = Charset {
        locking: None,
        single: None,
    };

    /// The charset a received message's national language IEs select.
    /// Identifiers without tables here fall back to the default tables, as
    /// TS 23.038 §6.2.1.2 asks of a receiver that lacks them.
    pub fn from_ids(locking: Option<u8>, single: Option<u8>) -> Self {
        Self {
            locking: locking
                .and_then(NationalLanguage::from_id)
                .filter(|l| l.has_locking_table()),
            single: single.and_then(NationalLanguage::from_id),
        }
    }

    fn locking_table(self) -> &'static Table {
        &tables().locking[self.locking.map_or(0, NationalLanguage::index)]
    }

    fn single_table(self) -> &'static Table {
        &tables().single[self.single.map_or(0, NationalLanguage::index)]
    }

    /// How `c` is written, preferring one septet; `None` if it cannot be.
    pub fn code_of(self, c: char) -> Option<Code> {
        if let Some(code) = self.locking_table().code_of(c) {
            return Some(Code::Direct(code));
        }
        self.single_table().code_of(c).map(Code::Escaped)
    }

    /// Septets `c` occupies, if it can be written at all.
    pub fn septets_of(self, c: char) -> Option<usize> {
        self.code_of(c).map(Code::septets)
    }

    /// Writes `text` as septets, or returns the first character that does not fit.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, char> {
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            match self.code_of(c).ok_or(c)? {
                Code::Direct(code) => out.push(code),
                Code::Escaped(code) => out.extend_from_slice(&[ESCAPE, code]),
            }
        }
        Ok(out)
    }

    /// Reads septets as text. Never fails: an escaped code the single shift
    /// table lacks shows the locking table's character (TS 23.038 §6.2.1.1),
    /// escape-escape shows a space, and a trailing escape is dropped.
    pub fn decode(self, septets: &[u8]) -> String {
        let locking = self.locking_table();
        let single = self.single_table();
        let main = |code: u8| locking.chars[usize::from(code & 0x7F)].unwrap_or(' ');
        let mut out = String::with_capacity(septets.len());
        let mut it = septets.iter().map(|s| s & 0x7F);
        while let Some(code) = it.next() {
            if code != ESCAPE {
                out.push(main(code));
                continue;
            }
            match it.next() {
                None => {}
                Some(ESCAPE) => out.push(' '),
                Some(next) => out.push(single.chars[usize::from(next)].unwrap_or_else(|| main(next))),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_128_codes() {
        for rows in [&DEFAULT_TABLE, &TURKISH_LOCKING, &PORTUGUESE_LOCKING] {
            for row in rows.iter() {
                assert_eq!(row.chars().count(), 16, "row {row:?}");
            }
        }
    }

    #[test]
    fn default_table_spot_checks() {
        let cs = Charset::DEFAULT;
        assert_eq!(cs.code_of('@'), Some(Code::Direct(0x00)));
        assert_eq!(cs.code_of('$'), Some(Code::Direct(0x02)));
        assert_eq!(cs.code_of('Δ'), Some(Code::Direct(0x10)));
        assert_eq!(cs.code_of('_'), Some(Code::Direct(0x11)));
        assert_eq!(cs.code_of('¡'), Some(Code::Direct(0x40)));
        assert_eq!(cs.code_of('à'), Some(Code::Direct(0x7F)));
        assert_eq!(cs.code_of('€'), Some(Code::Escaped(0x65)));
        assert_eq!(cs.code_of('{'), Some(Code::Escaped(0x28)));
        assert_eq!(cs.code_of(FORM_FEED), Some(Code::Escaped(0x0A)));
        // Not in the default alphabet.
        for c in ['`', 'ç', 'á', 'Ж', '\u{1B}', '\0'] {
            assert_eq!(cs.code_of(c), None, "{c:?}");
        }
    }

    #[test]
    fn every_default_and_extension_char_round_trips() {
        let cs = Charset::DEFAULT;
        let all: String = DEFAULT_TABLE
            .concat()
            .chars()
            .filter(|&c| c != '\u{1B}')
            .chain(DEFAULT_EXTENSION.iter().map(|&(_, c)| c))
            .collect();
        let septets = cs.encode(&all).unwrap();
        assert_eq!(septets.len(), 127 + 2 * DEFAULT_EXTENSION.len());
        assert_eq!(cs.decode(&septets), all);
    }

    #[test]
    fn national_tables_round_trip_their_characters() {
        for lang in NationalLanguage::ALL {
            let cs = Charset {
                locking: lang.has_locking_table().then_some(lang),
                single: Some(lang),
            };
            let text = "ÇçĞğİıŞşÁáÍíÓóÚúêÔôÃãÕõÂâ€^{}[]~\\|";
            let fits: String = text.chars().filter(|&c| cs.code_of(c).is_some()).collect();
            assert_eq!(cs.decode(&cs.encode(&fits).unwrap()), fits, "{lang:?}");
        }
    }

    #[test]
    fn turkish_specifics() {
        let locking = Charset {
            locking: Some(NationalLanguage::Turkish),
            single: None,
        };
        assert_eq!(locking.code_of('ş'), Some(Code::Direct(0x1D)));
        assert_eq!(locking.code_of('İ'), Some(Code::Direct(0x40)));
        assert_eq!(locking.code_of('€'), Some(Code::Direct(0x04)));
        // The locking table replaces è, so it no longer fits.
        assert_eq!(locking.code_of('è'), None);
        let single = Charset {
            locking: None,
            single: Some(NationalLanguage::Turkish),
        };
        assert_eq!(single.code_of('ğ'), Some(Code::Escaped(0x67)));
        assert_eq!(single.code_of('è'), Some(Code::Direct(0x04)));
    }

    #[test]
    fn decode_fallbacks() {
        let cs = Charset::DEFAULT;
        // Escape + a code the extension lacks: the main table's character.
        assert_eq!(cs.decode(&[ESCAPE, 0x41]), "A");
        assert_eq!(cs.decode(&[ESCAPE, ESCAPE, 0x41]), " A");
        assert_eq!(cs.decode(&[0x41, ESCAPE]), "A");
        // High bits are ignored rather than indexing out of range.
        assert_eq!(cs.decode(&[0xC1]), "A");
    }

    #[test]
    fn unknown_language_ids_fall_back_to_default() {
        assert_eq!(Charset::from_ids(Some(13), Some(9)), Charset::DEFAULT);
        // Spanish has no locking table: its locking IE selects the default.
        assert_eq!(
            Charset::from_ids(Some(2), Some(2)),
            Charset {
                locking: None,
                single: Some(NationalLanguage::Spanish)
            }
        );
    }

    #[test]
    fn language_codes() {
        assert_eq!(NationalLanguage::from_code("TR"), Some(NationalLanguage::Turkish));
        assert_eq!(
            NationalLanguage::from_code(" es"),
            Some(NationalLanguage::Spanish)
        );
        assert_eq!(NationalLanguage::from_code("de"), None);
    }
}
