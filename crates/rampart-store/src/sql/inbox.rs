//! Notifications: one person's list, newest first, and their unread count;
//! the webhook subscriptions; the scheme's documents, teams and contacts.

use rampart_domain::{InboxItem, Webhook};

use super::query::{Filter, paginate, parse_cursor};
use super::rows::documents;
use super::{ColType, SqlBackend, SqlStore, SqlValue};
use crate::{Page, StoreError};

pub(super) async fn inbox<B: SqlBackend>(
    store: &SqlStore<B>,
    user: &str,
    unread_only: bool,
    cursor: Option<&str>,
    limit: u32,
) -> Result<Page<InboxItem>, StoreError> {
    let mut f = Filter::default();
    f.and("user_name = ?", vec![SqlValue::text(user)]);
    f.and("listed = 1", vec![]);
    if unread_only {
        f.and("unread = 1", vec![]);
    }
    if let Some(c) = parse_cursor(cursor, 1)? {
        f.and("seq < ?", vec![SqlValue::int(c[0])]);
    }
    let sql = format!("SELECT seq, data FROM inbox{} ORDER BY seq DESC", f.sql());
    let sql = sql + &f.limit(limit);
    let rows = store
        .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
        .await?;
    paginate(rows, limit, |row| {
        row.first()
            .and_then(SqlValue::as_i64)
            .unwrap_or_default()
            .to_string()
    })
}

pub(super) async fn unread<B: SqlBackend>(
    store: &SqlStore<B>,
    user: &str,
) -> Result<u64, StoreError> {
    let rows = store
        .fetch(
            "SELECT COUNT(*) FROM inbox WHERE user_name = $1 AND unread = 1 AND listed = 1",
            &[SqlValue::text(user)],
            &[ColType::Int],
        )
        .await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .and_then(|v| v.as_i64())
        .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// Every webhook subscription, by id.
pub(super) async fn webhooks<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Vec<Webhook>, StoreError> {
    let rows = store
        .fetch(
            "SELECT data FROM webhooks ORDER BY id",
            &[],
            &[ColType::Text],
        )
        .await?;
    documents(rows, "webhook")
}

/// Every document, by id (the table holds at most
/// [`rampart_domain::document::MAX_DOCUMENTS`] rows).
pub(super) async fn scheme_documents<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Vec<rampart_domain::Document>, StoreError> {
    let rows = store
        .fetch(
            "SELECT data FROM documents ORDER BY id",
            &[],
            &[ColType::Text],
        )
        .await?;
    documents(rows, "document")
}

/// Every team, by id (the table holds at most
/// [`rampart_domain::team::MAX_TEAMS`] rows).
pub(super) async fn teams<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Vec<rampart_domain::Team>, StoreError> {
    let rows = store
        .fetch("SELECT data FROM teams ORDER BY id", &[], &[ColType::Text])
        .await?;
    documents(rows, "team")
}

/// Every playbook, by id (the table holds at most
/// [`rampart_domain::playbook::MAX_PLAYBOOKS`] rows).
pub(super) async fn playbooks<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Vec<rampart_domain::Playbook>, StoreError> {
    let rows = store
        .fetch(
            "SELECT data FROM playbooks ORDER BY id",
            &[],
            &[ColType::Text],
        )
        .await?;
    documents(rows, "playbook")
}

/// Every exercise, by id (the table holds at most
/// [`rampart_domain::exercise::MAX_EXERCISES`] rows).
pub(super) async fn exercises<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Vec<rampart_domain::Exercise>, StoreError> {
    let rows = store
        .fetch(
            "SELECT data FROM exercises ORDER BY id",
            &[],
            &[ColType::Text],
        )
        .await?;
    documents(rows, "exercise")
}

/// Improvement actions as the register asks, the soonest due first.
pub(super) async fn improvements<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &crate::ImprovementQuery,
) -> Result<Vec<rampart_domain::ImprovementAction>, StoreError> {
    let mut f = super::query::Filter::default();
    f.text("source", q.source.map(|n| n.to_string()).as_deref());
    f.text("owner", q.owner.as_deref());
    if q.open {
        // As written in the partial index of open improvements.
        f.and("status IN ('open', 'in_progress')", vec![]);
    }
    if let Some(before) = q.due_before {
        f.and(
            "due < ?",
            vec![super::SqlValue::int(before.as_offset().unix_timestamp())],
        );
    }
    let limit = q.limit.clamp(1, crate::MAX_PAGE);
    let sql = format!(
        "SELECT data FROM improvements{} ORDER BY due IS NULL, due, id LIMIT {limit}",
        f.sql()
    );
    let rows = store.fetch(&sql, &f.params, &[ColType::Text]).await?;
    documents(rows, "improvement")
}

/// The contact directory by id, of one category when given (the table
/// holds at most [`rampart_domain::contact::MAX_CONTACTS`] rows).
pub(super) async fn contacts<B: SqlBackend>(
    store: &SqlStore<B>,
    category: Option<rampart_domain::ContactCategory>,
) -> Result<Vec<rampart_domain::Contact>, StoreError> {
    let rows = match category {
        Some(c) => {
            store
                .fetch(
                    "SELECT data FROM contacts WHERE category = $1 ORDER BY id",
                    &[SqlValue::text(c.as_str())],
                    &[ColType::Text],
                )
                .await?
        }
        None => {
            store
                .fetch(
                    "SELECT data FROM contacts ORDER BY id",
                    &[],
                    &[ColType::Text],
                )
                .await?
        }
    };
    documents(rows, "contact")
}
