//! Triage at volume through the API: the queue's filters and orders, many
//! events assessed at once (each on its own), and events added to an
//! existing incident from triage.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, escalated_event, fields, incident, reported_event};
use crate::on_both_backends;
use crate::web::person;

on_both_backends!(
    bulk_assessment_does_each_item_on_its_own,
    bulk_assessment_refuses_bad_lists_and_roles,
    the_queue_filters_and_sorts,
    events_join_an_existing_incident_from_triage,
    the_web_queue_refuses_bad_filters_and_forms,
    the_queue_is_read_from_indexes_in_its_order,
);

/// The journal actions recorded about `entity`, in order.
async fn actions(app: &TestApp, entity: &str) -> Vec<String> {
    let (status, page) = app
        .get(&format!("/api/v1/journal?entity={entity}"), &app.admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

/// The numbers of a page of events.
fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|e| e["number"].as_str().unwrap().to_owned())
        .collect()
}

async fn bulk(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/events/assessments", token, body).await
}

/// A sensor's alert with a severity; returns its number.
async fn alert(app: &TestApp, sensor: &str, title: &str, severity: Option<&str>) -> String {
    let mut body = json!({"title": title, "description": "sensor alert",
        "source": {"kind": "sensor", "name": "ids-edge", "ref": title}});
    if let Some(s) = severity {
        body["severity"] = json!(s);
    }
    app.post_ok("/api/v1/events", sensor, body, StatusCode::CREATED)
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `journal verify --records` finds every record as its journal gives it.
fn records_verify(app: &TestApp) {
    let out = app.cli(&["journal", "verify", "--records"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn bulk_assessment_does_each_item_on_its_own(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let paula = app.user("paula", &[Role::Poc]).await;
    let mut events = Vec::new();
    for i in 0..4 {
        events.push(reported_event(&app, &pat, &format!("Scanner noise {i}")).await);
    }
    // Someone else assessed the third one a moment earlier.
    app.post_ok(
        &format!("/api/v1/events/{}/assessment", events[2]),
        &paula,
        json!({"decision": "handled_locally", "notes": "rebooted the printer"}),
        StatusCode::OK,
    )
    .await;
    let before = actions(&app, &events[2]).await;

    let (status, answer) = bulk(
        &app,
        &pat,
        json!({"events": events, "decision": "false_alarm", "reason": "weekly vulnerability scan"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["done"].as_u64(), answer["refused"].as_u64()),
        (Some(3), Some(1))
    );
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["event"], events[i], "results come in the order asked");
        if i == 2 {
            assert_eq!(r["outcome"], "refused", "{r}");
            assert_eq!(r["code"], "conflict");
            let reason = r["reason"].as_str().unwrap();
            assert!(reason.contains("already assessed by paula"), "{reason}");
        } else {
            assert_eq!(r["outcome"], "done", "{r}");
            assert_eq!(r["status"], "false_alarm");
        }
    }
    // The refused one is exactly as paula left it; the others carry the reason.
    let (_, third) = app
        .get(&format!("/api/v1/events/{}", events[2]), &pat)
        .await;
    assert_eq!(third["status"], "handled_locally");
    assert_eq!(third["assessment"]["by"], "paula");
    assert_eq!(actions(&app, &events[2]).await, before);
    for n in [&events[0], &events[1], &events[3]] {
        let (_, e) = app.get(&format!("/api/v1/events/{n}"), &pat).await;
        assert_eq!(e["status"], "false_alarm");
        assert_eq!(e["assessment"]["notes"], "weekly vulnerability scan");
        assert_eq!(e["assessment"]["by"], "pat");
        assert_eq!(actions(&app, n).await, ["event.reported", "event.assessed"]);
    }

    // Escalating many at once: each becomes a possible incident.
    let a = reported_event(&app, &pat, "Odd VPN logins").await;
    let b = reported_event(&app, &pat, "Odd VPN logins again").await;
    let (status, answer) = bulk(
        &app,
        &pat,
        json!({"events": [a, b], "decision": "possible_incident", "notes": "same source"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["done"], 2);
    let (_, e) = app.get(&format!("/api/v1/events/{b}"), &pat).await;
    assert_eq!(e["status"], "escalated");
    records_verify(&app);
}

async fn bulk_assessment_refuses_bad_lists_and_roles(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let n = reported_event(&app, &pat, "Phishing mail").await;
    let journal = app.journal_len().await;

    // Too many: nothing is done, the list is named.
    let many: Vec<String> = (1..=101).map(|i| format!("EVT-2026-{i:06}")).collect();
    let (status, problem) = bulk(
        &app,
        &pat,
        json!({"events": many, "decision": "false_alarm", "reason": "noise"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["events"]);
    assert!(problem.to_string().contains("at most 100"), "{problem}");

    // A bad item is named by its index.
    let (status, problem) = bulk(
        &app,
        &pat,
        json!({"events": [n, "EVT-nope"], "decision": "false_alarm", "reason": "noise"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["events[1]"]);
    // Twice the same event.
    let (status, problem) = bulk(
        &app,
        &pat,
        json!({"events": [n, n], "decision": "false_alarm", "reason": "noise"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["events[1]"]);
    // Empty, a false alarm without its reason, a link without its incident, an unknown decision.
    for (body, field) in [
        (
            json!({"events": [], "decision": "false_alarm", "reason": "x"}),
            "events",
        ),
        (json!({"events": [n], "decision": "false_alarm"}), "reason"),
        (json!({"events": [n], "decision": "link"}), "incident"),
        (
            json!({"events": [n], "decision": "link", "incident": "INC-1"}),
            "incident",
        ),
        (json!({"events": [n], "decision": "shrug"}), "decision"),
        (
            json!({"events": [n], "decision": "possible_incident", "reason": "x"}),
            "reason",
        ),
    ] {
        let (status, problem) = bulk(&app, &pat, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{body}: {problem}");
    }
    // A reporter may not assess; a point of contact may not link.
    let (status, _) = bulk(
        &app,
        &rita,
        json!({"events": [n], "decision": "false_alarm", "reason": "noise"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bulk(
        &app,
        &pat,
        json!({"events": [n], "decision": "link", "incident": "INC-2026-0001"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.journal_len().await, journal, "nothing was journaled");
    let (_, e) = app.get(&format!("/api/v1/events/{n}"), &pat).await;
    assert_eq!(e["status"], "reported");
}

async fn the_queue_filters_and_sorts(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ids = app.user("ids", &[Role::Reporter]).await;
    let low = alert(&app, &ids, "Low alert", Some("low")).await;
    let critical = alert(&app, &ids, "Critical alert", Some("critical")).await;
    let person = reported_event(&app, &pat, "Laptop stolen").await;
    let high = alert(&app, &ids, "High alert", Some("high")).await;
    let critical2 = alert(&app, &ids, "Second critical alert", Some("critical")).await;
    let gone = alert(&app, &ids, "Assessed alert", Some("critical")).await;
    app.post_ok(
        &format!("/api/v1/events/{gone}/assessment"),
        &pat,
        json!({"decision": "false_alarm"}),
        StatusCode::OK,
    )
    .await;
    // A public report through the public form's account.
    let public = app
        .service
        .report_event(
            &rampart_domain::Actor::new("public", vec![Role::Reporter]),
            serde_json::from_value(json!({"title": "Your site leaks", "description": "from outside", "anonymous": true}))
                .unwrap(),
        )
        .await
        .unwrap()
        .number
        .to_string();

    // The queue by severity: most severe first, the same severity oldest
    // first, unknown severity last (oldest first).
    let (status, page) = app
        .get("/api/v1/events?stage=queue&sort=severity", &pat)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        numbers(&page),
        [
            critical.as_str(),
            critical2.as_str(),
            high.as_str(),
            low.as_str(),
            person.as_str(),
            public.as_str()
        ]
    );
    // Paged with cursors, the same order.
    let (_, first) = app
        .get("/api/v1/events?stage=queue&sort=severity&limit=2", &pat)
        .await;
    assert_eq!(numbers(&first), [critical.as_str(), critical2.as_str()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, second) = app
        .get(
            &format!("/api/v1/events?stage=queue&sort=severity&limit=3&cursor={cursor}"),
            &pat,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        numbers(&second),
        [high.as_str(), low.as_str(), person.as_str()]
    );
    // A page that ends inside a severity goes on with the same severity.
    let (_, one) = app
        .get("/api/v1/events?stage=queue&sort=severity&limit=1", &pat)
        .await;
    assert_eq!(numbers(&one), [critical.as_str()]);
    let cursor = one["next_cursor"].as_str().unwrap();
    let (_, next) = app
        .get(
            &format!("/api/v1/events?stage=queue&sort=severity&limit=1&cursor={cursor}"),
            &pat,
        )
        .await;
    assert_eq!(numbers(&next), [critical2.as_str()]);
    // Oldest first.
    let (_, page) = app
        .get("/api/v1/events?stage=queue&sort=oldest", &pat)
        .await;
    assert_eq!(
        numbers(&page),
        [
            low.as_str(),
            critical.as_str(),
            person.as_str(),
            high.as_str(),
            critical2.as_str(),
            public.as_str()
        ]
    );
    // Filters: severity, reporter kind, source, age; past events apart.
    let (_, page) = app
        .get("/api/v1/events?stage=queue&severity=critical", &pat)
        .await;
    assert_eq!(numbers(&page), [critical2.as_str(), critical.as_str()]);
    let (_, page) = app
        .get("/api/v1/events?stage=queue&reporter=public", &pat)
        .await;
    assert_eq!(numbers(&page), [public.as_str()]);
    assert_eq!(
        page["items"][0]["submitted_by"], "public",
        "the channel stays visible"
    );
    let (_, page) = app
        .get("/api/v1/events?stage=queue&reporter=employee", &pat)
        .await;
    assert_eq!(numbers(&page), [person.as_str()]);
    let (_, page) = app
        .get(
            "/api/v1/events?stage=queue&source=ids-edge&sort=oldest",
            &pat,
        )
        .await;
    assert_eq!(
        numbers(&page),
        [
            low.as_str(),
            critical.as_str(),
            high.as_str(),
            critical2.as_str()
        ]
    );
    let (_, page) = app
        .get(
            "/api/v1/events?stage=queue&before=2000-01-01T00:00:00Z",
            &pat,
        )
        .await;
    assert!(numbers(&page).is_empty());
    let (_, page) = app
        .get(
            "/api/v1/events?stage=queue&before=2999-01-01T00:00:00Z&severity=high",
            &pat,
        )
        .await;
    assert_eq!(numbers(&page), [high.as_str()]);
    let (_, page) = app.get("/api/v1/events?stage=past", &pat).await;
    assert_eq!(numbers(&page), [gone.as_str()]);
    // Bad values are refused, naming the parameter.
    for (query, field) in [
        ("severity=urgent", "severity"),
        ("reporter=robot", "reporter"),
        ("sort=random", "sort"),
        ("stage=later", "stage"),
        ("sort=severity&cursor=1.2.3", "cursor"),
    ] {
        let (status, problem) = app.get(&format!("/api/v1/events?{query}"), &pat).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert!(problem.to_string().contains(field), "{query}: {problem}");
    }
}

async fn events_join_an_existing_incident_from_triage(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let oli = app.user("oli", &[Role::IsirtMember]).await;
    let inc = incident(&app, &pat, &ian, "ian", "Ransomware on file server").await;
    let escalated = escalated_event(&app, &pat, "More encrypted shares").await;
    let reported = reported_event(&app, &pat, "Ransom note on a desktop").await;
    let done = reported_event(&app, &pat, "Printer jam").await;
    app.post_ok(
        &format!("/api/v1/events/{done}/assessment"),
        &pat,
        json!({"decision": "false_alarm"}),
        StatusCode::OK,
    )
    .await;

    let (status, answer) = bulk(
        &app,
        &ian,
        json!({"events": [escalated, reported, done], "decision": "link", "incident": inc}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["outcome"], "done", "{answer}");
    assert_eq!(results[0]["incident"], inc);
    assert_eq!(results[1]["outcome"], "done", "{answer}");
    assert_eq!(results[2]["outcome"], "refused");
    assert_eq!(results[2]["code"], "conflict");
    let (_, view) = app.get(&format!("/api/v1/incidents/{inc}"), &ian).await;
    let linked: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(linked.contains(&escalated.as_str()) && linked.contains(&reported.as_str()));
    assert!(!linked.contains(&done.as_str()));
    // The event not yet assessed was assessed as a possible incident first, in the same step.
    let (_, e) = app.get(&format!("/api/v1/events/{reported}"), &ian).await;
    assert_eq!(e["status"], "linked");
    assert_eq!(e["incident"], inc);
    assert_eq!(e["assessment"]["decision"], "possible_incident");
    assert_eq!(
        actions(&app, &reported).await,
        ["event.reported", "event.assessed"]
    );
    let inc_actions = actions(&app, &inc).await;
    assert_eq!(
        inc_actions
            .iter()
            .filter(|a| *a == "incident.event_linked")
            .count(),
        2,
        "{inc_actions:?}"
    );

    // A restricted incident the caller is not named on does not exist for them.
    let secret = incident(&app, &pat, &ian, "ian", "Board member mailbox").await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{secret}/restriction"),
            Some(&ian),
            Some(json!({"users": ["ian"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let other = escalated_event(&app, &pat, "Mailbox rule").await;
    let (_, answer) = bulk(
        &app,
        &oli,
        json!({"events": [other], "decision": "link", "incident": secret}),
    )
    .await;
    assert_eq!(answer["results"][0]["outcome"], "refused", "{answer}");
    assert_eq!(answer["results"][0]["code"], "not_found");
    let unknown = answer["results"][0]["reason"].as_str().unwrap().to_owned();
    // ... exactly as an incident that does not exist at all.
    let (_, answer) = bulk(
        &app,
        &oli,
        json!({"events": [other], "decision": "link", "incident": "INC-2026-9999"}),
    )
    .await;
    assert_eq!(answer["results"][0]["code"], "not_found");
    assert_eq!(
        answer["results"][0]["reason"]
            .as_str()
            .unwrap()
            .replace("INC-2026-9999", &secret),
        unknown
    );
    // A closed incident takes no more events.
    for to in ["responding", "recovering"] {
        app.post_ok(
            &format!("/api/v1/incidents/{inc}/transitions"),
            &ian,
            json!({"to": to, "reason": "moving on"}),
            StatusCode::OK,
        )
        .await;
    }
    app.post_ok(
        &format!("/api/v1/incidents/{inc}/transitions"),
        &ian,
        json!({"to": "closed", "reason": "done", "resolution": "restored from backup"}),
        StatusCode::OK,
    )
    .await;
    // An event not yet assessed is not left half-done: no assessment without the link.
    let fresh = reported_event(&app, &pat, "Another ransom note").await;
    let (_, answer) = bulk(
        &app,
        &ian,
        json!({"events": [other, fresh], "decision": "link", "incident": inc}),
    )
    .await;
    assert_eq!(answer["refused"], 2, "{answer}");
    for r in answer["results"].as_array().unwrap() {
        assert_eq!(r["outcome"], "refused", "{answer}");
        assert!(r["reason"].as_str().unwrap().contains("closed"), "{answer}");
    }
    let (_, e) = app.get(&format!("/api/v1/events/{other}"), &ian).await;
    assert_eq!(e["status"], "escalated", "a refused item is left as it was");
    let (_, e) = app.get(&format!("/api/v1/events/{fresh}"), &ian).await;
    assert_eq!(e["status"], "reported", "{e}");
    assert!(e["assessment"].is_null(), "{e}");
    assert_eq!(actions(&app, &fresh).await, ["event.reported"]);
    records_verify(&app);
}

async fn the_web_queue_refuses_bad_filters_and_forms(app: TestApp) {
    let (pat_token, pat) = person(&app, "pat", &[Role::Poc]).await;
    let (_, rita) = person(&app, "rita", &[Role::Reporter]).await;
    let n = reported_event(&app, &pat_token, "Suspicious USB stick").await;

    // Filters are bookmarkable, and a bad one names the parameter.
    let page = pat
        .get("/triage?severity=low&reporter=employee&age=1h&sort=oldest")
        .await;
    page.assert_status(StatusCode::OK);
    for (query, name) in [
        ("severity=urgent", "severity"),
        ("reporter=robot", "reporter"),
        ("age=1y", "age"),
        ("sort=random", "sort"),
        ("category=Nope!", "category"),
    ] {
        let page = pat.get(&format!("/triage?{query}")).await;
        page.assert_status(StatusCode::BAD_REQUEST);
        assert!(
            page.body.contains(&format!("filter `{name}`")),
            "{query}: {}",
            page.body
        );
    }
    let page = pat.get("/events?status=reported").await;
    page.assert_status(StatusCode::BAD_REQUEST);
    assert!(page.body.contains("filter `status`"), "{}", page.body);

    // A bulk form without a selection or a reason changes nothing and names what is missing.
    let journal = app.journal_len().await;
    let page = pat
        .submit(
            "/triage/assess",
            &[("decision", "false_alarm"), ("reason", "noise")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("tick at least one event"),
        "{}",
        page.body
    );
    let page = pat
        .submit(
            "/triage/assess",
            &[("events", &n), ("decision", "false_alarm")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("say why these are false alarms"));
    assert!(
        page.body.contains(&format!(
            r#"value="{n}" id="pick-{n}" aria-label="Select {n}" checked"#
        )),
        "the selection is kept"
    );
    // A point of contact may not link; a reporter may not assess.
    let page = pat
        .submit(
            "/triage/assess",
            &[
                ("events", &n),
                ("decision", "link"),
                ("incident", "INC-2026-0001"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = rita
        .submit(
            "/triage/assess",
            &[("events", &n), ("decision", "false_alarm"), ("reason", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.journal_len().await, journal);

    // Done, the outcome is shown; the event leaves the queue for the past events.
    let page = pat
        .submit(
            "/triage/assess",
            &[
                ("events", &n),
                ("decision", "false_alarm"),
                ("reason", "a colleague's stick"),
            ],
        )
        .await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(r#"id="outcome""#), "{}", page.body);
    assert!(page.body.contains("now false alarm"));
    let past = pat.get("/events?q=usb").await;
    past.assert_status(StatusCode::OK);
    assert!(past.body.contains(&n) && past.body.contains("a colleague"));
    // The same form again: refused for that event, with who did it.
    let page = pat
        .submit(
            "/triage/assess",
            &[
                ("events", &n),
                ("decision", "false_alarm"),
                ("reason", "again"),
            ],
        )
        .await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains("already assessed by pat"),
        "{}",
        page.body
    );
    let page = rita.get("/events").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

/// The lists' statements, as the store writes them (`sql/events.rs`), with
/// values in place of the placeholders.
const LIST_SHAPES: [&str; 4] = [
    // The queue, most severe first (the default), a filter and a cursor.
    "SELECT severity_rank, id, data FROM events WHERE stage = 'queue' AND reporter_kind = 'public' \
     AND (severity_rank < 3 OR (severity_rank = 3 AND id > 5)) ORDER BY severity_rank DESC, id LIMIT 51",
    // The queue, oldest first, older than a day.
    "SELECT id, data FROM events WHERE stage = 'queue' AND reported_at < '2026-01-01T00:00:00Z' ORDER BY id LIMIT 51",
    // The queue, newest first.
    "SELECT id, data FROM events WHERE stage = 'queue' AND severity_rank = 5 ORDER BY id DESC LIMIT 51",
    // The past events of one status.
    "SELECT id, data FROM events WHERE stage = 'past' AND status = 'linked' ORDER BY id DESC LIMIT 51",
];

/// Every list of the triage work is read from an index in its own order:
/// no table scan and no sort of the rows, however many events there are.
async fn the_queue_is_read_from_indexes_in_its_order(app: TestApp) {
    use sqlx::{Connection, Row};
    let pat = app.user("pat", &[Role::Poc]).await;
    reported_event(&app, &pat, "One event, so the table is not empty").await;
    let (kind, target) = (&app.storage_args[0], &app.storage_args[1]);
    // The past events, searched for rare text, through the trigram index.
    let searched = if kind == "--data-dir" {
        "SELECT id, data FROM events WHERE stage = 'past' AND instr(search, 'scan') > 0 \
         AND id IN (SELECT rowid FROM events_text WHERE events_text MATCH '\"sca\" AND \"can\"' \
         UNION ALL SELECT row FROM search_pending WHERE tbl = 'events') ORDER BY id DESC LIMIT 51"
    } else {
        // Found through the trigram index, then sorted (few rows): never by
        // reading the stage's index in order and checking every row.
        "SELECT id, data FROM events WHERE stage = 'past' AND strpos(search, 'scan') > 0 \
         AND id IN (SELECT id FROM events_text WHERE strpos(search, 'scan') > 0 \
         AND search LIKE '%sca%' AND search LIKE '%can%' \
         UNION ALL SELECT row FROM search_pending WHERE tbl = 'events') ORDER BY id + 0 DESC LIMIT 51"
    };
    for sql in LIST_SHAPES.into_iter().chain([searched]) {
        let plan: Vec<String> = if kind == "--data-dir" {
            let url = format!("sqlite://{target}/rampart.db?mode=ro");
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>("detail"))
                .collect()
        } else {
            let mut conn = sqlx::PgConnection::connect(target).await.unwrap();
            // A tiny table is cheaper to scan; forbid that to see what the indexes allow.
            sqlx::raw_sql("SET enable_seqscan = off")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect()
        };
        let text = plan.join("\n") + "\n";
        if sql == searched && kind != "--data-dir" {
            // The few rows found are sorted; on a table this small they
            // may as well be found through the stage's index.
            assert!(
                text.contains("events_text_search") && text.contains("search_pending_rows"),
                "{sql}:\n{text}"
            );
            assert!(!text.contains("Seq Scan"), "{sql}:\n{text}");
            continue;
        }
        // The stage's indexes, or (for one severity) the severity's.
        assert!(
            text.contains("events_stage") || text.contains("events_severity"),
            "{sql}:\n{text}"
        );
        for bad in ["SCAN events\n", "TEMP B-TREE", "Seq Scan", "Sort"] {
            assert!(!text.contains(bad), "{sql}:\n{text}");
        }
    }
}
