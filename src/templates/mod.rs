//! Message templates: personalised SMS texts rendered per contact with
//! minijinja, sandboxed, and their preview (cost, segments, warnings).
//!
//! A template sees one contact: `name`, `phone`, `language`, `tags`,
//! `attributes` (dates are date values: `{{ attributes.birthday | date }}`
//! gives "1 мая" for a Russian speaker) and `time_zone`. Rendering is
//! strict: a variable missing for a recipient is an error naming the
//! variable and the recipient (`{{ name | default("friend") }}` still
//! works), and so is one that renders empty — a campaign must never send
//! "Hello ,".
//!
//! The engine is sandboxed for texts written by users of the API: no
//! loader and no `include`/`import`/`extends`/macros (such a tag is a
//! syntax error at save, see [`sandbox`]), a fuel budget
//! per render (a runaway loop is an error, not a hang), a recursion limit,
//! an output cap, and no auto-escaping (SMS is plain text).

pub mod audience;
pub mod dates;
pub mod estimate;
pub mod preview;
pub mod sandbox;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{Environment, ErrorKind, State, UndefinedBehavior};
use thiserror::Error;

use crate::contacts::{AttrValue, Contact};

/// Longest template source, in bytes.
pub const MAX_SOURCE_BYTES: usize = 16 * 1024;
/// Longest rendered text, in bytes: more than the 255 segments a message
/// may have can carry in any encoding.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;
/// Instructions (and allocations, about 64 bytes per unit) one render may
/// spend; a personalised SMS needs a few hundred.
pub const FUEL: u64 = 20_000;
/// Nesting depth of loops and conditions.
pub const RECURSION_LIMIT: usize = 32;

const NAME: &str = "sms";

/// A template that does not compile, with where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// The source is empty.
    #[error("the template is empty")]
    Empty,
    /// The source is longer than [`MAX_SOURCE_BYTES`].
    #[error("the template is {len} bytes; at most {MAX_SOURCE_BYTES}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A syntax error at `line`:`column` (1-based; column in characters).
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// Line, 1-based.
        line: usize,
        /// Column in characters, 1-based.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// Why a text could not be rendered for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderFailure {
    /// A variable the template uses has no value for this recipient.
    #[error("{variable} is missing")]
    Missing {
        /// The variable as written (`attributes.city`).
        variable: String,
    },
    /// A variable rendered as nothing ("Hello ,").
    #[error("{variable} is empty")]
    Empty {
        /// The expression as written.
        variable: String,
    },
    /// The render ran out of fuel, nested too deep, wrote too much, or a
    /// filter refused its input.
    #[error("{0}")]
    Failed(String),
}

impl RenderFailure {
    /// The variable involved, if the failure is about one.
    pub fn variable(&self) -> Option<&str> {
        match self {
            RenderFailure::Missing { variable } | RenderFailure::Empty { variable } => Some(variable),
            RenderFailure::Failed(_) => None,
        }
    }

    /// A stable code: `missing_variable`, `empty_variable`, `render_failed`.
    pub fn code(&self) -> &'static str {
        match self {
            RenderFailure::Missing { .. } => "missing_variable",
            RenderFailure::Empty { .. } => "empty_variable",
            RenderFailure::Failed(_) => "render_failed",
        }
    }
}

/// A render failure with its recipient.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("contact {contact_id} ({phone}): {failure}")]
pub struct RenderError {
    /// The contact.
    pub contact_id: i64,
    /// Its number.
    pub phone: String,
    /// What went wrong.
    pub failure: RenderFailure,
}

/// A compiled template.
pub struct Template {
    env: Environment<'static>,
    source: String,
    /// Whether the source calls `link(…)`.
    calls_link: bool,
}

/// What one message adds to its contact's context, each `None` unless
/// the sender has it:
/// - `{{ promo_code }}`: this message's unique code (issue 14, `attribution`);
/// - `{{ tracking_number }}`: the number of the campaign's call-tracking SIM;
/// - `{{ event.order_id }}`: the data of the event that triggered an automation;
/// - `{{ link("https://…") }}`: how a URL is written into this message
///   (UTM parameters, a short link); without a [`LinkMaker`] the URL is
///   written as given, after checking it is an absolute http(s) URL.
///
/// A template that reads a value its message was not given fails to
/// render, naming it, like a missing contact field.
#[derive(Default, Clone)]
pub struct Extras<'a> {
    /// The message's promo code.
    pub promo_code: Option<&'a str>,
    /// The call-tracking SIM's number, as it should be dialled.
    pub tracking_number: Option<&'a str>,
    /// The triggering event's data (a JSON object).
    pub event: Option<&'a serde_json::Value>,
    /// Writes `link(url)` for this message.
    pub links: Option<Arc<dyn LinkMaker>>,
}

/// Turns the URL a template passes to `link(…)` into the text written in
/// the message (with UTM parameters; a short link on the public
/// listener). Called once per `link(…)` call while rendering; an
/// implementation may record what it made (interior mutability), the
/// renderer calls it from one thread.
pub trait LinkMaker: Send + Sync {
    /// The text for `url`, or why it cannot be linked (shown as the
    /// render failure, e.g. "link: ftp://x is not an http(s) URL").
    fn link(&self, url: &str) -> Result<String, String>;
}

/// The context key the `link` function finds its maker under; not a name
/// a template can write (it starts with two underscores and minijinja
/// reads such names as private).
const LINKS_KEY: &str = "__links";

struct LinksValue(Arc<dyn LinkMaker>);

impl std::fmt::Debug for LinksValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkMaker")
    }
}

impl Object for LinksValue {}

/// Checks `url` is an absolute http(s) URL a phone can open: `http://` or
/// `https://`, a host, no user name or password in it (`user:pw@host`
/// shows a trusted name before an attacker's host), no whitespace or
/// control characters (a CR/LF would split the `Location` header).
/// Errors say why, e.g. `"//evil.example" has no scheme; write https://…`.
pub fn check_link_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("link: {url:?} holds whitespace or control characters"));
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        if url.starts_with("//") {
            return Err(format!("link: {url:?} has no scheme; write https:{url}"));
        }
        let scheme = lower
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)));
        return Err(match scheme {
            Some(s) if !lower[s.len() + 1..].starts_with(|c: char| c.is_ascii_digit()) => format!(
                "link: {url:?} is not an http(s) URL (a {s}: URL); only absolute http:// or https:// links can be sent"
            ),
            _ => format!("link: {url:?} has no scheme; write https://{url}"),
        });
    };
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(format!(
            "link: {url:?} holds a user name or password; links must not carry credentials"
        ));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("link: {url:?} is not a valid URL: {e}"))?;
    if authority.is_empty() || parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("link: {url:?} has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "link: {url:?} holds a user name or password; links must not carry credentials"
        ));
    }
    Ok(())
}

/// A `link("…")` call whose argument is a string literal, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkLiteral {
    /// The URL, unescaped.
    pub url: String,
    /// Line of the `link` call, 1-based.
    pub line: usize,
    /// Column of the `link` call, 1-based, in characters.
    pub column: usize,
}

/// The `link("…")` calls with a literal argument in `source`, found in
/// `{{ … }}` and `{% … %}` tags (strings skipped, comments ignored). A call
/// whose argument is not one literal (`link(url)`, `link("a" ~ b)`) is
/// not listed: it is checked when rendered.
fn link_literals(source: &str) -> Vec<LinkLiteral> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_tag: Option<&[u8]> = None;
    while i < b.len() {
        match in_tag {
            None => {
                if b[i..].starts_with(b"{{") {
                    in_tag = Some(b"}}");
                    i += 2;
                } else if b[i..].starts_with(b"{%") {
                    in_tag = Some(b"%}");
                    i += 2;
                } else if b[i..].starts_with(b"{#") {
                    i = find(b, i + 2, b"#}").map_or(b.len(), |j| j + 2);
                } else {
                    i += 1;
                }
            }
            Some(end) => {
                if b[i..].starts_with(end) {
                    in_tag = None;
                    i += 2;
                } else if b[i] == b'"' || b[i] == b'\'' {
                    i = read_string(source, i).map_or(b.len(), |(_, j)| j);
                } else if b[i..].starts_with(b"link")
                    && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.'))
                {
                    let start = i;
                    i += 4;
                    let mut j = skip_ws(b, i);
                    if b.get(j) != Some(&b'(') {
                        continue;
                    }
                    j = skip_ws(b, j + 1);
                    if !matches!(b.get(j), Some(b'"' | b'\'')) {
                        continue;
                    }
                    let Some((url, after)) = read_string(source, j) else {
                        i = b.len();
                        continue;
                    };
                    i = after;
                    if b.get(skip_ws(b, after)) != Some(&b')') {
                        continue;
                    }
                    let before = &source[..start];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    out.push(LinkLiteral { url, line, column });
                } else {
                    i += 1;
                }
            }
        }
    }
    out
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The string literal opening at byte `at` (a quote), unescaped the way
/// minijinja reads it, and the index after its closing quote; `None` if
/// it is not closed.
fn read_string(source: &str, at: usize) -> Option<(String, usize)> {
    let quote = source[at..].chars().next()?;
    let mut out = String::new();
    let mut chars = source[at + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            c if c == quote => return Some((out, at + 1 + k + 1)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                    let ch = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                    out.push(ch.unwrap_or('\u{fffd}'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// `{{ link("https://…") }}`: the URL as this message's [`LinkMaker`]
/// writes it.
fn link_function(state: &State, url: String) -> Result<String, minijinja::Error> {
    let fail = |m: String| minijinja::Error::new(ErrorKind::InvalidOperation, m);
    check_link_url(&url).map_err(fail)?;
    match state.lookup(LINKS_KEY) {
        Some(v) => match v.downcast_object_ref::<LinksValue>() {
            Some(maker) => maker.0.link(&url).map_err(fail),
            None => Ok(url),
        },
        None => Ok(url),
    }
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template").field("source", &self.source).finish()
    }
}

/// The sandboxed environment every template runs in.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Printing, iterating or filtering a missing value fails; testing it in
    // an `if` reads it as false ("{% if attributes.city %}in {{ attributes.city }}{% endif %}").
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_debug(false);
    env.add_filter("date", date_filter);
    env.add_function("link", link_function);
    // `debug()` would print the engine's state (every global, filter and
    // the contact) into a text message.
    env.remove_global("debug");
    env.set_formatter(|out, state, value| {
        // `none` ("{{ name | default(none) }}") would print "None"; a value
        // of spaces or invisible characters alone reads as "Hello !".
        if value.is_none() || (!value.is_undefined() && blank(&value.to_string())) {
            return Err(minijinja::Error::new(ErrorKind::InvalidOperation, EMPTY_MARK));
        }
        minijinja::escape_formatter(out, state, value)
    });
    env
}

/// Whether `text` shows nothing: white space and invisible format
/// characters (zero-width space and joiners, word joiner, BOM) only.
pub fn blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace() || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{00ad}')
    })
}

/// Tells the formatter's "renders empty" error from others.
const EMPTY_MARK: &str = "value renders empty";

impl Template {
    /// Compiles `source`; a syntax error names its line and column.
    pub fn compile(source: &str) -> Result<Template, TemplateError> {
        if source.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        if source.len() > MAX_SOURCE_BYTES {
            return Err(TemplateError::TooLong { len: source.len() });
        }
        let mut env = environment();
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| syntax_error(source, &e))?;
        if let Some(t) = sandbox::forbidden_tag(source) {
            return Err(TemplateError::Syntax {
                line: t.line,
                column: t.column,
                message: format!("`{}` is not available in a message template", t.tag),
            });
        }
        let calls_link = env
            .get_template(NAME)
            .map(|t| t.undeclared_variables(false).contains("link"))
            .unwrap_or(false);
        Ok(Template {
            env,
            source: source.to_string(),
            calls_link,
        })
    }

    /// The `link("…")` calls whose argument is a string literal, with
    /// their line and column, in source order.
    pub fn link_literals(&self) -> Vec<LinkLiteral> {
        link_literals(&self.source)
    }

    /// Checks every literal `link("…")` URL with [`check_link_url`], so a
    /// bad link is refused when the text is saved, not per recipient at
    /// send. Error: `link at line 1, column 7: link: "javascript:…" is a
    /// javascript: URL; …`. A link built from a variable is checked when
    /// rendered.
    pub fn check_links(&self) -> Result<(), String> {
        for l in self.link_literals() {
            check_link_url(&l.url)
                .map_err(|e| format!("link at line {}, column {}: {e}", l.line, l.column))?;
        }
        Ok(())
    }

    /// The source as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables the template reads (`name`, `attributes.city`),
    /// sorted; the `link` function is not one.
    pub fn variables(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .env
            .get_template(NAME)
            .map(|t| {
                t.undeclared_variables(true)
                    .into_iter()
                    .filter(|v| v != "link")
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Renders the text for `contact`; `default_zone` stands for a contact
    /// without a zone of its own.
    pub fn render(&self, contact: &Contact, default_zone: &str) -> Result<String, RenderError> {
        self.render_with(contact, default_zone, &Extras::default())
    }

    /// Renders the text for `contact` with what one message adds
    /// ([`Extras`]: its promo code, tracked links, the tracking number,
    /// the event that triggered it).
    pub fn render_with(
        &self,
        contact: &Contact,
        default_zone: &str,
        extras: &Extras,
    ) -> Result<String, RenderError> {
        self.render_inner(contact, default_zone, extras)
            .map_err(|failure| RenderError {
                contact_id: contact.id,
                phone: contact.phone.clone(),
                failure,
            })
    }

    /// Whether the template reads the top-level variable `name`
    /// (`promo_code`, `tracking_number`, `event`) or calls `link(…)`
    /// (`name` = `"link"`): what a message must be given before rendering.
    pub fn uses(&self, name: &str) -> bool {
        if name == "link" {
            return self.calls_link;
        }
        self.variables()
            .iter()
            .any(|v| v == name || v.strip_prefix(name).is_some_and(|rest| rest.starts_with('.')))
    }

    fn render_inner(
        &self,
        contact: &Contact,
        default_zone: &str,
        extras: &Extras,
    ) -> Result<String, RenderFailure> {
        let tmpl = self
            .env
            .get_template(NAME)
            .map_err(|e| RenderFailure::Failed(e.to_string()))?;
        let mut out = CappedWriter::default();
        match tmpl.render_captured_to(context_of(contact, default_zone, extras), &mut out) {
            Ok(_) => {}
            Err(e) => return Err(self.failure(&e, out.over, contact, extras)),
        }
        String::from_utf8(out.buf).map_err(|e| RenderFailure::Failed(e.to_string()))
    }

    /// The variable an undefined error is about: of the template's
    /// variables that `contact` lacks, the one written nearest before the
    /// error's span (the span itself may be a filter applied to it).
    fn missing_variable(&self, e: &minijinja::Error, contact: &Contact, extras: &Extras) -> Option<String> {
        let at = e.range().map(|r| r.end).unwrap_or(self.source.len());
        let lacking: Vec<String> = self
            .variables()
            .into_iter()
            .filter(|v| !resolves(contact, extras, v))
            .collect();
        lacking
            .iter()
            .filter_map(|v| {
                let before = self.source.get(..at)?;
                before.rfind(v.as_str()).map(|pos| (pos, v))
            })
            .max_by_key(|(pos, _)| *pos)
            .map(|(_, v)| v.clone())
            .or_else(|| lacking.first().cloned())
    }

    /// Names what failed: the variable, or the expression at the error's span.
    fn failure(&self, e: &minijinja::Error, over: bool, contact: &Contact, extras: &Extras) -> RenderFailure {
        if over {
            return RenderFailure::Failed(format!("the text is longer than {MAX_OUTPUT_BYTES} bytes"));
        }
        let expr = e
            .range()
            .and_then(|r| self.source.get(r))
            .map(|s| s.trim().to_string());
        match e.kind() {
            ErrorKind::UndefinedError => RenderFailure::Missing {
                variable: self
                    .missing_variable(e, contact, extras)
                    .or(expr)
                    .unwrap_or_else(|| "a variable".into()),
            },
            ErrorKind::InvalidOperation if e.detail() == Some(EMPTY_MARK) => RenderFailure::Empty {
                variable: expr.unwrap_or_else(|| "a variable".into()),
            },
            ErrorKind::OutOfFuel => RenderFailure::Failed(
                "the template does too much work for one message (out of fuel); simplify its loops".into(),
            ),
            _ => RenderFailure::Failed(match e.line() {
                Some(line) => format!("line {line}: {}", e.detail().unwrap_or(&e.kind().to_string())),
                None => e.to_string(),
            }),
        }
    }
}

/// Whether the contact has a value for a variable path of the context
/// (`name`, `attributes.city`, `attributes.birthday.year`).
fn resolves(contact: &Contact, extras: &Extras, path: &str) -> bool {
    let mut parts = path.split('.');
    match parts.next() {
        Some("phone" | "time_zone" | "tags") => true,
        Some("link") => true,
        Some("promo_code") => extras.promo_code.is_some(),
        Some("tracking_number") => extras.tracking_number.is_some(),
        Some("event") => match (parts.next(), extras.event) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(k), Some(data)) => data.get(k).is_some_and(|v| !v.is_null()),
        },
        Some("name") => contact.name.is_some(),
        Some("language") => contact.language.is_some(),
        Some("attributes") => match parts.next() {
            None => true,
            Some(a) => contact.attributes.contains_key(a),
        },
        _ => false,
    }
}

fn syntax_error(source: &str, e: &minijinja::Error) -> TemplateError {
    let line = e.line().unwrap_or(1);
    let column = e
        .range()
        .and_then(|r| source.get(..r.start))
        .map(|before| before.rsplit('\n').next().unwrap_or("").chars().count() + 1)
        .unwrap_or(1);
    TemplateError::Syntax {
        line,
        column,
        message: e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string()),
    }
}

/// The context of one contact: absent fields are left out (so they are
/// undefined and strict), dates become [`DateValue`]s.
fn context_of(contact: &Contact, default_zone: &str, extras: &Extras) -> Value {
    let mut m: BTreeMap<&str, Value> = BTreeMap::new();
    if let Some(code) = extras.promo_code {
        m.insert("promo_code", Value::from(code));
    }
    if let Some(number) = extras.tracking_number {
        m.insert("tracking_number", Value::from(number));
    }
    if let Some(data) = extras.event {
        m.insert("event", json_value(data));
    }
    if let Some(links) = &extras.links {
        m.insert(LINKS_KEY, Value::from_object(LinksValue(links.clone())));
    }
    m.insert("phone", Value::from(contact.phone.as_str()));
    if let Some(name) = &contact.name {
        m.insert("name", Value::from(name.as_str()));
    }
    if let Some(lang) = &contact.language {
        m.insert("language", Value::from(lang.as_str()));
    }
    m.insert(
        "time_zone",
        Value::from(contact.time_zone.as_deref().unwrap_or(default_zone)),
    );
    m.insert(
        "tags",
        Value::from(
            contact
                .tags
                .iter()
                .map(|t| Value::from(t.as_str()))
                .collect::<Vec<_>>(),
        ),
    );
    let attrs: BTreeMap<String, Value> = contact
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), attr_value(v)))
        .collect();
    m.insert("attributes", Value::from_object(attrs));
    Value::from_object(
        m.into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// Event data as template values: objects and arrays nest, numbers stay
/// integers when whole.
fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(f)) => Value::from(f),
            (None, None) => Value::from(n.to_string()),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => Value::from(a.iter().map(json_value).collect::<Vec<_>>()),
        serde_json::Value::Object(o) => Value::from_object(
            o.iter()
                .map(|(k, v)| (k.clone(), json_value(v)))
                .collect::<BTreeMap<String, Value>>(),
        ),
    }
}

fn attr_value(v: &AttrValue) -> Value {
    match v {
        AttrValue::String(s) => Value::from(s.as_str()),
        AttrValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Value::from(*n as i64),
        AttrValue::Number(n) => Value::from(*n),
        AttrValue::Boolean(b) => Value::from(*b),
        AttrValue::Date(d) => Value::from_object(DateValue(*d)),
    }
}

/// A date attribute: renders as `YYYY-MM-DD`, has `.year`, `.month` and
/// `.day`, and formats in the contact's language with the `date` filter.
#[derive(Debug)]
pub struct DateValue(pub NaiveDate);

impl Object for DateValue {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        use chrono::Datelike;
        match key.as_str()? {
            "year" => Some(Value::from(self.0.year())),
            "month" => Some(Value::from(self.0.month())),
            "day" => Some(Value::from(self.0.day())),
            _ => None,
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// `{{ value | date }}`, `{{ value | date("full") }}`: see [`dates`].
fn date_filter(state: &State, value: Value, style: Option<String>) -> Result<String, minijinja::Error> {
    let date = if let Some(d) = value.downcast_object_ref::<DateValue>() {
        d.0
    } else if let Some(d) = value.as_str().and_then(crate::contacts::model::parse_date) {
        d
    } else if value.is_undefined() {
        return Err(minijinja::Error::from(ErrorKind::UndefinedError));
    } else {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("date: {value} is not a date (YYYY-MM-DD)"),
        ));
    };
    let language = state.lookup("language");
    let language = language.as_ref().and_then(|l| l.as_str());
    dates::format_date(date, language, style.as_deref().unwrap_or("long"))
        .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Collects the output and refuses to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct CappedWriter {
    buf: Vec<u8>,
    over: bool,
}

impl std::io::Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > MAX_OUTPUT_BYTES {
            self.over = true;
            return Err(std::io::Error::other("output cap"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
