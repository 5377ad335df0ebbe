//! SQLite schema, migrations and every query. Nothing outside this folder
//! writes SQL.
//!
//! One writer connection and one reader (WAL). `synchronous=FULL`: a
//! commit is on disk before the call returns, so a message marked
//! `sending` stays marked through a power cut. Times are unix milliseconds
//! passed in by the caller (the clock is injected). One file per write
//! operation, named after its verb; start-up recovery is [`Store::recover`].
//!
//! Claims are "update one queued row to sending where it is still queued"
//! so that a shared PostgreSQL could later serve several gateways with
//! `FOR UPDATE SKIP LOCKED` without changing callers.

mod attribution;
mod automation_figures;
mod automation_runs;
mod automations;
mod calls;
mod campaign_attribution;
mod campaign_decision;
mod campaign_eta;
mod campaign_feed;
mod campaign_lifecycle;
mod campaign_list;
mod campaign_metrics;
mod campaigns;
mod claim;
mod consent;
mod contact_activity;
mod contact_export;
mod contact_import;
mod contact_list;
mod contact_messages;
mod contacts;
mod conversations;
mod email_outbox;
mod enqueue;
mod events;
mod files;
mod inbound_seen;
mod inbox;
mod message_search;
mod migrations;
mod optout_list;
mod optouts;
mod overview;
mod query;
mod queue_notes;
mod reassembly;
mod record;
mod recover;
mod report;
mod review;
#[doc(hidden)]
pub mod seed;
mod segments;
mod sims;
mod survey_list;
mod surveys;
mod templates;
mod types;
mod unit;
mod web_sessions;
mod webhooks;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;
use thiserror::Error;

pub use attribution::{LinkRow, PromoCode, RedeemError, Redeemed, Redemption};
pub use automation_runs::{DueRun, PlannedRun, RunItem, RunOutcome};
pub use automations::{AutomationRow, AutomationStoreError, CreateKey, EventError, NewEvent};
pub use calls::{CallCounts, CallRow, NewCall};
pub use campaign_attribution::{Attributed, CampaignReply};
pub use campaign_decision::{AbDue, TestCounts};
pub use campaign_feed::{DueRecipient, FeedCampaign, FeedItem, FeedOutcome};
pub use campaign_metrics::{FigureRow, GroupBy, HourRow, RecipientExportRow};
pub use campaigns::{CampaignRow, CampaignStoreError, NewRecipient};
pub use claim::{Candidate, ClaimRequest, Claimed as ClaimedMessage, SentRecord};
pub use consent::ConfirmationRequest;
pub use contact_import::ImportError as ContactImportError;
pub use contact_list::ContactFilter;
pub use contacts::{ContactError, ContactKey, Upserted};
pub use conversations::{ConversationRow, ThreadItem, ThreadPage};
pub use email_outbox::{EmailCounts, EmailState, EmailWaiting, PendingEmail};
pub use enqueue::{EnqueueError, EnqueueOutcome, NewMessage};
pub use events::MessageEvent;
pub use inbox::{InboxRow, NewInbound};
pub use message_search::{MessageFilter, SearchPage};
pub use optouts::{ImportCounts, NewOptOut, OptOut, OptOutSource};
pub use overview::{COUNT_CAP, DiskSpace, QueueCounts, TodayCounts, WebhookState};
pub use query::Page;
pub use query::{MessageRow, StatusCounts};
pub use reassembly::{NewPart, PartAdded, StaleGroup, StoredPart};
pub use record::{HOLD_LIMIT_MS, PartSent, describe_parts};
pub use recover::Recovered;
pub use report::{ReportIn, ReportOutcome};
pub use review::{OptOutReview, Resolved, ReviewAction};
pub use segments::{Excluded, Preview, SegmentError, SegmentRow};
pub use sims::{SimRow, SimSeen, month_of};
pub use survey_list::{SurveyKeyed, SurveySummary};
pub use surveys::{CountMode, NewSurvey, OpenSurvey, SurveyReport, Vote};
pub use templates::{TemplateRow, TemplateStoreError};
pub use types::{Category, Event, MessageKind, Status};
pub use unit::Tx;
pub use web_sessions::WebSession;
pub use webhooks::{PendingEvent, rfc3339};

/// A store failure: the database itself, not the caller's input.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database's directory or file could not be created or secured.
    #[error("{path}: {source}")]
    Files {
        /// The database path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A long read (a segment over every contact) ran past its budget.
    #[error(
        "the query took longer than {budget_secs} s and was stopped; narrow the filter (fewer or shorter text tests)"
    )]
    TooCostly {
        /// The budget, seconds.
        budget_secs: u64,
    },
    /// The database was written by a newer simfleet.
    #[error("database schema version {found} is newer than this simfleet ({known}); upgrade simfleet")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest this build knows.
        known: i64,
    },
}

/// The durable store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    /// Set by SQLite's update hook when a webhook event is written.
    outbox_written: Arc<AtomicBool>,
    /// Bumped after such a write is released (committed or rolled back).
    outbox_tx: tokio::sync::watch::Sender<u64>,
    /// A second connection for reads (WAL lets it read while the writer
    /// writes); `None` for in-memory stores, which share the writer.
    reader: Option<Mutex<Connection>>,
    /// The writer's last `PRAGMA data_version` (0: not read yet).
    data_version: std::sync::atomic::AtomicI64,
    /// The database file, for connections of their own ([`Store::scan`]);
    /// `None` in memory.
    path: Option<std::path::PathBuf>,
    /// Attribution serials taken from the database in blocks and not yet
    /// used, by domain: `(next, end)` (see `store::attribution`).
    serial_blocks: Mutex<std::collections::HashMap<String, (u64, u64)>>,
}

/// How long one long read may run before it is stopped.
pub const SCAN_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "busy_timeout", 5000)?;
    register_functions(conn)?;
    Ok(())
}

/// SQL functions simfleet's queries use: `simfleet_fold(text)`, a text
/// compared ignoring case in any script ([`crate::contacts::fold`];
/// SQLite's own NOCASE and LIKE fold Latin letters only). Other values pass
/// through. Used in queries only, never in the schema, so the database
/// stays readable by any SQLite.
fn register_functions(conn: &Connection) -> Result<(), StoreError> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::{Value, ValueRef};
    conn.create_scalar_function(
        "simfleet_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(t) => Value::Text(crate::contacts::fold(&String::from_utf8_lossy(t))),
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            })
        },
    )?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        files::prepare(path).map_err(|source| StoreError::Files {
            path: path.display().to_string(),
            source,
        })?;
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        migrations::migrate(&mut writer)?;
        let reader = Connection::open(path)?;
        configure(&reader)?;
        // Reads are point lookups and short pages: a small cache will do
        // (the writer keeps SQLite's default 2 MB for large batches).
        reader.pragma_update(None, "cache_size", -512)?;
        Store::assemble(writer, Some(reader), Some(path.to_path_buf()))
    }

    /// An in-memory store (one connection), for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut writer = Connection::open_in_memory()?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        register_functions(&writer)?;
        migrations::migrate(&mut writer)?;
        Store::assemble(writer, None, None)
    }

    fn assemble(
        writer: Connection,
        reader: Option<Connection>,
        path: Option<std::path::PathBuf>,
    ) -> Result<Store, StoreError> {
        let written = Arc::new(AtomicBool::new(false));
        let flag = written.clone();
        // New events only: a worker marking its own rows delivered or
        // failed need not wake itself.
        writer.update_hook(Some(
            move |action: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
                // Replies to forward by email wake the email worker the same way.
                if (table == "webhook_outbox" || table == "email_outbox")
                    && action == rusqlite::hooks::Action::SQLITE_INSERT
                {
                    flag.store(true, Ordering::Release);
                }
            },
        ))?;
        Ok(Store {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                outbox_written: written,
                outbox_tx: tokio::sync::watch::Sender::new(0),
                reader: reader.map(Mutex::new),
                path,
                data_version: std::sync::atomic::AtomicI64::new(0),
                serial_blocks: Mutex::new(Default::default()),
            }),
        })
    }

    fn writer(&self) -> Conn<'_> {
        Conn {
            conn: self.inner.writer.lock().unwrap_or_else(|e| e.into_inner()),
            inner: &self.inner,
            writer: true,
        }
    }

    fn reader(&self) -> Conn<'_> {
        match &self.inner.reader {
            Some(r) => Conn {
                conn: r.lock().unwrap_or_else(|e| e.into_inner()),
                inner: &self.inner,
                writer: false,
            },
            None => self.writer(),
        }
    }

    /// Runs a long read (a segment preview, a page of a large audience) on
    /// a read-only connection of its own, so that it never holds the shared
    /// reader other requests wait for (WAL lets both read at once), and
    /// stops it past [`SCAN_BUDGET`] with [`StoreError::TooCostly`]. In
    /// memory it uses the one connection.
    pub fn scan<T, E: From<StoreError>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        self.scan_within(SCAN_BUDGET, f)
    }

    fn scan_within<T, E: From<StoreError>>(
        &self,
        budget: std::time::Duration,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let Some(path) = &self.inner.path else {
            return f(&self.reader());
        };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::from)?;
        conn.pragma_update(None, "busy_timeout", 5000)
            .map_err(StoreError::from)?;
        register_functions(&conn)?;
        let deadline = std::time::Instant::now() + budget;
        conn.progress_handler(10_000, Some(move || std::time::Instant::now() > deadline))
            .map_err(StoreError::from)?;
        match f(&conn) {
            // Stopped by the handler (SQLITE_INTERRUPT), past the deadline.
            Err(e) if std::time::Instant::now() > deadline => {
                drop(e);
                Err(StoreError::TooCostly {
                    budget_secs: budget.as_secs(),
                }
                .into())
            }
            other => other,
        }
    }

    /// A trivial read: the database answers (for health checks).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.reader().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Changes whenever webhook events were written: a delivery worker
    /// waits on it instead of polling.
    pub fn outbox_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.outbox_tx.subscribe()
    }

    /// Whether another process committed to the database since the last
    /// call (SQLite's `data_version` of the writer connection, which only
    /// moves for commits by other connections; the reader never writes).
    /// If so, webhook workers are told, as events may have been written
    /// (`simfleet optouts import` beside the daemon, say).
    pub fn notice_other_writers(&self) -> Result<bool, StoreError> {
        let version: i64 = self.writer().query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let before = self.inner.data_version.swap(version, Ordering::AcqRel);
        let changed = before != 0 && before != version;
        if changed {
            self.inner.outbox_tx.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(changed)
    }

    /// Runs blocking store work off the async runtime.
    pub async fn run<T, F>(&self, f: F) -> T
    where
        F: FnOnce(&Store) -> T + Send + 'static,
        T: Send + 'static,
    {
        let store = self.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// A locked connection. The writer, released with no transaction open,
/// tells webhook workers when events were written (and committed).
///
/// Only the writer may consume the "events written" flag, and only once
/// its transaction is over: a reader released while the writer's
/// transaction is still open would otherwise take the flag, wake a worker
/// that finds nothing yet, and leave the commit with nothing to announce
/// (a lost wake-up: the event waits for the next one).
struct Conn<'a> {
    conn: MutexGuard<'a, Connection>,
    inner: &'a Inner,
    writer: bool,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if self.writer && self.conn.is_autocommit() && self.inner.outbox_written.swap(false, Ordering::AcqRel)
        {
            self.inner.outbox_tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;

    #[test]
    fn a_long_read_neither_waits_for_nor_holds_the_shared_reader_and_stops_at_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let held = store.reader();
        let s2 = store.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let n: Result<i64, StoreError> =
                s2.scan(|c| Ok(c.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))?));
            let _ = tx.send(n.map_err(|e| e.to_string()));
        });
        let n = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a scan must not wait for the shared reader");
        assert_eq!(n, Ok(0));
        drop(held);
        let slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
        let err = store
            .scan_within(std::time::Duration::from_millis(50), |c| {
                Ok::<i64, StoreError>(c.query_row(slow, [], |r| r.get(0))?)
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::TooCostly { .. }), "{err}");
    }
}

#[cfg(test)]
mod wakeup_tests {
    use super::*;

    /// A worker's view: woken by `changes`, it reads what is due.
    fn worker_reads(store: &Store, changes: &mut tokio::sync::watch::Receiver<u64>, hook: i64) -> usize {
        changes.mark_unchanged();
        store.due_events(hook, i64::MAX, 64).unwrap().len()
    }

    #[test]
    fn a_read_during_a_write_does_not_swallow_the_commits_wake_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let hook = store
            .sync_webhooks(&[("http://127.0.0.1:1/h".into(), vec!["status".into()])])
            .unwrap()[0];
        let mut changes = store.outbox_changes();
        changes.mark_unchanged();
        let s2 = store.clone();
        let mut changes = store
            .write(1, |tx| {
                tx.emit("status", "m1", &serde_json::json!({"n": 1}))?;
                // Another task reads (an API client, say) while the event
                // is written but not yet committed; the worker, if woken
                // then, finds nothing yet.
                let changes = std::thread::spawn(move || {
                    s2.ping().unwrap();
                    if changes.has_changed().unwrap() {
                        assert_eq!(worker_reads(&s2, &mut changes, hook), 0);
                    }
                    changes
                })
                .join()
                .unwrap();
                Ok::<_, StoreError>(changes)
            })
            .unwrap();
        assert!(
            changes.has_changed().unwrap(),
            "the commit of an event must wake the worker"
        );
        assert_eq!(worker_reads(&store, &mut changes, hook), 1);
    }

    #[test]
    fn only_new_events_wake_workers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let hook = store
            .sync_webhooks(&[("http://127.0.0.1:1/h".into(), vec!["status".into()])])
            .unwrap()[0];
        let mut changes = store.outbox_changes();
        store
            .write(1, |tx| tx.emit("status", "m1", &serde_json::json!({})))
            .unwrap();
        assert!(changes.has_changed().unwrap());
        let due = store.due_events(hook, 10, 64).unwrap();
        changes.mark_unchanged();
        store.event_delivered(due[0].row, 2).unwrap();
        assert!(!changes.has_changed().unwrap(), "marking delivered is not news");
    }
}
