//! Tracked links: the UTM parameters `{{ link("…") }}` adds, a campaign's
//! slug for `utm_campaign`, and the short-link slugs (`/l/{slug}`).
//!
//! UTM parameters follow Google Analytics' campaign URL builder:
//! `utm_source=sms`, `utm_medium=sms`, `utm_campaign=<campaign slug>`,
//! `utm_content=<variant>`; a parameter the URL already has of these names
//! is replaced, every other query pair and the fragment are kept in order.

/// Symbols of a short link's slug: digits and letters of both cases
/// (URLs are case-sensitive).
pub const SLUG_ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Slug length: 62^7 ≈ 3.5 × 10^12 slugs, so with a million links issued
/// a guessed slug hits one with odds of about 1 in 3.5 million.
pub const SLUG_LENGTH: u32 = 7;

/// The slug format's domain (serial counter and permutation name).
pub const SLUG_DOMAIN: &str = "link:62:7";

/// The slug of serial `serial` under `perm` (of [`slug_space`]).
pub fn slug(perm: &super::permute::Permutation, serial: u64) -> String {
    encode_slug(perm.apply(u128::from(serial)))
}

/// How many slugs there are (62^7).
pub fn slug_space() -> u128 {
    62u128.pow(SLUG_LENGTH)
}

fn encode_slug(mut v: u128) -> String {
    let symbols = SLUG_ALPHABET.as_bytes();
    let mut out = vec![b'0'; SLUG_LENGTH as usize];
    for slot in out.iter_mut().rev() {
        *slot = symbols[(v % 62) as usize];
        v /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `s` has the shape of a slug (7 ASCII letters or digits); the
/// public handler answers 404 to anything else without a lookup.
pub fn is_slug(s: &str) -> bool {
    s.len() == SLUG_LENGTH as usize && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A short link of the real length for previews.
pub fn sample_short_link(base_url: &str) -> String {
    format!(
        "{}/l/{}",
        base_url.trim_end_matches('/'),
        "x".repeat(SLUG_LENGTH as usize)
    )
}

/// The short link of `slug` under `base_url`.
pub fn short_link(base_url: &str, slug: &str) -> String {
    format!("{}/l/{slug}", base_url.trim_end_matches('/'))
}

/// `url` with the UTM parameters of a message of campaign `campaign`
/// (its slug) and variant `variant`; the URL's own query pairs (other
/// than `utm_source`, `utm_medium`, `utm_campaign`, `utm_content`) and
/// fragment are kept. Errors name the URL (an invalid or non-http(s) one).
pub fn with_utm(url: &str, campaign: &str, variant: &str) -> Result<String, String> {
    let mut parsed = url::Url::parse(url).map_err(|e| format!("link: {url:?} is not a valid URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("link: {url:?} is not an http(s) URL"));
    }
    const OURS: [&str; 4] = ["utm_source", "utm_medium", "utm_campaign", "utm_content"];
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| !OURS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = parsed.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair("utm_source", "sms");
        q.append_pair("utm_medium", "sms");
        q.append_pair("utm_campaign", campaign);
        q.append_pair("utm_content", variant);
    }
    Ok(parsed.into())
}

/// The slug of a campaign's name for `utm_campaign`: lowercase ASCII
/// letters and digits joined by single hyphens, Latin accents dropped and
/// Cyrillic transliterated (ISO 9-like, as Russian passports write it), at
/// most 60 characters; `campaign-<id>` when nothing is left.
pub fn campaign_slug(name: &str, id: i64) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    let mut dash = false;
    for c in name.nfkd() {
        let piece: String = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase().to_string()
        } else if let Some(t) = cyrillic(c) {
            t.to_string()
        } else if unicode_normalization::char::is_combining_mark(c) {
            continue;
        } else {
            dash = !out.is_empty();
            continue;
        };
        if dash {
            out.push('-');
            dash = false;
        }
        out.push_str(&piece);
        if out.len() >= 60 {
            break;
        }
    }
    out.truncate(60);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        format!("campaign-{id}")
    } else {
        out
    }
}

fn cyrillic(c: char) -> Option<&'static str> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    Some(match lower {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'э' => "e",
        'ё' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' => "i",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ы' => "y",
        'ю' => "iu",
        'я' => "ia",
        'ъ' | 'ь' => "",
        'і' => "i",
        'ї' => "i",
        'є' => "ie",
        'ґ' => "g",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_parameters_are_added_keeping_the_query_and_fragment() {
        assert_eq!(
            with_utm("https://shop.example/sale", "black-friday", "A").unwrap(),
            "https://shop.example/sale?utm_source=sms&utm_medium=sms&utm_campaign=black-friday&utm_content=A"
        );
        assert_eq!(
            with_utm("https://shop.example/p?id=5&utm_source=mail#top", "bf", "B two").unwrap(),
            "https://shop.example/p?id=5&utm_source=sms&utm_medium=sms&utm_campaign=bf&utm_content=B+two#top"
        );
        assert!(with_utm("ftp://x.example/", "c", "A").is_err());
        assert!(with_utm("not a url", "c", "A").is_err());
    }

    #[test]
    fn campaign_slugs_are_lowercase_ascii_with_hyphens() {
        assert_eq!(campaign_slug("Black Friday 2026!", 3), "black-friday-2026");
        assert_eq!(campaign_slug("Распродажа — зима", 3), "rasprodazha-zima");
        assert_eq!(campaign_slug("Café  Crème", 3), "cafe-creme");
        assert_eq!(campaign_slug("🎉🎉", 7), "campaign-7");
        assert!(campaign_slug(&"a b ".repeat(50), 1).len() <= 60);
    }

    #[test]
    fn slugs_are_seven_alphanumerics() {
        assert_eq!(encode_slug(0), "0000000");
        assert_eq!(encode_slug(slug_space() - 1), "zzzzzzz");
        assert!(is_slug("aZ09xYq"));
        assert!(!is_slug("aZ09xY"));
        assert!(!is_slug("aZ09x/q"));
    }
}
