//! The contacts and segments pages over plain HTTP against the real
//! daemon: list and search, a contact's page and its edit form (the API's
//! rules and errors), erasure, the CSV import's preview, column mapping,
//! bad rows and confirmation, the export, and the segment builder's live
//! count, save, edit and delete.

mod common;

use common::Sim;
use common::browser::{PASSWORD, set_password};
use common::gateway::{Gateway, free_port, write_config};
use common::web::{Answer, Session, request};
use serde_json::{Value, json};

fn gateway() -> (Sim, Gateway, Session) {
    let sim = Sim::start(1, 0);
    let config = write_config(sim.dir.path(), free_port(), "");
    set_password(&config, "admin", PASSWORD);
    let gw = Gateway::start(&config);
    let s = Session::login(&gw.base, "admin", PASSWORD);
    (sim, gw, s)
}

fn add(gw: &Gateway, body: Value) -> Value {
    let (status, c) = gw.call("POST", "/v1/contacts", Some(body));
    assert!(status == 201 || status == 200, "{status} {c}");
    c
}

/// A multipart POST as htmx sends the import form: the file and fields.
fn upload(
    gw: &Gateway,
    s: &Session,
    path: &str,
    file: Option<(&str, &str)>,
    fields: &[(&str, &str)],
) -> Answer {
    let boundary = "----simfleet-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    let (name, text) = file.unwrap_or(("", ""));
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let ct = format!("multipart/form-data; boundary={boundary}");
    request(
        &gw.base,
        "POST",
        path,
        &[
            ("Cookie", &s.cookie),
            ("X-CSRF-Token", &s.csrf),
            ("HX-Request", "true"),
            ("Content-Type", &ct),
        ],
        &body,
    )
}

/// The value of the hidden `sig` field of an import preview.
fn sig(page: &str) -> String {
    page.split("name=\"sig\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the preview carries the header's fingerprint")
        .to_string()
}

#[test]
fn contacts_are_listed_searched_shown_edited_and_erased() {
    let (_sim, gw, s) = gateway();
    // An empty list says what to do.
    let r = s.get(&gw.base, "/contacts");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("No contacts yet"), "{}", r.body);
    assert_eq!(r.body.matches("<h1").count(), 1);
    let anna = add(
        &gw,
        json!({"phone": "+79161234567", "name": "Анна Петрова", "tags": ["vip"], "language": "ru",
               "attributes": {"city": "Kazan", "spent": 1500},
               "consent": {"status": "opted_in", "source": "shop counter", "evidence": "I agree to get offers by SMS"}}),
    );
    add(&gw, json!({"phone": "+34612345678", "name": "Bob"}));
    let id = anna["id"].as_str().unwrap().to_string();
    let (st, _) = gw.call(
        "POST",
        "/v1/messages",
        Some(json!({"to": "+79161234567", "text": "Your order is ready"})),
    );
    assert_eq!(st, 202);

    let r = s.get(&gw.base, "/contacts");
    assert!(
        r.body.contains("Анна Петрова") && r.body.contains("Bob"),
        "{}",
        r.body
    );
    // Search by name in any case, and by digits of the number.
    let r = s.get(&gw.base, "/contacts?q=%D0%B0%D0%BD%D0%BD%D0%B0");
    assert!(r.body.contains("Анна Петрова") && !r.body.contains("Bob"));
    let r = s.get(&gw.base, "/contacts?q=%2B34+612");
    assert!(r.body.contains("Bob") && !r.body.contains("Анна"));
    // A number as people write it at home (region RU) finds its contact.
    let r = s.get(&gw.base, "/contacts?q=8+916+123-45-67");
    assert!(
        r.body.contains("Анна Петрова") && !r.body.contains("Bob"),
        "{}",
        r.body
    );
    let r = s.get(&gw.base, "/contacts?q=nobody");
    assert!(r.body.contains("No contact matches"), "{}", r.body);
    let r = s.get(&gw.base, "/contacts?tag=VIP");
    assert!(r.body.contains("Анна Петрова") && !r.body.contains("Bob"));
    // htmx asks for the rows only.
    let r = request(
        &gw.base,
        "GET",
        "/contacts?q=bob",
        &[("Cookie", &s.cookie), ("HX-Request", "true")],
        b"",
    );
    assert!(r.body.contains("Bob") && !r.body.contains("<html"));
    // A bad cursor or an over-long search is a clear error, not a panic.
    assert_eq!(s.get(&gw.base, "/contacts?after=x").status, 400);
    assert_eq!(
        s.get(&gw.base, &format!("/contacts?q={}", "a".repeat(300)))
            .status,
        400
    );

    // The contact's page: consent with its evidence, the message sent.
    let r = s.get(&gw.base, &format!("/contacts/{id}"));
    assert_eq!(r.status, 200);
    for needle in [
        "shop counter",
        "I agree to get offers by SMS",
        "Your order is ready",
        "Kazan",
        "Campaigns can reach",
    ] {
        assert!(r.body.contains(needle), "{needle}: {}", r.body);
    }
    // Found by its number too.
    assert_eq!(s.get(&gw.base, "/contacts/+79161234567").status, 200);
    assert_eq!(s.get(&gw.base, "/contacts/999999").status, 404);
    assert_eq!(s.get(&gw.base, "/contacts/not-a-number").status, 422);

    // Edit: name, language, zone, tags, an attribute changed, one removed, one added.
    let r = s.post_form(
        &gw.base,
        &format!("/contacts/{id}"),
        &[
            ("name", "Anna P."),
            ("language", "en-GB"),
            ("time_zone", "Europe/Samara"),
            ("tags", "vip, kazan"),
            ("attr.city", ""),
            ("attr.spent", "2 000,50"),
            ("new_attr_name", "birthday"),
            ("new_attr_value", "1990-05-17"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/contacts/{id}?saved=1").as_str())
    );
    let (_, c) = gw.call("GET", &format!("/v1/contacts/{id}"), None);
    assert_eq!(c["name"], "Anna P.");
    assert_eq!(c["language"], "en");
    assert_eq!(c["time_zone"], "Europe/Samara");
    assert_eq!(c["tags"], json!(["kazan", "vip"]));
    assert_eq!(
        c["attributes"],
        json!({"spent": 2000.5, "birthday": "1990-05-17"})
    );
    assert_eq!(
        c["consent"]["evidence"], "I agree to get offers by SMS",
        "consent untouched"
    );
    assert!(
        s.get(&gw.base, &format!("/contacts/{id}?saved=1"))
            .body
            .contains("Saved.")
    );

    // A refusal names the field, keeps what was typed, changes nothing.
    let r = s.post_form(
        &gw.base,
        &format!("/contacts/{id}"),
        &[
            ("name", "Typed name"),
            ("language", "english"),
            ("attr.spent", "lots"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Check this field"), "{}", r.body);
    assert!(r.body.contains("value=\"Typed name\""));
    let (_, c) = gw.call("GET", &format!("/v1/contacts/{id}"), None);
    assert_eq!(c["name"], "Anna P.");
    // Without the anti-forgery token nothing changes.
    let r = request(
        &gw.base,
        "POST",
        &format!("/contacts/{id}"),
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"name=Mallory",
    );
    assert_eq!(r.status, 403);

    // Add a contact from the list; a bad number is refused in words.
    let r = s.post_form(
        &gw.base,
        "/contacts",
        &[("phone", "8 (916) 000-11-22"), ("name", "Carl")],
    );
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/contacts/"));
    let r = s.post_form(&gw.base, "/contacts", &[("phone", "call me"), ("name", "X")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Not a phone number"), "{}", r.body);

    // The history through the API, as the page shows it.
    let (st, page) = gw.call("GET", &format!("/v1/contacts/{id}/messages"), None);
    assert_eq!(st, 200, "{page}");
    assert_eq!(page["messages"][0]["text"], "Your order is ready");
    assert_eq!(page["next"], Value::Null);

    // Erase: gone, the list says so.
    let r = s.post_form(&gw.base, &format!("/contacts/{id}/delete"), &[]);
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/contacts?erased="));
    assert_eq!(gw.call("GET", &format!("/v1/contacts/{id}"), None).0, 404);
}

#[test]
fn a_csv_is_previewed_mapped_imported_and_exported() {
    let (_sim, gw, s) = gateway();
    let page = s.get(&gw.base, "/contacts/import");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("hx-encoding=\"multipart/form-data\""));

    // A file with a bad row: the preview names its line and reason, writes nothing.
    let csv = "phone,name,city,consent,consent_source\n+79161234567,Anna,Kazan,opted_in,shop\nnot a number,Bad,Omsk,,\n+79161234568,Boris,Perm,pending,web form\n";
    let r = upload(&gw, &s, "/contacts/import", Some(("clients.csv", csv)), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Rows that will not be imported"), "{}", r.body);
    assert!(
        r.body.contains("<td class=\"num\">3</td>"),
        "line 3 is the bad one: {}",
        r.body
    );
    assert!(r.body.contains("Import 2 rows"), "{}", r.body);
    assert!(
        r.body.contains("will be asked by SMS"),
        "a pending row asks for confirmation"
    );
    let (_, list) = gw.call("GET", "/v1/contacts", None);
    assert_eq!(
        list["contacts"].as_array().unwrap().len(),
        0,
        "a preview writes nothing"
    );

    // Confirmed: the same file through the same import; a summary.
    let r = upload(
        &gw,
        &s,
        "/contacts/import?confirm=1",
        Some(("clients.csv", csv)),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("clients.csv imported"), "{}", r.body);
    assert!(r.body.contains("contacts added"), "{}", r.body);
    let (_, c) = gw.call("GET", "/v1/contacts/+79161234567", None);
    assert_eq!(c["attributes"]["city"], "Kazan");
    assert_eq!(c["consent"]["source"], "shop");
    // Again: nothing new, no second request to confirm.
    let r = upload(
        &gw,
        &s,
        "/contacts/import?confirm=1",
        Some(("clients.csv", csv)),
        &[],
    );
    assert!(!r.body.contains("on its way"), "{}", r.body);

    // Headers it does not know: no phone column; the mapping says so and lets one choose.
    let odd = "Mobile no.;Client;Note\n8 916 555-00-11;Dora;call after 6\n";
    let r = upload(&gw, &s, "/contacts/import", Some(("odd.csv", odd)), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("No phone number column"), "{}", r.body);
    assert!(r.body.contains("name=\"map_0\""), "{}", r.body);
    let fp = sig(&r.body);
    let r = upload(
        &gw,
        &s,
        "/contacts/import",
        Some(("odd.csv", odd)),
        &[
            ("sig", &fp),
            ("map_0", "phone"),
            ("map_1", "name"),
            ("map_2", "ignore"),
        ],
    );
    assert!(r.body.contains("Import 1 row"), "{}", r.body);
    // The choices made for another file are not applied to this one.
    let r = upload(
        &gw,
        &s,
        "/contacts/import?confirm=1",
        Some(("odd.csv", odd)),
        &[("sig", "0000000000000000"), ("map_0", "phone")],
    );
    assert!(r.body.contains("No phone number column"), "{}", r.body);
    let r = upload(
        &gw,
        &s,
        "/contacts/import?confirm=1",
        Some(("odd.csv", odd)),
        &[
            ("sig", &fp),
            ("map_0", "phone"),
            ("map_1", "name"),
            ("map_2", "ignore"),
        ],
    );
    assert!(r.body.contains("odd.csv imported"), "{}", r.body);
    let (_, c) = gw.call("GET", "/v1/contacts/+79165550011", None);
    assert_eq!(c["name"], "Dora");
    assert_eq!(c["attributes"], json!({}), "the note was not imported");

    // No file, an empty file, a binary file: said in words.
    let r = upload(&gw, &s, "/contacts/import", None, &[]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Choose a CSV file first"), "{}", r.body);
    let r = upload(&gw, &s, "/contacts/import", Some(("empty.csv", "\n\n")), &[]);
    assert!(
        r.body.contains("not a CSV file we can read") || r.body.contains("empty"),
        "{}",
        r.body
    );

    // The same columns through the API.
    let auth = format!("Bearer {}", gw.token);
    let r = request(
        &gw.base,
        "POST",
        "/v1/contacts/import?dry_run=true&columns=1%3Dphone%2C2%3Dname%2C3%3Dignore",
        &[("Authorization", &auth), ("Content-Type", "text/csv")],
        odd.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let report: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(report["updated"], 1);
    assert_eq!(
        report["columns"][0],
        json!({"header": "Mobile no.", "field": "phone", "attribute": null, "chosen": true})
    );
    assert_eq!(report["columns"][2]["field"], "ignore");

    // Export: the CSV the API gives.
    let r = s.get(&gw.base, "/contacts/export");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(r.body.starts_with("phone,"), "{}", r.body);
    assert!(r.body.contains("+79161234567") && r.body.contains("Dora"));
}

#[test]
fn a_segment_is_built_with_a_live_count_saved_changed_and_deleted() {
    let (_sim, gw, s) = gateway();
    let r = s.get(&gw.base, "/segments");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("No segments yet"), "{}", r.body);
    for (phone, tags, spent, consent) in [
        ("+79160000001", json!(["vip"]), 5000, "opted_in"),
        ("+79160000002", json!(["vip"]), 100, "opted_in"),
        ("+79160000003", json!(["vip"]), 9000, "none"),
        ("+79160000004", json!([]), 9000, "opted_in"),
    ] {
        let mut c = json!({"phone": phone, "tags": tags, "attributes": {"spent": spent}});
        if consent == "opted_in" {
            c["consent"] = json!({"status": "opted_in", "source": "shop"});
        }
        add(&gw, c);
    }
    let page = s.get(&gw.base, "/segments/new");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"g0.c0.kind\""), "{}", page.body);

    // Live count: VIPs who spent over 1000 → two match, one reachable.
    let fields = [
        ("name", "Big VIPs"),
        ("g0.combine", "all"),
        ("g0.c0.kind", "tag"),
        ("g0.c0.op", "has"),
        ("g0.c0.value", "vip"),
        ("g0.c1.kind", "attr"),
        ("g0.c1.attr", "spent"),
        ("g0.c1.op", "gt"),
        ("g0.c1.value", "1 000"),
    ];
    let r = s.post_form(&gw.base, "/segments/preview", &fields);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"segment-count\">1</span>"), "{}", r.body);
    assert!(r.body.contains("2 contacts match"), "{}", r.body);
    assert!(r.body.contains("+79160000001") && !r.body.contains("+79160000003"));
    // OR across groups: add everyone who spent over 8000 → 3 reachable? no: 0003 has no consent.
    let mut or = fields.to_vec();
    or.extend([
        ("combine", "any"),
        ("g1.c0.kind", "attr"),
        ("g1.c0.attr", "spent"),
        ("g1.c0.op", "ge"),
        ("g1.c0.value", "8000"),
    ]);
    let r = s.post_form(&gw.base, "/segments/preview", &or);
    assert!(r.body.contains("id=\"segment-count\">2</span>"), "{}", r.body);
    // A value of the wrong type: the filter's refusal, in words, not a 500.
    let mut bad = fields.to_vec();
    bad[8] = ("g0.c1.value", "lots");
    let r = s.post_form(&gw.base, "/segments/preview", &bad);
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("This condition cannot be used") && r.body.contains("spent"),
        "{}",
        r.body
    );
    // A condition not filled in yet (a new form) is no error, just a hint.
    let mut blank = fields.to_vec();
    blank[4] = ("g0.c0.value", "");
    let r = s.post_form(&gw.base, "/segments/preview", &blank);
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("segment-incomplete") && !r.body.contains("cannot be used"),
        "{}",
        r.body
    );
    // Re-drawing the builder: a condition added, the kind changed.
    let mut more = fields.to_vec();
    more.push(("action", "add:0"));
    let r = s.post_form(&gw.base, "/segments/build", &more);
    assert!(
        r.body.contains("name=\"g0.c2.kind\"") && r.body.contains("hx-swap-oob"),
        "{}",
        r.body
    );

    // Saved: the API has the same filter.
    let r = s.post_form(&gw.base, "/segments", &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.header("location").unwrap().to_string();
    let id = loc
        .trim_start_matches("/segments/")
        .trim_end_matches("?saved=1")
        .to_string();
    let (_, seg) = gw.call("GET", &format!("/v1/segments/{id}"), None);
    assert_eq!(seg["name"], "Big VIPs");
    assert_eq!(
        seg["filter"],
        json!({"all": [{"tag": "vip"}, {"attr": "spent", "gt": 1000.0}]})
    );
    let r = s.get(&gw.base, &loc);
    assert!(r.body.contains("Saved.") && r.body.contains("value=\"Big VIPs\""));
    assert!(r.body.contains("id=\"segment-count\">1</span>"), "{}", r.body);
    // The list counts it as it shows.
    assert!(
        s.get(&gw.base, "/segments")
            .body
            .contains(&format!("/segments/{id}/count"))
    );
    assert_eq!(
        s.get(&gw.base, &format!("/segments/{id}/count")).body,
        "1 contact"
    );
    // A second segment with the same name: refused, what was built kept.
    let r = s.post_form(&gw.base, "/segments", &fields);
    assert_eq!(r.status, 409);
    assert!(r.body.contains("That name is taken") && r.body.contains("name=\"g0.c1.attr\""));
    // Changed: any of the conditions.
    let mut changed = fields.to_vec();
    changed[1] = ("g0.combine", "any");
    changed[0] = ("name", "VIPs or big spenders");
    let r = s.post_form(&gw.base, &format!("/segments/{id}"), &changed);
    assert_eq!(r.status, 303, "{}", r.body);
    let (_, seg) = gw.call("GET", &format!("/v1/segments/{id}"), None);
    assert_eq!(seg["name"], "VIPs or big spenders");
    assert_eq!(seg["filter"]["any"].as_array().unwrap().len(), 2);

    // A filter the builder cannot show: renamed only, its filter kept.
    let (st, api_seg) = gw.call(
        "POST",
        "/v1/segments",
        Some(json!({"name": "Nested", "filter": {"not": {"not": {"tag": "vip"}}}})),
    );
    assert_eq!(st, 201);
    let nid = api_seg["id"].as_str().unwrap();
    let r = s.get(&gw.base, &format!("/segments/{nid}"));
    assert!(r.body.contains("written through the API"), "{}", r.body);
    let r = s.post_form(
        &gw.base,
        &format!("/segments/{nid}"),
        &[("name", "Nested, renamed")],
    );
    assert_eq!(r.status, 303);
    let (_, seg) = gw.call("GET", &format!("/v1/segments/{nid}"), None);
    assert_eq!(seg["filter"], json!({"not": {"not": {"tag": "vip"}}}));

    // Deleted.
    let r = s.post_form(&gw.base, &format!("/segments/{id}/delete"), &[]);
    assert_eq!(r.status, 303);
    assert_eq!(gw.call("GET", &format!("/v1/segments/{id}"), None).0, 404);
    assert_eq!(s.get(&gw.base, &format!("/segments/{id}")).status, 404);
    assert_eq!(s.get(&gw.base, "/segments/x1").status, 404);
}
