//! `GET /v1/modems`: every modem the gateway knows, as it sees them.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Authorized;
use super::state::AppState;
use crate::dispatch::ModemView as Seen;

/// A modem as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModemView<'a> {
    /// Slot id (a decimal string, stable while the daemon runs).
    pub id: String,
    /// The port path (a path that is not UTF-8 is shown with U+FFFD).
    pub port: String,
    /// `connecting`, `ready`, `busy`, `cooling_down`, `no_sim`, `pin_required`,
    /// `not_registered`, `disconnected` or `failed`.
    #[schema(value_type = String)]
    pub state: &'a str,
    /// `AT+CGMI`, once read.
    #[schema(value_type = Option<String>)]
    pub manufacturer: Option<&'a str>,
    /// `AT+CGMM`, once read.
    #[schema(value_type = Option<String>)]
    pub model: Option<&'a str>,
    /// `AT+CGSN`, once read.
    #[schema(value_type = Option<String>)]
    pub imei: Option<&'a str>,
    /// The SIM's IMSI (`AT+CIMI`).
    #[schema(value_type = Option<String>)]
    pub imsi: Option<&'a str>,
    /// The SIM's serial.
    #[schema(value_type = Option<String>)]
    pub iccid: Option<&'a str>,
    /// The SIM's own number (`[[modem]] number`, else `AT+CNUM` when the
    /// SIM stores it): what `{{ tracking_number }}` stands for when a
    /// campaign's `call_tracking` names this SIM.
    #[schema(value_type = Option<String>)]
    pub number: Option<&'a str>,
    /// Operator name.
    #[schema(value_type = Option<String>)]
    pub operator: Option<&'a str>,
    /// Signal in dBm.
    pub signal_dbm: Option<i32>,
    /// Segments sent today through its SIM.
    pub sent_today: u64,
    /// Configured daily limit (segments), or null.
    pub daily_limit: Option<u32>,
    /// Today's daily limit with `warm_up` applied (segments), or null.
    pub daily_limit_today: Option<u32>,
    /// Segments its SIM may still send today, or null if unlimited.
    pub daily_left: Option<u64>,
    /// Segments sent this local month through its SIM.
    pub sent_month: u64,
    /// Configured monthly limit (segments), or null.
    pub monthly_limit: Option<u32>,
    /// Segments its SIM may still send this month, or null if unlimited.
    pub monthly_left: Option<u64>,
    /// Distinct recipients its SIM texted this local month.
    pub recipients_month: u64,
    /// Configured distinct recipients per month, or null.
    pub unique_recipients_per_month: Option<u32>,
    /// New recipients its SIM may still text this month (numbers it
    /// already texted always may), or null if unlimited.
    pub unique_recipients_left: Option<u64>,
    /// Day of its `warm_up` (1 = the day the SIM was first seen) while
    /// warming up, else null.
    pub warm_up_day: Option<u32>,
    /// Last error in words (cool-down reason first).
    #[schema(value_type = Option<String>)]
    pub last_error: Option<&'a str>,
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

impl<'a> From<&'a Seen> for ModemView<'a> {
    fn from(v: &'a Seen) -> Self {
        let info = v.status.info.as_ref();
        ModemView {
            id: v.id.to_string(),
            port: v.status.port.to_string_lossy().into_owned(),
            state: &v.state,
            manufacturer: info.and_then(|i| non_empty(&i.manufacturer)),
            model: info.and_then(|i| non_empty(&i.model)),
            imei: info.and_then(|i| non_empty(&i.imei)),
            imsi: info.and_then(|i| i.imsi.as_deref()),
            iccid: info.and_then(|i| i.iccid.as_deref()),
            number: info.and_then(|i| i.number.as_deref()),
            operator: v.status.operator.as_deref(),
            signal_dbm: v.status.signal_dbm,
            sent_today: v.sent_today,
            daily_limit: v.daily_limit,
            daily_limit_today: v.quota.daily_limit,
            daily_left: v.quota.daily_left,
            sent_month: v.sent_month,
            monthly_limit: v.policy.monthly_limit,
            monthly_left: v.quota.monthly_left,
            recipients_month: v.recipients_month,
            unique_recipients_per_month: v.policy.unique_recipients_per_month,
            unique_recipients_left: v.quota.unique_left,
            warm_up_day: v.quota.warm_up_day,
            last_error: v.last_error.as_deref(),
        }
    }
}

/// `GET /v1/modems`.
#[utoipa::path(get, path = "/v1/modems", operation_id = "list_modems", tag = "modems",
    responses(
        (status = 200, description = "Every modem the gateway knows, as it sees them", body = Vec<ModemView>),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn list(_: Authorized, State(app): State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let dispatcher = app.dispatcher.clone();
    let views = tokio::task::spawn_blocking(move || dispatcher.modems())
        .await
        .unwrap_or_default();
    Json(views.iter().map(ModemView::from).collect::<Vec<_>>()).into_response()
}
