//! `POST /v1/contacts/import` (a CSV file, `text/csv`) and
//! `GET /v1/contacts/export` (every contact as CSV): the API's side of
//! `simfleet contacts import|export`, with the same rules and report.
//!
//! An upload is spooled, as it arrives, to an unnamed file beside the
//! database (readable by this process only, gone when closed; never held
//! in memory), bounded by [`IMPORT_BODY_LIMIT`], then imported in one
//! transaction. Imports are taken one at a time (the batch permit of
//! [`super::memory`]). An export is streamed a page of contacts at a time.

use std::io::{Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::auth::Authorized;
use super::error::ApiError;
use super::state::AppState;
use crate::contacts::csv_import::{self, CsvError, ImportOptions, ImportReport, TextEncoding};
use crate::store::ContactImportError;

/// Largest CSV upload: a few hundred thousand contacts.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// A delimiter in a query.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum DelimiterParam {
    /// Comma.
    #[serde(rename = ",")]
    Comma,
    /// Semicolon.
    #[serde(rename = ";")]
    Semicolon,
    /// Tab.
    #[serde(rename = "tab")]
    Tab,
}

/// An encoding in a query.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum EncodingParam {
    /// UTF-8 (a BOM is allowed).
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1251.
    #[serde(rename = "windows-1251")]
    Windows1251,
}

/// Query of `POST /v1/contacts/import`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check and report, write nothing (the report is what the import would do).
    dry_run: Option<bool>,
    /// Attribute types, `city=string,birthday=date,spent=number,vip=boolean`.
    #[param(max_length = 4096, example = "city=string,birthday=date")]
    types: Option<String>,
    /// `,`, `;` or `tab` (default: the one the header line uses most).
    #[param(inline)]
    delimiter: Option<DelimiterParam>,
    /// `utf-8` or `windows-1251` (default: the `charset` of the
    /// Content-Type, else detected: a BOM, else valid UTF-8, else Windows-1251).
    #[param(inline)]
    encoding: Option<EncodingParam>,
    /// The file's name, recorded in the consent evidence
    /// (`import customers.csv line 12`); default `upload`.
    #[param(max_length = 255, example = "customers.csv")]
    file_name: Option<String>,
    /// What some columns are, instead of what their headers say: column
    /// numbers from 1 and `phone`, `name`, `time_zone`, `language`, `tags`,
    /// `consent`, `consent_at`, `consent_source`, `consent_evidence`,
    /// `opted_out`, `attribute` (named after the header) or `ignore`.
    #[param(max_length = 4096, example = "1=phone,3=name,4=ignore")]
    columns: Option<String>,
}

/// What the Content-Type says: CSV, and maybe its charset.
fn csv_content_type(headers: &HeaderMap) -> Result<Option<TextEncoding>, ApiError> {
    let refused =
        |message: String| ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "bad_content_type", message);
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(
        mime.as_str(),
        "text/csv" | "application/csv" | "text/tab-separated-values"
    ) {
        return Err(refused("send the file as CSV with Content-Type: text/csv".into()));
    }
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("charset")
        {
            let v = v.trim().trim_matches('"');
            return match v.parse::<TextEncoding>() {
                Ok(e) => Ok(Some(e)),
                Err(_) => Err(refused(format!(
                    "charset {v:?} is not supported: send utf-8 or windows-1251"
                ))),
            };
        }
    }
    Ok(None)
}

/// An import's failure as the API answers it.
pub fn csv_error(e: CsvError) -> ApiError {
    match e {
        CsvError::NoPhoneColumn { .. } => ApiError::invalid("no_phone_column", e.to_string()),
        CsvError::Option(_) => ApiError::invalid("invalid_options", e.to_string()),
        CsvError::Io(e) => ApiError::internal(e),
        e => ApiError::invalid("invalid_csv", e.to_string()),
    }
}

/// `POST /v1/contacts/import`: creates or updates contacts from a CSV file
/// (the same rules as `simfleet contacts import`); bad rows are reported
/// and skipped, the good ones written in one transaction.
#[utoipa::path(post, path = "/v1/contacts/import", operation_id = "import_contacts", tag = "contacts",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "A CSV file with a header: `phone` required; `name`, `time_zone`, `language`, `tags` (`;`-separated), `consent`, `consent_at`, `consent_source`, `consent_evidence`; any other column is an attribute"),
    responses(
        (status = 200, description = "What the import did (or, with `dry_run`, would do); bad rows listed with their lines", body = ImportReport),
        (status = 400, description = "Bad query: an unknown parameter or value, a `types` over 4096 or a `file_name` over 255 characters (`bad_query`); or the body could not be read (`bad_body`)", body = super::ErrorResponse),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
        (status = 413, description = "Body over 64 MiB (`body_too_large`)", body = super::ErrorResponse),
        (status = 415, description = "Not sent as `text/csv`, or a charset other than utf-8 or windows-1251 (`bad_content_type`)", body = super::ErrorResponse),
        (status = 422, description = "No phone column (`no_phone_column`), not a CSV file: empty, a column named twice, an endless header (`invalid_csv`), or `types` or `columns` wrong or naming no column of the file (`invalid_options`)", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn import(
    _: Authorized,
    State(app): State<AppState>,
    query: Result<Query<ImportQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let too_long = |name: &str, max: usize| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("{name} is longer than {max} characters"),
        )
    };
    if q.types.as_ref().is_some_and(|t| t.chars().count() > 4096) {
        return Err(too_long("types", 4096));
    }
    if q.file_name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(too_long("file_name", 255));
    }
    if q.columns.as_ref().is_some_and(|c| c.chars().count() > 4096) {
        return Err(too_long("columns", 4096));
    }
    let charset = csv_content_type(&headers)?;
    let types = match &q.types {
        Some(spec) => csv_import::parse_types(spec).map_err(csv_error)?,
        None => Default::default(),
    };
    let columns = match &q.columns {
        Some(spec) => csv_import::parse_columns(spec).map_err(csv_error)?,
        None => Default::default(),
    };
    let spool = spool(&app, &headers, body).await?;
    let opts = ImportOptions {
        file_name: q
            .file_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("upload")
            .to_string(),
        region: app.contacts.region,
        encoding: match q.encoding {
            Some(EncodingParam::Utf8) => Some(TextEncoding::Utf8),
            Some(EncodingParam::Windows1251) => Some(TextEncoding::Windows1251),
            None => charset,
        },
        delimiter: q.delimiter.map(|d| match d {
            DelimiterParam::Comma => b',',
            DelimiterParam::Semicolon => b';',
            DelimiterParam::Tab => b'\t',
        }),
        types,
        columns,
        now: app.clock.now_ms(),
    };
    let report = import_spooled(&app, spool, opts, q.dry_run.unwrap_or(false)).await?;
    Ok(Json(report).into_response())
}

/// Imports the spooled file `spool` with `opts` (a dry run writes
/// nothing): the API's import and the dashboard's, one path. Wakes the
/// dispatcher when double opt-in requests were queued.
pub async fn import_spooled(
    app: &AppState,
    spool: std::fs::File,
    opts: ImportOptions,
    dry_run: bool,
) -> Result<ImportReport, ApiError> {
    let rules = app.contacts.clone();
    let report: ImportReport = app
        .store
        .run(move |s| {
            let open = || {
                let mut f = spool.try_clone()?;
                f.seek(SeekFrom::Start(0))?;
                Ok(std::io::BufReader::with_capacity(64 * 1024, f))
            };
            s.import_contacts(open, &opts, &rules, dry_run)
        })
        .await
        .map_err(|e| match e {
            ContactImportError::Csv(e) => csv_error(e),
            ContactImportError::Store(e) => ApiError::from(e),
        })?;
    if report.confirmations_queued > 0 && !report.dry_run {
        app.dispatcher.wake();
    }
    super::memory::release_free_memory();
    Ok(report)
}

/// An upload being written, as it arrives, to an unnamed file beside the
/// database (readable by this process only, gone when closed), at most
/// [`IMPORT_BODY_LIMIT`] bytes.
pub struct Spool {
    out: tokio::io::BufWriter<tokio::fs::File>,
    written: usize,
}

impl Spool {
    /// A new, empty spool file beside `app`'s database.
    pub async fn new(app: &AppState) -> Result<Spool, ApiError> {
        let dir = app.store.directory().unwrap_or_else(std::env::temp_dir);
        let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        Ok(Spool {
            out: tokio::io::BufWriter::with_capacity(64 * 1024, tokio::fs::File::from_std(file)),
            written: 0,
        })
    }

    /// Appends `data`; over [`IMPORT_BODY_LIMIT`] in all is a 413.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), ApiError> {
        self.written += data.len();
        if self.written > IMPORT_BODY_LIMIT {
            return Err(super::body::too_large(IMPORT_BODY_LIMIT));
        }
        self.out.write_all(data).await.map_err(ApiError::internal)
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.written
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    /// The file, everything written to it.
    pub async fn finish(mut self) -> Result<std::fs::File, ApiError> {
        self.out.flush().await.map_err(ApiError::internal)?;
        Ok(self.out.into_inner().into_std().await)
    }
}

/// Writes the body to an unnamed file beside the database, at most
/// [`IMPORT_BODY_LIMIT`] bytes.
async fn spool(app: &AppState, headers: &HeaderMap, body: Body) -> Result<std::fs::File, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > IMPORT_BODY_LIMIT as u64) {
        return Err(super::body::too_large(IMPORT_BODY_LIMIT));
    }
    let mut out = Spool::new(app).await?;
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
            out.write(&data).await?;
        }
    }
    out.finish().await
}

/// `GET /v1/contacts/export`: every contact as CSV (columns as
/// `simfleet contacts export` writes them; cells safe to open in a
/// spreadsheet), streamed a page at a time.
#[utoipa::path(get, path = "/v1/contacts/export", operation_id = "export_contacts", tag = "contacts",
    responses(
        (status = 200, description = "CSV: phone, name, time_zone, language, tags, consent, consent_at, consent_source, consent_evidence, status, opted_out, then one column per attribute", body = String, content_type = "text/csv"),
        (status = 401, description = "Missing or wrong token", body = super::ErrorResponse),
    ),
    security(("bearer" = [])))]
pub async fn export(_: Authorized, State(app): State<AppState>) -> Response {
    export_csv(&app)
}

/// Every contact as a CSV download, streamed a page at a time: the API's
/// export and the dashboard's.
pub fn export_csv(app: &AppState) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Chunks {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = crate::contacts::csv_export::export_all(&store, &mut out) {
            // The status is sent: end the stream with an error, so the
            // client sees a cut transfer, not a short file.
            tracing::warn!(error = %e, "contact export stopped");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"contacts.csv\"",
            ),
        ],
        Body::new(Stream { rx }),
    )
        .into_response()
}

/// Bytes an export hands on at a time.
pub(crate) const CHUNK: usize = 16 * 1024;

/// The export's writer: chunks sent to the response as they fill; a
/// client that went away stops the export.
pub(crate) struct Chunks {
    pub(crate) tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    pub(crate) buf: Vec<u8>,
}

impl Chunks {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// The response body: whatever the export sends.
pub(crate) struct Stream {
    pub(crate) rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl http_body::Body for Stream {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.get_mut()
            .rx
            .poll_recv(cx)
            .map(|m| m.map(|r| r.map(http_body::Frame::data)))
    }
}
