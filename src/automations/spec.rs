//! An automation's request (`POST /v1/automations`), checked: which
//! trigger (an event, a date in the contact's attributes, or a sequence
//! of steps after an event), its texts (compiled here, so a syntax error
//! is a 422 naming the field, line and column), its delays, window and
//! kind. Errors are [`SpecError`]s naming the JSON field.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaigns::spec::{SpecError, parse_duration};
use crate::campaigns::window::{Window, WindowSpec, parse_hhmm};
use crate::templates::Template;

/// Longest event name.
pub const MAX_EVENT_NAME: usize = 64;
/// Most steps in a sequence.
pub const MAX_STEPS: usize = 20;
/// The event a promo-code redemption raises (issue 14): it ends sequences
/// whose `exit_on` is not given.
pub const CONVERTED: &str = "converted";

/// Marketing (needs consent; honours windows and frequency caps) or
/// service (order status: to anyone who has not opted out; skips the
/// window when `[automations] service_skips_window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AutomationKind {
    /// News and offers: consent, windows, caps.
    #[default]
    Marketing,
    /// Order status and other service notices (sent as transactional).
    Service,
}

/// Every year on the day, or once on the date itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    /// On the day every year (a birthday).
    #[default]
    Yearly,
    /// Only on the date written (a subscription ending).
    Once,
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// After the step before (the first: after the event), e.g. `0s`, `2d`.
    pub delay: String,
    /// The text (a template; `{{ event.x }}` reads the event's data).
    pub text: String,
}

/// The request of `POST /v1/automations` (and what `PATCH` merges into).
/// Exactly one trigger: `on` with `text` (an event trigger), `on` with
/// `steps` (a sequence), or `on_date` with `text` (a date trigger).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationInput {
    /// Its name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `marketing` (default) or `service`.
    #[serde(default)]
    pub kind: AutomationKind,
    /// The event that starts it (event triggers and sequences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^[a-z0-9_.-]{1,64}$")]
    pub on: Option<String>,
    /// Event triggers: how long after the event (default `0s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    /// Event and date triggers: the text (a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Events that cancel what is scheduled for the contact and not yet sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_on: Option<Vec<String>>,
    /// Date triggers: the contact's date attribute, `attributes.birthday`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_date: Option<String>,
    /// Date triggers: days after (negative: before) the date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -366, maximum = 366)]
    pub offset_days: Option<i32>,
    /// Date triggers: local time of day, `HH:MM` (default `10:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Date triggers: `yearly` (default) or `once`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<Repeat>,
    /// Sequences: the steps in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepInput>>,
    /// Sequences: events that make the contact leave (default `["converted"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_on: Option<Vec<String>>,
    /// A reply from the contact makes them leave (default: true for
    /// sequences, false otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_on_reply: Option<bool>,
    /// Its own window on the recipient's clock (marketing default: `[campaigns]`'s;
    /// service: none when `service_skips_window`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowSpec>,
    /// A run not queued this long after it was due expires (default `2d`;
    /// date triggers: the end of the local day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<String>,
    /// Ask for delivery reports (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_report: Option<bool>,
}

/// Which trigger an automation has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// One message after an event.
    Event,
    /// One message on a date of the contact's.
    Date,
    /// Several messages after an event.
    Sequence,
}

impl Trigger {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Event => "event",
            Trigger::Date => "date",
            Trigger::Sequence => "sequence",
        }
    }
}

impl std::str::FromStr for Trigger {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "event" => Ok(Trigger::Event),
            "date" => Ok(Trigger::Date),
            "sequence" => Ok(Trigger::Sequence),
            other => Err(format!("unknown trigger {other:?}")),
        }
    }
}

/// A date trigger, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRule {
    /// The attribute's name (`birthday` for `attributes.birthday`).
    pub attribute: String,
    /// Days after the date (negative: before).
    pub offset_days: i32,
    /// Local time of day.
    pub at: chrono::NaiveTime,
    /// Yearly or once.
    pub repeat: Repeat,
}

/// One step, checked: its delay from the step before (ms) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Delay after the step before (or the event), ms.
    pub delay_ms: i64,
    /// The template source.
    pub text: String,
}

/// A checked automation.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationSpec {
    /// As given.
    pub input: AutomationInput,
    /// Which trigger.
    pub trigger: Trigger,
    /// The starting event (event triggers and sequences).
    pub on: Option<String>,
    /// The date rule (date triggers).
    pub date: Option<DateRule>,
    /// Steps (one for event and date triggers).
    pub steps: Vec<Step>,
    /// Events that cancel (event/date) or end (sequence) the contact's runs.
    pub stop_on: Vec<String>,
    /// A reply ends the contact's runs.
    pub exit_on_reply: bool,
    /// Its own window.
    pub window: Option<Window>,
    /// Expiry after due, ms.
    pub expire_after_ms: i64,
}

impl AutomationSpec {
    /// What the user should know about a spec that checks: a `service`
    /// automation (sent without consent, past windows and caps) whose text
    /// gives a promo code or a tracked link is marketing in disguise. Not
    /// refused (an order notice may carry a return link), but said, naming
    /// the step. Empty for anything else.
    pub fn warnings(&self) -> Vec<String> {
        if self.input.kind != AutomationKind::Service {
            return Vec::new();
        }
        let many = self.steps.len() > 1;
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, step)| {
                let t = crate::templates::Template::compile(&step.text).ok()?;
                let what = match (t.uses("promo_code"), t.uses("link")) {
                    (true, true) => "a promo code and a tracked link",
                    (true, false) => "a promo code",
                    (false, true) => "a tracked link",
                    (false, false) => return None,
                };
                let field = if many { format!("steps[{i}].text") } else { "text".into() };
                Some(format!(
                    "{field} gives {what}: service messages are sent without consent, and promo codes and tracked links make this marketing (use \"kind\": \"marketing\" so only contacts who opted in get it)"
                ))
            })
            .collect()
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks an event name: 1 to 64 of `a-z`, `0-9`, `_`, `.`, `-`.
pub fn check_event_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_EVENT_NAME {
        return Err(format!(
            "{name:?} is not an event name: 1 to {MAX_EVENT_NAME} characters"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!(
            "{name:?} is not an event name: {c:?} is not one of a-z, 0-9, _, ., -"
        ));
    }
    Ok(())
}

/// A delay: a duration (`3h`, `2d`) or zero (`0`, `0s`).
pub fn parse_delay(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.starts_with('0') && t.chars().all(|c| c == '0' || c.is_ascii_alphabetic()) {
        return match t.trim_start_matches('0') {
            "" | "s" | "m" | "h" | "d" => Ok(0),
            _ => Err(format!("{s:?} is not a duration such as 0s, 30m, 3h or 2d")),
        };
    }
    parse_duration(s).map(|secs| secs * 1000)
}

fn compile(field: &str, text: &str) -> Result<(), SpecError> {
    Template::compile(text)
        .map_err(|e| err(field, e.to_string()))?
        .check_links()
        .map_err(|e| err(field, e))
}

fn events(field: &str, list: &Option<Vec<String>>) -> Result<Vec<String>, SpecError> {
    let mut out = Vec::new();
    for (i, e) in list.iter().flatten().enumerate() {
        check_event_name(e).map_err(|m| err(format!("{field}[{i}]"), m))?;
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    if out.len() > 50 {
        return Err(err(field, "at most 50 events"));
    }
    Ok(out)
}

impl AutomationInput {
    /// Checks it.
    pub fn check(&self) -> Result<AutomationSpec, SpecError> {
        let name = self.name.trim();
        if name.is_empty() || self.name.chars().count() > 200 {
            return Err(err("name", "1 to 200 characters"));
        }
        let trigger = match (&self.on, &self.on_date, &self.steps, &self.text) {
            (Some(_), Some(_), _, _) => {
                return Err(err("on_date", "give either on (an event) or on_date, not both"));
            }
            (None, None, _, _) => {
                return Err(err("on", "missing: on (an event) or on_date (a date attribute)"));
            }
            (Some(_), None, Some(_), Some(_)) => {
                return Err(err(
                    "text",
                    "a sequence has its texts in steps; give text or steps",
                ));
            }
            (Some(_), None, Some(_), None) => Trigger::Sequence,
            (Some(_), None, None, Some(_)) => Trigger::Event,
            (Some(_), None, None, None) => return Err(err("text", "missing: text (or steps)")),
            (None, Some(_), Some(_), _) => {
                return Err(err("steps", "a date trigger has one text, not steps"));
            }
            (None, Some(_), None, None) => return Err(err("text", "missing: text")),
            (None, Some(_), None, Some(_)) => Trigger::Date,
        };
        if let Some(on) = &self.on {
            check_event_name(on).map_err(|m| err("on", m))?;
        }
        if trigger != Trigger::Date {
            for (f, present) in [
                ("offset_days", self.offset_days.is_some()),
                ("at", self.at.is_some()),
                ("repeat", self.repeat.is_some()),
            ] {
                if present {
                    return Err(err(f, "only for a date trigger (on_date)"));
                }
            }
        }
        if trigger != Trigger::Event && self.delay.is_some() {
            return Err(err(
                "delay",
                "only for an event trigger (a sequence's steps have their own)",
            ));
        }
        if trigger != Trigger::Sequence && self.exit_on.is_some() {
            return Err(err(
                "exit_on",
                "only for a sequence (an event trigger has cancel_on)",
            ));
        }
        let steps = match trigger {
            Trigger::Sequence => {
                let list = self.steps.as_deref().unwrap_or_default();
                if list.is_empty() || list.len() > MAX_STEPS {
                    return Err(err("steps", format!("1 to {MAX_STEPS} steps")));
                }
                let mut steps = Vec::new();
                for (i, s) in list.iter().enumerate() {
                    let delay_ms = parse_delay(&s.delay).map_err(|m| err(format!("steps[{i}].delay"), m))?;
                    compile(&format!("steps[{i}].text"), &s.text)?;
                    steps.push(Step {
                        delay_ms,
                        text: s.text.clone(),
                    });
                }
                steps
            }
            _ => {
                let text = self.text.clone().unwrap_or_default();
                compile("text", &text)?;
                let delay_ms = match &self.delay {
                    Some(d) => parse_delay(d).map_err(|m| err("delay", m))?,
                    None => 0,
                };
                vec![Step { delay_ms, text }]
            }
        };
        let date = match (&self.on_date, trigger) {
            (Some(path), Trigger::Date) => {
                let attribute = path
                    .strip_prefix("attributes.")
                    .filter(|a| {
                        !a.is_empty()
                            && a.len() <= 64
                            && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                    .ok_or_else(|| {
                        err(
                            "on_date",
                            format!("{path:?} is not a contact date attribute such as attributes.birthday"),
                        )
                    })?;
                let offset_days = self.offset_days.unwrap_or(0);
                if !(-366..=366).contains(&offset_days) {
                    return Err(err("offset_days", "-366 to 366"));
                }
                let at = parse_hhmm(self.at.as_deref().unwrap_or("10:00")).map_err(|m| err("at", m))?;
                Some(DateRule {
                    attribute: attribute.to_string(),
                    offset_days,
                    at,
                    repeat: self.repeat.unwrap_or_default(),
                })
            }
            _ => None,
        };
        let mut stop_on = events("cancel_on", &self.cancel_on)?;
        let exit_on = match (&self.exit_on, trigger) {
            (None, Trigger::Sequence) => vec![CONVERTED.to_string()],
            (list, _) => events("exit_on", list)?,
        };
        for e in exit_on {
            if !stop_on.contains(&e) {
                stop_on.push(e);
            }
        }
        if let Some(on) = &self.on
            && stop_on.contains(on)
        {
            return Err(err(
                "cancel_on",
                format!("{on:?} starts the automation; it cannot also stop it"),
            ));
        }
        let window = match &self.window {
            Some(w) => Some(w.parse().map_err(|m| err("window", m))?),
            None => None,
        };
        let expire_after_ms = match &self.expire_after {
            Some(d) => parse_duration(d).map_err(|m| err("expire_after", m))? * 1000,
            None => 2 * 86_400_000,
        };
        Ok(AutomationSpec {
            input: self.clone(),
            trigger,
            on: self.on.clone(),
            date,
            steps,
            stop_on,
            exit_on_reply: self.exit_on_reply.unwrap_or(trigger == Trigger::Sequence),
            window,
            expire_after_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: serde_json::Value) -> Result<AutomationSpec, SpecError> {
        serde_json::from_value::<AutomationInput>(v).unwrap().check()
    }

    #[test]
    fn a_service_text_with_a_promo_code_or_a_tracked_link_is_accepted_with_a_warning() {
        let w = |v| check(v).unwrap().warnings();
        let one = w(
            json!({"name": "n", "on": "order_placed", "kind": "service", "text": "Order {{ event.id }}: {{ link(\"https://shop.example/o\") }}"}),
        );
        assert_eq!(one.len(), 1, "{one:?}");
        assert!(
            one[0].starts_with("text gives a tracked link: service messages are sent without consent"),
            "{one:?}"
        );
        let seq = w(json!({"name": "n", "on": "signed_up", "kind": "service",
            "steps": [{"delay": "0s", "text": "Hi"}, {"delay": "1d", "text": "Code {{ promo_code }}"}]}));
        assert_eq!(seq.len(), 1);
        assert!(seq[0].starts_with("steps[1].text gives a promo code:"), "{seq:?}");
        // Marketing may carry both; a plain service notice has nothing to say.
        assert!(w(json!({"name": "n", "on": "cart", "kind": "marketing", "text": "{{ promo_code }} {{ link(\"https://x.example\") }}"})).is_empty());
        assert!(
            w(json!({"name": "n", "on": "order_placed", "kind": "service", "text": "Order {{ event.id }} shipped"}))
                .is_empty()
        );
    }

    #[test]
    fn an_event_trigger_a_date_trigger_and_a_sequence_are_told_apart() {
        let e = check(json!({"name": "cart", "on": "cart_abandoned", "delay": "3h", "text": "Hi {{ event.cart }}", "cancel_on": ["order_placed"]})).unwrap();
        assert_eq!(e.trigger, Trigger::Event);
        assert_eq!(e.steps[0].delay_ms, 3 * 3_600_000);
        assert_eq!(e.stop_on, vec!["order_placed".to_string()]);
        assert!(!e.exit_on_reply);
        let d = check(json!({"name": "bday", "on_date": "attributes.birthday", "text": "Happy birthday"}))
            .unwrap();
        assert_eq!(d.trigger, Trigger::Date);
        assert_eq!(d.date.unwrap().at.format("%H:%M").to_string(), "10:00");
        let s = check(json!({"name": "welcome", "on": "signed_up", "steps": [{"delay": "0s", "text": "a"}, {"delay": "2d", "text": "b"}]})).unwrap();
        assert_eq!(s.trigger, Trigger::Sequence);
        assert_eq!(s.steps[1].delay_ms, 2 * 86_400_000);
        // A sequence ends on conversion unless told otherwise, and on a reply.
        assert_eq!(s.stop_on, vec![CONVERTED.to_string()]);
        assert!(s.exit_on_reply);
    }

    #[test]
    fn errors_name_the_field() {
        let e = check(json!({"name": "x", "on": "Cart Abandoned", "text": "a"})).unwrap_err();
        assert_eq!(e.field, "on");
        let e = check(json!({"name": "x", "on": "a", "text": "Hi {{ name"})).unwrap_err();
        assert_eq!(e.field, "text");
        assert!(e.message.contains("line 1"), "{}", e.message);
        let e = check(json!({"name": "x", "on": "a", "steps": [{"delay": "0s", "text": "ok"}, {"delay": "soon", "text": "b"}]})).unwrap_err();
        assert_eq!(e.field, "steps[1].delay");
        let e = check(json!({"name": "x", "on_date": "birthday", "text": "a"})).unwrap_err();
        assert_eq!(e.field, "on_date");
        let e = check(json!({"name": "x", "on": "a", "text": "b", "at": "10:00"})).unwrap_err();
        assert_eq!(e.field, "at");
        let e = check(json!({"name": "x", "on": "a", "text": "b", "cancel_on": ["a"]})).unwrap_err();
        assert_eq!(e.field, "cancel_on");
        let e = check(json!({"name": "x", "text": "b"})).unwrap_err();
        assert_eq!(e.field, "on");
    }

    #[test]
    fn a_zero_delay_is_allowed_but_not_nonsense() {
        assert_eq!(parse_delay("0s"), Ok(0));
        assert_eq!(parse_delay("0"), Ok(0));
        assert_eq!(parse_delay("90m"), Ok(90 * 60_000));
        assert!(parse_delay("0x").is_err());
        assert!(parse_delay("").is_err());
    }
}
