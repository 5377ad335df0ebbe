//! Replays the fuzzers' seed corpora and every input that ever crashed a
//! fuzz target (fuzz/regressions/), on stable Rust, in every test run.

use std::fs;
use std::path::Path;

use simfleet::at::Parser;
use simfleet::sms::{self, Address, Content, SplitOptions, SubmitOptions, Tpdu};

fn inputs(dir: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<_> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .map(|p| (p.display().to_string(), fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn decode_seeds_are_real_pdus() {
    let seeds: Vec<_> = inputs("fuzz/corpus/decode_pdu")
        .into_iter()
        .filter(|(name, _)| name.contains("seed-") && !name.ends_with(".hex"))
        .collect();
    assert!(seeds.len() >= 8, "seed corpus went missing");
    for (name, bytes) in seeds {
        sms::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn decode_regressions_return_instead_of_crashing() {
    for (_, bytes) in inputs("fuzz/regressions/decode_pdu")
        .into_iter()
        .chain(inputs("fuzz/corpus/decode_pdu"))
    {
        let _ = sms::decode(&bytes);
        let _ = sms::decode_tpdu(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = sms::decode_hex_pdu(text);
        }
    }
}

#[test]
fn refused_regressions_stay_refused() {
    // PDUs that contradict themselves and were once decoded into garbage.
    let refused: Vec<_> = inputs("fuzz/regressions/decode_pdu")
        .into_iter()
        .filter(|(name, _)| name.contains("refused-"))
        .collect();
    assert!(refused.len() >= 5, "refused regressions went missing");
    for (name, bytes) in refused {
        assert!(sms::decode(&bytes).is_err(), "{name} decoded");
    }
}

#[test]
fn text_regressions_round_trip() {
    for (name, bytes) in inputs("fuzz/regressions/text_round_trip")
        .into_iter()
        .chain(inputs("fuzz/corpus/text_round_trip"))
    {
        let Some((&flags, rest)) = bytes.split_first() else {
            continue;
        };
        let text = String::from_utf8_lossy(rest);
        let options = SplitOptions {
            national: sms::NationalLanguage::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| flags & (1 << i) != 0)
                .map(|(_, l)| l)
                .collect(),
            wide_ref: flags & 0x08 != 0,
            normalize_punctuation: flags & 0x10 != 0,
        };
        let Ok(plan) = sms::plan(&text, &options) else {
            continue;
        };
        let to = Address::parse_number("+447700900123").unwrap();
        let mut out = String::new();
        let mut units = Vec::new();
        for p in sms::encode_submit(&to, &plan, &SubmitOptions::default(), 1).unwrap() {
            let Tpdu::Submit(s) = sms::decode(&p.bytes).unwrap().tpdu else {
                panic!("{name}")
            };
            match s.user_data.content {
                Content::Text(t) => out.push_str(&t),
                Content::Ucs2(u) => units.extend(u),
                Content::Data(_) => panic!("{name}: data"),
            }
        }
        if !units.is_empty() {
            out = String::from_utf16(&units).unwrap();
        }
        assert_eq!(out, plan.text, "{name}");
    }
}

#[test]
fn at_parser_regressions_are_chunking_independent() {
    for (name, bytes) in inputs("fuzz/regressions/at_parser")
        .into_iter()
        .chain(inputs("fuzz/corpus/at_parser"))
    {
        let Some((&cut, bytes)) = bytes.split_first() else {
            continue;
        };
        let mut whole = Parser::with_max_line(64);
        whole.command_sent("AT+CMGL=4", &["+CMGL:"]);
        let expected = whole.parse(bytes);
        let mut chunked = Parser::with_max_line(64);
        chunked.command_sent("AT+CMGL=4", &["+CMGL:"]);
        let step = usize::from(cut % 16) + 1;
        let got: Vec<_> = bytes.chunks(step).flat_map(|c| chunked.parse(c)).collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn contacts_csv_inputs_are_read_or_refused_without_panicking() {
    use simfleet::contacts::csv_import::{self, ImportOptions};
    let seeds = inputs("fuzz/corpus/contacts_csv");
    assert!(seeds.len() >= 4, "seed corpus went missing");
    let opts = ImportOptions {
        file_name: "fuzz.csv".into(),
        region: "RU".parse().unwrap(),
        encoding: None,
        delimiter: None,
        types: Default::default(),
        columns: Default::default(),
        now: 1_800_000_000_000,
    };
    let mut read = 0;
    for (name, bytes) in seeds {
        let encoding = csv_import::detect_encoding(&bytes[..]).unwrap();
        let Ok(plan) = csv_import::scan(&bytes[..], encoding, &opts, &Default::default()) else {
            continue;
        };
        let mut handed = 0u64;
        csv_import::rows(&bytes[..], &plan, &opts, |r| {
            handed += u64::from(!r.optout_only);
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(handed + plan.report.bad_rows, plan.report.rows, "{name}");
        if name.contains("seed-") && handed > 0 {
            read += 1;
        }
    }
    assert!(read >= 4, "the seeds are real contact files");
}
