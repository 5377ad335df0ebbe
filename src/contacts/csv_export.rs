//! Writing contacts as CSV that [`super::csv_import`] reads back and that a
//! spreadsheet opens safely: every cell through [`crate::export::SafeCsv`]
//! (a formula-like cell gets a leading `'`, which the import removes).
//!
//! Columns: `phone, name, time_zone, language, tags, consent, consent_at,
//! consent_source, consent_evidence, status, opted_out`, then one column per
//! attribute known to the database (sorted by name). Tags are joined with
//! `;`, times are RFC 3339, dates `YYYY-MM-DD`, numbers as written in JSON,
//! booleans `true`/`false`; `opted_out` is when the number opted out, empty
//! if it has not; `consent` is empty for a contact never asked (its consent
//! is `none` with no time), so that importing the file back changes nothing. `status` and `opted_out` are for reading: an import
//! ignores them.

use std::io::Write;

use super::{AttrValue, Contact};
use crate::export::SafeCsv;
use crate::store::rfc3339;

/// The fixed columns, before the attributes.
pub const COLUMNS: [&str; 11] = [
    "phone",
    "name",
    "time_zone",
    "language",
    "tags",
    "consent",
    "consent_at",
    "consent_source",
    "consent_evidence",
    "status",
    "opted_out",
];

/// Writes contacts to `out` as CSV, the header first.
pub struct ContactCsv<W: Write> {
    csv: SafeCsv<W>,
    attributes: Vec<String>,
}

impl<W: Write> ContactCsv<W> {
    /// Starts the file: writes the header with the `attributes` columns.
    pub fn new(out: W, attributes: Vec<String>) -> Result<Self, csv::Error> {
        let mut csv = SafeCsv::new(out);
        csv.row(
            COLUMNS
                .iter()
                .copied()
                .chain(attributes.iter().map(String::as_str)),
        )?;
        Ok(ContactCsv { csv, attributes })
    }

    /// Writes one contact.
    pub fn write(&mut self, c: &Contact) -> Result<(), csv::Error> {
        let tags = c.tags.join(";");
        let consent_at = c.consent.at.map(rfc3339).unwrap_or_default();
        let opted_out = c.opted_out.as_ref().map(|o| rfc3339(o.at)).unwrap_or_default();
        let attrs: Vec<String> = self
            .attributes
            .iter()
            .map(|name| c.attributes.get(name).map(cell).unwrap_or_default())
            .collect();
        let fixed = [
            c.phone.as_str(),
            c.name.as_deref().unwrap_or(""),
            if c.time_zone_source == super::TimeZoneSource::Given {
                c.time_zone.as_deref().unwrap_or("")
            } else {
                ""
            },
            c.language.as_deref().unwrap_or(""),
            &tags,
            // Never asked and never given: nothing to say (an import of
            // "none" would record a withdrawal).
            if c.consent.status == super::ConsentStatus::None && c.consent.at.is_none() {
                ""
            } else {
                c.consent.status.as_str()
            },
            &consent_at,
            c.consent.source.as_deref().unwrap_or(""),
            c.consent.evidence.as_deref().unwrap_or(""),
            c.status.as_str(),
            &opted_out,
        ];
        self.csv
            .row(fixed.into_iter().chain(attrs.iter().map(String::as_str)))
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.csv.flush()
    }
}

/// Contacts read per page of an export.
pub const PAGE: usize = 1000;

/// Writes every contact of `store` as CSV to `out`, a page at a time;
/// returns how many.
pub fn export_all(store: &crate::store::Store, out: impl Write) -> Result<usize, ExportError> {
    let attributes: Vec<String> = store.attribute_types()?.into_keys().collect();
    let mut w = ContactCsv::new(out, attributes)?;
    let (mut after, mut total) = (0i64, 0usize);
    loop {
        let page = store.export_contacts_page(after, PAGE)?;
        for c in &page {
            w.write(c)?;
        }
        total += page.len();
        match page.last() {
            Some(c) if page.len() == PAGE => after = c.id,
            _ => break,
        }
    }
    w.flush()?;
    Ok(total)
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the contacts failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Writing failed (the reader went away).
    #[error("writing: {0}")]
    Write(#[from] csv::Error),
    /// Flushing failed.
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
}

/// An attribute value as a cell.
pub fn cell(v: &AttrValue) -> String {
    match v {
        AttrValue::String(s) => s.clone(),
        // Whole numbers without ".0": 1500, not 1500.0.
        AttrValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        AttrValue::Number(n) => n.to_string(),
        AttrValue::Boolean(b) => b.to_string(),
        AttrValue::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}
