//! The daemon's configuration (TOML). Every key is documented in the README
//! and in `simfleet.example.toml`. A bad file gives one clear error that
//! names the key and the problem.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::phone::Region;
use crate::sms::NationalLanguage;

/// Why a configuration could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or a key has the wrong type or name.
    #[error("config {path}: `{key}`: {problem}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Dotted key, e.g. `sending.max_attempts`.
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// A value is of the right type but not usable.
    #[error("config {path}: `{key}`: {problem}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Dotted key.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// `[api]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Address of the HTTP API.
    pub listen: SocketAddr,
    /// File holding the API token; created with a random token (0600) if missing.
    pub token_file: PathBuf,
    /// PEM certificate chain: with `tls_key`, the API speaks HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address beyond loopback (the token and every
    /// message travel in clear); refused unless set, warned about when set.
    pub allow_plain_http: bool,
    /// Connections served at once (further ones take the place of the
    /// longest-idle); also bounded by the open-file limit.
    pub max_connections: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token_file: PathBuf::from("/var/lib/simfleet/api-token"),
            tls_cert: None,
            tls_key: None,
            allow_plain_http: false,
            max_connections: 256,
        }
    }
}

impl ApiConfig {
    /// Whether the API is served over TLS.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some()
    }
}

/// `[storage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The SQLite database.
    pub path: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("/var/lib/simfleet/simfleet.db"),
        }
    }
}

/// `[sending]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendingConfig {
    /// How national numbers are read (ISO 3166 code).
    pub default_region: String,
    /// Request delivery reports unless a message says otherwise.
    pub status_reports: bool,
    /// How long a message may wait, queued and then at the network, in
    /// minutes; past it a queued message expires (0: no limit).
    pub validity_minutes: u32,
    /// Sends of one message that were certainly not sent, before it fails.
    pub max_attempts: u32,
    /// Seconds to wait for the network to accept a part.
    pub send_timeout_secs: u64,
    /// National language tables the encoder may use (`es`, `pt`, `tr`).
    pub national_languages: Vec<String>,
    /// Replace typographic punctuation when that keeps a text GSM 7-bit.
    pub normalize_punctuation: bool,
}

impl Default for SendingConfig {
    fn default() -> Self {
        Self {
            default_region: "RU".into(),
            status_reports: true,
            validity_minutes: 1440,
            max_attempts: 3,
            send_timeout_secs: 60,
            national_languages: Vec::new(),
            normalize_punctuation: false,
        }
    }
}

/// `[optout]`: keywords and the gateway's own replies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptOutConfig {
    /// Replies that opt a number out (whole message or first word).
    pub keywords: Vec<String>,
    /// Replies that opt it back in.
    pub resubscribe_keywords: Vec<String>,
    /// Replies that ask for help.
    pub help_keywords: Vec<String>,
    /// Sent once to a number that opts out ("" for nothing).
    pub confirmation: String,
    /// Sent to a number that opts back in ("" for nothing).
    pub resubscribe_reply: String,
    /// Sent in answer to a help keyword ("" for nothing).
    pub help_reply: String,
    /// Auto-replies (confirmations, help, survey clarifications) to one
    /// number per 24 hours, at most.
    pub max_auto_replies_per_day: u32,
}

impl Default for OptOutConfig {
    fn default() -> Self {
        use crate::inbound::{keywords, replies};
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Self {
            keywords: own(keywords::DEFAULT_OPT_OUT),
            resubscribe_keywords: own(keywords::DEFAULT_OPT_IN),
            help_keywords: own(keywords::DEFAULT_HELP),
            confirmation: replies::DEFAULT_CONFIRMATION.into(),
            resubscribe_reply: replies::DEFAULT_RESUBSCRIBED.into(),
            help_reply: replies::DEFAULT_HELP.into(),
            max_auto_replies_per_day: 3,
        }
    }
}

/// `[inbound]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundSettings {
    /// Minutes the parts of a long message wait for the rest before it is
    /// stored flagged incomplete.
    pub reassembly_timeout_minutes: u32,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            reassembly_timeout_minutes: 1440,
        }
    }
}

/// `[contacts]`: time zones, hygiene and double opt-in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContactsConfig {
    /// IANA zone of contacts whose number's country has several zones and
    /// who were given none.
    pub default_time_zone: String,
    /// Days of "absent subscriber" failures, with no delivery between,
    /// after which a contact becomes `invalid`.
    pub invalid_after_days: u32,
    /// Texted to any SIM, these make the sender a pending contact and ask
    /// for confirmation (matched like opt-out keywords).
    pub join_keywords: Vec<String>,
    /// Replies that confirm a pending contact's subscription.
    pub confirm_keywords: Vec<String>,
    /// The double opt-in request by contact language (`en`, `ru`, `es`…);
    /// `default` for any other language or none.
    pub confirmation: std::collections::BTreeMap<String, String>,
    /// Sent once a contact confirms, by language like `confirmation`
    /// (empty: nothing).
    pub welcome: std::collections::BTreeMap<String, String>,
}

/// Default join keywords.
pub const DEFAULT_JOIN_KEYWORDS: &[&str] = &["JOIN", "ПОДПИСКА", "ALTA"];
/// Default confirmation keywords.
pub const DEFAULT_CONFIRM_KEYWORDS: &[&str] = &["YES", "Y", "ДА", "SI", "SÍ"];

impl Default for ContactsConfig {
    fn default() -> Self {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        let texts = |l: &[(&str, &str)]| l.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self {
            default_time_zone: "Europe/Moscow".into(),
            invalid_after_days: 30,
            join_keywords: own(DEFAULT_JOIN_KEYWORDS),
            confirm_keywords: own(DEFAULT_CONFIRM_KEYWORDS),
            confirmation: texts(&[
                (
                    "default",
                    "Reply YES to receive our news and offers by SMS. Reply STOP to opt out.",
                ),
                (
                    "ru",
                    "Ответьте ДА, чтобы получать наши новости и предложения по SMS. Ответьте СТОП, чтобы отказаться.",
                ),
                (
                    "es",
                    "Responda SI para recibir nuestras noticias y ofertas por SMS. Responda BAJA para no recibirlas.",
                ),
            ]),
            welcome: texts(&[
                ("default", "You are subscribed. Reply STOP to opt out."),
                ("ru", "Вы подписаны. Ответьте СТОП, чтобы отказаться."),
                ("es", "Está suscrito. Responda BAJA para darse de baja."),
            ]),
        }
    }
}

/// `[automations]`: how automation messages are sent.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AutomationsConfig {
    /// Service automations (order status) go at any hour, ignoring the
    /// default window (an automation's own `window` still applies).
    pub service_skips_window: bool,
}

impl Default for AutomationsConfig {
    fn default() -> Self {
        Self {
            service_skips_window: true,
        }
    }
}

/// `[campaigns]`: defaults for campaigns that do not set their own.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CampaignsConfig {
    /// Local time a recipient's window opens, `HH:MM`.
    pub window_start: String,
    /// Local time it closes, `HH:MM`, after `window_start`.
    pub window_end: String,
    /// Days it opens (`mon` … `sun`).
    pub window_days: Vec<String>,
    /// Most marketing messages a contact gets in any 24 hours.
    pub cap_per_24h: u32,
    /// Most in any 7 days.
    pub cap_per_7d: u32,
    /// A reply counts for the campaign message sent to its number from
    /// the same SIM at most this many days before.
    pub attribution_days: u32,
    /// Hours after its start a campaign's unsent messages expire, when the
    /// campaign sets no `deadline`.
    pub deadline_hours: u32,
}

impl Default for CampaignsConfig {
    fn default() -> Self {
        Self {
            window_start: "09:00".into(),
            window_end: "20:00".into(),
            window_days: crate::campaigns::window::DAY_NAMES
                .iter()
                .map(|d| d.to_string())
                .collect(),
            cap_per_24h: 1,
            cap_per_7d: 4,
            attribution_days: 7,
            deadline_hours: 24,
        }
    }
}

impl CampaignsConfig {
    /// The default window, checked.
    pub fn window(&self) -> Result<crate::campaigns::Window, String> {
        crate::campaigns::window::WindowSpec {
            start: self.window_start.clone(),
            end: self.window_end.clone(),
            days: Some(self.window_days.clone()),
        }
        .parse()
    }
}

/// `[public]`: the listener for routes people reach from their phones and
/// a shop's website (tracked links `/l/{slug}`, the subscribe form),
/// without the API token and apart from the API. Off unless `listen` is
/// set.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PublicConfig {
    /// Address of the public listener, e.g. `127.0.0.1:8081` behind a
    /// reverse proxy; `None`: no public routes.
    pub listen: Option<SocketAddr>,
    /// The URL people reach the public listener at, e.g.
    /// `https://sms.shop.example`; when set, `{{ link(…) }}` writes short
    /// links `{base_url}/l/{slug}`. Absolute http(s), no query or
    /// fragment; a trailing slash is dropped.
    pub base_url: Option<String>,
    /// PEM certificate chain: with `tls_key`, the public listener speaks HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address beyond loopback (the usual way is a
    /// reverse proxy on the same machine terminating TLS, with `listen` on
    /// loopback); refused unless set.
    pub allow_plain_http: bool,
    /// Read the client's address from `X-Forwarded-For` (the entry the
    /// reverse proxy appended, the last one) for rate limits and evidence;
    /// only behind a proxy that sets it, since a client can send its own.
    pub trust_forwarded_for: bool,
    /// Origins whose pages may frame the subscribe form (CSP
    /// `frame-ancestors`), e.g. `["https://shop.example"]`; empty: none.
    pub embed_origins: Vec<String>,
    /// The sender's name shown on the form and in the default consent text.
    pub brand: String,
    /// The consent text shown on the form and stored as evidence, by
    /// language (`en`, `ru`, `es`; `default` for any other); `{brand}` is
    /// replaced by `brand`. Missing languages use the built-in texts.
    pub consent_text: std::collections::BTreeMap<String, String>,
    /// File holding the key that signs the form's CSRF tokens; created
    /// (random, mode 0600) if missing. Default: `public-form-key` beside
    /// `api.token_file`.
    pub secret_file: Option<PathBuf>,
    /// Requests one client address may make per minute to any public route.
    pub per_ip_per_minute: u32,
    /// Requests per second all clients together may make.
    pub global_per_second: u32,
    /// Subscriptions (`POST /subscribe`) one client address may send per hour.
    pub subscribe_per_ip_per_hour: u32,
    /// Subscriptions for one number per 24 hours (so the form cannot be
    /// used to pester someone with confirmation requests).
    pub subscribe_per_number_per_day: u32,
    /// Connections served at once.
    pub max_connections: u32,
    /// ISO 3166-1 regions whose mobile numbers the form accepts (against
    /// SMS pumping: premium-rate, satellite and foreign ranges are
    /// refused). Default: `[sending.default_region]`.
    pub allowed_regions: Option<Vec<String>>,
}

impl Default for PublicConfig {
    fn default() -> Self {
        Self {
            listen: None,
            base_url: None,
            tls_cert: None,
            tls_key: None,
            allow_plain_http: false,
            trust_forwarded_for: false,
            embed_origins: Vec::new(),
            brand: "us".into(),
            consent_text: std::collections::BTreeMap::new(),
            secret_file: None,
            per_ip_per_minute: 120,
            global_per_second: 200,
            subscribe_per_ip_per_hour: 20,
            subscribe_per_number_per_day: 3,
            max_connections: 256,
            allowed_regions: None,
        }
    }
}

impl PublicConfig {
    /// Whether the public listener is served over TLS.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// The regions whose mobile numbers the form accepts:
    /// `allowed_regions`, else `default_region` (`sending.default_region`).
    /// Codes are checked by [`Config::parse`]; an unknown one is skipped.
    pub fn allowed_regions(&self, default_region: &str) -> Vec<Region> {
        match &self.allowed_regions {
            Some(list) => list.iter().filter_map(|r| r.parse().ok()).collect(),
            None => default_region.parse().into_iter().collect(),
        }
    }

    /// The key file of the form's CSRF tokens.
    pub fn secret_file(&self, api: &ApiConfig) -> PathBuf {
        self.secret_file.clone().unwrap_or_else(|| {
            api.token_file
                .parent()
                .unwrap_or(Path::new("."))
                .join("public-form-key")
        })
    }

    /// Checks the `[public]` keys (see [`Config::parse`]); returns the
    /// normalised `base_url`. Errors: `(key, problem)`.
    fn check(&self, api: &ApiConfig) -> Result<Option<String>, (String, String)> {
        let err = |k: &str, p: String| Err((format!("public.{k}"), p));
        let base = match &self.base_url {
            None => None,
            Some(raw) => {
                let trimmed = raw.trim().trim_end_matches('/');
                match reqwest::Url::parse(trimmed) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {
                        if u.query().is_some() || u.fragment().is_some() || raw.contains(['?', '#']) {
                            return err(
                                "base_url",
                                format!(
                                    "{raw:?} has a query or fragment; give the address only, such as \"https://sms.shop.example\""
                                ),
                            );
                        }
                        if !u.username().is_empty() || u.password().is_some() {
                            return err("base_url", format!("{raw:?} holds a user name or password"));
                        }
                        Some(trimmed.to_string())
                    }
                    Ok(_) => {
                        return err(
                            "base_url",
                            format!("{raw:?} must be an absolute http:// or https:// URL"),
                        );
                    }
                    Err(e) => return err("base_url", format!("{raw:?} is not an absolute URL: {e}")),
                }
            }
        };
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => return err("tls_key", "missing: tls_cert needs its key".into()),
            (None, Some(_)) => return err("tls_cert", "missing: tls_key needs its certificate".into()),
            _ => {}
        }
        if let Some(listen) = self.listen {
            if !self.tls() && !listen.ip().is_loopback() && !self.allow_plain_http {
                return err(
                    "listen",
                    format!(
                        "{listen} is reachable from the network, but the public listener would be plain HTTP: the usual way is a reverse proxy on this machine that terminates TLS, with public.listen on 127.0.0.1; or set public.tls_cert and public.tls_key; or set public.allow_plain_http = true"
                    ),
                );
            }
            if listen == api.listen
                || (listen.port() == api.listen.port()
                    && (listen.ip().is_unspecified() || api.listen.ip().is_unspecified()))
            {
                return err(
                    "listen",
                    format!("{listen} is also api.listen: the public routes need an address of their own"),
                );
            }
        }
        for (i, o) in self.embed_origins.iter().enumerate() {
            let ok = reqwest::Url::parse(o).ok().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.has_host()
                    && u.path() == "/"
                    && !o.ends_with('/')
                    && u.query().is_none()
                    && u.fragment().is_none()
            }) && !o.contains([';', ',', ' ', '\'', '"']);
            if !ok {
                return err(
                    &format!("embed_origins[{i}]"),
                    format!(
                        "{o:?} is not an origin such as \"https://shop.example\" (scheme and host, no path)"
                    ),
                );
            }
        }
        if self.brand.trim().is_empty()
            || self.brand.chars().count() > 100
            || self.brand.chars().any(char::is_control)
        {
            return err("brand", "1 to 100 characters, no control characters".into());
        }
        if let Some(list) = &self.allowed_regions {
            if list.is_empty() {
                return err(
                    "allowed_regions",
                    "empty: name at least one region such as \"RU\"".into(),
                );
            }
            for (i, r) in list.iter().enumerate() {
                if let Err(e) = r.parse::<Region>() {
                    return err(&format!("allowed_regions[{i}]"), e.to_string());
                }
            }
        }
        if let Some(dir) = self.secret_file.as_ref().filter(|p| p.is_dir()) {
            return err(
                "secret_file",
                format!(
                    "{} is a directory: name the key file (created if missing)",
                    dir.display()
                ),
            );
        }
        for (lang, text) in &self.consent_text {
            if !matches!(lang.as_str(), "en" | "ru" | "es" | "default") {
                return err(
                    &format!("consent_text.{lang}"),
                    "unknown language: the form speaks en, ru and es (or set `default`)".into(),
                );
            }
            if text.trim().is_empty() || text.chars().count() > 2000 {
                return err(&format!("consent_text.{lang}"), "1 to 2000 characters".into());
            }
            if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n') {
                return err(
                    &format!("consent_text.{lang}"),
                    format!("control character U+{:04X}", c as u32),
                );
            }
        }
        for (k, v) in [
            ("per_ip_per_minute", self.per_ip_per_minute),
            ("global_per_second", self.global_per_second),
            ("subscribe_per_ip_per_hour", self.subscribe_per_ip_per_hour),
            ("subscribe_per_number_per_day", self.subscribe_per_number_per_day),
            ("max_connections", self.max_connections),
        ] {
            if v == 0 {
                return err(k, "must be at least 1".into());
            }
        }
        Ok(base)
    }
}

/// `[calls]`: incoming voice calls to the SIMs (call tracking).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CallsConfig {
    /// `reject` (default: hang up at once once the caller's number is
    /// read, so the caller is not left ringing and the thank-you SMS
    /// follows at once) or `ring` (left ringing until the caller gives
    /// up). A call is never answered.
    pub action: crate::modem::CallAction,
    /// The thank-you SMS to a caller, by language like
    /// `contacts.confirmation` (`default` for any other language or an
    /// unknown caller); plain text. Empty (the default): none. Sent at
    /// most once per caller in 24 hours, never to an opted-out number.
    pub thanks: std::collections::BTreeMap<String, String>,
}

/// `[promo_codes]`: the format of the codes `{{ promo_code }}` writes.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PromoCodesConfig {
    /// The symbols codes are made of: ASCII letters and digits, at least
    /// 10, none twice (ignoring case) and none of 0/O/o, 1/I/i/l.
    pub alphabet: String,
    /// Symbols per code; the alphabet over the length must allow at least
    /// 10^9 codes.
    pub length: u32,
}

impl Default for PromoCodesConfig {
    fn default() -> Self {
        Self {
            alphabet: crate::attribution::codes::DEFAULT_ALPHABET.into(),
            length: crate::attribution::codes::DEFAULT_LENGTH,
        }
    }
}

impl PromoCodesConfig {
    /// The checked format.
    pub fn format(&self) -> Result<crate::attribution::CodeFormat, crate::attribution::codes::FormatError> {
        crate::attribution::CodeFormat::new(&self.alphabet, self.length)
    }
}

/// `[pricing]`: what one SMS costs, for the estimates of template previews.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PricingConfig {
    /// Price of one SMS (one segment of a long text), in `currency`: a TOML
    /// number (`0.05`) or a string (`"0.05"`), read as an exact decimal.
    #[serde(deserialize_with = "decimal")]
    pub per_segment: rust_decimal::Decimal,
    /// ISO 4217 code (`USD`, `EUR`, `RUB`).
    pub currency: String,
}

impl Default for PricingConfig {
    fn default() -> Self {
        Self {
            per_segment: rust_decimal::Decimal::ZERO,
            currency: "USD".into(),
        }
    }
}

/// Reads a decimal from a TOML number or string, exactly as written where
/// TOML lets us (a float is read back through its shortest spelling, so
/// `0.05` is 0.05, not 0.05000000000000000277).
fn decimal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<rust_decimal::Decimal, D::Error> {
    use std::str::FromStr;
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = rust_decimal::Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a decimal number such as 0.05 or \"0.05\"")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            rust_decimal::Decimal::from_str(v.trim())
                .map_err(|e| E::custom(format!("{v:?} is not a decimal number: {e}")))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if !v.is_finite() {
                return Err(E::custom("not a finite number"));
            }
            self.visit_str(&v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(rust_decimal::Decimal::from(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(rust_decimal::Decimal::from(v))
        }
    }
    d.deserialize_any(V)
}

/// How the connection to the SMTP server is secured (`email.security`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailSecurity {
    /// Plain TCP upgraded with STARTTLS (RFC 3207), port 587 by default;
    /// a server that does not offer it is not sent to.
    Starttls,
    /// TLS from the first byte (RFC 8314 "implicit TLS"), port 465 by default.
    Tls,
    /// No encryption: only to a relay on this machine (a loopback host).
    None,
}

/// Which replies are forwarded by email (`email.replies`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EmailReplies {
    /// Every received message.
    All,
    /// Replies credited to a campaign message (see `campaigns.attribution_days`).
    Campaign,
    /// Replies that are not keywords the gateway handles itself (STOP,
    /// START, HELP, JOIN, a double opt-in YES) nor survey votes.
    NonKeyword,
}

/// When forwarded replies are sent (`email.mode`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailMode {
    /// One email per reply, as it arrives.
    Immediate,
    /// One email per hour, at the top of the hour (in `email.time_zone`),
    /// with the replies received since the last one.
    Hourly,
}

/// `[email]`: replies forwarded by email through an SMTP server. Off
/// unless the table is present.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP server name (or address).
    pub host: String,
    /// Its port; by default 587 (starttls), 465 (tls) or 25 (none).
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none` (loopback hosts only).
    #[serde(default = "default_security")]
    pub security: EmailSecurity,
    /// SMTP user name (AUTH PLAIN or LOGIN); needs `password_file`.
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the SMTP password (read at start, never logged; refused
    /// if others can read it).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The sender, `"simfleet <sms@shop.example>"` or a bare address.
    pub from: String,
    /// Where replies go: one or more addresses.
    pub to: Vec<String>,
    /// `all` (default), `campaign` or `non_keyword`.
    #[serde(default = "default_email_replies")]
    pub replies: EmailReplies,
    /// `immediate` (default) or `hourly`.
    #[serde(default = "default_email_mode")]
    pub mode: EmailMode,
    /// A PEM file of CA certificates to trust for the server besides the system's.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds to connect, and bound (times four) on one whole SMTP conversation.
    #[serde(default = "default_email_timeout")]
    pub timeout_secs: u64,
    /// IANA zone the email shows times in and whose hours the digest
    /// follows; by default the machine's own zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Days a reply is retried while the server is down or refuses it for
    /// now, before it is marked failed.
    #[serde(default = "default_email_give_up_days")]
    pub give_up_days: u32,
    /// The password, read from `password_file` by validation.
    #[serde(skip)]
    pub password: Option<String>,
}

fn default_security() -> EmailSecurity {
    EmailSecurity::Starttls
}
fn default_email_replies() -> EmailReplies {
    EmailReplies::All
}
fn default_email_mode() -> EmailMode {
    EmailMode::Immediate
}
fn default_email_timeout() -> u64 {
    30
}
fn default_email_give_up_days() -> u32 {
    7
}

impl EmailConfig {
    /// The port, given or the security's default.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            EmailSecurity::Starttls => 587,
            EmailSecurity::Tls => 465,
            EmailSecurity::None => 25,
        })
    }

    /// Checks every key; reads the password. `key` makes `email.<name>`.
    fn check(&mut self) -> Result<(), (String, String)> {
        let key = |k: &str| format!("email.{k}");
        let host = self.host.trim();
        if host.is_empty()
            || host
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err((
                key("host"),
                format!("{:?} is not a host name or address", self.host),
            ));
        }
        if self.port == Some(0) {
            return Err((key("port"), "must be from 1 to 65535".into()));
        }
        if self.security == EmailSecurity::None && !is_loopback_host(host) {
            return Err((
                key("security"),
                format!(
                    "\"none\" sends the password and every reply in clear, so it is only allowed to a relay on this machine (a loopback host: 127.0.0.1, ::1, localhost); {host} is not: use \"starttls\" or \"tls\""
                ),
            ));
        }
        match (&self.username, &self.password_file) {
            (Some(u), Some(p)) => {
                if u.is_empty() || u.chars().any(char::is_control) {
                    return Err((key("username"), "empty or with control characters".into()));
                }
                self.password = Some(read_password(p).map_err(|e| (key("password_file"), e))?);
            }
            (Some(_), None) => return Err((key("password_file"), "missing: username needs it".into())),
            (None, Some(_)) => return Err((key("username"), "missing: password_file needs it".into())),
            (None, None) => {}
        }
        if let Err(e) = self.from.parse::<lettre::message::Mailbox>() {
            return Err((
                key("from"),
                format!("{:?} is not an email address: {e}", self.from),
            ));
        }
        if self.to.is_empty() {
            return Err((key("to"), "empty: name at least one address".into()));
        }
        for (i, to) in self.to.iter().enumerate() {
            if let Err(e) = to.parse::<lettre::message::Mailbox>() {
                return Err((
                    format!("email.to[{i}]"),
                    format!("{to:?} is not an email address: {e}"),
                ));
            }
        }
        if let Some(ca) = &self.ca_file {
            if self.security == EmailSecurity::None {
                return Err((
                    key("ca_file"),
                    "only with security = \"starttls\" or \"tls\"".into(),
                ));
            }
            if let Err(e) = crate::tls::client_config(&[("ca_file", ca.as_path())]) {
                return Err((key("ca_file"), e.to_string()));
            }
        }
        if self.timeout_secs == 0 || self.timeout_secs > 600 {
            return Err((key("timeout_secs"), "must be from 1 to 600".into()));
        }
        if let Some(zone) = &self.time_zone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            return Err((
                key("time_zone"),
                format!("{zone:?} is not an IANA time zone (such as \"Europe/Moscow\")"),
            ));
        }
        if self.give_up_days == 0 || self.give_up_days > 90 {
            return Err((key("give_up_days"), "must be from 1 to 90".into()));
        }
        Ok(())
    }
}

/// Whether `host` names this machine: a loopback address or `localhost`.
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Reads a password file: its first line, refused if others may read the
/// file (it holds a secret) or if it is empty.
fn read_password(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o004 != 0 {
            return Err(format!(
                "{} can be read by anyone on this machine; chmod 600 it (or 640 with simfleet's group)",
                path.display()
            ));
        }
    }
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let password = text.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        return Err(format!(
            "{}: empty; the password is its first line",
            path.display()
        ));
    }
    Ok(password)
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("host", &self.host)
            .field("port", &self.port())
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password_file", &self.password_file)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .field("from", &self.from)
            .field("to", &self.to)
            .field("replies", &self.replies)
            .field("mode", &self.mode)
            .field("ca_file", &self.ca_file)
            .field("timeout_secs", &self.timeout_secs)
            .field("time_zone", &self.time_zone)
            .field("give_up_days", &self.give_up_days)
            .finish()
    }
}

/// Events a webhook can subscribe to.
pub const WEBHOOK_EVENTS: [&str; 5] = ["inbound", "status", "optout", "vote", "consent"];

/// One `[[webhook]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    /// Where events are POSTed.
    pub url: String,
    /// Which: inbound, status, optout, vote, consent (default: all).
    #[serde(default = "all_events")]
    pub events: Vec<String>,
    /// Key of the HMAC-SHA256 signature each request carries.
    pub secret: String,
    /// A PEM file of CA certificates to trust for this receiver, besides
    /// the system's (a receiver with its own private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn all_events() -> Vec<String> {
    WEBHOOK_EVENTS.iter().map(|s| s.to_string()).collect()
}

impl std::fmt::Debug for WebhookEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEntry")
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"****")
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// One `[[modem]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemEntry {
    /// A port path or a glob; every match is a modem, now or when it appears.
    pub port: String,
    /// SIM PIN, entered once if asked.
    pub pin: Option<String>,
    /// Segments per SIM per day.
    pub daily_limit: Option<u32>,
    /// Segments per SIM per minute.
    pub per_minute: Option<u32>,
    /// Segments per SIM per local calendar month.
    pub monthly_limit: Option<u32>,
    /// Distinct recipients per SIM per local calendar month (a SIM at the
    /// limit still texts numbers it already texted that month).
    pub unique_recipients_per_month: Option<u32>,
    /// A new SIM's daily limits over its first days: `[50, 100, 200]` is 50
    /// segments on the local day it is first seen, 100 the next, 200 the
    /// third, then `daily_limit` (at most 31 days; none above `daily_limit`).
    #[serde(default)]
    pub warm_up: Vec<u32>,
    /// Baud rate for real UARTs.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// The SIM's own number in international form (`+79161234567`), for
    /// `{{ tracking_number }}`; without it the number the SIM stores
    /// (`AT+CNUM`) is used, when it stores one.
    #[serde(default)]
    pub number: Option<String>,
}

impl ModemEntry {
    /// Its SIM's limits (a checked entry: `warm_up` fits).
    pub fn policy(&self) -> crate::dispatch::SimPolicy {
        crate::dispatch::SimPolicy {
            daily_limit: self.daily_limit,
            per_minute: self.per_minute,
            monthly_limit: self.monthly_limit,
            unique_recipients_per_month: self.unique_recipients_per_month,
            warm_up: crate::dispatch::limits::WarmUp::new(&self.warm_up).unwrap_or_default(),
        }
    }
}

fn default_baud() -> u32 {
    115_200
}

impl std::fmt::Debug for ModemEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModemEntry")
            .field("port", &self.port)
            .field("pin", &self.pin.as_ref().map(|_| "****"))
            .field("daily_limit", &self.daily_limit)
            .field("per_minute", &self.per_minute)
            .field("monthly_limit", &self.monthly_limit)
            .field("unique_recipients_per_month", &self.unique_recipients_per_month)
            .field("warm_up", &self.warm_up)
            .field("baud", &self.baud)
            .field("number", &self.number)
            .finish()
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[api]`.
    pub api: ApiConfig,
    /// `[storage]`.
    pub storage: StorageConfig,
    /// `[sending]`.
    pub sending: SendingConfig,
    /// `[[modem]]`.
    #[serde(rename = "modem")]
    pub modems: Vec<ModemEntry>,
    /// `[optout]`.
    pub optout: OptOutConfig,
    /// `[inbound]`.
    pub inbound: InboundSettings,
    /// `[contacts]`.
    pub contacts: ContactsConfig,
    /// `[pricing]`.
    pub pricing: PricingConfig,
    /// `[campaigns]`.
    pub campaigns: CampaignsConfig,
    /// `[automations]`.
    pub automations: AutomationsConfig,
    /// `[public]`.
    pub public: PublicConfig,
    /// `[calls]`.
    pub calls: CallsConfig,
    /// `[promo_codes]`.
    pub promo_codes: PromoCodesConfig,
    /// `[[webhook]]`.
    #[serde(rename = "webhook")]
    pub webhooks: Vec<WebhookEntry>,
    /// `[email]`: replies forwarded by email; `None`: off.
    pub email: Option<EmailConfig>,
    /// `[web]`: the dashboard on the API listener.
    pub web: WebConfig,
}

/// `[web]`: the web dashboard, served at `/` on the API's listener (same
/// address, same TLS); the JSON API stays under `/v1/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Serve the dashboard (default true); false: `/` is a JSON 404 as before.
    pub enabled: bool,
    /// The dashboard's users and their argon2 password hashes, one
    /// `name:$argon2id$…` per line, written by `simfleet passwd` (0600).
    /// Default: `web-users` beside `api.token_file`. Without it, the API
    /// token is the only way in.
    pub users_file: Option<PathBuf>,
    /// A session ends after this many hours without a request (default 12).
    pub session_idle_hours: u32,
    /// …and this many days after sign-in whatever happens (default 7).
    pub session_max_days: u32,
    /// Sign-in attempts allowed per client address per minute (default 10).
    pub login_attempts_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            users_file: None,
            session_idle_hours: 12,
            session_max_days: 7,
            login_attempts_per_minute: 10,
        }
    }
}

impl WebConfig {
    /// The users file: `users_file`, else `web-users` beside the token file.
    pub fn users_file(&self, api: &ApiConfig) -> PathBuf {
        self.users_file.clone().unwrap_or_else(|| {
            api.token_file
                .parent()
                .unwrap_or(Path::new("."))
                .join("web-users")
        })
    }
}

/// What validation derives from the raw values.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The configuration as read.
    pub config: Config,
    /// `sending.default_region`, parsed.
    pub region: Region,
    /// `sending.national_languages`, parsed.
    pub national: Vec<NationalLanguage>,
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Checked, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks config text; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Checked, ConfigError> {
        let parse_error = |key: String, problem: String| ConfigError::Parse {
            path: path.to_path_buf(),
            key,
            problem,
        };
        let de = toml::Deserializer::parse(text)
            .map_err(|e| parse_error("(syntax)".into(), e.to_string().trim().replace('\n', " ")))?;
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let problem = e.inner().to_string();
            // The span diagram toml adds is noise on one line.
            let problem = problem.lines().last().unwrap_or_default().trim().to_string();
            parse_error(if key == "." { "(top level)".into() } else { key }, problem)
        })?;
        config.check(path)
    }

    fn check(self, path: &Path) -> Result<Checked, ConfigError> {
        let invalid = |key: &str, problem: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            problem,
        };
        let region: Region = self
            .sending
            .default_region
            .parse()
            .map_err(|e: crate::phone::UnknownRegion| invalid("sending.default_region", e.to_string()))?;
        let national = self
            .sending
            .national_languages
            .iter()
            .map(|code| {
                NationalLanguage::from_code(code).ok_or_else(|| {
                    invalid(
                        "sending.national_languages",
                        format!("unknown language {code:?} (known: es, pt, tr)"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        match (&self.api.tls_cert, &self.api.tls_key) {
            (Some(_), None) => return Err(invalid("api.tls_key", "missing: tls_cert needs its key".into())),
            (None, Some(_)) => {
                return Err(invalid(
                    "api.tls_cert",
                    "missing: tls_key needs its certificate".into(),
                ));
            }
            _ => {}
        }
        if !self.api.tls() && !self.api.listen.ip().is_loopback() && !self.api.allow_plain_http {
            return Err(invalid(
                "api.listen",
                format!(
                    "{} is reachable from the network, but the API would be plain HTTP (the token and every message in clear): set api.tls_cert and api.tls_key, or listen on 127.0.0.1, or set api.allow_plain_http = true if the network is yours alone",
                    self.api.listen
                ),
            ));
        }
        let base_url = self.public.check(&self.api).map_err(|(k, p)| invalid(&k, p))?;
        if self.api.max_connections == 0 {
            return Err(invalid("api.max_connections", "must be at least 1".into()));
        }
        for (key, value) in [
            ("web.session_idle_hours", self.web.session_idle_hours),
            ("web.session_max_days", self.web.session_max_days),
            (
                "web.login_attempts_per_minute",
                self.web.login_attempts_per_minute,
            ),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1".into()));
            }
        }
        if self.sending.max_attempts == 0 {
            return Err(invalid("sending.max_attempts", "must be at least 1".into()));
        }
        if self.sending.validity_minutes > 635_040 {
            return Err(invalid(
                "sending.validity_minutes",
                "longer than the 63 weeks the network allows".into(),
            ));
        }
        if self.sending.send_timeout_secs == 0 {
            return Err(invalid("sending.send_timeout_secs", "must be at least 1".into()));
        }
        for (i, m) in self.modems.iter().enumerate() {
            let key = |k: &str| format!("modem[{i}].{k}");
            if m.port.trim().is_empty() {
                return Err(invalid(&key("port"), "empty".into()));
            }
            if let Err(e) = glob::Pattern::new(&m.port) {
                return Err(invalid(&key("port"), format!("not a valid path or glob: {e}")));
            }
            if m.daily_limit == Some(0) || m.per_minute == Some(0) {
                return Err(invalid(
                    &key("daily_limit/per_minute"),
                    "0 would never send; omit it for no limit".into(),
                ));
            }
            for (k, v) in [
                ("monthly_limit", m.monthly_limit),
                ("unique_recipients_per_month", m.unique_recipients_per_month),
            ] {
                if v == Some(0) {
                    return Err(invalid(
                        &key(k),
                        "0 would never send; omit it for no limit".into(),
                    ));
                }
            }
            if m.warm_up.len() > crate::dispatch::limits::MAX_WARM_UP_DAYS {
                return Err(invalid(
                    &key("warm_up"),
                    format!(
                        "{} days; a ramp has at most {} (then daily_limit applies)",
                        m.warm_up.len(),
                        crate::dispatch::limits::MAX_WARM_UP_DAYS
                    ),
                ));
            }
            for (d, &n) in m.warm_up.iter().enumerate() {
                if n == 0 {
                    return Err(invalid(
                        &format!("modem[{i}].warm_up[{d}]"),
                        "0 would never send on that day".into(),
                    ));
                }
                if let Some(limit) = m.daily_limit
                    && n > limit
                {
                    return Err(invalid(
                        &format!("modem[{i}].warm_up[{d}]"),
                        format!("{n} is above daily_limit = {limit}: a warm-up ramps up to the daily limit"),
                    ));
                }
            }
            if let Some(number) = &m.number {
                let digits = number.strip_prefix('+').unwrap_or("");
                if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(
                        &key("number"),
                        format!("{number:?}: the SIM's number in international form, + and 7 to 15 digits"),
                    ));
                }
            }
            if let Some(pin) = &m.pin
                && !(4..=8).contains(&pin.len())
            {
                return Err(invalid(&key("pin"), "a SIM PIN has 4 to 8 digits".into()));
            }
            if let Some(pin) = &m.pin
                && !pin.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(invalid(&key("pin"), "a SIM PIN has 4 to 8 digits".into()));
            }
        }
        if self.contacts.default_time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(invalid(
                "contacts.default_time_zone",
                format!(
                    "{:?} is not an IANA time zone (such as \"Europe/Moscow\" or \"America/Mexico_City\")",
                    self.contacts.default_time_zone
                ),
            ));
        }
        if self.contacts.invalid_after_days == 0 {
            return Err(invalid(
                "contacts.invalid_after_days",
                "must be at least 1".into(),
            ));
        }
        for (key, texts) in [
            ("contacts.confirmation", &self.contacts.confirmation),
            ("contacts.welcome", &self.contacts.welcome),
        ] {
            for (lang, text) in texts {
                if let Err(e) = crate::sms::check_text(text) {
                    return Err(invalid(&format!("{key}.{lang}"), e.to_string()));
                }
            }
        }
        for (lang, text) in &self.calls.thanks {
            if text.trim().is_empty() {
                return Err(invalid(
                    &format!("calls.thanks.{lang}"),
                    "empty: a thank-you needs words; to thank no one, leave [calls.thanks] out".into(),
                ));
            }
            if let Err(e) = crate::sms::check_text(text) {
                return Err(invalid(&format!("calls.thanks.{lang}"), e.to_string()));
            }
        }
        if !self.calls.thanks.is_empty() && !self.calls.thanks.contains_key("default") {
            return Err(invalid(
                "calls.thanks.default",
                "missing: the thank-you for callers whose language has none of its own (or who are no contact)".into(),
            ));
        }
        if !self.contacts.confirmation.contains_key("default") {
            return Err(invalid(
                "contacts.confirmation.default",
                "missing: the request for contacts whose language has none of its own".into(),
            ));
        }
        if let Err(e) = self.campaigns.window() {
            return Err(invalid("campaigns.window", e));
        }
        let cap = crate::campaigns::spec::FrequencyCap {
            per_24h: self.campaigns.cap_per_24h,
            per_7d: self.campaigns.cap_per_7d,
        };
        if let Err(e) = crate::campaigns::spec::check_cap(&cap) {
            return Err(invalid("campaigns.cap_per_24h/cap_per_7d", e));
        }
        if self.campaigns.attribution_days == 0 || self.campaigns.attribution_days > 90 {
            return Err(invalid(
                "campaigns.attribution_days",
                "must be from 1 to 90".into(),
            ));
        }
        if self.campaigns.deadline_hours == 0 || self.campaigns.deadline_hours > 24 * 90 {
            return Err(invalid(
                "campaigns.deadline_hours",
                "must be from 1 to 2160 (90 days)".into(),
            ));
        }
        if self.inbound.reassembly_timeout_minutes == 0 {
            return Err(invalid(
                "inbound.reassembly_timeout_minutes",
                "must be at least 1".into(),
            ));
        }
        // Texts the gateway sends by itself follow the API's rule: no
        // control characters but line breaks, tab and form feed.
        for (key, text) in [
            ("optout.confirmation", &self.optout.confirmation),
            ("optout.resubscribe_reply", &self.optout.resubscribe_reply),
            ("optout.help_reply", &self.optout.help_reply),
        ] {
            if let Err(e) = crate::sms::check_text(text) {
                return Err(invalid(key, e.to_string()));
            }
        }
        if self
            .optout
            .keywords
            .iter()
            .all(|k| crate::inbound::keywords::normalize(k).is_empty())
        {
            return Err(invalid(
                "optout.keywords",
                "at least one opt-out keyword is needed: people must be able to say STOP".into(),
            ));
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            let key = |k: &str| format!("webhook[{i}].{k}");
            match reqwest::Url::parse(&w.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
                Ok(_) => return Err(invalid(&key("url"), "must be an http:// or https:// URL".into())),
                Err(e) => return Err(invalid(&key("url"), format!("not a URL: {e}"))),
            }
            if let Some(bad) = w.events.iter().find(|e| !WEBHOOK_EVENTS.contains(&e.as_str())) {
                return Err(invalid(
                    &key("events"),
                    format!("unknown event {bad:?} (known: {})", WEBHOOK_EVENTS.join(", ")),
                ));
            }
            if w.events.is_empty() {
                return Err(invalid(&key("events"), "empty; omit it for all events".into()));
            }
            if w.secret.len() < 16 {
                return Err(invalid(&key("secret"), "use at least 16 characters".into()));
            }
            if let Some(ca) = &w.ca_file {
                if !w.url.starts_with("https:") {
                    return Err(invalid(&key("ca_file"), "only for https:// URLs".into()));
                }
                if let Err(e) = crate::tls::client_config(&[("ca_file", ca.as_path())]) {
                    return Err(invalid(&key("ca_file"), e.to_string()));
                }
            }
        }
        if self.pricing.per_segment.is_sign_negative() && !self.pricing.per_segment.is_zero() {
            return Err(invalid(
                "pricing.per_segment",
                "a price cannot be negative".into(),
            ));
        }
        let currency = self.pricing.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(
                "pricing.currency",
                format!(
                    "{:?} is not an ISO 4217 code (three letters, e.g. USD)",
                    self.pricing.currency
                ),
            ));
        }
        if let Err(e) = self.promo_codes.format() {
            let key = match e {
                crate::attribution::codes::FormatError::TooSmall { .. }
                | crate::attribution::codes::FormatError::TooLarge { .. } => "promo_codes.length",
                _ => "promo_codes.alphabet",
            };
            return Err(invalid(key, e.to_string()));
        }
        let mut this = self;
        if let Some(email) = &mut this.email
            && let Err((key, problem)) = email.check()
        {
            return Err(invalid(&key, problem));
        }
        this.pricing.currency = currency;
        this.public.base_url = base_url;
        Ok(Checked {
            config: this,
            region,
            national,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Checked, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn calls_and_the_sims_number_are_read_and_checked() {
        let base = "[sending]\ndefault_region = \"RU\"\n[[modem]]\nport = \"/dev/x\"\n";
        let c = parse(&format!(
            "{base}number = \"+79161234567\"\n[calls]\naction = \"ring\"\n[calls.thanks]\ndefault = \"Thanks\"\n"
        ))
        .unwrap()
        .config;
        assert_eq!(c.modems[0].number.as_deref(), Some("+79161234567"));
        assert_eq!(c.calls.action, crate::modem::CallAction::Ring);
        assert_eq!(c.calls.thanks["default"], "Thanks");
        assert_eq!(
            parse(base).unwrap().config.calls.action,
            crate::modem::CallAction::Reject
        );
        let key = |text: String| match parse(&text) {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            key(format!("{base}number = \"89161234567\"\n")),
            "modem[0].number"
        );
        assert_eq!(
            key(format!("{base}[calls.thanks]\nru = \"Спасибо\"\n")),
            "calls.thanks.default"
        );
        assert_eq!(
            key(format!("{base}[calls.thanks]\ndefault = \"\"\n")),
            "calls.thanks.default",
            "an empty thank-you is refused, not sent as an empty SMS"
        );
        assert_eq!(
            key(format!(
                "{base}[calls.thanks]\ndefault = \"Thanks\"\nru = \"  \"\n"
            )),
            "calls.thanks.ru"
        );
        assert!(parse(&format!("{base}[calls]\naction = \"answer\"\n")).is_err());
    }

    #[test]
    fn promo_code_formats_are_checked_naming_the_key() {
        let c = parse("").unwrap();
        assert_eq!(
            c.config.promo_codes.format().unwrap(),
            crate::attribution::CodeFormat::default()
        );
        let c = parse("[promo_codes]\nalphabet = \"ABCDEFGHJKMNPQRSTUVWXYZ\"\nlength = 7\n").unwrap();
        assert_eq!(c.config.promo_codes.format().unwrap().length(), 7);
        let e = parse("[promo_codes]\nalphabet = \"ABCDEFGHJKO23\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("promo_codes.alphabet") && e.contains("'O'"), "{e}");
        let e = parse("[promo_codes]\nalphabet = \"ABCDEFGHJKa\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("promo_codes.alphabet") && e.contains("twice"), "{e}");
        let e = parse("[promo_codes]\nalphabet = \"ABCDEFGH\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("promo_codes.alphabet") && e.contains("at least 10"),
            "{e}"
        );
        let e = parse("[promo_codes]\nlength = 5\n").unwrap_err().to_string();
        assert!(e.contains("promo_codes.length") && e.contains("10^9"), "{e}");
    }

    #[test]
    fn the_issue_example_parses() {
        let c = parse(
            r#"
[api]
listen = "127.0.0.1:8080"
token_file = "/var/lib/simfleet/api-token"
[storage]
path = "/var/lib/simfleet/simfleet.db"
[sending]
default_region = "RU"
status_reports = true
validity_minutes = 1440
max_attempts = 3
[[modem]]
port = "/dev/simfleet/*"
pin = "1234"
daily_limit = 500
per_minute = 6
"#,
        )
        .unwrap();
        assert_eq!(c.config.modems.len(), 1);
        assert_eq!(c.config.modems[0].daily_limit, Some(500));
        assert!(
            !format!("{:?}", c.config).contains("1234"),
            "PIN leaked into Debug"
        );
    }

    #[test]
    fn web_limits_of_zero_are_refused_naming_the_key() {
        for key in [
            "session_idle_hours",
            "session_max_days",
            "login_attempts_per_minute",
        ] {
            let e = parse(&format!("[web]\n{key} = 0\n")).unwrap_err().to_string();
            assert!(e.contains(&format!("web.{key}")), "{e}");
        }
        let c = parse("[web]\nenabled = false\n").unwrap().config;
        assert!(!c.web.enabled);
        assert_eq!(
            c.web.users_file(&c.api),
            std::path::PathBuf::from("/var/lib/simfleet/web-users")
        );
    }

    #[test]
    fn the_example_file_parses_and_spells_out_the_defaults() {
        let text = include_str!("../../simfleet.example.toml");
        let c = parse(text).unwrap().config;
        let d = Config::default();
        assert_eq!(c.campaigns, d.campaigns);
        assert_eq!(c.web, d.web);
        assert_eq!(c.optout.keywords, d.optout.keywords);
        assert_eq!(c.optout.resubscribe_keywords, d.optout.resubscribe_keywords);
        assert_eq!(c.optout.help_keywords, d.optout.help_keywords);
        assert_eq!(
            (
                &c.optout.confirmation,
                &c.optout.resubscribe_reply,
                &c.optout.help_reply
            ),
            (
                &d.optout.confirmation,
                &d.optout.resubscribe_reply,
                &d.optout.help_reply
            )
        );
        assert_eq!(c.inbound.reassembly_timeout_minutes, 1440);
        assert_eq!(c.sending.validity_minutes, d.sending.validity_minutes);
        assert_eq!(c.contacts.default_time_zone, d.contacts.default_time_zone);
        assert_eq!(c.contacts.invalid_after_days, d.contacts.invalid_after_days);
        assert_eq!(c.contacts.join_keywords, d.contacts.join_keywords);
        assert_eq!(c.contacts.confirm_keywords, d.contacts.confirm_keywords);
        assert_eq!(c.contacts.confirmation, d.contacts.confirmation);
        assert_eq!(c.contacts.welcome, d.contacts.welcome);
    }

    #[test]
    fn auto_reply_texts_with_control_characters_are_refused() {
        let e = parse("[optout]\nconfirmation = \"Bye\\u0007\\u001b]0;pwned\\u0007\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("optout.confirmation") && e.contains("U+0007"), "{e}");
        let e = parse("[optout]\nhelp_reply = \"\\u0000\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("optout.help_reply"), "{e}");
        assert!(parse("[optout]\nhelp_reply = \"Line one\\nline two\"\n").is_ok());
    }

    #[test]
    fn webhooks_are_checked() {
        let hook = |body: &str| parse(&format!("[[webhook]]\n{body}")).map(|c| c.config.webhooks.len());
        assert_eq!(
            hook("url = \"https://x.org/h\"\nsecret = \"0123456789abcdef\"\n").unwrap(),
            1
        );
        for (body, key) in [
            (
                "url = \"ftp://x.org\"\nsecret = \"0123456789abcdef\"\n",
                "webhook[0].url",
            ),
            ("url = \"x\"\nsecret = \"0123456789abcdef\"\n", "webhook[0].url"),
            (
                "url = \"https://x.org\"\nsecret = \"short\"\n",
                "webhook[0].secret",
            ),
            (
                "url = \"https://x.org\"\nsecret = \"0123456789abcdef\"\nevents = [\"sms\"]\n",
                "webhook[0].events",
            ),
            ("url = \"https://x.org\"\n", "webhook[0]"),
        ] {
            let e = hook(body).unwrap_err().to_string();
            assert!(e.contains(key), "{body}: {e}");
        }
        let e = parse("[optout]\nkeywords = []\n").unwrap_err().to_string();
        assert!(e.contains("optout.keywords"), "{e}");
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse("[sending]\nmax_attempts = \"three\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`sending.max_attempts`") && e.contains("invalid type"),
            "{e}"
        );
        let e = parse("[sending]\nmax_atempts = 3\n").unwrap_err().to_string();
        assert!(e.contains("max_atempts"), "{e}");
        let e = parse("[sending]\ndefault_region = \"Russia\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`sending.default_region`") && e.contains("two-letter"),
            "{e}"
        );
        let e = parse("[[modem]]\nport = \"/dev/ttyUSB0\"\npin = \"12\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`modem[0].pin`"), "{e}");
        let e = parse("[api]\nlisten = \"localhost\"\n").unwrap_err().to_string();
        assert!(e.contains("`api.listen`"), "{e}");
        // Beyond loopback only with TLS, or plain HTTP asked for by name.
        let e = parse("[api]\nlisten = \"0.0.0.0:8080\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("api.listen") && e.contains("tls_cert"), "{e}");
        assert!(parse("[api]\nlisten = \"0.0.0.0:8080\"\nallow_plain_http = true\n").is_ok());
        assert!(parse("[api]\nlisten = \"[::]:8080\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").is_ok());
        assert!(parse("[api]\nlisten = \"[::1]:8080\"\n").is_ok());
        let e = parse("[api]\ntls_cert = \"c.pem\"\n").unwrap_err().to_string();
        assert!(e.contains("api.tls_key"), "{e}");
        let e = parse("[sending\n").unwrap_err().to_string();
        assert!(e.contains("(syntax)"), "{e}");
        let e = parse("[[modem]]\nport = \"/dev/[\"\n").unwrap_err().to_string();
        assert!(e.contains("`modem[0].port`"), "{e}");
    }

    #[test]
    fn sim_quotas_are_read_and_checked() {
        let c = parse(
            "[[modem]]\nport = \"/dev/ttyUSB0\"\ndaily_limit = 500\nmonthly_limit = 9000\nunique_recipients_per_month = 250\nwarm_up = [50, 100, 200]\n",
        )
        .unwrap();
        let p = c.config.modems[0].policy();
        assert_eq!(p.monthly_limit, Some(9000));
        assert_eq!(p.unique_recipients_per_month, Some(250));
        assert_eq!(p.warm_up.days(), [50, 100, 200]);
        assert_eq!(p.daily_limit_on(2), Some(100));
        assert_eq!(p.daily_limit_on(4), Some(500));
        for (body, key) in [
            ("monthly_limit = 0", "modem[0].monthly_limit"),
            (
                "unique_recipients_per_month = 0",
                "modem[0].unique_recipients_per_month",
            ),
            ("warm_up = [10, 0]", "modem[0].warm_up[1]"),
            ("daily_limit = 100\nwarm_up = [50, 150]", "modem[0].warm_up[1]"),
            ("warm_up = [\"fifty\"]", "modem[0].warm_up[0]"),
            ("monthly_limit = -5", "modem[0].monthly_limit"),
        ] {
            let e = parse(&format!("[[modem]]\nport = \"/dev/ttyUSB0\"\n{body}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{body}: {e}");
        }
        let long = format!("warm_up = [{}]", vec!["1"; 32].join(", "));
        let e = parse(&format!("[[modem]]\nport = \"/dev/ttyUSB0\"\n{long}\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("modem[0].warm_up") && e.contains("at most 31"), "{e}");
    }

    #[test]
    fn email_is_off_unless_set_and_every_key_is_checked() {
        assert!(parse("").unwrap().config.email.is_none());
        let base = "host = \"smtp.shop.example\"\nfrom = \"simfleet <sms@shop.example>\"\nto = [\"ops@shop.example\"]\n";
        let e = parse(&format!("[email]\n{base}")).unwrap().config.email.unwrap();
        assert_eq!(
            (e.port(), e.security, e.replies, e.mode),
            (
                587,
                EmailSecurity::Starttls,
                EmailReplies::All,
                EmailMode::Immediate
            )
        );
        let e = parse(&format!(
            "[email]\n{base}security = \"tls\"\nreplies = \"non_keyword\"\nmode = \"hourly\"\n"
        ))
        .unwrap()
        .config
        .email
        .unwrap();
        assert_eq!(
            (e.port(), e.replies, e.mode),
            (465, EmailReplies::NonKeyword, EmailMode::Hourly)
        );
        for (extra, key, says) in [
            ("security = \"none\"\n", "email.security", "loopback"),
            ("security = \"ssl\"\n", "email.security", "unknown variant"),
            ("replies = \"some\"\n", "email.replies", "unknown variant"),
            ("mode = \"daily\"\n", "email.mode", "unknown variant"),
            ("port = 0\n", "email.port", "1 to 65535"),
            ("username = \"u\"\n", "email.password_file", "missing"),
            (
                "password_file = \"/nonexistent/pw\"\n",
                "email.username",
                "missing",
            ),
            (
                "username = \"u\"\npassword_file = \"/nonexistent/pw\"\n",
                "email.password_file",
                "/nonexistent/pw",
            ),
            ("timeout_secs = 0\n", "email.timeout_secs", "from 1"),
            ("time_zone = \"Mars/Base\"\n", "email.time_zone", "IANA"),
            ("give_up_days = 0\n", "email.give_up_days", "from 1"),
            (
                "ca_file = \"/nonexistent/ca.pem\"\n",
                "email.ca_file",
                "/nonexistent/ca.pem",
            ),
            ("tls = true\n", "email", "unknown field"),
        ] {
            let e = parse(&format!("[email]\n{base}{extra}")).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(says), "{extra}: {e}");
        }
        for (body, key) in [
            (
                "host = \"\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n",
                "email.host",
            ),
            (
                "host = \"h\"\nfrom = \"not an address\"\nto = [\"c@d.example\"]\n",
                "email.from",
            ),
            ("host = \"h\"\nfrom = \"a@b.example\"\nto = []\n", "email.to"),
            (
                "host = \"h\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\", \"oops\"]\n",
                "email.to[1]",
            ),
            ("host = \"h\"\nfrom = \"a@b.example\"\n", "email"),
        ] {
            let e = parse(&format!("[email]\n{body}")).unwrap_err().to_string();
            assert!(e.contains(key), "{body}: {e}");
        }
        // Plain SMTP only to this machine.
        for host in ["127.0.0.1", "localhost", "::1", "[::1]"] {
            let text = format!(
                "[email]\nhost = \"{host}\"\nsecurity = \"none\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n"
            );
            assert_eq!(parse(&text).unwrap().config.email.unwrap().port(), 25, "{host}");
        }
    }

    #[test]
    fn the_smtp_password_file_is_read_at_start_refused_if_anyone_can_read_it_and_never_shown() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "hunter2-секрет\nignored\n").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = format!(
            "[email]\nhost = \"smtp.shop.example\"\nusername = \"me\"\npassword_file = \"{}\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n",
            pw.display()
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("email.password_file") && e.contains("chmod 600"),
            "{e}"
        );
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = parse(&text).unwrap().config;
        let email = c.email.as_ref().unwrap();
        assert_eq!(email.password.as_deref(), Some("hunter2-секрет"));
        assert!(
            !format!("{c:?}").contains("hunter2"),
            "the password leaked into Debug"
        );
        std::fs::write(&pw, "\n").unwrap();
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("email.password_file") && e.contains("empty"), "{e}");
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.config.api.listen.port(), 8080);
        assert_eq!(c.config.sending.max_attempts, 3);
        assert!(c.config.modems.is_empty());
    }
    #[test]
    fn pricing_reads_exact_decimals_from_numbers_or_strings() {
        use std::str::FromStr;
        let d = |s: &str| rust_decimal::Decimal::from_str(s).unwrap();
        let c = parse("").unwrap();
        assert_eq!(c.config.pricing, PricingConfig::default());
        assert_eq!(c.config.pricing.currency, "USD");
        let c = parse("[pricing]\nper_segment = 0.05\ncurrency = \"eur\"\n").unwrap();
        assert_eq!(c.config.pricing.per_segment, d("0.05"));
        assert_eq!(c.config.pricing.currency, "EUR");
        let c = parse("[pricing]\nper_segment = \"0.0035\"\n").unwrap();
        assert_eq!(c.config.pricing.per_segment, d("0.0035"));
        let c = parse("[pricing]\nper_segment = 2\n").unwrap();
        assert_eq!(c.config.pricing.per_segment, d("2"));
        let e = parse("[pricing]\nper_segment = \"five\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pricing.per_segment"), "{e}");
        let e = parse("[pricing]\nper_segment = -0.5\n").unwrap_err().to_string();
        assert!(e.contains("pricing.per_segment") && e.contains("negative"), "{e}");
        let e = parse("[pricing]\ncurrency = \"dollars\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pricing.currency"), "{e}");
    }

    #[test]
    fn a_weekly_campaign_cap_below_the_daily_one_is_refused() {
        let e = parse("[campaigns]\ncap_per_24h = 3\ncap_per_7d = 2\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("campaigns.cap_per_24h/cap_per_7d") && e.contains("per_7d"),
            "{e}"
        );
        assert!(parse("[campaigns]\ncap_per_24h = 2\ncap_per_7d = 2\n").is_ok());
    }

    #[test]
    fn the_public_listener_is_checked() {
        let public = |body: &str| parse(&format!("[public]\n{body}\n")).map(|c| c.config.public);
        // Off by default; a trailing slash of base_url is dropped.
        assert_eq!(public("").unwrap().listen, None);
        let p = public("listen = \"127.0.0.1:8081\"\nbase_url = \"https://sms.shop.example/\"").unwrap();
        assert_eq!(p.base_url.as_deref(), Some("https://sms.shop.example"));
        let p = public("base_url = \"http://shop.example/sms//\"").unwrap();
        assert_eq!(p.base_url.as_deref(), Some("http://shop.example/sms"));
        for (body, key, words) in [
            ("base_url = \"sms.shop.example\"", "public.base_url", "absolute"),
            ("base_url = \"ftp://shop.example\"", "public.base_url", "http"),
            (
                "base_url = \"https://shop.example/?utm=1\"",
                "public.base_url",
                "query",
            ),
            (
                "base_url = \"https://shop.example/#top\"",
                "public.base_url",
                "fragment",
            ),
            ("listen = \"0.0.0.0:8081\"", "public.listen", "reverse proxy"),
            ("listen = \"127.0.0.1:8080\"", "public.listen", "api.listen"),
            ("tls_cert = \"c.pem\"", "public.tls_key", "missing"),
            (
                "embed_origins = [\"https://shop.example/page\"]",
                "public.embed_origins[0]",
                "origin",
            ),
            (
                "embed_origins = [\"https://a.example; script-src *\"]",
                "public.embed_origins[0]",
                "origin",
            ),
            ("brand = \"\"", "public.brand", "1 to 100"),
            (
                "consent_text = { ru = \"\\u0007\" }",
                "public.consent_text.ru",
                "",
            ),
            (
                "subscribe_per_number_per_day = 0",
                "public.subscribe_per_number_per_day",
                "at least 1",
            ),
            (
                "consent_text = { xx = \"hi\" }",
                "public.consent_text.xx",
                "unknown language",
            ),
            ("secret_file = \"/tmp\"", "public.secret_file", "directory"),
            (
                "allowed_regions = [\"RU\", \"Russia\"]",
                "public.allowed_regions[1]",
                "unknown region",
            ),
            ("allowed_regions = []", "public.allowed_regions", "at least one"),
        ] {
            let e = public(body).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(words), "{body}: {e}");
        }
        // Beyond loopback with TLS, or plain HTTP asked for by name.
        assert!(public("listen = \"0.0.0.0:8081\"\nallow_plain_http = true").is_ok());
        assert!(public("listen = \"[::]:8443\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"").is_ok());
        // Same port on every address as the API's: refused too.
        let e = parse("[api]\nlisten = \"127.0.0.1:9000\"\n[public]\nlisten = \"0.0.0.0:9000\"\nallow_plain_http = true\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("public.listen"), "{e}");
        let p = public("embed_origins = [\"https://shop.example\", \"http://localhost:3000\"]").unwrap();
        assert_eq!(p.embed_origins.len(), 2);
    }
}
