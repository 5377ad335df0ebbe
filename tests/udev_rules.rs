//! `udev/99-simfleet.rules` evaluated against sample device attributes: a
//! small interpreter of the udev rule language (the subset the file uses,
//! with udev's semantics for parent matching, GOTO/LABEL and
//! substitutions) runs each sample through the file, and the resulting
//! names, groups and ModemManager tags are checked against the table of
//! which interface carries AT on which model.

use std::collections::HashMap;

const RULES: &str = include_str!("../udev/99-simfleet.rules");

/// One device in the chain from the tty up to the USB device.
#[derive(Clone, Debug, Default)]
struct Dev {
    kernel: String,
    subsystem: String,
    driver: String,
    attrs: HashMap<String, String>,
}

/// A tty event: the device chain and what the usb_id builtin would import.
#[derive(Clone, Debug)]
struct Sample {
    chain: Vec<Dev>,
    usb_id: HashMap<String, String>,
}

#[derive(Debug, Default, PartialEq)]
struct Outcome {
    env: HashMap<String, String>,
    symlinks: Vec<String>,
    group: Option<String>,
    mode: Option<String>,
}

#[derive(Debug)]
struct Term {
    key: String,
    attr: Option<String>,
    op: String,
    value: String,
}

fn parse(rules: &str) -> Vec<Vec<Term>> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for raw in rules.lines() {
        let l = raw.trim();
        if cur.is_empty() && (l.is_empty() || l.starts_with('#')) {
            continue;
        }
        if let Some(s) = l.strip_suffix('\\') {
            cur.push_str(s);
            continue;
        }
        cur.push_str(l);
        lines.push(std::mem::take(&mut cur));
    }
    lines.iter().map(|l| parse_line(l)).collect()
}

fn parse_line(line: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .expect("key");
        let key = rest[..key_end].to_string();
        rest = &rest[key_end..];
        let mut attr = None;
        if let Some(r) = rest.strip_prefix('{') {
            let end = r.find('}').expect("closing brace");
            attr = Some(r[..end].to_string());
            rest = &r[end + 1..];
        }
        let op = ["==", "!=", "+=", ":=", "="]
            .into_iter()
            .find(|op| rest.starts_with(op))
            .unwrap_or_else(|| panic!("no operator in {line:?}"));
        rest = rest[op.len()..].trim_start();
        let r = rest
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("unquoted value in {line:?}"));
        let end = r.find('"').expect("closing quote");
        terms.push(Term {
            key,
            attr,
            op: op.to_string(),
            value: r[..end].to_string(),
        });
        rest = r[end + 1..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    terms
}

fn glob_match(pattern: &str, value: &str) -> bool {
    pattern
        .split('|')
        .any(|p| glob::Pattern::new(p).expect("valid glob").matches(value))
}

fn matches(op: &str, pattern: &str, value: Option<&str>) -> bool {
    let hit = glob_match(pattern, value.unwrap_or(""));
    if op == "==" { hit } else { !hit }
}

const PARENT_KEYS: [&str; 3] = ["SUBSYSTEMS", "DRIVERS", "ATTRS"];

fn substitute(v: &str, env: &HashMap<String, String>, matched_parent: Option<&Dev>) -> String {
    let mut out = v.to_string();
    while let Some(start) = out.find("%E{") {
        let end = start + out[start..].find('}').expect("closing brace");
        let name = &out[start + 3..end];
        let val = env.get(name).cloned().unwrap_or_default();
        out.replace_range(start..=end, &val);
    }
    if out.contains("%b") {
        out = out.replace(
            "%b",
            &matched_parent.map(|d| d.kernel.clone()).unwrap_or_default(),
        );
    }
    out
}

fn run(rules: &[Vec<Term>], sample: &Sample) -> Outcome {
    let tty = &sample.chain[0];
    let mut out = Outcome::default();
    let mut i = 0;
    while i < rules.len() {
        let rule = &rules[i];
        i += 1;
        // Device keys on the tty itself.
        let own_ok = rule
            .iter()
            .filter(|t| t.op == "==" || t.op == "!=")
            .all(|t| match t.key.as_str() {
                "ACTION" => matches(&t.op, &t.value, Some("add")),
                "SUBSYSTEM" => matches(&t.op, &t.value, Some(&tty.subsystem)),
                "KERNEL" => matches(&t.op, &t.value, Some(&tty.kernel)),
                "ENV" => matches(
                    &t.op,
                    &t.value,
                    out.env.get(t.attr.as_deref().unwrap()).map(String::as_str),
                ),
                k if PARENT_KEYS.contains(&k) => true,
                other => panic!("unsupported match key {other}"),
            });
        if !own_ok {
            continue;
        }
        // Parent keys: all on one device up the chain (the tty included).
        let parent_terms: Vec<&Term> = rule
            .iter()
            .filter(|t| PARENT_KEYS.contains(&t.key.as_str()))
            .collect();
        let mut matched = None;
        if !parent_terms.is_empty() {
            matched = sample.chain.iter().find(|d| {
                parent_terms.iter().all(|t| {
                    let v = match t.key.as_str() {
                        "SUBSYSTEMS" => Some(d.subsystem.as_str()),
                        "DRIVERS" => Some(d.driver.as_str()),
                        _ => d.attrs.get(t.attr.as_deref().unwrap()).map(String::as_str),
                    };
                    // A != on an attribute a device lacks does not match it.
                    v.is_some() && matches(&t.op, &t.value, v)
                })
            });
            if matched.is_none() {
                continue;
            }
        }
        let mut goto = None;
        for t in rule.iter().filter(|t| t.op != "==" && t.op != "!=") {
            let value = substitute(&t.value, &out.env, matched);
            match (t.key.as_str(), t.op.as_str()) {
                ("ENV", "=") => {
                    out.env.insert(t.attr.clone().unwrap(), value);
                }
                ("IMPORT", "=") => {
                    assert_eq!(t.attr.as_deref(), Some("builtin"));
                    assert_eq!(value, "usb_id", "only usb_id is modelled");
                    out.env.extend(sample.usb_id.clone());
                }
                ("SYMLINK", "+=") => out.symlinks.push(value),
                ("GROUP", "=") => out.group = Some(value),
                ("MODE", "=") => out.mode = Some(value),
                ("GOTO", "=") => goto = Some(value),
                ("LABEL", "=") => {}
                (k, op) => panic!("unsupported assignment {k}{op}"),
            }
        }
        if let Some(label) = goto {
            i = rules
                .iter()
                .position(|r| r.iter().any(|t| t.key == "LABEL" && t.value == label))
                .unwrap_or_else(|| panic!("no LABEL {label}"))
                + 1;
        }
    }
    out
}

/// A tty on interface `ifnum` of a USB device.
fn usb_tty(vendor: &str, product: &str, ifnum: &str, serial: &str, class: [&str; 3]) -> Sample {
    let attrs = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let acm = class == ["02", "02", "01"];
    let chain = vec![
        Dev {
            kernel: if acm { "ttyACM0" } else { "ttyUSB3" }.into(),
            subsystem: "tty".into(),
            ..Dev::default()
        },
        Dev {
            kernel: format!("1-1.3:1.{}", ifnum.trim_start_matches('0')),
            subsystem: "usb".into(),
            driver: if acm { "cdc_acm" } else { "option" }.into(),
            attrs: attrs(&[
                ("bInterfaceNumber", ifnum),
                ("bInterfaceClass", class[0]),
                ("bInterfaceSubClass", class[1]),
                ("bInterfaceProtocol", class[2]),
            ]),
        },
        Dev {
            kernel: "1-1.3".into(),
            subsystem: "usb".into(),
            driver: "usb".into(),
            attrs: attrs(&[("idVendor", vendor), ("idProduct", product), ("serial", serial)]),
        },
    ];
    let mut usb_id: HashMap<String, String> = [
        ("ID_VENDOR_ID", vendor),
        ("ID_MODEL_ID", product),
        ("ID_USB_INTERFACE_NUM", ifnum),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if !serial.is_empty() {
        usb_id.insert("ID_SERIAL_SHORT".into(), serial.into());
    }
    Sample { chain, usb_id }
}

const VENDOR_CLASS: [&str; 3] = ["ff", "ff", "ff"];

/// (vendor, product, AT interface, name prefix) — the table of the rules file.
const TABLE: &[(&str, &str, &str, &str)] = &[
    ("12d1", "1001", "02", "huawei"),
    ("12d1", "1003", "01", "huawei"),
    ("19d2", "0031", "01", "zte"),
    ("19d2", "0063", "01", "zte"),
    ("19d2", "0117", "01", "zte"),
    ("19d2", "1515", "02", "zte"),
    ("19d2", "2002", "01", "zte"),
    ("1e0e", "9001", "02", "simcom"),
    ("1e0e", "9205", "02", "simcom"),
    ("1e0e", "9206", "02", "simcom"),
    ("1e0e", "cefe", "02", "simcom"),
    ("1e0e", "9100", "03", "simcom"),
    ("1e0e", "9200", "03", "simcom"),
    ("2c7c", "0125", "02", "quectel"),
    ("2c7c", "0121", "02", "quectel"),
    ("2c7c", "0191", "02", "quectel"),
    ("2c7c", "0195", "02", "quectel"),
    ("2c7c", "0296", "02", "quectel"),
    ("2c7c", "0306", "02", "quectel"),
    ("2c7c", "0800", "02", "quectel"),
    ("1199", "68c0", "03", "sierra"),
    ("1199", "9071", "03", "sierra"),
    ("1199", "9079", "03", "sierra"),
    ("1199", "9091", "03", "sierra"),
    ("1bc7", "1003", "02", "telit"),
    ("1bc7", "1006", "02", "telit"),
    ("1bc7", "1004", "03", "telit"),
    ("1bc7", "1005", "03", "telit"),
    ("1bc7", "0021", "06", "telit"),
];

#[test]
fn each_table_entry_names_its_at_port_and_only_that() {
    let rules = parse(RULES);
    for &(vendor, product, at, name) in TABLE {
        for n in 0..8 {
            let ifnum = format!("{n:02}");
            let out = run(&rules, &usb_tty(vendor, product, &ifnum, "", VENDOR_CLASS));
            let expected: Vec<String> = if ifnum == at {
                vec![format!("simfleet/{name}-usb1-1.3")]
            } else {
                vec![]
            };
            assert_eq!(out.symlinks, expected, "{vendor}:{product} interface {ifnum}");
            // Every port of a known modem: ModemManager keeps off, dialout may open.
            assert_eq!(out.env.get("ID_MM_DEVICE_IGNORE").map(String::as_str), Some("1"));
            assert_eq!(
                (out.group.as_deref(), out.mode.as_deref()),
                (Some("dialout"), Some("0660"))
            );
        }
    }
}

#[test]
fn the_usb_serial_names_the_port_when_there_is_one() {
    let rules = parse(RULES);
    let out = run(&rules, &usb_tty("2c7c", "0125", "02", "a1b2c3d4", VENDOR_CLASS));
    assert_eq!(out.symlinks, ["simfleet/quectel-a1b2c3d4"]);
}

#[test]
fn huawei_models_outside_the_table_are_found_by_their_pcui_protocol() {
    let rules = parse(RULES);
    // E3372 in stick mode (12d1:1506): 00 modem (ff/02/01), 01-02 NCM, 03 diag (ff/02/03), 04 PCUI (ff/02/02).
    let port = |ifnum: &str, proto: &str| {
        run(&rules, &usb_tty("12d1", "1506", ifnum, "", ["ff", "02", proto])).symlinks
    };
    assert!(port("00", "01").is_empty());
    assert!(port("03", "03").is_empty());
    assert_eq!(port("04", "02"), ["simfleet/huawei-usb1-1.3"]);
    // Newer numbering: 12 is PCUI, 11 modem, 13 diag.
    let port = |ifnum: &str, proto: &str| {
        run(&rules, &usb_tty("12d1", "1c05", ifnum, "", ["ff", "06", proto])).symlinks
    };
    assert_eq!(port("02", "12"), ["simfleet/huawei-usb1-1.3"]);
    assert!(port("00", "11").is_empty());
    assert!(port("01", "13").is_empty());
    // The table wins for the models it lists: 1001's protocol-02 port that is not 02 gets nothing.
    assert!(
        run(&rules, &usb_tty("12d1", "1001", "00", "", ["ff", "ff", "02"]))
            .symlinks
            .is_empty()
    );
}

#[test]
fn generic_cdc_acm_at_ports_are_named_and_other_serial_devices_untouched() {
    let rules = parse(RULES);
    let acm = run(&rules, &usb_tty("1234", "5678", "00", "XYZ", ["02", "02", "01"]));
    assert_eq!(acm.symlinks, ["simfleet/acm-XYZ"]);
    assert_eq!(acm.env.get("ID_MM_DEVICE_IGNORE").map(String::as_str), Some("1"));
    // u-blox (CDC-ACM too): the first ACM interface.
    let ublox = run(&rules, &usb_tty("1546", "1141", "00", "", ["02", "02", "01"]));
    assert_eq!(ublox.symlinks, ["simfleet/ublox-usb1-1.3"]);
    assert!(
        run(&rules, &usb_tty("1546", "1141", "02", "", ["02", "02", "01"]))
            .symlinks
            .is_empty()
    );
    // An FTDI adapter, an Arduino (ACM without the AT protocol), an unknown ZTE port: nothing at all.
    for sample in [
        usb_tty("0403", "6001", "00", "FT1234", ["ff", "ff", "ff"]),
        usb_tty("2341", "0043", "00", "", ["02", "02", "00"]),
    ] {
        let out = run(&rules, &sample);
        assert_eq!(
            out,
            Outcome {
                env: out.env.clone(),
                ..Outcome::default()
            }
        );
        assert!(!out.env.contains_key("ID_MM_DEVICE_IGNORE"), "{sample:?}");
    }
    let zte_unknown = run(&rules, &usb_tty("19d2", "ffff", "01", "", VENDOR_CLASS));
    assert!(zte_unknown.symlinks.is_empty());
    assert_eq!(zte_unknown.group.as_deref(), Some("dialout"));
}

#[test]
fn every_product_in_the_rules_is_in_the_test_table() {
    // A line added to the rules without a sample here fails this test.
    let mut listed = Vec::new();
    for rule in parse(RULES) {
        let vendor = rule
            .iter()
            .find(|t| t.attr.as_deref() == Some("ID_VENDOR_ID") && t.op == "==");
        let product = rule
            .iter()
            .find(|t| t.attr.as_deref() == Some("ID_MODEL_ID") && t.op == "==");
        if let (Some(v), Some(p)) = (vendor, product) {
            for p in p.value.split('|') {
                listed.push((v.value.clone(), p.to_string()));
            }
        }
    }
    assert!(listed.len() >= 25, "{listed:?}");
    for (v, p) in &listed {
        assert!(
            TABLE.iter().any(|(tv, tp, _, _)| tv == v && tp == p),
            "{v}:{p} is in the rules but has no sample"
        );
    }
}
