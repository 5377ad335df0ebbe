//! What comes back from the network. For now: every received PDU is
//! decoded and stored durably before the modem is told it may delete it
//! from the SIM. (Reassembly, opt-outs, surveys and delivery reports build
//! on this.)

use std::sync::Arc;

use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::dispatch::Clock;
use crate::modem::Inbound;
use crate::sms::{self, Tpdu};
use crate::store::{NewInbound, ReportIn, Store};

/// Stores every inbound PDU and acknowledges it once stored.
pub async fn consume(store: Store, clock: Arc<dyn Clock>, mut rx: mpsc::Receiver<Inbound>) {
    while let Some(m) = rx.recv().await {
        let decoded = sms::decode_hex_pdu(&m.pdu);
        let (sender, text) = match &decoded {
            Ok(pdu) => match &pdu.tpdu {
                Tpdu::Deliver(d) => (d.sender.to_string(), d.user_data.content.text()),
                Tpdu::StatusReport(r) => {
                    let report = ReportIn {
                        imsi: m.imsi.clone(),
                        message_ref: r.message_ref,
                        recipient: r.recipient.to_string(),
                        status_code: r.status.code,
                        category: r.status.category,
                        description: r.status.description().to_string(),
                        discharge_at: r.discharge_time.map(|t| t.timestamp_millis()),
                        pdu: m.pdu.clone(),
                    };
                    let now = clock.now_ms();
                    match store.run(move |s| s.apply_report(&report, now)).await {
                        Ok(outcome) => {
                            info!(imsi = ?m.imsi, mr = r.message_ref, status = r.status.description(), ?outcome, "delivery report");
                            let _ = m.ack.send(());
                        }
                        Err(e) => warn!(error = %e, "cannot store a delivery report; leaving it on the SIM"),
                    }
                    continue;
                }
                Tpdu::Submit(s) => (format!("submit:{}", s.recipient), s.user_data.content.text()),
            },
            Err(e) => {
                warn!(imsi = ?m.imsi, error = %e, pdu = %m.pdu, "undecodable PDU kept raw");
                ("unknown".to_string(), None)
            }
        };
        let row = NewInbound {
            sender,
            text,
            received_at: clock.now_ms(),
            modem_imei: Some(m.imei.clone()),
            sim_imsi: m.imsi.clone(),
            pdu: m.pdu.clone(),
        };
        match store.run(move |s| s.store_inbound(&row)).await {
            Ok(id) => {
                info!(inbox_id = id, imsi = ?m.imsi, "message received");
                let _ = m.ack.send(());
            }
            // Not acknowledged: the message stays on the SIM and comes again.
            Err(e) => warn!(error = %e, "cannot store a received message; leaving it on the SIM"),
        }
    }
}
