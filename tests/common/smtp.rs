//! A small SMTP server on loopback for tests (RFC 5321 as far as a mail
//! client needs: EHLO/HELO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT; STARTTLS or implicit TLS with a given
//! rustls certificate, or neither), recording every message
//! it accepts; and a reader of the messages it got (RFC 2047 headers,
//! quoted-printable and base64 bodies).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// TLS the server speaks.
#[derive(Clone)]
pub enum ServerTls {
    /// Offers STARTTLS (RFC 3207) and upgrades when asked.
    StartTls(Arc<rustls::ServerConfig>),
    /// TLS from the first byte (port 465 style).
    Implicit(Arc<rustls::ServerConfig>),
}

/// How the server behaves.
#[derive(Clone, Default)]
pub struct SmtpOptions {
    /// Require AUTH with this user and password before MAIL.
    pub credentials: Option<(String, String)>,
    /// Recipients answered `550` at RCPT.
    pub reject: Vec<String>,
    /// TLS, if any.
    pub tls: Option<ServerTls>,
}

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Got {
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO, in order.
    pub to: Vec<String>,
    /// The user that logged in, if any.
    pub user: Option<String>,
    /// The message as received (CRLF lines, unstuffed).
    pub data: String,
    /// It came over TLS.
    pub encrypted: bool,
}

/// A running server, stopped on drop.
pub struct SmtpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    got: Arc<Mutex<Vec<Got>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SmtpServer {
    /// Listens on 127.0.0.1:`port` (0: any free port).
    pub fn start(port: u16, opts: SmtpOptions) -> SmtpServer {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let g = got.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                let opts = Arc::new(opts);
                tokio::select! {
                    _ = stopped => {}
                    _ = async {
                        loop {
                            let Ok((s, _)) = listener.accept().await else { continue };
                            let (g, o) = (g.clone(), opts.clone());
                            tokio::spawn(async move { let _ = serve(s, &o, &g).await; });
                        }
                    } => {}
                }
            });
        });
        SmtpServer {
            port,
            got,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Messages accepted so far.
    pub fn messages(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (at most `limit`) until `n` messages were accepted; returns all.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Got> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline && self.messages().len() < n {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.messages()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One connection: plain (upgraded on STARTTLS) or TLS from the start.
async fn serve(s: tokio::net::TcpStream, opts: &SmtpOptions, got: &Mutex<Vec<Got>>) -> std::io::Result<()> {
    match &opts.tls {
        Some(ServerTls::Implicit(cfg)) => {
            let tls = tokio_rustls::TlsAcceptor::from(cfg.clone()).accept(s).await?;
            session(tls, opts, got, true, true).await?;
        }
        Some(ServerTls::StartTls(cfg)) => {
            if let Some(plain) = session(s, opts, got, true, false).await? {
                let tls = tokio_rustls::TlsAcceptor::from(cfg.clone()).accept(plain).await?;
                session(tls, opts, got, false, true).await?;
            }
        }
        None => {
            session(s, opts, got, true, false).await?;
        }
    }
    Ok(())
}

/// Speaks SMTP on `s` until QUIT or the end; returns the stream when the
/// client asked for STARTTLS (offered only when not `encrypted`).
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    s: S,
    opts: &SmtpOptions,
    got: &Mutex<Vec<Got>>,
    greet: bool,
    encrypted: bool,
) -> std::io::Result<Option<S>> {
    let mut r = BufReader::new(s);
    if greet {
        put(r.get_mut(), b"220 127.0.0.1 ESMTP test server\r\n").await?;
    }
    let offer_starttls = !encrypted && matches!(opts.tls, Some(ServerTls::StartTls(_)));
    let (mut user, mut from, mut to): (Option<String>, Option<String>, Vec<String>) =
        (None, None, Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let auth = if opts.credentials.is_some() {
                "250-AUTH PLAIN LOGIN\r\n"
            } else {
                ""
            };
            let starttls = if offer_starttls { "250-STARTTLS\r\n" } else { "" };
            format!("250-127.0.0.1\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{starttls}{auth}250 SIZE 10000000\r\n")
        } else if upper == "STARTTLS" && offer_starttls {
            put(r.get_mut(), b"220 Ready to start TLS\r\n").await?;
            return Ok(Some(r.into_inner()));
        } else if upper.starts_with("HELO") {
            "250 127.0.0.1\r\n".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let b64 = match cmd.split_whitespace().nth(2) {
                Some(b) => b.to_string(),
                None => {
                    put(r.get_mut(), b"334 \r\n").await?;
                    let mut l = String::new();
                    r.read_line(&mut l).await?;
                    l.trim().to_string()
                }
            };
            let raw = B64.decode(b64).unwrap_or_default();
            let parts: Vec<String> = raw
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            check(opts, parts.get(1), parts.get(2), &mut user)
        } else if upper.starts_with("AUTH LOGIN") {
            let mut read = async |prompt: &[u8]| -> std::io::Result<String> {
                put(r.get_mut(), prompt).await?;
                let mut l = String::new();
                r.read_line(&mut l).await?;
                Ok(String::from_utf8_lossy(&B64.decode(l.trim()).unwrap_or_default()).into_owned())
            };
            let u = read(b"334 VXNlcm5hbWU6\r\n").await?;
            let p = read(b"334 UGFzc3dvcmQ6\r\n").await?;
            check(opts, Some(&u), Some(&p), &mut user)
        } else if upper.starts_with("MAIL FROM:") {
            if opts.credentials.is_some() && user.is_none() {
                "530 5.7.0 Authentication required\r\n".into()
            } else {
                from = Some(addr(&cmd[10..]));
                to.clear();
                "250 OK\r\n".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            let a = addr(&cmd[8..]);
            if from.is_none() {
                "503 MAIL first\r\n".into()
            } else if opts.reject.contains(&a) {
                "550 5.1.1 No such user\r\n".into()
            } else {
                to.push(a);
                "250 OK\r\n".into()
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                "503 RCPT first\r\n".into()
            } else {
                put(r.get_mut(), b"354 End with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).await? == 0 {
                        return Ok(None);
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                got.lock().unwrap().push(Got {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    user: user.clone(),
                    data,
                    encrypted,
                });
                "250 OK queued\r\n".into()
            }
        } else if upper == "RSET" {
            from = None;
            to.clear();
            "250 OK\r\n".into()
        } else if upper == "NOOP" {
            "250 OK\r\n".into()
        } else if upper == "QUIT" {
            put(r.get_mut(), b"221 Bye\r\n").await?;
            return Ok(None);
        } else {
            "502 Command not implemented\r\n".into()
        };
        put(r.get_mut(), reply.as_bytes()).await?;
    }
}

/// Writes and flushes (TLS keeps what is written until flushed).
async fn put<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

fn check(opts: &SmtpOptions, u: Option<&String>, p: Option<&String>, user: &mut Option<String>) -> String {
    match (&opts.credentials, u, p) {
        (Some((cu, cp)), Some(u), Some(p)) if cu == u && cp == p => {
            *user = Some(u.clone());
            "235 2.7.0 Authentication successful\r\n".into()
        }
        _ => "535 5.7.8 Authentication credentials invalid\r\n".into(),
    }
}

/// `<a@b> SIZE=…` → `a@b`.
fn addr(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or("");
    s.trim_start_matches('<').trim_end_matches('>').to_string()
}

/// A message read back: headers (unfolded, RFC 2047 words decoded, names
/// lower case) and the body decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Header name (lower case) → values in order.
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body, decoded to text.
    pub body: String,
}

impl Mail {
    /// Reads `data` (a whole message).
    pub fn parse(data: &str) -> Mail {
        let data = data.replace("\r\n", "\n");
        let (head, body) = data.split_once("\n\n").unwrap_or((&data, ""));
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut unfolded: Vec<String> = Vec::new();
        for l in head.lines() {
            if l.starts_with([' ', '\t']) {
                if let Some(last) = unfolded.last_mut() {
                    last.push_str(l);
                }
            } else {
                unfolded.push(l.to_string());
            }
        }
        for l in unfolded {
            if let Some((k, v)) = l.split_once(':') {
                headers
                    .entry(k.trim().to_ascii_lowercase())
                    .or_default()
                    .push(decode_words(v.trim()));
            }
        }
        let cte = headers
            .get("content-transfer-encoding")
            .and_then(|v| v.first())
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        let bytes = match cte.as_str() {
            "base64" => B64.decode(body.split_whitespace().collect::<String>()).unwrap(),
            "quoted-printable" => {
                quoted_printable::decode(body.replace('\n', "\r\n"), quoted_printable::ParseMode::Robust)
                    .unwrap()
            }
            _ => body.as_bytes().to_vec(),
        };
        Mail {
            headers,
            body: String::from_utf8(bytes).unwrap().replace("\r\n", "\n"),
        }
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`);
/// whitespace between two encoded words is dropped, as the RFC says.
fn decode_words(v: &str) -> String {
    let mut out = String::new();
    let mut prev_encoded = false;
    for (i, token) in v.split([' ', '\t']).filter(|t| !t.is_empty()).enumerate() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut it = t.splitn(3, '?');
                let (_charset, enc, text) = (it.next()?, it.next()?, it.next()?);
                let bytes = match enc {
                    "b" | "B" => B64.decode(text).ok()?,
                    "q" | "Q" => {
                        quoted_printable::decode(text.replace('_', " "), quoted_printable::ParseMode::Robust)
                            .ok()?
                    }
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match decoded {
            Some(d) => {
                if i > 0 && !prev_encoded {
                    out.push(' ');
                }
                out.push_str(&d);
                prev_encoded = true;
            }
            None => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(token);
                prev_encoded = false;
            }
        }
    }
    out
}
