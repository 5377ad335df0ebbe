//! Any bytes, as a PDU or as hex text: a value or an error, never a panic;
//! whatever decodes can be rendered and contradicts no limit of TS 23.040
//! (user data within 160 septets / 140 octets, addresses within 20 digits,
//! concatenation numbers within their count).
#![no_main]

use libfuzzer_sys::fuzz_target;
use simfleet::sms::{self, Content, Tpdu};

fuzz_target!(|data: &[u8]| {
    if let Ok(pdu) = sms::decode(data) {
        let ud = match &pdu.tpdu {
            Tpdu::Deliver(d) => Some(&d.user_data),
            Tpdu::Submit(s) => Some(&s.user_data),
            Tpdu::StatusReport(r) => r.user_data.as_ref(),
        };
        let addr = match &pdu.tpdu {
            Tpdu::Deliver(d) => &d.sender,
            Tpdu::Submit(s) => &s.recipient,
            Tpdu::StatusReport(r) => &r.recipient,
        };
        assert!(addr.value.chars().count() <= 20);
        if let Some(ud) = ud {
            let _ = ud.content.text();
            let _ = ud.charset();
            match &ud.content {
                Content::Text(t) => assert!(t.chars().count() <= 160),
                Content::Ucs2(u) => assert!(u.len() <= 70),
                Content::Data(d) => assert!(d.len() <= 140),
            }
            if let Some(c) = ud.header.as_ref().and_then(|h| h.concat) {
                assert!(c.total >= 1 && (1..=c.total).contains(&c.seq));
            }
        }
        let _ = pdu.smsc.map(|a| a.to_string());
    }
    let _ = sms::decode_tpdu(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sms::decode_hex_pdu(text);
    }
});
