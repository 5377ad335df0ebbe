//! `simfleet optouts import FILE` and `simfleet optouts export`: opt-out
//! lists as CSV, read and written straight from the gateway's database (the
//! daemon may be running; SQLite lets both work).

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::contacts::DatabaseConfigArg;
use crate::config::Config;
use crate::phone::{Msisdn, Region};
use crate::store::{OptOutSource, Store, rfc3339};

/// `simfleet optouts ...`.
#[derive(Debug, Subcommand)]
pub enum OptoutsCommand {
    /// Add the numbers of a CSV file (a `number` column, optional `note`;
    /// or number first without a header) as opted out.
    Import(ImportArgs),
    /// Write every opted-out number as CSV: number,source,keyword,note,at.
    Export(ExportArgs),
}

/// Arguments of `simfleet optouts import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (`-` for standard input).
    pub file: PathBuf,
    #[command(flatten)]
    pub config: DatabaseConfigArg,
}

/// Arguments of `simfleet optouts export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub config: DatabaseConfigArg,
}

/// A CSV file read: numbers with their notes, and the lines that were not numbers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedList {
    /// `(canonical number, note)`, first occurrence of each number.
    pub entries: Vec<(String, Option<String>)>,
    /// `line N: why`.
    pub invalid: Vec<String>,
}

/// Reads an opt-out CSV: with a header naming a `number` (or `phone`,
/// `msisdn`) column and optionally `note`, or without one (number first,
/// note second). Read as CSV over the whole input (RFC 4180 quoting, so a
/// quoted note may span lines, as `optouts export` writes it); fields are
/// trimmed, records may differ in length, a leading BOM is ignored, and
/// blank records and records starting with `#` are skipped. `line N` in
/// what is reported is the line a record starts on.
pub fn parse_list(mut input: impl Read, region: Region) -> anyhow::Result<ParsedList> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .context("reading the CSV (is it UTF-8?)")?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = ParsedList::default();
    let mut seen = std::collections::HashSet::new();
    let (mut number_col, mut note_col) = (0usize, Some(1usize));
    let mut first = true;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    // The line a record starts on: the reader's own count skips comment
    // lines, and its byte offset is before the blank and comment lines it
    // passed over.
    let bytes = text.as_bytes();
    let line_at = |p: &csv::Position| {
        let mut at = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(bytes.len());
        loop {
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            if bytes.get(at) != Some(&b'#') {
                break;
            }
            while at < bytes.len() && bytes[at] != b'\n' {
                at += 1;
            }
        }
        1 + bytes[..at].iter().filter(|&&b| b == b'\n').count()
    };
    let mut record = csv::StringRecord::new();
    loop {
        let start = line_at(reader.position());
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(start, line_at);
                return Err(anyhow::anyhow!("line {line}: {e}"));
            }
        }
        let line = record.position().map_or(start, line_at);
        if record.iter().all(str::is_empty) || record.get(0).is_some_and(|f| f.starts_with('#')) {
            continue;
        }
        if std::mem::take(&mut first) {
            let names: Vec<String> = record.iter().map(|f| f.to_ascii_lowercase()).collect();
            if let Some(n) = names
                .iter()
                .position(|f| matches!(f.as_str(), "number" | "phone" | "msisdn" | "phone_number"))
            {
                number_col = n;
                note_col = names.iter().position(|f| f == "note");
                continue;
            }
        }
        let Some(raw) = record.get(number_col).filter(|f| !f.is_empty()) else {
            out.invalid.push(format!("line {line}: no number"));
            continue;
        };
        match Msisdn::parse(raw, region) {
            Ok(n) => {
                if seen.insert(n.as_str().to_string()) {
                    let note = note_col
                        .and_then(|c| record.get(c))
                        .filter(|f| !f.is_empty())
                        .map(|f| crate::export::plain_cell(f).to_string());
                    out.entries.push((n.as_str().to_string(), note));
                }
            }
            Err(e) => out.invalid.push(format!("line {line}: {e}")),
        }
    }
    Ok(out)
}

/// Runs `import`; returns the summary and whether every line was a number.
pub fn import(args: &ImportArgs) -> anyhow::Result<(Value, bool)> {
    let checked = Config::load(&args.config.config)?;
    let parsed = if args.file.as_os_str() == "-" {
        parse_list(std::io::stdin().lock(), checked.region)?
    } else {
        let f =
            std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
        parse_list(f, checked.region)?
    };
    let store = Store::open(&checked.config.storage.path)
        .with_context(|| format!("opening {}", checked.config.storage.path.display()))?;
    let now = chrono::Utc::now().timestamp_millis();
    let counts = store.import_optouts(&parsed.entries, OptOutSource::Import, now)?;
    let clean = parsed.invalid.is_empty();
    Ok((
        json!({"added": counts.added, "already_opted_out": counts.existing, "invalid": parsed.invalid}),
        clean,
    ))
}

/// Runs `export`, writing CSV to `out`.
pub fn export(args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<usize> {
    let checked = Config::load(&args.config.config)?;
    let store = Store::open(&checked.config.storage.path)
        .with_context(|| format!("opening {}", checked.config.storage.path.display()))?;
    let mut w = crate::export::SafeCsv::new(out);
    w.row(["number", "source", "keyword", "note", "at"])?;
    let (mut after, mut total) = (0i64, 0usize);
    loop {
        let page = store.optouts(after, 1000)?;
        for (_, o) in &page {
            w.row([
                o.number.as_str(),
                o.source.as_str(),
                o.keyword.as_deref().unwrap_or(""),
                o.note.as_deref().unwrap_or(""),
                &rfc3339(o.at),
            ])?;
        }
        total += page.len();
        match page.last() {
            Some((cursor, _)) if page.len() == 1000 => after = *cursor,
            _ => break,
        }
    }
    w.flush()?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru() -> Region {
        "RU".parse().unwrap()
    }

    #[test]
    fn with_a_header_in_any_column_order() {
        let csv = "note,Number\nasked by phone,8 916 123-45-67\n,+7 916 765 43 21\n\"said \"\"never\"\"\",+79161234567\n";
        let p = parse_list(csv.as_bytes(), ru()).unwrap();
        assert_eq!(
            p.entries,
            [
                ("+79161234567".to_string(), Some("asked by phone".to_string())),
                ("+79167654321".to_string(), None)
            ]
        );
        assert!(p.invalid.is_empty());
    }

    #[test]
    fn without_a_header_blank_and_comment_lines_and_bad_numbers() {
        let csv = "# exported from the old system\n+79161234567,first\n\nnot a number\n89167654321\n";
        let p = parse_list(csv.as_bytes(), ru()).unwrap();
        assert_eq!(p.entries.len(), 2);
        assert_eq!(p.entries[0].1.as_deref(), Some("first"));
        assert_eq!(p.invalid.len(), 1);
        assert!(p.invalid[0].starts_with("line 4:"), "{:?}", p.invalid);
    }

    #[test]
    fn a_quoted_note_spanning_lines_is_one_field_and_lines_count_from_the_record_start() {
        let csv = "\u{feff}number,source,keyword,note,at\n\
                   +79161234567,api,,\"called us:\n+79167654321 is her husband,\n# keep him\",2026-01-01T00:00:00Z\n\
                   \n  # a comment\n\
                   not a number,api,,,\n\
                   +79160000001,import,,'=1+2,\n";
        let p = parse_list(csv.as_bytes(), ru()).unwrap();
        assert_eq!(
            p.entries,
            [
                (
                    "+79161234567".to_string(),
                    Some("called us:\n+79167654321 is her husband,\n# keep him".to_string())
                ),
                ("+79160000001".to_string(), Some("=1+2".to_string())),
            ]
        );
        assert_eq!(p.invalid.len(), 1, "{:?}", p.invalid);
        assert!(p.invalid[0].starts_with("line 7:"), "{:?}", p.invalid);
    }
}
