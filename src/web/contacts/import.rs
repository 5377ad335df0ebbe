//! The CSV import in the browser (`/contacts/import`): choose a file →
//! see how each column will be read (changeable), the first rows, and
//! the rows that would be refused with their reasons → import → summary.
//!
//! The file travels with every step (the form keeps it; htmx posts it as
//! `multipart/form-data` with the anti-forgery header), so nothing is kept
//! between steps on the gateway. Each post is spooled to an unnamed file
//! like the API's upload ([`Spool`]) and run through the API's import
//! ([`import_spooled`]): the preview is its dry run, the import the real
//! one, with the same rules, report and double opt-in requests. Running
//! an import twice changes nothing more (contacts are matched by number,
//! a consent already recorded is kept), so a double click is harmless;
//! the button is also disabled while it runs.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::super::{Viewer, WebError, WebState};
use super::ser;
use crate::api::contacts_csv::{IMPORT_BODY_LIMIT, Spool, csv_error, import_spooled};
use crate::api::error::ApiError;
use crate::contacts::csv_import::{self, ColumnChoice, ImportColumn, ImportOptions, TextEncoding};

/// Rows shown before importing.
const SAMPLE_ROWS: usize = 5;
/// Bad rows listed on the page (all are counted).
const BAD_SHOWN: usize = 50;
/// Longest text field of the form (the file aside).
const FIELD_LIMIT: usize = 4096;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new().route(
        "/contacts/import",
        get(page)
            .post(upload)
            .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT + 64 * 1024)),
    )
}

async fn page(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    w.page("contacts_import.html", &viewer, context! {})
}

/// `?confirm=1`: import for real (else a dry run).
#[derive(Debug, Default, Deserialize)]
struct UploadQuery {
    confirm: Option<String>,
}

/// A column as the preview shows it.
#[derive(Debug, Serialize)]
struct ColumnView {
    index: usize,
    header: String,
    field: &'static str,
    attribute: Option<String>,
    examples: Vec<String>,
}

/// A short, stable fingerprint of a header: the mapping chosen for one
/// file is not applied to another.
fn fingerprint(header: &[String]) -> String {
    let mut h = Sha256::new();
    for cell in header {
        h.update(cell.as_bytes());
        h.update([0]);
    }
    crate::sms::hex::encode_hex(&h.finalize()[..8])
}

fn bad_upload(e: impl std::fmt::Display) -> WebError {
    WebError::new(
        StatusCode::BAD_REQUEST,
        "bad_body",
        format!("the upload could not be read: {e}"),
    )
}

/// What the form sent: the file (spooled) and its text fields.
struct Upload {
    file: Option<(std::fs::File, String)>,
    fields: BTreeMap<String, String>,
}

async fn read_form(w: &WebState, mut mp: Multipart) -> Result<Upload, WebError> {
    let mut up = Upload {
        file: None,
        fields: BTreeMap::new(),
    };
    while let Some(mut field) = mp.next_field().await.map_err(bad_upload)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_string();
            let mut spool = Spool::new(&w.api).await?;
            while let Some(chunk) = field.chunk().await.map_err(bad_upload)? {
                spool.write(&chunk).await?;
            }
            if !spool.is_empty() {
                up.file = Some((spool.finish().await?, file_name));
            }
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_upload)? {
            value.extend_from_slice(&chunk);
            if value.len() > FIELD_LIMIT {
                return Err(bad_upload(format!("the field {name} is too long")));
            }
        }
        up.fields
            .insert(name, String::from_utf8_lossy(&value).into_owned());
    }
    Ok(up)
}

/// The file's encoding and its header and first rows, read off the
/// request's thread.
async fn sample(file: &std::fs::File) -> Result<(TextEncoding, csv_import::FileSample), ApiError> {
    let f = file.try_clone().map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || -> Result<_, csv_import::CsvError> {
        let reader = |mut f: std::fs::File| -> Result<_, csv_import::CsvError> {
            f.seek(SeekFrom::Start(0))?;
            Ok(std::io::BufReader::with_capacity(64 * 1024, f))
        };
        let encoding = csv_import::detect_encoding(reader(f.try_clone()?)?)?;
        let sample = csv_import::sample(reader(f)?, encoding, None, SAMPLE_ROWS)?;
        Ok((encoding, sample))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(csv_error)
}

async fn upload(
    State(w): State<WebState>,
    viewer: Viewer,
    Query(q): Query<UploadQuery>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let confirm = q.confirm.is_some();
    let up = read_form(&w, mp).await?;
    let Some((file, file_name)) = up.file else {
        return Err(WebError::invalid(
            "no_file",
            w.shared
                .renderer
                .catalog()
                .text(viewer.lang, "contacts-import-no-file", None),
        ));
    };
    let (encoding, sample) = match sample(&file).await {
        Ok(s) => s,
        Err(e) => {
            return w.page(
                "contacts_import_preview.html",
                &viewer,
                context! { error => super::error_view(&w, &viewer, &e), file_name => file_name },
            );
        }
    };
    // The choices made for this file: only where they differ from what
    // the header says, so the report marks them as chosen.
    let sig = fingerprint(&sample.header);
    let auto = csv_import::describe_columns(&sample.header, &BTreeMap::new());
    let mut choices: BTreeMap<usize, ColumnChoice> = BTreeMap::new();
    if up.fields.get("sig") == Some(&sig) {
        for (i, col) in auto.iter().enumerate() {
            let chosen = up
                .fields
                .get(&format!("map_{i}"))
                .and_then(|v| v.parse::<ColumnChoice>().ok());
            if let Some(c) = chosen
                && c.as_str() != col.field
            {
                choices.insert(i, c);
            }
        }
    }
    let columns = csv_import::describe_columns(&sample.header, &choices);
    let opts = ImportOptions {
        file_name: file_name.clone(),
        region: w.api.contacts.region,
        encoding: Some(encoding),
        delimiter: Some(sample.delimiter),
        types: BTreeMap::new(),
        columns: choices,
        now: w.now_ms(),
    };
    let result = import_spooled(&w.api, file, opts, !confirm).await;
    let views = column_views(&columns, &sample);
    let rows: Vec<_> = sample
        .rows
        .iter()
        .map(|(line, cells)| context! { line => line, cells => cells })
        .collect();
    match result {
        Ok(report) if confirm => w.page(
            "contacts_import_done.html",
            &viewer,
            context! { report => ser(&report), file_name => file_name },
        ),
        Ok(report) => {
            let bad: Vec<_> = report.errors.iter().take(BAD_SHOWN).collect();
            let good = report.rows.saturating_sub(report.bad_rows);
            w.page(
                "contacts_import_preview.html",
                &viewer,
                context! {
                    report => ser(&report),
                    bad => ser(&bad),
                    good => good,
                    columns => ser(&views),
                    choices => ColumnChoice::ALL.map(ColumnChoice::as_str),
                    header => sample.header,
                    rows => rows,
                    sig => sig,
                    file_name => file_name,
                },
            )
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => w.page(
            "contacts_import_preview.html",
            &viewer,
            context! {
                error => super::error_view(&w, &viewer, &e),
                columns => ser(&views),
                choices => ColumnChoice::ALL.map(ColumnChoice::as_str),
                header => sample.header,
                rows => rows,
                sig => sig,
                file_name => file_name,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

fn column_views(columns: &[ImportColumn], sample: &csv_import::FileSample) -> Vec<ColumnView> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| ColumnView {
            index: i,
            header: c.header.clone(),
            field: c.field,
            attribute: c.attribute.clone(),
            examples: sample
                .rows
                .iter()
                .filter_map(|(_, cells)| cells.get(i))
                .filter(|v| !v.is_empty())
                .take(3)
                .map(|v| short(v, 40))
                .collect(),
        })
        .collect()
}

/// At most `max` characters of `v`, then `…`.
fn short(v: &str, max: usize) -> String {
    match v.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &v[..cut]),
        None => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headers_fingerprint_changes_with_any_cell() {
        let a = fingerprint(&["phone".into(), "name".into()]);
        assert_eq!(a.len(), 16);
        assert_eq!(a, fingerprint(&["phone".into(), "name".into()]));
        assert_ne!(a, fingerprint(&["phonename".into()]));
        assert_ne!(a, fingerprint(&["phone".into(), "Name".into()]));
    }
}
