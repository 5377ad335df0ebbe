//! One SMTP conversation (lettre's connection, rustls with `ring`): connect
//! (implicit TLS, or STARTTLS — never falling back to clear text — or
//! plain to a loopback relay), EHLO, AUTH PLAIN/LOGIN when a user is set,
//! MAIL/RCPT/DATA, QUIT. Errors are sorted: anything before the message is
//! handed over (the server down, TLS, a refused login) or a 4xx answer is
//! [`SendError::Later`] (the reply waits and is tried again); a 5xx answer
//! to the message itself (a recipient the server will never take, a message
//! it refuses) is [`SendError::Never`].

use std::time::Duration;

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use crate::config::{EmailConfig, EmailSecurity};

/// Why an email was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later: the server is down, busy, or refused the login.
    Later(String),
    /// The server refuses this email for good (an SMTP 5xx answer to it).
    Never(String),
}

/// How to reach the SMTP server.
#[derive(Clone)]
pub struct Smtp {
    host: String,
    port: u16,
    security: EmailSecurity,
    credentials: Option<Credentials>,
    tls: Option<TlsParameters>,
    timeout: Duration,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("auth", &self.credentials.is_some())
            .finish()
    }
}

impl Smtp {
    /// From a checked `[email]`.
    pub fn new(cfg: &EmailConfig) -> Result<Smtp, String> {
        // rustls's provider for the process is ring; lettre takes the
        // installed one (reqwest's clients install it too).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let host = cfg
            .host
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = match cfg.security {
            EmailSecurity::None => None,
            EmailSecurity::Starttls | EmailSecurity::Tls => {
                let mut b = TlsParameters::builder(host.clone());
                if let Some(ca) = &cfg.ca_file {
                    let pem =
                        std::fs::read(ca).map_err(|e| format!("email.ca_file {}: {e}", ca.display()))?;
                    let cert = Certificate::from_pem(&pem)
                        .map_err(|e| format!("email.ca_file {}: {e}", ca.display()))?;
                    b = b.add_root_certificate(cert);
                }
                Some(b.build_rustls().map_err(|e| format!("TLS: {e}"))?)
            }
        };
        let credentials = match (&cfg.username, &cfg.password) {
            (Some(u), Some(p)) => Some(Credentials::new(u.clone(), p.clone())),
            _ => None,
        };
        Ok(Smtp {
            host,
            port: cfg.port(),
            security: cfg.security,
            credentials,
            tls,
            timeout: Duration::from_secs(cfg.timeout_secs),
        })
    }

    /// `host:port` for logs.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Sends `message` to its envelope's recipients; the whole
    /// conversation is bounded by four times the timeout.
    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        match tokio::time::timeout(self.timeout * 4, self.converse(message)).await {
            Ok(r) => r,
            Err(_) => Err(SendError::Later(format!(
                "no answer within {} s",
                (self.timeout * 4).as_secs()
            ))),
        }
    }

    async fn converse(&self, message: &Message) -> Result<(), SendError> {
        let later = |what: &str, e: lettre::transport::smtp::Error| {
            SendError::Later(format!("{what}: {}", chain(&e)))
        };
        let hello = ClientId::default();
        let implicit = (self.security == EmailSecurity::Tls)
            .then(|| self.tls.clone())
            .flatten();
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &hello,
            implicit,
            None,
        )
        .await
        .map_err(|e| later("connect", e))?;
        if self.security == EmailSecurity::Starttls {
            let Some(tls) = self.tls.clone() else {
                return Err(SendError::Later("no TLS parameters".into()));
            };
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(SendError::Later(
                    "the server does not offer STARTTLS; not sending in clear (set security = \"tls\" if it speaks TLS from the start)".into(),
                ));
            }
            conn.starttls(tls, &hello)
                .await
                .map_err(|e| later("STARTTLS", e))?;
        }
        if let Some(c) = &self.credentials
            && let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], c).await
        {
            conn.abort().await;
            return Err(later("login (check email.username and email.password_file)", e));
        }
        let raw = message.formatted();
        match conn.send(message.envelope(), &raw).await {
            Ok(_) => {
                let _ = conn.quit().await;
                Ok(())
            }
            Err(e) if e.is_permanent() => {
                conn.abort().await;
                Err(SendError::Never(format!("refused: {}", chain(&e))))
            }
            Err(e) => {
                conn.abort().await;
                Err(later("sending", e))
            }
        }
    }
}

/// An error with its causes, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out.replace(['\r', '\n'], " ")
}
