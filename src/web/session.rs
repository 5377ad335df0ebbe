//! Signing in and staying signed in.
//!
//! - `GET /login` shows the form; `POST /login` checks a user's password
//!   (argon2, [`super::users`]) or the API token, limited per client
//!   address, and opens a session; `POST /logout` closes it.
//! - The session cookie holds 256 random bits; the store keeps only their
//!   SHA-256 ([`crate::store::WebSession`]). It is `HttpOnly`,
//!   `SameSite=Strict`, and over TLS `Secure` with the `__Host-` prefix.
//!   A session ends after `web.session_idle_hours` unused, and
//!   `web.session_max_days` after sign-in in any case.
//! - Every request but `GET`/`HEAD` must carry the session's anti-forgery
//!   token, as the `X-CSRF-Token` header (htmx sends it on every request)
//!   or the `_csrf` form field, and must not come from another site
//!   (`Sec-Fetch-Site`, `Origin`).
//! - [`prefs`] runs on every dashboard request, signed in or not: the
//!   language (`?lang=` switches and remembers it), the time zone (the
//!   `tz` cookie the page's script sets from the browser), security headers.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use minijinja::context;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::WebState;
use super::i18n::Lang;
use super::render::{Viewer, WebError};
use crate::store::WebSession;

/// Largest form body read to find `_csrf` (larger posts send the header).
const FORM_LIMIT: usize = 1024 * 1024;
/// Largest sign-in form read (its fields fit in well under 1 KiB).
pub const LOGIN_BODY_LIMIT: usize = 8 * 1024;
/// How often a session's expiry is slid forward (not on every request).
const TOUCH_EVERY_MS: i64 = 60_000;

/// The viewer's preferences, found by [`prefs`] before any page runs.
#[derive(Debug, Clone, Copy)]
pub struct Prefs {
    /// Language.
    pub lang: Lang,
    /// Time zone.
    pub tz: Tz,
}

/// Sign-in attempts allowed per client address.
pub struct LoginLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimiter")
    }
}

impl LoginLimiter {
    /// `per_minute` attempts a minute per address (IPv6 per /64), a burst of as many.
    pub fn new(per_minute: u32) -> LoginLimiter {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        LoginLimiter(RateLimiter::keyed(Quota::per_minute(n)))
    }

    /// Whether one more attempt from `ip` is allowed now.
    pub fn check(&self, ip: IpAddr) -> bool {
        let key = match ip {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED)),
            v4 => v4,
        };
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&key).is_ok()
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn session_cookie_name(tls: bool) -> &'static str {
    if tls { "__Host-simfleet" } else { "simfleet" }
}

fn set_cookie(tls: bool, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    crate::sms::hex::encode_hex(&bytes)
}

/// A fingerprint of the secret that admitted a session: `u:` and the
/// user's password hash, or `t:` and the API token (8 bytes of SHA-256,
/// hex). Stored with the session, compared at each request.
fn credential(kind: char, secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    format!("{kind}:{}", crate::sms::hex::encode_hex(&d[..8]))
}

/// The [`WebSession::credential`] of a session the API token `token`
/// admitted (for tools that create sessions, such as the page bench).
pub fn token_credential(token: &str) -> String {
    credential('t', token)
}

/// The fingerprint the session's secret has now: the API token's for a
/// token session, the user's current password hash's otherwise (empty
/// when the user is gone, `None` when the users file cannot be read).
async fn current_credential(w: &WebState, session: &WebSession) -> Option<String> {
    if session.credential.starts_with("t:") {
        return Some(credential('t', w.api.token.reveal()));
    }
    let file = w.shared.users_file.clone();
    let user = session.user.clone();
    let found = tokio::task::spawn_blocking(move || super::users::find(&file, &user))
        .await
        .ok()?;
    match found {
        Ok(Some(hash)) => Some(credential('u', &hash)),
        Ok(None) => Some(String::new()),
        Err(e) => {
            tracing::error!(error = %e, "the dashboard's users file cannot be read");
            None
        }
    }
}

fn hash_id(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

/// Whether a state-changing request comes from our own pages: not
/// another site by `Sec-Fetch-Site`, and an `Origin`, when sent, naming
/// the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host)),
        _ => true,
    }
}

fn security_headers(h: &mut HeaderMap, style_nonce: Option<&str>) {
    let style = match style_nonce {
        Some(n) => format!("'nonce-{n}'"),
        None => "'self'".to_string(),
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src {style}; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Every dashboard request: language and zone into the request, `?lang=`
/// remembered, security headers onto the answer.
pub async fn prefs(State(w): State<WebState>, mut req: Request, next: Next) -> Response {
    let query_lang = req
        .uri()
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang"))
        .and_then(|(_, v)| Lang::from_tag(&v));
    if let Some(lang) = query_lang
        && (req.method() == Method::GET || req.method() == Method::HEAD)
    {
        // Remember the choice, then show the same page without the parameter.
        let rest: Vec<(String, String)> = req
            .uri()
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .filter(|(k, _)| k != "lang")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let mut to = req.uri().path().to_string();
        if !rest.is_empty() {
            to.push('?');
            to.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(rest)
                    .finish(),
            );
        }
        let mut r = Redirect::to(&to).into_response();
        if let Ok(v) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; SameSite=Strict; Max-Age=31536000{}",
            lang.code(),
            if w.shared.tls { "; Secure" } else { "" }
        )) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        security_headers(r.headers_mut(), None);
        return r;
    }
    let headers = req.headers();
    let lang = cookie(headers, "lang")
        .and_then(Lang::from_tag)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        })
        .unwrap_or(Lang::En);
    let tz = cookie(headers, "tz")
        .map(|z| z.replace("%2F", "/").replace("%2f", "/"))
        .and_then(|z| z.parse::<Tz>().ok())
        .unwrap_or(w.shared.default_tz);
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    req.extensions_mut().insert(Prefs { lang, tz });
    req.extensions_mut().insert(ClientAddr(client));
    let mut r = next.run(req).await;
    let nonce = r.extensions().get::<StyleNonce>().map(|n| n.0.clone());
    security_headers(r.headers_mut(), nonce.as_deref());
    r
}

/// The client's address (the peer of the connection).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// The nonce of the inline stylesheet a page carries (the login page).
#[derive(Debug, Clone)]
pub struct StyleNonce(pub String);

fn wants_html(req_headers: &HeaderMap) -> bool {
    req_headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|a| a.contains("text/html") || a.contains("*/*"))
}

fn to_login(req: &Request, htmx: bool) -> Response {
    if htmx {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut()
            .insert("hx-redirect", HeaderValue::from_static("/login"));
        return r;
    }
    if req.method() == Method::GET && wants_html(req.headers()) {
        let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish();
        return Redirect::to(&format!("/login?{q}")).into_response();
    }
    (StatusCode::UNAUTHORIZED, "sign in first: /login").into_response()
}

/// Everything behind the sign-in: the session found (or a redirect to
/// `/login`), the anti-forgery token checked on changes, the [`Viewer`]
/// put in the request, and a [`WebError`] answered as a page.
pub async fn require_session(State(w): State<WebState>, req: Request, next: Next) -> Response {
    let htmx = req.headers().contains_key("hx-request");
    let prefs = req.extensions().get::<Prefs>().copied().unwrap_or(Prefs {
        lang: Lang::En,
        tz: w.shared.default_tz,
    });
    let Some(id) = cookie(req.headers(), session_cookie_name(w.shared.tls)).map(str::to_string) else {
        return to_login(&req, htmx);
    };
    let now = w.api.clock.now_ms();
    let id_hash = hash_id(&id);
    let found = {
        let h = id_hash.clone();
        w.api.store.run(move |s| s.web_session(now, &h)).await
    };
    let session = match found {
        Ok(Some(s)) => s,
        Ok(None) => return to_login(&req, htmx),
        Err(e) => return WebError::from(e).into_response(),
    };
    let max_end = session.created_at + w.shared.max_ms;
    if now >= max_end {
        return to_login(&req, htmx);
    }
    // A changed password (or token) signs out what the old one opened.
    let current = current_credential(&w, &session).await;
    if current.as_deref() != Some(session.credential.as_str()) || session.credential.is_empty() {
        if current.is_some() {
            tracing::info!(user = %session.user, "dashboard session ended: its password changed");
            let h = id_hash.clone();
            let _ = w.api.store.run(move |s| s.delete_web_session(now, &h)).await;
        }
        return to_login(&req, htmx);
    }
    if now - session.seen_at >= TOUCH_EVERY_MS {
        let expires = (now + w.shared.idle_ms).min(max_end);
        let h = id_hash.clone();
        let _ = w
            .api
            .store
            .run(move |s| s.touch_web_session(now, &h, expires))
            .await;
    }
    let mut req = req;
    let viewer = Viewer {
        user: session.user.clone(),
        csrf: session.csrf.clone(),
        lang: prefs.lang,
        tz: prefs.tz,
        htmx,
        path: req.uri().path().to_string(),
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        match check_csrf(req, &session.csrf).await {
            Ok(r) => req = r,
            // Said in the page (to htmx: in its #errors), not an empty 403.
            Err(e) => return render_error(&w, &viewer, e),
        }
    }
    req.extensions_mut().insert(viewer.clone());
    req.extensions_mut().insert(SessionId(id_hash));
    let r = next.run(req).await;
    match r.extensions().get::<WebError>().cloned() {
        Some(e) => render_error(&w, &viewer, e),
        None => r,
    }
}

/// The hash of the current session's id (for sign-out).
#[derive(Debug, Clone)]
pub struct SessionId(pub Vec<u8>);

async fn check_csrf(req: Request, expected: &str) -> Result<Request, WebError> {
    let forbidden = |m: &str| WebError::new(StatusCode::FORBIDDEN, "csrf", m);
    if !same_origin(req.headers()) {
        return Err(forbidden("refused: the request came from another site"));
    }
    let ok = |t: &str| bool::from(t.as_bytes().ct_eq(expected.as_bytes()));
    if let Some(t) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if ok(t) {
            Ok(req)
        } else {
            Err(forbidden("the page was stale: reload it and try again"))
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(forbidden(
            "the form's anti-forgery token is missing: reload the page",
        ));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
        WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the form is too large",
        )
    })?;
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    match token {
        Some(t) if ok(&t) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(forbidden("the page was stale: reload it and try again")),
    }
}

/// A [`WebError`] as a page (or, to htmx, a fragment put in the page's
/// `#errors` region).
pub fn render_error(w: &WebState, viewer: &Viewer, e: WebError) -> Response {
    let title_id = format!("error-{}", e.code);
    let catalog = w.shared.renderer.catalog();
    let title = if catalog.has(viewer.lang, &title_id) {
        catalog.text(viewer.lang, &title_id, None)
    } else {
        catalog.text(viewer.lang, "error-generic", None)
    };
    let template = if viewer.htmx { "_error.html" } else { "error.html" };
    let html = w
        .shared
        .renderer
        .render(
            template,
            viewer,
            context! { title => title, message => e.message.clone(), code => e.code.clone(), status => e.status.as_u16() },
        )
        .unwrap_or_else(|_| format!("<p>{}</p>", e.status));
    let mut r = (e.status, Html(html)).into_response();
    if viewer.htmx {
        r.headers_mut()
            .insert("hx-retarget", HeaderValue::from_static("#errors"));
        r.headers_mut()
            .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    }
    r
}

fn local_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and line breaks from a URL ("/\t/evil" becomes
        // "//evil", another site) and read "\" as "/": a path with either
        // is not followed.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && !n.starts_with("/login") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// An argon2 hash of nothing anyone knows, checked against for a user
/// that does not exist (made once, at the first such sign-in).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| super::users::hash_password(&random_hex()).unwrap_or_default())
}

/// The login form's fields.
#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    /// User name (may be empty when signing in with the API token).
    #[serde(default)]
    pub user: String,
    /// Password, or the API token.
    #[serde(default)]
    pub password: String,
    /// The form's anti-forgery value (equals the `simfleet_login` cookie).
    #[serde(default)]
    pub _login: String,
    /// Where to go after.
    #[serde(default)]
    pub next: Option<String>,
}

fn login_page(
    w: &WebState,
    prefs: Prefs,
    headers: &HeaderMap,
    next: &str,
    error: Option<String>,
    user: &str,
    status: StatusCode,
) -> Response {
    let nonce = random_hex();
    // The form's value is kept while the browser has one: a second load
    // (another tab, a redirected favicon) must not break the first form.
    let form = cookie(headers, "simfleet_login")
        .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .unwrap_or_else(random_hex);
    let viewer = Viewer {
        user: String::new(),
        csrf: String::new(),
        lang: prefs.lang,
        tz: prefs.tz,
        htmx: false,
        path: "/login".into(),
    };
    let has_users = super::users::read(&w.shared.users_file)
        .map(|u| !u.is_empty())
        .unwrap_or(false);
    let html = w.shared.renderer.render(
        "login.html",
        &viewer,
        context! {
            nonce => nonce.clone(),
            css => super::assets::get("app.css").map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default(),
            form => form.clone(),
            next => next,
            error => error,
            user => user,
            has_users => has_users,
        },
    );
    let mut r = match html {
        Ok(h) => (status, Html(h)).into_response(),
        Err(e) => return e.into_response(),
    };
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(w.shared.tls, "simfleet_login", &form, 3600),
    );
    r.extensions_mut().insert(StyleNonce(nonce));
    r
}

/// `GET /login`.
pub async fn login_form(
    State(w): State<WebState>,
    axum::Extension(prefs): axum::Extension<Prefs>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    login_page(
        &w,
        prefs,
        &headers,
        &local_next(q.get("next").map(String::as_str)),
        None,
        "",
        StatusCode::OK,
    )
}

/// `POST /login`: a user's password or the API token opens a session.
pub async fn login(
    State(w): State<WebState>,
    axum::Extension(prefs): axum::Extension<Prefs>,
    axum::Extension(client): axum::Extension<ClientAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let next = local_next(form.next.as_deref());
    let catalog = w.shared.renderer.catalog();
    let refuse = |id: &str, status: StatusCode| {
        login_page(
            &w,
            prefs,
            &headers,
            &next,
            Some(catalog.text(prefs.lang, id, None)),
            &form.user,
            status,
        )
    };
    let form_ok = cookie(&headers, "simfleet_login")
        .is_some_and(|c| !c.is_empty() && bool::from(c.as_bytes().ct_eq(form._login.as_bytes())));
    if !form_ok || !same_origin(&headers) {
        return refuse("login-stale", StatusCode::FORBIDDEN);
    }
    let ip = client.0;
    if !w.shared.login_limiter.check(ip) {
        tracing::warn!(client = %ip, "dashboard sign-in attempts over the limit");
        return refuse("login-too-many", StatusCode::TOO_MANY_REQUESTS);
    }
    let user = form.user.trim().to_string();
    let password = form.password.clone();
    let users_file = w.shared.users_file.clone();
    let token_ok = bool::from(password.trim().as_bytes().ct_eq(w.api.token.reveal().as_bytes()))
        && !password.trim().is_empty();
    // Argon2 takes tens of milliseconds and memory: off the async threads.
    let lookup_user = user.clone();
    // An unknown user costs the same hash as a known one: the answer's
    // time does not tell which names exist.
    let verified = tokio::task::spawn_blocking(move || match super::users::find(&users_file, &lookup_user) {
        Ok(Some(hash)) => Ok((
            super::users::verify_password(&hash, &password).then(|| credential('u', &hash)),
            true,
        )),
        Ok(None) => {
            super::users::verify_password(dummy_hash(), &password);
            Ok((None, false))
        }
        Err(e) => Err(e),
    })
    .await
    .unwrap_or(Ok((None, false)));
    let token_credential = credential('t', w.api.token.reveal());
    // With the token, the session goes by the name given if it is a valid
    // one (never a raw string from the form), else "token".
    let token_name = if super::users::valid_name(&user) {
        user.clone()
    } else {
        "token".to_string()
    };
    let (signed_in_as, admitted_by) = match verified {
        Ok((Some(by), _)) => (user.clone(), by),
        Ok((None, _)) if token_ok => (token_name, token_credential),
        Ok((None, known)) => {
            // The name typed is logged only when it is a user's: a password
            // typed into the name box, or a forged log line, never is.
            if known {
                tracing::info!(user = %user, client = %ip, "dashboard sign-in refused: wrong password");
            } else {
                tracing::info!(client = %ip, "dashboard sign-in refused: no such user");
            }
            return refuse("login-wrong", StatusCode::UNAUTHORIZED);
        }
        Err(e) => {
            tracing::error!(error = %e, "the dashboard's users file cannot be read");
            if !token_ok {
                return refuse("login-users-file", StatusCode::INTERNAL_SERVER_ERROR);
            }
            (token_name, token_credential)
        }
    };
    let now = w.api.clock.now_ms();
    let id = random_hex();
    let session = WebSession {
        user: signed_in_as.clone(),
        csrf: random_hex(),
        created_at: now,
        seen_at: now,
        expires_at: now + w.shared.idle_ms.min(w.shared.max_ms),
        credential: admitted_by,
    };
    let h = hash_id(&id);
    if let Err(e) = w
        .api
        .store
        .run(move |s| s.create_web_session(now, &h, &session))
        .await
    {
        return WebError::from(e).into_response();
    }
    tracing::info!(user = %signed_in_as, client = %ip, "dashboard sign-in");
    let mut r = Redirect::to(&next).into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            w.shared.tls,
            session_cookie_name(w.shared.tls),
            &id,
            w.shared.max_ms / 1000,
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(w.shared.tls, "simfleet_login", "", 0),
    );
    r
}

/// `POST /logout`.
pub async fn logout(State(w): State<WebState>, axum::Extension(id): axum::Extension<SessionId>) -> Response {
    let now = w.api.clock.now_ms();
    let _ = w.api.store.run(move |s| s.delete_web_session(now, &id.0)).await;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(w.shared.tls, session_cookie_name(w.shared.tls), "", 0),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            local_next(Some("/messages?status=failed")),
            "/messages?status=failed"
        );
        assert_eq!(local_next(Some("//evil.example/")), "/");
        assert_eq!(local_next(Some("/\\evil.example")), "/");
        assert_eq!(local_next(Some("https://evil.example/")), "/");
        assert_eq!(local_next(Some("/login")), "/");
        assert_eq!(local_next(Some("/\t/evil.example/")), "/");
        assert_eq!(local_next(Some("/a\nb")), "/");
        assert_eq!(local_next(Some("/a\\b")), "/");
        assert_eq!(local_next(None), "/");
    }

    #[test]
    fn cross_site_changes_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("pi.local:8080"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://pi.local:8080"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://pi.local:8080"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; simfleet=abc"));
        h.append(header::COOKIE, HeaderValue::from_static("lang=ru"));
        assert_eq!(cookie(&h, "simfleet"), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("ru"));
        assert_eq!(cookie(&h, "tz"), None);
    }
}
