//! Every filter the registers and the API offer is read from an index:
//! the statement each list runs is explained by the database, and no step
//! reads the whole table.

use std::sync::Arc;

use rampart_domain::{
    Actor, AlertSeverity, Category, EventStatus, IncidentStatus, Lane, NumberKind, ReporterKind,
    Role, SeverityClass, Timestamp, Vulnerability, VulnerabilityReport, VulnerabilityStatus,
};
use serde_json::json;

use crate::model::{EventStage, IncidentSort};
use crate::sql::{Dialect, SqlBackend, SqlStore};
use crate::{
    Decision, Entity, EventQuery, IncidentQuery, Store, UnitOfWork, VulnerabilityQuery, Write,
};

/// The partial indexes (migrations 15 and 17): reading one whole reads
/// only the rows of its condition.
const PARTIAL: [&str; 6] = [
    "incidents_regimes",
    "incidents_restricted",
    "incidents_action_due",
    "incidents_open_coordinator",
    "incidents_exercise_counted",
    "events_exercise_counted",
];

/// Explains the last statement `list` ran and checks that `table` is
/// reached through an index on `column`.
async fn check<B: SqlBackend, F, Fut>(
    store: &SqlStore<B>,
    what: &str,
    table: &str,
    column: &str,
    list: F,
) where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (sql, params) = last_statement(store, what, list).await;
    let plan = store.explain(&sql, &params).await.unwrap();
    let text = plan.join("\n");
    let names = |line: &str, word: &str| {
        line.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == word)
    };
    match store.backend().dialect() {
        Dialect::Sqlite => {
            for line in plan.iter().filter(|l| names(l, table)) {
                // A partial index holds only the rows of its condition.
                let partial = PARTIAL.iter().any(|i| names(line, i));
                assert!(
                    line.trim_start().starts_with("SEARCH") || partial,
                    "{what}: {table} is scanned:\n{sql}\n{text}"
                );
            }
            assert!(
                plan.iter().any(|l| names(l, table)
                    && (names(l, column)
                        || l.contains("rowid=")
                        || PARTIAL.iter().any(|i| names(l, i)))),
                "{what}: no index on {column}:\n{sql}\n{text}"
            );
        }
        Dialect::Postgres => {
            assert!(
                !text.contains(&format!("Seq Scan on {table} ")),
                "{what}:\n{sql}\n{text}"
            );
            assert!(
                plan.iter().any(|l| l.contains("Cond:") && names(l, column)),
                "{what}: no index condition on {column}:\n{sql}\n{text}"
            );
        }
    }
}

/// The last statement `list` ran, with its values.
async fn last_statement<B: SqlBackend, F, Fut>(
    store: &SqlStore<B>,
    what: &str,
    list: F,
) -> crate::sql::Statement
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    store.capture_statements();
    list().await;
    store
        .captured_statements()
        .pop()
        .unwrap_or_else(|| panic!("{what}: no statement was read"))
}

/// Checks that the last statement `list` ran reads its rows in the list's
/// order, so that a page reads its own rows only, however many rows share
/// the first key of the order (many actions falling due at one moment).
async fn check_in_order<B: SqlBackend, F, Fut>(store: &SqlStore<B>, what: &str, list: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (sql, params) = last_statement(store, what, list).await;
    let plan = store.explain_ordered(&sql, &params).await.unwrap();
    let sorted = match store.backend().dialect() {
        Dialect::Sqlite => "TEMP B-TREE",
        Dialect::Postgres => "Sort",
    };
    assert!(
        !plan.iter().any(|l| l.contains(sorted)),
        "{what}: rows sorted after reading:\n{sql}\n{}",
        plan.join("\n")
    );
}

/// Stores a reported vulnerability.
async fn vulnerability<B: SqlBackend>(store: &SqlStore<B>, title: &str) {
    let body = json!({"title": title, "description": "found in an audit"});
    let unit = UnitOfWork::new(
        "rita",
        vec![],
        vec![NumberKind::Vulnerability],
        move |ctx| {
            let input: VulnerabilityReport = serde_json::from_value(body.clone()).unwrap();
            let rita = Actor::new("rita", vec![Role::Reporter]);
            let v = Vulnerability::report(ctx.vulnerability_number(0)?, input, &rita, ctx.now)?;
            Ok(Decision {
                writes: vec![Write::Insert(Entity::Vulnerability(Box::new(v)))],
                ..Default::default()
            })
        },
    );
    store.execute(unit).await.unwrap();
}

pub async fn every_register_filter_reads_an_index<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    for i in 0..6 {
        super::report_event(
            &*store,
            json!({"title": format!("Scan from 10.1.1.{i}"), "source": {"kind": "sensor", "name": "ids-1", "ref": format!("r{i}")}, "severity": "high"}),
        )
        .await;
    }
    for i in 0..3 {
        super::dashboard::incident(&store, format!("Payroll fraud {i}"), "ian", false).await;
        vulnerability(&store, &format!("Printer firmware {i}")).await;
    }
    // Rare text (not among the two newest rows) goes through the trigram
    // index once the sample is smaller than the table.
    store.set_search_sample_rows(2);
    let s = &*store;
    let events = |q: EventQuery| async move {
        s.list_events(&q).await.unwrap();
    };
    let lane = Lane {
        key: 31,
        from_min: Some(0),
        from_max: Some(i64::MAX / 2),
        offset_seconds: 0,
    };
    let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let cases: Vec<(&str, &str, EventQuery)> = vec![
        (
            "status",
            "status",
            EventQuery {
                status: Some(EventStatus::Reported),
                ..Default::default()
            },
        ),
        (
            "stage",
            "stage",
            EventQuery {
                stage: Some(EventStage::Past),
                ..Default::default()
            },
        ),
        (
            "source kind",
            "source_kind",
            EventQuery {
                source: Some("sensor".into()),
                ..Default::default()
            },
        ),
        (
            "source name",
            "source_name",
            EventQuery {
                source: Some("ids-1".into()),
                ..Default::default()
            },
        ),
        (
            "since",
            "reported_at",
            EventQuery {
                since: Some(at),
                ..Default::default()
            },
        ),
        (
            "before",
            "reported_at",
            EventQuery {
                before: Some(at),
                ..Default::default()
            },
        ),
        (
            "severity",
            "severity_rank",
            EventQuery {
                severity: Some(AlertSeverity::High),
                ..Default::default()
            },
        ),
        (
            "category",
            "proposed_category",
            EventQuery {
                category: Some(Category::MALWARE),
                ..Default::default()
            },
        ),
        (
            "reporter",
            "reporter_kind",
            EventQuery {
                reporter: Some(ReporterKind::Public),
                ..Default::default()
            },
        ),
        (
            "submitted by",
            "submitted_by",
            EventQuery {
                submitted_by: Some("rita".into()),
                ..Default::default()
            },
        ),
        (
            "target",
            "target_key",
            EventQuery {
                lanes: Some(vec![lane]),
                ..Default::default()
            },
        ),
        (
            "text",
            "search",
            EventQuery {
                text: Some("10.1.1.3".into()),
                ..Default::default()
            },
        ),
        (
            "exercise",
            "exercise",
            EventQuery {
                exercise: crate::ExerciseScope::Of(
                    rampart_domain::ExerciseId::new("drill").unwrap(),
                ),
                ..Default::default()
            },
        ),
    ];
    for (what, column, q) in cases {
        check(s, &format!("events by {what}"), "events", column, || {
            events(q)
        })
        .await;
    }

    let incidents = |q: IncidentQuery| async move {
        s.list_incidents(&q).await.unwrap();
    };
    let cases: Vec<(&str, &str, IncidentQuery)> = vec![
        (
            "status",
            "status",
            IncidentQuery {
                status: Some(IncidentStatus::Confirmed),
                ..Default::default()
            },
        ),
        (
            "category",
            "category",
            IncidentQuery {
                category: Some(Category::MALWARE),
                ..Default::default()
            },
        ),
        (
            "class",
            "class",
            IncidentQuery {
                class: Some(SeverityClass::III),
                ..Default::default()
            },
        ),
        (
            "exercise",
            "exercise",
            IncidentQuery {
                exercise: crate::ExerciseScope::Of(
                    rampart_domain::ExerciseId::new("drill").unwrap(),
                ),
                ..Default::default()
            },
        ),
        (
            "coordinator",
            "coordinator",
            IncidentQuery {
                coordinator: Some("ian".into()),
                ..Default::default()
            },
        ),
        (
            "open, coordinator",
            "coordinator",
            IncidentQuery {
                coordinator: Some("ian".into()),
                open: true,
                viewer: Some("ian".into()),
                ..Default::default()
            },
        ),
        (
            "target",
            "target_key",
            IncidentQuery {
                lanes: Some(vec![lane]),
                ..Default::default()
            },
        ),
        (
            "regimes",
            "regimes",
            IncidentQuery {
                with_regimes: true,
                sort: IncidentSort::Newest,
                ..Default::default()
            },
        ),
        (
            "text",
            "search",
            IncidentQuery {
                text: Some("fraud 0".into()),
                ..Default::default()
            },
        ),
    ];
    for (what, column, q) in cases {
        check(
            s,
            &format!("incidents by {what}"),
            "incidents",
            column,
            || incidents(q),
        )
        .await;
    }
    check(
        s,
        "overdue actions",
        "incidents",
        "action_due",
        || async move {
            s.overdue_actions("ian", at, 50).await.unwrap();
        },
    )
    .await;
    check_in_order(s, "overdue actions", || async move {
        s.overdue_actions("ian", at, 50).await.unwrap();
    })
    .await;
    check(
        s,
        "restricted counts",
        "incidents",
        "restricted_to",
        || async move {
            s.counts("ian").await.unwrap();
        },
    )
    .await;

    let vulnerabilities = |q: VulnerabilityQuery| async move {
        s.list_vulnerabilities(&q).await.unwrap();
    };
    let cases: Vec<(&str, &str, VulnerabilityQuery)> = vec![
        (
            "status",
            "status",
            VulnerabilityQuery {
                status: Some(VulnerabilityStatus::Reported),
                ..Default::default()
            },
        ),
        (
            "reporter",
            "reported_by",
            VulnerabilityQuery {
                reported_by: Some("rita".into()),
                ..Default::default()
            },
        ),
        (
            "incident",
            "incident",
            VulnerabilityQuery {
                incident: Some("INC-2026-000001".into()),
                ..Default::default()
            },
        ),
        (
            "text",
            "search",
            VulnerabilityQuery {
                text: Some("firmware 0".into()),
                ..Default::default()
            },
        ),
    ];
    for (what, column, q) in cases {
        check(
            s,
            &format!("vulnerabilities by {what}"),
            "vulnerabilities",
            column,
            || vulnerabilities(q),
        )
        .await;
    }
}
