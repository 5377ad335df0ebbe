//! What comes back from the network: received messages (joined from their
//! parts, durably), read as opt-outs, re-subscriptions, help requests and
//! survey votes; and delivery reports. A PDU is acknowledged to its modem
//! (which then deletes it from the SIM) only once stored.

pub mod keywords;
pub mod receive;
pub mod replies;
pub mod vote;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::dispatch::Clock;
use crate::modem::Inbound;
use crate::phone::Region;
use crate::store::Store;
pub use receive::Received;
pub use replies::ReplyRules;

/// How the inbound side behaves.
#[derive(Debug, Clone)]
pub struct InboundConfig {
    /// Reading and answering replies.
    pub rules: ReplyRules,
    /// How national sender numbers are read.
    pub region: Region,
    /// How long parts of a message wait for the rest before it is stored
    /// incomplete.
    pub reassembly_timeout: Duration,
}

/// Stores and reads every inbound PDU, acknowledging each once stored;
/// gives up on incomplete messages after the timeout. `wake` is called
/// when replies were queued.
pub async fn consume(
    store: Store,
    clock: Arc<dyn Clock>,
    config: InboundConfig,
    wake: impl Fn() + Send + 'static,
    mut rx: mpsc::Receiver<Inbound>,
) {
    let config = Arc::new(config);
    let timeout_ms = config.reassembly_timeout.as_millis() as i64;
    loop {
        let oldest = {
            let s = store.clone();
            s.run(|s| s.oldest_waiting_part()).await
        };
        let flush_in = match oldest {
            Ok(Some(t)) => Some(Duration::from_millis(
                (t + timeout_ms - clock.now_ms()).max(0) as u64
            )),
            Ok(None) => None,
            Err(e) => {
                warn!(error = %e, "cannot read waiting parts");
                Some(Duration::from_secs(60))
            }
        };
        tokio::select! {
            m = rx.recv() => {
                let Some(m) = m else { break };
                let now = clock.now_ms();
                let cfg = config.clone();
                let (hex, imsi, imei) = (m.pdu.clone(), m.imsi.clone(), m.imei.clone());
                let result = store
                    .run(move |s| {
                        let pdu = receive::Pdu { hex: &hex, imsi: imsi.as_deref(), imei: &imei };
                        receive::receive(s, &cfg.rules, cfg.region, &pdu, now)
                    })
                    .await;
                match result {
                    Ok(received) => {
                        info!(imsi = m.imsi.as_deref(), modem = %m.imei, what = received.what(), inbox_id = received.inbox_id(), "received");
                        if let Received::Message { handled, .. } = &received
                            && handled.enqueued > 0
                        {
                            wake();
                        }
                        let _ = m.ack.send(());
                    }
                    // Not acknowledged: the PDU stays on the SIM and comes again.
                    Err(e) => warn!(imsi = m.imsi.as_deref(), error = %e, "cannot store a received PDU; leaving it on the SIM"),
                }
            }
            _ = async { match flush_in { Some(d) => tokio::time::sleep(d).await, None => std::future::pending().await } } => {
                let now = clock.now_ms();
                let cfg = config.clone();
                match store.run(move |s| receive::flush_stale_with(s, &cfg.rules, now - timeout_ms, now)).await {
                    Ok(ids) if !ids.is_empty() => warn!(count = ids.len(), inbox_ids = %ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","), "stored messages whose missing parts never came, flagged incomplete"),
                    Ok(_) => {}
                    Err(e) => warn!(error = %e, "cannot store incomplete messages"),
                }
            }
        }
    }
}
