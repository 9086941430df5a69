//! The records check's reads ([`Snapshot`]) on a SQL backend: one reader
//! connection inside one read-only transaction, so the journal and the
//! records are seen as of one moment while the server goes on writing.

use std::collections::HashMap;

use async_trait::async_trait;
use rampart_domain::regulatory::RegulatoryRules;
use rampart_domain::{Event, EvidenceItem, Incident, ResponseTargets, RuleSet, Vulnerability};
use serde::de::DeserializeOwned;

use super::journal::{HEAD_QUERY, HEAD_TYPES, head_of, parse_entries};
use super::rows::{columns, location};
use super::{ColType, Dialect, SqlBackend, SqlConn, SqlValue};
use crate::records::{
    Difference, ENTRIES_PER_QUERY, RecordKind, RecordsCheck, Snapshot, StoredRow,
};
use crate::{ApiToken, Credentials, Entity, JournalEntry, StoreError, User};

/// Where the records of a kind are stored: the table, its key column, the
/// columns kept beside the document (each compared with what the document
/// gives; `search`, a derived text, is not), and a condition on the rows.
struct Table {
    name: &'static str,
    key: &'static str,
    columns: &'static [(&'static str, ColType)],
    only: Option<&'static str>,
}

fn table(kind: RecordKind) -> Table {
    use ColType::{Int, Text};
    let (name, key, columns, only): (_, _, &'static [(&'static str, ColType)], _) = match kind {
        RecordKind::Event => (
            "events",
            "number",
            &[
                ("year", Int),
                ("seq", Int),
                ("status", Text),
                ("source_kind", Text),
                ("source_name", Text),
                ("source_ref", Text),
                ("submitted_by", Text),
                ("reported_at", Text),
                ("incident", Text),
            ],
            None,
        ),
        RecordKind::Incident => (
            "incidents",
            "number",
            &[
                ("year", Int),
                ("seq", Int),
                ("status", Text),
                ("category", Text),
                ("class", Text),
                ("priority", Int),
                ("coordinator", Text),
                ("restricted_to", Text),
            ],
            None,
        ),
        RecordKind::Vulnerability => (
            "vulnerabilities",
            "number",
            &[("year", Int), ("seq", Int), ("status", Text)],
            None,
        ),
        RecordKind::Evidence => (
            "evidence",
            "number",
            // `event` (schema 13) is not read: the check also runs on
            // installations not yet migrated, and the column only indexes
            // what the document says.
            &[("incident", Text), ("sha256", Text), ("present", Int)],
            None,
        ),
        RecordKind::User => ("users", "name", &[], None),
        RecordKind::Credentials => ("credentials", "user_name", &[], None),
        RecordKind::Token => (
            "api_tokens",
            "token_id",
            &[("token_hash", Text), ("user_name", Text)],
            None,
        ),
        RecordKind::Rules => ("settings", "name", &[], Some("name = 'categorization'")),
        RecordKind::Targets => ("settings", "name", &[], Some("name = 'targets'")),
        RecordKind::Scale => ("settings", "name", &[], Some("name = 'classification'")),
        RecordKind::Regulatory => ("settings", "name", &[], Some("name = 'regulatory'")),
        RecordKind::Document => (
            "documents",
            "id",
            &[("kind", Text), ("review_due", Int)],
            None,
        ),
        RecordKind::DocumentText => ("document_texts", "id", &[], None),
        RecordKind::Team => ("teams", "id", &[("duty", Text)], None),
        RecordKind::Contact => ("contacts", "id", &[("category", Text)], None),
        RecordKind::Playbook => ("playbooks", "id", &[], None),
        RecordKind::Exercise => ("exercises", "id", &[], None),
        RecordKind::Improvement => (
            "improvements",
            "id",
            &[("status", Text), ("owner", Text), ("due", Int)],
            None,
        ),
    };
    Table {
        name,
        key,
        columns,
        only,
    }
}

/// Runs the records check on one reader connection in a read-only transaction.
pub(super) async fn check<B: SqlBackend>(backend: &B) -> Result<RecordsCheck, StoreError> {
    let mut conn = backend.reader().await?;
    // The connection is closed afterwards rather than pooled, so it can
    // never go back to the pool inside the transaction, whatever happens.
    conn.discard();
    let begin = match backend.dialect() {
        Dialect::Sqlite => "BEGIN",
        Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    };
    conn.execute(begin, &[]).await?;
    let mut snapshot = SqlSnapshot {
        conn,
        dialect: backend.dialect(),
        tables: HashMap::new(),
    };
    let result = crate::records::check(&mut snapshot).await;
    // Only reads were made; ending the transaction cannot lose anything.
    let _ = snapshot.conn.execute("ROLLBACK", &[]).await;
    result
}

struct SqlSnapshot<C: SqlConn> {
    conn: C,
    dialect: Dialect,
    /// Whether each table read exists: `journal verify --records` reads an
    /// installation as it is, before any migration, so a kind of record
    /// newer than its schema has no table, and no records.
    tables: HashMap<&'static str, bool>,
}

impl<C: SqlConn> SqlSnapshot<C> {
    async fn has_table(&mut self, name: &'static str) -> Result<bool, StoreError> {
        if let Some(known) = self.tables.get(name) {
            return Ok(*known);
        }
        let sql = match self.dialect {
            Dialect::Sqlite => {
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            Dialect::Postgres => {
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1"
            }
        };
        let rows = self
            .conn
            .fetch(sql, &[SqlValue::text(name)], &[ColType::Int])
            .await?;
        let exists = rows
            .first()
            .and_then(|r| r.first())
            .and_then(SqlValue::as_i64)
            .is_some_and(|n| n > 0);
        self.tables.insert(name, exists);
        Ok(exists)
    }
}

fn seq_param(seq: u64) -> SqlValue {
    SqlValue::Int(Some(i64::try_from(seq).unwrap_or(i64::MAX)))
}

const ENTRY_COLUMNS: &str = "seq, at, actor, action, entity, payload, hash";
const ENTRY_TYPES: [ColType; 7] = [
    ColType::Int,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
];

#[async_trait]
impl<C: SqlConn> Snapshot for SqlSnapshot<C> {
    async fn head(&mut self) -> Result<(u64, String), StoreError> {
        let rows = self.conn.fetch(HEAD_QUERY, &[], &HEAD_TYPES).await?;
        Ok(head_of(rows))
    }

    async fn journal(&mut self, after: u64, limit: u32) -> Result<Vec<JournalEntry>, StoreError> {
        let sql =
            format!("SELECT {ENTRY_COLUMNS} FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = self
            .conn
            .fetch(
                &sql,
                &[seq_param(after), SqlValue::int(limit.max(1))],
                &ENTRY_TYPES,
            )
            .await?;
        parse_entries(rows)
    }

    async fn entries(&mut self, seqs: &[u64]) -> Result<Vec<JournalEntry>, StoreError> {
        if seqs.is_empty() {
            return Ok(vec![]);
        }
        let seqs = &seqs[..seqs.len().min(ENTRIES_PER_QUERY)];
        let marks: Vec<String> = (1..=seqs.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM journal WHERE seq IN ({}) ORDER BY seq",
            marks.join(", ")
        );
        let params: Vec<SqlValue> = seqs.iter().map(|s| seq_param(*s)).collect();
        let rows = self.conn.fetch(&sql, &params, &ENTRY_TYPES).await?;
        parse_entries(rows)
    }

    async fn rows(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let t = table(kind);
        if !self.has_table(t.name).await? {
            return Ok(Vec::new());
        }
        let mut conditions: Vec<String> = t.only.iter().map(|c| (*c).to_owned()).collect();
        let mut params = Vec::new();
        if let Some(after) = after {
            params.push(SqlValue::text(after));
            conditions.push(format!("{} > $1", t.key));
        }
        params.push(SqlValue::int(limit.max(1)));
        let selected: Vec<&str> = std::iter::once(t.key)
            .chain(t.columns.iter().map(|(n, _)| *n))
            .chain(["data"])
            .collect();
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT ${}",
            selected.join(", "),
            t.name,
            if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            },
            t.key,
            params.len()
        );
        let types: Vec<ColType> = std::iter::once(ColType::Text)
            .chain(t.columns.iter().map(|(_, ty)| *ty))
            .chain([ColType::Text])
            .collect();
        let rows = self.conn.fetch(&sql, &params, &types).await?;
        Ok(rows
            .into_iter()
            .map(|row| stored_row(kind, &t, &selected, row))
            .collect())
    }
}

fn stored_row(kind: RecordKind, t: &Table, names: &[&str], row: Vec<SqlValue>) -> StoredRow {
    let mut values: Vec<(&str, SqlValue)> = names.iter().copied().zip(row).collect();
    let data = values
        .pop()
        .and_then(|(_, v)| v.into_string())
        .unwrap_or_default();
    let key = values
        .first()
        .and_then(|(_, v)| v.clone().into_string())
        .unwrap_or_default();
    let record = decode(kind, &data);
    let columns = match &record {
        Ok(entity) => drift(entity, t, &values),
        Err(_) => vec![],
    };
    StoredRow {
        key,
        record,
        columns,
    }
}

fn document<T: DeserializeOwned>(data: &str) -> Result<T, String> {
    serde_json::from_str(data).map_err(|e| e.to_string())
}

/// The record in a row's document.
fn decode(kind: RecordKind, data: &str) -> Result<Entity, String> {
    Ok(match kind {
        RecordKind::Event => Entity::Event(Box::new(document::<Event>(data)?)),
        RecordKind::Incident => Entity::Incident(Box::new(document::<Incident>(data)?)),
        RecordKind::Vulnerability => {
            Entity::Vulnerability(Box::new(document::<Vulnerability>(data)?))
        }
        RecordKind::Evidence => Entity::Evidence(Box::new(document::<EvidenceItem>(data)?)),
        RecordKind::User => Entity::User(document::<User>(data)?),
        RecordKind::Credentials => Entity::Credentials(document::<Credentials>(data)?),
        RecordKind::Token => Entity::ApiToken(document::<ApiToken>(data)?),
        RecordKind::Rules => Entity::Rules(document::<RuleSet>(data)?),
        RecordKind::Targets => Entity::Targets(document::<ResponseTargets>(data)?),
        RecordKind::Scale => Entity::Scale(Box::new(document(data)?)),
        RecordKind::Regulatory => Entity::Regulatory(Box::new(document::<RegulatoryRules>(data)?)),
        RecordKind::Document => Entity::Document(Box::new(document(data)?)),
        RecordKind::DocumentText => Entity::DocumentText(Box::new(document(data)?)),
        RecordKind::Team => Entity::Team(Box::new(document(data)?)),
        RecordKind::Contact => Entity::Contact(Box::new(document(data)?)),
        RecordKind::Playbook => Entity::Playbook(Box::new(document(data)?)),
        RecordKind::Exercise => Entity::Exercise(Box::new(document(data)?)),
        RecordKind::Improvement => Entity::Improvement(Box::new(document(data)?)),
    })
}

fn shown(value: &SqlValue) -> String {
    match value {
        SqlValue::Int(Some(i)) => i.to_string(),
        SqlValue::Text(Some(s)) => format!("{s:?}"),
        SqlValue::Int(None) | SqlValue::Text(None) => "NULL".to_owned(),
    }
}

/// Stored columns that do not say what the record's document says: the
/// values the writer would have stored for this document, compared with
/// those stored.
fn drift(entity: &Entity, t: &Table, stored: &[(&str, SqlValue)]) -> Vec<Difference> {
    let (_, key_column, key) = location(&entity.key());
    let Ok((derived, _)) = columns(entity) else {
        return vec![];
    };
    let mut expected = vec![(key_column, SqlValue::text(key))];
    expected.extend(derived);
    t.columns
        .iter()
        .map(|(name, _)| *name)
        .chain([t.key])
        .filter_map(|name| {
            let s = stored.iter().find(|(n, _)| *n == name).map(|(_, v)| v)?;
            let e = expected.iter().find(|(n, _)| *n == name).map(|(_, v)| v)?;
            (s != e).then(|| Difference::column(name, &shown(s), &shown(e)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column the check reads is one the writer derives from the
    /// record, so none is read and then silently not compared.
    #[test]
    fn every_column_read_is_compared() {
        for kind in RecordKind::ALL {
            let t = table(kind);
            let entity = crate::records::tests::sample(kind);
            let (_, key_column, _) = location(&entity.key());
            let (derived, _) = columns(&entity).unwrap();
            for (name, _) in t.columns.iter().chain([(t.key, ColType::Text)].iter()) {
                assert!(
                    *name == key_column || derived.iter().any(|(n, _)| n == name),
                    "{kind:?}: column {name} is read but not compared"
                );
            }
        }
    }
}
