//! The dashboard's texts in English, Russian and Spanish, as Project
//! Fluent messages (`i18n/<lang>/*.ftl`, one file per page, embedded in
//! the binary), so plurals follow each language's CLDR rules ("1 сообщение,
//! 2 сообщения, 5 сообщений"). A message missing in Russian or Spanish
//! falls back to English, then to its id; a test keeps the three complete.
//!
//! Which language a viewer gets: the `lang` cookie (set by the switcher),
//! else the browser's `Accept-Language`, else English
//! ([`crate::public::i18n::Lang`], shared with the subscribe form).

use std::collections::BTreeSet;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use include_dir::{Dir, include_dir};

pub use crate::public::i18n::Lang;

static FTL: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/web/i18n");

/// The three catalogues, parsed once at start.
pub struct Catalog {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

/// The `.ftl` sources of `lang`, as `(file, text)`.
pub fn sources(lang: Lang) -> Vec<(String, &'static str)> {
    let Some(dir) = FTL.get_dir(lang.code()) else {
        return Vec::new();
    };
    let mut files: Vec<_> = dir
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "ftl"))
        .filter_map(|f| Some((f.path().display().to_string(), f.contents_utf8()?)))
        .collect();
    files.sort();
    files
}

impl Catalog {
    /// Parses the embedded catalogues. A syntax error in one is a bug
    /// caught by the tests; at run time the messages that parsed are kept.
    pub fn load() -> Catalog {
        let bundles = Lang::ALL
            .iter()
            .map(|&lang| {
                let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Plain text: the templates escape it, and isolation marks
                // would show up in inputs and titles.
                bundle.set_use_isolating(false);
                for (_, text) in sources(lang) {
                    let resource = match FluentResource::try_new(text.to_string()) {
                        Ok(r) => r,
                        Err((r, _)) => r,
                    };
                    let _ = bundle.add_resource(resource);
                }
                (lang, bundle)
            })
            .collect();
        Catalog { bundles }
    }

    fn bundle(&self, lang: Lang) -> Option<&FluentBundle<FluentResource>> {
        self.bundles.iter().find(|(l, _)| *l == lang).map(|(_, b)| b)
    }

    /// The text of `id` (or `id.attribute`) in `lang` with `args`; English
    /// when `lang` lacks it, the id itself when English does too.
    pub fn text(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        for l in [lang, Lang::En] {
            if let Some(s) = self.bundle(l).and_then(|b| format(b, id, args)) {
                return s;
            }
        }
        id.to_string()
    }

    /// Whether `lang`'s catalogue has `id`.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).is_some_and(|b| {
            let (msg, attr) = split_id(id);
            b.get_message(msg)
                .is_some_and(|m| attr.map_or(m.value().is_some(), |a| m.get_attribute(a).is_some()))
        })
    }

    /// Every message id of `lang`.
    pub fn ids(lang: Lang) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (_, text) in sources(lang) {
            let resource = match FluentResource::try_new(text.to_string()) {
                Ok(r) => r,
                Err((r, _)) => r,
            };
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    out.insert(m.id.name.to_string());
                }
            }
        }
        out
    }
}

fn split_id(id: &str) -> (&str, Option<&str>) {
    match id.split_once('.') {
        Some((m, a)) => (m, Some(a)),
        None => (id, None),
    }
}

fn format(b: &FluentBundle<FluentResource>, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
    let (msg, attr) = split_id(id);
    let m = b.get_message(msg)?;
    let pattern = match attr {
        Some(a) => m.get_attribute(a)?.value(),
        None => m.value()?,
    };
    let mut errors = Vec::new();
    Some(b.format_pattern(pattern, args, &mut errors).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_parses_and_has_every_english_message() {
        for lang in Lang::ALL {
            for (file, text) in sources(lang) {
                if let Err((_, errors)) = FluentResource::try_new(text.to_string()) {
                    panic!("{file}: {errors:?}");
                }
            }
        }
        let en = Catalog::ids(Lang::En);
        assert!(!en.is_empty());
        for lang in [Lang::Ru, Lang::Es] {
            let other = Catalog::ids(lang);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
            assert!(
                extra.is_empty(),
                "{} has ids English lacks: {extra:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn no_message_id_is_defined_twice_in_a_language() {
        // A bundle keeps the first definition and drops the second silently,
        // so two pages defining one id would show one page the other's text.
        for lang in Lang::ALL {
            let mut seen = std::collections::HashMap::new();
            for (file, text) in sources(lang) {
                let resource = match FluentResource::try_new(text.to_string()) {
                    Ok(r) => r,
                    Err((r, _)) => r,
                };
                for entry in resource.entries() {
                    let id = match entry {
                        fluent_syntax::ast::Entry::Message(m) => m.id.name.to_string(),
                        fluent_syntax::ast::Entry::Term(t) => format!("-{}", t.id.name),
                        _ => continue,
                    };
                    if let Some(first) = seen.insert(id.clone(), file.clone()) {
                        panic!("{}: {id} is in both {first} and {file}", lang.code());
                    }
                }
            }
        }
    }

    #[test]
    fn russian_plurals_follow_cldr() {
        let c = Catalog::load();
        let n = |n: i64| {
            let mut a = FluentArgs::new();
            a.set("count", n);
            c.text(Lang::Ru, "messages-count", Some(&a))
        };
        assert_eq!(n(1), "1 сообщение");
        assert_eq!(n(3), "3 сообщения");
        assert_eq!(n(5), "5 сообщений");
        assert_eq!(n(21), "21 сообщение");
        assert_eq!(c.text(Lang::Ru, "no-such-id", None), "no-such-id");
    }
}
