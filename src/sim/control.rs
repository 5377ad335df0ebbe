//! The simulator's control API on loopback: inject messages, switch
//! faults, unplug and replug, read the ledger and counters. Documented in
//! the README; tests and the demo drive the simulator through it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::fleet::Fleet;
use super::modem::Faults;

/// Every route of the control API.
pub fn router(fleet: Arc<Fleet>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/modems", get(list))
        .route("/modems/{index}/sms", post(inject))
        .route("/modems/{index}/stored", get(get_stored).post(put_stored))
        .route("/modems/{index}/faults", get(get_faults).post(set_faults))
        .route("/modems/{index}/unplug", post(unplug))
        .route("/modems/{index}/replug", post(replug))
        .route("/ledger", get(ledger))
        .with_state(fleet)
}

struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"error": {"code": self.1, "message": self.2}})),
        )
            .into_response()
    }
}

fn not_found(index: usize) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        "no_such_modem",
        format!("no modem {index}"),
    )
}

async fn list(State(fleet): State<Arc<Fleet>>) -> Json<Value> {
    Json(json!(fleet.reports()))
}

/// `POST /modems/{i}/sms`: a text split like a network would, or raw PDUs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inject {
    from: Option<String>,
    text: Option<String>,
    pdus: Option<Vec<String>>,
    #[serde(default)]
    reverse: bool,
    #[serde(default)]
    ref16: bool,
}

async fn inject(
    State(fleet): State<Arc<Fleet>>,
    Path(index): Path<usize>,
    body: Result<Json<Inject>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, "bad_json", e.body_text()))?;
    let modem = fleet.modem(index).ok_or_else(|| not_found(index))?;
    if let Some(pdus) = body.pdus {
        for pdu in &pdus {
            crate::sms::hex::decode_hex(pdu)
                .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, "bad_pdu", e.to_string()))?;
        }
        let n = pdus.len();
        for pdu in pdus {
            modem.deliver(&pdu);
        }
        return Ok(Json(json!({"parts": n})));
    }
    let (Some(from), Some(text)) = (body.from, body.text) else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            "give \"from\" and \"text\", or \"pdus\"".into(),
        ));
    };
    let parts = modem
        .deliver_text(&from, &text, body.reverse, body.ref16)
        .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, "bad_message", e))?;
    Ok(Json(json!({"parts": parts})))
}

/// `POST /modems/{i}/stored`: a PDU put straight into a memory with a
/// `<stat>`, announced to nobody (a sent message a phone left on the SIM,
/// a reply that arrived while nobody listened).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutStored {
    #[serde(default = "default_memory")]
    memory: String,
    #[serde(default)]
    stat: u8,
    pdu: String,
}

fn default_memory() -> String {
    "SM".into()
}

async fn put_stored(
    State(fleet): State<Arc<Fleet>>,
    Path(index): Path<usize>,
    body: Result<Json<PutStored>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, "bad_json", e.body_text()))?;
    let modem = fleet.modem(index).ok_or_else(|| not_found(index))?;
    crate::sms::hex::decode_hex(&body.pdu)
        .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, "bad_pdu", e.to_string()))?;
    if body.stat > 3 {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_stat",
            "stat is 0 (unread), 1 (read), 2 (unsent) or 3 (sent)".into(),
        ));
    }
    let slot = modem
        .put_stored(&body.memory, body.stat, &body.pdu)
        .ok_or_else(|| {
            ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_room",
                format!("memory {:?} is unknown or full", body.memory),
            )
        })?;
    Ok(Json(json!({"memory": body.memory, "index": slot})))
}

/// `GET /modems/{i}/stored`: every memory's contents.
async fn get_stored(
    State(fleet): State<Arc<Fleet>>,
    Path(index): Path<usize>,
) -> Result<Json<Value>, ApiError> {
    let modem = fleet.modem(index).ok_or_else(|| not_found(index))?;
    let mut out = serde_json::Map::new();
    for memory in super::modem::MEMORIES {
        let slots: Vec<Value> = modem
            .stored_in(memory)
            .into_iter()
            .map(|(i, stat, pdu)| json!({"index": i, "stat": stat, "pdu": pdu}))
            .collect();
        out.insert(memory.to_string(), Value::Array(slots));
    }
    Ok(Json(Value::Object(out)))
}

async fn get_faults(
    State(fleet): State<Arc<Fleet>>,
    Path(index): Path<usize>,
) -> Result<Json<Faults>, ApiError> {
    Ok(Json(fleet.modem(index).ok_or_else(|| not_found(index))?.faults()))
}

/// `POST /modems/{i}/faults`: the fields given replace the current ones.
async fn set_faults(
    State(fleet): State<Arc<Fleet>>,
    Path(index): Path<usize>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Faults>, ApiError> {
    let Json(patch) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, "bad_json", e.body_text()))?;
    let modem = fleet.modem(index).ok_or_else(|| not_found(index))?;
    let Value::Object(patch) = patch else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_faults",
            "expected an object".into(),
        ));
    };
    let mut current = serde_json::to_value(modem.faults()).unwrap_or_default();
    if let Value::Object(map) = &mut current {
        map.extend(patch);
    }
    let faults: Faults = serde_json::from_value(current)
        .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, "bad_faults", e.to_string()))?;
    modem.set_faults(faults.clone());
    Ok(Json(faults))
}

async fn unplug(State(fleet): State<Arc<Fleet>>, Path(index): Path<usize>) -> Result<Json<Value>, ApiError> {
    fleet.modem(index).ok_or_else(|| not_found(index))?;
    let was = fleet.unplug(index).await;
    Ok(Json(json!({"unplugged": was})))
}

async fn replug(State(fleet): State<Arc<Fleet>>, Path(index): Path<usize>) -> Result<Json<Value>, ApiError> {
    fleet.modem(index).ok_or_else(|| not_found(index))?;
    let pts = fleet
        .replug(index)
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "pty", e.to_string()))?;
    Ok(Json(json!({"pts": pts})))
}

#[derive(Debug, Deserialize)]
struct LedgerQuery {
    modem: Option<usize>,
}

async fn ledger(State(fleet): State<Arc<Fleet>>, Query(q): Query<LedgerQuery>) -> Json<Value> {
    let entries: Vec<_> = fleet
        .ledger()
        .into_iter()
        .filter(|e| q.modem.is_none_or(|m| e.modem == m))
        .collect();
    Json(json!(entries))
}
