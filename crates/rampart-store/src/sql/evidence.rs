//! Evidence: the list query.

use rampart_domain::EvidenceItem;

use super::query::Filter;
use super::rows::documents;
use super::{ColType, SqlBackend, SqlStore, SqlValue};
use crate::StoreError;
use crate::model::EvidenceQuery;

pub(super) async fn list_evidence<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &EvidenceQuery,
) -> Result<Vec<EvidenceItem>, StoreError> {
    let mut f = Filter::default();
    f.text("incident", q.incident.map(|n| n.to_string()).as_deref());
    f.text("event", q.event.map(|n| n.to_string()).as_deref());
    if q.in_triage_only {
        f.and("incident = ''", vec![]);
    }
    f.text("sha256", q.sha256.as_deref());
    if q.present_only {
        f.and("present = ?", vec![SqlValue::int(1)]);
    }
    let sql = match q.newest {
        Some(n) => {
            f.params
                .push(SqlValue::int(i64::from(n.min(crate::MAX_EVIDENCE))));
            format!(
                "SELECT data FROM evidence{} ORDER BY id DESC LIMIT ${}",
                f.sql(),
                f.params.len()
            )
        }
        None => {
            f.params.push(SqlValue::int(i64::from(crate::MAX_EVIDENCE)));
            f.params.push(SqlValue::int(i64::from(q.offset)));
            format!(
                "SELECT data FROM evidence{} ORDER BY id LIMIT ${} OFFSET ${}",
                f.sql(),
                f.params.len() - 1,
                f.params.len()
            )
        }
    };
    let rows = store.fetch(&sql, &f.params, &[ColType::Text]).await?;
    documents(rows, "evidence item")
}
