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

mod claim;
mod enqueue;
mod inbox;
mod migrations;
mod query;
mod record;
mod recover;
mod report;
mod sims;
mod types;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;
use thiserror::Error;

pub use claim::{Candidate, ClaimRequest, Claimed as ClaimedMessage, SentRecord};
pub use enqueue::{EnqueueError, EnqueueOutcome, NewMessage};
pub use inbox::{InboxRow, NewInbound};
pub use query::{MessageRow, StatusCounts};
pub use record::PartSent;
pub use report::{ReportIn, ReportOutcome};
pub use sims::{SimRow, SimSeen};
pub use types::{Event, Status};

/// A store failure: the database itself, not the caller's input.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
    /// A second connection for reads (WAL lets it read while the writer
    /// writes); `None` for in-memory stores, which share the writer.
    reader: Option<Mutex<Connection>>,
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "busy_timeout", 5000)?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        migrations::migrate(&mut writer)?;
        let reader = Connection::open(path)?;
        configure(&reader)?;
        Ok(Store {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                reader: Some(Mutex::new(reader)),
            }),
        })
    }

    /// An in-memory store (one connection), for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut writer = Connection::open_in_memory()?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut writer)?;
        Ok(Store {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                reader: None,
            }),
        })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.inner.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        match &self.inner.reader {
            Some(r) => r.lock().unwrap_or_else(|e| e.into_inner()),
            None => self.writer(),
        }
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
