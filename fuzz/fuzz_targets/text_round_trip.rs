//! Any text under any options: planning and encoding either refuse it (over
//! 255 segments) or produce PDUs that decode back to the planned text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simfleet::sms::{self, Address, Content, NationalLanguage, SplitOptions, SubmitOptions, Tpdu};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let options = SplitOptions {
        national: NationalLanguage::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| flags & (1 << i) != 0)
            .map(|(_, l)| l)
            .collect(),
        wide_ref: flags & 0x08 != 0,
        normalize_punctuation: flags & 0x10 != 0,
    };
    let Ok(plan) = sms::plan(&text, &options) else { return };
    let to = Address::parse_number("+447700900123").unwrap();
    let pdus = sms::encode_submit(&to, &plan, &SubmitOptions::default(), u16::from(flags)).unwrap();
    let mut text_out = String::new();
    let mut units = Vec::new();
    for p in &pdus {
        let Tpdu::Submit(s) = sms::decode(&p.bytes).unwrap().tpdu else { panic!("not a submit") };
        match s.user_data.content {
            Content::Text(t) => text_out.push_str(&t),
            Content::Ucs2(u) => units.extend(u),
            Content::Data(_) => panic!("text came back as data"),
        }
    }
    if !units.is_empty() {
        text_out = String::from_utf16(&units).unwrap();
    }
    assert_eq!(text_out, plan.text);
});
