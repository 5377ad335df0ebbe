//! The segment builder's form and the filter language, both ways: a form
//! (groups of conditions, each a kind, an operator and a value) becomes a
//! filter's JSON for [`crate::segments::filter`] to validate, and a saved
//! filter becomes the form again when it has the builder's shape
//! (`all`/`any` of groups, each `all`/`any` of conditions; a condition
//! maybe under `not`). Pure: validation and counting stay with the store.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::contacts::{AttrType, AttrValue};

/// Most groups in a builder.
pub const MAX_GROUPS: usize = 10;
/// Most conditions in a group.
pub const MAX_CONDITIONS: usize = 20;

/// How the children of a node combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Every one (AND).
    All,
    /// At least one (OR).
    Any,
}

impl Combine {
    fn key(self) -> &'static str {
        match self {
            Combine::All => "all",
            Combine::Any => "any",
        }
    }

    fn parse(s: &str) -> Combine {
        if s == "any" { Combine::Any } else { Combine::All }
    }
}

/// One test on a contact, as the form holds it (text, so that what the
/// user typed is shown back even when it does not validate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// `tag`, `attr`, `consent`, `language`, `status`, `opted_out`,
    /// `sent_within_days` or `no_reply_for_days`.
    pub kind: String,
    /// The attribute, for `attr`.
    pub attr: String,
    /// The operator (see [`ops`]).
    pub op: String,
    /// The value as typed.
    pub value: String,
}

impl Condition {
    /// A new condition of `kind`, with its first operator.
    pub fn new(kind: &str, types: &BTreeMap<String, AttrType>) -> Condition {
        let mut c = Condition {
            kind: kind.to_string(),
            attr: String::new(),
            op: String::new(),
            value: String::new(),
        };
        c.fix(types);
        c
    }

    /// Makes the kind, attribute and operator consistent (after a kind or
    /// attribute changed): an unknown kind becomes `tag`, an operator the
    /// kind or the attribute's type does not take becomes its first one.
    pub fn fix(&mut self, types: &BTreeMap<String, AttrType>) {
        if !KINDS.contains(&self.kind.as_str()) {
            self.kind = "tag".into();
        }
        if self.kind == "attr" && !types.contains_key(&self.attr) {
            self.attr = types.keys().next().cloned().unwrap_or_default();
        }
        let ops = ops(&self.kind, types.get(&self.attr).copied());
        if !ops.contains(&self.op.as_str()) {
            self.op = ops.first().map(|s| s.to_string()).unwrap_or_default();
        }
        match self.kind.as_str() {
            "consent" if !["opted_in", "pending", "none"].contains(&self.value.as_str()) => {
                self.value = "opted_in".into()
            }
            "status" if !["active", "invalid"].contains(&self.value.as_str()) => self.value = "active".into(),
            _ => {}
        }
    }

    /// Whether the operator takes a value.
    pub fn needs_value(&self) -> bool {
        !matches!(
            self.op.as_str(),
            "exists" | "not_exists" | "is_true" | "is_false" | "yes" | "no"
        )
    }
}

/// The kinds of condition, in the order the form offers them.
pub const KINDS: [&str; 8] = [
    "tag",
    "attr",
    "consent",
    "language",
    "status",
    "opted_out",
    "sent_within_days",
    "no_reply_for_days",
];

/// The operators a kind (an attribute of type `ty`) takes, first the default.
pub fn ops(kind: &str, ty: Option<AttrType>) -> &'static [&'static str] {
    match kind {
        "tag" => &["has", "has_not"],
        "consent" | "language" => &["is", "is_not"],
        "status" => &["is"],
        "opted_out" => &["yes", "no"],
        "sent_within_days" => &["within", "not_within"],
        "no_reply_for_days" => &["for"],
        "attr" => match ty {
            Some(AttrType::Number) => &["eq", "ne", "gt", "ge", "lt", "le", "exists", "not_exists"],
            Some(AttrType::Boolean) => &["is_true", "is_false", "exists", "not_exists"],
            Some(AttrType::Date) => &[
                "eq",
                "before",
                "after",
                "within_days",
                "older_than_days",
                "month",
                "anniversary_within_days",
                "exists",
                "not_exists",
            ],
            _ => &["eq", "ne", "contains", "exists", "not_exists"],
        },
        _ => &[],
    }
}

/// A group of conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// How its conditions combine.
    pub combine: Combine,
    /// The conditions.
    pub conditions: Vec<Condition>,
}

/// The whole form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Builder {
    /// How the groups combine.
    pub combine: Combine,
    /// The groups.
    pub groups: Vec<Group>,
}

impl Builder {
    /// One group with one tag condition: where a new segment starts.
    pub fn new(types: &BTreeMap<String, AttrType>) -> Builder {
        Builder {
            combine: Combine::All,
            groups: vec![Group {
                combine: Combine::All,
                conditions: vec![Condition::new("tag", types)],
            }],
        }
    }

    /// Reads the form's fields (`combine`, `g0.combine`, `g0.c1.kind`,
    /// `.attr`, `.op`, `.value`), then applies `action`: `add:G` (a
    /// condition in group G), `remove:G.C`, `add_group`, `remove_group:G`.
    pub fn from_form(fields: &[(String, String)], types: &BTreeMap<String, AttrType>) -> Builder {
        let mut b = Builder {
            combine: Combine::All,
            groups: Vec::new(),
        };
        let mut groups: BTreeMap<usize, (Combine, BTreeMap<usize, Condition>)> = BTreeMap::new();
        let mut action = None;
        for (k, v) in fields {
            if k == "combine" {
                b.combine = Combine::parse(v);
                continue;
            }
            if k == "action" {
                action = Some(v.clone());
                continue;
            }
            let Some(rest) = k.strip_prefix('g') else { continue };
            let mut parts = rest.split('.');
            let Some(g) = parts
                .next()
                .and_then(|g| g.parse::<usize>().ok())
                .filter(|g| *g < MAX_GROUPS)
            else {
                continue;
            };
            let group = groups.entry(g).or_insert((Combine::All, BTreeMap::new()));
            match (parts.next(), parts.next()) {
                (Some("combine"), None) => group.0 = Combine::parse(v),
                (Some(c), Some(field)) => {
                    let Some(c) = c
                        .strip_prefix('c')
                        .and_then(|c| c.parse::<usize>().ok())
                        .filter(|c| *c < MAX_CONDITIONS)
                    else {
                        continue;
                    };
                    let cond = group.1.entry(c).or_insert_with(|| Condition {
                        kind: String::new(),
                        attr: String::new(),
                        op: String::new(),
                        value: String::new(),
                    });
                    let v: String = v.chars().take(crate::segments::filter::MAX_STRING).collect();
                    match field {
                        "kind" => cond.kind = v,
                        "attr" => cond.attr = v,
                        "op" => cond.op = v,
                        "value" => cond.value = v,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        b.groups = groups
            .into_values()
            .map(|(combine, conds)| Group {
                combine,
                conditions: conds.into_values().collect(),
            })
            .collect();
        for g in &mut b.groups {
            for c in &mut g.conditions {
                c.fix(types);
            }
        }
        match action.as_deref().unwrap_or("") {
            "add_group" if b.groups.len() < MAX_GROUPS => b.groups.push(Group {
                combine: Combine::All,
                conditions: vec![Condition::new("tag", types)],
            }),
            a => {
                if let Some(g) = a.strip_prefix("add:").and_then(|g| g.parse::<usize>().ok())
                    && let Some(group) = b.groups.get_mut(g)
                    && group.conditions.len() < MAX_CONDITIONS
                {
                    group.conditions.push(Condition::new("tag", types));
                }
                if let Some((g, c)) = a.strip_prefix("remove:").and_then(|s| s.split_once('.'))
                    && let (Ok(g), Ok(c)) = (g.parse::<usize>(), c.parse::<usize>())
                    && let Some(group) = b.groups.get_mut(g)
                    && c < group.conditions.len()
                {
                    group.conditions.remove(c);
                }
                if let Some(g) = a
                    .strip_prefix("remove_group:")
                    .and_then(|g| g.parse::<usize>().ok())
                    && g < b.groups.len()
                {
                    b.groups.remove(g);
                }
            }
        }
        b.groups.retain(|g| !g.conditions.is_empty());
        if b.groups.is_empty() {
            b = Builder::new(types);
            b.groups[0].conditions.clear();
        }
        b
    }

    /// The filter's JSON: `{"all": []}` (everyone) without conditions, a
    /// group's node alone when there is one group. Values are typed by the
    /// attribute's type where they read as one; otherwise given as typed,
    /// for the filter's validation to name what is wrong.
    pub fn to_json(&self, types: &BTreeMap<String, AttrType>) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .filter(|g| !g.conditions.is_empty())
            .map(|g| {
                let conds: Vec<Value> = g.conditions.iter().map(|c| condition_json(c, types)).collect();
                json!({ g.combine.key(): conds })
            })
            .collect();
        match groups.len() {
            0 => json!({"all": []}),
            1 => groups.into_iter().next().unwrap_or(Value::Null),
            _ => json!({ self.combine.key(): groups }),
        }
    }

    /// The builder for a saved filter, if it has the builder's shape.
    pub fn from_json(v: &Value, types: &BTreeMap<String, AttrType>) -> Option<Builder> {
        let (combine, children) = combined(v).unwrap_or((Combine::All, std::slice::from_ref(v)));
        let simple: Option<Vec<Condition>> = children.iter().map(|c| condition_of(c, types)).collect();
        let b = match simple {
            Some(conditions) => Builder {
                combine: Combine::All,
                groups: vec![Group { combine, conditions }],
            },
            None => {
                let mut groups = Vec::new();
                for child in children {
                    let group = match combined(child) {
                        Some((gc, conds)) => Group {
                            combine: gc,
                            conditions: conds
                                .iter()
                                .map(|c| condition_of(c, types))
                                .collect::<Option<_>>()?,
                        },
                        None => Group {
                            combine: Combine::All,
                            conditions: vec![condition_of(child, types)?],
                        },
                    };
                    groups.push(group);
                }
                Builder { combine, groups }
            }
        };
        let fits =
            b.groups.len() <= MAX_GROUPS && b.groups.iter().all(|g| g.conditions.len() <= MAX_CONDITIONS);
        fits.then_some(b)
    }
}

/// `{"all": [...]}` or `{"any": [...]}`.
fn combined(v: &Value) -> Option<(Combine, &[Value])> {
    let obj = v.as_object().filter(|o| o.len() == 1)?;
    let (k, list) = obj.iter().next()?;
    let list = list.as_array()?;
    match k.as_str() {
        "all" => Some((Combine::All, list.as_slice())),
        "any" if !list.is_empty() => Some((Combine::Any, list.as_slice())),
        _ => None,
    }
}

/// A value typed as `ty` when it reads as one; else the text as typed.
fn typed(v: &str, ty: Option<AttrType>) -> Value {
    let v = v.trim();
    match ty {
        Some(t @ (AttrType::Number | AttrType::Boolean)) => match AttrValue::parse(v, t) {
            Ok(x) => x.to_json(),
            Err(_) => Value::String(v.to_string()),
        },
        Some(AttrType::Date) => match crate::contacts::model::parse_date(v) {
            Some(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            None => Value::String(v.to_string()),
        },
        _ => Value::String(v.to_string()),
    }
}

/// A whole number when the text is one; else the text (refused by the filter).
fn count(v: &str) -> Value {
    match v.trim().parse::<u64>() {
        Ok(n) => json!(n),
        Err(_) => Value::String(v.trim().to_string()),
    }
}

fn not(v: Value) -> Value {
    json!({ "not": v })
}

fn condition_json(c: &Condition, types: &BTreeMap<String, AttrType>) -> Value {
    let v = c.value.trim();
    match (c.kind.as_str(), c.op.as_str()) {
        ("tag", "has_not") => not(json!({"tag": v})),
        ("tag", _) => json!({"tag": v}),
        ("consent", "is_not") => not(json!({"consent": v})),
        ("consent", _) => json!({"consent": v}),
        ("language", "is_not") => not(json!({"language": v})),
        ("language", _) => json!({"language": v}),
        ("status", _) => json!({"status": v}),
        ("opted_out", op) => json!({"opted_out": op == "yes"}),
        ("sent_within_days", "not_within") => not(json!({"sent_within_days": count(v)})),
        ("sent_within_days", _) => json!({"sent_within_days": count(v)}),
        ("no_reply_for_days", _) => json!({"no_reply_for_days": count(v)}),
        ("attr", op) => {
            let ty = types.get(&c.attr).copied();
            let mut node = Map::new();
            node.insert("attr".into(), Value::String(c.attr.clone()));
            let (key, value) = match op {
                "exists" => ("exists", Value::Bool(true)),
                "not_exists" => ("exists", Value::Bool(false)),
                "is_true" => ("eq", Value::Bool(true)),
                "is_false" => ("eq", Value::Bool(false)),
                "within_days" | "older_than_days" | "month" | "anniversary_within_days" => (op, count(v)),
                "before" | "after" => (op, typed(v, Some(AttrType::Date))),
                "contains" => (op, Value::String(v.to_string())),
                other => (other, typed(v, ty)),
            };
            node.insert(key.into(), value);
            Value::Object(node)
        }
        _ => json!({"tag": v}),
    }
}

/// Text of a JSON scalar as the form shows it.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        }),
        _ => None,
    }
}

fn cond(kind: &str, op: &str, attr: &str, value: String) -> Condition {
    Condition {
        kind: kind.into(),
        attr: attr.into(),
        op: op.into(),
        value,
    }
}

/// The form's condition for a filter node, if the builder can show it.
fn condition_of(v: &Value, types: &BTreeMap<String, AttrType>) -> Option<Condition> {
    let obj = v.as_object()?;
    if let Some(attr) = obj.get("attr").and_then(Value::as_str) {
        if obj.len() != 2 {
            return None;
        }
        let (op, val) = obj.iter().find(|(k, _)| *k != "attr")?;
        let ty = types.get(attr).copied();
        let (op, value) = match (op.as_str(), val) {
            ("exists", Value::Bool(true)) => ("exists", String::new()),
            ("exists", Value::Bool(false)) => ("not_exists", String::new()),
            ("eq", Value::Bool(true)) => ("is_true", String::new()),
            ("eq", Value::Bool(false)) => ("is_false", String::new()),
            (op, val) => (op, text(val)?),
        };
        let c = cond("attr", op, attr, value);
        return ops("attr", ty).contains(&c.op.as_str()).then_some(c);
    }
    if obj.len() != 1 {
        return None;
    }
    let (k, val) = obj.iter().next()?;
    Some(match k.as_str() {
        "not" => {
            let inner = condition_of(val, types)?;
            let op = match (inner.kind.as_str(), inner.op.as_str()) {
                ("tag", "has") => "has_not",
                ("consent" | "language", "is") => "is_not",
                ("sent_within_days", "within") => "not_within",
                _ => return None,
            };
            Condition {
                op: op.into(),
                ..inner
            }
        }
        "tag" => cond("tag", "has", "", text(val)?),
        "consent" => cond("consent", "is", "", text(val)?),
        "language" => cond("language", "is", "", text(val)?),
        "status" => cond("status", "is", "", text(val)?),
        "opted_out" => cond(
            "opted_out",
            if val.as_bool()? { "yes" } else { "no" },
            "",
            String::new(),
        ),
        "sent_within_days" => cond("sent_within_days", "within", "", text(val)?),
        "no_reply_for_days" => cond("no_reply_for_days", "for", "", text(val)?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> BTreeMap<String, AttrType> {
        BTreeMap::from([
            ("city".to_string(), AttrType::String),
            ("spent".to_string(), AttrType::Number),
            ("birthday".to_string(), AttrType::Date),
            ("member".to_string(), AttrType::Boolean),
        ])
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_form_becomes_a_filter_with_typed_values() {
        let t = types();
        let b = Builder::from_form(
            &form(&[
                ("combine", "any"),
                ("g0.combine", "all"),
                ("g0.c0.kind", "tag"),
                ("g0.c0.op", "has"),
                ("g0.c0.value", " vip "),
                ("g0.c1.kind", "attr"),
                ("g0.c1.attr", "spent"),
                ("g0.c1.op", "gt"),
                ("g0.c1.value", "1 000,5"),
                ("g0.c2.kind", "consent"),
                ("g0.c2.op", "is_not"),
                ("g0.c2.value", "none"),
                ("g1.c0.kind", "attr"),
                ("g1.c0.attr", "birthday"),
                ("g1.c0.op", "anniversary_within_days"),
                ("g1.c0.value", "7"),
                ("g1.c1.kind", "sent_within_days"),
                ("g1.c1.op", "not_within"),
                ("g1.c1.value", "30"),
            ]),
            &t,
        );
        let j = b.to_json(&t);
        assert_eq!(
            j,
            json!({"any": [
                {"all": [{"tag": "vip"}, {"attr": "spent", "gt": 1000.5}, {"not": {"consent": "none"}}]},
                {"all": [{"attr": "birthday", "anniversary_within_days": 7}, {"not": {"sent_within_days": 30}}]}
            ]})
        );
        // And back: the saved filter shows as the same form.
        assert_eq!(Builder::from_json(&j, &t).unwrap().to_json(&t), j);
    }

    #[test]
    fn actions_add_and_remove_conditions_and_groups() {
        let t = types();
        let base = [("g0.c0.kind", "tag"), ("g0.c0.value", "vip")];
        let mut f = form(&base);
        f.push(("action".into(), "add:0".into()));
        assert_eq!(Builder::from_form(&f, &t).groups[0].conditions.len(), 2);
        let mut f = form(&base);
        f.push(("action".into(), "add_group".into()));
        assert_eq!(Builder::from_form(&f, &t).groups.len(), 2);
        let mut f = form(&base);
        f.push(("action".into(), "remove:0.0".into()));
        let b = Builder::from_form(&f, &t);
        assert_eq!(b.to_json(&t), json!({"all": []}), "no condition: everyone");
        // A kind changed: its operator follows; an unknown kind or attribute is fixed.
        let b = Builder::from_form(
            &form(&[
                ("g0.c0.kind", "attr"),
                ("g0.c0.attr", "nope"),
                ("g0.c0.op", "has"),
            ]),
            &t,
        );
        let c = &b.groups[0].conditions[0];
        assert_eq!((c.attr.as_str(), c.op.as_str()), ("birthday", "eq"));
        let b = Builder::from_form(&form(&[("g0.c0.kind", "drop table")]), &t);
        assert_eq!(b.groups[0].conditions[0].kind, "tag");
        // Out-of-range indexes are ignored, not a panic.
        let b = Builder::from_form(
            &form(&[("g99999999999999999999.c0.kind", "tag"), ("g0.c999.kind", "tag")]),
            &t,
        );
        assert!(
            b.groups.iter().all(|g| g.conditions.is_empty())
                || b.groups.is_empty()
                || b.groups[0].conditions.is_empty()
        );
    }

    #[test]
    fn values_that_do_not_read_are_passed_on_for_the_filter_to_refuse() {
        let t = types();
        let b = Builder::from_form(
            &form(&[
                ("g0.c0.kind", "attr"),
                ("g0.c0.attr", "spent"),
                ("g0.c0.op", "gt"),
                ("g0.c0.value", "lots"),
            ]),
            &t,
        );
        let j = b.to_json(&t);
        assert_eq!(j, json!({"all": [{"attr": "spent", "gt": "lots"}]}));
        let e = crate::segments::filter::Filter::parse(&j, &t).unwrap_err();
        assert!(e.to_string().contains("spent"), "{e}");
    }

    #[test]
    fn filters_the_builder_cannot_show_are_left_alone() {
        let t = types();
        for f in [
            json!({"voted": {"survey": 1}}),
            json!({"not": {"not": {"tag": "x"}}}),
            json!({"all": [{"any": [{"all": [{"tag": "x"}]}]}]}),
            json!({"attr": "spent", "in": [1, 2]}),
        ] {
            assert_eq!(Builder::from_json(&f, &t), None, "{f}");
        }
        let one = Builder::from_json(&json!({"tag": "vip"}), &t).unwrap();
        assert_eq!(one.to_json(&t), json!({"all": [{"tag": "vip"}]}));
    }
}
