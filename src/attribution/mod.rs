//! Attribution: what a message brought. Each message that uses them gets
//! a unique promo code (`{{ promo_code }}`) and tracked links
//! (`{{ link("…") }}`: UTM parameters, a short link on the public
//! listener); redemptions of the code and clicks on the links are counted
//! against the message's contact, campaign (or automation) and variant.
//!
//! - [`permute`]: the keyed bijection that turns a durable serial into a
//!   code or slug (unique by construction, not guessable);
//! - [`codes`]: the promo-code format and how a typed code is read;
//! - [`links`]: UTM parameters, campaign slugs, short-link slugs;
//! - [`bots`]: link-preview fetchers and bots, not counted as clicks;
//! - [`prepare`]: the one call any sender makes before rendering a message
//!   (serials reserved, [`crate::templates::Extras`] built) and the
//!   [`Records`] it writes in the message's own transaction
//!   ([`crate::store::Tx::record_attribution`]).

pub mod bots;
pub mod codes;
pub mod links;
pub mod permute;

use std::sync::{Arc, Mutex};

use crate::store::{Store, StoreError};
use crate::templates::{Extras, LinkMaker, Template};
pub use codes::CodeFormat;

/// Most `link(…)` calls one message may make (slugs are reserved before
/// rendering, one per call written in the template, up to this).
pub const MAX_LINKS_PER_MESSAGE: usize = 10;

/// How codes and links are made, from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// `[promo_codes]`: the format of codes.
    pub codes: CodeFormat,
    /// `public.base_url` without a trailing slash: links become short
    /// links `{base_url}/l/{slug}`; `None`: the destination with UTM
    /// parameters is written in the text.
    pub base_url: Option<String>,
}

/// Whom a message's codes and links are attributed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The campaign that sends it.
    pub campaign_id: Option<i64>,
    /// The automation that sends it (issue 14, automations).
    pub automation_id: Option<i64>,
    /// The recipient's contact.
    pub contact_id: Option<i64>,
    /// Variant name (`utm_content`; `"A"` for a single-text sender).
    pub variant: String,
    /// `utm_campaign`: the campaign's (or automation's) slug, see
    /// [`links::campaign_slug`].
    pub utm_campaign: String,
}

/// What [`prepare`] made for one message and what its transaction records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// Whom it is attributed to.
    pub target: Target,
    /// The promo code (normalised: upper case), if the text uses one.
    pub code: Option<String>,
    /// Short links made while rendering: `(slug, destination with UTM)`.
    pub links: Vec<(String, String)>,
}

impl Records {
    /// Whether there is anything to write.
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.links.is_empty()
    }
}

/// A message's attribution before it is rendered: give
/// [`Prepared::extras`] to [`Template::render_with`], then
/// [`Prepared::records`] to [`crate::store::Tx::record_attribution`] (or
/// put it in the campaign feed's item) in the transaction that enqueues
/// the message. Dropped unused, it costs only serials (never reused).
pub struct Prepared {
    target: Target,
    code: Option<String>,
    maker: Option<Arc<Maker>>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("target", &self.target)
            .field("code", &self.code.is_some())
            .finish()
    }
}

impl Prepared {
    /// The extras to render the message with (its code and link maker;
    /// add `tracking_number` and `event` as the sender has them).
    pub fn extras(&self) -> Extras<'_> {
        Extras {
            promo_code: self.code.as_deref(),
            links: self.maker.clone().map(|m| m as Arc<dyn LinkMaker>),
            ..Extras::default()
        }
    }

    /// What to record in the message's transaction, after rendering.
    pub fn records(&self) -> Records {
        Records {
            target: self.target.clone(),
            code: self.code.as_ref().map(|c| c.to_ascii_uppercase()),
            links: self
                .maker
                .as_ref()
                .map(|m| m.made.lock().map(|v| v.clone()).unwrap_or_default())
                .unwrap_or_default(),
        }
    }
}

/// Writes `link(url)` for one message: the URL with UTM parameters, as a
/// short link when a base URL is set (its slug taken from those reserved).
struct Maker {
    utm_campaign: String,
    variant: String,
    base_url: Option<String>,
    slugs: Mutex<Vec<String>>,
    made: Mutex<Vec<(String, String)>>,
}

impl LinkMaker for Maker {
    fn link(&self, url: &str) -> Result<String, String> {
        let destination = links::with_utm(url, &self.utm_campaign, &self.variant)?;
        let Some(base) = &self.base_url else {
            return Ok(destination);
        };
        let slug = self
            .slugs
            .lock()
            .map_err(|_| "link: internal error".to_string())?
            .pop()
            .ok_or_else(|| {
                format!(
                    "link: a message may hold at most {MAX_LINKS_PER_MESSAGE} links (one per link(…) written)"
                )
            })?;
        let short = links::short_link(base, &slug);
        if let Ok(mut made) = self.made.lock() {
            made.push((slug, destination));
        }
        Ok(short)
    }
}

/// How many slugs to reserve for `template`: one per `link(` written in
/// its source (a loop calling it more often fails to render, naming why).
fn link_calls(template: &Template) -> usize {
    if !template.uses("link") {
        return 0;
    }
    template
        .source()
        .matches("link(")
        .count()
        .clamp(1, MAX_LINKS_PER_MESSAGE)
}

/// Prepares one message of `template` for `target`: reserves a promo code
/// if the template uses `promo_code` and short-link slugs if it calls
/// `link(…)` with a base URL set (each a durable serial through the keyed
/// permutation, the key made once and kept in the database). A template
/// that uses neither reserves nothing and touches no table.
///
/// Call it outside any open write transaction (it takes the writer for a
/// short one of its own); record [`Prepared::records`] in the message's.
pub fn prepare(
    store: &Store,
    rules: &Rules,
    template: &Template,
    target: Target,
) -> Result<Prepared, StoreError> {
    let wants_code = template.uses("promo_code");
    let calls = link_calls(template);
    let wants_slugs = calls > 0 && rules.base_url.is_some();
    let code = if wants_code {
        Some(store.reserve_promo_code(&rules.codes)?)
    } else {
        None
    };
    let slugs = if wants_slugs {
        store.reserve_slugs(calls)?
    } else {
        Vec::new()
    };
    let maker = (calls > 0).then(|| {
        Arc::new(Maker {
            utm_campaign: target.utm_campaign.clone(),
            variant: target.variant.clone(),
            base_url: rules.base_url.clone(),
            slugs: Mutex::new(slugs.into_iter().rev().collect()),
            made: Mutex::new(Vec::new()),
        })
    });
    Ok(Prepared { target, code, maker })
}

/// The extras of a preview: a code of the real length, links written as a
/// short link of the real length (with a base URL) or the destination with
/// the UTM parameters `target` gives — so segments and cost are those of
/// the real texts. Reserves nothing.
pub fn preview_extras(rules: &Rules, target: &Target) -> (String, Arc<dyn LinkMaker>) {
    (
        rules.codes.sample(),
        Arc::new(PreviewLinks {
            utm_campaign: target.utm_campaign.clone(),
            variant: target.variant.clone(),
            base_url: rules.base_url.clone(),
        }),
    )
}

struct PreviewLinks {
    utm_campaign: String,
    variant: String,
    base_url: Option<String>,
}

impl LinkMaker for PreviewLinks {
    fn link(&self, url: &str) -> Result<String, String> {
        let destination = links::with_utm(url, &self.utm_campaign, &self.variant)?;
        Ok(match &self.base_url {
            Some(base) => links::sample_short_link(base),
            None => destination,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::codes::CodeFormat;
    use super::permute::Permutation;
    use super::*;

    /// 100,000 consecutive serials: every code distinct, and consecutive
    /// codes share no structure — each position agrees about 1 time in 30
    /// (chance for 30 symbols), the value goes up about half the time, and
    /// almost never lands near the previous one. Figures printed with
    /// `cargo test --lib hundred_thousand -- --nocapture`.
    #[test]
    fn hundred_thousand_codes_are_unique_and_not_sequential() {
        let f = CodeFormat::default();
        let key: [u8; 32] = rand::random();
        let perm = Permutation::new(&key, &f.domain(), f.space()).unwrap();
        let n = 100_000u64;
        let codes: Vec<String> = (0..n).map(|s| f.code(&perm, s)).collect();
        let unique: HashSet<&String> = codes.iter().collect();
        assert_eq!(unique.len(), n as usize);
        let values: Vec<u128> = (0..n).map(|s| perm.apply(u128::from(s))).collect();
        let pairs = (n - 1) as f64;
        let up = values.windows(2).filter(|w| w[1] > w[0]).count() as f64 / pairs;
        let near = values
            .windows(2)
            .filter(|w| w[1].abs_diff(w[0]) < f.space() / 1000)
            .count() as f64
            / pairs;
        let mut agree = vec![0usize; f.length() as usize];
        for w in codes.windows(2) {
            for (i, (a, b)) in w[0].chars().zip(w[1].chars()).enumerate() {
                if a == b {
                    agree[i] += 1;
                }
            }
        }
        let agree: Vec<f64> = agree.iter().map(|&a| a as f64 / pairs).collect();
        eprintln!(
            "up {up:.4} (0.5 by chance), near {near:.5} (0.002), per-position agreement {agree:.4?} (1/30 = 0.0333)"
        );
        assert!((0.48..0.52).contains(&up), "{up}");
        assert!(near < 0.005, "{near}");
        for a in agree {
            assert!((0.025..0.042).contains(&a), "{a}");
        }
        // The identity "permutation" would fail every one of these.
        assert!(codes.windows(2).all(|w| w[0] != w[1]));
    }

    #[test]
    fn serials_are_durable_and_codes_unique_across_reservations() {
        let store = Store::open_in_memory().unwrap();
        let f = CodeFormat::default();
        let codes: HashSet<String> = (0..500).map(|_| store.reserve_promo_code(&f).unwrap()).collect();
        assert_eq!(codes.len(), 500);
        let slugs: HashSet<String> = (0..50).flat_map(|_| store.reserve_slugs(3).unwrap()).collect();
        assert_eq!(slugs.len(), 150);
        assert!(slugs.iter().all(|s| links::is_slug(s)));
    }

    #[test]
    fn a_reopened_database_never_issues_a_code_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let f = CodeFormat::default();
        let first: Vec<String> = {
            let store = Store::open(&path).unwrap();
            (0..3).map(|_| store.reserve_promo_code(&f).unwrap()).collect()
        };
        // Reopened (as after a crash): the rest of the block is skipped,
        // the key is the same, no serial comes back.
        let store = Store::open(&path).unwrap();
        let later: HashSet<String> = (0..600).map(|_| store.reserve_promo_code(&f).unwrap()).collect();
        assert_eq!(later.len(), 600);
        assert!(first.iter().all(|c| !later.contains(c)));
    }

    #[test]
    fn a_template_without_codes_or_links_reserves_nothing() {
        let store = Store::open_in_memory().unwrap();
        let rules = Rules {
            base_url: Some("https://s.example".into()),
            ..Rules::default()
        };
        let t = Template::compile("Hello {{ name | default('friend') }}").unwrap();
        let p = prepare(&store, &rules, &t, Target::default()).unwrap();
        assert!(p.records().is_empty());
        assert!(p.extras().promo_code.is_none() && p.extras().links.is_none());
        // The first code reserved afterwards is serial 0's.
        let key_made = store.reserve_slugs(0).unwrap();
        assert!(key_made.is_empty());
    }
}
