//! The public listener (`[public] listen`): the routes people reach from
//! their phones and a shop's website — tracked links (`GET /l/{slug}`) and
//! the subscribe form (`GET|POST /subscribe`) — without the API token,
//! rate-limited, and exposing nothing else. It runs apart from the API's
//! listener so the API can stay on loopback while these face the world
//! (usually behind a reverse proxy that terminates TLS).
//!
//! Every answer carries security headers (a CSP with no inline script,
//! `X-Content-Type-Options`, `Referrer-Policy`; framing only by
//! `public.embed_origins`). Every request is counted against a global
//! ceiling and its client's address ([`ClientIp`]: the peer, or with
//! `public.trust_forwarded_for` the address the reverse proxy appended to
//! `X-Forwarded-For`); past either it is answered 429 with `Retry-After`.

pub mod csrf;
pub mod i18n;
pub mod links;
pub mod ratelimit;
pub mod subscribe;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::dispatch::{Clock, Dispatcher};
use crate::store::Store;

use ratelimit::Limiter;

/// Largest request body the public routes read (a subscribe form is a few
/// hundred bytes): 16 KiB; 413 beyond.
pub const MAX_BODY: usize = 16 * 1024;

/// What the public handlers can reach.
#[derive(Clone)]
pub struct PublicState {
    /// The store.
    pub store: Store,
    /// The dispatcher, woken when a subscription queues a confirmation request.
    pub dispatcher: Dispatcher,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// How contacts are read and what they are sent (double opt-in texts).
    pub contacts: crate::contacts::ContactRules,
    /// `public.base_url`, without a trailing slash.
    pub base_url: Option<String>,
    /// The subscribe form's settings, keys and rate limits.
    pub form: Arc<FormSettings>,
}

/// The subscribe form's settings (from `[public]` and `[optout]`), its
/// CSRF key and the listener's rate limits.
#[derive(Debug)]
pub struct FormSettings {
    /// `public.brand`.
    pub brand: String,
    /// `public.consent_text` by language.
    pub consent_text: std::collections::BTreeMap<String, String>,
    /// `public.embed_origins`.
    pub embed_origins: Vec<String>,
    /// `public.trust_forwarded_for`.
    pub trust_forwarded_for: bool,
    /// Tokens of the form.
    pub csrf: csrf::Csrf,
    /// Whether the cookie is `Secure` (the form is reached over HTTPS:
    /// `base_url` is https, or the listener has TLS), which also lets it
    /// be sent from a page that frames the form (`SameSite=None`).
    pub secure_cookie: bool,
    /// `optout.resubscribe_keywords`, to tell an opted-out number how to
    /// come back.
    pub resubscribe_keywords: Vec<String>,
    /// `optout.max_auto_replies_per_day`: a form cannot ask a number that
    /// already had this many of the gateway's own messages today.
    pub max_auto_replies_per_day: u32,
    /// All requests together.
    pub global: Limiter<()>,
    /// Requests per client address.
    pub per_ip: Limiter<IpAddr>,
    /// Subscriptions per client address.
    pub subscribe_per_ip: Limiter<IpAddr>,
    /// Subscriptions per number.
    pub per_number: Limiter<String>,
    /// `public.allowed_regions`: the regions whose mobile numbers the form
    /// texts.
    pub allowed_regions: Vec<crate::phone::Region>,
}

impl FormSettings {
    /// The settings of `config`, tokens signed with `key`.
    pub fn new(config: &crate::config::Config, key: &[u8]) -> Self {
        let p = &config.public;
        let secure_cookie = p.tls() || p.base_url.as_deref().is_some_and(|b| b.starts_with("https:"));
        FormSettings {
            brand: p.brand.clone(),
            consent_text: p.consent_text.clone(),
            embed_origins: p.embed_origins.clone(),
            trust_forwarded_for: p.trust_forwarded_for,
            csrf: csrf::Csrf::new(key),
            secure_cookie,
            resubscribe_keywords: config.optout.resubscribe_keywords.clone(),
            max_auto_replies_per_day: config.optout.max_auto_replies_per_day,
            global: Limiter::new(p.global_per_second, Duration::from_secs(1)),
            per_ip: Limiter::new(p.per_ip_per_minute, Duration::from_secs(60)),
            subscribe_per_ip: Limiter::new(p.subscribe_per_ip_per_hour, Duration::from_secs(3600)),
            per_number: Limiter::new(p.subscribe_per_number_per_day, Duration::from_secs(24 * 3600)),
            allowed_regions: p.allowed_regions(&config.sending.default_region),
        }
    }
}

/// The client's address, as a request extension on every public request:
/// the connection's peer, or — with `public.trust_forwarded_for` — the
/// last address in `X-Forwarded-For` (the one the reverse proxy added; the
/// ones before it are whatever the client claimed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Every public route, and nothing else.
pub fn router(state: PublicState) -> Router {
    Router::new()
        .route("/l/{slug}", get(links::follow))
        .route("/subscribe", get(subscribe::form).post(subscribe::submit))
        .route("/subscribe.css", get(subscribe::stylesheet))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

/// The client's address for a request (see [`ClientIp`]).
pub fn client_ip(req: &Request, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(ip) = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return Some(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Rate limits in front of every route, security headers behind.
async fn guard(State(state): State<PublicState>, mut req: Request, next: Next) -> Response {
    let form = state.form.clone();
    let ip = client_ip(&req, form.trust_forwarded_for).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    // The client's own budget first: one that is refused spends nothing
    // of everybody's.
    let limited = form
        .per_ip
        .check(&ratelimit::client_key(ip))
        .and_then(|()| form.global.check(&()));
    let mut resp = match limited {
        Err(wait) => {
            tracing::debug!(client = %ip, "public rate limit");
            // The form's visitors (JSON clients anywhere, browsers on the
            // form) are answered in their own terms; a link in plain text.
            if subscribe::wants_json(req.headers()) || req.uri().path().starts_with("/subscribe") {
                subscribe::rate_limited(&state, req.headers(), wait)
            } else {
                too_many(wait)
            }
        }
        Ok(()) => {
            req.extensions_mut().insert(ClientIp(ip));
            next.run(req).await
        }
    };
    security_headers(&form, resp.headers_mut());
    resp
}

/// 429 with `Retry-After`, in plain text (the short links).
pub fn too_many(wait: Duration) -> Response {
    let secs = ratelimit::retry_after_secs(wait);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, secs.to_string()),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
        ],
        format!("too many requests; try again in {secs} s\n"),
    )
        .into_response()
}

/// The headers every public answer carries.
fn security_headers(form: &FormSettings, h: &mut axum::http::HeaderMap) {
    let ancestors = if form.embed_origins.is_empty() {
        "'none'".to_string()
    } else {
        form.embed_origins.join(" ")
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if form.embed_origins.is_empty() {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(forwarded: &[&str]) -> Request {
        let mut b = axum::http::Request::builder().uri("/subscribe");
        for f in forwarded {
            b = b.header("x-forwarded-for", *f);
        }
        let mut req = b.body(axum::body::Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))));
        req
    }

    #[test]
    fn x_forwarded_for_is_read_only_when_trusted_and_only_its_last_entry() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Untrusted: a client's claim is ignored, the peer counts.
        assert_eq!(
            client_ip(&request(&["203.0.113.7"]), false),
            Some(ip("127.0.0.1"))
        );
        // Trusted: the entry the proxy appended (the last), not what the client put first.
        assert_eq!(
            client_ip(&request(&["1.2.3.4, 203.0.113.7"]), true),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client_ip(&request(&["1.2.3.4", "2001:db8::1"]), true),
            Some(ip("2001:db8::1"))
        );
        // Garbage or none: the peer.
        assert_eq!(client_ip(&request(&["unknown"]), true), Some(ip("127.0.0.1")));
        assert_eq!(client_ip(&request(&[]), true), Some(ip("127.0.0.1")));
    }

    fn state(public: &str) -> PublicState {
        let config =
            crate::config::Config::parse(&format!("[public]\n{public}\n"), std::path::Path::new("t.toml"))
                .unwrap()
                .config;
        let store = Store::open_in_memory().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(crate::dispatch::ManualClock::at(1_764_547_200_000));
        let dispatcher = Dispatcher::new(store.clone(), clock.clone(), Default::default()).unwrap();
        PublicState {
            store,
            dispatcher,
            clock,
            contacts: crate::contacts::ContactRules::defaults(crate::phone::Region::default()),
            base_url: None,
            form: Arc::new(FormSettings::new(&config, b"test key")),
        }
    }

    async fn get_from(router: &Router, ip: [u8; 4]) -> u16 {
        use tower::ServiceExt;
        let mut req = axum::http::Request::builder()
            .uri("/subscribe.css")
            .body(axum::body::Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
        router.clone().oneshot(req).await.unwrap().status().as_u16()
    }

    async fn form_cookie(public: &str) -> String {
        use tower::ServiceExt;
        let mut req = axum::http::Request::builder()
            .uri("/subscribe")
            .body(axum::body::Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 9], 40_000))));
        let resp = router(state(public)).oneshot(req).await.unwrap();
        resp.headers()[header::SET_COOKIE].to_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn the_csrf_cookie_is_secure_only_when_the_form_is_reached_over_https() {
        // Over plain HTTP a browser would drop a `Secure` cookie: form expired.
        for plain in ["", "base_url = \"http://sms.shop.example\""] {
            let c = form_cookie(plain).await;
            assert!(
                !c.contains("Secure") && c.contains("SameSite=Lax"),
                "{plain}: {c}"
            );
        }
        let c = form_cookie("base_url = \"https://sms.shop.example\"").await;
        assert!(c.contains("; Secure") && c.contains("SameSite=None"), "{c}");
    }

    #[tokio::test]
    async fn a_client_refused_by_its_own_limit_spends_nothing_of_everybodys() {
        let router = router(state("per_ip_per_minute = 2\nglobal_per_second = 3"));
        let a = [192, 0, 2, 1];
        let mut codes = Vec::new();
        for _ in 0..6 {
            codes.push(get_from(&router, a).await);
        }
        assert_eq!(codes, [200, 200, 429, 429, 429, 429]);
        // One request of the global three is left for somebody else.
        assert_eq!(get_from(&router, [192, 0, 2, 2]).await, 200);
        assert_eq!(get_from(&router, [192, 0, 2, 3]).await, 429, "the global ceiling");
    }
}
