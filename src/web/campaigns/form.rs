//! The wizard's form: every field of the four steps (audience → variants
//! → schedule/A-B → review), read from and written back to plain form
//! fields, and turned into the API's [`CampaignInput`] — the page then
//! checks it with the API's own `check`, so the wizard accepts exactly
//! what `POST /v1/campaigns` accepts. Pure: no store, no HTTP.
//!
//! The steps carry each other's fields as hidden inputs, so the wizard
//! works without JavaScript and nothing is stored until "Save" or "Start".

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Value, json};

use crate::campaigns::CampaignInput;
use crate::campaigns::spec::{AbTestInput, FrequencyCapInput, MAX_VARIANTS, Metric, VariantInput};
use crate::campaigns::window::{DAY_NAMES, Window, WindowSpec};
use crate::contacts::AttrType;

/// The steps, in order.
pub const STEPS: [&str; 4] = ["audience", "variants", "schedule", "review"];

/// Index of `step` in [`STEPS`] (unknown: the first).
pub fn step_index(step: &str) -> usize {
    STEPS.iter().position(|s| *s == step).unwrap_or(0)
}

/// One variant row of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VariantRow {
    /// Its name (`A`, `B`… when left empty).
    pub name: String,
    /// Its template text.
    pub text: String,
    /// Its weight (share), as typed.
    pub weight: String,
}

/// Every field of the wizard, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Wizard {
    /// The key that makes "Start" happen once (made when the wizard opened).
    pub key: String,
    /// The draft being edited (its id), empty for a new campaign.
    pub draft: String,
    /// Campaign name.
    pub name: String,
    /// `segment`, `filter` (built here) or `list`.
    pub audience_kind: String,
    /// Saved segment id.
    pub segment: String,
    /// Built filter: a tag.
    pub f_tag: String,
    /// Built filter: an attribute name.
    pub f_attr: String,
    /// Built filter: the attribute's value.
    pub f_value: String,
    /// Built filter: a language code.
    pub f_language: String,
    /// Listed numbers, one a line (or separated by commas).
    pub list: String,
    /// The variants.
    pub variants: Vec<VariantRow>,
    /// `now` or `at`.
    pub start_mode: String,
    /// `YYYY-MM-DDTHH:MM` in the viewer's zone.
    pub start_at: String,
    /// `YYYY-MM-DDTHH:MM` in the viewer's zone, optional.
    pub deadline: String,
    /// Window start `HH:MM` (recipient's clock).
    pub window_start: String,
    /// Window end `HH:MM`.
    pub window_end: String,
    /// Days the window opens (`mon`…`sun`).
    pub days: Vec<String>,
    /// Whether the days were shown (so none ticked means none).
    pub days_set: bool,
    /// Messages per hour, optional.
    pub rate: String,
    /// Cap per 24 h, optional.
    pub cap_24h: String,
    /// Cap per 7 days, optional.
    pub cap_7d: String,
    /// Whether to test the variants first.
    pub ab: bool,
    /// Test share, in percent.
    pub ab_share: String,
    /// `reply`, `click`, `redeem` or `delivered`.
    pub ab_metric: String,
    /// Decide after this many units.
    pub ab_after: String,
    /// `m`, `h` or `d`.
    pub ab_unit: String,
}

/// What is wrong, on which step: `id` is a catalogue id (`campaigns-err-…`)
/// with its `arg`, or `raw` a message from the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    /// The step to show it on.
    pub step: &'static str,
    /// Catalogue id of the message.
    pub id: &'static str,
    /// Its argument (`$what`).
    pub arg: String,
}

fn step_err(step: &'static str, id: &'static str, arg: impl Into<String>) -> StepError {
    StepError {
        step,
        id,
        arg: arg.into(),
    }
}

impl Wizard {
    /// A new campaign's form: two empty variants, the configured window.
    pub fn fresh(key: String, default_window: &Window) -> Wizard {
        let spec = default_window.spec();
        Wizard {
            key,
            audience_kind: "segment".into(),
            variants: vec![
                VariantRow {
                    name: "A".into(),
                    weight: "1".into(),
                    ..Default::default()
                },
                VariantRow {
                    name: "B".into(),
                    weight: "1".into(),
                    ..Default::default()
                },
            ],
            start_mode: "now".into(),
            window_start: spec.start,
            window_end: spec.end,
            days: spec
                .days
                .unwrap_or_else(|| DAY_NAMES.iter().map(|d| d.to_string()).collect()),
            ab_share: "20".into(),
            ab_metric: "reply".into(),
            ab_after: "4".into(),
            ab_unit: "h".into(),
            ..Default::default()
        }
    }

    /// The form of a stored draft's request (`input`), times in `tz`.
    pub fn from_input(
        key: String,
        draft: i64,
        input: &CampaignInput,
        tz: Tz,
        default_window: &Window,
    ) -> Wizard {
        let mut w = Wizard::fresh(key, default_window);
        w.draft = draft.to_string();
        w.name = input.name.clone().unwrap_or_default();
        if let Some(a) = &input.audience {
            if let Some(id) = a.get("segment").and_then(Value::as_i64) {
                w.audience_kind = "segment".into();
                w.segment = id.to_string();
            } else if let Some(list) = a.get("contacts").and_then(Value::as_array) {
                w.audience_kind = "list".into();
                w.list = list
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
            } else if let Some(f) = a.get("filter") {
                w.audience_kind = "filter".into();
                let parts: Vec<&Value> = match f.get("all").and_then(Value::as_array) {
                    Some(all) => all.iter().collect(),
                    None => vec![f],
                };
                for p in parts {
                    if let Some(t) = p.get("tag").and_then(Value::as_str) {
                        w.f_tag = t.to_string();
                    } else if let Some(l) = p.get("language").and_then(Value::as_str) {
                        w.f_language = l.to_string();
                    } else if let (Some(a), Some(v)) = (p.get("attr").and_then(Value::as_str), p.get("eq")) {
                        w.f_attr = a.to_string();
                        w.f_value = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                    }
                }
            }
        }
        if let Some(vs) = &input.variants {
            w.variants = vs
                .iter()
                .map(|v| VariantRow {
                    name: v.name.clone().unwrap_or_default(),
                    text: v.text.clone().unwrap_or_default(),
                    weight: v.weight.unwrap_or(1).to_string(),
                })
                .collect();
        }
        let local = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        if let Some(s) = &input.start_at {
            w.start_mode = "at".into();
            w.start_at = local(s);
        }
        if let Some(d) = &input.deadline {
            w.deadline = local(d);
        }
        if let Some(win) = &input.window {
            w.window_start = win.start.clone();
            w.window_end = win.end.clone();
            w.days = win
                .days
                .clone()
                .unwrap_or_else(|| DAY_NAMES.iter().map(|d| d.to_string()).collect());
        }
        w.days_set = true;
        w.rate = input.rate_per_hour.map(|r| r.to_string()).unwrap_or_default();
        if let Some(c) = &input.frequency_cap {
            w.cap_24h = c.per_24h.map(|n| n.to_string()).unwrap_or_default();
            w.cap_7d = c.per_7d.map(|n| n.to_string()).unwrap_or_default();
        }
        if let Some(ab) = &input.ab_test {
            w.ab = true;
            w.ab_share = trim_number(ab.test_share * 100.0);
            w.ab_metric = ab.metric.as_str().into();
            let secs = crate::campaigns::spec::parse_duration(&ab.decide_after).unwrap_or(4 * 3600);
            let (n, unit) = split_duration(secs);
            (w.ab_after, w.ab_unit) = (n.to_string(), unit.to_string());
        }
        w
    }

    /// Reads the posted fields (unknown ones ignored).
    pub fn from_pairs(pairs: &[(String, String)]) -> Wizard {
        let mut w = Wizard::default();
        let mut variants: BTreeMap<usize, VariantRow> = BTreeMap::new();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "key" => w.key = v,
                "draft" => w.draft = v,
                "name" => w.name = v,
                "audience_kind" => w.audience_kind = v,
                "segment" => w.segment = v,
                "f_tag" => w.f_tag = v,
                "f_attr" => w.f_attr = v,
                "f_value" => w.f_value = v,
                "f_language" => w.f_language = v,
                "list" => w.list = v,
                "start_mode" => w.start_mode = v,
                "start_at" => w.start_at = v,
                "deadline" => w.deadline = v,
                "window_start" => w.window_start = v,
                "window_end" => w.window_end = v,
                "day" => {
                    if DAY_NAMES.contains(&v.as_str()) && !w.days.contains(&v) {
                        w.days.push(v)
                    }
                }
                "days_set" => w.days_set = true,
                "rate" => w.rate = v,
                "cap_24h" => w.cap_24h = v,
                "cap_7d" => w.cap_7d = v,
                "ab" => w.ab = v == "on" || v == "1" || v == "true",
                "ab_share" => w.ab_share = v,
                "ab_metric" => w.ab_metric = v,
                "ab_after" => w.ab_after = v,
                "ab_unit" => w.ab_unit = v,
                other => {
                    for (prefix, field) in [("v_name_", 0), ("v_text_", 1), ("v_weight_", 2)] {
                        if let Some(i) = other.strip_prefix(prefix).and_then(|i| i.parse::<usize>().ok())
                            && i < MAX_VARIANTS
                        {
                            let row = variants.entry(i).or_default();
                            match field {
                                0 => row.name = v.clone(),
                                1 => row.text = v.clone(),
                                _ => row.weight = v.clone(),
                            }
                        }
                    }
                }
            }
        }
        // Days in week order.
        w.days.sort_by_key(|d| DAY_NAMES.iter().position(|n| n == d));
        w.variants = variants.into_values().collect();
        w
    }

    /// Every field as `(step, name, value)`: what the other steps carry as
    /// hidden inputs.
    pub fn fields(&self) -> Vec<(&'static str, String, String)> {
        let mut out: Vec<(&'static str, String, String)> = Vec::new();
        let mut add = |step: &'static str, name: &str, value: &str| {
            out.push((step, name.to_string(), value.to_string()));
        };
        add("audience", "name", &self.name);
        add("audience", "audience_kind", &self.audience_kind);
        add("audience", "segment", &self.segment);
        add("audience", "f_tag", &self.f_tag);
        add("audience", "f_attr", &self.f_attr);
        add("audience", "f_value", &self.f_value);
        add("audience", "f_language", &self.f_language);
        add("audience", "list", &self.list);
        for (i, v) in self.variants.iter().enumerate() {
            add("variants", &format!("v_name_{i}"), &v.name);
            add("variants", &format!("v_text_{i}"), &v.text);
            add("variants", &format!("v_weight_{i}"), &v.weight);
        }
        add("schedule", "start_mode", &self.start_mode);
        add("schedule", "start_at", &self.start_at);
        add("schedule", "deadline", &self.deadline);
        add("schedule", "window_start", &self.window_start);
        add("schedule", "window_end", &self.window_end);
        for d in &self.days {
            add("schedule", "day", d);
        }
        if self.days_set {
            add("schedule", "days_set", "1");
        }
        add("schedule", "rate", &self.rate);
        add("schedule", "cap_24h", &self.cap_24h);
        add("schedule", "cap_7d", &self.cap_7d);
        if self.ab {
            add("schedule", "ab", "on");
        }
        add("schedule", "ab_share", &self.ab_share);
        add("schedule", "ab_metric", &self.ab_metric);
        add("schedule", "ab_after", &self.ab_after);
        add("schedule", "ab_unit", &self.ab_unit);
        out
    }

    /// The hidden inputs a page showing `step` carries: every other step's fields.
    pub fn hidden_except(&self, step: &str) -> Vec<(String, String)> {
        self.fields()
            .into_iter()
            .filter(|(s, ..)| *s != step)
            .map(|(_, n, v)| (n, v))
            .collect()
    }

    /// The variants with a text (an empty row, even named, is left out:
    /// the form starts with A and B, and one text is a fine campaign).
    fn given_variants(&self) -> Vec<&VariantRow> {
        self.variants
            .iter()
            .filter(|v| !v.text.trim().is_empty())
            .collect()
    }

    /// The audience as the API takes it; `attrs` types the built filter's value.
    pub fn audience(&self, attrs: &BTreeMap<String, AttrType>) -> Result<Value, StepError> {
        match self.audience_kind.as_str() {
            "segment" => {
                let id = self
                    .segment
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| step_err("audience", "campaigns-err-segment", ""))?;
                Ok(json!({ "segment": id }))
            }
            "filter" => {
                let mut all: Vec<Value> = Vec::new();
                if !self.f_tag.trim().is_empty() {
                    all.push(json!({"tag": self.f_tag.trim()}));
                }
                if !self.f_language.trim().is_empty() {
                    all.push(json!({"language": self.f_language.trim()}));
                }
                let attr = self.f_attr.trim();
                if !attr.is_empty() {
                    let raw = self.f_value.trim();
                    let value = match attrs.get(attr) {
                        None => return Err(step_err("audience", "campaigns-err-attr", attr)),
                        Some(AttrType::Number) => raw
                            .replace(',', ".")
                            .parse::<f64>()
                            .ok()
                            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                            .ok_or_else(|| step_err("audience", "campaigns-err-attr-number", attr))?,
                        Some(AttrType::Boolean) => match raw.to_lowercase().as_str() {
                            "true" | "yes" | "да" | "sí" | "si" | "1" => Value::Bool(true),
                            "false" | "no" | "нет" | "0" => Value::Bool(false),
                            _ => return Err(step_err("audience", "campaigns-err-attr-bool", attr)),
                        },
                        Some(_) => Value::String(raw.to_string()),
                    };
                    all.push(json!({"attr": attr, "eq": value}));
                }
                Ok(json!({ "filter": { "all": all } }))
            }
            "list" => {
                let list: Vec<Value> = self
                    .list
                    .split(['\n', ',', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect();
                if list.is_empty() {
                    return Err(step_err("audience", "campaigns-err-list", ""));
                }
                Ok(json!({ "contacts": list }))
            }
            _ => Err(step_err("audience", "campaigns-err-kind", "")),
        }
    }

    /// The request for the steps up to `upto` (index in [`STEPS`]): the
    /// later steps' fields are left out (their defaults), and before the
    /// variants are written a stand-in text lets the rest be checked.
    /// `base` is a stored draft's request: what the wizard does not show
    /// (a survey, call tracking, delivery reports) is kept from it.
    pub fn to_input(
        &self,
        upto: usize,
        tz: Tz,
        default_window: &Window,
        attrs: &BTreeMap<String, AttrType>,
        base: Option<&CampaignInput>,
    ) -> Result<CampaignInput, StepError> {
        let mut input = base.cloned().unwrap_or_default();
        let name = self.name.trim();
        if name.is_empty() {
            return Err(step_err("audience", "campaigns-err-name", ""));
        }
        input.name = Some(name.to_string());
        input.audience = Some(self.audience(attrs)?);
        if upto < 1 {
            input.variants = Some(vec![VariantInput {
                name: None,
                text: Some("-".into()),
                weight: None,
            }]);
            return Ok(input);
        }
        let given = self.given_variants();
        if given.is_empty() {
            return Err(step_err("variants", "campaigns-err-no-text", ""));
        }
        let mut variants = Vec::with_capacity(given.len());
        for (i, v) in given.iter().enumerate() {
            let label = if v.name.trim().is_empty() {
                ((b'A' + i as u8) as char).to_string()
            } else {
                v.name.trim().to_string()
            };
            let weight = match v.weight.trim() {
                "" => None,
                w => Some(
                    w.parse::<u32>()
                        .ok()
                        .filter(|w| *w >= 1)
                        .ok_or_else(|| step_err("variants", "campaigns-err-weight", label.clone()))?,
                ),
            };
            variants.push(VariantInput {
                name: (!v.name.trim().is_empty()).then(|| v.name.trim().to_string()),
                text: Some(v.text.clone()),
                weight,
            });
        }
        input.variants = Some(variants);
        if upto < 2 {
            input.ab_test = None;
            return Ok(input);
        }
        let local = |field: &'static str, s: &str| -> Result<String, StepError> {
            NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S"))
                .ok()
                .and_then(|t| tz.from_local_datetime(&t).earliest())
                .map(|t| t.to_rfc3339())
                .ok_or_else(|| step_err("schedule", "campaigns-err-time", field))
        };
        input.start_at = match self.start_mode.as_str() {
            "at" => Some(local("start_at", &self.start_at)?),
            _ => None,
        };
        input.deadline = match self.deadline.trim() {
            "" => None,
            d => Some(local("deadline", d)?),
        };
        let default = default_window.spec();
        let all_days: Vec<String> = DAY_NAMES.iter().map(|d| d.to_string()).collect();
        if self.days_set && self.days.is_empty() {
            return Err(step_err("schedule", "campaigns-err-days", ""));
        }
        let days = if !self.days_set || self.days == all_days {
            None
        } else {
            Some(self.days.clone())
        };
        let start = if self.window_start.trim().is_empty() {
            default.start.clone()
        } else {
            self.window_start.trim().to_string()
        };
        let end = if self.window_end.trim().is_empty() {
            default.end.clone()
        } else {
            self.window_end.trim().to_string()
        };
        let default_days = default.days.clone();
        input.window = if start == default.start && end == default.end && days == default_days {
            None
        } else {
            Some(WindowSpec { start, end, days })
        };
        let number = |field: &'static str, s: &str| -> Result<Option<u32>, StepError> {
            match s.trim() {
                "" => Ok(None),
                t => t
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .map(Some)
                    .ok_or_else(|| step_err("schedule", "campaigns-err-number", field)),
            }
        };
        input.rate_per_hour = number("rate_per_hour", &self.rate)?;
        let per_24h = number("per_24h", &self.cap_24h)?;
        let per_7d = number("per_7d", &self.cap_7d)?;
        input.frequency_cap =
            (per_24h.is_some() || per_7d.is_some()).then_some(FrequencyCapInput { per_24h, per_7d });
        input.ab_test = if self.ab {
            let share = self
                .ab_share
                .trim()
                .trim_end_matches('%')
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0 && *s < 100.0)
                .ok_or_else(|| step_err("schedule", "campaigns-err-share", ""))?;
            let n = self
                .ab_after
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| step_err("schedule", "campaigns-err-decide", ""))?;
            let unit = match self.ab_unit.as_str() {
                "m" | "d" => self.ab_unit.as_str(),
                _ => "h",
            };
            let metric = match self.ab_metric.as_str() {
                "click" => Metric::Click,
                "redeem" => Metric::Redeem,
                "delivered" => Metric::Delivered,
                _ => Metric::Reply,
            };
            Some(AbTestInput {
                test_share: share / 100.0,
                decide_after: format!("{n}{unit}"),
                metric,
            })
        } else {
            None
        };
        Ok(input)
    }
}

/// Seconds as a whole number of days, hours or minutes (`m`, `h`, `d`),
/// the largest unit that divides them.
pub fn split_duration(secs: i64) -> (i64, &'static str) {
    if secs > 0 && secs % 86_400 == 0 {
        (secs / 86_400, "d")
    } else if secs > 0 && secs % 3600 == 0 {
        (secs / 3600, "h")
    } else {
        ((secs / 60).max(1), "m")
    }
}

/// `12.5` → `"12.5"`, `20.0` → `"20"`.
fn trim_number(x: f64) -> String {
    let s = format!("{:.2}", x);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The step a library error belongs on, by the field it names
/// (`variants[1].text: …` → `variants`).
pub fn step_of_field(message: &str) -> &'static str {
    let field = message.split(':').next().unwrap_or("");
    let head = field.split(['.', '[']).next().unwrap_or("");
    match head {
        "name" | "audience" => "audience",
        "variants" | "call_tracking" | "survey" => "variants",
        "start_at" | "deadline" | "window" | "rate_per_hour" | "frequency_cap" | "ab_test" => "schedule",
        _ => "review",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn moscow() -> Tz {
        "Europe/Moscow".parse().unwrap()
    }

    #[test]
    fn a_posted_form_reads_back_into_the_same_fields() {
        let w = Wizard::from_pairs(&pairs(&[
            ("key", "k1"),
            ("name", "Winter sale"),
            ("audience_kind", "list"),
            ("list", "+79161234567\n8 916 765-43-21"),
            ("v_name_0", "A"),
            ("v_text_0", "Hi {{ name }}"),
            ("v_weight_0", "3"),
            ("v_name_1", "B"),
            ("v_text_1", "Sale"),
            ("day", "sat"),
            ("day", "mon"),
            ("day", "bogus"),
            ("days_set", "1"),
            ("ab", "on"),
            ("v_text_99", "ignored: past the most variants"),
        ]));
        assert_eq!(w.variants.len(), 2);
        assert_eq!(w.days, ["mon", "sat"]);
        assert!(w.ab && w.days_set);
        let back: Vec<(String, String)> = w.fields().into_iter().map(|(_, n, v)| (n, v)).collect();
        let mut again = Wizard::from_pairs(&back);
        again.key = w.key.clone();
        assert_eq!(again, w);
        assert!(
            w.hidden_except("variants")
                .iter()
                .all(|(n, _)| !n.starts_with("v_")),
            "the step's own fields are not hidden"
        );
    }

    #[test]
    fn the_input_follows_the_form_and_leaves_defaults_out() {
        let window = Window::default();
        let mut w = Wizard::fresh("k".into(), &window);
        w.name = "Sale".into();
        w.audience_kind = "list".into();
        w.list = "+79161234567, +79167654321".into();
        w.variants[0].text = "Hi".into();
        w.variants[1].text = "Hello".into();
        let attrs = BTreeMap::new();
        let input = w.to_input(3, moscow(), &window, &attrs, None).unwrap();
        assert_eq!(
            input.audience,
            Some(json!({"contacts": ["+79161234567", "+79167654321"]}))
        );
        assert_eq!(input.window, None, "the configured window is not pinned");
        assert_eq!(input.ab_test, None);
        assert!(input.check().is_ok());
        w.ab = true;
        w.start_mode = "at".into();
        w.start_at = "2026-12-01T09:30".into();
        w.cap_24h = "2".into();
        w.days = vec!["mon".into(), "tue".into()];
        w.days_set = true;
        let input = w.to_input(3, moscow(), &window, &attrs, None).unwrap();
        assert_eq!(input.start_at.as_deref(), Some("2026-12-01T09:30:00+03:00"));
        let ab = input.ab_test.clone().unwrap();
        assert_eq!((ab.test_share, ab.decide_after.as_str()), (0.2, "4h"));
        assert_eq!(input.frequency_cap.and_then(|c| c.per_24h), Some(2));
        assert_eq!(
            input.window.as_ref().and_then(|w| w.days.clone()),
            Some(vec!["mon".to_string(), "tue".to_string()])
        );
        let spec = input.check().unwrap();
        // And back: the draft opens in the wizard as it was written.
        let again = Wizard::from_input("k".into(), 7, &input, moscow(), &window);
        assert_eq!(again.start_at, "2026-12-01T09:30");
        assert_eq!((again.ab_after.as_str(), again.ab_unit.as_str()), ("4", "h"));
        assert_eq!(again.to_input(3, moscow(), &window, &attrs, None).unwrap(), input);
        assert_eq!(spec.variants.len(), 2);
    }

    #[test]
    fn mistakes_are_named_on_their_step() {
        let window = Window::default();
        let attrs: BTreeMap<String, AttrType> = [("spent".to_string(), AttrType::Number)].into();
        let mut w = Wizard::fresh("k".into(), &window);
        let e = w.to_input(0, moscow(), &window, &attrs, None).unwrap_err();
        assert_eq!((e.step, e.id), ("audience", "campaigns-err-name"));
        w.name = "x".into();
        assert_eq!(
            w.to_input(0, moscow(), &window, &attrs, None).unwrap_err().id,
            "campaigns-err-segment"
        );
        w.audience_kind = "filter".into();
        w.f_attr = "spent".into();
        w.f_value = "lots".into();
        assert_eq!(
            w.to_input(0, moscow(), &window, &attrs, None).unwrap_err().id,
            "campaigns-err-attr-number"
        );
        w.f_value = "100,5".into();
        let input = w.to_input(0, moscow(), &window, &attrs, None).unwrap();
        assert_eq!(
            input.audience,
            Some(json!({"filter": {"all": [{"attr": "spent", "eq": 100.5}]}}))
        );
        let e = w.to_input(1, moscow(), &window, &attrs, None).unwrap_err();
        assert_eq!((e.step, e.id), ("variants", "campaigns-err-no-text"));
        w.variants[0].text = "Hi".into();
        let one = w.to_input(1, moscow(), &window, &attrs, None).unwrap();
        assert_eq!(one.variants.map(|v| v.len()), Some(1), "an empty row is left out");
        w.variants[1].text = "Yo".into();
        w.variants[1].weight = "0".into();
        let e = w.to_input(1, moscow(), &window, &attrs, None).unwrap_err();
        assert_eq!((e.id, e.arg.as_str()), ("campaigns-err-weight", "B"));
        w.variants[1].weight = "1".into();
        w.start_mode = "at".into();
        w.start_at = "tomorrow".into();
        let e = w.to_input(3, moscow(), &window, &attrs, None).unwrap_err();
        assert_eq!((e.step, e.id), ("schedule", "campaigns-err-time"));
        assert_eq!(step_of_field("variants[1].text: is blank"), "variants");
        assert_eq!(step_of_field("ab_test.decide_after: bad"), "schedule");
        assert_eq!(step_of_field("audience.segment: no segment 9"), "audience");
        assert_eq!(step_of_field("campaign 3 is running"), "review");
    }
}
