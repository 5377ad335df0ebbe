//! `GET /v1/modems`: every modem the gateway knows, as it sees them.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::auth::Authorized;
use super::state::AppState;

/// `GET /v1/modems`.
#[utoipa::path(get, path = "/v1/modems", operation_id = "list_modems", tag = "modems",
    responses(
        (status = 200, description = "`[{id, port, state, manufacturer, model, imei, imsi, iccid, operator, signal_dbm, sent_today, daily_limit, last_error}]`; state is connecting, ready, busy, cooling_down, no_sim, pin_required, not_registered, disconnected or failed", body = Vec<Object>),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(_: Authorized, State(app): State<AppState>) -> Json<Value> {
    let dispatcher = app.dispatcher.clone();
    let views = tokio::task::spawn_blocking(move || dispatcher.modems())
        .await
        .unwrap_or_default();
    Json(Value::Array(
        views
            .into_iter()
            .map(|v| {
                let info = v.status.info.clone().unwrap_or_default();
                json!({
                    "id": v.id.to_string(),
                    "port": v.status.port,
                    "state": v.state,
                    "manufacturer": (!info.manufacturer.is_empty()).then_some(info.manufacturer),
                    "model": (!info.model.is_empty()).then_some(info.model),
                    "imei": (!info.imei.is_empty()).then_some(info.imei),
                    "imsi": info.imsi,
                    "iccid": info.iccid,
                    "operator": v.status.operator,
                    "signal_dbm": v.status.signal_dbm,
                    "sent_today": v.sent_today,
                    "daily_limit": v.daily_limit,
                    "last_error": v.last_error,
                })
            })
            .collect(),
    ))
}
