//! Cursor paging shared by the list routes: `after` is the `next` of the
//! previous page (1 to 18 digits; empty or absent: from the start),
//! `limit` is 1 to 1000 (default 100). Anything else is a 400 `bad_query`
//! naming the parameter, as the OpenAPI document says (`pattern`,
//! `minimum`, `maximum`): a silently changed page size or a cursor read
//! loosely (`+5`, `-1`) would hide a client's mistake.

use axum::http::StatusCode;

use super::error::ApiError;

/// Default page size.
const DEFAULT_LIMIT: usize = 100;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;
/// Most digits of a cursor (an i64 row id has at most 19; 18 always fits).
const MAX_CURSOR_DIGITS: usize = 18;

fn bad(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message)
}

/// Reads `after` and `limit` into (id to start after, page size).
pub fn page(after: Option<&str>, limit: Option<usize>) -> Result<(i64, usize), ApiError> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(n) => return Err(bad(format!("limit {n} is not between 1 and {MAX_LIMIT}"))),
    };
    let after = match after {
        None | Some("") => 0,
        Some(a) if a.len() <= MAX_CURSOR_DIGITS && a.bytes().all(|b| b.is_ascii_digit()) => a
            .parse()
            .map_err(|_| bad(format!("after {a:?} is not a cursor")))?,
        Some(a) => return Err(bad(format!("after {a:?} is not a cursor (the `next` of a page)"))),
    };
    Ok((after, limit))
}

/// The cursor for the page after `ids`, if the page was full: `limit`
/// rows, or `cut` short by size (see `store::query::PAGE_BYTES`).
pub fn next_cursor(
    ids: impl DoubleEndedIterator<Item = i64> + ExactSizeIterator,
    limit: usize,
    cut: bool,
) -> Option<String> {
    let full = cut || ids.len() == limit;
    ids.last().filter(|_| full).map(|id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bounds_and_bad_cursors() {
        assert_eq!(page(None, None).unwrap(), (0, 100));
        assert_eq!(page(Some("42"), Some(1000)).unwrap(), (42, 1000));
        assert_eq!(page(Some(""), Some(1)).unwrap(), (0, 1));
        assert_eq!(page(Some("x"), None).unwrap_err().code, "bad_query");
        assert_eq!(next_cursor([1, 2, 3].into_iter(), 3, false), Some("3".into()));
        assert_eq!(next_cursor([1, 2].into_iter(), 3, false), None);
        assert_eq!(next_cursor([1, 2].into_iter(), 3, true), Some("2".into()));
    }

    #[test]
    fn a_limit_out_of_range_or_a_signed_or_long_cursor_is_refused_as_documented() {
        for limit in [0, 1001, 5000] {
            let e = page(None, Some(limit)).unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (StatusCode::BAD_REQUEST, "bad_query"),
                "{limit}"
            );
            assert!(e.message.contains("limit"), "{}", e.message);
        }
        for after in ["+5", "-1", " 5", "1e3", "0x10", "1234567890123456789"] {
            let e = page(Some(after), None).unwrap_err();
            assert_eq!(e.code, "bad_query", "{after}");
        }
        assert_eq!(
            page(Some("999999999999999999"), None).unwrap().0,
            999_999_999_999_999_999
        );
    }
}
