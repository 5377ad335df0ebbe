//! `POST /v1/codes/{code}/redeem` and `GET /v1/codes/{code}`: a shop
//! reports that a promo code was used at checkout; the conversion is
//! counted against the code's contact, campaign (or automation) and
//! variant.
//!
//! Codes are read ignoring case, spaces and dashes. Idempotent per
//! `order_id`: the same order reported again gets the same answer (with
//! `Idempotent-Replayed: true`) and is counted once; the same order with
//! another amount is 409 `order_conflict`. A code redeemed again by
//! another order (or without one) is recorded and answered 200 with
//! `duplicate: true` and when it was first redeemed, and not counted
//! again: one code is one conversion. An unknown code is 404.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::attribution::codes::normalize;
use crate::store::{PromoCode, RedeemError, Redeemed, Redemption, rfc3339};

/// Longest `order_id`.
pub const MAX_ORDER_ID: usize = 200;
/// Largest redemption body.
const BODY_LIMIT: usize = 16 * 1024;

/// `{"order_id"?, "amount"?}`, as the schema shows it.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RedeemRequest {
    /// The shop's order (1–200 characters; a number is read as its digits):
    /// reporting the same order again is answered the same and counted once.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
    )]
    order_id: Option<String>,
    /// The order's amount, a decimal ≥ 0 as a string (`"49.90"`) or a
    /// number, in `pricing.currency`; counted into the campaign's revenue.
    #[schema(value_type = Option<String>, pattern = r"^[0-9]+(\.[0-9]+)?$")]
    amount: Option<String>,
}

/// One redemption as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedemptionView {
    /// The shop's order.
    pub order_id: Option<String>,
    /// The amount (exact decimal string).
    pub amount: Option<String>,
    /// Its currency.
    pub currency: String,
    /// When it was recorded (RFC 3339).
    pub redeemed_at: String,
    /// Whether this is the code's counted conversion (its first redemption).
    pub counted: bool,
}

/// The answer to a redemption.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedeemAnswer {
    /// The code (upper case).
    pub code: String,
    /// The campaign it was sent by (a decimal string).
    pub campaign_id: Option<String>,
    /// The variant of that campaign.
    pub variant: Option<String>,
    /// The automation it was sent by.
    pub automation_id: Option<String>,
    /// The contact it was sent to.
    pub contact_id: Option<String>,
    /// The message it was sent in.
    pub message_id: String,
    /// This redemption (for a repeated order: as first recorded).
    pub redemption: RedemptionView,
    /// The code had been redeemed before by another order: recorded, not
    /// counted again.
    pub duplicate: bool,
    /// When the code was first redeemed (RFC 3339).
    pub first_redeemed_at: String,
    /// In words ("counted as a conversion", "already redeemed at …").
    pub message: String,
}

/// A promo code and its redemptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeView {
    /// The code (upper case).
    pub code: String,
    /// The campaign it was sent by.
    pub campaign_id: Option<String>,
    /// Its variant.
    pub variant: Option<String>,
    /// The automation it was sent by.
    pub automation_id: Option<String>,
    /// The contact it was sent to.
    pub contact_id: Option<String>,
    /// The message it was sent in.
    pub message_id: String,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// Whether it was redeemed.
    pub redeemed: bool,
    /// Its redemptions, oldest first (at most 100).
    pub redemptions: Vec<RedemptionView>,
}

fn view(r: &Redemption) -> RedemptionView {
    RedemptionView {
        order_id: r.order_id.clone(),
        amount: r.amount.map(|a| a.to_string()),
        currency: r.currency.clone(),
        redeemed_at: rfc3339(r.redeemed_at),
        counted: r.counted,
    }
}

fn id(v: Option<i64>) -> Option<String> {
    v.map(|i| i.to_string())
}

fn answer(r: &Redeemed) -> RedeemAnswer {
    let c: &PromoCode = &r.code;
    let message = if r.duplicate {
        format!(
            "already redeemed at {}: recorded, not counted again",
            rfc3339(r.first_redeemed_at)
        )
    } else {
        "counted as a conversion".to_string()
    };
    RedeemAnswer {
        code: c.code.clone(),
        campaign_id: id(c.campaign_id),
        variant: c.variant.clone(),
        automation_id: id(c.automation_id),
        contact_id: id(c.contact_id),
        message_id: c.message_id.to_string(),
        redemption: view(&r.redemption),
        duplicate: r.duplicate,
        first_redeemed_at: rfc3339(r.first_redeemed_at),
        message,
    }
}

fn no_code(code: &str) -> ApiError {
    ApiError::not_found(format!("no promo code {code}"))
}

/// The code in the path, normalised; anything that cannot be a code is 404.
fn path_code(raw: &str) -> Result<String, ApiError> {
    normalize(raw).map_err(|e| ApiError::not_found(format!("no promo code {raw:?}: {e}")))
}

/// Reads an amount: a decimal ≥ 0 as a JSON string or number.
pub fn parse_amount(v: &Value) -> Result<Option<Decimal>, String> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        other => return Err(format!("amount: {other} is not a number")),
    };
    // Money is written as a plain decimal: an exponent ("1e3") is refused,
    // in a string as in a number (serde_json prints a JSON number in
    // exponent form when it is very large or small, e.g. 1e22).
    let is_decimal = |t: &str| {
        let t = t.strip_prefix(['-', '+']).unwrap_or(t);
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        !(whole.is_empty() && frac.is_empty())
            && whole.chars().all(|c| c.is_ascii_digit())
            && frac.chars().all(|c| c.is_ascii_digit())
    };
    if text
        .split_once(['e', 'E'])
        .is_some_and(|(m, x)| is_decimal(m) && !x.is_empty() && is_decimal(x) && !x.contains('.'))
    {
        return Err(format!(
            "amount: {text:?} has an exponent; write a plain decimal such as 1000.00"
        ));
    }
    let plain = is_decimal(&text);
    let parsed = text.parse::<Decimal>().map_err(|_| {
        if plain {
            format!("amount: {text} is too large (at most 28 digits)")
        } else {
            format!("amount: {text:?} is not a decimal number")
        }
    })?;
    if parsed.is_sign_negative() && !parsed.is_zero() {
        return Err(format!("amount: {text} is negative"));
    }
    Ok(Some(parsed.normalize()))
}

/// Reads an order id: a string of 1–200 characters without control
/// characters, or a whole number.
pub fn parse_order_id(v: &Value) -> Result<Option<String>, String> {
    let s = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
        // A whole number beyond 64 bits arrives as a float, already rounded:
        // its digits are lost, so it is refused rather than stored wrong.
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
            return Err("order_id: a number this large cannot be read exactly; send it as a string".into());
        }
        Value::Number(_) => {
            return Err("order_id: must be a string or a whole number".into());
        }
        other => return Err(format!("order_id: {other} is not a string")),
    };
    if s.is_empty() {
        return Err("order_id: empty".into());
    }
    if s.chars().count() > MAX_ORDER_ID {
        return Err(format!("order_id: longer than {MAX_ORDER_ID} characters"));
    }
    if s.chars().any(char::is_control) {
        return Err("order_id: holds control characters".into());
    }
    Ok(Some(s))
}

/// `POST /v1/codes/{code}/redeem`: records a conversion for a promo code.
#[utoipa::path(post, path = "/v1/codes/{code}/redeem", operation_id = "redeem_code", tag = "attribution",
    params(("code" = String, Path, description = "The promo code, as typed (case, spaces and dashes ignored)", pattern = r"^[A-Za-z0-9 -]{1,64}$")),
    request_body(content = Option<RedeemRequest>, description = "The order (optional); an empty body redeems without one", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded (counted if it is the code's first redemption; `duplicate: true` if it was redeemed before by another order); the same order again gets the same answer with `Idempotent-Replayed: true`", body = RedeemAnswer),
        (status = 400, description = "Unreadable JSON or path (`bad_json`, `bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such code", body = super::ErrorResponse),
        (status = 409, description = "The order was reported before with another amount (`order_conflict`)", body = super::ErrorResponse),
        (status = 413, description = "Body too large", body = super::ErrorResponse),
        (status = 415, description = "A body that is not JSON", body = super::ErrorResponse),
        (status = 422, description = "A bad `order_id` or `amount` (`invalid_request`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn redeem(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Path(raw) = path?;
    let code = path_code(&raw)?;
    // An unknown code is 404 whatever the body says.
    let known = code.clone();
    if app.store.run(move |s| s.promo_code(&known)).await?.is_none() {
        return Err(no_code(&code));
    }
    if body.len() > BODY_LIMIT {
        return Err(super::body::too_large(BODY_LIMIT));
    }
    let (order_id, amount) = if body.iter().all(u8::is_ascii_whitespace) {
        (None, None)
    } else {
        super::body::require_json(&headers)?;
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("body: {e}")))?;
        let Value::Object(m) = v else {
            return Err(ApiError::invalid(
                "invalid_request",
                "the body must be a JSON object",
            ));
        };
        if let Some(k) = m.keys().find(|k| !matches!(k.as_str(), "order_id" | "amount")) {
            return Err(ApiError::invalid(
                "invalid_request",
                format!("unknown field {k:?} (expected order_id, amount)"),
            ));
        }
        let invalid = |e: String| ApiError::invalid("invalid_request", e);
        (
            parse_order_id(m.get("order_id").unwrap_or(&Value::Null)).map_err(invalid)?,
            parse_amount(m.get("amount").unwrap_or(&Value::Null)).map_err(invalid)?,
        )
    };
    let now = app.clock.now_ms();
    let currency = app.campaigns.currency.clone();
    let redeemed = app
        .store
        .run(move |s| s.redeem_promo_code(&code, order_id.as_deref(), amount, &currency, now))
        .await
        .map_err(|e| match e {
            RedeemError::Unknown(c) => no_code(&c),
            e @ RedeemError::OrderConflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "order_conflict", e.to_string())
            }
            RedeemError::Store(e) => e.into(),
        })?;
    tracing::info!(
        campaign = redeemed.code.campaign_id,
        msg_id = redeemed.code.message_id,
        duplicate = redeemed.duplicate,
        replay = redeemed.replay,
        "promo code redeemed"
    );
    if !redeemed.duplicate {
        converted(&app, &redeemed).await?;
    }
    let mut resp = Json(answer(&redeemed)).into_response();
    if redeemed.replay {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// A counted conversion is the contact's `converted` event, so sequences
/// whose `exit_on` names it let the contact go. Keyed by the code, so a
/// replayed redemption (or one retried after a crash between the two
/// writes) records it once.
async fn converted(app: &AppState, redeemed: &crate::store::Redeemed) -> Result<(), ApiError> {
    let message_id = redeemed.code.message_id;
    let event = crate::store::NewEvent {
        phone: String::new(),
        event: "converted".into(),
        data: serde_json::json!({
            "code": redeemed.code.code,
            "order_id": redeemed.redemption.order_id,
            "campaign_id": redeemed.code.campaign_id,
            "automation_id": redeemed.code.automation_id,
        }),
        idempotency_key: Some(format!("converted:{}", redeemed.code.code)),
        request_hash: format!("converted:{}", redeemed.code.code),
    };
    let now = app.clock.now_ms();
    let recorded = app
        .store
        .run(move |s| {
            let Some((message, _)) = s.message(message_id)? else {
                return Ok(false);
            };
            let event = crate::store::NewEvent {
                phone: message.recipient,
                ..event
            };
            match s.record_event(&event, now) {
                Ok(_) => Ok(true),
                Err(crate::store::EventError::Store(e)) => Err(e),
                // The same key already recorded it.
                Err(_) => Ok(false),
            }
        })
        .await?;
    if recorded {
        app.dispatcher.automations_changed();
    }
    Ok(())
}

/// `GET /v1/codes/{code}`: a promo code, whom it was sent to and its redemptions.
#[utoipa::path(get, path = "/v1/codes/{code}", operation_id = "get_code", tag = "attribution",
    params(("code" = String, Path, description = "The promo code, as typed (case, spaces and dashes ignored)", pattern = r"^[A-Za-z0-9 -]{1,64}$")),
    responses(
        (status = 200, description = "The code: its message, contact, campaign, variant and redemptions", body = CodeView),
        (status = 400, description = "The path is not readable (`bad_path`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 404, description = "No such code", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn get(
    _: Authorized,
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(raw) = path?;
    let code = path_code(&raw)?;
    let found = app
        .store
        .run(move |s| -> Result<_, ApiError> {
            let Some(c) = s.promo_code(&code)? else {
                return Err(no_code(&code));
            };
            let redemptions = s.promo_redemptions(&c.code, 100)?;
            Ok((c, redemptions))
        })
        .await?;
    let (c, redemptions) = found;
    Ok(Json(CodeView {
        code: c.code.clone(),
        campaign_id: id(c.campaign_id),
        variant: c.variant.clone(),
        automation_id: id(c.automation_id),
        contact_id: id(c.contact_id),
        message_id: c.message_id.to_string(),
        issued_at: rfc3339(c.created_at),
        redeemed: !redemptions.is_empty(),
        redemptions: redemptions.iter().map(view).collect(),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_non_negative_decimals() {
        assert_eq!(
            parse_amount(&serde_json::json!("49.90")),
            Ok(Some("49.9".parse().unwrap()))
        );
        assert_eq!(parse_amount(&serde_json::json!(12)), Ok(Some(Decimal::from(12))));
        assert_eq!(parse_amount(&serde_json::json!(0)), Ok(Some(Decimal::ZERO)));
        assert_eq!(parse_amount(&Value::Null), Ok(None));
        assert!(parse_amount(&serde_json::json!("-1")).is_err());
        assert!(parse_amount(&serde_json::json!("ten")).is_err());
        assert!(parse_amount(&serde_json::json!(true)).is_err());
    }

    #[test]
    fn amounts_refuse_exponents_and_say_too_large() {
        for v in [
            serde_json::json!("1e3"),
            serde_json::json!("1E3"),
            serde_json::json!(1e22),
        ] {
            let e = parse_amount(&v).unwrap_err();
            assert!(e.contains("exponent"), "{v}: {e}");
        }
        let e = parse_amount(&serde_json::json!("1".repeat(40))).unwrap_err();
        assert!(e.contains("too large"), "{e}");
        let e = parse_amount(&serde_json::json!("12x")).unwrap_err();
        assert!(e.contains("not a decimal number"), "{e}");
    }

    #[test]
    fn order_ids_too_large_for_a_number_are_refused_clearly() {
        let v: Value = serde_json::from_str("12300000000000000000000").unwrap();
        let e = parse_order_id(&v).unwrap_err();
        assert!(e.contains("send it as a string"), "{e}");
        assert!(!e.contains("e+22") && !e.contains("e22"), "{e}");
    }

    #[test]
    fn order_ids_are_short_printable_strings_or_numbers() {
        assert_eq!(
            parse_order_id(&serde_json::json!(" A-1 ")),
            Ok(Some("A-1".into()))
        );
        assert_eq!(parse_order_id(&serde_json::json!(1001)), Ok(Some("1001".into())));
        assert!(parse_order_id(&serde_json::json!("")).is_err());
        assert!(parse_order_id(&serde_json::json!("a\nb")).is_err());
        assert!(parse_order_id(&serde_json::json!("x".repeat(201))).is_err());
        assert!(parse_order_id(&serde_json::json!(1.5)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn amount_parsing_never_panics(s in "\\PC{0,40}") {
            let _ = parse_amount(&Value::String(s.clone()));
            let _ = parse_order_id(&Value::String(s));
        }
    }
}
