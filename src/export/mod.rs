//! Files simfleet writes for people to open: CSV that a spreadsheet opens
//! without running anything in it.
//!
//! Text in an export can come from anyone with a phone (a reply, a note
//! typed into an import). A cell that starts with `=`, `+`, `-` or `@`
//! (or a tab or carriage return, which some spreadsheets skip before
//! reading a formula) is a formula to Excel, LibreOffice and Google Sheets:
//! `=HYPERLINK("http://…","click")` from a stranger becomes a live link,
//! and DDE payloads have run programs. Following OWASP's CSV-injection
//! rule, such a cell gets a leading `'`, which spreadsheets show as text
//! and hide. A cell that is only a number (`+79161234567`, `-5`, `3.5`)
//! is left alone: it evaluates to itself, and phone numbers must stay
//! exactly as they are. [`plain_cell`] undoes the quote on import, so an
//! export read back gives the same text.

use std::borrow::Cow;
use std::io::Write;

/// The characters that make a spreadsheet read a cell as a formula.
fn triggers_formula(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// A plain number, optionally signed, with an optional decimal part.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// `value` as a spreadsheet-safe cell.
pub fn safe_cell(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some(c) if triggers_formula(c) && !is_plain_number(value) => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// A cell read back from one of our exports: the protective `'` removed.
pub fn plain_cell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(triggers_formula) => rest,
        _ => value,
    }
}

/// A CSV writer whose every cell goes through [`safe_cell`].
pub struct SafeCsv<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> SafeCsv<W> {
    /// Writes CSV (RFC 4180, quoted where needed) to `out`.
    pub fn new(out: W) -> Self {
        SafeCsv {
            inner: csv::Writer::from_writer(out),
        }
    }

    /// Writes one row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<(), csv::Error> {
        self.inner
            .write_record(cells.into_iter().map(|c| safe_cell(c).into_owned()))
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_from_replies_are_neutralised() {
        for (raw, safe) in [
            (
                "=HYPERLINK(\"http://evil\",\"click\")",
                "'=HYPERLINK(\"http://evil\",\"click\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("+", "'+"),
        ] {
            assert_eq!(safe_cell(raw), safe, "{raw:?}");
            assert_eq!(plain_cell(&safe_cell(raw)), raw, "round trip of {raw:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_stay_as_they_are() {
        for v in [
            "+79161234567",
            "-5",
            "3.25",
            "STOP",
            "",
            "a=b",
            "'quoted",
            "2026-11-30",
        ] {
            assert_eq!(safe_cell(v), v);
            assert_eq!(plain_cell(v), v);
        }
    }

    #[test]
    fn written_rows_are_quoted_csv_with_safe_cells() {
        let mut out = Vec::new();
        let mut w = SafeCsv::new(&mut out);
        w.row(["+79161234567", "=1+1", "a,b"]).unwrap();
        w.flush().unwrap();
        drop(w);
        assert_eq!(String::from_utf8(out).unwrap(), "+79161234567,'=1+1,\"a,b\"\n");
    }
}
