//! The tags an SMS template may not use, found in its source.
//!
//! The dashboard's own pages need minijinja's `macros` and
//! `multi_template` features, and Cargo features are crate-wide, so the
//! engine that compiles users' SMS texts can parse `include`, `import`,
//! `extends`, `from`, `macro` and `call`. A text message has no other
//! templates to reach and no use for macros; this scan refuses those tags
//! at save with their line and column, as a syntax error would. It reads
//! the source the way minijinja's lexer does for the default syntax:
//! comments, `raw` blocks and string literals inside tags are skipped.

/// Block tags refused in an SMS template.
pub const FORBIDDEN_TAGS: [&str; 6] = ["include", "import", "extends", "from", "macro", "call"];

/// A refused tag: its name and where its `{%` starts (1-based line and
/// column, column in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForbiddenTag {
    pub tag: &'static str,
    pub line: usize,
    pub column: usize,
}

/// The first forbidden block tag in `source`, if any.
pub fn forbidden_tag(source: &str) -> Option<ForbiddenTag> {
    let bytes = source.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != b'{' {
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            b'#' => i = find(source, i + 2, "#}").map_or(bytes.len(), |e| e + 2),
            b'{' => i = skip_tag(bytes, i + 2, b'}'),
            b'%' => {
                let start = i;
                let mut j = i + 2;
                if matches!(bytes.get(j), Some(b'-' | b'+')) {
                    j += 1;
                }
                while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                let word_end = j + bytes[j..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let word = &source[j..word_end];
                if let Some(tag) = FORBIDDEN_TAGS.iter().find(|t| **t == word) {
                    let before = &source[..start];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    return Some(ForbiddenTag { tag, line, column });
                }
                i = skip_tag(bytes, word_end, b'%');
                if word == "raw" {
                    i = skip_raw(source, i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

fn find(source: &str, from: usize, needle: &str) -> Option<usize> {
    source.get(from..)?.find(needle).map(|p| p + from)
}

/// The index after the `X}` that closes a tag opened before `from`,
/// stepping over string literals (which may hold `%}` or `}}`).
fn skip_tag(bytes: &[u8], mut i: usize, close: u8) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b if b == close && bytes.get(i + 1) == Some(&b'}') => return i + 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index after the `{% endraw %}` that ends a raw block's text.
fn skip_raw(source: &str, mut i: usize) -> usize {
    let bytes = source.as_bytes();
    while let Some(open) = find(source, i, "{%") {
        let mut j = open + 2;
        if matches!(bytes.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let rest = source[j..].trim_start();
        if rest.starts_with("endraw") {
            return skip_tag(bytes, open + 2, b'%');
        }
        i = open + 2;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found_with_their_place_and_text_that_only_looks_like_them_is_not() {
        let t = forbidden_tag("Hi {{ name }}\n  {%- include 'x' %}").unwrap();
        assert_eq!((t.tag, t.line, t.column), ("include", 2, 3));
        assert_eq!(
            forbidden_tag("{%macro m() %}x{% endmacro %}").unwrap().tag,
            "macro"
        );
        assert_eq!(forbidden_tag("{% call m() %}{% endcall %}").unwrap().tag, "call");
        for fine in [
            "include us in your plans {{ name }}",
            "{# {% include 'x' %} #}Hi",
            "{% raw %}{% include 'x' %}{% endraw %}",
            "{{ '{% include \"x\" %}' }}",
            "{% set s = '%} {% import' %}{{ s }}",
            "{% if from_city %}x{% endif %}",
            "{% for x in tags %}{{ x }}{% endfor %}",
        ] {
            assert_eq!(forbidden_tag(fine), None, "{fine}");
        }
        // After a raw block, scanning goes on.
        assert!(forbidden_tag("{% raw %}a{% endraw %}{% import 'x' as y %}").is_some());
    }
}
