//! Row mapping: where each record lives, its indexed columns and JSON
//! document; loading, inserting, updating and deleting records.

use rampart_domain::{DomainError, Running};
use serde::de::DeserializeOwned;

use super::{ColType, SqlConn, SqlValue, statement};
use crate::{Entity, EntityRef, StoreError};

/// Where a record lives: table, key column, key.
pub(super) fn location(key: &EntityRef) -> (&'static str, &'static str, String) {
    match key {
        EntityRef::Event(n) => ("events", "number", n.to_string()),
        EntityRef::Incident(n) => ("incidents", "number", n.to_string()),
        EntityRef::Vulnerability(n) => ("vulnerabilities", "number", n.to_string()),
        EntityRef::User(name) => ("users", "name", name.clone()),
        EntityRef::ApiToken(hash) => ("api_tokens", "token_hash", hash.clone()),
        EntityRef::Credentials(name) => ("credentials", "user_name", name.clone()),
        EntityRef::Session(hash) => ("sessions", "id_hash", hash.clone()),
        EntityRef::Throttle(key) => ("login_throttle", "key", key.clone()),
        EntityRef::Evidence(n) => ("evidence", "number", n.to_string()),
        EntityRef::Checkpoint(seq) => ("checkpoints", "id", checkpoint_id(*seq)),
        // Looked up by two columns in `load`; the number is the key otherwise.
        EntityRef::EventBySource { reference, .. } => ("events", "source_ref", reference.clone()),
        EntityRef::Rules => ("settings", "name", "categorization".to_owned()),
        EntityRef::Inbox(id) => ("inbox", "id", id.clone()),
        EntityRef::Preferences(user) => ("settings", "name", format!("notify:{user}")),
        EntityRef::Webhook(id) => ("webhooks", "id", id.clone()),
        EntityRef::Targets => ("settings", "name", "targets".to_owned()),
        EntityRef::Scale => ("settings", "name", "classification".to_owned()),
        EntityRef::Regulatory => ("settings", "name", "regulatory".to_owned()),
        EntityRef::Document(id) => ("documents", "id", id.to_string()),
        EntityRef::DocumentText(id, version) => ("document_texts", "id", format!("{id}@{version}")),
        EntityRef::Team(id) => ("teams", "id", id.to_string()),
        EntityRef::Contact(id) => ("contacts", "id", id.to_string()),
        EntityRef::Playbook(id) => ("playbooks", "id", id.to_string()),
        EntityRef::Exercise(id) => ("exercises", "id", id.to_string()),
        EntityRef::Improvement(id) => ("improvements", "id", id.clone()),
    }
}

/// Decodes rows of one JSON document column.
pub(super) fn documents<T: DeserializeOwned>(
    rows: Vec<Vec<SqlValue>>,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_string))
        .map(|d| parse(&d, what))
        .collect()
}

pub(super) fn parse<T: DeserializeOwned>(data: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(super) fn decode(key: &EntityRef, data: &str) -> Result<Entity, StoreError> {
    Ok(match key {
        EntityRef::Event(n) => Entity::Event(Box::new(parse(data, &n.to_string())?)),
        EntityRef::Incident(n) => Entity::Incident(Box::new(parse(data, &n.to_string())?)),
        EntityRef::Vulnerability(n) => {
            Entity::Vulnerability(Box::new(parse(data, &n.to_string())?))
        }
        EntityRef::User(name) => Entity::User(parse(data, name)?),
        EntityRef::ApiToken(_) => Entity::ApiToken(parse(data, "api token")?),
        EntityRef::Credentials(name) => Entity::Credentials(parse(data, name)?),
        EntityRef::Session(_) => Entity::Session(parse(data, "session")?),
        EntityRef::Throttle(key) => Entity::Throttle(parse(data, key)?),
        EntityRef::Evidence(n) => Entity::Evidence(Box::new(parse(data, &n.to_string())?)),
        EntityRef::Checkpoint(_) => Entity::Checkpoint(parse(data, "checkpoint")?),
        EntityRef::EventBySource { reference, .. } => {
            Entity::Event(Box::new(parse(data, reference)?))
        }
        EntityRef::Rules => Entity::Rules(parse(data, "categorization rules")?),
        EntityRef::Inbox(id) => Entity::Inbox(Box::new(parse(data, id)?)),
        EntityRef::Preferences(user) => Entity::Preferences(parse(data, user)?),
        EntityRef::Webhook(id) => Entity::Webhook(Box::new(parse(data, id)?)),
        EntityRef::Targets => Entity::Targets(parse(data, "response-time targets")?),
        EntityRef::Scale => Entity::Scale(Box::new(parse(data, "classification scale")?)),
        EntityRef::Regulatory => Entity::Regulatory(Box::new(parse(data, "notification rules")?)),
        EntityRef::Document(id) => Entity::Document(Box::new(parse(data, id.as_str())?)),
        EntityRef::DocumentText(id, _) => Entity::DocumentText(Box::new(parse(data, id.as_str())?)),
        EntityRef::Team(id) => Entity::Team(Box::new(parse(data, id.as_str())?)),
        EntityRef::Contact(id) => Entity::Contact(Box::new(parse(data, id.as_str())?)),
        EntityRef::Playbook(id) => Entity::Playbook(Box::new(parse(data, id.as_str())?)),
        EntityRef::Exercise(id) => Entity::Exercise(Box::new(parse(data, id.as_str())?)),
        EntityRef::Improvement(id) => Entity::Improvement(Box::new(parse(data, id)?)),
    })
}

pub(super) async fn load<C: SqlConn>(
    conn: &mut C,
    key: &EntityRef,
) -> Result<Option<Entity>, StoreError> {
    let rows = if let EntityRef::EventBySource { name, reference } = key {
        conn.fetch(
            // Intake stores one event per sensor name and reference, so any
            // match is the one. No ordering: ordering by id would let the
            // planner walk a sensor's events in id order instead of using the
            // (source_name, source_ref) index.
            "SELECT data FROM events WHERE source_name = $1 AND source_ref = $2 LIMIT 1",
            &[
                SqlValue::text(name.clone()),
                SqlValue::text(reference.clone()),
            ],
            &[ColType::Text],
        )
        .await?
    } else {
        let (table, column, value) = location(key);
        let sql = statement("load", table, 0, || {
            format!("SELECT data FROM {table} WHERE {column} = $1")
        });
        conn.fetch(sql, &[SqlValue::text(value)], &[ColType::Text])
            .await?
    };
    match rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .and_then(SqlValue::into_string)
    {
        Some(data) => decode(key, &data).map(Some),
        None => Ok(None),
    }
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The `restricted_to` column: `,alice,bob,`, or empty when unrestricted.
fn restriction_column(users: &[String]) -> String {
    if users.is_empty() {
        String::new()
    } else {
        format!(",{},", users.join(","))
    }
}

/// The text key of a checkpoint: its sequence number, zero-padded so that
/// text order is sequence order.
fn checkpoint_id(seq: u64) -> String {
    format!("{seq:020}")
}

/// Escapes LIKE wildcards so that `text` matches literally.
pub(super) fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Indexed columns of a record, by name.
type Columns = Vec<(&'static str, SqlValue)>;

/// The indexed columns of an event (its document is [`to_json`]'s).
pub(super) fn event_columns(e: &rampart_domain::Event) -> Columns {
    let opt = |s: Option<String>| SqlValue::Text(s);
    vec![
        ("year", SqlValue::int(e.number.year())),
        ("seq", SqlValue::int(e.number.seq())),
        ("status", SqlValue::text(e.status.as_str())),
        ("source_kind", SqlValue::text(e.source.kind.as_str())),
        (
            "source_name",
            opt(e.source.name.as_ref().map(ToString::to_string)),
        ),
        (
            "source_ref",
            opt(e.source.reference.as_ref().map(ToString::to_string)),
        ),
        ("submitted_by", opt(e.submitted_by.clone())),
        ("reported_at", SqlValue::text(e.reported_at.to_rfc3339())),
        ("incident", opt(e.incident.map(|n| n.to_string()))),
        ("search", SqlValue::text(e.search_text())),
        (
            "severity_rank",
            SqlValue::int(crate::model::severity_rank(e.severity)),
        ),
        ("reporter_kind", SqlValue::text(e.reporter_kind().as_str())),
        (
            "stage",
            SqlValue::text(crate::model::EventStage::of(e.status)),
        ),
        (
            "proposed_category",
            opt(e.proposal.as_ref().map(|p| p.category.as_str().to_owned())),
        ),
        (
            "exercise",
            opt(e.exercise.as_ref().map(ToString::to_string)),
        ),
        target_key(Running::of_event(e)),
        target_from(Running::of_event(e)),
    ]
}

/// The indexed columns and JSON document of a record.
pub(super) fn columns(entity: &Entity) -> Result<(Columns, String), StoreError> {
    let opt = |s: Option<String>| SqlValue::Text(s);
    Ok(match entity {
        Entity::Event(e) => (event_columns(e), to_json(e)?),
        Entity::Incident(i) => (
            vec![
                ("year", SqlValue::int(i.number.year())),
                ("seq", SqlValue::int(i.number.seq())),
                ("status", SqlValue::text(i.status.as_str())),
                ("category", SqlValue::text(i.category.as_str())),
                (
                    "exercise",
                    opt(i.exercise.as_ref().map(ToString::to_string)),
                ),
                (
                    "reviewed_at",
                    opt(i.review.as_ref().map(|r| r.recorded_at.to_rfc3339())),
                ),
                ("published", opt(i.published.map(|t| t.as_str().to_owned()))),
                ("class", SqlValue::text(i.severity.class.as_str())),
                ("priority", SqlValue::int(i.priority.value())),
                ("coordinator", SqlValue::text(i.coordinator.clone())),
                ("search", SqlValue::text(i.search_text())),
                (
                    "restricted_to",
                    SqlValue::text(restriction_column(&i.restricted_to)),
                ),
                target_key(Running::of_incident(i)),
                target_from(Running::of_incident(i)),
                (
                    "regimes",
                    SqlValue::int(i64::try_from(i.obligations.regimes.len()).unwrap_or(0)),
                ),
                (
                    "action_due",
                    int_or_null(i.next_action_due().map(|d| d.as_offset().unix_timestamp())),
                ),
            ],
            to_json(i)?,
        ),
        Entity::Vulnerability(v) => (
            vec![
                ("year", SqlValue::int(v.number.year())),
                ("seq", SqlValue::int(v.number.seq())),
                ("status", SqlValue::text(v.status.as_str())),
                ("search", SqlValue::text(v.search_text())),
                ("reported_by", SqlValue::text(v.reported_by.clone())),
                ("incident", opt(v.incident.map(|n| n.to_string()))),
                (
                    "reviewed_at",
                    opt(v.review.as_ref().map(|r| r.recorded_at.to_rfc3339())),
                ),
            ],
            to_json(v)?,
        ),
        Entity::Evidence(e) => (
            vec![
                // Empty while the item's event is in triage (the column
                // predates such items and is NOT NULL).
                (
                    "incident",
                    SqlValue::text(e.incident.map(|n| n.to_string()).unwrap_or_default()),
                ),
                ("event", opt(e.event.map(|n| n.to_string()))),
                // Empty for a physical item, which has no content.
                (
                    "sha256",
                    SqlValue::text(
                        e.content
                            .as_ref()
                            .map(|c| c.sha256.clone())
                            .unwrap_or_default(),
                    ),
                ),
                ("present", SqlValue::int(i64::from(e.disposed.is_none()))),
            ],
            to_json(e)?,
        ),
        Entity::Checkpoint(c) => (
            vec![(
                "seq",
                SqlValue::int(i64::try_from(c.seq).unwrap_or(i64::MAX)),
            )],
            to_json(c)?,
        ),
        Entity::User(u) => (vec![], to_json(u)?),
        Entity::Rules(r) => (vec![], to_json(r)?),
        Entity::Targets(t) => (vec![], to_json(t)?),
        Entity::Scale(s) => (vec![], to_json(s)?),
        Entity::Regulatory(r) => (vec![], to_json(r)?),
        Entity::Preferences(p) => (vec![], to_json(p)?),
        Entity::Webhook(w) => (vec![], to_json(w)?),
        Entity::Document(d) => (
            vec![
                ("kind", SqlValue::text(d.kind.as_str())),
                (
                    "review_due",
                    int_or_null(d.review_due.map(|t| t.as_offset().unix_timestamp())),
                ),
            ],
            to_json(d)?,
        ),
        Entity::DocumentText(t) => (vec![], to_json(t)?),
        Entity::Team(t) => (vec![("duty", SqlValue::text(t.duty.as_str()))], to_json(t)?),
        Entity::Contact(c) => (
            vec![("category", SqlValue::text(c.details.category.as_str()))],
            to_json(c)?,
        ),
        Entity::Playbook(p) => (vec![], to_json(p)?),
        Entity::Exercise(x) => (vec![], to_json(x)?),
        Entity::Improvement(i) => (
            vec![
                ("source", SqlValue::text(i.source.to_string())),
                ("status", SqlValue::text(i.status.as_str())),
                ("owner", SqlValue::text(i.owner.as_str())),
                (
                    "due",
                    i.due.map_or(SqlValue::Int(None), |d| {
                        SqlValue::int(d.as_offset().unix_timestamp())
                    }),
                ),
            ],
            to_json(i)?,
        ),
        Entity::Inbox(i) => (
            vec![
                ("user_name", SqlValue::text(i.user.clone())),
                ("created_at", SqlValue::text(i.created_at.to_rfc3339())),
                ("listed", SqlValue::int(i64::from(i.listed()))),
                (
                    "unread",
                    SqlValue::int(i64::from(i.listed() && i.read_at.is_none())),
                ),
            ],
            to_json(i)?,
        ),
        Entity::Credentials(c) => (vec![], to_json(c)?),
        Entity::Throttle(t) => (vec![], to_json(t)?),
        Entity::Session(s) => (
            vec![
                ("user_name", SqlValue::text(s.user.clone())),
                ("expires_at", SqlValue::text(s.expires_at.to_rfc3339())),
            ],
            to_json(s)?,
        ),
        Entity::ApiToken(t) => (
            vec![
                ("token_id", SqlValue::text(t.id.clone())),
                ("user_name", SqlValue::text(t.user.clone())),
            ],
            to_json(t)?,
        ),
    })
}

/// The running response-time target's lane key (see migration 15).
fn target_key(running: Option<Running>) -> (&'static str, SqlValue) {
    ("target_key", int_or_null(running.map(|r| r.key())))
}

/// When the running target started, in Unix seconds.
fn target_from(running: Option<Running>) -> (&'static str, SqlValue) {
    (
        "target_from",
        int_or_null(running.map(|r| r.from_seconds())),
    )
}

fn int_or_null(value: Option<i64>) -> SqlValue {
    SqlValue::Int(value)
}

pub(super) async fn insert<C: SqlConn>(conn: &mut C, entity: &Entity) -> Result<(), StoreError> {
    let (table, key_column, key) = location(&entity.key());
    let (cols, data) = columns(entity)?;
    let sql = statement("insert", table, 0, || {
        let names: Vec<&str> = std::iter::once(key_column)
            .chain(cols.iter().map(|(n, _)| *n))
            .chain(["data"])
            .collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        )
    });
    let mut params = vec![SqlValue::text(key)];
    params.extend(cols.into_iter().map(|(_, v)| v));
    params.push(SqlValue::text(data));
    conn.execute(sql, &params).await?;
    Ok(())
}

pub(super) async fn update<C: SqlConn>(conn: &mut C, entity: &Entity) -> Result<(), StoreError> {
    let (table, key_column, key) = location(&entity.key());
    let (cols, data) = columns(entity)?;
    let sql = statement("update", table, 0, || {
        let sets: Vec<String> = cols
            .iter()
            .map(|(n, _)| *n)
            .chain(["data"])
            .enumerate()
            .map(|(i, n)| format!("{n} = ${}", i + 2))
            .collect();
        format!(
            "UPDATE {table} SET {} WHERE {key_column} = $1",
            sets.join(", ")
        )
    });
    let mut params = vec![SqlValue::text(key.clone())];
    params.extend(cols.into_iter().map(|(_, v)| v));
    params.push(SqlValue::text(data));
    match conn.execute(sql, &params).await? {
        1 => Ok(()),
        _ => Err(StoreError::Domain(DomainError::NotFound(key))),
    }
}

/// Deletes a record of a kind that may be deleted; a missing record is no error.
pub(super) async fn delete<C: SqlConn>(conn: &mut C, key: &EntityRef) -> Result<(), StoreError> {
    if !matches!(
        key,
        EntityRef::Session(_) | EntityRef::Throttle(_) | EntityRef::ApiToken(_)
    ) {
        return Err(StoreError::Corrupt(format!(
            "{key:?}: records of this kind are never deleted"
        )));
    }
    let (table, column, value) = location(key);
    let sql = format!("DELETE FROM {table} WHERE {column} = $1");
    conn.execute(&sql, &[SqlValue::text(value)]).await?;
    Ok(())
}
