use super::*;
use crate::contacts::{Attributes, Consent, ContactStatus, TimeZoneSource};

pub(crate) fn contact(id: i64, name: Option<&str>, language: Option<&str>) -> Contact {
    Contact {
        id,
        phone: format!("+7916000{id:04}"),
        name: name.map(str::to_string),
        time_zone: None,
        time_zone_source: TimeZoneSource::Default,
        language: language.map(str::to_string),
        tags: vec!["vip".into()],
        attributes: Attributes::new(),
        consent: Consent::default(),
        status: ContactStatus::Active,
        status_reason: None,
        created_at: 0,
        updated_at: 0,
        last_sent_at: None,
        last_delivered_at: None,
        last_reply_at: None,
        messages_sent: 0,
        opted_out: None,
    }
}

fn render(src: &str, c: &Contact) -> Result<String, RenderFailure> {
    Template::compile(src)
        .unwrap()
        .render(c, "Europe/Moscow")
        .map_err(|e| e.failure)
}

#[test]
fn fields_of_the_contact_render() {
    let mut c = contact(1, Some("Anna"), Some("ru"));
    c.attributes
        .insert("city".into(), AttrValue::String("Kazan".into()));
    c.attributes.insert("spent".into(), AttrValue::Number(1500.0));
    let t = "{{ name }} {{ phone }} {{ language }} {{ tags | join(',') }} {{ attributes.city }} {{ attributes.spent }} {{ time_zone }}";
    assert_eq!(
        render(t, &c).unwrap(),
        "Anna +79160000001 ru vip Kazan 1500 Europe/Moscow"
    );
}

#[test]
fn a_missing_variable_is_an_error_naming_it_and_the_recipient() {
    let c = contact(7, None, None);
    let err = Template::compile("Hello {{ name }}, see you in {{ attributes.city }}")
        .unwrap()
        .render(&c, "UTC")
        .unwrap_err();
    assert_eq!(
        err.failure,
        RenderFailure::Missing {
            variable: "name".into()
        }
    );
    assert_eq!(err.contact_id, 7);
    let text = err.to_string();
    assert!(text.contains("name") && text.contains("+79160000007"), "{text}");
    let mut c = contact(8, Some("Anna"), None);
    c.attributes.insert("other".into(), AttrValue::Boolean(true));
    let err = render("Hello {{ name }}, see you in {{ attributes.city }}", &c).unwrap_err();
    assert_eq!(
        err,
        RenderFailure::Missing {
            variable: "attributes.city".into()
        }
    );
}

#[test]
fn default_still_works_under_strict_undefined() {
    let c = contact(1, None, None);
    assert_eq!(
        render("Hi {{ name | default(\"friend\") }}!", &c).unwrap(),
        "Hi friend!"
    );
    assert_eq!(
        render("Hi {{ attributes.city | default(\"there\") }}", &c).unwrap(),
        "Hi there"
    );
    assert_eq!(
        render("{% if name is defined %}{{ name }}{% else %}you{% endif %}", &c).unwrap(),
        "you"
    );
    // A missing value tested in an `if` is false, not an error; printed, it is.
    assert_eq!(
        render(
            "Hi{% if attributes.city %} from {{ attributes.city }}{% endif %}!",
            &c
        )
        .unwrap(),
        "Hi!"
    );
    assert!(render("Hi {{ attributes.city }}!", &c).is_err());
}

#[test]
fn a_variable_that_renders_empty_is_an_error() {
    let c = contact(1, Some(" "), None);
    let err = render("Hello {{ name }},", &c).unwrap_err();
    assert_eq!(
        err,
        RenderFailure::Empty {
            variable: "name".into()
        }
    );
}

#[test]
fn dates_are_formatted_in_the_contacts_language() {
    let d = NaiveDate::from_ymd_opt(1990, 5, 1).unwrap();
    for (lang, want) in [("ru", "1 мая"), ("es", "1 de mayo"), ("en", "May 1")] {
        let mut c = contact(1, Some("A"), Some(lang));
        c.attributes.insert("birthday".into(), AttrValue::Date(d));
        assert_eq!(render("{{ attributes.birthday | date }}", &c).unwrap(), want);
        assert_eq!(
            render("{{ attributes.birthday | date(\"long\") }}", &c).unwrap(),
            want
        );
    }
    let mut c = contact(1, Some("A"), Some("ru"));
    c.attributes.insert("birthday".into(), AttrValue::Date(d));
    assert_eq!(
        render("{{ attributes.birthday }} {{ attributes.birthday.year }} {{ attributes.birthday | date('full') }}", &c).unwrap(),
        "1990-05-01 1990 1 мая 1990"
    );
    let err = render("{{ name | date }}", &c).unwrap_err();
    assert!(
        matches!(err, RenderFailure::Failed(ref m) if m.contains("not a date")),
        "{err:?}"
    );
}

#[test]
fn syntax_errors_name_line_and_column() {
    let err = Template::compile("Hello\n  {{ name }\n").unwrap_err();
    match err {
        TemplateError::Syntax { line, column, .. } => {
            assert_eq!(line, 2);
            assert!(column > 1, "{column}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Template::compile("  ").unwrap_err(), TemplateError::Empty);
    assert!(matches!(
        Template::compile(&"x".repeat(MAX_SOURCE_BYTES + 1)),
        Err(TemplateError::TooLong { .. })
    ));
}

#[test]
fn the_sandbox_has_no_include_import_or_macros() {
    for src in [
        "{% include 'sms' %}",
        "{% import 'x' as y %}",
        "{% extends 'x' %}",
        "{% from 'x' import y %}",
        "{% macro m() %}x{% endmacro %}",
    ] {
        assert!(
            matches!(Template::compile(src), Err(TemplateError::Syntax { .. })),
            "{src} must not compile"
        );
    }
}

#[test]
fn a_runaway_loop_runs_out_of_fuel_instead_of_hanging() {
    let c = contact(1, Some("A"), None);
    let err = render(
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        &c,
    )
    .unwrap_err();
    assert!(
        matches!(err, RenderFailure::Failed(ref m) if m.contains("fuel")),
        "{err:?}"
    );
}

#[test]
fn output_is_capped() {
    let c = contact(1, Some("A"), None);
    let err = render("{% for i in range(300) %}{{ 'x' * 1000 }}{% endfor %}", &c).unwrap_err();
    assert!(
        matches!(err, RenderFailure::Failed(ref m) if m.contains("longer than") || m.contains("fuel")),
        "{err:?}"
    );
    // Under the fuel, over the cap.
    let err = render("{{ 'x' * 70000 }}", &c).unwrap_err();
    assert!(
        matches!(err, RenderFailure::Failed(ref m) if m.contains("longer than")),
        "{err:?}"
    );
}

#[test]
fn no_html_escaping() {
    let c = contact(1, Some("Tom & <Jerry>"), None);
    assert_eq!(render("{{ name }}", &c).unwrap(), "Tom & <Jerry>");
}

#[test]
fn a_missing_variable_under_a_filter_is_named_without_the_filter() {
    let c = contact(1, Some("Ann"), None);
    for src in [
        "Hi {{ attributes.city | upper }}",
        "Hi {{ attributes.city|title }}!",
        "{% if attributes.city == 'x' %}x{% endif %}",
    ] {
        let err = render(src, &c).unwrap_err();
        assert_eq!(
            err,
            RenderFailure::Missing {
                variable: "attributes.city".into()
            },
            "{src}"
        );
    }
}

#[test]
fn none_invisible_values_and_debug_never_reach_a_text() {
    let c = contact(1, None, None);
    for src in [
        "{{ name | default(none) }}x",
        "{{ none }}",
        "{{ attributes.city or none }}x",
    ] {
        assert!(render(src, &c).is_err(), "{src} must not print None");
    }
    let c = contact(1, Some("\u{200b}"), None);
    assert!(
        render("Hello {{ name }}!", &c).is_err(),
        "a zero-width name is empty"
    );
    assert!(render("{{ debug() }}", &contact(1, Some("Ann"), None)).is_err());
}

struct Utm;

impl LinkMaker for Utm {
    fn link(&self, url: &str) -> Result<String, String> {
        Ok(format!("{url}?utm_source=sms"))
    }
}

#[test]
fn extras_give_promo_code_tracking_number_event_data_and_links() {
    let c = contact(1, Some("Ann"), None);
    let t = Template::compile(
        "{{ name }}: {{ promo_code }} {{ tracking_number }} {{ event.order_id }} {{ link(\"https://shop.example/sale\") }}",
    )
    .unwrap();
    assert!(t.uses("promo_code") && t.uses("tracking_number") && t.uses("event") && t.uses("link"));
    assert!(!t.variables().iter().any(|v| v == "link"), "{:?}", t.variables());
    let data = serde_json::json!({"order_id": "A-17"});
    let extras = Extras {
        promo_code: Some("K7QX2M"),
        tracking_number: Some("+79161234567"),
        event: Some(&data),
        links: Some(std::sync::Arc::new(Utm)),
    };
    assert_eq!(
        t.render_with(&c, "UTC", &extras).unwrap(),
        "Ann: K7QX2M +79161234567 A-17 https://shop.example/sale?utm_source=sms"
    );
    // Each extra missing is named like a missing contact field.
    let no_code = Extras {
        promo_code: None,
        ..extras.clone()
    };
    let e = t.render_with(&c, "UTC", &no_code).unwrap_err();
    assert_eq!(e.failure.variable(), Some("promo_code"), "{e}");
    let e = t
        .render_with(
            &c,
            "UTC",
            &Extras {
                event: None,
                ..extras.clone()
            },
        )
        .unwrap_err();
    assert_eq!(e.failure.variable(), Some("event.order_id"), "{e}");
    // Without a maker the URL is written as given; a bad one is refused.
    let plain = Template::compile("{{ link(\"https://shop.example/x\") }}").unwrap();
    assert!(!plain.uses("promo_code"));
    assert_eq!(plain.render(&c, "UTC").unwrap(), "https://shop.example/x");
    let bad = Template::compile("{{ link(\"javascript:alert(1)\") }}").unwrap();
    assert!(
        bad.render(&c, "UTC")
            .unwrap_err()
            .to_string()
            .contains("not an http(s) URL")
    );
}

#[test]
fn link_literals_are_listed_with_their_line_and_column() {
    let t = Template::compile(
        "Hi {{ name }}\n{{ link(\"https://shop.example/a\") }} {# link(\"javascript:x\") #} link(\"x\")\n  {{ link( 'https://b.example/\\u0041' ) }} {{ link(url) }} {{ link(\"a\" ~ name) }}",
    )
    .unwrap();
    let l = t.link_literals();
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(
        (l[0].url.as_str(), l[0].line, l[0].column),
        ("https://shop.example/a", 2, 4)
    );
    assert_eq!(
        (l[1].url.as_str(), l[1].line, l[1].column),
        ("https://b.example/A", 3, 6)
    );
    assert!(t.check_links().is_ok());
}

#[test]
fn bad_literal_links_are_refused_at_compile_check_naming_where_and_why() {
    for (url, why) in [
        ("javascript:alert(1)", "javascript: URL"),
        ("//evil.example", "no scheme"),
        ("shop.example/x", "no scheme"),
        ("data:text/html,<b>x</b>", "data: URL"),
        ("https://shop.example/\\r\\nSet-Cookie: a=b", "control characters"),
        ("http://user:pw@host.example/", "user name or password"),
        ("https://shop.example@evil.example/", "user name or password"),
        ("https:///path", "no host"),
        ("ftp://files.example/", "ftp: URL"),
    ] {
        let t = Template::compile(&format!("Sale: {{{{ link(\"{url}\") }}}}")).unwrap();
        let e = t.check_links().unwrap_err();
        assert!(e.starts_with("link at line 1, column 10"), "{url}: {e}");
        assert!(e.contains(why), "{url}: {e}");
    }
    assert!(check_link_url("https://shop.example:8443/sale?x=1#top").is_ok());
    assert!(check_link_url("HTTP://SHOP.example").is_ok());
}
