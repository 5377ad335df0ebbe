//! The email worker: takes due replies from the outbox and sends them, one
//! email each (`mode = "immediate"`) or all due together as one digest
//! (`mode = "hourly"`: rows are due at the top of the hour). A server that
//! is down or says "later" is tried again with backoff (5 s doubling to
//! 1 h, one attempt per backoff, not one per reply) for `give_up_days`;
//! a permanent refusal marks the replies failed with the reason. Woken by
//! the commit of a new reply, and otherwise sleeps until the next row is
//! due: no polling.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::compose::Composer;
use super::smtp::{SendError, Smtp};
use super::{ReplyMail, Zone};
use crate::config::{EmailConfig, EmailMode};
use crate::dispatch::Clock;
use crate::store::{PendingEmail, Store};

/// Backoff after `failures` failed attempts in a row: 5 s doubling to 1 h.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(5u64 << failures.saturating_sub(1).min(10)).min(Duration::from_secs(3600))
}

/// Replies in one digest at most (a bigger backlog goes in several).
const BATCH: usize = 200;
const KEEP_SENT_MS: i64 = 7 * 24 * 3600 * 1000;

/// Sends the outbox's replies until `stop` turns true.
pub async fn run(store: Store, clock: Arc<dyn Clock>, cfg: EmailConfig, mut stop: watch::Receiver<bool>) {
    let zone = Zone::from_config(cfg.time_zone.as_deref());
    let (smtp, composer) = match (Smtp::new(&cfg), Composer::new(&cfg.from, &cfg.to, zone)) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(e), _) | (_, Err(e)) => {
            warn!(error = %e, "cannot set up email; replies stay queued in the outbox");
            return;
        }
    };
    let give_up_ms = i64::from(cfg.give_up_days) * 86_400_000;
    let mut changes = store.outbox_changes();
    let mut failures = 0u32;
    let mut pruned_at: Option<std::time::Instant> = None;
    info!(server = %smtp.server(), mode = ?cfg.mode, "forwarding replies by email");
    loop {
        if pruned_at.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            pruned_at = Some(std::time::Instant::now());
            let before = clock.now_ms() - KEEP_SENT_MS;
            if let Ok(n) = store.run(move |s| s.prune_sent_emails(before)).await
                && n > 0
            {
                debug!(count = n, "forgot emailed replies older than a week");
            }
        }
        changes.mark_unchanged();
        let now = clock.now_ms();
        let due = store
            .run(move |s| s.due_emails(now, BATCH))
            .await
            .unwrap_or_else(|e| {
                warn!(error = %e, "cannot read the email outbox");
                Vec::new()
            });
        let groups: Vec<Vec<PendingEmail>> = match cfg.mode {
            EmailMode::Immediate => due.iter().cloned().map(|p| vec![p]).collect(),
            EmailMode::Hourly if due.is_empty() => Vec::new(),
            EmailMode::Hourly => vec![due.clone()],
        };
        let mut paused = None;
        for group in groups {
            if *stop.borrow() {
                return;
            }
            let rows: Vec<i64> = group.iter().map(|p| p.row).collect();
            let inbox_ids: Vec<i64> = group.iter().map(|p| p.inbox_id).collect();
            let mails: Vec<ReplyMail> = group
                .iter()
                .filter_map(|p| serde_json::from_str(&p.data).ok())
                .collect();
            let now = clock.now_ms();
            let message = match cfg.mode {
                EmailMode::Immediate => mails.first().map(|m| composer.single(m, now)),
                EmailMode::Hourly => Some(composer.digest(&mails, now)),
            };
            let outcome = match message {
                Some(Ok(m)) => smtp.send(&m).await,
                Some(Err(e)) => Err(SendError::Never(format!("cannot compose: {e}"))),
                None => Err(SendError::Never("unreadable outbox row".into())),
            };
            let now = clock.now_ms();
            match outcome {
                Ok(()) => {
                    failures = 0;
                    let r = rows.clone();
                    if let Err(e) = store.run(move |s| s.emails_sent(&r, now)).await {
                        warn!(error = %e, "cannot record emailed replies");
                    }
                    info!(server = %smtp.server(), replies = rows.len(), inbox_ids = ?inbox_ids, "replies emailed");
                }
                Err(SendError::Never(why)) => {
                    let (r, w) = (rows.clone(), why.clone());
                    if let Err(e) = store.run(move |s| s.emails_failed(&r, &w, now)).await {
                        warn!(error = %e, "cannot record failed emails");
                    }
                    warn!(server = %smtp.server(), inbox_ids = ?inbox_ids, error = %why, "email refused for good; replies marked failed");
                }
                Err(SendError::Later(why)) => {
                    let tried = group.iter().map(|p| p.attempts).max().unwrap_or(0);
                    failures = failures.max(tried) + 1;
                    let wait = backoff(failures);
                    let oldest = group.iter().map(|p| p.created_at).min().unwrap_or(now);
                    let (r, w) = (rows.clone(), why.clone());
                    let next = now + wait.as_millis() as i64;
                    if now - oldest > give_up_ms {
                        let w = format!("not sent in {} days: {w}", cfg.give_up_days);
                        if let Err(e) = store.run(move |s| s.emails_failed(&r, &w, now)).await {
                            warn!(error = %e, "cannot record failed emails");
                        }
                        warn!(server = %smtp.server(), inbox_ids = ?inbox_ids, error = %why, "gave up emailing replies");
                    } else {
                        if let Err(e) = store.run(move |s| s.emails_retry(&r, &w, next)).await {
                            warn!(error = %e, "cannot record a failed email attempt");
                        }
                        warn!(server = %smtp.server(), replies = rows.len(), error = %why, retry_in_s = wait.as_secs(), "email not sent; will retry");
                    }
                    paused = Some(wait);
                    break;
                }
            }
        }
        if paused.is_none() && due.len() == BATCH {
            continue;
        }
        let sleep = match paused {
            Some(wait) => Some(wait),
            None => store
                .run(|s| s.next_email_at())
                .await
                .ok()
                .flatten()
                .map(|t| Duration::from_millis((t - clock.now_ms()).max(0) as u64)),
        };
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = changes.changed(), if paused.is_none() => {}
            _ = async { match sleep { Some(d) => tokio::time::sleep(d).await, None => std::future::pending().await } } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_to_an_hour() {
        let secs: Vec<u64> = (1..=12).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
    }
}
