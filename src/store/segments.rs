//! Segments: a filter compiled to one parameterised SQL condition over
//! `contacts c`; saved segments (create, read, list, update, delete); the
//! preview of an audience (how many a marketing send would reach, how many
//! it leaves out and why, a sample); and the contacts of a filter, by
//! keyset pages, for the API's `segment=` and for campaigns.
//!
//! Every user value is a bound parameter; the SQL text only ever holds
//! fixed fragments. Each condition is two-valued (`ifnull(…, 0)`), so
//! `not` is the complement of its child: a contact without the attribute
//! does not match `{"attr": "city", "eq": "Kazan"}` and does match its
//! `not` (and `ne`).
//!
//! Attributes are read from the JSON column with `json_extract` (measured
//! fast enough over 100,000 contacts: benches/segment_preview.rs); tags by
//! the `contact_tags_by_tag` index (by folded tag); activity from the columns the
//! gateway keeps (`last_sent_at`, `last_reply_at`); surveys from
//! `survey_responses` / `survey_recipients`.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::Value;
use thiserror::Error;

use super::unit::Tx;
use super::{Store, StoreError};
use crate::contacts::{AttrType, Contact};
use crate::segments::calendar::{anniversary_window, days_ago, today};
use crate::segments::{AttrTest, Cmp, Event, Filter, FilterError, Node, Scalar, Target};

/// Why a segment operation failed.
#[derive(Debug, Error)]
pub enum SegmentError {
    /// The filter does not validate (the path names the node).
    #[error(transparent)]
    Invalid(#[from] FilterError),
    /// The name is not acceptable.
    #[error("{0}")]
    InvalidName(String),
    /// Another segment has that name.
    #[error("a segment named {0:?} exists")]
    NameTaken(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for SegmentError {
    fn from(e: rusqlite::Error) -> Self {
        SegmentError::Store(e.into())
    }
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRow {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The filter as given.
    pub filter: Value,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// Matching contacts a marketing send leaves out, each counted once by
/// precedence: opted out, then invalid, then without consent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Excluded {
    /// Consent `none` or `pending` (active, not opted out).
    pub no_consent: u64,
    /// On the opt-out list (whatever else).
    pub opted_out: u64,
    /// Status `invalid` (not opted out).
    pub invalid: u64,
}

/// What a segment's audience is now.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// Every contact the filter matches.
    pub matched: u64,
    /// Those a marketing send would reach: opted in, active, not opted out.
    pub count: u64,
    /// Those it leaves out, and why.
    pub excluded: Excluded,
    /// The first reachable contacts (by id).
    pub sample: Vec<Contact>,
}

/// A compiled condition and its parameters, in order (`?` placeholders).
#[derive(Debug, Default)]
pub(super) struct Sql {
    pub(super) text: String,
    pub(super) params: Vec<SqlValue>,
    /// Keep tag tests from driving the query (`+c.id IN …`): when the
    /// outer loop is another table, SQLite would otherwise walk a tag's
    /// whole contact list once per outer row.
    tags_follow: bool,
    /// Test tags row by row (`EXISTS` on the contact's own tags) rather than
    /// against the tag's whole list: a page read in id order stops after
    /// `limit` matches, and an `IN (…)` list would be built anew for every
    /// page (100,000 contacts read in pages of 500 took 2 s that way).
    per_row_tags: bool,
}

impl Sql {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }
    fn bind(&mut self, v: impl Into<SqlValue>) {
        self.params.push(v.into());
    }
}

/// Who a marketing message may reach.
const REACHABLE: &str = "c.consent_status = 'opted_in' AND c.status = 'active'
    AND NOT EXISTS (SELECT 1 FROM optouts o WHERE o.number = c.phone)";

/// The contact columns in `contacts::contact_row`'s order.
const CONTACT_COLUMNS: &str =
    "c.id, c.phone, c.name, c.time_zone, c.time_zone_source, c.language, c.attributes,
        c.consent_status, c.consent_at, c.consent_source, c.consent_evidence, c.status, c.status_reason,
        c.created_at, c.updated_at, c.last_sent_at, c.last_delivered_at, c.last_reply_at, c.messages_sent";

const DAY_MS: i64 = 86_400_000;

/// [`compile`] for reading pages in id order (see [`Sql::per_row_tags`]).
fn compile_paged(conn: &Connection, filter: &Filter, now: i64) -> Result<Sql, StoreError> {
    let mut sql = Sql {
        per_row_tags: true,
        ..Sql::default()
    };
    node(conn, filter.root(), now, &mut sql)?;
    Ok(sql)
}

/// Compiles `filter` at time `now` (unix ms). `tags_follow`: see [`Sql`].
pub(super) fn compile(
    conn: &Connection,
    filter: &Filter,
    now: i64,
    tags_follow: bool,
) -> Result<Sql, StoreError> {
    let mut sql = Sql {
        tags_follow,
        ..Sql::default()
    };
    node(conn, filter.root(), now, &mut sql)?;
    Ok(sql)
}

fn node(conn: &Connection, n: &Node, now: i64, sql: &mut Sql) -> Result<(), StoreError> {
    match n {
        Node::All(children) | Node::Any(children) => {
            if children.is_empty() {
                // `all: []` is everybody (`any: []` is refused by the parser).
                sql.push(if matches!(n, Node::All(_)) { "1" } else { "0" });
                return Ok(());
            }
            let join = if matches!(n, Node::All(_)) {
                " AND "
            } else {
                " OR "
            };
            // Cheap tests first: SQLite stops at the first false of an AND
            // (true of an OR), so an attribute is read from the JSON only
            // for the contacts the tags and columns left. The order does
            // not change the answer: no test has side effects.
            let mut children: Vec<&Node> = children.iter().collect();
            children.sort_by_key(|c| cost(c));
            sql.push("(");
            for (i, c) in children.into_iter().enumerate() {
                if i > 0 {
                    sql.push(join);
                }
                node(conn, c, now, sql)?;
            }
            sql.push(")");
        }
        Node::Not(c) => {
            sql.push("(NOT ");
            node(conn, c, now, sql)?;
            sql.push(")");
        }
        Node::Tag(t) => {
            if sql.per_row_tags {
                sql.push("EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id AND t.tag_key = ?)");
            } else {
                if sql.tags_follow {
                    sql.push("+");
                }
                sql.push("c.id IN (SELECT contact_id FROM contact_tags WHERE tag_key = ?)");
            }
            sql.bind(crate::contacts::fold(t));
        }
        Node::Attr { name, ty, test } => attr(name, *ty, test, now, sql),
        Node::SentWithinDays(d) => {
            sql.push("ifnull(c.last_sent_at >= ?, 0)");
            sql.bind(now.saturating_sub(i64::from(*d) * DAY_MS));
        }
        Node::NoReplyForDays(d) => {
            sql.push("(c.last_reply_at IS NULL OR c.last_reply_at < ?)");
            sql.bind(now.saturating_sub(i64::from(*d) * DAY_MS));
        }
        Node::Activity {
            event,
            target,
            option,
            ..
        } => activity(conn, *event, *target, option.as_deref(), sql)?,
        Node::Consent(list) => {
            sql.push("c.consent_status IN (");
            for (i, s) in list.iter().enumerate() {
                sql.push(if i == 0 { "?" } else { ", ?" });
                sql.bind(s.as_str().to_string());
            }
            sql.push(")");
        }
        Node::Language(list) => {
            sql.push("ifnull(lower(c.language) IN (SELECT value FROM json_each(?)), 0)");
            sql.bind(serde_json::to_string(list).unwrap_or_else(|_| "[]".into()));
        }
        Node::Status(s) => {
            sql.push("c.status = ?");
            sql.bind(s.as_str().to_string());
        }
        Node::OptedOut(yes) => {
            sql.push(if *yes {
                "EXISTS (SELECT 1 FROM optouts o WHERE o.number = c.phone)"
            } else {
                "NOT EXISTS (SELECT 1 FROM optouts o WHERE o.number = c.phone)"
            });
        }
    }
    Ok(())
}

/// How costly a test is per contact, for ordering: columns and the tag
/// index (0), survey lookups (1), attributes read from the JSON (2).
fn cost(n: &Node) -> u8 {
    match n {
        Node::All(c) | Node::Any(c) => c.iter().map(cost).max().unwrap_or(0),
        Node::Not(c) => cost(c),
        Node::Attr { .. } => 2,
        Node::Activity { .. } => 1,
        _ => 0,
    }
}

/// The SQL for an attribute's value (NULL when absent), binding its name.
/// A name with a `"` cannot be a quoted JSON path label: it is looked up
/// by key instead (slower, same answer).
fn value_of(name: &str, sql: &mut Sql) {
    if name.contains('"') {
        sql.push("(SELECT value FROM json_each(c.attributes) WHERE key = ?)");
        sql.bind(name.to_string());
    } else {
        sql.push("json_extract(c.attributes, ?)");
        sql.bind(format!("$.\"{name}\""));
    }
}

fn scalar(v: &Scalar) -> SqlValue {
    match v {
        Scalar::String(s) => SqlValue::Text(s.clone()),
        Scalar::Number(n) => SqlValue::Real(*n),
        Scalar::Boolean(b) => SqlValue::Integer(i64::from(*b)),
        Scalar::Date(d) => SqlValue::Text(d.format("%Y-%m-%d").to_string()),
    }
}

fn scalar_json(v: &Scalar) -> Value {
    match v {
        Scalar::String(s) => Value::String(s.clone()),
        Scalar::Number(n) => serde_json::Number::from_f64(*n)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Scalar::Boolean(b) => Value::from(i64::from(*b)),
        Scalar::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
    }
}

fn attr(name: &str, ty: AttrType, test: &AttrTest, now: i64, sql: &mut Sql) {
    // Strings compare ignoring case in any script (`simfleet_fold`, see
    // `contacts::fold`): the stored value is folded in SQL, the filter's in Rust.
    let string = ty == AttrType::String;
    let folded = |v: &Scalar| match v {
        Scalar::String(s) => Scalar::String(crate::contacts::fold(s)),
        other => other.clone(),
    };
    let value = |sql: &mut Sql| {
        if string {
            sql.push("simfleet_fold(");
            value_of(name, sql);
            sql.push(")");
        } else {
            value_of(name, sql);
        }
    };
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let today = today(now);
    match test {
        AttrTest::Cmp(cmp, v) => {
            let op = match cmp {
                Cmp::Eq | Cmp::Ne => "=",
                Cmp::Lt => "<",
                Cmp::Le => "<=",
                Cmp::Gt => ">",
                Cmp::Ge => ">=",
            };
            sql.push(if *cmp == Cmp::Ne {
                "(NOT ifnull("
            } else {
                "ifnull("
            });
            value(sql);
            sql.push(&format!(" {op} ?, 0)"));
            sql.bind(scalar(&folded(v)));
            if *cmp == Cmp::Ne {
                sql.push(")");
            }
        }
        AttrTest::In(values) => {
            sql.push("ifnull(");
            value(sql);
            sql.push(" IN (SELECT value FROM json_each(?)), 0)");
            let list: Vec<Value> = values.iter().map(|v| scalar_json(&folded(v))).collect();
            sql.bind(Value::Array(list).to_string());
        }
        AttrTest::Contains(text) => {
            // A plain substring test: % _ \ in the text mean themselves.
            sql.push("ifnull(instr(");
            value(sql);
            sql.push(", ?) > 0, 0)");
            sql.bind(crate::contacts::fold(text));
        }
        AttrTest::Exists(yes) => {
            sql.push("(");
            value_of(name, sql);
            sql.push(if *yes { " IS NOT NULL)" } else { " IS NULL)" });
        }
        AttrTest::Before(d) | AttrTest::After(d) => {
            sql.push("ifnull(");
            value_of(name, sql);
            sql.push(if matches!(test, AttrTest::Before(_)) {
                " < ?, 0)"
            } else {
                " > ?, 0)"
            });
            sql.bind(day(*d));
        }
        AttrTest::WithinDays(n) => {
            sql.push("ifnull(");
            value_of(name, sql);
            sql.push(" BETWEEN ? AND ?, 0)");
            sql.bind(day(days_ago(today, *n)));
            sql.bind(day(today));
        }
        AttrTest::OlderThanDays(n) => {
            sql.push("ifnull(");
            value_of(name, sql);
            sql.push(" < ?, 0)");
            sql.bind(day(days_ago(today, *n)));
        }
        AttrTest::Month(m) => {
            sql.push("ifnull(substr(");
            value_of(name, sql);
            sql.push(", 6, 2) = ?, 0)");
            sql.bind(format!("{m:02}"));
        }
        AttrTest::MonthDay(m, d) => {
            sql.push("ifnull(substr(");
            value_of(name, sql);
            sql.push(", 6, 5) = ?, 0)");
            sql.bind(format!("{m:02}-{d:02}"));
        }
        AttrTest::AnniversaryWithinDays(n) => {
            sql.push("ifnull(substr(");
            value_of(name, sql);
            sql.push(", 6, 5) IN (SELECT value FROM json_each(?)), 0)");
            sql.bind(serde_json::to_string(&anniversary_window(today, *n)).unwrap_or_else(|_| "[]".into()));
        }
    }
}

fn activity(
    conn: &Connection,
    event: Event,
    target: Target,
    option: Option<&str>,
    sql: &mut Sql,
) -> Result<(), StoreError> {
    let survey = match target {
        Target::Survey(survey) => survey,
        Target::Campaign(campaign) => {
            campaign_activity(event, campaign, sql);
            return Ok(());
        }
    };
    match (event, option) {
        (Event::Voted, None) => {
            sql.push(
                "EXISTS (SELECT 1 FROM survey_responses r WHERE r.survey_id = ? AND r.number = c.phone
                    AND r.option IS NOT NULL)",
            );
            sql.bind(survey);
        }
        (Event::Voted, Some(option)) => {
            // The counted vote, as the survey counts it (first or last).
            let mode: Option<String> = conn
                .prepare_cached("SELECT count_mode FROM surveys WHERE id = ?1")?
                .query_row([survey], |r| r.get(0))
                .optional()?;
            let earlier = if mode.as_deref() == Some("last") { ">" } else { "<" };
            sql.push(&format!(
                "EXISTS (SELECT 1 FROM survey_responses r WHERE r.survey_id = ? AND r.number = c.phone
                    AND r.option = ? AND NOT EXISTS (SELECT 1 FROM survey_responses r2
                        WHERE r2.survey_id = r.survey_id AND r2.number = r.number
                        AND r2.option IS NOT NULL AND r2.id {earlier} r.id))"
            ));
            sql.bind(survey);
            sql.bind(option.to_string());
        }
        (Event::RepliedTo, _) => {
            sql.push(
                "EXISTS (SELECT 1 FROM survey_responses r WHERE r.survey_id = ? AND r.number = c.phone)",
            );
            sql.bind(survey);
        }
        (Event::Delivered, _) => {
            sql.push(
                "EXISTS (SELECT 1 FROM survey_recipients sr JOIN messages m ON m.id = sr.message_id
                    WHERE sr.survey_id = ? AND sr.number = c.phone AND m.status = 'delivered')",
            );
            sql.bind(survey);
        }
        // Refused by the parser (campaigns only).
        (Event::Clicked | Event::Redeemed, _) => sql.push("0"),
    }
    Ok(())
}

/// What a contact did in campaign `campaign` (checked to exist): its
/// message was delivered, or it replied (a reply attributed to the
/// campaign's message, see `store::campaign_attribution`), clicked one of
/// its tracked links (a person, not a preview or bot), or redeemed its
/// promo code (`store::attribution`). Matched by the contact's number,
/// which the campaign kept for each recipient. By the recipients' number index
/// (`campaign_recipients_by_phone`): `+cr.campaign_id` keeps SQLite from
/// walking the campaign's whole audience once per contact by its primary key.
fn campaign_activity(event: Event, campaign: i64, sql: &mut Sql) {
    match event {
        Event::Delivered => {
            sql.push(
                "EXISTS (SELECT 1 FROM campaign_recipients cr JOIN messages m ON m.id = cr.message_id
                    WHERE cr.phone = c.phone AND cr.message_id IS NOT NULL AND +cr.campaign_id = ?
                    AND m.status = 'delivered')",
            );
            sql.bind(campaign);
        }
        Event::RepliedTo => {
            sql.push(
                "EXISTS (SELECT 1 FROM campaign_recipients cr WHERE cr.phone = c.phone
                    AND cr.message_id IS NOT NULL AND +cr.campaign_id = ? AND cr.reply_id IS NOT NULL)",
            );
            sql.bind(campaign);
        }
        // Refused by the parser (surveys only).
        Event::Voted => sql.push("0"),
        Event::Clicked => {
            sql.push(
                "EXISTS (SELECT 1 FROM campaign_recipients cr
                    JOIN links l INDEXED BY links_by_message ON l.message_id = cr.message_id
                    JOIN link_clicks k ON k.slug = l.slug AND k.bot = 0
                    WHERE cr.phone = c.phone AND cr.message_id IS NOT NULL AND +cr.campaign_id = ?)",
            );
            sql.bind(campaign);
        }
        Event::Redeemed => {
            sql.push(
                "EXISTS (SELECT 1 FROM campaign_recipients cr
                    JOIN promo_codes p INDEXED BY promo_codes_by_message ON p.message_id = cr.message_id
                    JOIN promo_redemptions pr ON pr.code = p.code AND pr.counted = 1
                    WHERE cr.phone = c.phone AND cr.message_id IS NOT NULL AND +cr.campaign_id = ?)",
            );
            sql.bind(campaign);
        }
    }
}

/// Checks the surveys (and their options) and campaigns a filter names.
fn check_references(conn: &Connection, filter: &Filter) -> Result<(), SegmentError> {
    for (at, _event, target, option) in filter.references() {
        match target {
            Target::Survey(id) => {
                let options: Option<String> = conn
                    .prepare_cached("SELECT options FROM surveys WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                let Some(options) = options else {
                    return Err(FilterError::new(format!("{at}.survey"), format!("no survey {id}")).into());
                };
                if let Some(option) = option {
                    let keys: Vec<String> = serde_json::from_str::<Vec<(String, String)>>(&options)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, _)| k)
                        .collect();
                    if !keys.iter().any(|k| k == option) {
                        return Err(FilterError::new(
                            format!("{at}.option"),
                            format!(
                                "survey {id} has no option {option:?} (its options: {})",
                                keys.join(", ")
                            ),
                        )
                        .into());
                    }
                }
            }
            Target::Campaign(id) => {
                if super::campaigns::read(conn, id)?.is_none() {
                    return Err(
                        FilterError::new(format!("{at}.campaign"), format!("no campaign {id}")).into(),
                    );
                }
            }
        }
    }
    Ok(())
}

fn parse(conn: &Connection, json: &Value) -> Result<Filter, SegmentError> {
    let types = super::contacts::attribute_types(conn)?;
    let filter = Filter::parse(json, &types)?;
    check_references(conn, &filter)?;
    Ok(filter)
}

fn segment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SegmentRow> {
    let text: String = r.get(2)?;
    Ok(SegmentRow {
        id: r.get(0)?,
        name: r.get(1)?,
        filter: serde_json::from_str(&text).unwrap_or(Value::Null),
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

fn read_segment(conn: &Connection, id: i64) -> Result<Option<SegmentRow>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id, name, filter, created_at, updated_at FROM segments WHERE id = ?1")?
        .query_row([id], segment_row)
        .optional()?)
}

fn name_taken(conn: &Connection, name: &str, other_than: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM segments WHERE name = ?1 AND id != ?2")?
        .query_row(params![name, other_than], |_| Ok(()))
        .optional()?
        .is_some())
}

fn checked_name(name: &str) -> Result<&str, SegmentError> {
    crate::segments::check_name(name).map_err(SegmentError::InvalidName)
}

impl Tx<'_> {
    /// Saves a new segment. Errors: the name is taken or not acceptable.
    pub fn create_segment(&mut self, name: &str, filter: &Filter) -> Result<SegmentRow, SegmentError> {
        let name = checked_name(name)?;
        if name_taken(&self.tx, name, 0)? {
            return Err(SegmentError::NameTaken(name.to_string()));
        }
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO segments (name, filter, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) RETURNING id",
            )?
            .query_row(params![name, filter.json().to_string(), self.now], |r| r.get(0))?;
        Ok(SegmentRow {
            id,
            name: name.to_string(),
            filter: filter.json().clone(),
            created_at: self.now,
            updated_at: self.now,
        })
    }

    /// Renames a segment and/or replaces its filter; `None` if there is no
    /// such segment.
    pub fn update_segment(
        &mut self,
        id: i64,
        name: Option<&str>,
        filter: Option<&Filter>,
    ) -> Result<Option<SegmentRow>, SegmentError> {
        let Some(mut row) = read_segment(&self.tx, id)? else {
            return Ok(None);
        };
        if let Some(name) = name {
            let name = checked_name(name)?;
            if name_taken(&self.tx, name, id)? {
                return Err(SegmentError::NameTaken(name.to_string()));
            }
            row.name = name.to_string();
        }
        if let Some(f) = filter {
            row.filter = f.json().clone();
        }
        row.updated_at = self.now;
        self.tx
            .prepare_cached("UPDATE segments SET name = ?2, filter = ?3, updated_at = ?4 WHERE id = ?1")?
            .execute(params![id, row.name, row.filter.to_string(), self.now])?;
        Ok(Some(row))
    }

    /// Deletes a segment; whether it existed.
    pub fn delete_segment(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM segments WHERE id = ?1")?
            .execute([id])?
            > 0)
    }
}

impl Store {
    /// Reads and validates a filter: attribute names and types against
    /// those known, surveys (and a `voted` option) against those stored,
    /// campaigns against those stored. The error names the failing node.
    pub fn parse_filter(&self, json: &Value) -> Result<Filter, SegmentError> {
        parse(&self.reader(), json)
    }

    /// A saved segment.
    pub fn segment(&self, id: i64) -> Result<Option<SegmentRow>, StoreError> {
        read_segment(&self.reader(), id)
    }

    /// A saved segment's filter, validated again (an attribute or survey
    /// it names may be gone); `None` if there is no such segment.
    pub fn segment_filter(&self, id: i64) -> Result<Option<Filter>, SegmentError> {
        let conn = self.reader();
        match read_segment(&conn, id)? {
            None => Ok(None),
            Some(row) => parse(&conn, &row.filter).map(Some),
        }
    }

    /// Saved segments with id after `after`, by id, at most `limit`.
    pub fn segments(&self, after: i64, limit: usize) -> Result<Vec<SegmentRow>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, filter, created_at, updated_at FROM segments WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], segment_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ids of every contact `filter` matches at `now` (unix ms), consent or
    /// not, ascending, after `after_id`, at most `limit` (a keyset page:
    /// pass the last id back as `after_id`).
    pub fn segment_contact_ids(
        &self,
        filter: &Filter,
        now: i64,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<i64>, StoreError> {
        self.scan(|conn| {
            let mut sql = compile_paged(conn, filter, now)?;
            let text = format!(
                "SELECT c.id FROM contacts c WHERE ({}) AND c.id > ? ORDER BY c.id LIMIT ?",
                sql.text
            );
            sql.bind(after_id);
            sql.bind(limit as i64);
            let mut stmt = conn.prepare(&text)?;
            let rows = stmt.query_map(params_from_iter(sql.params.iter()), |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// The contacts `filter` matches at `now`, with tags and opt-out, by
    /// id after `after_id`, at most `limit`; `reachable_only`: only those a
    /// marketing message may reach (opted in, active, not opted out).
    pub fn segment_contacts(
        &self,
        filter: &Filter,
        now: i64,
        reachable_only: bool,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        self.scan(|conn| contacts_page(conn, filter, now, reachable_only, after_id, limit))
    }

    /// The audience of `filter` at `now`: how many match, how many a
    /// marketing send would reach, how many it leaves out and why, and the
    /// first `sample` reachable contacts.
    pub fn segment_preview(&self, filter: &Filter, now: i64, sample: usize) -> Result<Preview, StoreError> {
        self.scan(|conn| preview(conn, filter, now, sample))
    }
}

fn preview(conn: &Connection, filter: &Filter, now: i64, sample: usize) -> Result<Preview, StoreError> {
    let sql = compile(conn, filter, now, false)?;
    let follow = compile(conn, filter, now, true)?;
    // Two passes instead of a join: every matching contact by status
    // and consent, then the opted-out ones among them (the opt-out list
    // is short next to the contacts; probing it once per contact cost
    // more than most filters: benches/segment_preview.rs). CROSS JOIN
    // keeps the opt-out list the outer loop whatever the statistics
    // (the store never runs ANALYZE).
    let totals = |from: &str, sql: &Sql| -> Result<(i64, i64, i64), StoreError> {
        let text = totals_sql(from, sql);
        Ok(conn
            .prepare(&text)?
            .query_row(params_from_iter(sql.params.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?)
    };
    let (matched, invalid_all, no_consent_all) = totals("contacts c", &sql)?;
    let (opted_out, invalid_out, no_consent_out) = totals(OPTOUT_PASS, &follow)?;
    let (invalid, no_consent) = (invalid_all - invalid_out, no_consent_all - no_consent_out);
    let excluded = Excluded {
        no_consent: no_consent.max(0) as u64,
        opted_out: opted_out.max(0) as u64,
        invalid: invalid.max(0) as u64,
    };
    let count = (matched - opted_out - invalid - no_consent).max(0) as u64;
    let sample = if count == 0 || sample == 0 {
        Vec::new()
    } else {
        contacts_page(conn, filter, now, true, 0, sample)?
    };
    Ok(Preview {
        matched: matched as u64,
        count,
        excluded,
        sample,
    })
}

/// The opt-out pass of a preview: the opt-out list outer, whatever the
/// statistics.
pub(super) const OPTOUT_PASS: &str = "optouts o CROSS JOIN contacts c ON c.phone = o.number";

/// Counts of the contacts of `from` matching `sql`: all, invalid, active
/// without consent.
fn totals_sql(from: &str, sql: &Sql) -> String {
    format!(
        "SELECT count(*), ifnull(sum(c.status != 'active'), 0),
                ifnull(sum(c.status = 'active' AND c.consent_status != 'opted_in'), 0)
         FROM {from} WHERE {}",
        sql.text
    )
}

fn contacts_page(
    conn: &Connection,
    filter: &Filter,
    now: i64,
    reachable_only: bool,
    after_id: i64,
    limit: usize,
) -> Result<Vec<Contact>, StoreError> {
    let mut sql = compile_paged(conn, filter, now)?;
    let reach = if reachable_only {
        format!(" AND {REACHABLE}")
    } else {
        String::new()
    };
    let text = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE ({}){reach} AND c.id > ? ORDER BY c.id LIMIT ?",
        sql.text
    );
    sql.bind(after_id);
    sql.bind(limit as i64);
    let mut stmt = conn.prepare(&text)?;
    let mut out: Vec<Contact> = stmt
        .query_map(params_from_iter(sql.params.iter()), super::contacts::contact_row)?
        .collect::<Result<_, _>>()?;
    super::contacts::fill_page(conn, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::{AttrValue, Consent, ConsentStatus, ContactChanges};
    use crate::store::{CountMode, NewOptOut, NewSurvey, OptOutSource};
    use chrono::NaiveDate;
    use serde_json::json;

    /// 2025-06-15 12:00 UTC.
    const NOW: i64 = 1_749_988_800_000;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("db.sqlite")).unwrap();
        (dir, s)
    }

    fn date(s: &str) -> AttrValue {
        AttrValue::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    /// Adds a contact; returns its id.
    fn add(
        s: &Store,
        phone: &str,
        tags: &[&str],
        attrs: &[(&str, AttrValue)],
        consent: ConsentStatus,
    ) -> i64 {
        let mut ch = ContactChanges {
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            consent: Some(Consent {
                status: consent,
                ..Default::default()
            }),
            ..Default::default()
        };
        for (k, v) in attrs {
            ch.attributes.insert(k.to_string(), Some(v.clone()));
        }
        s.write(1, |tx| tx.upsert_contact(phone, &ch, None)).unwrap().id
    }

    fn ids(s: &Store, filter: Value) -> Vec<i64> {
        let f = s
            .parse_filter(&filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"));
        s.segment_contact_ids(&f, NOW, 0, 1000).unwrap()
    }

    fn sql(s: &Store, q: &str) {
        s.writer().execute_batch(q).unwrap();
    }

    #[test]
    fn tags_attributes_and_not_compose() {
        let (_d, s) = store();
        let anna = add(
            &s,
            "+79160000001",
            &["VIP"],
            &[
                ("city", AttrValue::String("Kazan".into())),
                ("spent", AttrValue::Number(1500.0)),
            ],
            ConsentStatus::OptedIn,
        );
        let boris = add(
            &s,
            "+79160000002",
            &["vip", "staff"],
            &[
                ("city", AttrValue::String("kazan".into())),
                ("spent", AttrValue::Number(2000.0)),
            ],
            ConsentStatus::OptedIn,
        );
        let vera = add(
            &s,
            "+79160000003",
            &[],
            &[("spent", AttrValue::Number(10.0))],
            ConsentStatus::None,
        );
        assert_eq!(ids(&s, json!({"tag": "vip"})), vec![anna, boris]);
        assert_eq!(
            ids(
                &s,
                json!({"all": [{"tag": "vip"}, {"attr": "city", "eq": "KAZAN"}, {"attr": "spent", "gt": 1000}, {"not": {"tag": "staff"}}]})
            ),
            vec![anna]
        );
        // `ne` and `not eq` both include a contact without the attribute.
        assert_eq!(ids(&s, json!({"attr": "city", "ne": "Kazan"})), vec![vera]);
        assert_eq!(
            ids(&s, json!({"not": {"attr": "city", "eq": "Kazan"}})),
            vec![vera]
        );
        assert_eq!(ids(&s, json!({"attr": "city", "exists": false})), vec![vera]);
        assert_eq!(
            ids(&s, json!({"attr": "spent", "in": [10, 2000]})),
            vec![boris, vera]
        );
        assert_eq!(ids(&s, json!({"attr": "spent", "le": 1500})), vec![anna, vera]);
        assert_eq!(
            ids(
                &s,
                json!({"any": [{"tag": "staff"}, {"attr": "spent", "lt": 100}]})
            ),
            vec![boris, vera]
        );
        assert_eq!(ids(&s, json!({"all": []})), vec![anna, boris, vera]);
        assert_eq!(
            ids(&s, json!({"attr": "city", "contains": "AZ"})),
            vec![anna, boris]
        );
    }

    #[test]
    fn strings_and_tags_match_ignoring_case_in_any_script() {
        let (_d, s) = store();
        let anna = add(
            &s,
            "+79160000001",
            &["Постоянный"],
            &[("city", AttrValue::String("Казань".into()))],
            ConsentStatus::OptedIn,
        );
        let jose = add(
            &s,
            "+79160000002",
            &["ÉLITE"],
            &[("city", AttrValue::String("MÁLAGA".into()))],
            ConsentStatus::OptedIn,
        );
        assert_eq!(ids(&s, json!({"tag": "постоянный"})), vec![anna]);
        assert_eq!(ids(&s, json!({"tag": "élite"})), vec![jose]);
        assert_eq!(ids(&s, json!({"attr": "city", "eq": "КАЗАНЬ"})), vec![anna]);
        assert_eq!(ids(&s, json!({"attr": "city", "contains": "зан"})), vec![anna]);
        assert_eq!(
            ids(&s, json!({"attr": "city", "in": ["málaga", "Омск"]})),
            vec![jose]
        );
        assert_eq!(ids(&s, json!({"attr": "city", "ne": "казань"})), vec![jose]);
        // A tag given again in another case is the same tag, kept as first given.
        s.write(2, |tx| {
            tx.upsert_contact(
                "+79160000001",
                &ContactChanges {
                    add_tags: vec!["ПОСТОЯННЫЙ".into()],
                    ..Default::default()
                },
                None,
            )
        })
        .unwrap();
        let c = s.contact(&super::super::ContactKey::Id(anna)).unwrap().unwrap();
        assert_eq!(c.tags, vec!["Постоянный".to_string()]);
    }

    #[test]
    fn user_values_are_parameters_not_sql() {
        let (_d, s) = store();
        let a = add(
            &s,
            "+79160000001",
            &["x' OR 1=1 --"],
            &[("note", AttrValue::String("100% _real_".into()))],
            ConsentStatus::OptedIn,
        );
        add(
            &s,
            "+79160000002",
            &["y"],
            &[("note", AttrValue::String("100 percent".into()))],
            ConsentStatus::OptedIn,
        );
        assert_eq!(ids(&s, json!({"tag": "x' OR 1=1 --"})), vec![a]);
        assert_eq!(ids(&s, json!({"tag": "' OR 1=1 --"})), Vec::<i64>::new());
        // % and _ in `contains` are literal.
        assert_eq!(ids(&s, json!({"attr": "note", "contains": "0% _"})), vec![a]);
        assert_eq!(ids(&s, json!({"attr": "note", "contains": "_"})), vec![a]);
    }

    #[test]
    fn attribute_names_with_dots_and_quotes_are_read_whole() {
        let (_d, s) = store();
        let a = add(
            &s,
            "+79160000001",
            &[],
            &[
                ("a.b", AttrValue::Number(1.0)),
                ("say \"hi\"", AttrValue::Boolean(true)),
            ],
            ConsentStatus::OptedIn,
        );
        add(
            &s,
            "+79160000002",
            &[],
            &[("a", AttrValue::Number(1.0))],
            ConsentStatus::OptedIn,
        );
        assert_eq!(ids(&s, json!({"attr": "a.b", "eq": 1})), vec![a]);
        assert_eq!(ids(&s, json!({"attr": "say \"hi\"", "eq": true})), vec![a]);
        assert_eq!(ids(&s, json!({"attr": "say \"hi\"", "exists": true})), vec![a]);
    }

    #[test]
    fn date_windows_and_birthdays_count_from_now_in_utc_days() {
        let (_d, s) = store();
        // Today is 2025-06-15.
        let recent = add(
            &s,
            "+79160000001",
            &[],
            &[
                ("last_purchase", date("2025-05-16")),
                ("birthday", date("1990-06-20")),
            ],
            ConsentStatus::OptedIn,
        );
        let old = add(
            &s,
            "+79160000002",
            &[],
            &[
                ("last_purchase", date("2025-05-15")),
                ("birthday", date("1988-06-14")),
            ],
            ConsentStatus::OptedIn,
        );
        let future = add(
            &s,
            "+79160000003",
            &[],
            &[
                ("last_purchase", date("2025-06-16")),
                ("birthday", date("2000-06-15")),
            ],
            ConsentStatus::OptedIn,
        );
        assert_eq!(
            ids(&s, json!({"attr": "last_purchase", "within_days": 30})),
            vec![recent]
        );
        assert_eq!(
            ids(&s, json!({"attr": "last_purchase", "older_than_days": 30})),
            vec![old]
        );
        assert_eq!(
            ids(&s, json!({"attr": "last_purchase", "before": "2025-05-16"})),
            vec![old]
        );
        assert_eq!(
            ids(&s, json!({"attr": "last_purchase", "after": "2025-05-16"})),
            vec![future]
        );
        assert_eq!(
            ids(&s, json!({"attr": "birthday", "month": 6})),
            vec![recent, old, future]
        );
        assert_eq!(
            ids(&s, json!({"attr": "birthday", "month_day": "06-14"})),
            vec![old]
        );
        assert_eq!(
            ids(&s, json!({"attr": "birthday", "anniversary_within_days": 5})),
            vec![recent, future]
        );
        assert_eq!(
            ids(&s, json!({"attr": "birthday", "anniversary_within_days": 0})),
            vec![future]
        );
    }

    #[test]
    fn a_birthday_window_wraps_the_year_and_keeps_feb_29() {
        let (_d, s) = store();
        let jan = add(
            &s,
            "+79160000001",
            &[],
            &[("birthday", date("1990-01-02"))],
            ConsentStatus::OptedIn,
        );
        let leap = add(
            &s,
            "+79160000002",
            &[],
            &[("birthday", date("1992-02-29"))],
            ConsentStatus::OptedIn,
        );
        add(
            &s,
            "+79160000003",
            &[],
            &[("birthday", date("1990-03-02"))],
            ConsentStatus::OptedIn,
        );
        let f = s
            .parse_filter(&json!({"attr": "birthday", "anniversary_within_days": 7}))
            .unwrap();
        // 2025-12-28 12:00 UTC: Jan 2 is 5 days away.
        assert_eq!(
            s.segment_contact_ids(&f, 1_766_923_200_000, 0, 10).unwrap(),
            vec![jan]
        );
        // 2025-02-25 12:00 UTC (not a leap year): Feb 29 is kept on Feb 28.
        let f = s
            .parse_filter(&json!({"attr": "birthday", "anniversary_within_days": 3}))
            .unwrap();
        assert_eq!(
            s.segment_contact_ids(&f, 1_740_484_800_000, 0, 10).unwrap(),
            vec![leap]
        );
    }

    #[test]
    fn activity_consent_language_status_and_opt_out() {
        let (_d, s) = store();
        let sent = add(&s, "+79160000001", &[], &[], ConsentStatus::OptedIn);
        let replied = add(&s, "+79160000002", &[], &[], ConsentStatus::Pending);
        let never = add(&s, "+79160000003", &[], &[], ConsentStatus::None);
        let day = 86_400_000;
        sql(
            &s,
            &format!(
                "UPDATE contacts SET last_sent_at = {} WHERE id = {sent};
             UPDATE contacts SET last_sent_at = {}, last_reply_at = {}, language = 'ru' WHERE id = {replied};
             UPDATE contacts SET status = 'invalid', language = 'en' WHERE id = {never};
             UPDATE contacts SET last_reply_at = {} WHERE id = {sent};",
                NOW - 10 * day,
                NOW - 40 * day,
                NOW - 5 * day,
                NOW - 61 * day
            ),
        );
        assert_eq!(ids(&s, json!({"sent_within_days": 30})), vec![sent]);
        assert_eq!(ids(&s, json!({"sent_within_days": 40})), vec![sent, replied]);
        assert_eq!(ids(&s, json!({"no_reply_for_days": 60})), vec![sent, never]);
        assert_eq!(ids(&s, json!({"consent": "pending"})), vec![replied]);
        assert_eq!(
            ids(&s, json!({"consent": ["opted_in", "none"]})),
            vec![sent, never]
        );
        assert_eq!(ids(&s, json!({"language": ["RU", "en"]})), vec![replied, never]);
        assert_eq!(ids(&s, json!({"not": {"language": "ru"}})), vec![sent, never]);
        assert_eq!(ids(&s, json!({"status": "invalid"})), vec![never]);
        s.write(2, |tx| {
            tx.add_optout(&NewOptOut {
                number: "+79160000001",
                source: OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
        assert_eq!(ids(&s, json!({"opted_out": true})), vec![sent]);
        assert_eq!(ids(&s, json!({"opted_out": false})), vec![replied, never]);
    }

    fn survey(s: &Store, mode: CountMode) -> i64 {
        s.write(1, |tx| {
            tx.create_survey(&NewSurvey {
                question: "Q? 1 Yes 2 No".into(),
                options: vec![("1".into(), "Yes".into()), ("2".into(), "No".into())],
                count_mode: mode,
                invalid_reply: None,
                closes_at: None,
            })
        })
        .unwrap()
    }

    #[test]
    fn survey_votes_follow_the_surveys_counting_rule() {
        let (_d, s) = store();
        let a = add(&s, "+79160000001", &[], &[], ConsentStatus::OptedIn);
        let b = add(&s, "+79160000002", &[], &[], ConsentStatus::OptedIn);
        let c = add(&s, "+79160000003", &[], &[], ConsentStatus::OptedIn);
        let first = survey(&s, CountMode::First);
        let last = survey(&s, CountMode::Last);
        s.write(2, |tx| {
            for sv in [first, last] {
                // a votes 1 then 2; b comments only; c votes 2.
                tx.record_response(sv, "+79160000001", Some("1"), None, 1)?;
                tx.record_response(sv, "+79160000001", Some("2"), None, 2)?;
                tx.record_response(sv, "+79160000002", None, Some("maybe"), 3)?;
                tx.record_response(sv, "+79160000003", Some("2"), None, 4)?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
        assert_eq!(ids(&s, json!({"voted": {"survey": first}})), vec![a, c]);
        assert_eq!(ids(&s, json!({"replied_to": {"survey": first}})), vec![a, b, c]);
        assert_eq!(
            ids(&s, json!({"voted": {"survey": first, "option": "1"}})),
            vec![a]
        );
        assert_eq!(
            ids(&s, json!({"voted": {"survey": first, "option": "2"}})),
            vec![c]
        );
        assert_eq!(
            ids(&s, json!({"voted": {"survey": last, "option": "2"}})),
            vec![a, c]
        );
        assert_eq!(
            ids(&s, json!({"delivered": {"survey": first}})),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn unknown_surveys_options_and_campaigns_are_named_errors() {
        let (_d, s) = store();
        let sv = survey(&s, CountMode::First);
        let err = |v: Value| match s.parse_filter(&v).unwrap_err() {
            SegmentError::Invalid(e) => e,
            other => panic!("{other}"),
        };
        let e = err(json!({"all": [{"voted": {"survey": 99}}]}));
        assert_eq!(e.to_string(), "filter.all[0].voted.survey: no survey 99");
        let e = err(json!({"voted": {"survey": sv, "option": "3"}}));
        assert_eq!(e.path, "filter.voted.option");
        assert!(e.message.contains("its options: 1, 2"), "{e}");
        for ev in ["delivered", "clicked", "redeemed", "replied_to"] {
            let e = err(json!({"any": [{"tag": "x"}, {ev: {"campaign": 4}}]}));
            assert_eq!(e.path, format!("filter.any[1].{ev}.campaign"));
            assert_eq!(e.message, "no campaign 4");
        }
    }

    #[test]
    fn preview_counts_the_reachable_and_each_exclusion_once() {
        let (_d, s) = store();
        let ok = add(&s, "+79160000001", &["t"], &[], ConsentStatus::OptedIn);
        add(&s, "+79160000002", &["t"], &[], ConsentStatus::Pending);
        add(&s, "+79160000003", &["t"], &[], ConsentStatus::None);
        let inv = add(&s, "+79160000004", &["t"], &[], ConsentStatus::None);
        let out = add(&s, "+79160000005", &["t"], &[], ConsentStatus::OptedIn);
        add(&s, "+79160000006", &[], &[], ConsentStatus::OptedIn);
        sql(
            &s,
            &format!("UPDATE contacts SET status = 'invalid' WHERE id IN ({inv}, {out})"),
        );
        s.write(2, |tx| {
            tx.add_optout(&NewOptOut {
                number: "+79160000005",
                source: OptOutSource::Api,
                keyword: None,
                note: None,
                inbox_id: None,
            })
        })
        .unwrap();
        let f = s.parse_filter(&json!({"tag": "t"})).unwrap();
        let p = s.segment_preview(&f, NOW, 10).unwrap();
        assert_eq!((p.matched, p.count), (5, 1));
        assert_eq!(
            p.excluded,
            Excluded {
                no_consent: 2,
                opted_out: 1,
                invalid: 1
            }
        );
        assert_eq!(p.sample.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ok]);
        assert_eq!(p.sample[0].tags, vec!["t".to_string()]);
        let reach = s.segment_contacts(&f, NOW, true, 0, 10).unwrap();
        assert!(reach.iter().all(|c| c.may_receive_marketing()));
        assert_eq!(s.segment_contacts(&f, NOW, false, 0, 10).unwrap().len(), 5);
    }

    /// Without statistics (the gateway never runs ANALYZE) SQLite would
    /// drive the opt-out pass by a tag's contact list once per opt-out:
    /// seconds over 100,000 contacts (benches/segment_preview.rs).
    #[test]
    fn the_opt_out_pass_never_walks_a_tag_list_per_opt_out() {
        let (_d, s) = store();
        add(&s, "+79160000001", &["vip"], &[], ConsentStatus::OptedIn);
        let f = s
            .parse_filter(&json!({"all": [{"tag": "vip"}, {"not": {"tag": "staff"}}]}))
            .unwrap();
        let conn = s.reader();
        let follow = compile(&conn, &f, NOW, true).unwrap();
        let text = format!("EXPLAIN QUERY PLAN {}", totals_sql(OPTOUT_PASS, &follow));
        let mut stmt = conn.prepare(&text).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(follow.params.iter()), |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan[0].starts_with("SCAN o"), "{plan:?}");
        assert!(!plan.iter().any(|d| d.contains("rowid=?")), "{plan:?}");
    }

    #[test]
    fn contact_ids_page_by_keyset() {
        let (_d, s) = store();
        let all: Vec<i64> = (0..7)
            .map(|i| {
                add(
                    &s,
                    &format!("+7916000001{i}"),
                    &["p"],
                    &[],
                    ConsentStatus::OptedIn,
                )
            })
            .collect();
        let f = s.parse_filter(&json!({"tag": "p"})).unwrap();
        let mut got = Vec::new();
        let mut after = 0;
        loop {
            let page = s.segment_contact_ids(&f, NOW, after, 3).unwrap();
            let Some(&last) = page.last() else { break };
            got.extend(page);
            after = last;
        }
        assert_eq!(got, all);
    }

    #[test]
    fn segments_are_saved_renamed_and_deleted_with_unique_names() {
        let (_d, s) = store();
        let f = s.parse_filter(&json!({"all": []})).unwrap();
        let a = s.write(5, |tx| tx.create_segment(" Everyone ", &f)).unwrap();
        assert_eq!((a.name.as_str(), a.created_at), ("Everyone", 5));
        assert!(matches!(
            s.write(6, |tx| tx.create_segment("Everyone", &f)),
            Err(SegmentError::NameTaken(_))
        ));
        assert!(matches!(
            s.write(6, |tx| tx.create_segment("  ", &f)),
            Err(SegmentError::InvalidName(_))
        ));
        let b = s.write(6, |tx| tx.create_segment("B", &f)).unwrap();
        assert!(matches!(
            s.write(7, |tx| tx.update_segment(b.id, Some("Everyone"), None)),
            Err(SegmentError::NameTaken(_))
        ));
        let g = s.parse_filter(&json!({"tag": "x"})).unwrap();
        let u = s
            .write(8, |tx| tx.update_segment(b.id, Some("B"), Some(&g)))
            .unwrap()
            .unwrap();
        assert_eq!(
            (u.filter.clone(), u.updated_at, u.created_at),
            (json!({"tag": "x"}), 8, 6)
        );
        assert_eq!(s.segment(b.id).unwrap(), Some(u));
        assert_eq!(s.segment_filter(b.id).unwrap().unwrap(), g);
        assert_eq!(s.segments(0, 10).unwrap().len(), 2);
        assert_eq!(s.segments(a.id, 10).unwrap()[0].id, b.id);
        assert!(s.write(9, |tx| tx.delete_segment(a.id)).unwrap());
        assert!(!s.write(9, |tx| tx.delete_segment(a.id)).unwrap());
        assert!(
            s.write(9, |tx| tx.update_segment(a.id, None, None))
                .unwrap()
                .is_none()
        );
    }
}
