//! `GET|POST /subscribe`: the subscribe form a shop embeds in its website.
//!
//! `GET` serves a small accessible page (number, name, the consent text
//! with a box to tick; no script, no external assets; readable at 375 px)
//! in the visitor's language (`?lang=`, else `Accept-Language`: en, ru,
//! es), with a CSRF token bound to a cookie ([`super::csrf`]). With
//! `Accept: application/json` it answers the token and the consent text
//! instead, for a shop's own script.
//!
//! `POST` (form-encoded: `phone`, `name`, `consent=yes`, `lang`,
//! `csrf_token`, and the honeypot `website` that people never see) makes
//! the number a `pending` contact through [`crate::contacts::save`], with
//! the consent text shown, the language, time, client address and user
//! agent as evidence, which queues the one double opt-in request; a YES
//! to it makes the contact `opted_in` ([`crate::contacts::consent`]). What
//! consent law asks is kept: a number that opted out is sent nothing and
//! nothing is stored (an opt-out wins), an opted-in contact is asked
//! nothing, a pending one is
//! not asked again unless its request never went out, and no number gets
//! more of the gateway's own messages a day than
//! `optout.max_auto_replies_per_day`. A filled honeypot is answered as a
//! success and stores nothing. Every submission taken gets the same
//! answer whatever the number's state (`received`; the page tells everyone
//! which keyword brings a number back after STOP), so the form reveals
//! nothing about a number to an anonymous visitor. Answers are HTML, or JSON
//! (`{"status": "received", "message", "note"}` / `{"error": {"code", "message"}}`) when the
//! request accepts `application/json`.

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tracing::{info, warn};

use super::i18n::Lang;
use super::{ClientIp, PublicState, csrf, ratelimit};
use crate::contacts::{self, Consent, ConsentStatus, ContactChanges};
use crate::phone::Msisdn;
use crate::store::{ContactError, ContactKey, StoreError, rfc3339};

/// The honeypot field: hidden from people, filled by form-spamming bots.
pub const HONEYPOT: &str = "website";

/// `?lang=` of the form.
#[derive(Debug, Deserialize)]
pub struct FormQuery {
    lang: Option<String>,
}

/// The stylesheet of the form (no external assets; CSP `style-src 'self'`).
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLE,
    )
        .into_response()
}

const STYLE: &str = "*{box-sizing:border-box}
body{margin:0;padding:1rem;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a;background:#fff}
main{max-width:28rem;margin:0 auto}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
.hint,.opt{font-weight:400;color:#555;font-size:.9rem}
input[type=tel],input[type=text]{width:100%;padding:.6rem;font-size:1rem;border:1px solid #767676;border-radius:4px}
input:focus,button:focus{outline:3px solid #1a73e8;outline-offset:1px}
.consent{margin:1rem 0;padding:.75rem;background:#f4f4f4;border-radius:4px}
.consent label{display:flex;gap:.5rem;align-items:flex-start;font-weight:600;margin:.5rem 0 0}
.consent input{width:1.25rem;height:1.25rem;margin:.15rem 0 0}
button{width:100%;padding:.75rem;font-size:1rem;font-weight:600;color:#fff;background:#1a5fb4;border:0;border-radius:4px;cursor:pointer}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.msg{padding:.75rem;border-radius:4px;background:#e8f5e9}
.msg.err{background:#fdecea}
nav{margin-top:1.5rem;font-size:.9rem}
nav a{margin-right:.75rem;color:#1a5fb4}
";

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether the client asked for JSON (`Accept: application/json`).
pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// The language for a request: `chosen` (a query or form field), else the
/// browser's, else English.
fn language(chosen: Option<&str>, headers: &HeaderMap) -> Lang {
    chosen
        .and_then(Lang::from_tag)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        })
        .unwrap_or(Lang::En)
}

impl PublicState {
    /// The consent text shown in `lang`: `public.consent_text`'s, else the
    /// built-in one, with `{brand}` filled in.
    pub fn consent_text(&self, lang: Lang) -> String {
        let text = self
            .form
            .consent_text
            .get(lang.code())
            .or_else(|| self.form.consent_text.get("default"))
            .map(String::as_str)
            .unwrap_or(lang.default_consent());
        text.replace("{brand}", &self.form.brand)
    }

    fn title(&self, lang: Lang) -> String {
        lang.texts().title.replace("{brand}", &self.form.brand)
    }

    /// The keyword an opted-out number texts to come back, in `lang`'s
    /// script where one is configured.
    fn resubscribe_keyword(&self, lang: Lang) -> String {
        let cyrillic = |k: &str| k.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}'));
        let kws = &self.form.resubscribe_keywords;
        let pick = match lang {
            Lang::Ru => kws.iter().find(|k| cyrillic(k)),
            Lang::Es => kws
                .iter()
                .find(|k| k.eq_ignore_ascii_case("ALTA"))
                .or_else(|| kws.iter().find(|k| !cyrillic(k))),
            Lang::En => kws.iter().find(|k| !cyrillic(k)),
        };
        pick.or(kws.first()).cloned().unwrap_or_else(|| "START".into())
    }

    fn cookie(&self, nonce: &str) -> HeaderValue {
        let attrs = if self.form.secure_cookie {
            // Sent from a page that frames the form too; `Partitioned`
            // (CHIPS) keeps it working where third-party cookies are
            // otherwise blocked.
            "; Secure; SameSite=None; Partitioned"
        } else {
            "; SameSite=Lax"
        };
        let max_age = csrf::TOKEN_TTL_MS / 1000;
        HeaderValue::from_str(&format!(
            "{}={nonce}; Path=/; Max-Age={max_age}; HttpOnly{attrs}",
            csrf::COOKIE
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The page around `body`.
fn page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<link rel=\"stylesheet\" href=\"subscribe.css\">\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n{body}</main>\n</body>\n</html>\n",
        code = lang.code(),
        title = html_escape(title),
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /subscribe`.
pub async fn form(
    State(state): State<PublicState>,
    Query(q): Query<FormQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = language(q.lang.as_deref(), &headers);
    let (nonce, token) = state.form.csrf.mint(state.clock.now_ms());
    let consent = state.consent_text(lang);
    let mut resp = if wants_json(&headers) {
        let mut r = Json(json!({
            "language": lang.code(),
            "consent_text": consent,
            "csrf_token": token,
            "honeypot": HONEYPOT,
        }))
        .into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    } else {
        html(
            StatusCode::OK,
            page(lang, &state.title(lang), &form_body(&state, lang, &token, "", "")),
        )
    };
    resp.headers_mut()
        .insert(header::SET_COOKIE, state.cookie(&nonce));
    resp
}

/// The form itself, with `phone` and `name` filled in (after a refusal).
fn form_body(state: &PublicState, lang: Lang, token: &str, phone: &str, name: &str) -> String {
    let t = lang.texts();
    let switch: String = Lang::ALL
        .iter()
        .filter(|l| **l != lang)
        .map(|l| {
            format!(
                "<a href=\"?lang={}\" lang=\"{}\">{}</a>",
                l.code(),
                l.code(),
                l.name()
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"subscribe\">
<input type=\"hidden\" name=\"csrf_token\" value=\"{token}\">
<input type=\"hidden\" name=\"lang\" value=\"{code}\">
<label for=\"phone\">{phone_l}</label>
<input id=\"phone\" name=\"phone\" type=\"tel\" inputmode=\"tel\" autocomplete=\"tel\" required maxlength=\"32\" aria-describedby=\"phone-hint\" value=\"{phone}\">
<div id=\"phone-hint\" class=\"hint\">{hint}</div>
<label for=\"name\">{name_l} <span class=\"opt\">{optional}</span></label>
<input id=\"name\" name=\"name\" type=\"text\" autocomplete=\"name\" maxlength=\"200\" value=\"{name}\">
<div class=\"hp\" aria-hidden=\"true\"><label for=\"{hp}\">{hp_l}</label><input id=\"{hp}\" name=\"{hp}\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></div>
<div class=\"consent\">
<p id=\"consent-text\">{consent}</p>
<label><input type=\"checkbox\" name=\"consent\" value=\"yes\" required aria-describedby=\"consent-text\"> {agree}</label>
</div>
<button type=\"submit\">{submit}</button>
</form>
<nav aria-label=\"Language\">{switch}</nav>
",
        token = html_escape(token),
        code = lang.code(),
        phone_l = html_escape(t.phone),
        hint = html_escape(t.phone_hint),
        phone = html_escape(phone),
        name_l = html_escape(t.name),
        optional = html_escape(t.optional),
        name = html_escape(name),
        hp = HONEYPOT,
        hp_l = html_escape(t.honeypot),
        consent = html_escape(&state.consent_text(lang)),
        agree = html_escape(t.agree),
        submit = html_escape(t.submit),
    )
}

/// What a POST came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A request was queued.
    Sent,
    /// Opted in already.
    AlreadySubscribed,
    /// Pending, its request out.
    AlreadyPending,
    /// The number opted out: nothing stored or sent.
    OptedOut,
}

/// Why a POST was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    BadRequest,
    Csrf,
    RateLimited(u64),
    NoConsent,
    InvalidPhone,
    NotMobile,
    InvalidName,
    NumberLimited,
    Internal,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::BadRequest => StatusCode::BAD_REQUEST,
            Refusal::Csrf => StatusCode::FORBIDDEN,
            Refusal::RateLimited(_) | Refusal::NumberLimited => StatusCode::TOO_MANY_REQUESTS,
            Refusal::NoConsent | Refusal::InvalidPhone | Refusal::NotMobile | Refusal::InvalidName => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Refusal::BadRequest => "bad_request",
            Refusal::Csrf => "invalid_csrf_token",
            Refusal::RateLimited(_) => "rate_limited",
            Refusal::NoConsent => "no_consent",
            Refusal::InvalidPhone => "invalid_number",
            Refusal::NotMobile => "number_not_allowed",
            Refusal::InvalidName => "invalid_name",
            Refusal::NumberLimited => "number_rate_limited",
            Refusal::Internal => "internal",
        }
    }

    fn message(self, lang: Lang) -> String {
        let t = lang.texts();
        match self {
            Refusal::BadRequest | Refusal::Csrf => t.expired.to_string(),
            Refusal::RateLimited(secs) => t
                .rate_limited
                .replace("{minutes}", &secs.div_ceil(60).max(1).to_string()),
            Refusal::NoConsent => t.no_consent.to_string(),
            Refusal::InvalidPhone => t.invalid_phone.to_string(),
            // The regions are the form's: see `submit`.
            Refusal::NotMobile => t.not_mobile.replace(" {regions}", "").replace("{regions}", ""),
            Refusal::InvalidName => t.invalid_name.to_string(),
            Refusal::NumberLimited => t.number_limited.to_string(),
            Refusal::Internal => t.error.to_string(),
        }
    }
}

/// The fields of a POST, the last value of each name counting.
#[derive(Debug, Default)]
struct Fields {
    phone: Option<String>,
    name: Option<String>,
    consent: Option<String>,
    lang: Option<String>,
    token: Option<String>,
    honeypot: Option<String>,
}

impl Fields {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Fields::default();
        for (k, v) in pairs {
            let slot = match k.as_str() {
                "phone" => &mut f.phone,
                "name" => &mut f.name,
                "consent" => &mut f.consent,
                "lang" => &mut f.lang,
                "csrf_token" => &mut f.token,
                HONEYPOT => &mut f.honeypot,
                _ => continue,
            };
            *slot = Some(v);
        }
        f
    }
}

/// `POST /subscribe`.
pub async fn submit(
    State(state): State<PublicState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let json = wants_json(&headers);
    let (fields, lang) = match body {
        Ok(Form(pairs)) => {
            let f = Fields::from_pairs(pairs);
            let lang = language(f.lang.as_deref(), &headers);
            (f, lang)
        }
        Err(rejection) => {
            let lang = language(None, &headers);
            let status = rejection.status();
            let refusal = Refusal::BadRequest;
            let message = match status {
                StatusCode::PAYLOAD_TOO_LARGE => format!("the form is larger than {} bytes", super::MAX_BODY),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                    "send the form as application/x-www-form-urlencoded".to_string()
                }
                _ => rejection.body_text(),
            };
            return refused_with(&state, lang, json, refusal, status, &message, None);
        }
    };
    let phone_typed = fields.phone.clone().unwrap_or_default();
    let name_typed = fields.name.clone().unwrap_or_default();
    let refuse = |r: Refusal| {
        refused_with(
            &state,
            lang,
            json,
            r,
            r.status(),
            &r.message(lang),
            Some((&phone_typed, &name_typed)),
        )
    };
    let now = state.clock.now_ms();
    let cookie = csrf::cookie_value(headers.get(header::COOKIE).and_then(|v| v.to_str().ok()));
    if let Err(e) = state.form.csrf.verify(fields.token.as_deref(), cookie, now) {
        info!(client = %ip, reason = %e, "subscribe form: CSRF token refused");
        return refuse(Refusal::Csrf);
    }
    if let Err(wait) = state.form.subscribe_per_ip.check(&ratelimit::client_key(ip)) {
        info!(client = %ip, "subscribe form: too many subscriptions from this address");
        let mut r = refuse(Refusal::RateLimited(ratelimit::retry_after_secs(wait)));
        if let Ok(v) = HeaderValue::from_str(&ratelimit::retry_after_secs(wait).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    if fields.honeypot.as_deref().is_some_and(|h| !h.trim().is_empty()) {
        // A bot: answered like a person, nothing stored or sent.
        info!(client = %ip, "subscribe form: honeypot filled; nothing stored");
        return answered(&state, lang, json);
    }
    if fields.consent.as_deref().map(str::trim) != Some("yes") {
        return refuse(Refusal::NoConsent);
    }
    let phone = match Msisdn::parse(&phone_typed, state.contacts.region) {
        Ok(p) if p.as_str().starts_with('+') => p,
        _ => return refuse(Refusal::InvalidPhone),
    };
    // Against SMS pumping: only mobile numbers of the allowed regions are
    // texted (no premium-rate, satellite or foreign ranges).
    if !phone
        .mobile_region()
        .is_some_and(|r| state.form.allowed_regions.contains(&r))
    {
        info!(client = %ip, "subscribe form: number outside the allowed regions or not mobile");
        let regions: Vec<String> = state
            .form
            .allowed_regions
            .iter()
            .map(ToString::to_string)
            .collect();
        let r = Refusal::NotMobile;
        let message = lang.texts().not_mobile.replace("{regions}", &regions.join(", "));
        return refused_with(
            &state,
            lang,
            json,
            r,
            r.status(),
            &message,
            Some((&phone_typed, &name_typed)),
        );
    }
    let name = match name_typed.trim() {
        "" => None,
        n => match contacts::fields::name(n) {
            Ok(n) => Some(n),
            Err(_) => return refuse(Refusal::InvalidName),
        },
    };
    if let Err(wait) = state.form.per_number.check(&phone.as_str().to_string()) {
        info!(client = %ip, "subscribe form: too many subscriptions for one number");
        let mut r = refuse(Refusal::NumberLimited);
        if let Ok(v) = HeaderValue::from_str(&ratelimit::retry_after_secs(wait).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let user_agent: String = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    let source = match &state.base_url {
        Some(b) => format!("web form {b}/subscribe"),
        None => "web form /subscribe".to_string(),
    };
    let evidence = format!(
        "consent text shown ({lang}): {text:?}; box ticked and submitted {at} from {ip}, user agent {user_agent:?}",
        lang = lang.code(),
        text = state.consent_text(lang),
        at = rfc3339(now),
    );
    let request = Subscription {
        phone: phone.clone(),
        name,
        language: lang.code().to_string(),
        source,
        evidence,
        max_auto_replies_per_day: state.form.max_auto_replies_per_day,
    };
    let rules = state.contacts.clone();
    let outcome = state
        .store
        .run(move |s| s.write(now, |tx| subscribe(tx, &rules, &request)))
        .await;
    match outcome {
        Ok(Some(o)) => {
            if o == Outcome::Sent {
                state.dispatcher.wake();
            }
            info!(client = %ip, outcome = ?o, "subscribe form");
            answered(&state, lang, json)
        }
        Ok(None) => refuse(Refusal::NumberLimited),
        Err(e) => {
            warn!(error = %e, "subscribe form: not stored");
            refuse(Refusal::Internal)
        }
    }
}

/// A subscription to store.
struct Subscription {
    phone: Msisdn,
    name: Option<String>,
    language: String,
    source: String,
    evidence: String,
    max_auto_replies_per_day: u32,
}

/// Stores a subscription in one transaction (see the module docs);
/// `None` when the number already had its day's share of the gateway's
/// own messages (nothing changed).
fn subscribe(
    tx: &mut crate::store::Tx<'_>,
    rules: &contacts::ContactRules,
    sub: &Subscription,
) -> Result<Option<Outcome>, ContactError> {
    if tx.optout(sub.phone.as_str())?.is_some() {
        return Ok(Some(Outcome::OptedOut));
    }
    let key = ContactKey::Phone(sub.phone.as_str().to_string());
    let existing = tx.contact(&key)?;
    let pending_request = match &existing {
        Some(c) if c.consent.status == ConsentStatus::OptedIn => return Ok(Some(Outcome::AlreadySubscribed)),
        Some(c) if c.consent.status == ConsentStatus::Pending => match tx.confirmation_request(c.id)? {
            // Its request is out (or on its way): asked once is enough.
            Some(r) if !r.never_sent() => return Ok(Some(Outcome::AlreadyPending)),
            _ => true,
        },
        _ => false,
    };
    let day_ago = tx.now - 24 * 3600 * 1000;
    if tx.auto_replies_since(sub.phone.as_str(), day_ago)? >= sub.max_auto_replies_per_day {
        return Ok(None);
    }
    // A person's form never rewrites what the business knows: the name
    // and language are filled in only where the contact has none.
    let changes = ContactChanges {
        name: sub
            .name
            .clone()
            .filter(|_| existing.as_ref().is_none_or(|c| c.name.is_none()))
            .map(Some),
        language: existing
            .as_ref()
            .is_none_or(|c| c.language.is_none())
            .then(|| Some(sub.language.clone())),
        consent: Some(Consent {
            status: ConsentStatus::Pending,
            at: None,
            source: Some(sub.source.clone()),
            evidence: Some(sub.evidence.clone()),
        }),
        ..Default::default()
    };
    let saved = contacts::save(tx, rules, &sub.phone, &changes)?;
    if pending_request {
        // Pending, but its request never went out (suppressed, failed,
        // expired): this form is a new request to join.
        if let Some(consent) = &changes.consent {
            tx.restart_pending(saved.id, consent)?;
        }
        contacts::consent::request_confirmation(tx, rules, saved.id)?;
    }
    emit_consent(tx, saved.id, sub.phone.as_str())?;
    Ok(Some(Outcome::Sent))
}

/// The `consent` webhook event: the contact is pending, a request sent.
fn emit_consent(tx: &mut crate::store::Tx<'_>, id: i64, number: &str) -> Result<(), StoreError> {
    let Some(c) = tx.contact(&ContactKey::Id(id))? else {
        return Ok(());
    };
    tx.emit(
        "consent",
        &format!("number:{number}"),
        &json!({"contact_id": id.to_string(), "number": number, "status": c.consent.status.as_str(),
                "source": c.consent.source, "evidence": c.consent.evidence,
                "at": c.consent.at.map(rfc3339)}),
    )
}

/// A 429 with `Retry-After` (seconds) for the form's clients: JSON
/// `{"error": {"code": "rate_limited", "message"}}` to those asking for it,
/// else the page with the form and the reason, in the visitor's language.
pub(super) fn rate_limited(state: &PublicState, headers: &HeaderMap, wait: std::time::Duration) -> Response {
    let secs = ratelimit::retry_after_secs(wait);
    let lang = language(None, headers);
    let r = Refusal::RateLimited(secs);
    let mut resp = refused_with(
        state,
        lang,
        wants_json(headers),
        r,
        r.status(),
        &r.message(lang),
        None,
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}

/// The answer to a POST that was taken: one and the same whatever the
/// number's state (`outcome` only goes to the log), so that an anonymous
/// visitor learns nothing about a number; JSON `{"status": "received",
/// "message"}`. The way back after an opt-out is told to everyone.
fn answered(state: &PublicState, lang: Lang, json: bool) -> Response {
    let t = lang.texts();
    let come_back = t.come_back.replace("{keyword}", &state.resubscribe_keyword(lang));
    if json {
        return Json(json!({"status": "received", "message": t.received, "note": come_back})).into_response();
    }
    let body = format!(
        "<div class=\"msg\" role=\"status\"><p><strong>{}</strong></p><p>{}</p><p class=\"hint\">{}</p></div>\n",
        html_escape(t.done),
        html_escape(t.received),
        html_escape(&come_back)
    );
    html(StatusCode::OK, page(lang, &state.title(lang), &body))
}

/// A refusal: the form again with what was typed and the reason on top
/// (HTML; a fresh token), or the JSON error.
fn refused_with(
    state: &PublicState,
    lang: Lang,
    json: bool,
    refusal: Refusal,
    status: StatusCode,
    message: &str,
    typed: Option<(&str, &str)>,
) -> Response {
    if json {
        return (
            status,
            Json(json!({"error": {"code": refusal.code(), "message": message}})),
        )
            .into_response();
    }
    let (nonce, token) = state.form.csrf.mint(state.clock.now_ms());
    let (phone, name) = typed.unwrap_or(("", ""));
    let body = format!(
        "<div class=\"msg err\" role=\"alert\"><p><strong>{}</strong></p><p>{}</p></div>\n{}",
        html_escape(lang.texts().problem),
        html_escape(message),
        form_body(state, lang, &token, phone, name)
    );
    let mut resp = html(status, page(lang, &state.title(lang), &body));
    resp.headers_mut()
        .insert(header::SET_COOKIE, state.cookie(&nonce));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewOptOut, OptOutSource, Store};

    fn sub(phone: &str) -> Subscription {
        Subscription {
            phone: Msisdn::from_canonical(phone),
            name: Some("Ana".into()),
            language: "es".into(),
            source: "web form /subscribe".into(),
            evidence: "consent text shown (es): \"Acepto\"".into(),
            max_auto_replies_per_day: 3,
        }
    }

    fn rules() -> contacts::ContactRules {
        contacts::ContactRules::defaults(crate::phone::Region::default())
    }

    #[test]
    fn a_subscription_is_a_pending_contact_one_request_and_a_consent_event() {
        let s = Store::open_in_memory().unwrap();
        let hook = s
            .sync_webhooks(&[("http://crm.example/h".into(), vec!["consent".into()])])
            .unwrap()[0];
        let phone = "+34612345678";
        let out = s.write(1_000, |tx| subscribe(tx, &rules(), &sub(phone))).unwrap();
        assert_eq!(out, Some(Outcome::Sent));
        let c = s.contact(&ContactKey::Phone(phone.into())).unwrap().unwrap();
        assert_eq!(c.consent.status, ConsentStatus::Pending);
        assert_eq!(
            c.consent.evidence.as_deref(),
            Some("consent text shown (es): \"Acepto\"")
        );
        assert_eq!(
            (c.name.as_deref(), c.language.as_deref()),
            (Some("Ana"), Some("es"))
        );
        let msgs = s.messages(None, 0, 10).unwrap().rows;
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].text.starts_with("Responda SI"), "{}", msgs[0].text);
        let events = s.due_events(hook, 2_000, 10).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, "consent");
        assert!(
            events[0].data.contains("\"status\":\"pending\""),
            "{}",
            events[0].data
        );
        // Again: asked once is enough, and the business's name is kept.
        let mut again = sub(phone);
        again.name = Some("Someone else".into());
        let out = s.write(3_000, |tx| subscribe(tx, &rules(), &again)).unwrap();
        assert_eq!(out, Some(Outcome::AlreadyPending));
        assert_eq!(s.messages(None, 0, 10).unwrap().rows.len(), 1);
        let c = s.contact(&ContactKey::Phone(phone.into())).unwrap().unwrap();
        assert_eq!(c.name.as_deref(), Some("Ana"));
    }

    #[test]
    fn an_opted_out_number_is_stored_nowhere() {
        let s = Store::open_in_memory().unwrap();
        let phone = "+34612345679";
        s.write(1, |tx| {
            tx.add_optout(&NewOptOut {
                number: phone,
                source: OptOutSource::Keyword,
                keyword: Some("BAJA"),
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
        let out = s.write(2, |tx| subscribe(tx, &rules(), &sub(phone))).unwrap();
        assert_eq!(out, Some(Outcome::OptedOut));
        assert!(s.contact(&ContactKey::Phone(phone.into())).unwrap().is_none());
        assert!(s.messages(None, 0, 10).unwrap().rows.is_empty());
    }
}
