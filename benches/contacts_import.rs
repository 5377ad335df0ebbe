//! Importing a contact list on the real binary:
//! `cargo bench --bench contacts_import`.
//!
//! Generates 100,000 rows (names in Cyrillic and Latin, tags, five
//! attributes, consent on some, 1% repeated phones and 1% bad rows: a
//! number that is not one, a birthday that does not exist)
//! to a temporary file, runs `simfleet contacts import` against a fresh
//! database, and reports the wall time and the child's peak RSS
//! (getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest child so far, so
//! each run is its own process). The target is ≤ 5 s and ≤ 64 MB. Then
//! the UTF-8 file again over the now full database (every row an update),
//! then the same rows as Windows-1251 with `;` into an empty database. The
//! CPU time (user + system) of the child is printed beside the wall time:
//! on a shared machine the wall time includes waiting for a core.
//!
//! `-- ROWS` changes the row count.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

const FIRST: [&str; 8] = [
    "Анна",
    "Борис",
    "Елена",
    "Дмитрий",
    "Maria",
    "John",
    "Olga",
    "Sergio",
];
const LAST: [&str; 8] = [
    "Иванова",
    "Петров",
    "Смирнова",
    "Кузнецов",
    "García",
    "Smith",
    "Соколова",
    "López",
];
const CITIES: [&str; 6] = [
    "Москва",
    "Казань",
    "Санкт-Петербург",
    "Madrid",
    "Новосибирск",
    "Екатеринбург",
];
const TAGS: [&str; 5] = ["vip", "опт", "newsletter", "розница", "staff"];

/// A small deterministic generator (no dependency, same file every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() as usize) % from.len()]
    }
}

fn generate(rows: usize, sep: char) -> String {
    let mut r = Lcg(42);
    let mut out = String::with_capacity(rows * 140);
    let s = sep;
    out.push_str(&format!(
        "phone{s}name{s}tags{s}consent{s}consent_at{s}consent_source{s}city{s}birthday{s}spent{s}vip{s}visits\n"
    ));
    for i in 0..rows {
        let n = if i % 100 == 99 {
            // A repeat of an earlier row's phone.
            r.next() as usize % i
        } else {
            i
        };
        let phone = if i % 200 == 150 {
            format!("not-a-number-{i}")
        } else {
            format!("+7916{:07}", n)
        };
        let name = format!("{} {}", r.pick(&FIRST), r.pick(&LAST));
        let tags = if r.next().is_multiple_of(3) {
            format!("\"{};{}\"", r.pick(&TAGS), r.pick(&TAGS))
        } else {
            r.pick(&TAGS).to_string()
        };
        let (consent, at, source) = match r.next() % 10 {
            0..=5 => (
                "opted_in",
                format!("2025-{:02}-{:02}", 1 + r.next() % 12, 1 + r.next() % 28),
                "web form",
            ),
            6 => ("none", String::new(), ""),
            _ => ("", String::new(), ""),
        };
        let birthday = format!(
            "{:02}.{:02}.{}",
            1 + r.next() % 28,
            1 + r.next() % 12,
            1950 + r.next() % 55
        );
        let spent = format!("{},{:02}", r.next() % 100_000, r.next() % 100);
        // A date that does not exist: a bad row (birthday is typed as a date).
        let birthday = if i % 200 == 120 {
            "31.02.1990".to_string()
        } else {
            birthday
        };
        let vip = if r.next().is_multiple_of(2) { "yes" } else { "no" };
        let visits = r.next() % 500;
        let city = r.pick(&CITIES);
        let spent = if sep == ',' { format!("\"{spent}\"") } else { spent };
        out.push_str(&format!(
            "{phone}{s}{name}{s}{tags}{s}{consent}{s}{at}{s}{source}{s}{city}{s}{birthday}{s}{spent}{s}{vip}{s}{visits}\n"
        ));
    }
    out
}

/// CPU seconds (user + system) of the children that have ended.
fn children_cpu() -> f64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| {
            let t = |v: nix::sys::time::TimeVal| v.tv_sec() as f64 + v.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0.0)
}

fn peak_rss_kib() -> i64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss())
        .unwrap_or(-1)
}

fn run(label: &str, dir: &std::path::Path, config: &std::path::Path, file: &std::path::Path, types: &str) {
    let cpu = children_cpu();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["contacts", "import", "--json", "--types", types])
        .arg(file)
        .arg("--config")
        .arg(config)
        .output()
        .expect("run simfleet");
    let took = started.elapsed();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{label}: no report; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let _ = dir;
    println!(
        "{label}: {:.2} s wall, {:.2} s CPU, peak RSS {:.1} MB (exit {:?}); rows {} created {} updated {} merged {} bad {} ({})",
        took.as_secs_f64(),
        children_cpu() - cpu,
        peak_rss_kib() as f64 / 1024.0,
        out.status.code(),
        report["rows"],
        report["created"],
        report["updated"],
        report["merged_duplicates"],
        report["bad_rows"],
        report["encoding"],
    );
}

fn main() {
    let rows: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("simfleet.toml");
    let write_config = |db: &str| {
        std::fs::write(
            &config,
            format!(
                "[storage]\npath = \"{}\"\n[sending]\ndefault_region = \"RU\"\n",
                dir.path().join(db).display()
            ),
        )
        .unwrap();
    };
    let utf8 = dir.path().join("contacts.csv");
    let text = generate(rows, ',');
    let mut f = std::fs::File::create(&utf8).unwrap();
    f.write_all(&[0xEF, 0xBB, 0xBF]).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    drop(f);
    let cp1251 = dir.path().join("contacts-1251.csv");
    // Windows-1251 has no Spanish accents: a real file could not hold them.
    let semicolons = generate(rows, ';').replace('í', "i").replace('ó', "o");
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&semicolons);
    std::fs::write(&cp1251, &bytes).unwrap();
    println!(
        "{rows} rows: UTF-8 file {:.1} MB, Windows-1251 file {:.1} MB",
        std::fs::metadata(&utf8).unwrap().len() as f64 / 1e6,
        bytes.len() as f64 / 1e6
    );
    let types = "birthday=date,visits=number";
    write_config("a.sqlite");
    run(
        "utf-8 ',' into an empty database",
        dir.path(),
        &config,
        &utf8,
        types,
    );
    run("utf-8 ',' again (all updates)", dir.path(), &config, &utf8, types);
    write_config("b.sqlite");
    run(
        "windows-1251 ';' into an empty database",
        dir.path(),
        &config,
        &cp1251,
        types,
    );
}
