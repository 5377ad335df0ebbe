//! The rules for a contact's text fields, one set for every writer: the API
//! (`/v1/contacts`) and the CSV import check a name, a tag, a language and
//! an attribute's name and string value here, so a value one accepts the
//! other accepts too, and an export always imports back.
//!
//! - attribute names: letters of any script, digits and `_` (Unicode
//!   alphanumeric), not starting with a digit, 1–64 characters; spaces and
//!   `-` read as `_` (`День рождения` → `День_рождения`), so a template and
//!   a PATCH can name it;
//! - name: at most 200 characters;
//! - attribute string values: at most 1000 characters;
//! - tags: 1–64 characters, no `;` (an export joins tags with `;`);
//! - language: a BCP 47 tag (`ru`, `ru-RU`, `pt_BR`), stored as its primary
//!   subtag (2–3 letters) in lower case;
//! - no control characters (NUL, escape, …) in a name, a tag or an
//!   attribute string; line breaks and tabs (a spreadsheet cell's Alt+Enter)
//!   are kept in an attribute string (an SMS may hold them) and read as one
//!   space in a name.
//!
//! Errors are messages without the field's name; the caller names it.

/// Longest name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest tag, in characters.
pub const MAX_TAG: usize = 64;
/// Longest attribute name, in characters.
pub const MAX_ATTRIBUTE_NAME: usize = 64;
/// Longest attribute string value, in characters.
pub const MAX_ATTRIBUTE_VALUE: usize = 1000;

/// `v` as a message shows it: quoted, control characters escaped, at most
/// `max` characters of it (then `…`), so junk (a binary file's header) stays
/// readable.
pub fn shown(v: &str, max: usize) -> String {
    match v.char_indices().nth(max) {
        Some((cut, _)) => format!("{:?}… ({} characters)", &v[..cut], v.chars().count()),
        None => format!("{v:?}"),
    }
}

fn no_control(v: &str) -> Result<(), String> {
    match v.char_indices().find(|(_, c)| c.is_control()) {
        Some((at, c)) => Err(format!(
            "contains a control character (U+{:04X}) at byte {at}",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// The attribute name `raw` stands for (trimmed; spaces and `-` read as
/// `_`), or why it cannot name one.
pub fn attribute_name(raw: &str) -> Result<String, String> {
    let name: String = raw
        .trim()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    let count = name.chars().count();
    let ok = (1..=MAX_ATTRIBUTE_NAME).contains(&count)
        && !name.starts_with(|c: char| c.is_numeric())
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(format!(
            "{} is not an attribute name: 1 to {MAX_ATTRIBUTE_NAME} letters (any script), digits and _, not starting with a digit (spaces and - read as _)",
            shown(raw, 80)
        ))
    }
}

/// A contact's name as stored: runs of white space, line breaks included,
/// read as one space, trimmed; or why it is not one.
pub fn name(v: &str) -> Result<String, String> {
    let joined = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > MAX_NAME {
        return Err(format!("longer than {MAX_NAME} characters"));
    }
    no_control(&joined)?;
    Ok(joined)
}

/// A tag, trimmed, or why it is not one.
pub fn tag(v: &str) -> Result<String, String> {
    let t = v.trim();
    if t.is_empty() {
        return Err("empty".into());
    }
    if t.chars().count() > MAX_TAG {
        return Err(format!("longer than {MAX_TAG} characters"));
    }
    if t.contains(';') {
        return Err("contains ; (an export separates tags with ;)".into());
    }
    no_control(t)?;
    Ok(t.to_string())
}

/// Checks an attribute's string value: line breaks and tabs may stay.
pub fn check_attribute_string(v: &str) -> Result<(), String> {
    if v.chars().count() > MAX_ATTRIBUTE_VALUE {
        return Err(format!("longer than {MAX_ATTRIBUTE_VALUE} characters"));
    }
    no_control(&v.replace(['\n', '\r', '\t'], " "))
}

/// The language stored for a BCP 47 tag (`ru-RU`, `pt_BR`, `EN`): its
/// primary subtag, 2–3 letters, lower-cased.
pub fn language(v: &str) -> Result<String, String> {
    let primary = v
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(primary)
    } else {
        Err(format!(
            "{v:?} is not a language: give a BCP 47 tag or its primary subtag (\"en\", \"ru-RU\", \"es\")"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_take_any_script_and_read_spaces_and_dashes_as_underscores() {
        assert_eq!(attribute_name(" День рождения ").unwrap(), "День_рождения");
        assert_eq!(attribute_name("last-purchase").unwrap(), "last_purchase");
        assert_eq!(attribute_name("ciudad_año").unwrap(), "ciudad_año");
        for bad in ["", "1st", "a.b", "price ($)", "a\tb", &"x".repeat(65)] {
            assert!(attribute_name(bad).is_err(), "{bad:?}");
        }
        assert!(
            attribute_name(&"я".repeat(64)).is_ok(),
            "64 characters, not bytes"
        );
    }

    #[test]
    fn tags_names_and_strings_refuse_control_characters_and_tags_refuse_semicolons() {
        assert_eq!(tag(" vip ").unwrap(), "vip");
        assert!(tag("a;b").is_err());
        assert!(tag("a\nb").is_err());
        assert!(tag(&"т".repeat(65)).is_err());
        assert!(name("Anna\u{0}").is_err());
        assert!(name(&"я".repeat(200)).is_ok());
        assert!(name(&"я".repeat(201)).is_err());
        // A spreadsheet cell's line break: one space in a name, kept in an attribute.
        assert_eq!(name(" two\r\n  lines ").unwrap(), "two lines");
        assert!(check_attribute_string("line\r\nbreak\tand tab").is_ok());
        assert!(check_attribute_string("escape\u{1b}[31m").is_err());
        assert!(check_attribute_string(&"x".repeat(1001)).is_err());
    }

    #[test]
    fn languages_are_bcp47_tags_stored_by_primary_subtag() {
        assert_eq!(language("ru-RU").unwrap(), "ru");
        assert_eq!(language("pt_BR").unwrap(), "pt");
        assert_eq!(language("EN").unwrap(), "en");
        assert!(language("русский").is_err());
        assert!(language("e").is_err());
    }
}
