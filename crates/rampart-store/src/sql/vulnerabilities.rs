//! Vulnerabilities: the list query.

use rampart_domain::Vulnerability;

use super::query::Filter;
use super::{ColType, SqlBackend, SqlStore};
use crate::{Page, StoreError, VulnerabilityQuery};

pub(super) async fn list_vulnerabilities<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &VulnerabilityQuery,
) -> Result<Page<Vulnerability>, StoreError> {
    let text = store
        .text_plan("vulnerabilities", q.text.as_deref())
        .await?;
    let mut f = Filter::default();
    f.text("status", q.status.map(|s| s.as_str()));
    f.text("reported_by", q.reported_by.as_deref());
    f.text("incident", q.incident.as_deref());
    f.search(text.as_ref(), store.backend().dialect());
    store
        .newest_first("vulnerabilities", f, q.cursor.as_deref(), q.limit)
        .await
}

/// The vulnerabilities with a review, the latest review first.
pub(super) async fn reviewed<B: SqlBackend>(
    store: &SqlStore<B>,
    limit: u32,
) -> Result<Vec<Vulnerability>, StoreError> {
    let limit = limit.clamp(1, crate::MAX_PAGE);
    let sql = format!(
        "SELECT data FROM vulnerabilities WHERE reviewed_at IS NOT NULL \
         ORDER BY reviewed_at DESC, id DESC LIMIT {limit}"
    );
    let rows = store.fetch(&sql, &[], &[ColType::Text]).await?;
    super::rows::documents(rows, "a reviewed vulnerability")
}
