//! `simfleet codes redeem FILE`: a shop's export of orders that used promo
//! codes, imported as redemptions through the running gateway's API
//! (`POST /v1/codes/{code}/redeem`, so each is idempotent per order and
//! counted once per code as the API counts it).
//!
//! The CSV: columns for the code, the order and the amount, found by
//! their header names read loosely (case, spaces, `_`, `-`, `#` ignored:
//! `Promo code`, `coupon`, `Order ID`, `order #`, `Total`, `amount`…), or
//! without a header `code,order_id,amount` in that order; `,` or `;`
//! between fields (whichever the first line has more of); a decimal
//! comma in amounts (`49,90`, `1 234,50`) is read as a point. A bad row is
//! reported with its line and why and the rest is imported; a summary
//! ends the run (see [`redeem`]). Exit status: 0 all rows in, 1 some rows
//! refused, 3 the gateway could not be reached (the run stops at the first
//! connection failure; run it again later, nothing is counted twice).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::client::{Api, ConfigArg};

/// `simfleet codes ...`.
#[derive(Debug, Subcommand)]
pub enum CodesCommand {
    /// Import redemptions of promo codes from a shop's CSV (columns code,
    /// order_id, amount).
    Redeem(RedeemArgs),
}

/// Arguments of `simfleet codes redeem`.
#[derive(Debug, Args)]
pub struct RedeemArgs {
    /// The CSV file (`-` for standard input).
    pub file: PathBuf,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// One redemption read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line it starts on (1-based).
    pub line: u64,
    /// The code as written.
    pub code: String,
    /// The order, if given.
    pub order_id: Option<String>,
    /// The amount as a decimal string with a point, if given.
    pub amount: Option<String>,
}

/// A file read: the rows to import and the lines refused with why.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Rows to import, in order.
    pub rows: Vec<Row>,
    /// `line N: why`.
    pub bad: Vec<String>,
}

fn key(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Code,
    Order,
    Amount,
}

fn column(header: &str) -> Option<Col> {
    let k = key(header);
    match k.as_str() {
        "code" | "promocode" | "promo" | "coupon" | "couponcode" | "discountcode" | "voucher"
        | "vouchercode" | "codes" | "promokod" | "промокод" | "код" | "cupon" | "codigo" => {
            Some(Col::Code)
        }
        "orderid"
        | "order"
        | "ordernumber"
        | "orderno"
        | "ordernum"
        | "orderref"
        | "orderreference"
        | "id"
        | "заказ"
        | "номерзаказа"
        | "pedido" => Some(Col::Order),
        "amount" | "total" | "ordertotal" | "sum" | "revenue" | "value" | "price" | "grandtotal"
        | "subtotal" | "сумма" | "importe" => Some(Col::Amount),
        _ => None,
    }
}

/// Reads an amount as written by a shop: a decimal with a point or a
/// comma, spaces as thousands separators; at least 0.
pub fn read_amount(s: &str) -> Result<Option<String>, String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    let t = normalize_separators(&t).map_err(|why| format!("amount {:?}: {why}", s.trim()))?;
    match crate::api::codes::parse_amount(&Value::String(t.clone())) {
        Ok(Some(d)) => Ok(Some(d.to_string())),
        Ok(None) => Ok(None),
        Err(e) => Err(format!("amount {:?}: {e}", s.trim())),
    }
}

/// Rewrites an amount's separators to a plain `1234.56`: when both `.`
/// and `,` appear, the last one is the decimal mark and the other groups
/// thousands (groups of exactly 3 digits); a single separator followed by
/// exactly 3 digits ("1,234", "1.234") could be either and is refused.
fn normalize_separators(t: &str) -> Result<String, String> {
    let last = t.rfind(['.', ',']);
    let Some(last) = last else {
        return Ok(t.to_string());
    };
    let mark = &t[last..last + 1];
    let (int, frac) = (&t[..last], &t[last + 1..]);
    let other = if mark == "." { ',' } else { '.' };
    if int.contains(mark) {
        // The same separator twice: thousands only ("1.234.567").
        let groups: Vec<&str> = t.split(mark).collect();
        if int.contains(other) || !thousands_ok(&groups) {
            return Err("separators are not in groups of 3 digits".into());
        }
        return Ok(groups.concat());
    }
    if int.contains(other) {
        let groups: Vec<&str> = int.split(other).collect();
        if !thousands_ok(&groups) {
            return Err(format!(
                "{other:?} as a thousands separator needs groups of 3 digits"
            ));
        }
        return Ok(format!("{}.{frac}", groups.concat()));
    }
    if frac.len() == 3 && frac.chars().all(|c| c.is_ascii_digit()) && !int.is_empty() {
        return Err(format!(
            "ambiguous: {mark:?} could be a thousands separator or a decimal mark (write {int}{frac} or {int}.{frac})"
        ));
    }
    Ok(format!("{int}.{frac}"))
}

/// `groups` are thousands groups: the first 1–3 digits, the rest exactly 3.
fn thousands_ok(groups: &[&str]) -> bool {
    let digits = |g: &str| g.chars().all(|c| c.is_ascii_digit());
    match groups.split_first() {
        Some((first, rest)) => {
            let first = first.trim_start_matches(['-', '+']);
            (1..=3).contains(&first.len()) && digits(first) && rest.iter().all(|g| g.len() == 3 && digits(g))
        }
        None => false,
    }
}

/// Reads the CSV (see the module's doc): rows and bad lines.
pub fn parse(mut input: impl Read) -> anyhow::Result<Parsed> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).context("reading the CSV")?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // Lines from byte offsets (the reader skips blank lines uncounted).
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let line_at = |byte: u64| {
        // A record's position may be the blank lines before it.
        let mut b = byte as usize;
        while matches!(text.as_bytes().get(b), Some(b'\n' | b'\r')) {
            b += 1;
        }
        1 + newlines.partition_point(|&n| n < b) as u64
    };
    let mut out = Parsed::default();
    let mut columns: Option<(usize, Option<usize>, Option<usize>)> = None;
    let mut seen_first = false;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                out.bad.push(format!("line {line}: not readable as CSV ({e})"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.iter().all(str::is_empty) || record.get(0).is_some_and(|f| f.starts_with('#')) {
            continue;
        }
        if !seen_first {
            seen_first = true;
            let cols: Vec<Option<Col>> = record.iter().map(column).collect();
            if let Some(code) = cols.iter().position(|c| *c == Some(Col::Code)) {
                columns = Some((
                    code,
                    cols.iter().position(|c| *c == Some(Col::Order)),
                    cols.iter().position(|c| *c == Some(Col::Amount)),
                ));
                continue;
            }
            if cols.iter().any(Option::is_some) {
                anyhow::bail!("line {line}: the header names no code column (code, promo code, coupon…)");
            }
            columns = Some((0, Some(1), Some(2)));
        }
        let Some((c, o, a)) = columns else { continue };
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|f| !f.is_empty());
        let Some(code) = field(Some(c)) else {
            out.bad.push(format!("line {line}: no code"));
            continue;
        };
        if let Err(e) = crate::attribution::codes::normalize(code) {
            out.bad.push(format!("line {line}: code {code:?}: {e}"));
            continue;
        }
        let order_id = field(o).map(str::to_string);
        if let Some(order) = &order_id
            && let Err(e) = crate::api::codes::parse_order_id(&Value::String(order.clone()))
        {
            out.bad.push(format!("line {line}: {e}"));
            continue;
        }
        let amount = match field(a).map(read_amount).transpose() {
            Ok(a) => a.flatten(),
            Err(e) => {
                out.bad.push(format!("line {line}: {e}"));
                continue;
            }
        };
        out.rows.push(Row {
            line,
            code: code.to_string(),
            order_id,
            amount,
        });
    }
    Ok(out)
}

/// The path segment of a code (letters, digits, spaces and dashes only
/// pass [`crate::attribution::codes::normalize`]; spaces are encoded).
fn code_path(code: &str) -> String {
    code.trim().replace(' ', "%20")
}

/// How a `codes redeem` run ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every row went in (exit 0).
    Clean,
    /// Some rows were refused, the rest went in (exit 1).
    Refused,
    /// The gateway could not be reached; the run stopped there (exit 3).
    Unreachable,
}

impl Outcome {
    /// The exit status: 0, 1, or 3 for an unreachable gateway.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Refused => 1,
            Outcome::Unreachable => 3,
        }
    }
}

/// The line number a `line N: …` error starts with.
fn line_of(error: &str) -> u64 {
    error
        .strip_prefix("line ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Runs `simfleet codes redeem FILE`: imports every good row through the
/// API; returns the summary and how it ended. The summary: `rows`,
/// `imported` (recorded by this run), `conversions` (counted by this run),
/// `duplicates` (codes redeemed before by another order), `already_imported`
/// (orders this gateway had already recorded: the API answered with
/// `Idempotent-Replayed: true`, so running the same file twice counts
/// nothing twice), `refused` and `errors` (in line order). When the
/// gateway cannot be reached the run stops at once with that one error,
/// `stopped_at_line` and `not_attempted`.
pub async fn redeem(args: &RedeemArgs) -> anyhow::Result<(Value, Outcome)> {
    let parsed = if args.file.as_os_str() == "-" {
        parse(std::io::stdin().lock())?
    } else {
        let f = std::fs::File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        parse(f)?
    };
    let api = Api::from_config(&args.config)?;
    let mut counted = 0u64;
    let mut duplicates = 0u64;
    let mut replayed = 0u64;
    let mut refused: Vec<String> = parsed.bad.clone();
    for (i, row) in parsed.rows.iter().enumerate() {
        let mut body = serde_json::Map::new();
        if let Some(o) = &row.order_id {
            body.insert("order_id".into(), json!(o));
        }
        if let Some(a) = &row.amount {
            body.insert("amount".into(), json!(a));
        }
        let path = format!("/v1/codes/{}/redeem", code_path(&row.code));
        match api
            .call_replay(reqwest::Method::POST, &path, Some(Value::Object(body)))
            .await
        {
            Ok((_, true)) => replayed += 1,
            Ok((v, false)) if v["duplicate"] == json!(true) => duplicates += 1,
            Ok(_) => counted += 1,
            Err(e) if e.downcast_ref::<super::client::Unreachable>().is_some() => {
                return Ok((
                    json!({
                        "rows": parsed.rows.len() + parsed.bad.len(),
                        "imported": counted + duplicates,
                        "conversions": counted,
                        "duplicates": duplicates,
                        "already_imported": replayed,
                        "stopped_at_line": row.line,
                        "not_attempted": parsed.rows.len() - i,
                        "errors": [format!("line {}: {e}", row.line)],
                    }),
                    Outcome::Unreachable,
                ));
            }
            Err(e) => refused.push(format!("line {}: {e}", row.line)),
        }
    }
    refused.sort_by_key(|e| line_of(e));
    let outcome = if refused.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Refused
    };
    Ok((
        json!({
            "rows": parsed.rows.len() + parsed.bad.len(),
            "imported": counted + duplicates,
            "conversions": counted,
            "duplicates": duplicates,
            "already_imported": replayed,
            "refused": refused.len(),
            "errors": refused,
        }),
        outcome,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shop_export_with_loose_headers_semicolons_and_a_bad_row() {
        let csv = "\u{feff}Order #;Promo Code;Total\n1001;ab2c-d3ef;49,90\n1002;;10\n1003;XY34ZZ99;ten\n1004;XY34ZZ99;1 234,50\n\n1005;QQ22RR33;\n";
        let p = parse(csv.as_bytes()).unwrap();
        assert_eq!(
            p.rows,
            vec![
                Row {
                    line: 2,
                    code: "ab2c-d3ef".into(),
                    order_id: Some("1001".into()),
                    amount: Some("49.9".into())
                },
                Row {
                    line: 5,
                    code: "XY34ZZ99".into(),
                    order_id: Some("1004".into()),
                    amount: Some("1234.5".into())
                },
                Row {
                    line: 7,
                    code: "QQ22RR33".into(),
                    order_id: Some("1005".into()),
                    amount: None
                },
            ]
        );
        assert_eq!(
            p.bad,
            vec![
                "line 3: no code".to_string(),
                "line 4: amount \"ten\": amount: \"ten\" is not a decimal number".to_string()
            ]
        );
    }

    #[test]
    fn the_last_separator_is_the_decimal_mark_and_three_digits_alone_are_ambiguous() {
        let ok = |s: &str| read_amount(s).unwrap();
        assert_eq!(ok("1.234,56").as_deref(), Some("1234.56"));
        assert_eq!(ok("1,234.56").as_deref(), Some("1234.56"));
        assert_eq!(ok("1.234.567,5").as_deref(), Some("1234567.5"));
        assert_eq!(ok("1 234,56").as_deref(), Some("1234.56"));
        assert_eq!(ok("1\u{a0}234.56").as_deref(), Some("1234.56"));
        assert_eq!(ok("1.234.567").as_deref(), Some("1234567"));
        assert_eq!(ok("49,90").as_deref(), Some("49.9"));
        assert_eq!(ok("12.5").as_deref(), Some("12.5"));
        assert_eq!(ok("1234").as_deref(), Some("1234"));
        for s in ["1,234", "1.234"] {
            let e = read_amount(s).unwrap_err();
            assert!(
                e.contains("ambiguous") && e.contains("write 1234 or 1.234"),
                "{s}: {e}"
            );
        }
        for s in ["12,34.56", "1.23,45", "1,2345.6", "1e3"] {
            assert!(read_amount(s).is_err(), "{s}");
        }
        let p = parse("code,order,amount\nAB2CD3EF,1,\"1,234\"\n".as_bytes()).unwrap();
        assert!(p.rows.is_empty());
        assert!(
            p.bad[0].starts_with("line 2: amount \"1,234\": ambiguous"),
            "{:?}",
            p.bad
        );
    }

    #[test]
    fn without_a_header_the_columns_are_code_order_amount() {
        let p = parse("AB2CD3EF,SO-1,12.00\nAB2CD3EG,SO-2,\"1,234.50\"\n".as_bytes()).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[1].amount.as_deref(), Some("1234.5"));
        assert!(p.bad.is_empty());
        let e = parse("order,total\n1,2\n".as_bytes()).unwrap_err().to_string();
        assert!(e.contains("no code column"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn any_input_is_read_without_panicking(s in "\\PC{0,200}") {
            let _ = parse(s.as_bytes());
        }

        #[test]
        fn rows_of_any_fields_are_either_imported_or_reported(fields in proptest::collection::vec("[a-zA-Z0-9 ,.;-]{0,12}", 3..30)) {
            let mut csv = String::from("code,order_id,amount\n");
            for chunk in fields.chunks(3) {
                csv.push_str(&chunk.iter().map(|f| format!("\"{}\"", f)).collect::<Vec<_>>().join(","));
                csv.push('\n');
            }
            let p = parse(csv.as_bytes()).unwrap();
            let nonblank = fields.chunks(3).filter(|c| !c.iter().all(|f| f.trim().is_empty())).count();
            proptest::prop_assert!(p.rows.len() + p.bad.len() <= nonblank);
        }
    }
}
