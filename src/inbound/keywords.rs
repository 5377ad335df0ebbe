//! Reading a reply as a keyword: opt-out (STOP), opt back in (START), a
//! request for help, joining the marketing list (JOIN, double opt-in) or
//! confirming it (YES). Pure. Keywords are compared ignoring case, accents,
//! punctuation and spacing, and how a keyword of several words is split
//! ("opt-out", "OPTOUT", "opt me out" are OPT OUT).
//!
//! A reply opts out when it is an opt-out keyword as a whole, or a leading
//! one followed only by words that reinforce it ("Stop!", "stop please",
//! "  СТОП.", "Opt out please", "un subscribe me", "Remove me from your
//! list", "Отпишите меня, пожалуйста", "baja por favor"). A reply that holds
//! an opt-out keyword and is not that — "please stop texting me", "can you
//! opt me out", "End of the week is fine", "Stop by tomorrow?" — is found by
//! [`Keywords::opt_out_for_review`], for a person to review: never opted out
//! on a guess, never silently ignored.

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
    /// Add me to your list: the sender becomes a pending contact and is
    /// asked to confirm (`contacts.join_keywords`).
    Join,
    /// Yes, I confirm: a pending contact's answer to the double opt-in
    /// request (`contacts.confirm_keywords`); from anyone else it is an
    /// ordinary reply (a survey vote, say).
    Confirm,
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
    /// Join words (double opt-in), checked before re-subscribe words: a
    /// word in both (ALTA) joins, which also lifts an opt-out as START does.
    pub join: Vec<String>,
    /// Words confirming a pending subscription.
    pub confirm: Vec<String>,
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
            join: own(crate::config::DEFAULT_JOIN_KEYWORDS),
            confirm: own(crate::config::DEFAULT_CONFIRM_KEYWORDS),
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

/// A configured keyword as it is compared: compact, with the places (byte
/// offsets into `compact`) where its own words meet, so "opt me out" can
/// be read as "OPT OUT".
struct Key<'k> {
    configured: &'k str,
    compact: String,
    joints: Vec<usize>,
}

impl<'k> Key<'k> {
    fn new(configured: &'k str) -> Option<Self> {
        let words: Vec<String> = normalize(configured)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let compact = words.concat();
        if compact.is_empty() {
            return None;
        }
        let mut joints = Vec::new();
        let mut at = 0;
        for w in &words[..words.len() - 1] {
            at += w.len();
            joints.push(at);
        }
        Some(Key {
            configured,
            compact,
            joints,
        })
    }

    /// How many words from `words[start]` on spell this keyword — some run
    /// of whole words, joined, spells it exactly; between two of its own
    /// words a pronoun may stand ("opt me out") — if they do.
    fn spelled_at(&self, words: &[&str], start: usize) -> Option<usize> {
        let keyword = self.compact.as_str();
        let mut joined = String::new();
        for (i, w) in words[start..].iter().enumerate() {
            if !joined.is_empty()
                && self.joints.contains(&joined.len())
                && SPLIT_BY.contains(w)
                && !keyword[joined.len()..].starts_with(w)
            {
                continue;
            }
            joined.push_str(w);
            if joined.len() >= keyword.len() {
                return (joined == keyword).then_some(i + 1);
            }
            if !keyword.starts_with(joined.as_str()) {
                return None;
            }
        }
        None
    }
}

/// Words that may stand between the words of a keyword of several:
/// "opt me out", "opt us out".
const SPLIT_BY: &[&str] = &["me", "us", "мне", "меня", "nos"];

/// Words that may follow an opt-out keyword without changing what it asks
/// for (normalised): politeness, "now", "me", "all", what is to stop
/// ("texts", "messages") and "from this list", in the languages of the
/// default keywords. A keyword followed by any other word is read by a
/// person ("End of the week is fine", "Stop by tomorrow?").
#[rustfmt::skip]
const REINFORCING: &[&str] = &[
    // English
    "please", "pls", "plz", "plse", "pleas", "now", "thanks", "thank", "you", "thx", "ty",
    "me", "us", "all", "it", "this", "that", "texting", "texts", "text", "txt", "txts",
    "messaging", "messages", "message", "msgs", "msg", "sms", "from", "the", "your", "list",
    "my", "number", "subscription", "again", "anymore", "any", "more", "immediately", "asap",
    "right", "ok", "okay",
    // Russian
    "пожалуйста", "пожалуйсто", "плиз", "пжл", "пж", "спасибо", "спс", "меня", "мне", "все",
    "всех", "сейчас", "немедленно", "от", "рассылки", "рассылку", "рассылок", "смс",
    "сообщения", "сообщений", "эту", "этой", "это", "уже", "подписку",
    // Spanish, Portuguese
    "por", "favor", "gracias", "ya", "de", "la", "esta", "lista", "los", "mensajes",
    "mensaje", "todo", "todos", "ahora", "obrigado", "obrigada",
    // French, German
    "merci", "svp", "sil", "vous", "plait", "bitte", "danke", "alle", "jetzt",
];

impl Keywords {
    /// What `text` asks for, if anything (see the module docs):
    ///
    /// - opt-out when the whole reply is opt-out keywords and words that
    ///   only reinforce them ("STOP", "Opt out please", "stop texting me
    ///   thanks", "Отпишите меня, пожалуйста"); a reply that starts with an
    ///   opt-out keyword and goes on with anything else ("End of the week
    ///   is fine") is no keyword at all — [`Keywords::opt_out_for_review`]
    ///   finds it for a person;
    /// - opt-in or help when the leading words spell one of those.
    pub fn classify(&self, text: &str) -> Option<Keyword> {
        self.read(text).map(|(kind, _)| kind)
    }

    /// What `text` asks for, with the keyword (as configured) it starts
    /// with. Lists are tried in this order: opt-out, join, opt-in, help,
    /// confirm; the first whose keywords (and words that only reinforce
    /// them) make up the whole reply wins — so ALTA, both a join and a
    /// re-subscribe word by default, joins, and "yes start" (not a
    /// confirmation: "start" does not reinforce "yes") re-subscribes.
    pub fn read(&self, text: &str) -> Option<(Keyword, &str)> {
        let whole = normalize(text);
        let words: Vec<&str> = whole.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return None;
        }
        // The same rule for all: the reply is a keyword, alone or with
        // words that only reinforce it. "Start time tomorrow?" must not
        // re-subscribe a number that said STOP, nor "Stop by tomorrow?"
        // opt one out (that one goes to review, see `opt_out_for_review`),
        // nor "Yes but who is this?" confirm a subscription.
        for (kind, list) in [
            (Keyword::OptOut, &self.opt_out),
            (Keyword::Join, &self.join),
            (Keyword::OptIn, &self.opt_in),
            (Keyword::Help, &self.help),
            (Keyword::Confirm, &self.confirm),
        ] {
            let list = keys(list);
            if let Some(key) = leading(&words, &list)
                && self.is_only(&words, &list)
            {
                return Some((kind, key.configured));
            }
        }
        None
    }

    /// Whether `words` are keywords of `list` and reinforcing words only,
    /// starting with a keyword.
    fn is_only(&self, words: &[&str], opt_out: &[Key<'_>]) -> bool {
        // Every way of reading the start: "stop all" is STOPALL or STOP + all.
        let mut reachable = vec![false; words.len() + 1];
        reachable[0] = true;
        for start in 0..words.len() {
            if !reachable[start] {
                continue;
            }
            for key in opt_out {
                if let Some(n) = key.spelled_at(words, start) {
                    reachable[start + n] = true;
                }
            }
            if start > 0 && REINFORCING.contains(&words[start]) {
                reachable[start + 1] = true;
            }
        }
        reachable[words.len()]
    }

    /// The opt-out keyword (as configured) that `text` holds when it is not
    /// an opt-out itself — "please stop texting me", "can you opt me out",
    /// "Stop by tomorrow?" — if any. Such a reply may be an opt-out or may
    /// not ("don't stop"): a person decides.
    pub fn opt_out_for_review(&self, text: &str) -> Option<&str> {
        if self.classify(text) == Some(Keyword::OptOut) {
            return None;
        }
        self.opt_out_anywhere(text)
    }

    /// The first opt-out keyword (as configured) anywhere in `text`, its
    /// start included: for text that is not read as a keyword at all (a
    /// fragment of a message whose other parts never came).
    pub fn opt_out_anywhere(&self, text: &str) -> Option<&str> {
        let whole = normalize(text);
        let words: Vec<&str> = whole.split(' ').filter(|w| !w.is_empty()).collect();
        let keys = keys(&self.opt_out);
        (0..words.len()).find_map(|start| {
            keys.iter()
                .find(|k| k.spelled_at(&words, start).is_some())
                .map(|k| k.configured)
        })
    }
}

fn keys(list: &[String]) -> Vec<Key<'_>> {
    list.iter().filter_map(|k| Key::new(k)).collect()
}

/// The first of `keys` that the leading words spell.
fn leading<'a, 'k>(words: &[&str], keys: &'a [Key<'k>]) -> Option<&'a Key<'k>> {
    keys.iter().find(|k| k.spelled_at(words, 0).is_some())
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
        // ALTA is a join keyword too, read first (joining also lifts an
        // opt-out, as re-subscribing does).
        assert_eq!(k.classify("alta"), Some(Keyword::Join));
        assert_eq!(k.classify("iniciar"), Some(Keyword::OptIn));
        assert_eq!(k.classify("help?"), Some(Keyword::Help));
        assert_eq!(k.classify("Info"), Some(Keyword::Help));
        assert_eq!(k.classify("hello"), None);
    }

    #[test]
    fn opting_back_in_and_help_take_a_keyword_alone_or_reinforced_too() {
        // A number that said STOP is re-subscribed only by a clear START:
        // "Start time tomorrow?" is a question, not consent.
        let k = Keywords::default();
        for t in [
            "Start",
            "start please",
            "START again",
            "Unstop!",
            "СТАРТ пожалуйста",
        ] {
            assert_eq!(k.classify(t), Some(Keyword::OptIn), "{t:?}");
        }
        for t in [
            "Start time tomorrow?",
            "start of the week works",
            "Alta presión hoy",
        ] {
            assert_eq!(k.classify(t), None, "{t:?}");
        }
        for t in ["help", "Help me please", "INFO?"] {
            assert_eq!(k.classify(t), Some(Keyword::Help), "{t:?}");
        }
        for t in ["Help desk number is wrong", "info about my order"] {
            assert_eq!(k.classify(t), None, "{t:?}");
        }
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
        assert_eq!(k.opt_out_for_review("please stop texting me"), Some("STOP"));
        assert_eq!(k.opt_out_for_review("I want to opt-out"), Some("OPT OUT"));
        assert_eq!(
            k.opt_out_for_review("quiero darme de baja"),
            Some("DARME DE BAJA")
        );
        assert_eq!(k.opt_out_for_review("Пожалуйста, СТОП"), Some("СТОП"));
        assert_eq!(k.opt_out_for_review("don't stop"), Some("STOP"));
        // Starting with a keyword is an opt-out, not a review.
        assert_eq!(k.opt_out_for_review("stop please stop"), None);
        assert_eq!(k.opt_out_for_review("Opt out please"), None);
        // A split keyword later on ("opt me out" is OPT OUT).
        assert_eq!(k.opt_out_for_review("can you opt me out"), Some("OPT OUT"));
        assert_eq!(k.opt_out_for_review("please unsubscribe me"), Some("UNSUBSCRIBE"));
        // No keyword as a whole word: nothing to review.
        for t in ["Stopping by later", "see you", "", "the stopwatch ended"] {
            assert_eq!(k.opt_out_for_review(t), None, "{t:?}");
            assert_eq!(k.opt_out_anywhere(t), None, "{t:?}");
        }
        // Anywhere, the start included (for fragments, which are never read as keywords).
        assert_eq!(k.opt_out_anywhere("Opt-out please"), Some("OPT OUT"));
        assert_eq!(k.opt_out_anywhere("so please stop"), Some("STOP"));
    }

    #[test]
    fn a_leading_keyword_followed_by_other_words_is_for_review_not_an_opt_out() {
        let k = Keywords::default();
        for (t, keyword) in [
            ("End of the week is fine", "END"),
            ("Quit calling my mom, I'll pick up", "QUIT"),
            ("Stop by tomorrow?", "STOP"),
            ("cancel my order", "CANCEL"),
            ("Stop 2", "STOP"),
            ("Alto volumen", "ALTO"),
        ] {
            assert_eq!(k.classify(t), None, "{t:?}");
            assert_eq!(k.opt_out_for_review(t), Some(keyword), "{t:?}");
        }
        // Followed only by words that reinforce it: an opt-out.
        for t in [
            "stop please",
            "STOP NOW!!",
            "Stop texting me, thank you",
            "end it",
            "Quit all messages",
            "cancel my subscription pls",
            "stop me from this list",
            "Opt me out please",
            "stop stop stop",
            "СТОП, пожалуйста, спасибо",
            "Отписать меня",
            "baja ya",
            "Alto por favor, gracias",
            "cancelar me",
        ] {
            assert_eq!(k.classify(t), Some(Keyword::OptOut), "{t:?}");
            assert_eq!(k.opt_out_for_review(t), None, "{t:?}");
        }
    }

    #[test]
    fn join_and_confirm_take_a_keyword_alone_or_reinforced() {
        let k = Keywords::default();
        for (t, kw) in [
            ("JOIN", "JOIN"),
            ("join please", "JOIN"),
            ("Join!", "JOIN"),
            ("  подписка.", "ПОДПИСКА"),
            ("Подписка, пожалуйста", "ПОДПИСКА"),
            ("alta", "ALTA"),
            ("¡Alta por favor!", "ALTA"),
        ] {
            assert_eq!(k.read(t), Some((Keyword::Join, kw)), "{t:?}");
        }
        for t in [
            "yes",
            "Yes please",
            "YES!",
            "y",
            "Да!",
            "да, спасибо",
            "Sí",
            "si gracias",
        ] {
            assert_eq!(k.classify(t), Some(Keyword::Confirm), "{t:?}");
        }
        for t in [
            "Yes but who is this?",
            "yes, I'll be there at 5",
            "Join us for dinner",
            "да нет наверное",
            "Alta presión hoy",
        ] {
            assert_eq!(k.classify(t), None, "{t:?}");
        }
        // Re-subscribe words still re-subscribe; "yes start" is one of them,
        // not a confirmation followed by a stray word.
        assert_eq!(k.classify("YES START"), Some(Keyword::OptIn));
        assert_eq!(k.classify("start"), Some(Keyword::OptIn));
        // Opt-out keeps precedence.
        assert_eq!(k.classify("stop"), Some(Keyword::OptOut));
        assert_eq!(k.classify("yes stop"), None);
    }

    #[test]
    fn configured_keywords_with_spaces_match_as_leading_words() {
        let k = Keywords {
            opt_out: vec!["Kein Interesse".into()],
            opt_in: vec![],
            help: vec![],
            join: vec![],
            confirm: vec![],
        };
        assert_eq!(k.classify("kein interesse, danke"), Some(Keyword::OptOut));
        assert_eq!(k.classify("Kein-Interesse!"), Some(Keyword::OptOut));
        assert_eq!(k.classify("kein"), None);
        assert_eq!(
            k.opt_out_for_review("leider kein Interesse"),
            Some("Kein Interesse")
        );
    }

    #[test]
    fn configured_lists_replace_the_defaults() {
        let k = Keywords {
            opt_out: vec!["Nein danke".into()],
            opt_in: vec![],
            help: vec![],
            join: vec![],
            confirm: vec![],
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
            pre in "[ \t.!¡¿\\-]{0,3}", sep in "[ ,.!?;:\n]",
            rest in proptest::sample::select(vec!["", "please", "now!", "thank you", "me", "pls", "from this list", "пожалуйста", "спасибо", "por favor", "gracias"])
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
            proptest::prop_assert_eq!(k.opt_out_for_review(&text), None);
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
            proptest::prop_assert!(k.opt_out_for_review(&text).is_some(), "{:?}", text);
        }

        #[test]
        fn a_keyword_then_anything_opts_out_or_goes_to_review(
            index in 0..DEFAULT_OPT_OUT.len(),
            pre in "[ \t.!¡]{0,3}", sep in "[ ,.!?;:\n]", rest in "\\PC{0,30}"
        ) {
            let text = format!("{pre}{}{sep}{rest}", DEFAULT_OPT_OUT[index]);
            let k = Keywords::default();
            let opted_out = k.classify(&text) == Some(Keyword::OptOut);
            let reviewed = k.opt_out_for_review(&text).is_some();
            proptest::prop_assert!(opted_out != reviewed, "{:?}: opted out {} reviewed {}", text, opted_out, reviewed);
        }
    }
}
