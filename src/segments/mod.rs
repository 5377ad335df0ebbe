//! Segments: saved filters over contacts ("VIPs in Kazan who bought in the
//! last 30 days and are not staff"), the audience of a campaign.
//!
//! A filter is a small JSON expression language ([`Filter`]), read and
//! validated here with errors that name the failing node by its JSON path
//! (`filter.all[2].gt: expected a number for attribute "spent" …`), and
//! compiled to one parameterised SQL condition by the store
//! (`store/segments.rs`), which also checks the surveys and campaigns a
//! filter names. The language, with examples, is in `docs/segments.md`.
//!
//! Nodes: `all`/`any`/`not`; `tag`; attribute tests (`eq`, `ne`, `lt`,
//! `le`, `gt`, `ge`, `in`, `contains`, `exists`; for dates `before`,
//! `after`, `within_days`, `older_than_days`, `month`, `month_day`,
//! `anniversary_within_days`), checked against each attribute's type;
//! behaviour (`sent_within_days`, `no_reply_for_days`, `voted`,
//! `replied_to`, `delivered`, `clicked`, `redeemed`); `consent`,
//! `language`, `status`, `opted_out`. Dates are UTC calendar days of the
//! injected `now` ([`calendar`]).

pub mod calendar;
pub mod filter;

pub use filter::{
    AttrTest, Cmp, Event, Filter, FilterError, MAX_DEPTH, MAX_IN, MAX_NODES, MAX_STRING, Node, Scalar, Target,
};

/// Longest segment name, in characters.
pub const MAX_NAME: usize = 200;

/// A segment name, trimmed: 1 to [`MAX_NAME`] characters (as given, so
/// the API's `maxLength` means what it says), no control characters. The
/// error says what is wrong.
pub fn check_name(name: &str) -> Result<&str, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("name is empty".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("name is longer than {MAX_NAME} characters"));
    }
    if n.chars().any(char::is_control) {
        return Err("name contains control characters".into());
    }
    Ok(n)
}
