//! The settings page (`/settings`): the configuration the gateway runs
//! with, read-only, with every secret hidden (the API token, SIM PINs,
//! webhook secrets, SMTP credentials, key files' contents are never
//! read here at all); where webhook deliveries and emailed replies stand
//! (the store functions behind `GET /v1/overview` and `GET /v1/email`);
//! and who may sign in to the dashboard (names only).
//!
//! The configuration is listed key by key from an allow-list
//! ([`config_sections`]), not dumped: a key added later is not shown
//! until someone decides it is safe to.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use serde::Serialize;

use super::{Viewer, WebError, WebState};
use crate::api::overview::shown_url;
use crate::config::Config;

/// Replies not emailed yet, at most this many listed.
const WAITING: usize = 20;

/// This page's routes.
pub fn routes() -> Router<WebState> {
    Router::new().route("/settings", get(page))
}

/// One configuration key as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The key as written in the file (`sending.default_region`).
    pub key: String,
    /// Its value in words; `None` when not set.
    pub value: Option<String>,
    /// A secret: only whether it is set is shown.
    pub secret: bool,
}

/// A group of keys (a table of the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// Anchor (`config-<id>`).
    pub id: &'static str,
    /// Text id of its title.
    pub title_id: &'static str,
    /// Its keys.
    pub rows: Vec<Setting>,
}

fn plain(key: impl Into<String>, value: impl ToString) -> Setting {
    Setting {
        key: key.into(),
        value: Some(value.to_string()),
        secret: false,
    }
}

fn maybe<T: ToString>(key: impl Into<String>, value: Option<T>) -> Setting {
    Setting {
        key: key.into(),
        value: value.map(|v| v.to_string()),
        secret: false,
    }
}

/// Shows only whether a secret is set ("set, hidden"), never its value.
fn secret(key: impl Into<String>, set: bool) -> Setting {
    Setting {
        key: key.into(),
        value: set.then(String::new),
        secret: true,
    }
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// The configuration as the settings page lists it, secrets hidden.
pub fn config_sections(c: &Config) -> Vec<Section> {
    let mut out = vec![
        Section {
            id: "api",
            title_id: "settings-section-api",
            rows: vec![
                plain("api.listen", c.api.listen),
                secret("api.token_file", true),
                plain("api.tls", c.api.tls()),
                plain("api.allow_plain_http", c.api.allow_plain_http),
                plain("api.max_connections", c.api.max_connections),
            ],
        },
        Section {
            id: "storage",
            title_id: "settings-section-storage",
            rows: vec![plain("storage.path", path(&c.storage.path))],
        },
        Section {
            id: "sending",
            title_id: "settings-section-sending",
            rows: vec![
                plain("sending.default_region", &c.sending.default_region),
                plain("sending.status_reports", c.sending.status_reports),
                plain("sending.validity_minutes", c.sending.validity_minutes),
                plain("sending.max_attempts", c.sending.max_attempts),
                plain("sending.send_timeout_secs", c.sending.send_timeout_secs),
                plain("sending.national_languages", list(&c.sending.national_languages)),
                plain("sending.normalize_punctuation", c.sending.normalize_punctuation),
            ],
        },
    ];
    let mut modems = Vec::new();
    for (i, m) in c.modems.iter().enumerate() {
        let k = |name: &str| format!("modem[{}].{name}", i + 1);
        modems.extend([
            plain(k("port"), &m.port),
            secret(k("pin"), m.pin.is_some()),
            maybe(k("number"), m.number.as_ref()),
            maybe(k("daily_limit"), m.daily_limit),
            maybe(k("per_minute"), m.per_minute),
            maybe(k("monthly_limit"), m.monthly_limit),
            maybe(k("unique_recipients_per_month"), m.unique_recipients_per_month),
            maybe(
                k("warm_up"),
                (!m.warm_up.is_empty()).then(|| {
                    m.warm_up
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
            ),
        ]);
    }
    out.push(Section {
        id: "modems",
        title_id: "settings-section-modems",
        rows: modems,
    });
    out.push(Section {
        id: "optout",
        title_id: "settings-section-optout",
        rows: vec![
            plain("optout.keywords", list(&c.optout.keywords)),
            plain(
                "optout.resubscribe_keywords",
                list(&c.optout.resubscribe_keywords),
            ),
            plain("optout.help_keywords", list(&c.optout.help_keywords)),
            plain("optout.confirmation", &c.optout.confirmation),
            plain(
                "optout.max_auto_replies_per_day",
                c.optout.max_auto_replies_per_day,
            ),
        ],
    });
    out.push(Section {
        id: "audience",
        title_id: "settings-section-audience",
        rows: vec![
            plain("contacts.default_time_zone", &c.contacts.default_time_zone),
            plain(
                "pricing.per_segment",
                format!("{} {}", c.pricing.per_segment, c.pricing.currency),
            ),
            plain(
                "campaigns.window",
                format!(
                    "{}–{} ({})",
                    c.campaigns.window_start,
                    c.campaigns.window_end,
                    list(&c.campaigns.window_days)
                ),
            ),
        ],
    });
    out.push(Section {
        id: "public",
        title_id: "settings-section-public",
        rows: vec![
            maybe("public.listen", c.public.listen),
            maybe("public.base_url", c.public.base_url.as_deref().map(shown_url)),
            plain("public.tls", c.public.tls()),
            secret("public.secret_file", c.public.secret_file.is_some()),
        ],
    });
    let mut hooks = Vec::new();
    for (i, h) in c.webhooks.iter().enumerate() {
        let k = |name: &str| format!("webhook[{}].{name}", i + 1);
        hooks.extend([
            plain(k("url"), shown_url(&h.url)),
            plain(k("events"), list(&h.events)),
            secret(k("secret"), !h.secret.is_empty()),
        ]);
    }
    out.push(Section {
        id: "webhooks",
        title_id: "settings-section-webhooks",
        rows: hooks,
    });
    let email = match &c.email {
        None => Vec::new(),
        Some(e) => vec![
            plain("email.host", &e.host),
            maybe("email.port", e.port),
            plain("email.security", format!("{:?}", e.security).to_lowercase()),
            secret("email.username", e.username.is_some()),
            secret(
                "email.password",
                e.password.is_some() || e.password_file.is_some(),
            ),
            plain("email.from", &e.from),
            plain("email.to", list(&e.to)),
            plain("email.replies", format!("{:?}", e.replies).to_lowercase()),
            plain("email.mode", format!("{:?}", e.mode).to_lowercase()),
        ],
    };
    out.push(Section {
        id: "email",
        title_id: "settings-section-email",
        rows: email,
    });
    out.push(Section {
        id: "web",
        title_id: "settings-section-web",
        rows: vec![
            plain("web.session_idle_hours", c.web.session_idle_hours),
            plain("web.session_max_days", c.web.session_max_days),
            plain("web.login_attempts_per_minute", c.web.login_attempts_per_minute),
        ],
    });
    out
}

async fn page(State(w): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let (hooks, email, waiting) = w
        .api
        .store
        .run(|s| {
            Ok::<_, crate::store::StoreError>((
                s.webhook_states()?,
                s.email_counts()?,
                s.emails_waiting(WAITING)?,
            ))
        })
        .await?;
    let hooks: Vec<_> = hooks
        .iter()
        .map(|h| {
            context! {
                url => shown_url(&h.url), pending => h.pending, failing => h.failing(),
                attempts => h.attempts, last_error => h.last_error.clone(),
                oldest_at => h.oldest_at, next_at => h.next_at,
            }
        })
        .collect();
    let waiting: Vec<_> = waiting
        .iter()
        .map(|e| {
            context! {
                inbox_id => e.inbox_id, attempts => e.attempts, queued_at => e.created_at,
                next_at => e.failed_at.is_none().then_some(e.next_at), failed_at => e.failed_at,
                last_error => e.last_error.clone(),
            }
        })
        .collect();
    let users_file = w.shared.users_file.clone();
    let users = tokio::task::spawn_blocking(move || super::users::read(&users_file))
        .await
        .map_err(WebError::internal)?;
    let (users, users_error) = match users {
        Ok(list) => (list.into_iter().map(|(name, _)| name).collect::<Vec<_>>(), false),
        Err(e) => {
            tracing::warn!(error = %e, "settings: cannot read the dashboard users file");
            (Vec::new(), true)
        }
    };
    let sections = config_sections(&w.shared.config);
    let email_on = w.shared.config.email.is_some();
    w.page(
        "settings.html",
        &viewer,
        context! {
            sections => minijinja::Value::from(minijinja::value::Serde(sections)),
            hooks => hooks,
            email_on => email_on,
            email => context! { pending => email.pending, retrying => email.retrying, sent => email.sent, failed => email.failed },
            waiting => waiting,
            users => users,
            users_error => users_error,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_never_shown_only_whether_they_are_set() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("smtp-password");
        std::fs::write(&pw, "smtp-password-5678\n").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        let toml = r#"
[api]
listen = "127.0.0.1:8080"
token_file = "/var/lib/simfleet/api-token"
[[modem]]
port = "/dev/ttyUSB*"
pin = "4321"
daily_limit = 300
[[webhook]]
url = "https://bob:hunter2@crm.example.com/hooks/ABCDEFGHIJKLMNOPQRSTUV?key=qwerty"
secret = "webhook-signing-secret-1234"
[email]
host = "smtp.example.com"
username = "mailer@example.com"
password_file = "PW"
from = "gw@example.com"
to = ["owner@example.com"]
"#
        .replace("PW", &pw.display().to_string());
        let c = crate::config::Config::parse(&toml, &dir.path().join("simfleet.toml"))
            .expect("a valid config")
            .config;
        let sections = config_sections(&c);
        let all = format!("{sections:?}");
        for secret in [
            "4321",
            "hunter2",
            "bob",
            "ABCDEFGHIJKLMNOPQRSTUV",
            "qwerty",
            "webhook-signing-secret",
            "mailer@example.com",
            "smtp-password",
        ] {
            assert!(!all.contains(secret), "{secret} shown: {all}");
        }
        let find = |key: &str| {
            sections
                .iter()
                .flat_map(|s| &s.rows)
                .find(|r| r.key == key)
                .unwrap_or_else(|| panic!("{key} listed"))
                .clone()
        };
        assert_eq!(find("modem[1].pin"), secret("modem[1].pin", true));
        assert_eq!(find("modem[1].daily_limit").value.as_deref(), Some("300"));
        assert!(find("webhook[1].secret").secret);
        assert!(find("email.password").value.is_some(), "set");
        assert_eq!(
            find("webhook[1].url").value.as_deref(),
            Some("https://crm.example.com/hooks/…")
        );
        let catalog = super::super::i18n::Catalog::load();
        for s in &sections {
            for lang in super::super::i18n::Lang::ALL {
                assert!(catalog.has(lang, s.title_id), "{} in {}", s.title_id, lang.code());
            }
        }
    }
}
