//! Any bytes as a contact CSV file: detection, the scan and the rows never
//! panic, and every data row is either handed on or reported bad.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use simfleet::contacts::csv_import::{self, ImportOptions};

fuzz_target!(|data: &[u8]| {
    let opts = ImportOptions {
        file_name: "fuzz.csv".into(),
        region: "RU".parse().unwrap(),
        encoding: None,
        delimiter: None,
        types: BTreeMap::new(),
        columns: BTreeMap::new(),
        now: 1_800_000_000_000,
    };
    let encoding = csv_import::detect_encoding(data).unwrap();
    if let Ok(plan) = csv_import::scan(data, encoding, &opts, &BTreeMap::new()) {
        let mut handed = 0u64;
        csv_import::rows(data, &plan, &opts, |_| {
            handed += 1;
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(handed + plan.report.bad_rows, plan.report.rows);
    }
});
