//! Reading a reply as a keyword: opt-out (STOP), opt back in (START) or a
//! request for help. Pure. A reply is a keyword when the whole message, or
//! its first word, is one — ignoring case, accents, punctuation and
//! surrounding space — so "Stop!", "stop please" and "  СТОП." opt out
//! while "don't stop" does not.

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

/// Opt-out words understood unless configured otherwise: English, Russian,
/// Spanish, plus common Portuguese, French and German forms.
pub const DEFAULT_OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "OPT OUT",
    "REVOKE",
    "СТОП",
    "ОТПИСАТЬСЯ",
    "ОТПИСКА",
    "ОТПИСАТЬ",
    "BAJA",
    "ALTO",
    "PARAR",
    "CANCELAR",
    "DETENER",
    "SAIR",
    "ARRET",
    "ARRETER",
    "DESABONNER",
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

impl Keywords {
    /// The keyword `text` is, if any. Opt-out wins over the others when a
    /// word is in several lists.
    pub fn classify(&self, text: &str) -> Option<Keyword> {
        let whole = normalize(text);
        if whole.is_empty() {
            return None;
        }
        let first = whole.split(' ').next().unwrap_or_default();
        for (kind, list) in [
            (Keyword::OptOut, &self.opt_out),
            (Keyword::OptIn, &self.opt_in),
            (Keyword::Help, &self.help),
        ] {
            if list.iter().any(|k| {
                let k = normalize(k);
                !k.is_empty() && (k == whole || k == first)
            }) {
                return Some(kind);
            }
        }
        None
    }
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
        for t in ["don't stop", "please stop", "Stopping by later", "1", "", "!!!"] {
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
        fn stop_then_anything_after_a_separator_opts_out(
            pre in "[ \t.!¡]{0,3}", sep in "[ ,.!?;:\n]", rest in "\\PC{0,30}"
        ) {
            let text = format!("{pre}sToP{sep}{rest}");
            proptest::prop_assert_eq!(Keywords::default().classify(&text), Some(Keyword::OptOut));
        }
    }
}
