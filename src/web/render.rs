//! Server-side rendering: the embedded minijinja templates
//! (`templates/*.html`, auto-escaped), the functions and filters every
//! page may use, the [`Viewer`] a page is rendered for, and [`WebError`],
//! the one error a page handler returns (shown as a page in the viewer's
//! language, or as a fragment to an htmx request).
//!
//! In templates:
//! - `t("id", count=3, name="x")`: a text from the catalogue ([`super::i18n`]);
//! - `num(n)`, `dec(x, 2)`, `pct(ratio)`, `money(x, "RUB")`: numbers as the
//!   viewer's language writes them ([`super::format`]);
//! - `when(ms)`: a time in the viewer's zone; `when_in(ms, "Asia/Almaty")`:
//!   in another (a recipient's);
//! - `viewer` (`user`, `csrf`, `lang`, `tz`), `nav` (the page's path),
//!   `langs` (for the switcher), `asset(name)` (the URL of an embedded asset).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono_tz::Tz;
use include_dir::{Dir, include_dir};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use serde::Serialize;

use super::format;
use super::i18n::{Catalog, Lang};
use crate::api::error::ApiError;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/web/templates");

/// Who a page is rendered for: set by the session layer on every signed-in request.
#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    /// The signed-in user.
    pub user: String,
    /// The session's anti-forgery token (every form sends it back).
    pub csrf: String,
    /// The viewer's language.
    #[serde(serialize_with = "lang_code")]
    pub lang: Lang,
    /// The viewer's time zone (the browser's, else `contacts.default_time_zone`).
    #[serde(serialize_with = "tz_name")]
    pub tz: Tz,
    /// Whether the request came from htmx (`HX-Request`): answer a fragment.
    #[serde(skip)]
    pub htmx: bool,
    /// The request's path (for the navigation's current page).
    pub path: String,
}

fn lang_code<S: serde::Serializer>(l: &Lang, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(l.code())
}

fn tz_name<S: serde::Serializer>(t: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.name())
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| WebError::new(StatusCode::UNAUTHORIZED, "unauthorized", "not signed in"))
    }
}

/// The template environment with its functions; one per process.
pub struct Renderer {
    env: Environment<'static>,
    catalog: Arc<Catalog>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

fn lang_of(state: &State) -> Lang {
    state
        .lookup("viewer")
        .and_then(|v| v.get_attr("lang").ok())
        .and_then(|l| l.as_str().and_then(Lang::from_tag))
        .unwrap_or(Lang::En)
}

fn tz_of(state: &State) -> Tz {
    state
        .lookup("viewer")
        .and_then(|v| v.get_attr("tz").ok())
        .and_then(|z| z.as_str().and_then(|z| z.parse().ok()))
        .unwrap_or(Tz::UTC)
}

fn as_f64(v: &Value) -> Result<f64, Error> {
    f64::try_from(v.clone())
        .map_err(|_| Error::new(ErrorKind::InvalidOperation, format!("not a number: {v}")))
}

impl Renderer {
    /// Every embedded template, and the functions and filters above.
    pub fn new(catalog: Arc<Catalog>) -> Renderer {
        let mut env = Environment::new();
        // Templates are part of the binary and small: a render that
        // loops away is a bug, stopped rather than left to hang a request.
        env.set_fuel(Some(5_000_000));
        for file in TEMPLATES.files() {
            if let (Some(name), Some(text)) = (file.path().to_str(), file.contents_utf8())
                && let Err(e) = env.add_template(name, text)
            {
                tracing::error!(template = name, error = %e, "dashboard template does not parse");
            }
        }
        let c = catalog.clone();
        env.add_function(
            "t",
            move |state: &State, id: &str, kwargs: Kwargs| -> Result<String, Error> {
                let mut args = fluent_bundle::FluentArgs::new();
                for key in kwargs.args() {
                    let v: Value = kwargs.get(key)?;
                    if let Ok(n) = f64::try_from(v.clone())
                        && !v.is_undefined()
                        && v.as_str().is_none()
                    {
                        args.set(key.to_string(), n);
                    } else {
                        args.set(key.to_string(), v.to_string());
                    }
                }
                Ok(c.text(lang_of(state), id, Some(&args)))
            },
        );
        env.add_filter("num", |state: &State, v: Value| -> Result<String, Error> {
            if v.is_none() || v.is_undefined() {
                return Ok("—".into());
            }
            let x = as_f64(&v)?;
            if x.fract() == 0.0 && x.abs() < 9e15 {
                Ok(format::integer(x as i64, lang_of(state)))
            } else {
                Ok(format::decimal(x, 1, lang_of(state)))
            }
        });
        env.add_filter(
            "dec",
            |state: &State, v: Value, places: Option<usize>| -> Result<String, Error> {
                if v.is_none() || v.is_undefined() {
                    return Ok("—".into());
                }
                Ok(format::decimal(as_f64(&v)?, places.unwrap_or(2), lang_of(state)))
            },
        );
        env.add_filter("pct", |state: &State, v: Value| -> Result<String, Error> {
            if v.is_none() || v.is_undefined() {
                return Ok("—".into());
            }
            Ok(format::percent(as_f64(&v)?, lang_of(state)))
        });
        env.add_filter(
            "money",
            |state: &State, v: Value, currency: Option<&str>| -> Result<String, Error> {
                if v.is_none() || v.is_undefined() {
                    return Ok("—".into());
                }
                let x = match v.as_str() {
                    Some(s) => s
                        .parse::<f64>()
                        .map_err(|_| Error::new(ErrorKind::InvalidOperation, "not an amount"))?,
                    None => as_f64(&v)?,
                };
                Ok(format::money(x, currency.unwrap_or(""), lang_of(state)))
            },
        );
        env.add_filter("when", |state: &State, v: Value| -> Result<String, Error> {
            if v.is_none() || v.is_undefined() {
                return Ok("—".into());
            }
            Ok(format::datetime(as_f64(&v)? as i64, tz_of(state), lang_of(state)))
        });
        env.add_filter(
            "when_in",
            |state: &State, v: Value, zone: Option<&str>| -> Result<String, Error> {
                if v.is_none() || v.is_undefined() {
                    return Ok("—".into());
                }
                let zone = zone.and_then(|z| z.parse().ok()).unwrap_or_else(|| tz_of(state));
                Ok(format::datetime(as_f64(&v)? as i64, zone, lang_of(state)))
            },
        );
        env.add_filter(
            "clock_in",
            |state: &State, v: Value, zone: Option<&str>| -> Result<String, Error> {
                if v.is_none() || v.is_undefined() {
                    return Ok("—".into());
                }
                let zone = zone.and_then(|z| z.parse().ok()).unwrap_or_else(|| tz_of(state));
                Ok(format::time(as_f64(&v)? as i64, zone))
            },
        );
        env.add_function("asset", |name: &str| super::assets::url(name));
        Renderer { env, catalog }
    }

    /// The catalogue (for texts built outside templates).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Renders `template` for `viewer` with `ctx` (a `minijinja::context!`
    /// or anything serialisable to a map); the layout's variables are added.
    pub fn render(&self, template: &str, viewer: &Viewer, ctx: Value) -> Result<String, WebError> {
        let tmpl = self
            .env
            .get_template(template)
            .map_err(|e| WebError::internal(format!("template {template}: {e}")))?;
        let langs: Vec<Value> = Lang::ALL
            .iter()
            .map(|l| minijinja::context! { code => l.code(), name => l.name() })
            .collect();
        let full = minijinja::context! {
            viewer => minijinja::context! {
                user => viewer.user.clone(),
                csrf => viewer.csrf.clone(),
                lang => viewer.lang.code(),
                tz => viewer.tz.name(),
                path => viewer.path.clone(),
            },
            nav => viewer.path.clone(),
            langs => langs,
            htmx => viewer.htmx,
            ..ctx
        };
        tmpl.render(full)
            .map_err(|e| WebError::internal(format!("template {template}: {e}")))
    }

    /// [`Renderer::render`] as an HTML response.
    pub fn page(&self, template: &str, viewer: &Viewer, ctx: Value) -> Result<Response, WebError> {
        Ok(Html(self.render(template, viewer, ctx)?).into_response())
    }
}

/// A page's error: a status, a stable code (also the catalogue id
/// `error-<code>` of its title when there is one) and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (the API's codes where it came from the API).
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
}

impl WebError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        WebError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// 422: what the form holds cannot be used.
    pub fn invalid(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 500; the detail goes to the log, not the page.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "dashboard internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the gateway's log",
        )
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::new(e.status, e.code, e.message)
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for WebError {
    /// An empty answer carrying the error; the session layer renders it as
    /// a page (or fragment) in the viewer's language.
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.headers_mut()
            .insert("cache-control", HeaderValue::from_static("no-store"));
        r.extensions_mut().insert(self);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_every_text_it_asks_for_exists() {
        let catalog = Catalog::load();
        for file in TEMPLATES.files() {
            let name = file.path().display().to_string();
            let text = file.contents_utf8().expect("UTF-8 template");
            let mut env = Environment::new();
            env.add_template(&name, text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for id in text_ids(text) {
                for lang in Lang::ALL {
                    assert!(
                        catalog.has(lang, &id),
                        "{name} asks for {id:?}, missing in {}",
                        lang.code()
                    );
                }
            }
        }
    }

    /// The literal ids of `t("id")` / `t('id')` calls in a template.
    fn text_ids(text: &str) -> Vec<String> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        for (i, _) in text.match_indices("t(") {
            let word_before =
                i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.');
            let quote = b.get(i + 2).copied();
            if word_before || !matches!(quote, Some(b'"' | b'\'')) {
                continue;
            }
            let rest = &text[i + 3..];
            if let Some(end) = rest.find(quote.map(char::from).unwrap_or('"')) {
                out.push(rest[..end].to_string());
            }
        }
        out
    }

    #[test]
    fn a_page_renders_in_the_viewers_language_with_its_numbers() {
        let r = Renderer::new(Arc::new(Catalog::load()));
        let viewer = Viewer {
            user: "admin".into(),
            csrf: "tok".into(),
            lang: Lang::Ru,
            tz: "Europe/Moscow".parse().unwrap(),
            htmx: false,
            path: "/settings".into(),
        };
        let html = r
            .render("placeholder.html", &viewer, minijinja::context! { page => "x" })
            .unwrap();
        assert!(html.contains("<html lang=\"ru\">"));
        assert!(html.contains("Настройки"));
        assert!(
            html.contains("aria-current=\"page\">Настройки"),
            "the current page is marked"
        );
        assert!(html.contains("value=\"tok\""), "the form token");
    }
}
