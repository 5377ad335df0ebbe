//! The dashboard over plain HTTP (no browser): raw requests with the
//! cookies and headers a test chooses, redirects not followed, and a
//! signed-in session for page tests that need no JavaScript.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// An answer: status, headers (names lower-case), body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Answer {
    /// The first header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie`.
    pub fn cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value a `Set-Cookie` gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().into_iter().find_map(|c| {
            let first = c.split(';').next()?;
            let (k, v) = first.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }
}

/// One request to `base` (`http://127.0.0.1:PORT`), `Connection: close`.
pub fn request(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { unchunk(rest) } else { rest.to_string() };
    Answer {
        status,
        headers,
        body,
    }
}

fn unchunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A signed-in session: its cookie header and its anti-forgery token.
#[derive(Debug, Clone)]
pub struct Session {
    /// `simfleet=…`, for a `Cookie` header.
    pub cookie: String,
    /// The `X-CSRF-Token` value.
    pub csrf: String,
}

impl Session {
    /// Signs in through `/login` with `user` and `password` (or the API token).
    pub fn login(base: &str, user: &str, password: &str) -> Session {
        let form = request(base, "GET", "/login", &[], b"");
        assert_eq!(form.status, 200, "{}", form.body);
        let login = form
            .cookie("simfleet_login")
            .expect("the login form sets its cookie");
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("_login", &login)
            .append_pair("user", user)
            .append_pair("password", password)
            .finish();
        let cookie = format!("simfleet_login={login}");
        let r = request(
            base,
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
            body.as_bytes(),
        );
        assert_eq!(r.status, 303, "sign-in refused: {}", r.body);
        let id = r.cookie("simfleet").expect("a session cookie");
        let cookie = format!("simfleet={id}");
        let page = request(base, "GET", "/settings", &[("Cookie", &cookie)], b"");
        let csrf = page
            .body
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a page carries the anti-forgery token")
            .to_string();
        Session { cookie, csrf }
    }

    /// A signed-in GET.
    pub fn get(&self, base: &str, path: &str) -> Answer {
        request(base, "GET", path, &[("Cookie", &self.cookie)], b"")
    }

    /// A signed-in form POST with the anti-forgery header, as htmx sends it.
    pub fn post_form(&self, base: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        request(
            base,
            "POST",
            path,
            &[
                ("Cookie", &self.cookie),
                ("X-CSRF-Token", &self.csrf),
                ("HX-Request", "true"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
    }
}
