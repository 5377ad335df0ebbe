//! Promo codes end to end through the real daemon and simulator: an A/B
//! campaign whose texts carry a promo code and a tracked short link; a
//! redemption through the API and a shop's CSV through `simfleet codes
//! redeem` are attributed to the variant each recipient got (read from
//! the texts the simulator's ledger saw).

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::Sim;
use common::gateway::{Gateway, free_port, write_config};
use serde_json::{Value, json};

const BASE: &str = "https://go.shop.example";

fn wait_status(g: &Gateway, id: &str, status: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
        if c["status"] == status {
            return c;
        }
        assert!(Instant::now() < deadline, "campaign not {status}: {c}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn redemptions_through_the_api_and_a_shop_csv_are_attributed_to_the_right_variant() {
    let s = Sim::start(2, 20);
    let cfg = write_config(
        s.dir.path(),
        free_port(),
        &format!(
            "[campaigns]\nwindow_start = \"00:00\"\nwindow_end = \"24:00\"\n[pricing]\ncurrency = \"EUR\"\n[public]\nbase_url = \"{BASE}/\"\n"
        ),
    );
    let g = Gateway::start(&cfg);
    g.wait_ready_modems(2);
    let phones: Vec<String> = (0..8).map(|i| format!("+7916777{i:04}")).collect();
    for p in &phones {
        let (code, r) = g.call(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": p, "consent": {"status": "opted_in", "source": "shop counter"}})),
        );
        assert!(code == 201 || code == 200, "{code} {r}");
    }
    let (code, c) = g.call(
        "POST",
        "/v1/campaigns",
        Some(json!({"name": "Зимняя распродажа", "audience": {"contacts": phones},
            "variants": [
                {"name": "A", "text": "A: -20% code {{ promo_code }} {{ link(\"https://shop.example/sale\") }}"},
                {"name": "B", "text": "B: 20% off, code {{ promo_code }} {{ link(\"https://shop.example/sale\") }}"}]})),
    );
    assert_eq!(code, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    // The preview counts the short link and the code at their real length.
    let (code, p) = g.call("GET", &format!("/v1/campaigns/{id}/preview"), None);
    assert_eq!(code, 200, "{p}");
    let sample = p["variants"]["A"].to_string();
    assert!(sample.contains(&format!("{BASE}/l/xxxxxxx")), "{sample}");
    let (code, r) = g.call("POST", &format!("/v1/campaigns/{id}/start"), None);
    assert_eq!(code, 200, "{r}");
    wait_status(&g, &id, "completed", Duration::from_secs(60));

    // From the ledger: each recipient's variant, code and short link.
    let mut got: HashMap<String, (String, String)> = HashMap::new();
    for e in s.ledger() {
        let text = e["text"].as_str().unwrap_or("").to_string();
        let variant = text[..1].to_string();
        let code = text
            .split("code ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string();
        assert!(text.contains(&format!("{BASE}/l/")), "{text}");
        got.insert(code, (variant, e["recipient"].as_str().unwrap().to_string()));
    }
    assert_eq!(got.len(), 8, "8 distinct codes: {got:?}");
    let mut codes: Vec<(&String, &(String, String))> = got.iter().collect();
    codes.sort();
    let (code_a, (variant_a, _)) = codes[0];
    let (code_b, (variant_b, _)) = codes[1];

    // Through the API, typed in lower case.
    let (status, r) = g.call(
        "POST",
        &format!("/v1/codes/{}/redeem", code_a.to_lowercase()),
        Some(json!({"order_id": "O-1", "amount": "10.50"})),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["variant"], json!(variant_a));
    assert_eq!(r["campaign_id"], json!(id));

    // A shop's CSV: a new order, the same order again, a row without a
    // code, an unknown code.
    let csv = s.dir.path().join("orders.csv");
    std::fs::write(
        &csv,
        format!(
            "Order ID;Promo code;Total\nO-2;{code_b};20,00\nO-1;{code_a};10,50\nO-4;ZZZZ2222;7\nO-3;;5\n"
        ),
    )
    .unwrap();
    let import = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_simfleet"))
            .args(["codes", "redeem"])
            .arg(&csv)
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), summary)
    };
    let (status, summary) = import();
    assert_eq!(status, Some(1), "bad rows make the exit status 1: {summary}");
    // O-1 was recorded through the API above: a replay, not a new conversion.
    assert_eq!(summary["imported"], json!(1), "{summary}");
    assert_eq!(summary["conversions"], json!(1), "{summary}");
    assert_eq!(summary["already_imported"], json!(1), "{summary}");
    assert_eq!(summary["duplicates"], json!(0), "{summary}");
    // Errors in line order, whether the file or the API refused the row.
    assert_eq!(
        summary["errors"],
        json!(["line 4: no promo code ZZZZ2222", "line 5: no code"]),
        "{summary}"
    );
    // The same file again: nothing new, both orders already imported.
    let (_, again) = import();
    assert_eq!(again["imported"], json!(0), "{again}");
    assert_eq!(again["conversions"], json!(0), "{again}");
    assert_eq!(again["already_imported"], json!(2), "{again}");

    let (_, c) = g.call("GET", &format!("/v1/campaigns/{id}"), None);
    let f = &c["figures"];
    assert_eq!(f["overall"]["conversions"], json!(2), "{f}");
    assert_eq!(f["overall"]["revenue"], json!("30.50"), "{f}");
    assert_eq!(f["overall"]["currency"], json!("EUR"), "{f}");
    let mut want: HashMap<&str, (u64, f64)> = HashMap::new();
    want.entry(variant_a.as_str()).or_default().0 += 1;
    want.entry(variant_a.as_str()).or_default().1 += 10.5;
    want.entry(variant_b.as_str()).or_default().0 += 1;
    want.entry(variant_b.as_str()).or_default().1 += 20.0;
    for (v, (n, revenue)) in want {
        assert_eq!(f["variants"][v]["conversions"], json!(n), "{v}: {f}");
        assert_eq!(
            f["variants"][v]["revenue"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap(),
            revenue,
            "{v}: {f}"
        );
    }

    // With the gateway down: one error, exit status 3, nothing more tried.
    drop(g);
    let (status, down) = import();
    assert_eq!(status, Some(3), "{down}");
    assert_eq!(down["errors"].as_array().map(Vec::len), Some(1), "{down}");
    assert!(
        down["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("line 2: cannot reach the gateway"),
        "{down}"
    );
    assert_eq!(down["not_attempted"], json!(3), "{down}");
}
