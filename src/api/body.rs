//! Reading a request body into one buffer sized from `Content-Length`,
//! refusing more than a limit: a large batch is held once, not twice.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;

use super::error::ApiError;

/// `limit` bytes as people read it: whole MiB when at least 1 MiB
/// (`"2 MiB"`, `"1.5 MiB"`), KiB under that (`"64 KiB"`), bytes under 1 KiB.
fn human_size(limit: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if limit >= MIB {
        if limit.is_multiple_of(MIB) {
            format!("{} MiB", limit / MIB)
        } else {
            format!("{:.1} MiB", limit as f64 / MIB as f64)
        }
    } else if limit >= KIB {
        if limit.is_multiple_of(KIB) {
            format!("{} KiB", limit / KIB)
        } else {
            format!("{:.1} KiB", limit as f64 / KIB as f64)
        }
    } else {
        format!("{limit} bytes")
    }
}

/// The 413 every route answers for an oversized body.
pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!(
            "request body is larger than {}; split it into several requests",
            human_size(limit)
        ),
    )
}

/// Refuses a body not declared as JSON (`Content-Type: application/json`
/// or any `application/*+json`) with the 415 that axum's `Json` extractor
/// gives on the other routes, before reading it.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .and_then(|m| {
            m.strip_prefix("application/")
                .map(|sub| sub == "json" || sub.ends_with("+json"))
        })
        .unwrap_or(false);
    if is_json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_content_type",
            "send JSON with Content-Type: application/json",
        ))
    }
}

/// Reads `body` whole, at most `limit` bytes.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(0));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("could not read the request body: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(too_large(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_names_a_limit_under_one_mib_in_kib() {
        assert_eq!(human_size(64 * 1024), "64 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(2 * 1024 * 1024), "2 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 / 2), "1.5 MiB");
        let e = format!("{:?}", too_large(256 * 1024));
        assert!(e.contains("larger than 256 KiB"), "{e}");
        assert!(!e.contains("0 MiB"), "{e}");
    }
}
