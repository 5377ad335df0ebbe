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
//!    (Twitterbot), Skype (SkypeUriPreview), Discord, LinkedIn, Viber (a
//!    bare `Viber/…` agent; a `Mozilla/5.0 … Viber/…` one is its in-app
//!    browser, a person, as are Telegram's, Facebook's `FBAN/FBAV`,
//!    Instagram's, Google's `GSA`, LINE's and WeChat's `MicroMessenger`),
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
    "viberbot",
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
    // Viber's preview fetcher sends a bare `Viber/…` (or `Viber`) user agent;
    // its in-app browser sends a full `Mozilla/5.0 …` one ending in
    // `Viber/21.0.0.0`, like Telegram/Facebook/Instagram in-app browsers,
    // whose preview fetchers have their own names (TelegramBot,
    // facebookexternalhit). Only the bare one is a machine.
    if ua.trim_start().starts_with("viber") {
        return Some("link preview or crawler: viber".into());
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
    fn in_app_browsers_are_people_and_their_preview_fetchers_machines() {
        for s in [
            "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 Viber/21.0.0.0",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Viber/21.0.0",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230803.041; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36 Telegram-Android/10.5.0 (Google Pixel 8; Android 14; SDK 34; HIGH)",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.33.117;FBBV/552427133;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.0;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
            "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/443.0.0.23.229;]",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.0.2.23.101 (iPhone15,3; iOS 17_1; en_US; en; scale=3.00; 1290x2796; 537211111)",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/290.0.581180829 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.19.0",
            "Mozilla/5.0 (Linux; Android 13; V2169A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230701 MMWEBID/2585 MicroMessenger/8.0.40.2420(0x28002837) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
        ] {
            assert_eq!(machine(&ua(s)), None, "{s}");
        }
        for s in [
            "Viber/21.0.0.0",
            "Viber",
            "TelegramBot (like TwitterBot)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0;)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ] {
            assert!(machine(&ua(s)).is_some(), "{s}");
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
