use super::*;
use crate::contacts::{Attributes, Consent, ContactStatus, TimeZoneSource};
use crate::sms::{Address, SubmitOptions, Tpdu, encode_submit, plan};
use std::str::FromStr;

fn contact(id: i64, name: &str) -> Contact {
    Contact {
        id,
        phone: format!("+7916000{id:04}"),
        name: Some(name.to_string()),
        time_zone: None,
        time_zone_source: TimeZoneSource::Default,
        language: Some("en".into()),
        tags: Vec::new(),
        attributes: Attributes::new(),
        consent: Consent {
            status: ConsentStatus::OptedIn,
            ..Default::default()
        },
        status: ContactStatus::Active,
        status_reason: None,
        created_at: 0,
        updated_at: 0,
        last_sent_at: None,
        last_delivered_at: None,
        last_reply_at: None,
        messages_sent: 0,
        opted_out: None,
    }
}

fn preview(src: &str, contacts: &[Contact], split: &SplitOptions) -> PreviewReport {
    let t = Template::compile(src).unwrap();
    let mut p = Preview::new(&t, split, "UTC");
    for c in contacts {
        p.add(c);
    }
    p.finish(Decimal::from_str("0.05").unwrap(), "USD")
}

#[test]
fn counts_segments_and_cost_in_decimal_money() {
    let contacts: Vec<Contact> = (1..=3).map(|i| contact(i, "Ann")).collect();
    let r = preview("Hi {{ name }}", &contacts, &SplitOptions::default());
    assert_eq!(
        (r.count, r.segments_total, r.segments_min, r.segments_max),
        (3, 3, Some(1), Some(1))
    );
    assert_eq!(
        (
            r.per_segment.as_str(),
            r.estimated_cost.as_str(),
            r.currency.as_str()
        ),
        ("0.05", "0.15", "USD")
    );
    assert_eq!(r.recipients[0].text.as_deref(), Some("Hi Ann"));
    assert_eq!(r.recipients[0].encoding, Some("gsm7"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // 0.1 + 0.2 in f64 is 0.30000000000000004: decimals are exact.
    assert_eq!(money(cost(Decimal::from_str("0.1").unwrap(), 3)), "0.30");
    assert_eq!(money(cost(Decimal::from_str("0.0035").unwrap(), 3)), "0.0105");
    assert_eq!(money(Decimal::from(12)), "12.00");
}

#[test]
fn a_character_forcing_ucs2_is_reported_with_positions_and_replacement() {
    let contacts = vec![contact(1, "Ann"), contact(2, "Zoë")];
    let r = preview("It’s {{ name }}’s day", &contacts, &SplitOptions::default());
    let ucs2: Vec<&PreviewWarning> = r
        .warnings
        .iter()
        .filter(|w| matches!(w, PreviewWarning::Ucs2 { .. }))
        .collect();
    assert_eq!(ucs2.len(), 2, "{:?}", r.warnings);
    match ucs2[0] {
        PreviewWarning::Ucs2 {
            character,
            code_point,
            replacement,
            source,
            recipients,
            contact_id,
            positions,
            ..
        } => {
            assert_eq!(character, "’");
            assert_eq!(code_point, "U+2019");
            assert_eq!(replacement.as_deref(), Some("'"));
            assert_eq!(*source, "template");
            assert_eq!((*recipients, *contact_id), (2, 1));
            // "It’s Ann’s day": char indexes 2 and 8.
            assert_eq!(positions, &vec![2, 8]);
        }
        other => panic!("{other:?}"),
    }
    match ucs2[1] {
        PreviewWarning::Ucs2 {
            character,
            replacement,
            source,
            variable,
            recipients,
            contact_id,
            positions,
            ..
        } => {
            assert_eq!(character, "ë");
            assert_eq!(replacement.as_deref(), Some("e"));
            assert_eq!((*source, variable.as_deref()), ("variable", Some("name")));
            assert_eq!((*recipients, *contact_id), (1, 2));
            assert_eq!(positions, &vec![7]);
        }
        other => panic!("{other:?}"),
    }
    // With punctuation normalisation on, the codec sends ' and the curly
    // quote no longer forces anything.
    let split = SplitOptions {
        normalize_punctuation: true,
        ..Default::default()
    };
    let r = preview("It’s {{ name }}", &[contact(1, "Ann")], &split);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.recipients[0].text.as_deref(), Some("It's Ann"));
    // Cyrillic has no GSM 7-bit spelling: reported without a replacement.
    assert_eq!(gsm7_replacement('Ж', &[]), None);
    assert_eq!(gsm7_replacement('á', &[]), Some("a".into()));
}

#[test]
fn a_date_in_russian_forcing_ucs2_is_blamed_on_the_filter() {
    let mut c = contact(1, "Ann");
    c.language = Some("ru".into());
    c.attributes.insert(
        "birthday".into(),
        AttrValue::Date(chrono::NaiveDate::from_ymd_opt(1990, 5, 1).unwrap()),
    );
    let mut en = c.clone();
    en.id = 2;
    en.language = Some("en".into());
    let r = preview(
        &format!("{} {{{{ attributes.birthday | date }}}}", "x".repeat(100)),
        &[en, c],
        &SplitOptions::default(),
    );
    assert!(
        r.warnings.iter().any(|w| matches!(w,
        PreviewWarning::Ucs2 { character, source: "filter", variable: None, .. } if character == "м")),
        "{:?}",
        r.warnings
    );
    let reason = r.warnings.iter().find_map(|w| match w {
        PreviewWarning::Longer { examples, .. } => Some(examples[0].reason.clone()),
        _ => None,
    });
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("filter")),
        "{reason:?}"
    );
}

#[test]
fn a_long_name_making_a_text_multipart_is_named() {
    let mut contacts: Vec<Contact> = (1..=25).map(|i| contact(i, "Ann")).collect();
    contacts.push(contact(26, &"Bartholomew".repeat(6)));
    let src = format!("Dear {{{{ name }}}}, {}", "x".repeat(120));
    let r = preview(&src, &contacts, &SplitOptions::default());
    assert_eq!((r.segments_min, r.segments_max), (Some(1), Some(2)));
    assert_eq!(r.segments_total, 27);
    assert_eq!(r.recipients.len(), SAMPLE);
    assert_eq!(
        r.most.as_ref().map(|m| m.contact_id),
        Some(26),
        "the extreme is shown beyond the sample"
    );
    assert_eq!(r.fewest.as_ref().map(|m| m.contact_id), Some(1));
    let longer = r
        .warnings
        .iter()
        .find_map(|w| match w {
            PreviewWarning::Longer {
                shortest,
                recipients,
                examples,
            } => Some((*shortest, *recipients, examples.clone())),
            _ => None,
        })
        .expect("a multipart warning");
    assert_eq!((longer.0, longer.1), (1, 1));
    assert_eq!(longer.2[0].contact_id, 26);
    assert_eq!(longer.2[0].variable.as_deref(), Some("name"));
    assert_eq!(longer.2[0].value_chars, Some(66));
    assert!(
        longer.2[0].reason.contains("name is 66 characters"),
        "{}",
        longer.2[0].reason
    );
}

#[test]
fn missing_variables_and_exclusions_are_counted() {
    let mut contacts: Vec<Contact> = (1..=4).map(|i| contact(i, "Ann")).collect();
    contacts[0]
        .attributes
        .insert("city".into(), AttrValue::String("Kazan".into()));
    contacts[2].consent.status = ConsentStatus::Pending;
    contacts[3].status = ContactStatus::Invalid;
    let mut optout = contact(5, "Bob");
    optout.opted_out = Some(crate::store::OptOut {
        number: optout.phone.clone(),
        source: "api".into(),
        keyword: None,
        note: None,
        at: 0,
    });
    contacts.push(optout);
    let r = preview(
        "See you in {{ attributes.city }}",
        &contacts,
        &SplitOptions::default(),
    );
    assert_eq!((r.count, r.failed), (1, 1));
    assert_eq!(
        r.excluded,
        ExcludedCounts {
            no_consent: 1,
            opted_out: 1,
            invalid: 1
        }
    );
    assert_eq!(
        r.recipients[1].error.as_ref().map(|e| e.code),
        Some("missing_variable")
    );
    assert!(r.warnings.iter().any(|w| matches!(w,
        PreviewWarning::MissingVariable { variable, recipients: 1, examples } if variable == "attributes.city" && examples[0].contact_id == 2)));
}

#[test]
fn texts_the_messages_api_would_refuse_are_errors_with_its_codes() {
    let mut bell = contact(2, "Bob");
    bell.attributes
        .insert("note".into(), AttrValue::String("ding\u{7}".into()));
    let mut c1 = contact(1, "Ann");
    c1.attributes
        .insert("note".into(), AttrValue::String("hi".into()));
    let r = preview(
        "{% if attributes.note != 'hi' %}{{ attributes.note }}{% endif %}",
        &[c1, bell],
        &SplitOptions::default(),
    );
    assert_eq!(r.count, 0);
    let codes: Vec<_> = r
        .recipients
        .iter()
        .map(|p| p.error.as_ref().map(|e| e.code))
        .collect();
    assert_eq!(codes, vec![Some("empty_text"), Some("invalid_text")]);
    let long = "x".repeat(153 * 255 + 1);
    let r = preview("{{ name }}", &[contact(3, &long)], &SplitOptions::default());
    assert_eq!(r.recipients[0].error.as_ref().map(|e| e.code), Some("too_long"));
}

/// Texts on the edges of every layout: 160/161 GSM 7-bit, escapes (€ [ ])
/// that cost two septets and may not be split, 70/71 UCS-2, surrogate
/// pairs, national tables.
fn edge_texts() -> Vec<String> {
    let mut v = Vec::new();
    for n in [
        1, 70, 71, 134, 152, 153, 154, 159, 160, 161, 305, 306, 307, 459, 460,
    ] {
        v.push("a".repeat(n));
    }
    for n in [79, 80, 81, 76, 77, 152, 153] {
        v.push("€".repeat(n));
        v.push(format!("{}[", "a".repeat(n)));
        v.push(format!("{}]x", "a".repeat(n)));
    }
    for n in [66, 67, 68, 69, 70, 71, 134, 135, 201, 202] {
        v.push("Ж".repeat(n));
        v.push(format!("{}😀", "Ж".repeat(n)));
    }
    for n in [150, 155, 160, 161] {
        v.push(format!("{}ş", "a".repeat(n))); // Turkish
        v.push(format!("{}ç", "a".repeat(n)));
        v.push(format!("{}á", "a".repeat(n))); // Spanish single shift
    }
    v
}

fn pdus_sent(text: &str, split: &SplitOptions) -> (usize, String) {
    let plan = plan(text, split).unwrap();
    let to = Address::parse_number("+79160000001").unwrap();
    let pdus = encode_submit(&to, &plan, &SubmitOptions::default(), 7).unwrap();
    let mut back = String::new();
    for p in &pdus {
        let tpdu = crate::sms::decode_tpdu(&p.bytes[p.tpdu_offset..]).unwrap();
        let Tpdu::Submit(s) = tpdu else {
            panic!("not a submit")
        };
        match &s.user_data.content {
            crate::sms::Content::Text(t) => back.push_str(t),
            crate::sms::Content::Ucs2(u) => back.push_str(&String::from_utf16_lossy(u)),
            crate::sms::Content::Data(_) => panic!("8-bit"),
        }
    }
    (pdus.len(), back)
}

fn check_against_codec(texts: &[String], split: &SplitOptions) {
    let contacts: Vec<Contact> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| contact(i as i64 + 1, t))
        .collect();
    let t = Template::compile("{{ name }}").unwrap();
    let mut p = Preview::new(&t, split, "UTC");
    let mut total = 0;
    for c in &contacts {
        p.add(c);
        let r = Preview::new(&t, split, "UTC");
        let mut r = r;
        r.add(c);
        let one = r.finish(Decimal::ONE, "USD");
        let (sent, back) = pdus_sent(c.name.as_deref().unwrap(), split);
        assert_eq!(one.segments_total as usize, sent, "{:?}", c.name);
        assert_eq!(
            one.recipients[0].text.as_deref(),
            Some(back.as_str()),
            "the PDUs carry the previewed text"
        );
        total += sent;
    }
    let all = p.finish(Decimal::from_str("0.05").unwrap(), "EUR");
    assert_eq!(all.segments_total as usize, total);
    assert_eq!(
        all.estimated_cost,
        money(Decimal::from_str("0.05").unwrap() * Decimal::from(total))
    );
}

#[test]
fn preview_segments_equal_the_pdus_the_encoder_makes_on_the_edges() {
    check_against_codec(&edge_texts(), &SplitOptions::default());
    let national = SplitOptions {
        national: vec![
            NationalLanguage::Turkish,
            NationalLanguage::Spanish,
            NationalLanguage::Portuguese,
        ],
        ..Default::default()
    };
    check_against_codec(&edge_texts(), &national);
    let wide = SplitOptions {
        wide_ref: true,
        normalize_punctuation: true,
        ..Default::default()
    };
    check_against_codec(&edge_texts(), &wide);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a", "Z", " ", "€", "[", "]", "{", "^", "~", "\\", "|", "é", "ç", "ş", "á", "Ж", "’", "…", "😀",
            "\n",
        ]);
        prop::collection::vec(pieces, 1..400).prop_map(|v| format!("a{}", v.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn preview_segments_equal_the_pdus_the_encoder_makes(t in text(), national in any::<bool>(), norm in any::<bool>()) {
            let split = SplitOptions {
                national: if national { NationalLanguage::ALL.to_vec() } else { Vec::new() },
                normalize_punctuation: norm,
                wide_ref: false,
            };
            check_against_codec(&[t], &split);
        }
    }
}
