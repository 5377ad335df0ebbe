//! The dashboard's static files (`assets/`: the stylesheet, the small
//! script, vendored htmx), embedded in the binary and served at
//! `/assets/{name}` to signed-in viewers. Their URLs carry a digest of
//! the content (`?v=…`), so browsers keep them a year and a new build
//! is fetched at once.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};
use sha2::{Digest, Sha256};

static ASSETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/web/assets");

/// The content of an embedded asset.
pub fn get(name: &str) -> Option<&'static [u8]> {
    ASSETS.get_file(name).map(|f| f.contents())
}

fn digests() -> &'static Vec<(String, String)> {
    static D: OnceLock<Vec<(String, String)>> = OnceLock::new();
    D.get_or_init(|| {
        ASSETS
            .files()
            .filter_map(|f| {
                let name = f.path().to_str()?.to_string();
                let d = crate::sms::hex::encode_hex(&Sha256::digest(f.contents())[..6]);
                Some((name, d))
            })
            .collect()
    })
}

/// The URL of asset `name` with its digest (`/assets/app.css?v=1a2b3c4d5e6f`).
pub fn url(name: &str) -> String {
    match digests().iter().find(|(n, _)| n == name) {
        Some((_, d)) => format!("/assets/{name}?v={d}"),
        None => format!("/assets/{name}"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "text/plain; charset=utf-8",
    }
}

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    // Only files meant for browsers: not the licence notes.
    let servable = matches!(
        name.rsplit('.').next(),
        Some("css" | "js" | "svg" | "png" | "ico")
    );
    match get(&name).filter(|_| servable && !name.contains('/')) {
        Some(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&name)),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, max-age=31536000, immutable"),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
