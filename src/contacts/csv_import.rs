//! Reading a contact list from CSV, as spreadsheets write it: the encoding,
//! the delimiter, the header's columns and their types, and every row
//! checked on its own. Pure: it reads from a [`Read`] it is given (twice:
//! [`scan`] then [`rows`]) and hands rows to a callback; the store writes them
//! (`Store::import_contacts`).
//!
//! Rules (also in the README, "Importing contacts"):
//! - **Encoding**: given (`utf-8`, `windows-1251`), or detected over the
//!   whole file: a byte-order mark says UTF-8 (or UTF-16, as Excel's
//!   "Unicode text" writes it); else a file that is valid UTF-8 is UTF-8;
//!   else it is Windows-1251 (what Russian spreadsheets export). A BOM
//!   always wins over what is given, and is never part of the first column.
//! - **Delimiter**: given, or the one of `,` `;` tab that occurs most often
//!   in the header line outside quotes (`,` when none does).
//! - **Header**: names are matched trimmed and case-insensitively, with
//!   spaces and `-` read as `_`: `phone` (also `number`, `msisdn`,
//!   `mobile`, `телефон`, `номер`, …) is required; `name`, `time_zone`,
//!   `language`, `tags`, `consent`, `consent_at`, `consent_source`,
//!   `consent_evidence`, `opted_out`; columns an export writes but an import
//!   cannot set (`status`, `id`, activity) are ignored; every other column
//!   is an attribute, named by [`super::fields::attribute_name`] (spaces
//!   and `-` read as `_`; a header that cannot name one is fatal).
//! - **Fields** follow [`super::fields`], as in the API: a name, tag or
//!   attribute string too long or with a control character is a bad row.
//! - **Cells** are trimmed; an empty cell leaves the field as it is; the
//!   `'` an export puts before a formula-like cell is removed. `tags` are
//!   separated by `;` or `,` (an export writes `;`; people type `,`, as in
//!   the dashboard's contact form; quote the cell when either is also the
//!   delimiter) and are added to the contact's tags.
//! - **Consent**: `opted_in` (also `yes`, `true`, `1`, `да`, `sí`), `pending`
//!   (a double opt-in request is sent), `none` (also `no`, `false`, `0`,
//!   `нет`: consent withdrawn). `opted_in` must be proven: a row without
//!   `consent_source` and without `consent_at` is refused. `consent_at` is
//!   RFC 3339, `YYYY-MM-DD` or `DD.MM.YYYY` (midnight UTC), not in the
//!   future. The source is the row's `consent_source`, else `import <file>
//!   line N`; the evidence only the row's `consent_evidence` (never made
//!   up). A contact whose consent already has the row's status keeps its
//!   consent fields (`ContactChanges::keep_same_consent`): an export read
//!   back rewrites nothing. Consent cells in a row whose `consent` is empty
//!   are ignored.
//! - **Opt-out**: a non-empty `opted_out` (a time, as an export writes, or
//!   yes/true/1/да) opts the number out (the store records it with source
//!   `import` in the same transaction); no/false/0/нет is nothing.
//! - **Attribute types**: `--types` first, then the type the attribute
//!   already has in the database, else inferred from the file's column:
//!   every non-empty cell a number → number (not when a cell starts with
//!   `+` or a leading `0`, which are codes and phone numbers, kept as text),
//!   else every one a date → date, else every one a boolean → boolean,
//!   else string.
//! - **Bad rows** (wrong field count, bad phone, bad date, a value not of its
//!   attribute's type, unproven consent, a cell with bytes invalid in the
//!   file's encoding — the decoder's U+FFFD is never stored) are reported with the physical line
//!   the record starts on and do not stop the others.
//! - **Duplicates**: rows with the same phone are merged: later non-empty
//!   cells win, tags add up, the consent is the last one given.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};

use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;

use super::model::{AttrType, AttrValue, Consent, ConsentStatus, ContactChanges};
use crate::export::plain_cell;
use crate::phone::{Msisdn, Region};

/// How much of the header a `no phone column` error shows (characters).
pub const MAX_HEADER_SHOWN: usize = 200;
/// How many bad rows a report lists in detail (all are counted).
pub const MAX_DETAILED: usize = 1000;
/// Longest cell accepted (bytes of UTF-8); longer is a bad row.
pub const MAX_CELL: usize = 16 * 1024;
/// Longest header line (bytes).
const MAX_HEADER: usize = 1024 * 1024;
/// A `consent_at` later than now by more than this (a day: zones) is refused.
const FUTURE_SLACK_MS: i64 = 24 * 3600 * 1000;

/// A file's text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum TextEncoding {
    /// UTF-8, with or without a BOM.
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1251 (Cyrillic), as Russian spreadsheets export.
    #[serde(rename = "windows-1251")]
    Windows1251,
    /// UTF-16 little-endian, recognised by its BOM only.
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big-endian, recognised by its BOM only.
    #[serde(rename = "utf-16be")]
    Utf16Be,
}

impl TextEncoding {
    /// The name shown.
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1251 => "windows-1251",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
        }
    }

    fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Windows1251 => encoding_rs::WINDOWS_1251,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

impl std::str::FromStr for TextEncoding {
    type Err = CsvError;
    fn from_str(s: &str) -> Result<Self, CsvError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "windows-1251" | "cp1251" | "1251" | "win1251" | "windows1251" => Ok(TextEncoding::Windows1251),
            other => Err(CsvError::Option(format!(
                "encoding {other:?} is not utf-8 or windows-1251"
            ))),
        }
    }
}

/// Reads a `--delimiter`: `,`, `;`, `tab` (or a tab character).
pub fn parse_delimiter(s: &str) -> Result<u8, CsvError> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "tab" | "\t" | "\\t" => Ok(b'\t'),
        other => Err(CsvError::Option(format!(
            "delimiter {other:?} is not one of , ; tab"
        ))),
    }
}

/// The name of a delimiter as shown: `,`, `;` or `tab`.
pub fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => ";",
        b'\t' => "tab",
        _ => ",",
    }
}

/// Reads `--types city=string,birthday=date,spent=number`.
pub fn parse_types(spec: &str) -> Result<BTreeMap<String, AttrType>, CsvError> {
    let mut out = BTreeMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, t)) = part.split_once('=') else {
            return Err(CsvError::Option(format!(
                "types: {part:?} is not name=type (string, number, boolean, date)"
            )));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(CsvError::Option(format!("types: {part:?} has no attribute name")));
        }
        let name =
            super::fields::attribute_name(name).map_err(|e| CsvError::Option(format!("types: {e}")))?;
        let name = name.as_str();
        let t: AttrType = t
            .parse()
            .map_err(|e: super::InvalidValue| CsvError::Option(format!("types: {name}: {e}")))?;
        if out.insert(name.to_string(), t).is_some() {
            return Err(CsvError::Option(format!("types: {name} is given twice")));
        }
    }
    Ok(out)
}

/// Why a file cannot be imported at all (a bad row is not this: it is
/// reported and skipped).
#[derive(Debug, Error)]
pub enum CsvError {
    /// Reading failed.
    #[error("reading the file: {0}")]
    Io(#[from] io::Error),
    /// The file has no header line.
    #[error("the file is empty: expected a header line naming the columns (phone, name, ...)")]
    Empty,
    /// The header has no phone column.
    #[error("no phone column: the header must name one (phone, number, msisdn or телефон); found {found}")]
    NoPhoneColumn {
        /// The header's names, as read.
        found: String,
    },
    /// The header names a column twice.
    #[error("the header names {0:?} twice")]
    DuplicateColumn(String),
    /// An option (`--types`, `--delimiter`, `--encoding`) is wrong, or
    /// contradicts the file or the database.
    #[error("{0}")]
    Option(String),
    /// The header line is unreasonably long (not a CSV file?).
    #[error("the header line is longer than {} KiB: is this a CSV file?", MAX_HEADER / 1024)]
    HeaderTooLong,
    /// The CSV itself could not be read.
    #[error("line {line}: {message}")]
    Csv {
        /// Line.
        line: u64,
        /// What.
        message: String,
    },
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The file's name, for the consent source and evidence (`import
    /// customers.csv line 12`).
    pub file_name: String,
    /// How national numbers are read.
    pub region: Region,
    /// The encoding, or `None` to detect it.
    pub encoding: Option<TextEncoding>,
    /// The delimiter, or `None` to sniff it from the header.
    pub delimiter: Option<u8>,
    /// Attribute types given (`--types`).
    pub types: BTreeMap<String, AttrType>,
    /// What some columns are, chosen by the user (by index from 0),
    /// instead of what their header names (`columns=2=name,3=ignore`).
    pub columns: BTreeMap<usize, ColumnChoice>,
    /// Now (unix ms): `consent_at` may not be later.
    pub now: i64,
}

/// What a column of the file is imported as, when the user says so
/// rather than its header (the dashboard's column mapping, the API's
/// `columns=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnChoice {
    /// The number (exactly one column).
    Phone,
    /// The name.
    Name,
    /// The IANA time zone.
    TimeZone,
    /// The language.
    Language,
    /// Tags, `;`-separated.
    Tags,
    /// Consent status.
    Consent,
    /// When consent was given.
    ConsentAt,
    /// Where consent was given.
    ConsentSource,
    /// The text agreed to.
    ConsentEvidence,
    /// An opt-out.
    OptedOut,
    /// Not imported.
    Ignore,
    /// An attribute named after the header.
    Attribute,
}

impl ColumnChoice {
    /// Every choice, in the order a form offers them.
    pub const ALL: [ColumnChoice; 12] = [
        ColumnChoice::Phone,
        ColumnChoice::Name,
        ColumnChoice::TimeZone,
        ColumnChoice::Language,
        ColumnChoice::Tags,
        ColumnChoice::Consent,
        ColumnChoice::ConsentAt,
        ColumnChoice::ConsentSource,
        ColumnChoice::ConsentEvidence,
        ColumnChoice::OptedOut,
        ColumnChoice::Attribute,
        ColumnChoice::Ignore,
    ];

    /// Its name (`phone`, `consent_at`, `attribute`, `ignore`…).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnChoice::Phone => "phone",
            ColumnChoice::Name => "name",
            ColumnChoice::TimeZone => "time_zone",
            ColumnChoice::Language => "language",
            ColumnChoice::Tags => "tags",
            ColumnChoice::Consent => "consent",
            ColumnChoice::ConsentAt => "consent_at",
            ColumnChoice::ConsentSource => "consent_source",
            ColumnChoice::ConsentEvidence => "consent_evidence",
            ColumnChoice::OptedOut => "opted_out",
            ColumnChoice::Ignore => "ignore",
            ColumnChoice::Attribute => "attribute",
        }
    }

    /// The column it makes; `None` for an attribute (named by the header).
    fn column(self) -> Option<Column> {
        Some(match self {
            ColumnChoice::Phone => Column::Phone,
            ColumnChoice::Name => Column::Name,
            ColumnChoice::TimeZone => Column::TimeZone,
            ColumnChoice::Language => Column::Language,
            ColumnChoice::Tags => Column::Tags,
            ColumnChoice::Consent => Column::Consent,
            ColumnChoice::ConsentAt => Column::ConsentAt,
            ColumnChoice::ConsentSource => Column::ConsentSource,
            ColumnChoice::ConsentEvidence => Column::ConsentEvidence,
            ColumnChoice::OptedOut => Column::OptedOut,
            ColumnChoice::Ignore => Column::Ignored,
            ColumnChoice::Attribute => return None,
        })
    }
}

impl std::str::FromStr for ColumnChoice {
    type Err = CsvError;
    fn from_str(s: &str) -> Result<Self, CsvError> {
        let s = s.trim().to_ascii_lowercase();
        ColumnChoice::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                CsvError::Option(format!(
                    "columns: {s:?} is not one of {}",
                    ColumnChoice::ALL.map(ColumnChoice::as_str).join(", ")
                ))
            })
    }
}

/// Reads `columns=2=name,3=ignore,5=attribute`: column numbers (from 1,
/// as a spreadsheet counts) and what each is imported as.
pub fn parse_columns(spec: &str) -> Result<BTreeMap<usize, ColumnChoice>, CsvError> {
    let mut out = BTreeMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((n, choice)) = part.split_once('=') else {
            return Err(CsvError::Option(format!(
                "columns: {part:?} is not number=field (2=name, 3=ignore)"
            )));
        };
        let n: usize = n
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| CsvError::Option(format!("columns: {n:?} is not a column number from 1")))?;
        if out.insert(n - 1, choice.parse()?).is_some() {
            return Err(CsvError::Option(format!("columns: column {n} is given twice")));
        }
    }
    Ok(out)
}

/// How a column of the file is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportColumn {
    /// Its header, as the file has it.
    pub header: String,
    /// What it is imported as: `phone`, `name`, …, `attribute` or `ignore`.
    pub field: &'static str,
    /// The attribute's name, for an attribute column.
    pub attribute: Option<String>,
    /// Chosen by the user (`columns=`) rather than read from the header.
    pub chosen: bool,
}

/// What each column of `header` is imported as, given the user's
/// `choices`: the same reading the import makes (a header no attribute
/// can be named after is still shown, as an attribute, for the import to
/// refuse).
pub fn describe_columns(header: &[String], choices: &BTreeMap<usize, ColumnChoice>) -> Vec<ImportColumn> {
    header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let name = plain_cell(raw.trim()).to_string();
            let chosen = choices.contains_key(&i);
            let (field, attribute) = match resolve(i, &name, choices) {
                Some(c) => (column_field(&c), None),
                None => (
                    "attribute",
                    Some(super::fields::attribute_name(&name).unwrap_or(name.clone())),
                ),
            };
            ImportColumn {
                header: raw.clone(),
                field,
                attribute,
                chosen,
            }
        })
        .collect()
}

/// The header and the first `limit` data rows (blank rows skipped) of a
/// file, with the line each starts on and the delimiter read: what a
/// preview shows before anything is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSample {
    /// The header's cells.
    pub header: Vec<String>,
    /// `(line, cells)` of the first rows.
    pub rows: Vec<(u64, Vec<String>)>,
    /// The delimiter read.
    pub delimiter: u8,
}

/// Reads the header and the first `limit` rows (see [`FileSample`]).
pub fn sample<R: Read>(
    input: R,
    encoding: TextEncoding,
    delimiter: Option<u8>,
    limit: usize,
) -> Result<FileSample, CsvError> {
    let (mut reader, header, delimiter) = open(input, encoding, delimiter)?;
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    while rows.len() < limit {
        let Some(line) = reader.next(&mut rec)? else {
            break;
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((
            line,
            rec.iter().map(|c| plain_cell(c.trim()).to_string()).collect(),
        ));
    }
    Ok(FileSample {
        header: header.iter().map(str::to_string).collect(),
        rows,
        delimiter,
    })
}

/// A row not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BadRow {
    /// The line of the file the row starts on (1 is the header).
    pub line: u64,
    /// Why, in words.
    pub reason: String,
}

/// Where an attribute's type came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypeFrom {
    /// `--types` (or `types=`).
    Given,
    /// The attribute already has this type in the database.
    Known,
    /// Inferred from the file's column.
    Inferred,
}

/// An attribute column and its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AttributeColumn {
    /// The attribute's name (the column's header, trimmed).
    pub name: String,
    /// `string`, `number`, `boolean` or `date`; null for a column with no
    /// values at all (nothing is stored for it).
    #[schema(value_type = Option<String>)]
    #[serde(rename = "type")]
    pub attr_type: Option<&'static str>,
    /// `given`, `known` or `inferred`.
    pub from: TypeFrom,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// `utf-8`, `windows-1251`, `utf-16le` or `utf-16be`.
    pub encoding: String,
    /// `,`, `;` or `tab`.
    pub delimiter: String,
    /// Data rows read (blank rows not counted):
    /// `created + updated + merged_duplicates + bad_rows`.
    pub rows: u64,
    /// New contacts.
    pub created: u64,
    /// Contacts that existed and were updated.
    pub updated: u64,
    /// Rows whose phone appeared on an earlier row of the file, merged into it.
    pub merged_duplicates: u64,
    /// Double opt-in requests queued (new `pending` contacts).
    pub confirmations_queued: u64,
    /// Numbers newly opted out by the file's `opted_out` column (a number
    /// already opted out keeps its record and is not counted).
    pub optouts_imported: u64,
    /// Rows not imported.
    pub bad_rows: u64,
    /// The first 1000 bad rows, in file order.
    pub errors: Vec<BadRow>,
    /// Attribute columns and their types.
    pub attributes: Vec<AttributeColumn>,
    /// Columns read but not imported (an export's `status`, `id`, …).
    pub ignored_columns: Vec<String>,
    /// Every column of the file, in order, and what it was imported as.
    pub columns: Vec<ImportColumn>,
}

impl ImportReport {
    /// Records a bad row (the first [`MAX_DETAILED`] in detail).
    pub fn bad(&mut self, line: u64, reason: String) {
        self.bad_rows += 1;
        if self.errors.len() < MAX_DETAILED {
            self.errors.push(BadRow { line, reason });
        }
    }
}

/// Reads the whole input and says which encoding it is in (see the module
/// docs for the rule).
pub fn detect_encoding(mut input: impl Read) -> io::Result<TextEncoding> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry = 0usize;
    let mut first = true;
    loop {
        let n = match input.read(&mut buf[carry..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(if carry == 0 {
                TextEncoding::Utf8
            } else {
                TextEncoding::Windows1251
            });
        }
        let end = carry + n;
        if first && end < 3 && n > 0 {
            // Too short to see a BOM yet: read on.
            carry = end;
            continue;
        }
        if std::mem::take(&mut first) {
            if buf[..end].starts_with(&[0xEF, 0xBB, 0xBF]) {
                return Ok(TextEncoding::Utf8);
            }
            if buf[..end].starts_with(&[0xFF, 0xFE]) {
                return Ok(TextEncoding::Utf16Le);
            }
            if buf[..end].starts_with(&[0xFE, 0xFF]) {
                return Ok(TextEncoding::Utf16Be);
            }
        }
        match std::str::from_utf8(&buf[..end]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() => {
                // A sequence cut by the buffer's end: keep its bytes.
                let valid = e.valid_up_to();
                buf.copy_within(valid..end, 0);
                carry = end - valid;
            }
            Err(_) => return Ok(TextEncoding::Windows1251),
        }
    }
}

/// What the header says each column is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Phone,
    Name,
    TimeZone,
    Language,
    Tags,
    Consent,
    ConsentAt,
    ConsentSource,
    ConsentEvidence,
    OptedOut,
    Ignored,
    /// Attribute, by index into `Plan::attrs`.
    Attr(usize),
}

fn column_of(name: &str) -> Option<Column> {
    let key: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    Some(match key.as_str() {
        "phone"
        | "number"
        | "msisdn"
        | "phone_number"
        | "mobile"
        | "mobile_number"
        | "cell"
        | "tel"
        | "telephone"
        | "телефон"
        | "номер"
        | "номер_телефона"
        | "мобильный"
        | "teléfono"
        | "telefono"
        | "móvil"
        | "movil" => Column::Phone,
        "name" | "full_name" | "имя" | "фио" | "nombre" => Column::Name,
        "time_zone" | "timezone" | "tz" | "часовой_пояс" | "zona_horaria" => Column::TimeZone,
        "language" | "lang" | "язык" | "idioma" => Column::Language,
        "tags" | "tag" | "теги" | "метки" | "etiquetas" => Column::Tags,
        "consent" | "consent_status" | "согласие" | "consentimiento" => Column::Consent,
        "consent_at" => Column::ConsentAt,
        "consent_source" => Column::ConsentSource,
        "consent_evidence" => Column::ConsentEvidence,
        "opted_out" | "optout" | "opt_out" | "unsubscribed" | "отписка" => Column::OptedOut,
        "id" | "status" | "status_reason" | "time_zone_source" | "created_at" | "updated_at"
        | "last_sent_at" | "last_delivered_at" | "last_reply_at" | "messages_sent" => Column::Ignored,
        _ => return None,
    })
}

/// What column `i`, whose header is `name` (trimmed), is: the user's
/// choice, else what its header names; `None`: an attribute.
fn resolve(i: usize, name: &str, choices: &BTreeMap<usize, ColumnChoice>) -> Option<Column> {
    match choices.get(&i) {
        Some(choice) => choice.column(),
        None if name.is_empty() => Some(Column::Ignored),
        None => column_of(name),
    }
}

/// A column's field name, as [`ColumnChoice::as_str`] writes it.
fn column_field(c: &Column) -> &'static str {
    match c {
        Column::Phone => "phone",
        Column::Name => "name",
        Column::TimeZone => "time_zone",
        Column::Language => "language",
        Column::Tags => "tags",
        Column::Consent => "consent",
        Column::ConsentAt => "consent_at",
        Column::ConsentSource => "consent_source",
        Column::ConsentEvidence => "consent_evidence",
        Column::OptedOut => "opted_out",
        Column::Ignored => "ignore",
        Column::Attr(_) => "attribute",
    }
}

/// What inference has seen of a column so far.
#[derive(Debug, Clone, Copy)]
struct Seen {
    any: bool,
    number: bool,
    date: bool,
    boolean: bool,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            any: false,
            number: true,
            date: true,
            boolean: true,
        }
    }
}

impl Seen {
    fn add(&mut self, v: &str) {
        self.any = true;
        if self.number && !looks_numeric(v) {
            self.number = false;
        }
        if self.date && super::model::parse_date(v).is_none() {
            self.date = false;
        }
        if self.boolean && AttrValue::parse(v, AttrType::Boolean).is_err() {
            self.boolean = false;
        }
    }

    fn result(&self) -> Option<AttrType> {
        if !self.any {
            None
        } else if self.number {
            Some(AttrType::Number)
        } else if self.date {
            Some(AttrType::Date)
        } else if self.boolean {
            Some(AttrType::Boolean)
        } else {
            Some(AttrType::String)
        }
    }
}

/// A cell that inference may read as a number: a number, but not a code
/// that only looks like one (`+7916…`, `007`, a 16-digit card number).
fn looks_numeric(v: &str) -> bool {
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    let unsigned = v.strip_prefix('-').unwrap_or(v);
    let leading_zero = unsigned.len() > 1
        && unsigned.starts_with('0')
        && unsigned.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
    !v.starts_with('+') && !leading_zero && digits <= 15 && AttrValue::parse(v, AttrType::Number).is_ok()
}

/// An attribute column.
#[derive(Debug, Clone)]
struct Attr {
    name: String,
    /// Final type (`None` during the scan for inferred columns, and after
    /// it for a column with no values).
    attr_type: Option<AttrType>,
    from: TypeFrom,
    seen: Seen,
}

/// A phone number as a map key: `+` and up to 15 digits, or a short code
/// of 3 to 6 digits (what [`Msisdn`] holds), packed in 8 bytes so that a
/// file of 100,000 rows needs a small map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PhoneKey(u64);

const PLUS: u64 = 1 << 63;

impl PhoneKey {
    fn of(m: &Msisdn) -> Option<PhoneKey> {
        let s = m.as_str();
        let (plus, digits) = match s.strip_prefix('+') {
            Some(d) => (true, d),
            None => (false, s),
        };
        if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u64 = digits.parse().ok()?;
        if plus {
            if digits.starts_with('0') {
                return None;
            }
            Some(PhoneKey(PLUS | value))
        } else if (1..=6).contains(&digits.len()) {
            Some(PhoneKey(((digits.len() as u64) << 56) | value))
        } else {
            None
        }
    }

    /// Whether `cell` plausibly wrote this number: its last digits are
    /// the number's (a file changed between the passes is read again).
    fn matches(self, cell: &str) -> bool {
        let last = (self.0 & ((1 << 56) - 1)) % 10_000;
        let digits = cell
            .bytes()
            .filter(u8::is_ascii_digit)
            .fold(0u64, |n, b| (n * 10 + u64::from(b - b'0')) % 10_000);
        digits == last
    }

    fn to_msisdn(self) -> Msisdn {
        if self.0 & PLUS != 0 {
            Msisdn::from_canonical(format!("+{}", self.0 & !PLUS))
        } else {
            let len = (self.0 >> 56) as usize;
            Msisdn::from_canonical(format!("{:0len$}", self.0 & ((1 << 56) - 1)))
        }
    }
}

/// The same phone in several rows.
#[derive(Debug, Clone, Copy)]
struct Repeats {
    /// Good rows with this phone.
    count: u32,
    /// The last good row (by index) with a consent, whose consent wins.
    consent_row: Option<u32>,
}

/// What the first pass learnt: how to read the file and what is in it.
/// Holds a few bytes per distinct phone, not the rows.
#[derive(Debug)]
pub struct Plan {
    encoding: TextEncoding,
    delimiter: u8,
    columns: Vec<Column>,
    attrs: Vec<Attr>,
    repeats: HashMap<PhoneKey, Repeats>,
    /// The phone of each data row (by index; `None`: a bad row), so that
    /// the second pass need not parse numbers again.
    phones: Vec<Option<PhoneKey>>,
    /// The report so far: rows, bad rows, merged duplicates, columns.
    pub report: ImportReport,
}

impl Plan {
    /// The encoding read with.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }
}

/// A decoding reader over `input` in `encoding`, BOM removed.
fn decoded<R: Read>(input: R, encoding: TextEncoding) -> impl Read {
    encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding.encoding_rs()))
        .bom_override(true)
        .strip_bom(true)
        .build(input)
}

/// Reads the header line (up to a newline outside quotes) of the decoded
/// text, returns it and the delimiter it uses most.
fn head(input: &mut impl Read) -> Result<(Vec<u8>, u8), CsvError> {
    let mut line = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    let mut quoted = false;
    let (mut commas, mut semis, mut tabs) = (0usize, 0usize, 0usize);
    loop {
        let n = match input.read(&mut byte) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            break;
        }
        let b = byte[0];
        line.push(b);
        if line.len() > MAX_HEADER {
            return Err(CsvError::HeaderTooLong);
        }
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                // Blank lines before the header are skipped by the reader too.
                if line.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                break;
            }
            b',' if !quoted => commas += 1,
            b';' if !quoted => semis += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    let delimiter = if semis > commas && semis >= tabs {
        b';'
    } else if tabs > commas && tabs > semis {
        b'\t'
    } else {
        b','
    };
    Ok((line, delimiter))
}

fn csv_reader<R: Read>(input: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input)
}

fn csv_error(e: &csv::Error, line: u64) -> CsvError {
    match e.kind() {
        csv::ErrorKind::Io(io) => CsvError::Io(io::Error::new(io.kind(), io.to_string())),
        _ => CsvError::Csv {
            line,
            message: e.to_string(),
        },
    }
}

/// Newlines seen by [`Lines`]: the offset of each, with the offset where
/// the run of `\r`/`\n` bytes it belongs to began.
type Newlines = std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<(u64, u64)>>>;

/// Passes the CSV text on and notes where its newlines are. The CSV
/// reader's own line numbers are off after `\r\n` and blank lines (it
/// starts a record at the `\n` of the previous one's `\r\n` and skips
/// blank lines uncounted); a bad row is reported by the line a person sees
/// it start on in an editor.
struct Lines<R> {
    inner: R,
    offset: u64,
    run_start: Option<u64>,
    newlines: Newlines,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut newlines = self.newlines.borrow_mut();
        for &b in &buf[..n] {
            match b {
                b'\n' => {
                    let run = *self.run_start.get_or_insert(self.offset);
                    newlines.push_back((self.offset, run));
                }
                b'\r' => {
                    self.run_start.get_or_insert(self.offset);
                }
                _ => self.run_start = None,
            }
            self.offset += 1;
        }
        Ok(n)
    }
}

/// A CSV reader over the decoded text, with the lines of its records.
struct Records<R: Read> {
    reader: csv::Reader<Lines<R>>,
    newlines: Newlines,
    /// Newlines before the current record's first byte.
    passed: u64,
}

impl<R: Read> Records<R> {
    /// Reads the next record; `Ok(Some(line))` with the line it starts on.
    fn next(&mut self, rec: &mut csv::StringRecord) -> Result<Option<u64>, CsvError> {
        match self.reader.read_record(rec) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(csv_error(&e, self.passed + 1)),
        }
        let start = rec.position().map_or(0, csv::Position::byte);
        let mut newlines = self.newlines.borrow_mut();
        // Newlines before the record, and those of the blank lines and line
        // ends the reader skipped at its start.
        while let Some(&(at, run)) = newlines.front() {
            if at < start || run <= start {
                self.passed += 1;
                newlines.pop_front();
            } else {
                break;
            }
        }
        Ok(Some(self.passed + 1))
    }
}

/// A decoded, delimited reader positioned after the header, and the header.
fn open<R: Read>(
    input: R,
    encoding: TextEncoding,
    delimiter: Option<u8>,
) -> Result<(Records<impl Read>, csv::StringRecord, u8), CsvError> {
    let mut text = decoded(input, encoding);
    let (line, sniffed) = head(&mut text)?;
    let delimiter = delimiter.unwrap_or(sniffed);
    let newlines = Newlines::default();
    let lines = Lines {
        inner: io::Cursor::new(line).chain(text),
        offset: 0,
        run_start: None,
        newlines: Newlines::clone(&newlines),
    };
    let mut records = Records {
        reader: csv_reader(lines, delimiter),
        newlines,
        passed: 0,
    };
    let mut header = csv::StringRecord::new();
    loop {
        match records.next(&mut header)? {
            Some(_) if header.iter().all(|c| c.trim().is_empty()) => continue,
            Some(_) => break,
            None => return Err(CsvError::Empty),
        }
    }
    Ok((records, header, delimiter))
}

/// A row read: the fields a contact takes (attributes only those of a
/// known type; see [`Plan::read_row`]).
struct RowRead {
    phone: Msisdn,
    key: PhoneKey,
    changes: ContactChanges,
    opted_out: bool,
}

impl Plan {
    /// Reads one record; an error is the reason the row is bad. Attribute
    /// columns whose type is not known yet are left out (the scan infers
    /// them after).
    fn read_row(
        &self,
        rec: &csv::StringRecord,
        line: u64,
        opts: &ImportOptions,
        known_phone: Option<PhoneKey>,
    ) -> Result<RowRead, String> {
        if rec.len() != self.columns.len() {
            return Err(format!(
                "has {} fields; the header has {} (a quote left open, or a delimiter inside an unquoted cell?)",
                rec.len(),
                self.columns.len()
            ));
        }
        let mut phone = None;
        let mut changes = ContactChanges::default();
        let (mut consent, mut at, mut source, mut evidence) = (None, None, None, None);
        let mut opted_out = false;
        for (i, col) in self.columns.iter().enumerate() {
            let raw = rec.get(i).unwrap_or("").trim();
            if raw.is_empty() || *col == Column::Ignored {
                continue;
            }
            // The decoder put U+FFFD where the file's bytes were not text in
            // its encoding: never stored silently.
            if let Some(at) = raw.find('\u{FFFD}') {
                return Err(format!(
                    "{}: invalid {} at byte {at} of the cell (bytes that are not text; or a U+FFFD replacement character): fix the file or give its encoding",
                    self.column_name(i),
                    self.encoding.as_str()
                ));
            }
            if raw.len() > MAX_CELL {
                return Err(format!(
                    "{} is longer than {} KiB",
                    self.column_name(i),
                    MAX_CELL / 1024
                ));
            }
            let v = plain_cell(raw);
            match col {
                Column::Phone => {
                    let m = match known_phone {
                        // Read by the scan (parsing a number is the slow part).
                        Some(key) if key.matches(v) => key.to_msisdn(),
                        _ => Msisdn::parse(v, opts.region).map_err(|e| e.to_string())?,
                    };
                    phone = Some(m);
                }
                Column::Name => {
                    let name = super::fields::name(v).map_err(|e| format!("name: {e}"))?;
                    changes.name = Some(Some(name).filter(|n| !crate::templates::blank(n)));
                }
                Column::TimeZone => {
                    let tz: chrono_tz::Tz = v.parse().map_err(|_| {
                        format!("time_zone {v:?} is not an IANA time zone (like Europe/Moscow)")
                    })?;
                    changes.time_zone = Some(Some(tz.name().to_string()));
                }
                Column::Language => {
                    changes.language = Some(Some(
                        super::fields::language(v).map_err(|e| format!("language: {e}"))?,
                    ))
                }
                Column::Tags => {
                    let mut tags: Vec<String> = v
                        .split([';', ','])
                        .filter(|t| !t.trim().is_empty())
                        .map(|t| super::fields::tag(t).map_err(|e| format!("tags: {t:?} {e}")))
                        .collect::<Result<_, _>>()?;
                    tags.sort();
                    tags.dedup();
                    changes.add_tags = tags;
                }
                Column::Consent => consent = Some(consent_status(v)?),
                Column::ConsentAt => at = Some(consent_time(v, opts.now)?),
                Column::ConsentSource => source = Some(v.to_string()),
                Column::ConsentEvidence => evidence = Some(v.to_string()),
                Column::OptedOut => opted_out = opted_out_cell(v)?,
                Column::Ignored => {}
                Column::Attr(a) => {
                    let attr = &self.attrs[*a];
                    // Whatever its type (inferred after the scan): a value
                    // the API would refuse is a bad row here too.
                    super::fields::check_attribute_string(v).map_err(|e| format!("{}: {e}", attr.name))?;
                    if let Some(t) = attr.attr_type {
                        let value = AttrValue::parse(v, t).map_err(|e| format!("{}: {e}", attr.name))?;
                        changes.attributes.insert(attr.name.clone(), Some(value));
                    }
                }
            }
        }
        let Some(phone) = phone else {
            return Err("no phone number".into());
        };
        let Some(key) = PhoneKey::of(&phone) else {
            return Err(format!("number {phone} cannot be stored"));
        };
        if let Some(status) = consent {
            if status == ConsentStatus::OptedIn && source.is_none() && at.is_none() {
                return Err(
                    "consent opted_in without proof: give consent_source (where it was given) or consent_at (when)"
                        .into(),
                );
            }
            // Where it came from is the file's source, else this file and
            // line; the evidence only what the file gives (an export of a
            // contact created through the API has none): never invented.
            let file = &opts.file_name;
            changes.consent = Some(Consent {
                status,
                at,
                source: source.or_else(|| Some(format!("import {file} line {line}"))),
                evidence,
            });
            changes.keep_same_consent = true;
        }
        Ok(RowRead {
            phone,
            key,
            changes,
            opted_out,
        })
    }

    /// The number of a bad row whose `opted_out` cell says it opted out.
    fn optout_only(&self, rec: &csv::StringRecord, opts: &ImportOptions) -> Option<Msisdn> {
        let cell = |c: Column| {
            let i = self.columns.iter().position(|x| *x == c)?;
            let v = plain_cell(rec.get(i)?.trim());
            (!v.is_empty()).then_some(v)
        };
        if !opted_out_cell(cell(Column::OptedOut)?).unwrap_or(false) {
            return None;
        }
        let phone = Msisdn::parse(cell(Column::Phone)?, opts.region).ok()?;
        PhoneKey::of(&phone).map(PhoneKey::to_msisdn)
    }

    fn column_name(&self, i: usize) -> String {
        match &self.columns[i] {
            Column::Attr(a) => self.attrs[*a].name.clone(),
            c => format!("{c:?}").to_lowercase(),
        }
    }
}

/// `opted_out`: a time (what an export writes: RFC 3339, a date) or
/// yes/true/1/да is an opt-out; no/false/0/нет is none.
fn opted_out_cell(v: &str) -> Result<bool, String> {
    match v.to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "да" | "sí" | "si" | "opted_out" => return Ok(true),
        "no" | "n" | "false" | "0" | "нет" => return Ok(false),
        _ => {}
    }
    // When it happened is the other gateway's record: any time is a yes.
    let is_time = DateTime::parse_from_rfc3339(v).is_ok() || super::model::parse_date(v).is_some();
    match is_time {
        true => Ok(true),
        false => Err(format!(
            "opted_out {v:?} is neither a time nor yes/no (an export writes when the number opted out)"
        )),
    }
}

fn consent_status(v: &str) -> Result<ConsentStatus, String> {
    match v.to_lowercase().replace(['-', ' '], "_").as_str() {
        "opted_in" | "opt_in" | "yes" | "y" | "true" | "1" | "да" | "sí" | "si" => {
            Ok(ConsentStatus::OptedIn)
        }
        "pending" => Ok(ConsentStatus::Pending),
        "none" | "no" | "n" | "false" | "0" | "нет" | "opted_out" => Ok(ConsentStatus::None),
        _ => Err(format!(
            "consent {v:?} is not opted_in, pending or none (yes/no also read)"
        )),
    }
}

/// `consent_at`: RFC 3339, `YYYY-MM-DD` or `DD.MM.YYYY` (midnight UTC), unix ms.
fn consent_time(v: &str, now: i64) -> Result<i64, String> {
    let ms = if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        t.timestamp_millis()
    } else if let Some(d) = super::model::parse_date(v) {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or_default()
    } else {
        return Err(format!(
            "consent_at {v:?} is not a date (RFC 3339, YYYY-MM-DD or DD.MM.YYYY)"
        ));
    };
    if ms > now + FUTURE_SLACK_MS {
        return Err(format!("consent_at {v:?} is in the future"));
    }
    if ms
        < NaiveDate::from_ymd_opt(1990, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(0, |t| t.and_utc().timestamp_millis())
    {
        return Err(format!("consent_at {v:?} is before 1990: a typo?"));
    }
    Ok(ms)
}

/// The first pass over a file: reads the header, checks every row, infers
/// the attribute types and finds the duplicate phones. `known` is the
/// database's attribute types. The input is read once, in full.
pub fn scan<R: Read>(
    input: R,
    encoding: TextEncoding,
    opts: &ImportOptions,
    known: &BTreeMap<String, AttrType>,
) -> Result<Plan, CsvError> {
    let (mut reader, header, delimiter) = open(input, encoding, opts.delimiter)?;
    let mut plan = Plan {
        encoding,
        delimiter,
        columns: Vec::with_capacity(header.len()),
        attrs: Vec::new(),
        repeats: HashMap::new(),
        phones: Vec::new(),
        report: ImportReport {
            encoding: encoding.as_str().to_string(),
            delimiter: delimiter_name(delimiter).to_string(),
            ..Default::default()
        },
    };
    let mut named: Vec<String> = Vec::new();
    let mut deferred: Option<CsvError> = None;
    if let Some(&last) = opts.columns.keys().next_back()
        && last >= header.len()
    {
        return Err(CsvError::Option(format!(
            "columns: column {} is not in the file (it has {})",
            last + 1,
            header.len()
        )));
    }
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    plan.report.columns = describe_columns(&names, &opts.columns);
    for (i, raw) in header.iter().enumerate() {
        let name = plain_cell(raw.trim()).to_string();
        if name.is_empty() && !opts.columns.contains_key(&i) {
            plan.columns.push(Column::Ignored);
            plan.report
                .ignored_columns
                .push(format!("column {} (no name)", i + 1));
            continue;
        }
        let col = match resolve(i, &name, &opts.columns) {
            Some(c) => c,
            None => {
                let name = match super::fields::attribute_name(&name) {
                    Ok(n) => n,
                    Err(e) => {
                        // Reported after the phone check: a file with no
                        // phone column is told so first.
                        deferred.get_or_insert_with(|| CsvError::Option(format!("column {}: {e}", i + 1)));
                        name.clone()
                    }
                };
                let (attr_type, from) = match (opts.types.get(&name), known.get(&name)) {
                    (Some(given), Some(k)) if given != k => {
                        return Err(CsvError::Option(format!(
                            "types: {name} is already a {k} attribute; cannot import it as {given}"
                        )));
                    }
                    (Some(given), _) => (Some(*given), TypeFrom::Given),
                    (None, Some(k)) => (Some(*k), TypeFrom::Known),
                    (None, None) => (None, TypeFrom::Inferred),
                };
                plan.attrs.push(Attr {
                    name: name.clone(),
                    attr_type,
                    from,
                    seen: Seen::default(),
                });
                Column::Attr(plan.attrs.len() - 1)
            }
        };
        let key = match &col {
            Column::Attr(a) => plan.attrs[*a].name.clone(),
            other => format!("{other:?}"),
        };
        if col == Column::Ignored {
            plan.report.ignored_columns.push(name);
        } else if named.contains(&key) {
            let short: String = name.chars().take(80).collect();
            deferred.get_or_insert(CsvError::DuplicateColumn(short));
        } else {
            named.push(key);
        }
        plan.columns.push(col);
    }
    if !plan.columns.contains(&Column::Phone) {
        // Each name quoted, control characters escaped; a binary file's
        // "header" is kilobytes of junk: show its start only.
        let found: String = header
            .iter()
            .map(|h| format!("{:?}", h.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let found = match found.char_indices().nth(MAX_HEADER_SHOWN) {
            Some((cut, _)) => format!(
                "{}… ({} characters, {} columns: is this a CSV file?)",
                &found[..cut],
                found.chars().count(),
                header.len()
            ),
            None => found,
        };
        return Err(CsvError::NoPhoneColumn { found });
    }
    if let Some(e) = deferred {
        return Err(e);
    }
    for name in opts.types.keys() {
        if !plan.attrs.iter().any(|a| &a.name == name) {
            return Err(CsvError::Option(format!(
                "types: {name:?} is not an attribute column of the file"
            )));
        }
    }
    let mut rec = csv::StringRecord::new();
    let mut index: u32 = 0;
    let mut good: u64 = 0;
    while let Some(line) = reader.next(&mut rec)? {
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        plan.report.rows += 1;
        let this = index;
        index = index.saturating_add(1);
        match plan.read_row(&rec, line, opts, None) {
            Err(reason) => {
                plan.phones.push(None);
                plan.report.bad(line, reason);
            }
            Ok(row) => {
                plan.phones.push(Some(row.key));
                good += 1;
                for (i, col) in plan.columns.iter().enumerate() {
                    if let Column::Attr(a) = col {
                        let attr = &mut plan.attrs[*a];
                        let v = rec.get(i).unwrap_or("").trim();
                        if attr.attr_type.is_none() && !v.is_empty() {
                            attr.seen.add(plain_cell(v));
                        }
                    }
                }
                let r = plan.repeats.entry(row.key).or_insert(Repeats {
                    count: 0,
                    consent_row: None,
                });
                r.count += 1;
                if row.changes.consent.is_some() {
                    r.consent_row = Some(this);
                }
            }
        }
    }
    plan.report.merged_duplicates = good - plan.repeats.len() as u64;
    // Only phones seen twice or more need remembering for the second pass.
    plan.repeats.retain(|_, r| r.count > 1);
    plan.repeats.shrink_to_fit();
    for attr in &mut plan.attrs {
        if attr.attr_type.is_none() {
            attr.attr_type = attr.seen.result();
        }
    }
    plan.report.attributes = plan
        .attrs
        .iter()
        .map(|a| AttributeColumn {
            name: a.name.clone(),
            attr_type: a.attr_type.map(AttrType::as_str),
            from: a.from,
        })
        .collect();
    Ok(plan)
}

/// A row to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The line it starts on.
    pub line: u64,
    /// Its phone, canonical.
    pub phone: Msisdn,
    /// What it sets. Of the rows with one phone, only the one whose consent
    /// wins carries a consent: applied in file order, the rows give what
    /// merging them would.
    pub changes: ContactChanges,
    /// An earlier row of the file had the same phone.
    pub repeat: bool,
    /// The row says the number opted out (`opted_out` column).
    pub opted_out: bool,
    /// The row is bad (reported by the scan) but its number and its
    /// `opted_out` are readable: only the opt-out is recorded.
    pub optout_only: bool,
}

/// Why the second pass stopped.
#[derive(Debug, Error)]
pub enum RowsError<E> {
    /// The file could not be read (or changed since the scan).
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// The callback failed.
    #[error("{0}")]
    Callback(E),
}

/// The second pass: hands every good row of the file to `f`, in file order,
/// with the types of `plan`. The input must be the same file as scanned.
pub fn rows<R: Read, E>(
    input: R,
    plan: &Plan,
    opts: &ImportOptions,
    mut f: impl FnMut(ImportRow) -> Result<(), E>,
) -> Result<(), RowsError<E>> {
    let (mut reader, header, _) = open(input, plan.encoding, Some(plan.delimiter))?;
    if header.len() != plan.columns.len() {
        return Err(CsvError::Option("the file changed while it was being imported".into()).into());
    }
    let mut seen: std::collections::HashSet<PhoneKey> = std::collections::HashSet::new();
    let mut rec = csv::StringRecord::new();
    let mut index: u32 = 0;
    while let Some(line) = reader.next(&mut rec)? {
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let this = index;
        index = index.saturating_add(1);
        let known = plan.phones.get(this as usize).copied().flatten();
        let mut row = match plan.read_row(&rec, line, opts, known) {
            Ok(row) => row,
            Err(_) => {
                // A bad row (reported by the scan) still carries a STOP:
                // its opt-out is recorded, nothing else of it.
                if let Some(phone) = plan.optout_only(&rec, opts) {
                    f(ImportRow {
                        line,
                        phone,
                        changes: ContactChanges::default(),
                        repeat: false,
                        opted_out: true,
                        optout_only: true,
                    })
                    .map_err(RowsError::Callback)?;
                }
                continue;
            }
        };
        let mut repeat = false;
        if let Some(r) = plan.repeats.get(&row.key) {
            repeat = !seen.insert(row.key);
            if r.consent_row != Some(this) {
                row.changes.consent = None;
            }
        }
        let phone = row.key.to_msisdn();
        debug_assert_eq!(phone, row.phone);
        f(ImportRow {
            line,
            phone,
            changes: row.changes,
            repeat,
            opted_out: row.opted_out,
            optout_only: false,
        })
        .map_err(RowsError::Callback)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ImportOptions {
        ImportOptions {
            file_name: "test.csv".into(),
            region: "RU".parse().unwrap(),
            encoding: None,
            delimiter: None,
            types: BTreeMap::new(),
            columns: BTreeMap::new(),
            now: 1_800_000_000_000,
        }
    }

    fn read(bytes: &[u8], o: &ImportOptions) -> (Plan, Vec<ImportRow>) {
        let enc = o.encoding.unwrap_or_else(|| detect_encoding(bytes).unwrap());
        let plan = scan(bytes, enc, o, &BTreeMap::new()).unwrap();
        let mut out = Vec::new();
        rows(bytes, &plan, o, |r| {
            out.push(r);
            Ok::<_, ()>(())
        })
        .unwrap();
        (plan, out)
    }

    #[test]
    fn columns_chosen_by_the_user_win_over_their_headers() {
        let csv = "Mobile no.;Client;Notes;Shoe size\n8 916 123-45-67;Anna;likes red;38\n";
        // Read by its headers alone, the file has no phone column.
        let e = scan(csv.as_bytes(), TextEncoding::Utf8, &opts(), &BTreeMap::new()).unwrap_err();
        assert!(matches!(e, CsvError::NoPhoneColumn { .. }), "{e}");
        let mut o = opts();
        o.columns = parse_columns("1=phone, 2=name,3=ignore").unwrap();
        let (plan, rows) = read(csv.as_bytes(), &o);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].phone.as_str(), "+79161234567");
        assert_eq!(rows[0].changes.name, Some(Some("Anna".into())));
        let fields: Vec<(&str, Option<&str>, bool)> = plan
            .report
            .columns
            .iter()
            .map(|c| (c.field, c.attribute.as_deref(), c.chosen))
            .collect();
        assert_eq!(
            fields,
            [
                ("phone", None, true),
                ("name", None, true),
                ("ignore", None, true),
                ("attribute", Some("Shoe_size"), false)
            ]
        );
        assert!(rows[0].changes.attributes.contains_key("Shoe_size"));
        assert!(!rows[0].changes.attributes.contains_key("Notes"));
        // A header that names a field can be made an attribute, and back.
        o.columns = parse_columns("1=phone,2=attribute").unwrap();
        let (_, rows) = read(csv.as_bytes(), &o);
        assert_eq!(rows[0].changes.name, None);
        assert!(rows[0].changes.attributes.contains_key("Client"));
        // Two phone columns, a column the file lacks, a wrong field: refused.
        o.columns = parse_columns("1=phone,2=phone").unwrap();
        assert!(scan(csv.as_bytes(), TextEncoding::Utf8, &o, &BTreeMap::new()).is_err());
        o.columns = parse_columns("9=name").unwrap();
        let e = scan(csv.as_bytes(), TextEncoding::Utf8, &o, &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("column 9 is not in the file"), "{e}");
        assert!(parse_columns("2=nickname").is_err());
        assert!(parse_columns("0=name").is_err());
        assert!(parse_columns("2=name,2=tags").is_err());
    }

    #[test]
    fn a_sample_is_the_header_and_the_first_rows_with_their_lines() {
        let csv = "phone,name\r\n\r\n+79161234567,Anna\r\n+79161234568,\"Bo, b\"\r\n+79161234569,C\r\n";
        let s = sample(csv.as_bytes(), TextEncoding::Utf8, None, 2).unwrap();
        assert_eq!(s.header, ["phone", "name"]);
        assert_eq!(
            s.rows,
            [
                (3, vec!["+79161234567".to_string(), "Anna".to_string()]),
                (4, vec!["+79161234568".to_string(), "Bo, b".to_string()])
            ]
        );
        assert!(matches!(
            sample(&b""[..], TextEncoding::Utf8, None, 5),
            Err(CsvError::Empty)
        ));
    }

    #[test]
    fn encoding_is_detected_from_the_bom_then_utf8_validity() {
        assert_eq!(
            detect_encoding(&b"\xEF\xBB\xBFphone"[..]).unwrap(),
            TextEncoding::Utf8
        );
        assert_eq!(
            detect_encoding("phone,имя".as_bytes()).unwrap(),
            TextEncoding::Utf8
        );
        assert_eq!(
            detect_encoding(&b"phone;\xC8\xEC\xFF"[..]).unwrap(),
            TextEncoding::Windows1251
        );
        assert_eq!(
            detect_encoding(&b"\xFF\xFEp\0"[..]).unwrap(),
            TextEncoding::Utf16Le
        );
        assert_eq!(detect_encoding(&b""[..]).unwrap(), TextEncoding::Utf8);
        // A valid multi-byte character cut by the 64 KiB buffer is still UTF-8.
        let mut big = vec![b'a'; 64 * 1024 - 1];
        big.extend_from_slice("я".as_bytes());
        assert_eq!(detect_encoding(&big[..]).unwrap(), TextEncoding::Utf8);
        // One invalid byte far into the file makes it Windows-1251.
        let mut late = vec![b'a'; 200_000];
        late.push(0xE0);
        assert_eq!(detect_encoding(&late[..]).unwrap(), TextEncoding::Windows1251);
        // A file ending in a cut sequence is not UTF-8.
        assert_eq!(
            detect_encoding(&b"ab\xD0"[..]).unwrap(),
            TextEncoding::Windows1251
        );
    }

    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        let mut r = "\"a;b;c\",x,y\n".as_bytes();
        assert_eq!(head(&mut r).unwrap().1, b',');
        let mut r = "phone;name;\"x,y\"\n".as_bytes();
        assert_eq!(head(&mut r).unwrap().1, b';');
        let mut r = "phone\tname\tcity\n".as_bytes();
        assert_eq!(head(&mut r).unwrap().1, b'\t');
        let mut r = "phone\n".as_bytes();
        assert_eq!(head(&mut r).unwrap().1, b',');
    }

    #[test]
    fn windows_1251_with_semicolons_decodes_names_and_quoted_tags() {
        let text = "Телефон;Имя;tags;Город\n+79161234567;Анна;\"vip;staff\";Казань\n+79161234568;Борис;vip, new;Омск\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let (plan, rows) = read(&bytes, &opts());
        assert_eq!(plan.encoding, TextEncoding::Windows1251);
        assert_eq!(plan.report.delimiter, ";");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].changes.name, Some(Some("Анна".into())));
        assert_eq!(rows[0].changes.add_tags, vec!["staff".to_string(), "vip".into()]);
        // Tags typed with commas, as the contact form takes them.
        assert_eq!(rows[1].changes.add_tags, vec!["new".to_string(), "vip".into()]);
        assert_eq!(
            rows[0].changes.attributes["Город"],
            Some(AttrValue::String("Казань".into()))
        );
    }

    #[test]
    fn types_are_inferred_over_the_whole_column() {
        let csv = "phone,spent,birthday,vip,zip,city,empty\n\
                   +79161234567,\"1 500,50\",1990-05-01,yes,01234,Kazan,\n\
                   +79161234568,20,01.02.1985,no,12345,7,\n\
                   +79161234569,,,,,,\n";
        let (plan, rows) = read(csv.as_bytes(), &opts());
        let types: BTreeMap<_, _> = plan
            .report
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.attr_type))
            .collect();
        assert_eq!(types["spent"], Some("number"));
        assert_eq!(types["birthday"], Some("date"));
        assert_eq!(types["vip"], Some("boolean"));
        assert_eq!(
            types["zip"],
            Some("string"),
            "a leading zero is a code, not a number"
        );
        assert_eq!(types["city"], Some("string"));
        assert_eq!(types["empty"], None);
        assert_eq!(
            rows[0].changes.attributes["spent"],
            Some(AttrValue::Number(1500.5))
        );
        assert_eq!(
            rows[1].changes.attributes["birthday"],
            Some(AttrValue::Date(NaiveDate::from_ymd_opt(1985, 2, 1).unwrap()))
        );
        assert!(
            rows[2].changes.attributes.is_empty(),
            "empty cells leave attributes as they are"
        );
    }

    #[test]
    fn given_types_check_every_row_and_bad_rows_name_their_line() {
        let mut o = opts();
        o.types = parse_types("spent=number").unwrap();
        let csv = "phone,spent,name\n\
                   +79161234567,10,Anna\n\
                   +79161234568,lots,\"Boris\nthe second\"\n\
                   nonsense,1,X\n\
                   \n\
                   +79161234569,too,many,fields\n\
                   +79161234570,3,Eve\n";
        let (plan, rows) = read(csv.as_bytes(), &o);
        let lines: Vec<_> = plan.report.errors.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 5, 7], "{:?}", plan.report.errors);
        assert!(
            plan.report.errors[0].reason.contains("spent"),
            "{:?}",
            plan.report.errors
        );
        assert!(plan.report.errors[1].reason.contains("nonsense"));
        assert!(plan.report.errors[2].reason.contains("4 fields"));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 8);
        assert_eq!(plan.report.rows, 5);
    }

    #[test]
    fn fields_follow_the_rules_the_api_follows() {
        let csv = "phone,name,tags,День рождения,last-purchase\n\
                   +79161234567,Anna,vip; new ,1990-02-01,x\n\
                   +79161234568,\"Bo\u{7}ris\",,,\n\
                   +79161234569,B,\"ok;a\tb\",,\n\
                   +79161234570,B,,,\"line\nbreak\"\n";
        let (plan, rows) = read(csv.as_bytes(), &opts());
        let names: Vec<&str> = plan.report.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["День_рождения", "last_purchase"]);
        // A line break in an attribute cell is kept (an SMS may hold one).
        assert_eq!(rows.len(), 2, "{:?}", plan.report.errors);
        assert_eq!(rows[0].changes.add_tags, ["new", "vip"]);
        assert!(rows[0].changes.attributes.contains_key("День_рождения"));
        let reasons: Vec<(u64, &str)> = plan
            .report
            .errors
            .iter()
            .map(|b| (b.line, b.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].1.starts_with("name:"), "{reasons:?}");
        assert!(reasons[1].1.starts_with("tags:"), "{reasons:?}");
        // A header that cannot name an attribute stops the file.
        let e = scan(
            "phone,price ($)\n+79161234567,1\n".as_bytes(),
            TextEncoding::Utf8,
            &opts(),
            &BTreeMap::new(),
        );
        assert!(matches!(e, Err(CsvError::Option(m)) if m.contains("column 2")));
    }

    #[test]
    fn invalid_utf8_in_a_utf8_file_is_a_bad_row_not_replacement_characters() {
        // A BOM says UTF-8; line 3 has a lone 0xFF and a cut sequence.
        let mut bytes = b"\xEF\xBB\xBFphone,name,city\n+79161234567,Anna,Kazan\n".to_vec();
        bytes.extend_from_slice(b"+79161234568,Bo\xFFris,\xD0\n+79161234569,Eve,\xD0\x9C\xD0\xBE\n");
        let (plan, rows) = read(&bytes, &opts());
        assert_eq!(plan.report.encoding, "utf-8");
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(plan.report.errors.len(), 1, "{:?}", plan.report.errors);
        let bad = &plan.report.errors[0];
        assert_eq!(bad.line, 3);
        assert!(bad.reason.starts_with("name: invalid utf-8 at byte 2"), "{bad:?}");
        for r in &rows {
            let name = r.changes.name.clone().flatten().unwrap_or_default();
            assert!(!name.contains('\u{FFFD}'), "{name:?}");
        }
        // Given as UTF-8 (no BOM), the same.
        let mut o = opts();
        o.encoding = Some(TextEncoding::Utf8);
        let (plan, rows) = read(&bytes[3..], &o);
        assert_eq!((rows.len(), plan.report.bad_rows), (2, 1));
    }

    #[test]
    fn no_phone_column_on_a_binary_file_shows_a_short_escaped_header() {
        // What a zip or an image looks like as a "header": control
        // characters and junk, no newline for kilobytes.
        let junk: Vec<u8> = (0..3000u32)
            .map(|i| (i * 7 % 120) as u8 + 1)
            .filter(|b| !matches!(b, b'\n' | b'\r' | b'"'))
            .collect();
        let mut bytes = junk;
        bytes.extend_from_slice(b"\n1,2\n");
        let e = scan(&bytes[..], TextEncoding::Windows1251, &opts(), &BTreeMap::new()).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, CsvError::NoPhoneColumn { .. }), "{msg}");
        assert!(
            msg.chars().count() < 600,
            "{} characters: {msg}",
            msg.chars().count()
        );
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
        assert!(msg.contains("…"), "{msg}");
    }

    #[test]
    fn lines_count_blank_lines_crlf_and_quoted_newlines() {
        let csv = "\r\n\r\nphone,name\r\n\r\nbad,\"two\r\n\r\nlines\"\r\n\r\n\r\nworse,x\r\n+79161234567,\"a \"\"quoted\"\" name\"\r\nlast,\r\n";
        let (plan, rows) = read(csv.as_bytes(), &opts());
        let lines: Vec<_> = plan.report.errors.iter().map(|b| b.line).collect();
        assert_eq!(lines, [5, 10, 12], "{:?}", plan.report.errors);
        assert_eq!(rows[0].line, 11);
        assert_eq!(rows[0].changes.name, Some(Some("a \"quoted\" name".into())));
    }

    #[test]
    fn duplicates_merge_with_the_last_consent_winning() {
        let csv = "phone,name,tags,consent,consent_source\n\
                   +79161234567,Anna,a,pending,\n\
                   8 916 123-45-67,,b,opted_in,web form\n\
                   +79161234567,Anna K.,,,\n";
        let (plan, rows) = read(csv.as_bytes(), &opts());
        assert_eq!(plan.report.merged_duplicates, 2);
        assert_eq!(rows.len(), 3);
        assert!(!rows[0].repeat && rows[1].repeat && rows[2].repeat);
        assert_eq!(rows[0].changes.consent, None, "only the last consent is applied");
        let c = rows[1].changes.consent.as_ref().unwrap();
        assert_eq!(c.status, ConsentStatus::OptedIn);
        assert_eq!(c.source.as_deref(), Some("web form"));
        assert_eq!(c.evidence, None, "no evidence is made up");
        assert_eq!(rows[2].changes.name, Some(Some("Anna K.".into())));
    }

    #[test]
    fn opted_in_without_proof_is_a_bad_row() {
        let csv = "phone,consent,consent_at\n+79161234567,yes,\n+79161234568,yes,01.02.2024\n+79161234569,yes,2999-01-01\n";
        let (plan, rows) = read(csv.as_bytes(), &opts());
        assert_eq!(plan.report.bad_rows, 2);
        assert!(plan.report.errors[0].reason.contains("without proof"));
        assert!(plan.report.errors[1].reason.contains("future"));
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].changes.consent.as_ref().unwrap().at,
            Some(1_706_745_600_000)
        );
    }

    #[test]
    fn header_problems_are_fatal() {
        let o = opts();
        let no_phone = scan(
            "name,city\nAnna,Kazan\n".as_bytes(),
            TextEncoding::Utf8,
            &o,
            &BTreeMap::new(),
        );
        assert!(matches!(no_phone, Err(CsvError::NoPhoneColumn { .. })));
        let twice = scan(
            "phone,Number\n".as_bytes(),
            TextEncoding::Utf8,
            &o,
            &BTreeMap::new(),
        );
        assert!(matches!(twice, Err(CsvError::DuplicateColumn(_))));
        assert!(matches!(
            scan("".as_bytes(), TextEncoding::Utf8, &o, &BTreeMap::new()),
            Err(CsvError::Empty)
        ));
        let mut o = opts();
        o.types = parse_types("spent=number").unwrap();
        let known: BTreeMap<_, _> = [("spent".to_string(), AttrType::String)].into();
        assert!(scan("phone,spent\n".as_bytes(), TextEncoding::Utf8, &o, &known).is_err());
        assert!(parse_types("spent").is_err());
        assert!(parse_types("spent=money").is_err());
    }

    #[test]
    fn phone_keys_round_trip() {
        for p in ["+79161234567", "+1", "+123456789012345", "900", "0611", "123456"] {
            let m = Msisdn::from_canonical(p);
            assert_eq!(PhoneKey::of(&m).unwrap().to_msisdn(), m, "{p}");
        }
        assert_ne!(
            PhoneKey::of(&Msisdn::from_canonical("0611")),
            PhoneKey::of(&Msisdn::from_canonical("611"))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let o = opts();
            let enc = detect_encoding(&bytes[..]).unwrap();
            if let Ok(plan) = scan(&bytes[..], enc, &o, &BTreeMap::new()) {
                let mut n = 0u64;
                rows(&bytes[..], &plan, &o, |_| { n += 1; Ok::<_, ()>(()) }).unwrap();
                proptest::prop_assert_eq!(n + plan.report.bad_rows, plan.report.rows);
            }
        }

        #[test]
        fn csv_shaped_input_never_panics(
            cells in proptest::collection::vec("[a-z0-9+;,\"\n\t =.-]{0,12}", 0..40),
        ) {
            let text = format!("phone,name,tags,consent,consent_at,x\n{}", cells.join(","));
            let o = opts();
            if let Ok(plan) = scan(text.as_bytes(), TextEncoding::Utf8, &o, &BTreeMap::new()) {
                let mut n = 0u64;
                rows(text.as_bytes(), &plan, &o, |_| { n += 1; Ok::<_, ()>(()) }).unwrap();
                proptest::prop_assert_eq!(n + plan.report.bad_rows, plan.report.rows);
            }
        }
    }
}
