//! Splitting an information line's parameters: `+CMTI: "SM",3` →
//! `["SM", "3"]`. Commas inside quotes stay; quotes are removed.

/// The parameters after `prefix` (e.g. `"+CMTI:"`), or `None` if the line
/// does not start with it.
pub fn after(line: &str, prefix: &str) -> Option<Vec<String>> {
    line.strip_prefix(prefix).map(split)
}

/// Splits a parameter list on commas outside double quotes, trimming
/// spaces and removing the quotes.
pub fn split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in s.trim().chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    out.push(current.trim().to_string());
    out
}

/// The `i`th parameter as a number.
pub fn num<T: std::str::FromStr>(params: &[String], i: usize) -> Option<T> {
    params.get(i)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_quotes() {
        assert_eq!(split(r#""SM",3"#), ["SM", "3"]);
        assert_eq!(split(r#" 1,"Hello, world",15 "#), ["1", "Hello, world", "15"]);
        assert_eq!(split(""), [""]);
        assert_eq!(split(",23"), ["", "23"]);
        assert_eq!(after("+CSQ: 21,99", "+CSQ:").unwrap(), ["21", "99"]);
        assert_eq!(after("+CSQ: 21,99", "+CREG:"), None);
        assert_eq!(num::<u8>(&split("21,99"), 1), Some(99));
        assert_eq!(num::<u8>(&split("x"), 0), None);
    }
}
