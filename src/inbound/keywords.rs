//! Reading a reply as a keyword: opt-out (STOP), opt back in (START) or a
//! request for help. Pure. A reply is a keyword when its leading words are
//! one — ignoring case, accents, punctuation and spacing, and how a
//! keyword of several words is split — so "Stop!", "stop please",
//! "  СТОП.", "Opt out please", "opt-out", "OPTOUT" and "un subscribe me"
//! opt out while "don't stop" does not. A reply that holds an opt-out
//! keyword anywhere else ("please stop texting me") is found by
//! [`Keywords::opt_out_elsewhere`], for a person to review.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// What a keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Never text me again.
    OptOut,
    /// Text me again.
    OptIn,
    /// What is this?
    Help,
}

/// The keyword lists, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keywords {
    /// Opt-out words.
    pub opt_out: Vec<String>,
    /// Re-subscribe words.
    pub opt_in: Vec<String>,
    /// Help words.
    pub help: Vec<String>,
}

/// Opt-out words understood unless configured otherwise: the CTIA/carrier
/// set (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE) and
/// what people write instead; Russian, Spanish, Portuguese, French and
/// German forms. Spelling variants of one keyword need no entry of their
/// own: "OPT OUT" also matches "opt-out", "Opt.Out" and "optout".
pub const DEFAULT_OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "UNSUB",
    "CANCEL",
    "END",
    "QUIT",
    "OPT OUT",
    "REVOKE",
    "REMOVE ME",
    "TAKE ME OFF",
    "DO NOT TEXT",
    "DONT TEXT",
    "СТОП",
    "ОТПИСАТЬСЯ",
    "ОТПИСАТСЯ",
    "ОТПИСКА",
    "ОТПИСАТЬ",
    "ОТПИШИТЕ МЕНЯ",
    "ОТПИШИ МЕНЯ",
    "ОТМЕНИТЬ ПОДПИСКУ",
    "BAJA",
    "DAR DE BAJA",
    "DARME DE BAJA",
    "DESUSCRIBIR",
    "DESUSCRIBIRME",
    "ALTO",
    "PARAR",
    "CANCELAR",
    "DETENER",
    "SAIR",
    "DESCADASTRAR",
    "ARRET",
    "ARRETER",
    "DESABONNER",
    "DESINSCRIRE",
    "STOPP",
    "ABMELDEN",
    "ABBESTELLEN",
];
/// Re-subscribe words understood unless configured otherwise.
pub const DEFAULT_OPT_IN: &[&str] = &[
    "START",
    "UNSTOP",
    "SUBSCRIBE",
    "YES START",
    "СТАРТ",
    "ПОДПИСАТЬСЯ",
    "ALTA",
    "INICIAR",
];
/// Help words understood unless configured otherwise.
pub const DEFAULT_HELP: &[&str] = &["HELP", "INFO", "ПОМОЩЬ", "ИНФО", "AYUDA"];

impl Default for Keywords {
    fn default() -> Self {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Keywords {
            opt_out: own(DEFAULT_OPT_OUT),
            opt_in: own(DEFAULT_OPT_IN),
            help: own(DEFAULT_HELP),
        }
    }
}

/// Lower case, accents and other combining marks removed (ё → е, but й
/// stays й), every run of
/// punctuation, symbols or space turned into one space, trimmed.
/// Apostrophes vanish inside words ("don't" → "dont").
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    // Й is a letter of its own in Russian, not an accented И.
    let letters = text.chars().flat_map(|c| match c {
        'й' | 'Й' => vec!['й'],
        c => std::iter::once(c)
            .nfkd()
            .filter(|c| !is_combining_mark(*c))
            .collect(),
    });
    for c in letters {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '’' | '`' | 'ʼ') {
            // Part of the word it sits in.
        } else {
            pending_space = true;
        }
    }
    out
}

/// `text` normalised and without any space: how keywords are compared, so
/// that "opt out", "opt-out" and "optout" are one keyword.
fn compact(text: &str) -> String {
    normalize(text).replace(' ', "")
}

/// Whether the words from `words[start]` on begin with `keyword` (compact):
/// some run of whole words, joined, spells it exactly.
fn spelled_at(words: &[&str], start: usize, keyword: &str) -> bool {
    let mut joined = String::new();
    for w in &words[start..] {
        joined.push_str(w);
        if joined.len() >= keyword.len() {
            return joined == keyword;
        }
        if !keyword.starts_with(joined.as_str()) {
            return false;
        }
    }
    false
}

impl Keywords {
    /// The keyword `text` starts with, if any: its leading words spell one
    /// (see the module docs). Opt-out wins over the others when the
    /// leading words match keywords of several lists.
    pub fn classify(&self, text: &str) -> Option<Keyword> {
        let whole = normalize(text);
        if whole.is_empty() {
            return None;
        }
        let words: Vec<&str> = whole.split(' ').collect();
        [
            (Keyword::OptOut, &self.opt_out),
            (Keyword::OptIn, &self.opt_in),
            (Keyword::Help, &self.help),
        ]
        .into_iter()
        .find(|(_, list)| {
            list.iter().any(|k| {
                let k = compact(k);
                !k.is_empty() && spelled_at(&words, 0, &k)
            })
        })
        .map(|(kind, _)| kind)
    }

    /// The opt-out keyword (as configured) that `text` holds after its
    /// first word — "please stop texting me", "I want to opt out" — if it
    /// does not start with one. Such a reply may be an opt-out or may not
    /// ("don't stop"): a person decides.
    pub fn opt_out_elsewhere(&self, text: &str) -> Option<&str> {
        let whole = normalize(text);
        let words: Vec<&str> = whole.split(' ').filter(|w| !w.is_empty()).collect();
        let keys = self.opt_out_keys();
        if keys.iter().any(|(_, c)| spelled_at(&words, 0, c)) {
            return None;
        }
        find_from(&words, 1, &keys)
    }

    /// The first opt-out keyword (as configured) anywhere in `text`, its
    /// start included: for text that is not read as a keyword at all (a
    /// fragment of a message whose other parts never came).
    pub fn opt_out_anywhere(&self, text: &str) -> Option<&str> {
        let whole = normalize(text);
        let words: Vec<&str> = whole.split(' ').filter(|w| !w.is_empty()).collect();
        find_from(&words, 0, &self.opt_out_keys())
    }

    fn opt_out_keys(&self) -> Vec<(&str, String)> {
        self.opt_out
            .iter()
            .map(|k| (k.as_str(), compact(k)))
            .filter(|(_, c)| !c.is_empty())
            .collect()
    }
}

/// The first keyword of `keys` spelled by the words from `from` on.
fn find_from<'k>(words: &[&str], from: usize, keys: &[(&'k str, String)]) -> Option<&'k str> {
    (from..words.len()).find_map(|start| {
        keys.iter()
            .find(|(_, c)| spelled_at(words, start, c))
            .map(|(k, _)| *k)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_accents_and_punctuation() {
        assert_eq!(normalize("  Stop! "), "stop");
        assert_eq!(normalize("¡Bája!"), "baja");
        assert_eq!(normalize("  СТОП."), "стоп");
        assert_eq!(normalize("don't  stop"), "dont stop");
        assert_eq!(normalize("ＳＴＯＰ"), "stop");
        assert_eq!(normalize("Опт-аут, пожалуйста"), "опт аут пожалуйста");
        assert_eq!(normalize("...!?"), "");
    }

    #[test]
    fn whole_message_or_first_word() {
        let k = Keywords::default();
        for t in [
            "Stop!",
            "stop please",
            "  СТОП.",
            "стоп",
            "STOP ALL",
            "Baja",
            "ALTO.",
            "parar",
            "Cancelar",
            "ОТПИСАТЬСЯ",
            "отписка!",
            "Unsubscribe me",
            "opt out",
            "Opt-Out",
            "optout",
            "QUIT",
            "end",
            "STOPALL",
        ] {
            assert_eq!(k.classify(t), Some(Keyword::OptOut), "{t:?}");
        }
        for t in [
            "don't stop",
            "please stop",
            "Stopping by later",
            "1",
            "",
            "!!!",
            "opt",
            "options",
        ] {
            assert_ne!(k.classify(t), Some(Keyword::OptOut), "{t:?}");
        }
        assert_eq!(k.classify("Start"), Some(Keyword::OptIn));
        assert_eq!(k.classify("СТАРТ"), Some(Keyword::OptIn));
        assert_eq!(k.classify("alta"), Some(Keyword::OptIn));
        assert_eq!(k.classify("help?"), Some(Keyword::Help));
        assert_eq!(k.classify("Info"), Some(Keyword::Help));
        assert_eq!(k.classify("hello"), None);
    }

    #[test]
    fn several_words_match_as_leading_words_in_every_spelling() {
        let k = Keywords::default();
        for t in [
            "Opt out please",
            "OPT-OUT now",
            "opt.out",
            "Opt_Out!!",
            "optout pls",
            "OPT  -  OUT",
            "un subscribe me",
            "Un-Subscribe",
            "stop all",
            "Stop-All thanks",
            "Remove me from your list",
            "take me off",
            "Don't text me again",
            "Dar de baja, gracias",
            "darme de baja por favor",
            "Отменить подписку пожалуйста",
            "Отпишите меня от рассылки",
            "отписатся",
            "Désinscrire",
            "Stopp bitte",
        ] {
            assert_eq!(k.classify(t), Some(Keyword::OptOut), "{t:?}");
        }
        // Whole words only: a keyword is never a prefix of a longer word.
        for t in [
            "opted out yesterday?",
            "optouts",
            "ending soon",
            "stopwatch",
            "undo",
        ] {
            assert_eq!(k.classify(t), None, "{t:?}");
        }
    }

    #[test]
    fn an_opt_out_word_later_in_the_reply_is_found_for_review() {
        let k = Keywords::default();
        assert_eq!(k.opt_out_elsewhere("please stop texting me"), Some("STOP"));
        assert_eq!(k.opt_out_elsewhere("I want to opt-out"), Some("OPT OUT"));
        assert_eq!(k.opt_out_elsewhere("quiero darme de baja"), Some("DARME DE BAJA"));
        assert_eq!(k.opt_out_elsewhere("Пожалуйста, СТОП"), Some("СТОП"));
        assert_eq!(k.opt_out_elsewhere("don't stop"), Some("STOP"));
        // Starting with a keyword is an opt-out, not a review.
        assert_eq!(k.opt_out_elsewhere("stop please stop"), None);
        assert_eq!(k.opt_out_elsewhere("Opt out please"), None);
        // No keyword as a whole word: nothing to review.
        for t in ["Stopping by later", "see you", "", "the stopwatch ended"] {
            assert_eq!(k.opt_out_elsewhere(t), None, "{t:?}");
            assert_eq!(k.opt_out_anywhere(t), None, "{t:?}");
        }
        // Anywhere, the start included (for fragments, which are never read as keywords).
        assert_eq!(k.opt_out_anywhere("Opt-out please"), Some("OPT OUT"));
        assert_eq!(k.opt_out_anywhere("so please stop"), Some("STOP"));
    }

    #[test]
    fn configured_keywords_with_spaces_match_as_leading_words() {
        let k = Keywords {
            opt_out: vec!["Kein Interesse".into()],
            opt_in: vec![],
            help: vec![],
        };
        assert_eq!(k.classify("kein interesse, danke"), Some(Keyword::OptOut));
        assert_eq!(k.classify("Kein-Interesse!"), Some(Keyword::OptOut));
        assert_eq!(k.classify("kein"), None);
        assert_eq!(
            k.opt_out_elsewhere("leider kein Interesse"),
            Some("Kein Interesse")
        );
    }

    #[test]
    fn configured_lists_replace_the_defaults() {
        let k = Keywords {
            opt_out: vec!["Nein danke".into()],
            opt_in: vec![],
            help: vec![],
        };
        assert_eq!(k.classify("NEIN, DANKE!"), Some(Keyword::OptOut));
        assert_eq!(k.classify("nein"), None);
        assert_eq!(k.classify("stop"), None);
    }

    proptest::proptest! {
        #[test]
        fn normalizing_is_idempotent_and_never_panics(text in "\\PC{0,40}") {
            let once = normalize(&text);
            proptest::prop_assert_eq!(normalize(&once), once.clone());
            let _ = Keywords::default().classify(&text);
        }

        #[test]
        fn every_default_keyword_in_any_case_and_split_opts_out(
            index in 0..DEFAULT_OPT_OUT.len(),
            upper in proptest::collection::vec(proptest::bool::ANY, 40),
            seps in proptest::collection::vec("[ \\-._]{0,2}", 6),
            pre in "[ \t.!¡¿\\-]{0,3}", sep in "[ ,.!?;:\n]", rest in "\\PC{0,30}"
        ) {
            let words: Vec<&str> = DEFAULT_OPT_OUT[index].split(' ').collect();
            let mut keyword = String::new();
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    // Between words: any separator, or none at all.
                    keyword.push_str(&seps[i % seps.len()]);
                }
                keyword.push_str(w);
            }
            let keyword: String = keyword
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &u)| if u { c.to_uppercase().collect::<String>() } else { c.to_lowercase().collect() })
                .collect();
            let text = format!("{pre}{keyword}{sep}{rest}");
            let k = Keywords::default();
            proptest::prop_assert_eq!(k.classify(&text), Some(Keyword::OptOut), "{:?}", text);
            proptest::prop_assert_eq!(k.opt_out_elsewhere(&text), None);
        }

        #[test]
        fn a_keyword_after_other_words_is_for_review_not_an_opt_out(
            index in 0..DEFAULT_OPT_OUT.len(),
            lead in proptest::sample::select(vec!["please", "I", "hello,", "Пожалуйста", "por favor", "you can", "ok."]),
            rest in "[a-z ]{0,20}"
        ) {
            let keyword = DEFAULT_OPT_OUT[index];
            let text = format!("{lead} {keyword} {rest}");
            let k = Keywords::default();
            proptest::prop_assert_ne!(k.classify(&text), Some(Keyword::OptOut), "{:?}", text);
            proptest::prop_assert!(k.opt_out_elsewhere(&text).is_some(), "{:?}", text);
        }

        #[test]
        fn stop_then_anything_after_a_separator_opts_out(
            pre in "[ \t.!¡]{0,3}", sep in "[ ,.!?;:\n]", rest in "\\PC{0,30}"
        ) {
            let text = format!("{pre}sToP{sep}{rest}");
            proptest::prop_assert_eq!(Keywords::default().classify(&text), Some(Keyword::OptOut));
        }
    }
}
