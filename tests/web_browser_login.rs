//! Signing in, switching language and signing out in a real Chromium.

mod common;

use common::browser::{BROWSER, Browser, Dashboard, PASSWORD};

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn sign_in_switch_to_russian_and_sign_out() {
    let _ = BROWSER;
    let d = Dashboard::start(1, 0, "", "en-US");
    let b = &d.browser;
    b.wait_text("nav", "Overview", 10);
    b.assert_accessible();
    // The switcher: Russian, remembered across pages.
    b.click("a[hreflang=ru]");
    b.wait_text("nav", "Обзор", 10);
    b.goto("/settings");
    b.wait_text("nav", "Настройки", 10);
    assert_eq!(b.exec("return document.documentElement.lang;", vec![]), "ru");
    b.click("form[action='/logout'] button");
    b.wait_text("h1", "simfleet", 10);
    assert!(b.path().starts_with("/login"));
    b.goto("/messages");
    assert!(b.path().starts_with("/login?next="), "signed out: {}", b.path());
    b.assert_accessible();
    b.screenshots("login");
}

#[test]
#[ignore = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored"]
fn a_wrong_password_is_refused_in_the_viewers_language() {
    let d = Dashboard::start(1, 0, "", "es-ES");
    let b = Browser::start(&d.gw.base, "es-ES");
    b.goto("/login");
    b.fill("#user", "admin");
    b.fill("#password", "no es la contraseña");
    b.click("form[action='/login'] button[type=submit]");
    b.wait_text("[role=alert]", "incorrectos", 10);
    b.login("admin", PASSWORD);
    assert_eq!(b.path(), "/");
}
