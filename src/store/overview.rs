//! What the overview shows at a glance, each from an index range rather
//! than a scan: the queue by status (counted up to a cap), today's traffic
//! (sent, delivered, replies, opt-outs since a given instant), where each
//! webhook receiver stands, and the space left where the database lives.

use rusqlite::params;

use super::{Store, StoreError};

/// Counts stop here: a queue this long is shown as "100,000+", and
/// counting it stays a bounded walk of an index.
pub const COUNT_CAP: u64 = 100_000;

/// Messages waiting or in flight, by status (each at most [`COUNT_CAP`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Waiting for their `send_at`.
    pub scheduled: u64,
    /// Waiting for a SIM.
    pub queued: u64,
    /// Being written to a modem.
    pub sending: u64,
    /// May or may not have reached the network.
    pub unknown: u64,
}

/// Traffic since an instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TodayCounts {
    /// Messages the network accepted.
    pub sent: u64,
    /// Messages delivered (delivery reports).
    pub delivered: u64,
    /// Messages received.
    pub replies: u64,
    /// Numbers that opted out (and still are).
    pub opt_outs: u64,
}

/// Where one webhook receiver stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookState {
    /// The receiver's URL as configured (redact before showing it).
    pub url: String,
    /// Events not delivered yet.
    pub pending: u64,
    /// Attempts at the oldest undelivered event (0: not tried yet).
    pub attempts: u32,
    /// The last error of the oldest undelivered event.
    pub last_error: Option<String>,
    /// When the oldest undelivered event happened (unix ms).
    pub oldest_at: Option<i64>,
    /// When it is tried next (unix ms).
    pub next_at: Option<i64>,
}

impl WebhookState {
    /// Whether deliveries are failing: the oldest event was tried and refused.
    pub fn failing(&self) -> bool {
        self.pending > 0 && self.attempts > 0
    }
}

/// Space on the file system holding the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes an unprivileged writer may still use.
    pub free_bytes: u64,
    /// Size of the file system.
    pub total_bytes: u64,
}

impl DiskSpace {
    /// The free share, 0 to 1.
    pub fn free_ratio(&self) -> f64 {
        if self.total_bytes == 0 {
            return 1.0;
        }
        self.free_bytes as f64 / self.total_bytes as f64
    }
}

fn capped(conn: &rusqlite::Connection, sql: &str, arg: &dyn rusqlite::ToSql) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached(sql)?
        .query_row(params![arg, COUNT_CAP as i64], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

impl Store {
    /// Messages waiting or in flight, by status, each counted up to [`COUNT_CAP`].
    pub fn queue_counts(&self) -> Result<QueueCounts, StoreError> {
        let conn = self.reader();
        let count = |status: &str| {
            capped(
                &conn,
                "SELECT count(*) FROM (SELECT 1 FROM messages INDEXED BY messages_by_status
                 WHERE status = ?1 LIMIT ?2)",
                &status,
            )
        };
        Ok(QueueCounts {
            scheduled: count("scheduled")?,
            queued: count("queued")?,
            sending: count("sending")?,
            unknown: count("unknown")?,
        })
    }

    /// Traffic since `since` (unix ms), each counted up to [`COUNT_CAP`].
    pub fn today_counts(&self, since: i64) -> Result<TodayCounts, StoreError> {
        let conn = self.reader();
        Ok(TodayCounts {
            sent: capped(
                &conn,
                "SELECT count(*) FROM (SELECT 1 FROM messages INDEXED BY messages_by_sent_at
                 WHERE sent_at >= ?1 LIMIT ?2)",
                &since,
            )?,
            delivered: capped(
                &conn,
                "SELECT count(*) FROM (SELECT 1 FROM messages INDEXED BY messages_by_delivered_at
                 WHERE delivered_at >= ?1 LIMIT ?2)",
                &since,
            )?,
            replies: capped(
                &conn,
                "SELECT count(*) FROM (SELECT 1 FROM inbox INDEXED BY inbox_by_received_at
                 WHERE received_at >= ?1 LIMIT ?2)",
                &since,
            )?,
            opt_outs: capped(
                &conn,
                "SELECT count(*) FROM (SELECT 1 FROM optouts INDEXED BY optouts_by_at
                 WHERE at >= ?1 LIMIT ?2)",
                &since,
            )?,
        })
    }

    /// Every active webhook receiver with its backlog and the state of its
    /// oldest undelivered event (events go in order, so that one tells
    /// whether deliveries are failing).
    pub fn webhook_states(&self) -> Result<Vec<WebhookState>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT w.url,
                    (SELECT count(*) FROM (SELECT 1 FROM webhook_outbox o INDEXED BY webhook_outbox_pending
                       WHERE o.webhook_id = w.id AND o.delivered_at IS NULL LIMIT ?1)),
                    h.attempts, h.last_error, h.created_at, h.next_at
             FROM webhooks w
             LEFT JOIN webhook_outbox h ON h.id =
                (SELECT min(o.id) FROM webhook_outbox o INDEXED BY webhook_outbox_pending
                 WHERE o.webhook_id = w.id AND o.delivered_at IS NULL)
             WHERE w.active ORDER BY w.id",
        )?;
        let rows = stmt.query_map([COUNT_CAP as i64], |r| {
            Ok(WebhookState {
                url: r.get(0)?,
                pending: r.get::<_, i64>(1)?.max(0) as u64,
                attempts: r.get::<_, Option<u32>>(2)?.unwrap_or(0),
                last_error: r.get(3)?,
                oldest_at: r.get(4)?,
                next_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Space left on the file system holding the database; `None` in
    /// memory or when the system does not say.
    pub fn disk_space(&self) -> Option<DiskSpace> {
        let path = self.inner.path.as_ref()?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        let st = nix::sys::statvfs::statvfs(dir).ok()?;
        let block = st.fragment_size() as u64;
        Some(DiskSpace {
            free_bytes: (st.blocks_available() as u64).saturating_mul(block),
            total_bytes: (st.blocks() as u64).saturating_mul(block),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewInbound, NewOptOut, OptOutSource};

    #[test]
    fn today_counts_only_what_happened_since_and_queue_counts_by_status() {
        let store = Store::open_in_memory().unwrap();
        let day = 1_700_000_000_000;
        store
            .write(day - 1000, |tx| {
                tx.add_optout(&NewOptOut {
                    number: "+79160000001",
                    source: OptOutSource::Api,
                    keyword: None,
                    note: None,
                    inbox_id: None,
                })
            })
            .unwrap();
        store
            .write(day + 1000, |tx| {
                tx.add_optout(&NewOptOut {
                    number: "+79160000002",
                    source: OptOutSource::Api,
                    keyword: None,
                    note: None,
                    inbox_id: None,
                })?;
                tx.store_inbound(&NewInbound {
                    sender: "+79160000003".into(),
                    text: Some("hi".into()),
                    received_at: day + 1000,
                    modem_imei: None,
                    sim_imsi: None,
                    pdu: "00".into(),
                    parts: 1,
                    incomplete: false,
                    error: None,
                })
            })
            .unwrap();
        let t = store.today_counts(day).unwrap();
        assert_eq!((t.opt_outs, t.replies, t.sent, t.delivered), (1, 1, 0, 0));
        assert_eq!(store.today_counts(day - 5000).unwrap().opt_outs, 2);
        assert_eq!(store.queue_counts().unwrap(), QueueCounts::default());
        assert!(store.webhook_states().unwrap().is_empty());
        assert_eq!(store.disk_space(), None, "in memory");
    }

    #[test]
    fn the_free_share_of_an_empty_or_full_disk() {
        let full = DiskSpace {
            free_bytes: 0,
            total_bytes: 100,
        };
        assert_eq!(full.free_ratio(), 0.0);
        let odd = DiskSpace {
            free_bytes: 0,
            total_bytes: 0,
        };
        assert_eq!(odd.free_ratio(), 1.0);
    }
}
