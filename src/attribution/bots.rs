//! Who followed a short link: a person, or a machine fetching it — a
//! messenger drawing a link preview, a search engine, a security scanner,
//! a browser prefetching. Machines are recorded but not counted as clicks.
//!
//! How (decided on the request's headers alone, in this order):
//! 1. a prefetch or preview the browser announces: `Purpose: prefetch`,
//!    `Sec-Purpose: prefetch…`, `X-Purpose: preview`, `X-Moz: prefetch`;
//! 2. no `User-Agent` at all (every phone browser sends one);
//! 3. a `User-Agent` naming a link-preview fetcher — WhatsApp, Telegram
//!    (TelegramBot), Slack (Slackbot, Slack-ImgProxy), Facebook
//!    (facebookexternalhit, Facebot, meta-externalagent), Twitter/X
//!    (Twitterbot), Skype (SkypeUriPreview), Discord, LinkedIn, Viber,
//!    iMessage (the Apple preview's `facebookexternalhit … Facebot
//!    Twitterbot` disguise), Pinterest, Snapchat, VK, Yandex, Google
//!    (Googlebot, Google-InspectionTool, AdsBot), Bing (bingbot, BingPreview),
//!    Apple (Applebot), DuckDuckBot, Baiduspider;
//! 4. a `User-Agent` with a generic machine word: `bot`, `crawler`,
//!    `spider`, `preview`, `fetch`, `scanner`, `headless`, `monitor`,
//!    `validator`, `http client`;
//! 5. an HTTP library or command-line tool: curl, Wget, python-requests,
//!    python-urllib, aiohttp, httpx, Go-http-client, Java/, okhttp,
//!    Apache-HttpClient, node-fetch, axios, libwww-perl, PostmanRuntime,
//!    reqwest — people open SMS links in a browser, and a click counted
//!    from a script would inflate the figures.
//!
//! Everything else is a person. The list errs toward counting: a bot with
//! a browser's user agent is counted (nothing on the headers tells it).

use axum::http::HeaderMap;

/// Names of link-preview fetchers and crawlers, lowercase, matched as
/// substrings of the lowercased user agent.
const FETCHERS: &[&str] = &[
    "whatsapp",
    "telegrambot",
    "slackbot",
    "slack-imgproxy",
    "facebookexternalhit",
    "facebot",
    "meta-externalagent",
    "twitterbot",
    "skypeuripreview",
    "discordbot",
    "linkedinbot",
    "viber",
    "pinterest",
    "snapchat",
    "vkshare",
    "yandex",
    "googlebot",
    "google-inspectiontool",
    "adsbot-google",
    "mediapartners-google",
    "google-read-aloud",
    "bingbot",
    "bingpreview",
    "applebot",
    "duckduckbot",
    "baiduspider",
    "embedly",
    "iframely",
    "outbrain",
    "redditbot",
    "mastodon",
];

/// Generic words of machine user agents.
const MACHINE_WORDS: &[&str] = &[
    "bot",
    "crawler",
    "crawl",
    "spider",
    "preview",
    "fetch",
    "scanner",
    "headless",
    "monitor",
    "validator",
    "http client",
    "http-client",
];

/// HTTP libraries and command-line tools.
const LIBRARIES: &[&str] = &[
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python/",
    "aiohttp",
    "httpx",
    "go-http-client",
    "java/",
    "okhttp",
    "apache-httpclient",
    "node-fetch",
    "axios/",
    "undici",
    "libwww-perl",
    "postmanruntime",
    "reqwest",
    "ruby",
    "php/",
    "guzzlehttp",
    "powershell",
];

/// Why a request is a machine's, or `None` for a person's: e.g.
/// `"prefetch header"`, `"no user agent"`, `"link preview: whatsapp"`,
/// `"bot user agent: crawler"`, `"http library: curl/"`.
pub fn machine(headers: &HeaderMap) -> Option<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
    };
    for (name, word) in [
        ("purpose", "prefetch"),
        ("sec-purpose", "prefetch"),
        ("x-purpose", "preview"),
        ("x-purpose", "prefetch"),
        ("x-moz", "prefetch"),
    ] {
        if header(name).is_some_and(|v| v.contains(word)) {
            return Some(format!("{name}: {word} header"));
        }
    }
    let ua = match header("user-agent") {
        Some(ua) if !ua.trim().is_empty() => ua,
        _ => return Some("no user agent".into()),
    };
    if let Some(f) = FETCHERS.iter().find(|f| ua.contains(*f)) {
        return Some(format!("link preview or crawler: {f}"));
    }
    if let Some(l) = LIBRARIES.iter().find(|l| ua.contains(*l)) {
        return Some(format!("http library: {}", l.trim_end_matches('/')));
    }
    if let Some(w) = MACHINE_WORDS.iter().find(|w| ua.contains(*w)) {
        return Some(format!("bot user agent: {w}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ua(s: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("user-agent", s.parse().unwrap());
        h
    }

    #[test]
    fn phone_browsers_are_people() {
        for s in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
        ] {
            assert_eq!(machine(&ua(s)), None, "{s}");
        }
    }

    #[test]
    fn preview_fetchers_bots_and_libraries_are_machines() {
        for s in [
            "WhatsApp/2.23.20.0 A",
            "TelegramBot (like TwitterBot)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
            "Twitterbot/1.0",
            "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "curl/8.5.0",
            "python-requests/2.31.0",
            "Go-http-client/1.1",
            "SomeCompany LinkChecker crawler",
        ] {
            assert!(machine(&ua(s)).is_some(), "{s}");
        }
        assert_eq!(machine(&HeaderMap::new()).as_deref(), Some("no user agent"));
        let mut h = ua("Mozilla/5.0 (iPhone) Safari/604.1");
        h.insert("sec-purpose", "prefetch;prerender".parse().unwrap());
        assert!(machine(&h).unwrap().contains("prefetch"));
    }
}
