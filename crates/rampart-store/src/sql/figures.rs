//! The facts the scheme's figures are read from (migration 31): a row per
//! incident not part of an exercise, kept by the writer in the transaction
//! that changes the incident, with its costs; and the event tallies the
//! database keeps by trigger. A range of months reads the rows of those
//! months grouped in the database, so the figures of a year cost a few
//! hundred grouped rows however many incidents there are.

use std::collections::BTreeMap;

use rampart_domain::figures::{CostTally, EventTally, IncidentTally, Span, Tallies, month_of};
use rampart_domain::{
    Category, Currency, EventStatus, Incident, SeverityClass, SourceKind, Timestamp,
};
use rampart_domain::{ResponseTargets, Stage};

use super::query::{Filter, paginate};
use super::{ColType, SqlBackend, SqlConn, SqlStore, SqlValue};
use crate::StoreError;
use crate::model::FiguresQuery;

fn seconds(at: Option<Timestamp>) -> SqlValue {
    SqlValue::Int(at.map(|t| t.as_offset().unix_timestamp()))
}

/// Makes the figure rows of `incident` what it is now: none for an
/// exercise; its source is that of the event it was confirmed from.
pub(super) async fn keep_incident<C: SqlConn>(
    conn: &mut C,
    incident: &Incident,
    new: bool,
) -> Result<(), StoreError> {
    let number = incident.number.to_string();
    if !new {
        for table in ["incident_figures", "incident_costs"] {
            conn.execute(
                &format!("DELETE FROM {table} WHERE incident = $1"),
                &[SqlValue::text(number.clone())],
            )
            .await?;
        }
    }
    if incident.is_exercise() {
        return Ok(());
    }
    let closed =
        (!incident.status.is_open()).then(|| incident.closed_at.unwrap_or(incident.updated_at));
    conn.execute(
        "INSERT INTO incident_figures (month, incident, class, category, rsit_type, source, \
         occurred_at, discovered_at, reported_at, aware_at, confirmed_at, contained_at, closed_at) \
         VALUES ($1, $2, $3, $4, $5, \
         COALESCE((SELECT source_kind FROM events WHERE number = $6), ''), \
         $7, $8, $9, $10, $11, $12, $13)",
        &[
            SqlValue::text(month_of(incident.aware_at)),
            SqlValue::text(number.clone()),
            SqlValue::text(incident.severity.class.as_str()),
            SqlValue::text(incident.category.as_str()),
            SqlValue::text(
                incident
                    .rsit
                    .as_ref()
                    .map(|r| r.kind.clone())
                    .unwrap_or_default(),
            ),
            SqlValue::text(
                incident
                    .events
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            seconds(incident.occurred_at),
            seconds(incident.discovered_at),
            seconds(Some(incident.reported_at)),
            seconds(Some(incident.aware_at)),
            seconds(Some(incident.confirmed_at)),
            seconds(incident.contained_at),
            seconds(closed),
        ],
    )
    .await?;
    let mut costs: BTreeMap<Currency, u64> = BTreeMap::new();
    let cia = &incident.cia_impact;
    for money in [&cia.confidentiality, &cia.integrity, &cia.availability]
        .into_iter()
        .filter_map(|a| a.as_ref().and_then(|a| a.cost))
        .chain(incident.recovery_cost_total)
    {
        let sum = costs.entry(money.currency).or_default();
        *sum = sum.saturating_add(money.amount.hundredths());
    }
    for (currency, hundredths) in costs {
        conn.execute(
            "INSERT INTO incident_costs (incident, currency, hundredths) VALUES ($1, $2, $3)",
            &[
                SqlValue::text(number.clone()),
                SqlValue::text(currency.to_string()),
                SqlValue::int(i64::try_from(hundredths).unwrap_or(i64::MAX)),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The filters of a query on `incident_figures` (as `f`), the months from
/// `from` to `to`, both included.
fn incident_filter(q: &FiguresQuery) -> Filter {
    let mut f = Filter::default();
    f.and(
        "f.month >= ? AND f.month <= ?",
        vec![SqlValue::text(q.from.clone()), SqlValue::text(q.to.clone())],
    );
    if let Some(class) = q.class {
        f.and("f.class = ?", vec![SqlValue::text(class.as_str())]);
    }
    if let Some(category) = q.category {
        f.and("f.category = ?", vec![SqlValue::text(category.as_str())]);
    }
    if let Some(source) = q.source {
        f.and("f.source = ?", vec![SqlValue::text(source.as_str())]);
    }
    f
}

/// `SUM` of the span from `from` to `to` where both are known (none below 0).
fn span_sql(from: &str, to: &str) -> String {
    format!(
        "COUNT(f.{to} - f.{from}), \
         CAST(SUM(CASE WHEN f.{to} > f.{from} THEN f.{to} - f.{from} ELSE 0 END) AS BIGINT)"
    )
}

/// How many of the rows had the stage done (`from` to `to` known) within
/// the target of their class, the targets given as parameters from `first`.
fn met_sql(
    from: &str,
    to: &str,
    f: &mut Filter,
    targets: &ResponseTargets,
    stage: Stage,
) -> String {
    let mut case = String::from("CASE f.class");
    for class in SeverityClass::ALL {
        f.params.push(SqlValue::text(class.as_str()));
        let class_mark = f.params.len();
        f.params.push(SqlValue::int(
            i64::from(targets.class(*class).minutes(stage)) * 60,
        ));
        case.push_str(&format!(" WHEN ${class_mark} THEN ${}", f.params.len()));
    }
    case.push_str(" END");
    format!(
        "COUNT({to} - f.{from}), \
         CAST(SUM(CASE WHEN {to} - f.{from} <= {case} THEN 1 ELSE 0 END) AS BIGINT)"
    )
}

fn text(v: Option<&SqlValue>) -> String {
    v.cloned()
        .and_then(SqlValue::into_string)
        .unwrap_or_default()
}

fn int(v: Option<&SqlValue>) -> i64 {
    v.and_then(SqlValue::as_i64).unwrap_or(0)
}

fn count(v: Option<&SqlValue>) -> u32 {
    u32::try_from(int(v)).unwrap_or(u32::MAX)
}

/// The tallies of the months `q` names, grouped by the database.
pub(super) async fn tallies<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &FiguresQuery,
    targets: &ResponseTargets,
) -> Result<Tallies, StoreError> {
    use ColType::{Int, Text};
    let mut f = incident_filter(q);
    let confirm = met_sql(
        "reported_at",
        "f.confirmed_at",
        &mut f,
        targets,
        Stage::Confirm,
    );
    let contain = met_sql(
        "aware_at",
        "COALESCE(f.contained_at, f.closed_at)",
        &mut f,
        targets,
        Stage::Contain,
    );
    let close = met_sql("aware_at", "f.closed_at", &mut f, targets, Stage::Close);
    let sql = format!(
        "SELECT f.month, f.class, f.category, f.rsit_type, f.source, COUNT(*), {}, {}, {}, {}, \
         {confirm}, {contain}, {close} \
         FROM incident_figures f{} \
         GROUP BY f.month, f.class, f.category, f.rsit_type, f.source",
        span_sql("occurred_at", "discovered_at"),
        span_sql("reported_at", "confirmed_at"),
        span_sql("aware_at", "contained_at"),
        span_sql("aware_at", "closed_at"),
        f.sql(),
    );
    let mut columns = vec![Text, Text, Text, Text, Text];
    columns.extend([Int; 15]);
    let mut out = Tallies::default();
    for row in store.fetch(&sql, &f.params, &columns).await? {
        let (Ok(class), Ok(category)) = (
            SeverityClass::parse(&text(row.get(1))),
            Category::parse(&text(row.get(2))),
        ) else {
            continue;
        };
        let span = |at: usize| Span {
            count: count(row.get(at)),
            seconds: int(row.get(at + 1)),
        };
        let stage = |stage, at: usize| {
            let (done, met) = (count(row.get(at)), count(row.get(at + 1)));
            (stage, met, done.saturating_sub(met))
        };
        let rsit = text(row.get(3));
        out.incidents.push(IncidentTally {
            month: text(row.first()),
            class,
            category,
            rsit_type: (!rsit.is_empty()).then_some(rsit),
            source: SourceKind::parse(&text(row.get(4))).ok(),
            incidents: count(row.get(5)),
            detect: span(6),
            acknowledge: span(8),
            contain: span(10),
            resolve: span(12),
            targets: vec![
                stage(Stage::Confirm, 14),
                stage(Stage::Contain, 16),
                stage(Stage::Close, 18),
            ],
        });
    }

    let f = incident_filter(q);
    let sql = format!(
        "SELECT f.month, c.currency, CAST(SUM(c.hundredths) AS BIGINT) \
         FROM incident_figures f JOIN incident_costs c ON c.incident = f.incident{} \
         GROUP BY f.month, c.currency",
        f.sql()
    );
    for row in store.fetch(&sql, &f.params, &[Text, Text, Int]).await? {
        if let Ok(currency) = Currency::parse(&text(row.get(1))) {
            out.costs.push(CostTally {
                month: text(row.first()),
                currency,
                hundredths: u128::try_from(int(row.get(2))).unwrap_or(0),
            });
        }
    }

    let mut f = Filter::default();
    f.and(
        "month >= ? AND month <= ? AND n > 0",
        vec![SqlValue::text(q.from.clone()), SqlValue::text(q.to.clone())],
    );
    if let Some(source) = q.source {
        f.and("source = ?", vec![SqlValue::text(source.as_str())]);
    }
    let sql = format!(
        "SELECT month, source, status, n FROM event_figures{}",
        f.sql()
    );
    for row in store
        .fetch(&sql, &f.params, &[Text, Text, Text, Int])
        .await?
    {
        let (Ok(source), Ok(status)) = (
            SourceKind::parse(&text(row.get(1))),
            EventStatus::parse(&text(row.get(2))),
        ) else {
            continue;
        };
        let (assessed, false_alarm) = EventTally::outcome(status);
        out.events.push(EventTally {
            month: text(row.first()),
            source,
            assessed,
            false_alarm,
            events: count(row.get(3)),
        });
    }
    Ok(out)
}

/// The incidents of class III and IV `viewer` may see that became known in
/// the months from `from` to `to` (both included), in the order they became known, at
/// most `limit`; and whether there are more.
pub(super) async fn significant<B: SqlBackend>(
    store: &SqlStore<B>,
    from: &str,
    to: &str,
    viewer: &str,
    limit: u32,
) -> Result<(Vec<Incident>, bool), StoreError> {
    let mut f = Filter::default();
    f.and(
        "f.month >= ? AND f.month <= ? AND f.class IN ('III', 'IV')",
        vec![SqlValue::text(from), SqlValue::text(to)],
    );
    f.viewer(Some(viewer));
    let sql = format!(
        "SELECT i.data FROM incident_figures f JOIN incidents i ON i.number = f.incident{} \
         ORDER BY f.aware_at, f.incident",
        f.sql()
    );
    let sql = sql + &f.limit(limit);
    let rows = store.fetch(&sql, &f.params, &[ColType::Text]).await?;
    let page = paginate::<Incident>(rows, limit, |_| String::new())?;
    Ok((page.items, page.next_cursor.is_some()))
}
