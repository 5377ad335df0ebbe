//! `simfleet contacts import FILE|-` and `simfleet contacts export`: contact
//! lists as CSV, read and written straight on the gateway's database (the
//! daemon may be running: SQLite lets both work; an import holds the write
//! lock for the seconds its one transaction takes).
//!
//! Exit codes of `import`: 0 every row imported; 1 some rows were bad (the
//! good ones were imported, the bad ones listed); 2 nothing was imported
//! (no phone column, unreadable file, bad options, database error).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::contacts::ContactRules;
use crate::contacts::csv_import::{self, ImportOptions, ImportReport, TextEncoding};
use crate::sms::SplitOptions;
use crate::store::Store;

/// `simfleet contacts ...`.
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Create or update contacts from a CSV file (see "Importing contacts"
    /// in the README): a `phone` column, optional name, time_zone,
    /// language, tags, consent, consent_at, consent_source; other columns
    /// are attributes.
    Import(ImportArgs),
    /// Write every contact as CSV (cells safe to open in a spreadsheet;
    /// the file imports back).
    Export(ExportArgs),
}

/// Where the daemon's config is, for commands that work on its database
/// directly rather than through the API (`contacts`, `optouts`).
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfigArg {
    /// The daemon's configuration file (for the database path and the
    /// number and contact rules; the database is written directly, the
    /// daemon may be running).
    #[arg(long, default_value = "/etc/simfleet/simfleet.toml")]
    pub config: PathBuf,
}

/// Arguments of `simfleet contacts import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (`-` for standard input).
    pub file: PathBuf,
    /// Check and report, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Attribute types: `city=string,birthday=date,spent=number,vip=boolean`
    /// (others: the type the attribute has, else inferred from the column).
    #[arg(long)]
    pub types: Option<String>,
    /// `,`, `;` or `tab` (default: the one the header line uses).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// `utf-8` or `windows-1251` (default: detected).
    #[arg(long, value_parser = parse_encoding)]
    pub encoding: Option<TextEncoding>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub config: DatabaseConfigArg,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    csv_import::parse_delimiter(s).map_err(|e| e.to_string())
}

fn parse_encoding(s: &str) -> Result<TextEncoding, String> {
    s.parse().map_err(|e: csv_import::CsvError| e.to_string())
}

/// Arguments of `simfleet contacts export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub config: DatabaseConfigArg,
}

/// Runs `import`: the report, or an error when nothing could be imported.
pub fn import(args: &ImportArgs) -> anyhow::Result<ImportReport> {
    let checked = Config::load(&args.config.config)?;
    let types = match &args.types {
        Some(spec) => csv_import::parse_types(spec)?,
        None => Default::default(),
    };
    let store = Store::open(&checked.config.storage.path)
        .with_context(|| format!("opening {}", checked.config.storage.path.display()))?;
    let validity =
        (checked.config.sending.validity_minutes > 0).then_some(checked.config.sending.validity_minutes);
    let split = SplitOptions {
        national: checked.national.clone(),
        wide_ref: false,
        normalize_punctuation: checked.config.sending.normalize_punctuation,
    };
    let rules = ContactRules::from_config(&checked.config.contacts, checked.region, split, validity);
    let stdin = args.file.as_os_str() == "-";
    let file = if stdin {
        // Standard input is read twice: keep it in an unnamed file beside
        // the database (only this process can read it; gone at exit).
        let dir = checked
            .config
            .storage
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut spool = tempfile::tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        std::io::copy(&mut std::io::stdin().lock(), &mut spool).context("reading standard input")?;
        spool
    } else {
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?
    };
    let file_name = if stdin {
        "standard input".to_string()
    } else {
        args.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| args.file.display().to_string())
    };
    let opts = ImportOptions {
        file_name,
        region: checked.region,
        encoding: args.encoding,
        delimiter: args.delimiter,
        types,
        columns: Default::default(),
        now: chrono::Utc::now().timestamp_millis(),
    };
    let open = || {
        let mut f = file.try_clone()?;
        f.seek(SeekFrom::Start(0))?;
        Ok(std::io::BufReader::with_capacity(64 * 1024, f))
    };
    let report = store
        .import_contacts(open, &opts, &rules, args.dry_run)
        .with_context(|| format!("importing {}", terminal_safe(&opts.file_name)))?;
    Ok(report)
}

/// How many bad rows the text report lists (`--json` gives the first 1000).
const SHOWN: usize = 20;

/// The report as a person reads it at a terminal.
pub fn report_text(r: &ImportReport) -> String {
    let mut out = String::new();
    let delimiter = if r.delimiter == "tab" {
        "tab".to_string()
    } else {
        format!("'{}'", r.delimiter)
    };
    let _ = writeln!(
        out,
        "{}{} rows read ({}, {delimiter}-separated)",
        if r.dry_run {
            "Dry run, nothing written: "
        } else {
            ""
        },
        r.rows,
        r.encoding
    );
    let verb = if r.dry_run { "would be " } else { "" };
    let _ = writeln!(out, "  {} contacts {verb}created", r.created);
    let _ = writeln!(out, "  {} contacts {verb}updated", r.updated);
    if r.merged_duplicates > 0 {
        let _ = writeln!(
            out,
            "  {} {} repeated the phone of an earlier row and merged into it",
            r.merged_duplicates,
            if r.merged_duplicates == 1 { "row" } else { "rows" }
        );
    }
    if r.confirmations_queued > 0 {
        let _ = writeln!(
            out,
            "  {} double opt-in requests {verb}queued",
            r.confirmations_queued
        );
    }
    if r.optouts_imported > 0 {
        let _ = writeln!(
            out,
            "  {} numbers {verb}opted out (opted_out column)",
            r.optouts_imported
        );
    }
    if !r.attributes.is_empty() {
        let list: Vec<String> = r
            .attributes
            .iter()
            .map(|a| {
                let from = match a.from {
                    csv_import::TypeFrom::Given => "given",
                    csv_import::TypeFrom::Known => "as before",
                    csv_import::TypeFrom::Inferred => "inferred",
                };
                format!(
                    "{} {} ({from})",
                    terminal_safe(&a.name),
                    a.attr_type.unwrap_or("no values")
                )
            })
            .collect();
        let _ = writeln!(out, "  attributes: {}", list.join(", "));
    }
    if !r.ignored_columns.is_empty() {
        let names: Vec<String> = r.ignored_columns.iter().map(|c| terminal_safe(c)).collect();
        let _ = writeln!(out, "  columns ignored: {}", names.join(", "));
    }
    if r.bad_rows > 0 {
        let _ = writeln!(
            out,
            "{} bad {}, not imported:",
            r.bad_rows,
            if r.bad_rows == 1 { "row" } else { "rows" }
        );
        for b in r.errors.iter().take(SHOWN) {
            let _ = writeln!(out, "  line {}: {}", b.line, terminal_safe(&b.reason));
        }
        let more = r.bad_rows.saturating_sub(SHOWN as u64);
        if more > 0 {
            let _ = writeln!(out, "  … and {more} more (--json lists the first 1000)");
        }
    }
    out
}

/// Text from a file made safe to print at a terminal: control characters
/// (escape sequences), and the invisible ones that reorder text, are
/// shown escaped.
pub fn terminal_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let invisible = c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if invisible {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `export`, writing CSV to `out`; returns how many contacts.
pub fn export(args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<usize> {
    let checked = Config::load(&args.config.config)?;
    let store = Store::open(&checked.config.storage.path)
        .with_context(|| format!("opening {}", checked.config.storage.path.display()))?;
    Ok(crate::contacts::csv_export::export_all(&store, out)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_from_a_file_are_not_sent_to_the_terminal() {
        assert_eq!(terminal_safe("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(terminal_safe("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(terminal_safe("Анна"), "Анна");
    }
}
