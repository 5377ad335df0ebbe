//! Any bytes, as a PDU or as hex text: a value or an error, never a panic,
//! and whatever decodes can be rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simfleet::sms::{self, Tpdu};

fuzz_target!(|data: &[u8]| {
    if let Ok(pdu) = sms::decode(data) {
        let ud = match &pdu.tpdu {
            Tpdu::Deliver(d) => Some(&d.user_data),
            Tpdu::Submit(s) => Some(&s.user_data),
            Tpdu::StatusReport(r) => r.user_data.as_ref(),
        };
        if let Some(ud) = ud {
            let _ = ud.content.text();
            let _ = ud.charset();
        }
        let _ = pdu.smsc.map(|a| a.to_string());
    }
    let _ = sms::decode_tpdu(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sms::decode_hex_pdu(text);
    }
});
