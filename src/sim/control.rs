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
        .route("/call", post(call))
        .route("/calls", get(all_calls))
        .route("/modems/{index}/calls", get(modem_calls))
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

/// `POST /call`: an incoming voice call to a modem.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Call {
    /// The modem's index (a number or a string of digits), or its SIM's
    /// IMSI (default: modem 0).
    #[serde(default)]
    modem: Option<Value>,
    /// The caller; absent, null or empty: withheld.
    #[serde(default)]
    from: Option<String>,
    /// How many times it rings before the caller gives up (1–50, default 5).
    #[serde(default = "default_rings")]
    rings: u32,
    /// Between rings, ms (50–30000, default 2500).
    #[serde(default = "default_ring_interval")]
    interval_ms: u64,
}

fn default_rings() -> u32 {
    5
}

fn default_ring_interval() -> u64 {
    2500
}

/// The modem a control request names: its index, or its SIM's IMSI.
fn named_modem(fleet: &Fleet, modem: Option<&Value>) -> Result<usize, ApiError> {
    let bad = |what: String| ApiError(StatusCode::NOT_FOUND, "no_such_modem", what);
    match modem {
        None | Some(Value::Null) => fleet.modem(0).map(|_| 0).ok_or_else(|| bad("no modem 0".into())),
        Some(Value::Number(n)) => {
            let i = n.as_u64().ok_or_else(|| bad(format!("no modem {n}")))? as usize;
            fleet
                .modem(i)
                .map(|_| i)
                .ok_or_else(|| bad(format!("no modem {i}")))
        }
        Some(Value::String(s)) => {
            if let Some(i) =
                (0..fleet.len()).find(|&i| fleet.modem(i).is_some_and(|m| m.profile().imsi == *s))
            {
                return Ok(i);
            }
            match s.parse::<usize>() {
                Ok(i) if fleet.modem(i).is_some() => Ok(i),
                _ => Err(bad(format!("no modem with index or IMSI {s:?}"))),
            }
        }
        Some(other) => Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_modem",
            format!("modem is an index or an IMSI, not {other}"),
        )),
    }
}

async fn call(
    State(fleet): State<Arc<Fleet>>,
    body: Result<Json<Call>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, "bad_json", e.body_text()))?;
    if !(1..=50).contains(&body.rings) {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_rings",
            "rings is from 1 to 50".into(),
        ));
    }
    if !(50..=30_000).contains(&body.interval_ms) {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_interval",
            "interval_ms is from 50 to 30000".into(),
        ));
    }
    let index = named_modem(&fleet, body.modem.as_ref())?;
    let modem = fleet.modem(index).ok_or_else(|| not_found(index))?;
    let id = modem
        .incoming_call(
            body.from.as_deref(),
            body.rings,
            std::time::Duration::from_millis(body.interval_ms),
        )
        .map_err(|e| ApiError(StatusCode::CONFLICT, "call_refused", e))?;
    Ok(Json(json!({"modem": index, "call": id})))
}

/// `GET /modems/{i}/calls`: the calls put through to one modem.
async fn modem_calls(
    State(fleet): State<Arc<Fleet>>,
    Path(index): Path<usize>,
) -> Result<Json<Value>, ApiError> {
    let modem = fleet.modem(index).ok_or_else(|| not_found(index))?;
    Ok(Json(json!(modem.calls())))
}

/// `GET /calls`: every modem's calls.
async fn all_calls(State(fleet): State<Arc<Fleet>>) -> Json<Value> {
    let calls: Vec<_> = (0..fleet.len())
        .filter_map(|i| fleet.modem(i))
        .flat_map(|m| m.calls())
        .collect();
    Json(json!(calls))
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
