//! The OpenAPI document matches the routes: every documented operation is
//! served, and the document is what `GET /v1/openapi.json` returns.

use std::collections::BTreeSet;
use std::sync::Arc;

use simfleet::api::{self, Accepting, AppState, Token};
use simfleet::dispatch::{DispatchConfig, Dispatcher, SystemClock};
use simfleet::store::Store;

async fn serve() -> String {
    let store = Store::open_in_memory().unwrap();
    let dispatcher =
        Dispatcher::new(store.clone(), Arc::new(SystemClock), DispatchConfig::default()).unwrap();
    let state = AppState {
        store,
        dispatcher,
        token: Token::new("t0ken"),
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

#[tokio::test]
async fn documented_operations_are_exactly_the_served_ones() {
    let spec = serde_json::to_value(api::openapi()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("POST", "/v1/contacts/import"),
        ("GET", "/v1/contacts/export"),
        ("GET", "/v1/events"),
        ("GET", "/v1/inbox"),
        ("GET", "/v1/email"),
        ("GET", "/v1/messages"),
        ("POST", "/v1/messages"),
        ("POST", "/v1/messages/batch"),
        ("GET", "/v1/messages/{id}"),
        ("DELETE", "/v1/messages/{id}"),
        ("GET", "/v1/modems"),
        ("GET", "/v1/overview"),
        ("GET", "/v1/optouts"),
        ("POST", "/v1/optouts"),
        ("GET", "/v1/optouts/{number}"),
        ("DELETE", "/v1/optouts/{number}"),
        ("GET", "/v1/optouts/review"),
        ("POST", "/v1/optouts/review/{id}"),
        ("POST", "/v1/surveys"),
        ("GET", "/v1/surveys"),
        ("GET", "/v1/segments"),
        ("POST", "/v1/segments"),
        ("GET", "/v1/segments/{id}"),
        ("PATCH", "/v1/segments/{id}"),
        ("DELETE", "/v1/segments/{id}"),
        ("GET", "/v1/segments/{id}/preview"),
        ("POST", "/v1/segments/preview"),
        ("GET", "/v1/templates"),
        ("POST", "/v1/templates"),
        ("GET", "/v1/templates/{id}"),
        ("PATCH", "/v1/templates/{id}"),
        ("DELETE", "/v1/templates/{id}"),
        ("POST", "/v1/templates/preview"),
        ("GET", "/v1/campaigns"),
        ("POST", "/v1/campaigns"),
        ("GET", "/v1/campaigns/{id}"),
        ("PATCH", "/v1/campaigns/{id}"),
        ("POST", "/v1/campaigns/{id}/start"),
        ("POST", "/v1/campaigns/{id}/pause"),
        ("POST", "/v1/campaigns/{id}/resume"),
        ("POST", "/v1/campaigns/{id}/cancel"),
        ("GET", "/v1/campaigns/{id}/preview"),
        ("GET", "/v1/surveys/{id}"),
        ("GET", "/v1/surveys/{id}/votes"),
        ("POST", "/v1/surveys/{id}/close"),
        ("POST", "/v1/codes/{code}/redeem"),
        ("GET", "/v1/codes/{code}"),
        ("POST", "/v1/contacts"),
        ("GET", "/v1/contacts"),
        ("GET", "/v1/contacts/{id}"),
        ("PATCH", "/v1/contacts/{id}"),
        ("DELETE", "/v1/contacts/{id}"),
        ("GET", "/v1/contacts/{id}/messages"),
        ("GET", "/v1/campaigns/{id}/breakdown"),
        ("GET", "/v1/campaigns/compare"),
        ("GET", "/v1/campaigns/{id}/timeseries"),
        ("GET", "/v1/campaigns/{id}/recipients.csv"),
        ("POST", "/v1/events"),
        ("GET", "/v1/automations"),
        ("POST", "/v1/automations"),
        ("GET", "/v1/automations/{id}"),
        ("PATCH", "/v1/automations/{id}"),
        ("POST", "/v1/automations/{id}/pause"),
        ("POST", "/v1/automations/{id}/resume"),
        ("GET", "/v1/calls"),
        ("GET", "/v1/messages/search"),
        ("POST", "/v1/messages/estimate"),
        ("GET", "/v1/conversations"),
        ("GET", "/v1/conversations/{number}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(documented, expected);
    // Found by an OpenAPI validator once: unique operation ids, query parameters in the query.
    let mut ids = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
            }
        }
    }
    assert_eq!(ids.len(), expected.len());
    for path in [
        "/v1/messages",
        "/v1/inbox",
        "/v1/optouts",
        "/v1/events",
        "/v1/surveys",
    ] {
        for p in spec["paths"][path]["get"]["parameters"].as_array().unwrap() {
            assert_eq!(p["in"], "query", "{path}: {p}");
        }
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());

    let base = serve().await;
    let client = simfleet::tls::http_client().build().unwrap();
    for (method, path) in &documented {
        let url = format!(
            "{base}{}",
            path.replace("{id}", "1").replace("{number}", "+79161234567")
        );
        let mut req = client.request(method.parse().unwrap(), &url).bearer_auth("t0ken");
        if method == "POST" {
            req = req.json(&serde_json::json!({}));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path} not routed");
        assert!(
            !body.contains("no such route"),
            "{method} {path} fell through: {body}"
        );
    }
    // An undocumented route is not served.
    let resp = client
        .get(format!("{base}/v1/nothing"))
        .bearer_auth("t0ken")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    let served: serde_json::Value = client
        .get(format!("{base}/v1/openapi.json"))
        .bearer_auth("t0ken")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, spec);
    assert_eq!(
        client
            .get(format!("{base}/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
}
