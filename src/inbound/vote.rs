//! Reading a reply as a vote in a survey. Pure. Accepted: the option key
//! with tolerance (`1`, ` 1.`, `1)`, `#1`, `(1)`), or the option's label
//! ignoring case, accents and punctuation ("yes!" for "Yes").

use super::keywords::normalize;

/// One answer of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What to reply, e.g. `1`.
    pub key: String,
    /// What it means, e.g. `Yes`.
    pub label: String,
}

/// The key of the option `reply` chooses, if it chooses one.
pub fn parse_vote<'a>(reply: &str, options: &'a [Choice]) -> Option<&'a str> {
    let bare = strip_decoration(reply);
    if let Some(c) = options
        .iter()
        .find(|c| c.key.eq_ignore_ascii_case(bare) && !bare.is_empty())
    {
        return Some(&c.key);
    }
    let said = normalize(reply);
    if said.is_empty() {
        return None;
    }
    options
        .iter()
        .find(|c| normalize(&c.key) == said || normalize(&c.label) == said)
        .map(|c| c.key.as_str())
}

/// `" #1) "` → `"1"`: spaces, a leading `#` or `(` and trailing `.`, `)`,
/// `!` removed.
fn strip_decoration(reply: &str) -> &str {
    reply
        .trim()
        .trim_start_matches(['#', '(', '№'])
        .trim_end_matches(['.', ')', '!', ','])
        .trim()
}

/// The question as sent: `question` followed by the options (`1 - Yes,
/// 2 - No`) unless it already lists them (every label or every `key -`
/// appears in it).
pub fn question_text(question: &str, options: &[Choice]) -> String {
    let q = normalize(question);
    let lists_labels = options.iter().all(|c| {
        let l = normalize(&c.label);
        !l.is_empty() && format!(" {q} ").contains(&format!(" {l} "))
    });
    let lists_keys = options.iter().all(|c| {
        ["-", ")", ".", ":", "="].iter().any(|sep| {
            question.contains(&format!("{}{sep}", c.key)) || question.contains(&format!("{} {sep}", c.key))
        })
    });
    if lists_labels || lists_keys {
        return question.trim().to_string();
    }
    let listed: Vec<String> = options
        .iter()
        .map(|c| format!("{} - {}", c.key, c.label))
        .collect();
    format!("{}\n{}", question.trim(), listed.join(", "))
}

/// Options in the order people expect: numeric keys by number, others
/// alphabetically after them.
pub fn sort_choices(choices: &mut [Choice]) {
    choices.sort_by(|a, b| match (a.key.parse::<u64>(), b.key.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.key.cmp(&b.key),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yes_no() -> Vec<Choice> {
        vec![
            Choice {
                key: "1".into(),
                label: "Yes".into(),
            },
            Choice {
                key: "2".into(),
                label: "No".into(),
            },
        ]
    }

    #[test]
    fn keys_with_tolerance_and_labels() {
        let o = yes_no();
        for r in ["1", " 1.", "1)", "#1", "(1)", "1!", "yes", "YES!", "  Yes. "] {
            assert_eq!(parse_vote(r, &o), Some("1"), "{r:?}");
        }
        for r in ["2", "no", "No."] {
            assert_eq!(parse_vote(r, &o), Some("2"), "{r:?}");
        }
        for r in ["3", "12", "1 2", "maybe", "", "yes no", "1 and 2", "#"] {
            assert_eq!(parse_vote(r, &o), None, "{r:?}");
        }
    }

    #[test]
    fn labels_ignore_accents() {
        let o = vec![
            Choice {
                key: "A".into(),
                label: "Sí".into(),
            },
            Choice {
                key: "B".into(),
                label: "Не знаю".into(),
            },
        ];
        assert_eq!(parse_vote("si", &o), Some("A"));
        assert_eq!(parse_vote("a", &o), Some("A"));
        assert_eq!(parse_vote("не знаю!", &o), Some("B"));
    }

    #[test]
    fn options_are_appended_unless_listed() {
        let o = yes_no();
        assert_eq!(
            question_text("Did the nurse visit?", &o),
            "Did the nurse visit?\n1 - Yes, 2 - No"
        );
        assert_eq!(
            question_text("Visit? 1 - Yes, 2 - No", &o),
            "Visit? 1 - Yes, 2 - No"
        );
        assert_eq!(
            question_text("Visit? Reply yes or no", &o),
            "Visit? Reply yes or no"
        );
        assert_eq!(
            question_text("Visit? Reply 1) yes 2) no", &o),
            "Visit? Reply 1) yes 2) no"
        );
    }

    #[test]
    fn numeric_keys_sort_by_number() {
        let mut c: Vec<Choice> = ["10", "2", "b", "1", "a"]
            .iter()
            .map(|k| Choice {
                key: k.to_string(),
                label: k.to_string(),
            })
            .collect();
        sort_choices(&mut c);
        let keys: Vec<&str> = c.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["1", "2", "10", "a", "b"]);
    }
}
