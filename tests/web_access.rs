//! The dashboard's door, over plain HTTP against the real daemon: nothing
//! but the sign-in page without a session, passwords and the API token,
//! cookie flags, anti-forgery checks, the language switch, sign-out.

mod common;

use common::Sim;
use common::browser::{PASSWORD, set_password};
use common::gateway::{Gateway, free_port, write_config};
use common::web::{Session, request};

fn gateway() -> (Sim, Gateway) {
    let (sim, gw, _) = gateway_and_config();
    (sim, gw)
}

fn gateway_and_config() -> (Sim, Gateway, std::path::PathBuf) {
    let sim = Sim::start(1, 0);
    let config = write_config(sim.dir.path(), free_port(), "");
    set_password(&config, "admin", PASSWORD);
    set_password(&config, "clinic", PASSWORD);
    let gw = Gateway::start(&config);
    (sim, gw, config)
}

#[test]
fn a_changed_password_signs_out_what_the_old_one_opened() {
    let (_sim, gw, config) = gateway_and_config();
    let admin = Session::login(&gw.base, "admin", PASSWORD);
    let clinic = Session::login(&gw.base, "clinic", PASSWORD);
    assert_eq!(admin.get(&gw.base, "/").status, 200);
    set_password(&config, "admin", "a new and longer password");
    assert_eq!(
        admin.get(&gw.base, "/").status,
        303,
        "the old password's session ended"
    );
    assert_eq!(admin.get(&gw.base, "/").status, 303, "and stays ended");
    assert_eq!(
        clinic.get(&gw.base, "/").status,
        200,
        "another user's session stays"
    );
    let again = Session::login(&gw.base, "admin", "a new and longer password");
    assert_eq!(again.get(&gw.base, "/").status, 200);
}

#[test]
fn no_page_or_asset_without_signing_in_but_the_login_page() {
    let (_sim, gw) = gateway();
    for path in [
        "/",
        "/send",
        "/messages",
        "/conversations",
        "/contacts",
        "/segments",
        "/campaigns",
        "/automations",
        "/surveys",
        "/optouts",
        "/settings",
        "/no-such-page",
        "/assets/app.css",
        "/assets/htmx.min.js",
        "/assets/app.js",
    ] {
        let r = request(&gw.base, "GET", path, &[("Accept", "text/html")], b"");
        assert_eq!(r.status, 303, "{path}");
        assert!(
            r.header("location").unwrap().starts_with("/login?next="),
            "{path}"
        );
        assert!(!r.body.contains("simfleet"), "{path} shows nothing");
    }
    // htmx is told to go to the login page; a script gets a plain 401.
    let r = request(&gw.base, "GET", "/messages", &[("HX-Request", "true")], b"");
    assert_eq!((r.status, r.header("hx-redirect")), (401, Some("/login")));
    let r = request(&gw.base, "POST", "/send", &[("Accept", "application/json")], b"");
    assert_eq!(r.status, 401);
    // The sign-in page itself, with no external resource.
    let r = request(&gw.base, "GET", "/login", &[], b"");
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("src=\"http") && !r.body.contains("href=\"http"));
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("script-src 'self'")
    );
    // The JSON API is where it was, and still wants its token.
    assert_eq!(request(&gw.base, "GET", "/v1/messages", &[], b"").status, 401);
    assert_eq!(request(&gw.base, "GET", "/healthz", &[], b"").status, 200);
}

#[test]
fn a_password_or_the_api_token_signs_in_and_nothing_else_does() {
    let (_sim, gw) = gateway();
    let form = request(&gw.base, "GET", "/login", &[], b"");
    let login = form.cookie("simfleet_login").unwrap();
    let try_login = |user: &str, password: &str, with_cookie: bool| {
        let body = format!(
            "_login={login}&user={user}&password={}",
            url::form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
        );
        let cookie = format!("simfleet_login={login}");
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if with_cookie {
            headers.push(("Cookie", cookie.as_str()));
        }
        request(&gw.base, "POST", "/login", &headers, body.as_bytes())
    };
    let wrong = try_login("admin", "not the password", true);
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Wrong user or password"));
    assert!(wrong.cookie("simfleet").is_none());
    assert_eq!(try_login("nobody", PASSWORD, true).status, 401);
    // Without the form's cookie (a forged cross-site form): refused.
    assert_eq!(try_login("admin", PASSWORD, false).status, 403);
    let ok = try_login("admin", PASSWORD, true);
    assert_eq!(ok.status, 303);
    let set = ok
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("simfleet="))
        .unwrap()
        .to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP on loopback: not Secure");
    let token = try_login("", &gw.token, true);
    assert_eq!(token.status, 303, "the API token signs in");
}

#[test]
fn changes_need_the_sessions_token_and_sign_out_ends_the_session() {
    let (_sim, gw) = gateway();
    let s = Session::login(&gw.base, "admin", PASSWORD);
    assert_eq!(s.get(&gw.base, "/").status, 200);
    // A POST without the token, or with another, is refused.
    let bare = request(
        &gw.base,
        "POST",
        "/logout",
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"",
    );
    assert_eq!(bare.status, 403);
    let wrong = request(
        &gw.base,
        "POST",
        "/logout",
        &[
            ("Cookie", &s.cookie),
            ("X-CSRF-Token", "0000"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"",
    );
    assert_eq!(wrong.status, 403);
    assert!(
        wrong.body.contains("reload it"),
        "said, not an empty answer: {}",
        wrong.body
    );
    let cross = request(
        &gw.base,
        "POST",
        "/logout",
        &[
            ("Cookie", &s.cookie),
            ("X-CSRF-Token", &s.csrf),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        b"",
    );
    assert_eq!(cross.status, 403);
    assert_eq!(s.get(&gw.base, "/").status, 200, "still signed in");
    // The form field works as the header does.
    let out = request(
        &gw.base,
        "POST",
        "/logout",
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        format!("_csrf={}", s.csrf).as_bytes(),
    );
    assert_eq!(out.status, 303);
    assert_eq!(s.get(&gw.base, "/").status, 303, "the old cookie opens nothing");
}

#[test]
fn the_language_follows_the_browser_and_the_switch_is_remembered() {
    let (_sim, gw) = gateway();
    let ru = request(
        &gw.base,
        "GET",
        "/login",
        &[("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")],
        b"",
    );
    assert!(
        ru.body.contains("<html lang=\"ru\">") && ru.body.contains("Войти"),
        "{}",
        ru.body
    );
    let es = request(&gw.base, "GET", "/login", &[("Accept-Language", "es-ES")], b"");
    assert!(es.body.contains("Entrar"));
    let s = Session::login(&gw.base, "admin", PASSWORD);
    let switch = s.get(&gw.base, "/settings?lang=ru");
    assert_eq!(switch.status, 303);
    assert_eq!(switch.header("location"), Some("/settings"));
    let lang = switch.cookie("lang").unwrap();
    let page = request(
        &gw.base,
        "GET",
        "/settings",
        &[("Cookie", &format!("{}; lang={lang}", s.cookie))],
        b"",
    );
    assert!(page.body.contains("Настройки"), "{}", page.body);
}
