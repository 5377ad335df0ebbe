//! Cursor paging shared by the list routes: `after` is the `next` of the
//! previous page, `limit` is 1 to 1000 (default 100).

use axum::http::StatusCode;

use super::error::ApiError;

/// Default page size.
const DEFAULT_LIMIT: usize = 100;
/// Largest page.
const MAX_LIMIT: usize = 1000;

/// Reads `after` and `limit` into (id to start after, page size).
pub fn page(after: Option<&str>, limit: Option<usize>) -> Result<(i64, usize), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let after = match after {
        None | Some("") => 0,
        Some(a) => a.parse().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("after {a:?} is not a cursor"),
            )
        })?,
    };
    Ok((after, limit))
}

/// The cursor for the page after `ids`, if the page was full.
pub fn next_cursor(
    ids: impl DoubleEndedIterator<Item = i64> + ExactSizeIterator,
    limit: usize,
) -> Option<String> {
    let full = ids.len() == limit;
    ids.last().filter(|_| full).map(|id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bounds_and_bad_cursors() {
        assert_eq!(page(None, None).unwrap(), (0, 100));
        assert_eq!(page(Some("42"), Some(5000)).unwrap(), (42, 1000));
        assert_eq!(page(Some(""), Some(0)).unwrap(), (0, 1));
        assert_eq!(page(Some("x"), None).unwrap_err().code, "bad_query");
        assert_eq!(next_cursor([1, 2, 3].into_iter(), 3), Some("3".into()));
        assert_eq!(next_cursor([1, 2].into_iter(), 3), None);
    }
}
