//! Properties of the codec over generated input: encode→decode gives the
//! text back, segments obey the capacity rules, and no byte string makes
//! the decoder panic.

use proptest::prelude::*;
use simfleet::sms::{
    self, Address, Charset, Content, Encoding, NationalLanguage, SplitOptions, SubmitOptions, Tpdu,
    split::SegmentBody,
};

/// Characters that stress the codec: plain GSM, extension (escape), the
/// national tables' letters, Cyrillic, CJK, emoji (surrogates), anything.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => proptest::sample::select(vec!['€', '[', ']', '{', '}', '~', '^', '\\', '|', '\u{0C}']),
        2 => proptest::sample::select(vec!['ç', 'ş', 'ğ', 'ı', 'İ', 'á', 'í', 'ó', 'ú', 'ã', 'õ', 'ê', 'Â', '@', 'Δ', '\n', '\r']),
        1 => proptest::char::range('А', 'я'),
        1 => proptest::sample::select(vec!['😀', '👍', '🇷', '🇺', '\u{200D}', '你', '\u{FFFD}']),
        1 => any::<char>(),
    ]
}

fn gsm_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::range('a', 'z'),
        1 => proptest::sample::select(vec!['€', '[', ']', '{', '}', '~', '^', '\\', '|', '@', 'Δ', '\n', 'é', 'Ñ']),
    ]
}

fn national_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => gsm_char(),
        1 => proptest::sample::select(vec!['ç', 'ş', 'ğ', 'ı', 'İ', 'á', 'í', 'ó', 'ú', 'ã', 'õ', 'ê', 'Â', '`']),
    ]
}

/// Texts from three pools, so that pure GSM 7-bit and national-table texts
/// long enough to need several segments are generated as often as UCS-2.
fn text(max: usize) -> impl Strategy<Value = String> {
    let collect = |v: Vec<char>| v.into_iter().collect::<String>();
    prop_oneof![
        proptest::collection::vec(gsm_char(), 0..max).prop_map(collect),
        proptest::collection::vec(national_char(), 0..max).prop_map(collect),
        proptest::collection::vec(interesting_char(), 0..max).prop_map(collect),
    ]
}

fn options() -> impl Strategy<Value = SplitOptions> {
    (
        proptest::sample::subsequence(NationalLanguage::ALL.to_vec(), 0..=3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(national, wide_ref, normalize_punctuation)| SplitOptions {
            national,
            wide_ref,
            normalize_punctuation,
        })
}

/// Decodes every PDU and joins the parts as a receiver would.
fn receive(pdus: &[Vec<u8>]) -> (String, Vec<sms::UserData>) {
    let mut units = Vec::new();
    let mut text = String::new();
    let mut parts = Vec::new();
    for bytes in pdus {
        let ud = match sms::decode(bytes).unwrap().tpdu {
            Tpdu::Submit(s) => s.user_data,
            Tpdu::Deliver(d) => d.user_data,
            Tpdu::StatusReport(_) => panic!("unexpected status report"),
        };
        match &ud.content {
            Content::Text(t) => text.push_str(t),
            Content::Ucs2(u) => units.extend_from_slice(u),
            Content::Data(_) => panic!("text came back as data"),
        }
        parts.push(ud);
    }
    if !units.is_empty() {
        text = String::from_utf16(&units).expect("a surrogate pair was split");
    }
    (text, parts)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn submit_round_trips_any_text(text in text(700), opts in options(), concat_ref: u16) {
        let Ok(plan) = sms::plan(&text, &opts) else {
            // Only a text over 255 segments may be refused.
            prop_assert!(sms::split::count_segments(&text, &opts) > 255);
            return Ok(());
        };
        if !plan.normalized {
            prop_assert_eq!(&plan.text, &text);
        }
        let to = Address::parse_number("+79161234567").unwrap();
        let pdus = sms::encode_submit(&to, &plan, &SubmitOptions::default(), concat_ref).unwrap();
        let bytes: Vec<Vec<u8>> = pdus.iter().map(|p| p.bytes.clone()).collect();
        let (received, parts) = receive(&bytes);
        prop_assert_eq!(&received, &plan.text);

        // Headers: concat only when several parts, numbered in order, one reference.
        let n = parts.len();
        for (i, ud) in parts.iter().enumerate() {
            let concat = ud.header.as_ref().and_then(|h| h.concat);
            if n == 1 {
                prop_assert!(concat.is_none());
            } else {
                let c = concat.unwrap();
                prop_assert_eq!((c.total as usize, c.seq as usize, c.wide_ref), (n, i + 1, opts.wide_ref));
                let expected_ref = if opts.wide_ref { concat_ref } else { concat_ref & 0xFF };
                prop_assert_eq!(c.reference, expected_ref);
            }
            prop_assert_eq!(ud.charset(), plan.charset);
        }
        // User data never exceeds 140 octets: first octet, TP-MR, TP-DA (8
        // octets for 11 digits), TP-PID, TP-DCS and TP-UDL take 13.
        for p in &pdus {
            prop_assert!(p.tpdu_length() <= 13 + 140, "TPDU of {} octets", p.tpdu_length());
            prop_assert_eq!(p.tpdu_length() + p.tpdu_offset, p.bytes.len());
        }
    }

    #[test]
    fn segments_follow_capacity_rules(text in text(900), opts in options()) {
        let Ok(plan) = sms::plan(&text, &opts) else { return Ok(()); };
        let n = plan.segment_count();
        let header_ies = |multi: bool| {
            let mut octets = 0;
            if multi { octets += if opts.wide_ref { 6 } else { 5 }; }
            if plan.charset.locking.is_some() { octets += 3; }
            if plan.charset.single.is_some() { octets += 3; }
            if octets == 0 { 0 } else { octets + 1 }
        };
        let cap = |multi: bool| match plan.encoding {
            Encoding::Gsm7 => 160 - sms::septets::header_septets(header_ies(multi)),
            _ => (140 - header_ies(multi)) / 2,
        };
        let lens: Vec<usize> = plan.segments.iter().map(|s| match s {
            SegmentBody::Septets(v) => v.len(),
            SegmentBody::Ucs2(v) => v.len(),
        }).collect();
        let total: usize = lens.iter().sum();
        // Single iff the whole text fits one unheaded segment.
        prop_assert_eq!(n == 1, total <= cap(false));
        for (i, &len) in lens.iter().enumerate() {
            prop_assert!(len <= cap(n > 1));
            // Greedy: a non-last segment could not take the next unit
            // (an escape pair or surrogate pair is at most 2 long).
            if i + 1 < n {
                prop_assert!(len + 2 > cap(true) || lens[i + 1] == 0);
            }
        }
        if n > 1 {
            prop_assert!(n >= total.div_ceil(cap(true)));
        }
        // GSM 7-bit whenever the text fits it and national tables are off.
        if opts.national.is_empty() && !plan.normalized && Charset::DEFAULT.encode(&text).is_ok() {
            prop_assert_eq!(plan.encoding, Encoding::Gsm7);
        }
    }

    #[test]
    fn deliver_round_trips_for_the_simulator(text in text(500), concat_ref: u16) {
        let Ok(plan) = sms::plan(&text, &SplitOptions::default()) else { return Ok(()); };
        let sender = Address::parse_number("+34600111222").unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00+01:00").unwrap();
        let pdus = sms::encode_deliver(None, &sender, &plan, at, concat_ref);
        let (received, _) = receive(&pdus);
        prop_assert_eq!(received, text);
        let Tpdu::Deliver(d) = sms::decode(&pdus[0]).unwrap().tpdu else { panic!() };
        prop_assert_eq!(d.sender, sender);
        prop_assert_eq!(d.timestamp, Some(at));
    }

    #[test]
    fn decode_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(pdu) = sms::decode(&bytes) {
            assert_consistent(&pdu.tpdu);
        }
        if let Ok(tpdu) = sms::decode_tpdu(&bytes) {
            assert_consistent(&tpdu);
        }
    }

    #[test]
    fn decode_never_panics_on_mutated_real_pdus(
        flips in proptest::collection::vec((0usize..80, any::<u8>()), 1..6),
        cut in 0usize..80,
    ) {
        let mut bytes = sms::hex::decode_hex(
            "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E83C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434",
        ).unwrap();
        for (pos, value) in flips {
            if let Some(b) = bytes.get_mut(pos) { *b = value; }
        }
        bytes.truncate(cut.max(1));
        if let Ok(pdu) = sms::decode(&bytes) {
            assert_consistent(&pdu.tpdu);
        }
    }
}

/// What any decoded PDU must satisfy, however it was mangled: no field
/// the decoder returns contradicts the limits of TS 23.040.
fn assert_consistent(tpdu: &Tpdu) {
    let (addr, ud) = match tpdu {
        Tpdu::Deliver(d) => (&d.sender, Some(&d.user_data)),
        Tpdu::Submit(s) => (&s.recipient, Some(&s.user_data)),
        Tpdu::StatusReport(r) => (&r.recipient, r.user_data.as_ref()),
    };
    assert!(addr.value.chars().count() <= 20, "address {addr:?}");
    let Some(ud) = ud else { return };
    match &ud.content {
        Content::Text(t) => assert!(t.chars().count() <= 160, "{} septets", t.chars().count()),
        Content::Ucs2(u) => assert!(u.len() <= 70, "{} UCS-2 units", u.len()),
        Content::Data(d) => assert!(d.len() <= 140, "{} octets", d.len()),
    }
    if let Some(c) = ud.header.as_ref().and_then(|h| h.concat) {
        assert!(c.total >= 1 && (1..=c.total).contains(&c.seq), "{c:?}");
    }
}
