//! Importing a contact list: every good row of a CSV file written in one
//! transaction (all or nothing for the write; bad rows were set aside by
//! the parser), through the same path as every other contact change
//! ([`crate::contacts::save`]: zone from the number, consent rules, the
//! double opt-in request for a new `pending` contact).
//!
//! The file is read twice and never held: a first pass checks the rows,
//! infers attribute types and finds repeated phones
//! ([`csv_import::scan`]); the second streams the rows into the
//! transaction. Rows with the same phone are applied in file order, the
//! consent only from the row whose consent wins, which gives what merging
//! them first would. A row the store refuses (an attribute whose type
//! another writer just fixed otherwise) is rolled back to its savepoint and
//! reported as bad; a store failure rolls everything back.
//!
//! A dry run does all of it and rolls back: its report is exactly what the
//! import would do.

use std::collections::BTreeMap;
use std::io::{self, Read};

use rusqlite::TransactionBehavior;
use thiserror::Error;

use super::contacts::ContactError;
use super::optouts::{NewOptOut, OptOutSource};
use super::unit::Tx;
use super::{Store, StoreError};
use crate::contacts::csv_import::{self, CsvError, ImportOptions, ImportReport, RowsError};
use crate::contacts::{AttrType, ContactRules};

/// Why an import stored nothing.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file cannot be imported (no phone column, unreadable, options).
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// The store failed: nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        ImportError::Store(e.into())
    }
}

impl From<io::Error> for ImportError {
    fn from(e: io::Error) -> Self {
        ImportError::Csv(CsvError::Io(e))
    }
}

/// Page cache for the import's transaction (KiB): the contacts table and
/// its indexes for 100,000 rows stay in memory while they are written.
const IMPORT_CACHE_KIB: i64 = 16 * 1024;

impl Store {
    /// Imports the CSV that `open` yields (called three times: the
    /// encoding is detected over the whole file, then two passes; each
    /// call must give the same bytes from the start). `dry_run` rolls back.
    pub fn import_contacts<R: Read>(
        &self,
        mut open: impl FnMut() -> io::Result<R>,
        opts: &ImportOptions,
        rules: &ContactRules,
        dry_run: bool,
    ) -> Result<ImportReport, ImportError> {
        let started = std::time::Instant::now();
        let encoding = match opts.encoding {
            Some(e) => e,
            None => csv_import::detect_encoding(open()?)?,
        };
        let known: BTreeMap<String, AttrType> = self.attribute_types()?;
        let detected = started.elapsed();
        let plan = csv_import::scan(open()?, encoding, opts, &known)?;
        let scanned = started.elapsed();
        let mut report = plan.report.clone();
        report.dry_run = dry_run;
        let input = open()?;

        let mut conn = self.writer();
        let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        let temp_store: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
        conn.pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
        // Each row's savepoint journals the pages the row changes: in
        // memory (a few pages, freed at its release), not one write call
        // per page to a temporary file (1.9 million calls for 100,000 rows).
        conn.pragma_update(None, "temp_store", 2)?;
        let result = (|| {
            // IMMEDIATE: the daemon may be writing; a deferred transaction
            // that read first could not upgrade to a write.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut unit = Tx { tx, now: opts.now };
            let fed = csv_import::rows(input, &plan, opts, |row| {
                write_row(&mut unit, rules, &opts.file_name, row, &mut report)
            });
            match fed {
                Ok(()) => {}
                Err(RowsError::Csv(e)) => return Err(ImportError::Csv(e)),
                Err(RowsError::Callback(e)) => return Err(ImportError::Store(e)),
            }
            if dry_run {
                unit.tx.rollback()?;
            } else {
                unit.tx.commit()?;
            }
            Ok(())
        })();
        conn.pragma_update(None, "cache_size", cache)?;
        conn.pragma_update(None, "temp_store", temp_store)?;
        drop(conn);
        result?;
        tracing::debug!(
            detect_ms = detected.as_millis() as u64,
            scan_ms = (scanned - detected).as_millis() as u64,
            write_ms = (started.elapsed() - scanned).as_millis() as u64,
            rows = report.rows,
            "contacts imported"
        );
        // Bad rows found while writing come after the parser's: keep file order.
        report.errors.sort_by_key(|b| b.line);
        Ok(report)
    }
}

/// Writes one row under a savepoint: a row the store refuses spoils only itself.
fn write_row(
    unit: &mut Tx<'_>,
    rules: &ContactRules,
    file_name: &str,
    row: csv_import::ImportRow,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    unit.tx.prepare_cached("SAVEPOINT import_row")?.execute([])?;
    // The opt-out first: a confirmation request the row would queue is
    // then stored suppressed, and anything already queued is suppressed.
    let mut opted_out = false;
    if row.opted_out {
        let note = format!("import {} line {}", file_name, row.line);
        opted_out = unit.add_optout(&NewOptOut {
            number: row.phone.as_str(),
            source: OptOutSource::Import,
            keyword: None,
            note: Some(&note),
            inbox_id: None,
        })?;
    }
    if row.optout_only {
        unit.tx.prepare_cached("RELEASE import_row")?.execute([])?;
        if opted_out {
            report.optouts_imported += 1;
        }
        return Ok(());
    }
    match crate::contacts::save(unit, rules, &row.phone, &row.changes) {
        Ok(saved) => {
            if opted_out {
                report.optouts_imported += 1;
            }
            unit.tx.prepare_cached("RELEASE import_row")?.execute([])?;
            if row.repeat {
                // Counted by the scan.
            } else if saved.created {
                report.created += 1;
            } else {
                report.updated += 1;
            }
            if saved.confirm {
                report.confirmations_queued += 1;
            }
            Ok(())
        }
        Err(ContactError::Invalid { field, message }) => {
            unit.tx.prepare_cached("ROLLBACK TO import_row")?.execute([])?;
            unit.tx.prepare_cached("RELEASE import_row")?.execute([])?;
            if row.repeat {
                report.merged_duplicates = report.merged_duplicates.saturating_sub(1);
            }
            report.bad(row.line, format!("{field}: {message}"));
            Ok(())
        }
        Err(ContactError::Store(e)) => Err(e),
    }
}

impl Store {
    /// The directory of the database file (for spooling an upload beside
    /// it), or `None` for an in-memory store.
    pub fn directory(&self) -> Option<std::path::PathBuf> {
        // The reader: the writer may be busy with a long import.
        let conn = self.reader();
        conn.path()
            .filter(|p| !p.is_empty())
            .and_then(|p| std::path::Path::new(p).parent().map(std::path::Path::to_path_buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::ConsentStatus;
    use crate::store::ContactKey;

    fn import(store: &Store, csv: &str, dry_run: bool) -> ImportReport {
        let opts = ImportOptions {
            file_name: "t.csv".into(),
            region: "RU".parse().unwrap(),
            encoding: None,
            delimiter: None,
            types: BTreeMap::new(),
            columns: BTreeMap::new(),
            now: 1_800_000_000_000,
        };
        let rules = ContactRules::defaults("RU".parse().unwrap());
        store
            .import_contacts(|| Ok(csv.as_bytes()), &opts, &rules, dry_run)
            .unwrap()
    }

    fn consent(store: &Store, phone: &str) -> ConsentStatus {
        store
            .contact(&ContactKey::Phone(phone.into()))
            .unwrap()
            .unwrap()
            .consent
            .status
    }

    #[test]
    fn repeated_rows_give_what_merging_them_would_not_what_applying_each_would() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        // Applied one by one, `pending` would ask for a confirmation that the
        // later `none` makes pointless; merged, the consent is `none`.
        let r = import(
            &store,
            "phone,consent,tags\n+79161234567,pending,a\n+79161234567,none,b\n+79161234568,pending,\n",
            false,
        );
        assert_eq!((r.created, r.merged_duplicates), (2, 1));
        assert_eq!(
            r.confirmations_queued, 1,
            "only the contact that stays pending is asked"
        );
        assert_eq!(consent(&store, "+79161234567"), ConsentStatus::None);
        assert_eq!(consent(&store, "+79161234568"), ConsentStatus::Pending);
        let tags = store
            .contact(&ContactKey::Phone("+79161234567".into()))
            .unwrap()
            .unwrap()
            .tags;
        assert_eq!(tags, ["a", "b"]);
    }

    #[test]
    fn a_dry_run_rolls_back_everything_it_did() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let r = import(&store, "phone,consent,spent\n+79161234567,pending,5\n", true);
        assert_eq!((r.created, r.confirmations_queued), (1, 1));
        assert!(store.export_contacts_page(0, 10).unwrap().is_empty());
        assert!(store.attribute_types().unwrap().is_empty());
    }

    fn one(store: &Store, phone: &str) -> crate::contacts::Contact {
        store.contact(&ContactKey::Phone(phone.into())).unwrap().unwrap()
    }

    #[test]
    fn an_exports_opted_out_column_opts_the_number_out_in_the_same_import() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        // What `contacts export` writes for a number that said STOP, then
        // the other spellings a person may type, then the ones that are not.
        let r = import(
            &store,
            "phone,consent,consent_source,opted_out\n\
             +79161234567,opted_in,shop,2025-01-02T03:04:05.678Z\n\
             +79161234568,,,да\n\
             +79161234569,pending,,yes\n\
             +79161234570,opted_in,shop,no\n\
             +79161234571,opted_in,shop,\n\
             +79161234572,opted_in,shop,maybe\n\
             +79161234573,opted_in,,2025-01-02T03:04:05.678Z\n",
            false,
        );
        // The last row is bad (unproven consent) but its STOP counts.
        assert_eq!(r.optouts_imported, 4, "{r:?}");
        assert_eq!(r.bad_rows, 2, "{r:?}");
        assert!(store.optout("+79161234573").unwrap().is_some());
        assert!(
            store
                .contact(&ContactKey::Phone("+79161234573".into()))
                .unwrap()
                .is_none(),
            "nothing else of a bad row is stored"
        );
        assert_eq!(r.errors[0].line, 7);
        assert!(r.errors[0].reason.contains("opted_out"), "{r:?}");
        assert!(r.ignored_columns.is_empty(), "{r:?}");
        for (phone, line) in [("+79161234567", 2), ("+79161234568", 3), ("+79161234569", 4)] {
            let o = store
                .optout(phone)
                .unwrap()
                .unwrap_or_else(|| panic!("{phone} not opted out"));
            assert_eq!(o.source, "import");
            assert_eq!(
                o.note.as_deref(),
                Some(format!("import t.csv line {line}").as_str())
            );
            assert!(one(&store, phone).opted_out.is_some());
        }
        for phone in ["+79161234570", "+79161234571"] {
            assert!(store.optout(phone).unwrap().is_none(), "{phone}");
        }
        // Importing it again records nothing new.
        let r = import(&store, "phone,opted_out\n+79161234567,1\n", false);
        assert_eq!(r.optouts_imported, 0);
    }

    #[test]
    fn a_dry_run_counts_opt_outs_and_records_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let r = import(&store, "phone,opted_out\n+79161234567,true\n", true);
        assert_eq!(r.optouts_imported, 1);
        assert!(store.optout("+79161234567").unwrap().is_none());
    }

    #[test]
    fn reimporting_an_unchanged_consent_keeps_how_it_was_given_and_invents_no_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        // As an export of a contact created through the API: a source and a
        // time, no evidence. None is made up.
        import(
            &store,
            "phone,consent,consent_at,consent_source,consent_evidence\n+79161234567,opted_in,2024-05-06,web form,\n",
            false,
        );
        let c = one(&store, "+79161234567").consent;
        assert_eq!(c.evidence, None);
        assert_eq!(c.source.as_deref(), Some("web form"));
        let at = c.at;
        // The same contact again (another file, another line): unchanged.
        import(
            &store,
            "phone,name,consent,consent_source\n+79161234560,A,opted_in,x\n+79161234567,Anna,yes,other shop\n",
            false,
        );
        let c2 = one(&store, "+79161234567");
        assert_eq!(c2.name.as_deref(), Some("Anna"));
        assert_eq!(c2.consent.source.as_deref(), Some("web form"));
        assert_eq!(c2.consent.at, at);
        assert_eq!(c2.consent.evidence, None);
        // A changed status is recorded, with where it came from.
        import(&store, "phone,consent\n+79161234567,none\n", false);
        let c3 = one(&store, "+79161234567").consent;
        assert_eq!(c3.status, ConsentStatus::None);
        assert_eq!(c3.source.as_deref(), Some("import t.csv line 2"));
    }

    #[test]
    fn a_pending_row_for_a_pending_contact_asks_no_second_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let r = import(&store, "phone,consent\n+79161234567,pending\n", false);
        assert_eq!(r.confirmations_queued, 1);
        let before = one(&store, "+79161234567").consent;
        let r = import(&store, "phone,consent\n+79161234567,pending\n", false);
        assert_eq!(r.confirmations_queued, 0);
        assert_eq!(one(&store, "+79161234567").consent, before);
    }
}
