//! Numbered migrations, embedded, applied in order inside one transaction
//! each; `PRAGMA user_version` records how far a database has come.

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_status_reports.sql"),
    include_str!("migrations/0003_expiry.sql"),
    include_str!("migrations/0004_replies.sql"),
    include_str!("migrations/0005_part_progress.sql"),
    include_str!("migrations/0006_undecodable_review.sql"),
    include_str!("migrations/0007_queue_notes.sql"),
    include_str!("migrations/0008_inbound_seen.sql"),
    include_str!("migrations/0009_audience.sql"),
    include_str!("migrations/0010_audience_contacts.sql"),
    include_str!("migrations/0011_campaigns.sql"),
    include_str!("migrations/0012_sim_quotas.sql"),
    include_str!("migrations/0013_campaign_engine.sql"),
    include_str!("migrations/0014_campaign_surveys.sql"),
    include_str!("migrations/0015_attribution.sql"),
    include_str!("migrations/0016_calls.sql"),
    include_str!("migrations/0017_automations.sql"),
    include_str!("migrations/0018_email_outbox.sql"),
    include_str!("migrations/0019_web_sessions.sql"),
    include_str!("migrations/0020_engagement_keys.sql"),
    include_str!("migrations/0021_overview_indexes.sql"),
    include_str!("migrations/0022_message_status_counts.sql"),
    include_str!("migrations/0023_web_session_credential.sql"),
    include_str!("migrations/0024_campaign_recipient_message_state.sql"),
    include_str!("migrations/0025_campaign_tracking_indexes.sql"),
];

/// Brings the schema up to date.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_fresh_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'messages'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
