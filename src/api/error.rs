//! One error type for every route, rendered as
//! `{"error": {"code": "...", "message": "..."}}` with a fitting status.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An API error: HTTP status, a stable code, and a message for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `invalid_number`.
    pub code: &'static str,
    /// What went wrong, in words.
    pub message: String,
}

/// Code and message of an error: the `error` of every error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: bad_json, bad_content_type, bad_query, bad_path, unauthorized, not_found,
    /// method_not_allowed, idempotency_conflict, not_cancellable, body_too_large, invalid_number,
    /// empty_text, too_long, invalid_request, invalid_send_at, no_consent, …
    pub code: &'static str,
    /// What went wrong, in words.
    pub message: String,
}

/// The body of every error answer, and of a refused batch item:
/// `{"error": {"code": "invalid_number", "message": "..."}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorDetail,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 422 with `code`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// 500, without internals in the message.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the gateway's log",
        )
    }

    /// The body for a batch item: `{"error": {"code", "message"}}`.
    pub fn body(&self) -> ErrorResponse {
        ErrorResponse {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
            },
        }
    }

    /// 405 for a method a path does not serve (the router adds `Allow`).
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this path does not serve that method; the Allow header lists the ones it does",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorResponse {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

/// The stable code for an error status the API's own handlers did not
/// write (a layer or axum itself did).
fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        413 => "body_too_large",
        415 => "bad_content_type",
        422 => "invalid_request",
        500..=599 => "internal",
        _ => "error",
    }
}

/// Response middleware: an error answer (4xx, 5xx) that is not JSON — one
/// written by axum or a tower layer (a 408 from the request timeout, a 405
/// or 413 from a path this code did not foresee) — is rewritten into the
/// JSON error format, keeping its status and headers (`Allow`). Answers
/// the handlers wrote are already JSON and pass untouched.
pub async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    // JSON errors are the API's; HTML ones are the dashboard's pages.
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    let message = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
    let body = ApiError::new(status, code_for(status), message).into_response();
    let (body_parts, body) = body.into_parts();
    parts.headers.extend(body_parts.headers);
    Response::from_parts(parts, body)
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "request body too large",
            ),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_content_type",
                "send JSON with Content-Type: application/json",
            ),
            JsonRejection::JsonDataError(e) => ApiError::invalid("invalid_request", e.body_text()),
            other => ApiError::new(StatusCode::BAD_REQUEST, "bad_json", other.body_text()),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::TooCostly { .. } => ApiError::invalid("too_costly", e.to_string()),
            e => ApiError::internal(e),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", r.body_text())
    }
}

/// A path segment that cannot be read (invalid UTF-8 in its percent
/// encoding): 400 `bad_path`, never axum's plain-text answer.
impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        match r {
            PathRejection::FailedToDeserializePathParams(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_path", e.body_text())
            }
            other => ApiError::internal(other.body_text()),
        }
    }
}
