//! The scheme's figures end to end: a scenario played on a node whose
//! clock the test sets, read back through the API and equal to the figures
//! worked out by hand; an exercise in the same month changes nothing;
//! filters narrow, bad requests name their field, roles are checked; the
//! page shows the same numbers.

use std::sync::Arc;

use rampart_app::App;
use rampart_domain::{
    Actor, ClassTargets, EventNumber, IncidentNumber, ManualClock, ResponseTargets, Role,
    SeverityClass, Timestamp,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::helpers::{Backend, TestApp, fields};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_equal_the_hand_computed_ones_on_sqlite() {
    figures_equal_the_hand_computed_ones(Backend::Sqlite, "figures_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_equal_the_hand_computed_ones_on_postgres() {
    figures_equal_the_hand_computed_ones(Backend::Postgres, "figures_pg").await;
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

const IV: &str = r#"{"system_importance": "particularly_important", "business_loss": "especially_serious", "social_impact": "minor"}"#;
const III: &str =
    r#"{"system_importance": "important", "business_loss": "serious", "social_impact": "minor"}"#;
const I: &str =
    r#"{"system_importance": "ordinary", "business_loss": "minor", "social_impact": "minor"}"#;

/// The node the scenario is played on, its clock and its people.
struct Play {
    node: Arc<App>,
    clock: Arc<ManualClock>,
    pat: Actor,
    ian: Actor,
}

impl Play {
    async fn report(&self, when: &str, title: &str) -> EventNumber {
        self.clock.set(at(when));
        self.node
            .report_event(
                &self.pat,
                from(json!({"title": title, "description": "Seen on the floor"})),
            )
            .await
            .unwrap()
            .number
    }

    async fn assess(&self, when: &str, n: EventNumber, decision: &str) {
        self.clock.set(at(when));
        self.node
            .assess_event(&self.pat, n, from(json!({"decision": decision})))
            .await
            .unwrap();
    }

    async fn confirm(
        &self,
        when: &str,
        event: EventNumber,
        aware: &str,
        severity: &str,
        category: &str,
    ) -> IncidentNumber {
        self.clock.set(at(when));
        let severity: Value = serde_json::from_str(severity).unwrap();
        self.node
            .confirm_incident(
                &self.ian,
                from(
                    json!({"events": [event.to_string()], "title": format!("From {event}"),
                    "category": category, "severity": severity, "effort": "low",
                    "coordinator": "ian", "aware_at": aware}),
                ),
            )
            .await
            .unwrap()
            .number
    }

    async fn patch(&self, when: &str, n: IncidentNumber, patch: Value) {
        self.clock.set(at(when));
        self.node
            .patch_incident(&self.ian, n, from(patch))
            .await
            .unwrap();
    }

    async fn to(&self, when: &str, n: IncidentNumber, body: Value) {
        self.clock.set(at(when));
        self.node
            .transition(&self.ian, n, from(body))
            .await
            .unwrap();
    }

    /// Responding, then recovering (contained at `contained`), then closed.
    async fn close(&self, n: IncidentNumber, contained: &str, recovering: &str, closed: &str) {
        self.to(
            recovering,
            n,
            json!({"to": "responding", "reason": "on it"}),
        )
        .await;
        self.to(
            recovering,
            n,
            json!({"to": "recovering", "reason": "contained", "contained_at": contained}),
        )
        .await;
        self.to(
            closed,
            n,
            json!({"to": "closed", "reason": "done", "resolution": "Cleaned and restored"}),
        )
        .await;
    }
}

fn seconds(v: &Value) -> Option<i64> {
    v["seconds"].as_i64()
}

async fn figures_equal_the_hand_computed_ones(backend: Backend, test: &str) {
    // The whole installation runs on a clock the test sets.
    let clock = Arc::new(ManualClock::new(at("2025-03-01T00:00:00Z")));
    let Some(app) = TestApp::spawn_on(backend, test, |_| {}, clock.clone()).await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    let sam = app.user("sam", &[Role::SeniorManager]).await;
    // Targets every class shares: confirm in 3 h, contain in 12 h, close in 48 h.
    let row = |class| ClassTargets {
        class,
        triage_minutes: 60,
        assess_minutes: 120,
        confirm_minutes: 180,
        contain_minutes: 720,
        close_minutes: 2880,
    };
    let current = app.service.targets().await.unwrap();
    app.service
        .replace_targets(
            &Actor::system(),
            ResponseTargets {
                version: current.version,
                classes: SeverityClass::ALL.iter().map(|c| row(*c)).collect(),
                escalation: current.escalation.clone(),
            },
        )
        .await
        .unwrap();

    let play = Play {
        node: app.service.clone(),
        clock: clock.clone(),
        pat: Actor::new("pat", vec![Role::Poc]),
        ian: Actor::new("ian", vec![Role::IsirtMember]),
    };

    // March 2025. A: class IV, detected in 24 h, acknowledged in 2 h,
    // contained in 4 h, resolved in 48 h; costs EUR 800 + 15,100.75.
    let e1 = play.report("2025-03-02T09:00:00Z", "Ransom note").await;
    play.assess("2025-03-02T09:30:00Z", e1, "possible_incident")
        .await;
    let a = play
        .confirm(
            "2025-03-02T11:00:00Z",
            e1,
            "2025-03-02T10:00:00Z",
            IV,
            "malware",
        )
        .await;
    play.patch(
        "2025-03-02T11:05:00Z",
        a,
        json!({"occurred_at": "2025-03-01T09:00:00Z", "discovered_at": "2025-03-02T09:00:00Z",
               "rsit": {"class": "malicious-code", "type": "infected-system"},
               "cia_impact": {"confidentiality": {"cost": {"amount": 800, "currency": "EUR"}}},
               "recovery_cost_total": {"amount": 15100.75, "currency": "EUR"}}),
    )
    .await;
    play.close(
        a,
        "2025-03-02T14:00:00Z",
        "2025-03-02T15:00:00Z",
        "2025-03-04T10:00:00Z",
    )
    .await;
    // A false alarm, one handled locally, one not assessed yet.
    let e4 = play.report("2025-03-05T10:00:00Z", "Printer alarm").await;
    play.assess("2025-03-05T10:05:00Z", e4, "false_alarm").await;
    let e5 = play.report("2025-03-06T10:00:00Z", "Lost badge").await;
    play.assess("2025-03-06T10:05:00Z", e5, "handled_locally")
        .await;
    play.report("2025-03-07T10:00:00Z", "Strange mail").await;

    // B: class III, acknowledged in 4 h, contained in 22 h, resolved in 24 h; USD 5.
    let e2 = play.report("2025-03-10T08:00:00Z", "Odd logins").await;
    play.assess("2025-03-10T08:30:00Z", e2, "possible_incident")
        .await;
    let b = play
        .confirm(
            "2025-03-10T12:00:00Z",
            e2,
            "2025-03-10T08:00:00Z",
            III,
            "malware",
        )
        .await;
    play.patch(
        "2025-03-10T12:05:00Z",
        b,
        json!({"recovery_cost_total": {"amount": 5, "currency": "USD"}}),
    )
    .await;
    play.close(
        b,
        "2025-03-11T06:00:00Z",
        "2025-03-11T07:00:00Z",
        "2025-03-11T08:00:00Z",
    )
    .await;
    // An exercise in March: its event and incident count nowhere.
    app.post_ok(
        "/api/v1/exercises",
        &mia,
        json!({"id": "march-drill", "title": "March drill", "scenario": "Encrypted shares",
               "audience": ["ian", "mia"],
               "injects": [{"at_minute": 0, "title": "Shares encrypted", "description": "Every share holds a ransom note"}]}),
        StatusCode::CREATED,
    )
    .await;
    clock.set(at("2025-03-15T00:00:00Z"));
    play.node
        .start_exercise(&Actor::new("mia", vec![Role::IsirtManager]), "march-drill")
        .await
        .unwrap();
    play.node.run_due_jobs().await;
    let (_, x) = app.get("/api/v1/exercises/march-drill", &mia).await;
    let drill: EventNumber = x["injects"][0]["delivered"]["event"]
        .as_str()
        .unwrap_or_else(|| panic!("{x}"))
        .parse()
        .unwrap();
    play.assess("2025-03-15T00:10:00Z", drill, "possible_incident")
        .await;
    let d = play
        .confirm(
            "2025-03-15T00:20:00Z",
            drill,
            "2025-03-15T00:00:00Z",
            IV,
            "malware",
        )
        .await;
    play.close(
        d,
        "2025-03-15T00:30:00Z",
        "2025-03-15T00:40:00Z",
        "2025-03-15T00:50:00Z",
    )
    .await;

    // C: class I, acknowledged in 30 min, still open.
    let e3 = play.report("2025-03-31T23:00:00Z", "Port scan").await;
    play.assess("2025-03-31T23:10:00Z", e3, "possible_incident")
        .await;
    let c = play
        .confirm(
            "2025-03-31T23:30:00Z",
            e3,
            "2025-03-31T23:00:00Z",
            I,
            "technical_attack",
        )
        .await;

    // April: one more, outside March.
    let e7 = play
        .report("2025-04-01T00:00:00Z", "Ransom note again")
        .await;
    play.assess("2025-04-01T00:10:00Z", e7, "possible_incident")
        .await;
    play.confirm(
        "2025-04-01T01:00:00Z",
        e7,
        "2025-04-01T00:00:00Z",
        IV,
        "malware",
    )
    .await;

    let (status, f) = app
        .get("/api/v1/figures?from=2025-03&to=2025-04", &aud)
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let march = &f["periods"][0];
    assert_eq!(march["period"]["label"], "2025-03", "{f}");
    assert_eq!(f["periods"][1]["period"]["label"], "2025-04");
    assert_eq!(f["total"]["period"]["label"], "2025-03 to 2025-04");
    let hour = 3600;
    let t = &march["times"];
    assert_eq!(t["incidents"], 3, "{march}");
    assert_eq!(
        (t["mttd"]["count"].as_i64(), seconds(&t["mttd"])),
        (Some(1), Some(24 * hour))
    );
    // (2 h + 4 h + 30 min) / 3
    assert_eq!(
        (t["mtta"]["count"].as_i64(), seconds(&t["mtta"])),
        (Some(3), Some(7800))
    );
    // (4 h + 22 h) / 2
    assert_eq!(
        (t["mttc"]["count"].as_i64(), seconds(&t["mttc"])),
        (Some(2), Some(13 * hour))
    );
    // (48 h + 24 h) / 2
    assert_eq!(
        (t["mttr"]["count"].as_i64(), seconds(&t["mttr"])),
        (Some(2), Some(36 * hour))
    );
    let by_class: Vec<(String, i64)> = march["by_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["class"].as_str().unwrap().to_owned(),
                c["incidents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_class,
        [
            ("I".to_owned(), 1),
            ("III".to_owned(), 1),
            ("IV".to_owned(), 1)
        ]
    );
    let malware = march["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "malware")
        .unwrap();
    // A and B: (2 h + 4 h) / 2
    assert_eq!(
        (malware["incidents"].as_i64(), seconds(&malware["mtta"])),
        (Some(2), Some(3 * hour))
    );
    assert_eq!(
        march["by_rsit"],
        json!([{"rsit_type": "infected-system", "count": 1}, {"rsit_type": "unclassified", "count": 2}])
    );
    assert_eq!(
        march["incidents_by_source"],
        json!([{"source": "person", "count": 3}])
    );
    // Six events; five assessed (three became incidents), one false alarm.
    assert_eq!(
        march["events_by_source"],
        json!([{"source": "person", "count": 6}])
    );
    assert_eq!(
        (
            &march["events"],
            &march["assessed"],
            &march["false_alarms"],
            &march["false_alarm_permille"]
        ),
        (&json!(6), &json!(5), &json!(1), &json!(200)),
        "{march}"
    );
    assert_eq!(
        march["costs"],
        json!([{"currency": "EUR", "hundredths": 1_590_075}, {"currency": "USD", "hundredths": 500}])
    );
    // Confirm: A 2 h and C 30 min within 3 h, B 4 h late. Contain: A 4 h
    // within 12 h, B 22 h late. Close: A 48 h and B 24 h within 48 h.
    assert_eq!(
        march["targets"],
        json!([
            {"stage": "confirm", "met": 2, "missed": 1, "percent": 66},
            {"stage": "contain", "met": 1, "missed": 1, "percent": 50},
            {"stage": "close", "met": 2, "missed": 0, "percent": 100},
        ])
    );
    let april = &f["periods"][1];
    assert_eq!(april["times"]["incidents"], 1);
    assert_eq!(april["events"], 1);
    assert_eq!(f["total"]["times"]["incidents"], 4);
    assert_eq!(f["total"]["events"], 7);

    // By quarter: Q1 is March's figures.
    let (_, q) = app
        .get(
            "/api/v1/figures?granularity=quarter&from=2025-Q1&to=2025-Q2",
            &sam,
        )
        .await;
    assert_eq!(q["periods"][0]["period"]["label"], "2025-Q1", "{q}");
    assert_eq!(q["periods"][0]["times"], march["times"]);
    assert_eq!(q["periods"][0]["targets"], march["targets"]);

    // Filters narrow the incidents (and, by source, the events).
    for (query, incidents, events) in [
        ("class=IV", 1, 6),
        ("category=technical_attack", 1, 6),
        ("source=sensor", 0, 0),
        ("source=person", 3, 6),
    ] {
        let (status, f) = app
            .get(
                &format!("/api/v1/figures?from=2025-03&to=2025-03&{query}"),
                &ian,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {f}");
        assert_eq!(f["periods"].as_array().unwrap().len(), 1);
        assert_eq!(f["total"]["times"]["incidents"], incidents, "{query}: {f}");
        assert_eq!(f["total"]["events"], events, "{query}: {f}");
    }
    let (_, f) = app
        .get("/api/v1/figures?from=2025-03&to=2025-03&class=IV", &ian)
        .await;
    assert_eq!(seconds(&f["total"]["times"]["mttr"]), Some(48 * hour));

    // A quarter stands for its months, a month for its quarter.
    let (_, f) = app
        .get("/api/v1/figures?from=2025-Q1&to=2025-Q1", &mia)
        .await;
    let labels: Vec<&str> = f["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2025-01", "2025-02", "2025-03"], "{f}");
    let (_, f) = app
        .get(
            "/api/v1/figures?granularity=quarter&from=2025-03&to=2025-04",
            &mia,
        )
        .await;
    assert_eq!(f["total"]["period"]["label"], "2025-Q1 to 2025-Q2", "{f}");
    assert_eq!(f["total"]["times"]["incidents"], 4);

    // The default range is the twelve months up to now.
    let (_, f) = app.get("/api/v1/figures", &mia).await;
    assert_eq!(f["periods"].as_array().unwrap().len(), 12, "{f}");
    assert_eq!(f["granularity"], "month");

    // Bad requests name their field; roles are checked.
    for (query, field) in [
        ("from=2025-13", "from"),
        ("to=2025-Q5", "to"),
        ("to=", "to"),
        ("from=2025-05&to=2025-03", "from"),
        ("from=2020-01&to=2025-12", "from"),
        ("from=1969-12", "from"),
        ("from=3000-01", "from"),
    ] {
        let (status, problem) = app.get(&format!("/api/v1/figures?{query}"), &mia).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{query}: {problem}");
    }
    for query in ["granularity=week", "class=V", "source=robot", "colour=red"] {
        let (status, problem) = app.get(&format!("/api/v1/figures?{query}"), &mia).await;
        assert!(status.is_client_error(), "{query}: {status} {problem}");
    }
    let (status, problem) = app.get("/api/v1/figures", &pat).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("view_figures"));

    the_summary_of_march(
        &app,
        &sam,
        &pat,
        &[a.to_string(), b.to_string()],
        &[c.to_string(), d.to_string()],
    )
    .await;

    // The rows the upgrade to schema 31 makes from the records are the
    // ones the writer keeps.
    backfill_matches_the_writer(&app).await;

    // The page shows the same numbers, with a chart and its table.
    let (_, web) = crate::web::person(&app, "vic", &[Role::Auditor]).await;
    let page = web.get("/figures?from=2025-03&to=2025-03").await;
    page.assert_status(StatusCode::OK);
    let page = page.body;
    assert!(
        page.contains(r#"<span class="stat-value" id="incidents-total">3</span>"#),
        "{page}"
    );
    assert!(page.contains(r#"<span class="stat-value" id="false-alarm-rate">20.0 %</span>"#));
    assert!(
        page.contains(r#"role="img" aria-labelledby="chart-volumes-title chart-volumes-desc""#)
    );
    assert!(
        page.contains("EUR</th><td class=\"num\">EUR 15,900.75"),
        "{page}"
    );
    assert!(page.contains("36 h 0 min") && page.contains("2 h 10 min"));
}

/// The statements of migration 31 that fill the incident tables from the
/// records, for `backend`.
fn backfill(backend: Backend) -> Vec<String> {
    let sql = match backend {
        Backend::Sqlite => {
            include_str!("../../../rampart-store-sqlite/migrations/0031_figures.sql")
        }
        Backend::Postgres => include_str!("../../../rampart-store-pg/migrations/0031_figures.sql"),
    };
    sql.split(";\n")
        .map(|s| {
            s.lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| {
            let s = s.trim_start();
            s.starts_with("INSERT INTO incident_")
                || s.starts_with("CREATE FUNCTION rampart_epoch")
                || s.starts_with("DROP FUNCTION rampart_epoch")
        })
        .collect()
}

const ROWS: &str = "SELECT month || '|' || incident || '|' || class || '|' || category || '|' || rsit_type \
    || '|' || source || '|' || COALESCE(CAST(occurred_at AS TEXT), '-') || '|' \
    || COALESCE(CAST(discovered_at AS TEXT), '-') || '|' || CAST(reported_at AS TEXT) || '|' \
    || CAST(aware_at AS TEXT) || '|' || CAST(confirmed_at AS TEXT) || '|' \
    || COALESCE(CAST(contained_at AS TEXT), '-') || '|' || COALESCE(CAST(closed_at AS TEXT), '-') \
    FROM incident_figures ORDER BY incident";
const COSTS: &str = "SELECT incident || '|' || currency || '|' || CAST(hundredths AS TEXT) \
    FROM incident_costs ORDER BY incident, currency";

async fn backfill_matches_the_writer(app: &TestApp) {
    use sqlx::Connection as _;
    macro_rules! check {
        ($conn:expr) => {{
            let mut conn = $conn;
            let rows: Vec<String> = sqlx::query_scalar(ROWS).fetch_all(&mut conn).await.unwrap();
            let costs: Vec<String> = sqlx::query_scalar(COSTS)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(rows.len(), 4, "A, B, C and April's, no exercise: {rows:?}");
            assert_eq!(costs.len(), 2, "{costs:?}");
            sqlx::query("DELETE FROM incident_figures")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query("DELETE FROM incident_costs")
                .execute(&mut conn)
                .await
                .unwrap();
            let statements = backfill(app.backend);
            assert!(statements.len() >= 2, "{statements:?}");
            for statement in statements {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            let again: Vec<String> = sqlx::query_scalar(ROWS).fetch_all(&mut conn).await.unwrap();
            let costs_again: Vec<String> = sqlx::query_scalar(COSTS)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(again, rows);
            assert_eq!(costs_again, costs);
        }};
    }
    match app.backend {
        Backend::Sqlite => {
            let db = std::path::Path::new(&app.storage_args[1]).join("rampart.db");
            check!(
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                    .await
                    .unwrap()
            )
        }
        Backend::Postgres => {
            check!(
                sqlx::PgConnection::connect(&app.storage_args[1])
                    .await
                    .unwrap()
            )
        }
    }
}

/// The management summary of March against February: the headline figures
/// as worked out by hand, the significant incidents (A, class IV, and B,
/// class III; not C, class I, nor the exercise's), sealed and journaled.
async fn the_summary_of_march(
    app: &TestApp,
    sam: &str,
    pat: &str,
    listed: &[String],
    left_out: &[String],
) {
    use crate::reports::{pdf_text, reads, report, verify};
    let before = app.journal_len().await;
    let (status, kind, pdf) = report(app, sam, "/summaries/2025-03/pdf").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    if let Some(dir) = std::env::var_os("RAMPART_REPORT_SAMPLES") {
        std::fs::write(std::path::Path::new(&dir).join("summary-2025-03.pdf"), &pdf).unwrap();
    }
    let text = pdf_text(&pdf);
    for want in [
        "Management summary",
        "2025-03 against 2025-02",
        // The PDF's text comes column by column: this period's, the one
        // before, the change.
        "Incidents Events reported False alarms",
        "This period 3 6 20.0 %",
        "2 h 10 min 13 h 0 min 36 h 0 min 71 % (5 of 7) EUR 15,900.75, USD 5.00",
        "Previous period 0 0",
        "Change +3 +6",
    ] {
        assert!(reads(&text, want), "{want}: {text}");
    }
    for n in listed {
        assert!(reads(&text, n), "{n} listed: {text}");
    }
    for n in left_out {
        assert!(!text.contains(n.as_str()), "{n} left out: {text}");
    }
    let (ok, said) = verify(&pdf, &[]);
    assert!(ok && said.starts_with("OK 2025-03: summary"), "{said}");
    assert_eq!(app.changes_after(before).await, ["summary.issued"]);
    let (_, entries) = app
        .get(&format!("/api/v1/journal?after={before}"), &app.admin)
        .await;
    assert_eq!(
        entries["items"][0]["entity"], "summary:2025-03",
        "{entries}"
    );
    assert_eq!(
        entries["items"][0]["payload"]["sha256"],
        hex::encode(sha2::Sha256::digest(&pdf))
    );
    // The quarter, as HTML, against the quarter before.
    let (status, kind, html) = report(app, sam, "/summaries/2025-Q1/html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("2025-Q1 against 2024-Q4"), "{html}");
    // Refusals change nothing.
    let before = app.journal_len().await;
    for (path, status) in [
        ("/summaries/2025-13/pdf", StatusCode::UNPROCESSABLE_ENTITY),
        ("/summaries/2025-Q5/html", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "/summaries/March/markdown",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/summaries/2025-03/docx", StatusCode::NOT_FOUND),
    ] {
        let (got, _, body) = report(app, sam, path).await;
        assert_eq!(got, status, "{path}: {}", String::from_utf8_lossy(&body));
    }
    let (got, _, body) = report(app, sam, "/summaries/2025-13/pdf").await;
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(fields(&problem), ["period"], "{problem}");
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY);
    let (got, _, _) = report(app, pat, "/summaries/2025-03/pdf").await;
    assert_eq!(got, StatusCode::FORBIDDEN);
    assert_eq!(app.journal_len().await, before);
}
