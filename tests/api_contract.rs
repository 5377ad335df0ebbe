//! The OpenAPI document is the contract: every answer the API gives,
//! including the ones axum's extractors and router would otherwise write
//! themselves (415, 405, 413, 422, an unreadable path, a bad query), is a
//! JSON error `{"error": {"code", "message"}}` with a status the document
//! lists for that operation; response bodies have typed schemas; request
//! schemas carry the limits the handlers enforce.
//!
//! `.ci/schemathesis.sh` fuzzes the same contract from outside; these are
//! its findings, kept as regression tests.

use std::sync::Arc;

use serde_json::{Value, json};
use simfleet::api::{self, Accepting, AppState, Token};
use simfleet::dispatch::{DispatchConfig, Dispatcher, SystemClock};
use simfleet::store::Store;

const TOKEN: &str = "t0ken";

async fn serve() -> String {
    let store = Store::open_in_memory().unwrap();
    let dispatcher =
        Dispatcher::new(store.clone(), Arc::new(SystemClock), DispatchConfig::default()).unwrap();
    let state = AppState {
        store,
        dispatcher,
        token: Token::new(TOKEN),
        clock: Arc::new(SystemClock),
        accepting: Accepting {
            validity_minutes: None,
            region: "RU".parse().unwrap(),
            status_reports: true,
            split: Default::default(),
        },
        contacts: simfleet::contacts::ContactRules::defaults("RU".parse().unwrap()),
        campaigns: simfleet::campaigns::CampaignRules::defaults("RU".parse().unwrap()),
        pricing: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api::router(state)).await });
    base
}

struct Answer {
    status: u16,
    allow: Option<String>,
    content_type: Option<String>,
    body: Value,
    text: String,
}

/// One request, the body sent exactly as given (`content_type` None: no header).
async fn send(
    base: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Answer {
    let client = simfleet::tls::http_client().build().unwrap();
    let mut req = client
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .bearer_auth(TOKEN);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (status, allow, content_type) = (resp.status().as_u16(), header("allow"), header("content-type"));
    let text = resp.text().await.unwrap();
    Answer {
        status,
        allow,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// The statuses the document lists for `method path`.
fn documented(spec: &Value, method: &str, path: &str) -> Vec<u16> {
    spec["paths"][path][method.to_lowercase()]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is not documented"))
        .keys()
        .map(|k| k.parse().unwrap())
        .collect()
}

/// Asserts a JSON error with `status` and `code`, and (when the path is an
/// operation) that the document lists that status for it.
fn assert_error(a: &Answer, status: u16, code: &str, op: Option<(&Value, &str, &str)>) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(
        a.content_type.as_deref(),
        Some("application/json"),
        "a {status} must be JSON: {:?}",
        a.text
    );
    assert_eq!(a.body["error"]["code"], code, "{}", a.text);
    assert!(
        a.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        a.text
    );
    if let Some((spec, method, path)) = op {
        assert!(
            documented(spec, method, path).contains(&status),
            "{method} {path} answers {status}, which its document does not list"
        );
    }
}

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn a_body_not_sent_as_json_is_a_documented_json_415_on_every_body_route() {
    let base = serve().await;
    let spec = serde_json::to_value(api::openapi()).unwrap();
    for (path, doc) in [
        ("/v1/messages", "/v1/messages"),
        ("/v1/messages/batch", "/v1/messages/batch"),
        ("/v1/optouts", "/v1/optouts"),
        ("/v1/optouts/review/1", "/v1/optouts/review/{id}"),
        ("/v1/surveys", "/v1/surveys"),
        ("/v1/campaigns", "/v1/campaigns"),
    ] {
        for ct in [None, Some("text/plain")] {
            let a = send(&base, "POST", path, ct, Some(br#"{"messages": []}"#.to_vec())).await;
            assert_error(&a, 415, "bad_content_type", Some((&spec, "POST", doc)));
        }
    }
    // The batch route reads its body itself: it takes what the Json extractor takes.
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.api+json",
    ] {
        let a = send(
            &base,
            "POST",
            "/v1/messages/batch",
            Some(ct),
            Some(br#"{"messages": []}"#.to_vec()),
        )
        .await;
        assert_eq!(a.status, 202, "{ct}: {}", a.text);
    }
}

#[tokio::test]
async fn an_unserved_method_is_a_json_405_with_allow() {
    let base = serve().await;
    for (method, path, allowed) in [
        ("PUT", "/v1/messages", ["GET", "POST"].as_slice()),
        ("PATCH", "/v1/messages/1", &["GET", "DELETE"]),
        ("GET", "/v1/messages/batch", &["POST"]),
        ("DELETE", "/v1/surveys", &["POST"]),
        ("POST", "/healthz", &["GET"]),
        ("POST", "/v1/openapi.json", &["GET"]),
    ] {
        let a = send(&base, method, path, JSON, Some(b"{}".to_vec())).await;
        assert_error(&a, 405, "method_not_allowed", None);
        let allow = a.allow.unwrap_or_else(|| panic!("{method} {path}: no Allow"));
        for m in allowed {
            assert!(allow.contains(m), "{method} {path}: Allow {allow}");
        }
    }
}

#[tokio::test]
async fn an_unreadable_path_segment_is_a_documented_json_400() {
    let base = serve().await;
    let spec = serde_json::to_value(api::openapi()).unwrap();
    for (method, path, doc) in [
        ("GET", "/v1/messages/%FF", "/v1/messages/{id}"),
        ("DELETE", "/v1/messages/%C3%28", "/v1/messages/{id}"),
        ("GET", "/v1/optouts/%FF%FE", "/v1/optouts/{number}"),
        ("DELETE", "/v1/optouts/%80", "/v1/optouts/{number}"),
        ("POST", "/v1/optouts/review/%FF", "/v1/optouts/review/{id}"),
        ("GET", "/v1/surveys/%FF", "/v1/surveys/{id}"),
        ("GET", "/v1/surveys/%FF/votes", "/v1/surveys/{id}/votes"),
        ("POST", "/v1/surveys/%FF/close", "/v1/surveys/{id}/close"),
        ("GET", "/v1/campaigns/%FF", "/v1/campaigns/{id}"),
        ("PATCH", "/v1/campaigns/%FF", "/v1/campaigns/{id}"),
        ("POST", "/v1/campaigns/%FF/start", "/v1/campaigns/{id}/start"),
        ("POST", "/v1/campaigns/%FF/pause", "/v1/campaigns/{id}/pause"),
        ("POST", "/v1/campaigns/%FF/resume", "/v1/campaigns/{id}/resume"),
        ("POST", "/v1/campaigns/%FF/cancel", "/v1/campaigns/{id}/cancel"),
    ] {
        let a = send(
            &base,
            method,
            path,
            JSON,
            Some(br#"{"action": "dismiss"}"#.to_vec()),
        )
        .await;
        assert_error(&a, 400, "bad_path", Some((&spec, method, doc)));
    }
}

#[tokio::test]
async fn an_oversized_body_is_a_documented_json_413_on_every_body_route() {
    let base = serve().await;
    let spec = serde_json::to_value(api::openapi()).unwrap();
    // A JSON string just over each route's limit: 256 KiB for one
    // message, axum's 2 MiB default for the other JSON routes.
    let big = |n: usize| format!(r#"{{"note": "{}"}}"#, "x".repeat(n)).into_bytes();
    for (path, doc, size) in [
        ("/v1/messages", "/v1/messages", 300 * 1024),
        ("/v1/optouts", "/v1/optouts", 3 << 20),
        ("/v1/optouts/review/1", "/v1/optouts/review/{id}", 3 << 20),
        ("/v1/surveys", "/v1/surveys", 3 << 20),
        ("/v1/messages/batch", "/v1/messages/batch", 33 << 20),
        // A campaign may list 100,000 numbers: 8 MiB.
        ("/v1/campaigns", "/v1/campaigns", 9 << 20),
    ] {
        let a = send(&base, "POST", path, JSON, Some(big(size))).await;
        assert_error(&a, 413, "body_too_large", Some((&spec, "POST", doc)));
    }
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_documented_json_422_and_bad_json_a_400() {
    let base = serve().await;
    let spec = serde_json::to_value(api::openapi()).unwrap();
    for (path, doc, body) in [
        ("/v1/messages/batch", "/v1/messages/batch", "[null, null]"),
        ("/v1/messages/batch", "/v1/messages/batch", r#"{"messages": 3}"#),
        ("/v1/messages", "/v1/messages", r#"{"to": 5, "text": "x"}"#),
        (
            "/v1/optouts",
            "/v1/optouts",
            r#"{"number": "+79161234567", "extra": 1}"#,
        ),
        ("/v1/surveys", "/v1/surveys", r#"{"question": "q"}"#),
    ] {
        let a = send(&base, "POST", path, JSON, Some(body.as_bytes().to_vec())).await;
        assert_error(&a, 422, "invalid_request", Some((&spec, "POST", doc)));
    }
    for (path, doc) in [
        ("/v1/messages/batch", "/v1/messages/batch"),
        ("/v1/messages", "/v1/messages"),
        ("/v1/optouts", "/v1/optouts"),
        ("/v1/surveys", "/v1/surveys"),
        ("/v1/campaigns", "/v1/campaigns"),
    ] {
        let a = send(&base, "POST", path, JSON, Some(b"{not json".to_vec())).await;
        assert_error(&a, 400, "bad_json", Some((&spec, "POST", doc)));
    }
}

#[tokio::test]
async fn queries_outside_the_documented_ranges_are_refused_not_bent() {
    let base = serve().await;
    let spec = serde_json::to_value(api::openapi()).unwrap();
    for path in [
        "/v1/messages",
        "/v1/inbox",
        "/v1/optouts",
        "/v1/optouts/review",
        "/v1/events",
        "/v1/campaigns",
    ] {
        for query in [
            "limit=0",
            "limit=1001",
            "limit=-1",
            "after=-1",
            "after=%2B5",
            "after=1234567890123456789",
            "after=x",
        ] {
            let a = send(&base, "GET", &format!("{path}?{query}"), None, None).await;
            assert_error(&a, 400, "bad_query", Some((&spec, "GET", path)));
        }
        for query in ["limit=1", "limit=1000", "after=", "after=0&limit=5"] {
            let a = send(&base, "GET", &format!("{path}?{query}"), None, None).await;
            assert_eq!(a.status, 200, "{path}?{query}: {}", a.text);
        }
    }
    for query in ["status=", "status=QUEUED", "status=nope"] {
        let a = send(&base, "GET", &format!("/v1/messages?{query}"), None, None).await;
        assert_error(&a, 400, "bad_query", Some((&spec, "GET", "/v1/messages")));
    }
}

/// Every JSON response schema names its fields: a `$ref`, an array of
/// `$ref`s, or an object with properties; never a bare `object`.
#[test]
fn every_response_body_has_a_typed_schema() {
    let spec = serde_json::to_value(api::openapi()).unwrap();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                let Some(schema) = resp["content"]["application/json"].get("schema") else {
                    continue;
                };
                let typed = schema.get("$ref").is_some()
                    || schema["items"].get("$ref").is_some()
                    || schema.get("properties").is_some();
                assert!(typed, "{method} {path} {status}: untyped {schema}");
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "{checked}");
    // The shapes clients rely on, spelled out.
    let schemas = &spec["components"]["schemas"];
    for (name, fields) in [
        (
            "InboxView",
            &[
                "id",
                "from",
                "text",
                "received_at",
                "modem",
                "imsi",
                "parts",
                "incomplete",
                "kind",
                "undecodable",
                "error",
                "pdu",
            ][..],
        ),
        ("OptOutView", &["number", "source", "keyword", "note", "at"]),
        (
            "ReviewView",
            &[
                "id",
                "number",
                "text",
                "keyword",
                "received_at",
                "inbox_id",
                "resolved_at",
                "decision",
            ],
        ),
        (
            "SurveyView",
            &[
                "id",
                "question",
                "status",
                "count",
                "recipients",
                "delivered",
                "responded",
                "results",
                "comments",
                "response_rate",
                "created_at",
                "closes_at",
                "closed_at",
            ],
        ),
        (
            "ModemView",
            &[
                "id",
                "port",
                "state",
                "manufacturer",
                "model",
                "imei",
                "imsi",
                "iccid",
                "number",
                "operator",
                "signal_dbm",
                "sent_today",
                "daily_limit",
                "daily_limit_today",
                "daily_left",
                "sent_month",
                "monthly_limit",
                "monthly_left",
                "recipients_month",
                "unique_recipients_per_month",
                "unique_recipients_left",
                "warm_up_day",
                "last_error",
            ],
        ),
        ("ErrorResponse", &["error"]),
        ("BatchAnswer", &["results"]),
    ] {
        let props = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no schema {name}"));
        let got: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut want = fields.to_vec();
        want.sort_unstable();
        let mut got_sorted = got.clone();
        got_sorted.sort_unstable();
        assert_eq!(got_sorted, want, "{name}");
    }
}

#[test]
fn request_schemas_carry_the_limits_the_handlers_enforce() {
    let spec = serde_json::to_value(api::openapi()).unwrap();
    let s = &spec["components"]["schemas"];
    let key = &s["MessageRequest"]["properties"]["idempotency_key"];
    assert_eq!(
        (key["minLength"].as_u64(), key["maxLength"].as_u64()),
        (Some(1), Some(200)),
        "{key}"
    );
    assert_eq!(s["MessageRequest"]["properties"]["to"]["minLength"], 1);
    assert_eq!(s["MessageRequest"]["properties"]["text"]["minLength"], 1);
    assert_eq!(s["OptOutRequest"]["properties"]["number"]["minLength"], 1);
    assert_eq!(s["SurveyRequest"]["properties"]["options"]["minProperties"], 2);
    assert_eq!(s["SurveyRequest"]["properties"]["recipients"]["minItems"], 1);
    assert_eq!(s["DecisionAction"]["enum"], json!(["opt_out", "dismiss"]));
    assert_eq!(s["CountName"]["enum"], json!(["first", "last"]));
    let statuses: Vec<String> = simfleet::store::Status::ALL
        .iter()
        .map(|st| st.as_str().to_string())
        .collect();
    assert_eq!(s["Status"]["enum"], json!(statuses));
    for path in [
        "/v1/messages",
        "/v1/inbox",
        "/v1/optouts",
        "/v1/optouts/review",
        "/v1/events",
    ] {
        let params = spec["paths"][path]["get"]["parameters"].as_array().unwrap();
        let find = |n: &str| params.iter().find(|p| p["name"] == n).unwrap()["schema"].clone();
        let limit = find("limit");
        assert_eq!(
            (limit["minimum"].as_u64(), limit["maximum"].as_u64()),
            (Some(1), Some(1000)),
            "{path}"
        );
        assert!(
            find("after")["pattern"]
                .as_str()
                .is_some_and(|p| p.starts_with("^([0-9]{0,18}") || p == "^[0-9]{0,18}$"),
            "{path}"
        );
    }
    let status = spec["paths"]["/v1/messages"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap()
        .clone();
    assert!(
        status.to_string().contains("#/components/schemas/Status"),
        "{status}"
    );
}

#[tokio::test]
async fn an_idempotency_key_is_measured_in_characters_as_the_schema_says() {
    let base = serve().await;
    let post = |key: String| {
        let base = base.clone();
        async move {
            let body = json!({"to": "+79161234567", "text": "hi", "idempotency_key": key});
            send(
                &base,
                "POST",
                "/v1/messages",
                JSON,
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    // 200 Cyrillic letters are 400 bytes: within maxLength 200.
    assert_eq!(post("я".repeat(200)).await.status, 202);
    let a = post("я".repeat(201)).await;
    assert_error(&a, 422, "invalid_idempotency_key", None);
}

#[tokio::test]
async fn a_survey_option_key_with_spaces_around_it_is_refused_not_trimmed() {
    let base = serve().await;
    let body =
        json!({"question": "Come?", "options": {"1": "Yes", " 1": "No"}, "recipients": ["+79161234567"]});
    let a = send(
        &base,
        "POST",
        "/v1/surveys",
        JSON,
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_error(&a, 422, "invalid_options", None);
    let body =
        json!({"question": "Come?", "options": {"да": "Yes", "нет": "No"}, "recipients": ["+79161234567"]});
    let a = send(
        &base,
        "POST",
        "/v1/surveys",
        JSON,
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

/// A request that outlives the whole-request deadline gets its 408 from a
/// tower layer, not from our handlers: the same JSON error format.
#[tokio::test]
async fn a_request_timeout_is_a_json_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = Store::open_in_memory().unwrap();
    let dispatcher =
        Dispatcher::new(store.clone(), Arc::new(SystemClock), DispatchConfig::default()).unwrap();
    let state = AppState {
        store,
        dispatcher,
        token: Token::new(TOKEN),
        clock: Arc::new(SystemClock),
        accepting: Accepting {
            validity_minutes: None,
            region: "RU".parse().unwrap(),
            status_reports: true,
            split: Default::default(),
        },
        contacts: simfleet::contacts::ContactRules::defaults("RU".parse().unwrap()),
        campaigns: simfleet::campaigns::CampaignRules::defaults("RU".parse().unwrap()),
        pricing: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = simfleet::gateway::http::Limits {
        request: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(simfleet::gateway::http::serve(
        listener,
        api::router(state),
        None,
        limits,
        stop,
    ));
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(
        format!(
            "POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // A byte every 100 ms: the body deadline (between reads) never fires,
    // the whole-request one does.
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            tokio::select! {
                n = c.read(&mut chunk) => match n {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        buf.extend_from_slice(&chunk[..n]);
                        if buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.ends_with(b"}}") {
                            break;
                        }
                    }
                },
                _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {
                    let _ = c.write_all(b" ").await;
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("an answer within 10 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{text}"
    );
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "request_timeout", "{text}");
}

#[test]
fn every_phone_number_field_carries_the_number_pattern() {
    let spec = serde_json::to_value(api::openapi()).unwrap();
    let s = &spec["components"]["schemas"];
    let mut patterns = vec![
        s["MessageRequest"]["properties"]["to"]["pattern"].clone(),
        s["OptOutRequest"]["properties"]["number"]["pattern"].clone(),
    ];
    for method in ["get", "delete"] {
        let params = spec["paths"]["/v1/optouts/{number}"][method]["parameters"]
            .as_array()
            .unwrap();
        patterns.push(params[0]["schema"]["pattern"].clone());
    }
    for p in patterns {
        assert_eq!(p, api::NUMBER_PATTERN);
    }
}
