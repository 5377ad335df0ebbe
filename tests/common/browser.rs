//! A real Chromium driven through WebDriver (Debian's `chromium` and
//! `chromium-driver`, via the fantoccini crate), with blocking helpers so
//! a test reads as a walk through the dashboard; and [`Dashboard`], the
//! daemon with simulated modems and a signed-in browser.
//!
//! Tests using it are `#[ignore = BROWSER]`: `cargo test` reports them
//! ignored with the reason on a machine without Chromium; `.ci/run`
//! installs both and runs them with `--ignored`.
//!
//! `SIMFLEET_SCREENSHOTS=1` makes [`Browser::screenshots`] write
//! `docs/screenshots/<name>-desktop.png` and `-phone.png` (1280 and 375 px wide).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::Sim;
use super::gateway::{Gateway, Proc, free_port, write_config};

/// The reason browser tests are ignored by a plain `cargo test`.
pub const BROWSER: &str = "needs Chromium and ChromeDriver (apt install chromium chromium-driver); .ci/run installs them and runs this with --ignored";

/// The password the fixtures give user `admin`.
pub const PASSWORD: &str = "correct horse battery";

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Desktop and phone widths of the screenshots.
pub const DESKTOP: (u32, u32) = (1280, 900);
/// A phone (iPhone SE / mini width).
pub const PHONE: (u32, u32) = (375, 812);

/// A headless Chromium session, blocking.
pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    _driver: Proc,
    /// The dashboard's base URL (`http://127.0.0.1:PORT`).
    pub base: String,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium speaking `lang` first.
    pub fn start(base: &str, lang: &str) -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(Path::new(tool).exists(), "{tool} missing: {BROWSER}");
        }
        let port = free_port();
        let driver = Proc(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={},{}", DESKTOP.0, DESKTOP.1), format!("--lang={lang}"),
                         "--force-device-scale-factor=1", "--hide-scrollbars"],
                "prefs": {"intl.accept_languages": lang}
            }
        }))
        .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let client = rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let mut b = ClientBuilder::rustls().expect("rustls");
                b.capabilities(caps.clone());
                match b.connect(&url).await {
                    Ok(c) => break c,
                    Err(e) if Instant::now() > deadline => panic!("chromedriver: {e}"),
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Browser {
            rt,
            client: Some(client),
            _driver: driver,
            base: base.to_string(),
        }
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Opens `path` (relative to the dashboard) or a full URL.
    pub fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.rt.block_on(self.c().goto(&url)).unwrap();
    }

    /// The current URL's path and query.
    pub fn path(&self) -> String {
        let u = self.rt.block_on(self.c().current_url()).unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// Waits (up to 10 s) for `css` and clicks it.
    pub fn click(&self, css: &str) {
        self.rt
            .block_on(async {
                let e = self.find_within(css, Duration::from_secs(10)).await?;
                e.click().await
            })
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Replaces the value of the field `css` with `text` (typed, so input events fire).
    pub fn fill(&self, css: &str, text: &str) {
        self.rt
            .block_on(async {
                let e = self.find_within(css, Duration::from_secs(10)).await?;
                e.clear().await?;
                e.send_keys(text).await
            })
            .unwrap_or_else(|e| panic!("fill {css}: {e}"));
    }

    /// Chooses the option with `value` in the select `css`.
    pub fn select(&self, css: &str, value: &str) {
        self.rt
            .block_on(async {
                let e = self.find_within(css, Duration::from_secs(10)).await?;
                e.select_by_value(value).await
            })
            .unwrap_or_else(|e| panic!("select {css} = {value}: {e}"));
    }

    /// Sets a file input `css` to the local file `path`.
    pub fn upload(&self, css: &str, path: &Path) {
        self.rt
            .block_on(async {
                let e = self.find_within(css, Duration::from_secs(10)).await?;
                e.send_keys(&path.display().to_string()).await
            })
            .unwrap_or_else(|e| panic!("upload {css}: {e}"));
    }

    async fn find_within(
        &self,
        css: &str,
        wait: Duration,
    ) -> Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
        let deadline = Instant::now() + wait;
        loop {
            match self.c().find(Locator::Css(css)).await {
                Ok(e) => return Ok(e),
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The visible text of `css` (waits up to 10 s for it to exist).
    pub fn text(&self, css: &str) -> String {
        self.rt
            .block_on(async {
                let e = self.find_within(css, Duration::from_secs(10)).await?;
                e.text().await
            })
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    /// Whether `css` matches anything now.
    pub fn exists(&self, css: &str) -> bool {
        self.rt
            .block_on(self.c().find_all(Locator::Css(css)))
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    }

    /// Waits up to `secs` for the text of `css` to contain `needle`;
    /// returns the text, or panics with what it was.
    pub fn wait_text(&self, css: &str, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = String::new();
        while Instant::now() < deadline {
            let got = self.rt.block_on(async {
                let e = self.c().find(Locator::Css(css)).await.ok()?;
                e.text().await.ok()
            });
            if let Some(t) = got {
                if t.contains(needle) {
                    return t;
                }
                last = t;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("waited {secs} s for {css:?} to contain {needle:?}; it says: {last:?}");
    }

    /// The text of the whole page.
    pub fn body(&self) -> String {
        self.text("body")
    }

    /// Runs `script` in the page (`arguments` = `args`) and returns its value.
    pub fn exec(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt.block_on(self.c().execute(script, args)).unwrap()
    }

    /// Sets the browser window's size.
    pub fn size(&self, (w, h): (u32, u32)) {
        self.rt.block_on(self.c().set_window_size(w, h)).unwrap();
    }

    /// Signs in as `user` with `password` from the login page.
    pub fn login(&self, user: &str, password: &str) {
        self.goto("/login");
        self.fill("#user", user);
        self.fill("#password", password);
        self.click("form[action='/login'] button[type=submit]");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.path().starts_with("/login") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// axe-core's violations of impact `serious` or `critical` on the
    /// current page, as "id: help (n nodes: targets)" lines.
    pub fn axe_serious(&self) -> Vec<String> {
        let axe =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/assets/axe.min.js"))
                .unwrap();
        self.exec(&axe, vec![]);
        let got = self
            .rt
            .block_on(self.c().execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                    .then(r => done(JSON.stringify(r.violations)))
                    .catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));",
                vec![],
            ))
            .unwrap();
        let list: Vec<Value> = serde_json::from_str(got.as_str().unwrap_or("[]")).unwrap();
        list.iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                let targets: Vec<String> = v["nodes"]
                    .as_array()
                    .map(|n| n.iter().take(3).map(|n| n["target"].to_string()).collect())
                    .unwrap_or_default();
                format!(
                    "{}: {} ({} nodes: {})",
                    v["id"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or("?"),
                    v["nodes"].as_array().map_or(0, |n| n.len()),
                    targets.join(", ")
                )
            })
            .collect()
    }

    /// Fails the test if the current page has a serious accessibility violation.
    pub fn assert_accessible(&self) {
        let v = self.axe_serious();
        assert!(
            v.is_empty(),
            "accessibility violations on {}: {v:#?}",
            self.path()
        );
    }

    /// With `SIMFLEET_SCREENSHOTS` set, saves the current page at desktop
    /// and phone width as `docs/screenshots/{name}-desktop.png` / `-phone.png`.
    pub fn screenshots(&self, name: &str) {
        if std::env::var_os("SIMFLEET_SCREENSHOTS").is_none() {
            return;
        }
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for (suffix, size) in [("desktop", DESKTOP), ("phone", PHONE)] {
            self.size(size);
            std::thread::sleep(Duration::from_millis(300));
            let png = self.rt.block_on(self.c().screenshot()).unwrap();
            std::fs::write(dir.join(format!("{name}-{suffix}.png")), png).unwrap();
        }
        self.size(DESKTOP);
    }

    /// Whether the page is wider than the window (sideways scrolling at phone width).
    pub fn overflows_horizontally(&self) -> bool {
        self.exec(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .as_bool()
        .unwrap_or(false)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.rt.block_on(c.close());
        }
    }
}

/// Where screenshots go: `docs/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
}

/// The daemon over simulated modems, user `admin` with [`PASSWORD`], and
/// a browser signed in.
pub struct Dashboard {
    /// The browser (declared first: closed before the daemon stops).
    pub browser: Browser,
    /// The daemon.
    pub gw: Gateway,
    /// The simulator.
    pub sim: Sim,
}

impl Dashboard {
    /// `modems` simulated modems (answering after `latency_ms`), the
    /// config's `extra` appended, the browser speaking `lang`, signed in.
    pub fn start(modems: usize, latency_ms: u64, extra: &str, lang: &str) -> Dashboard {
        let sim = Sim::start(modems, latency_ms);
        let config = write_config(sim.dir.path(), free_port(), extra);
        set_password(&config, "admin", PASSWORD);
        let gw = Gateway::start(&config);
        gw.wait_ready_modems(modems);
        let browser = Browser::start(&gw.base, lang);
        browser.login("admin", PASSWORD);
        assert_eq!(
            browser.path(),
            "/",
            "signed in and on the overview: {}",
            browser.body()
        );
        Dashboard { browser, gw, sim }
    }
}

/// `simfleet passwd --password-stdin` for `user`.
pub fn set_password(config: &Path, user: &str, password: &str) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["passwd", "--password-stdin", "--config"])
        .arg(config)
        .arg(user)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "simfleet passwd failed");
}
