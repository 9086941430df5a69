//! People: users and their API tokens.

use super::query::Filter;
use super::rows::{documents, parse};
use super::{ColType, SqlBackend, SqlStore, SqlValue};
use crate::StoreError;
use rampart_domain::Timestamp;

use crate::model::{ApiToken, User};

pub(super) async fn token_owner<B: SqlBackend>(
    store: &SqlStore<B>,
    token_hash: &str,
) -> Result<Option<(User, ApiToken)>, StoreError> {
    let rows = store
        .fetch(
            "SELECT u.data, t.data, g.last_used_at FROM api_tokens t \
             JOIN users u ON u.name = t.user_name \
             LEFT JOIN token_usage g ON g.token_hash = t.token_hash \
             WHERE t.token_hash = $1",
            &[SqlValue::text(token_hash)],
            &[ColType::Text, ColType::Text, ColType::Int],
        )
        .await?;
    let Some(mut row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let used = row.pop().and_then(|v| v.as_i64());
    let token = row.pop().and_then(SqlValue::into_string);
    let user = row.pop().and_then(SqlValue::into_string);
    match (user, token) {
        (Some(user), Some(token)) => {
            let mut token: ApiToken = parse(&token, "api token")?;
            token.last_used_at = used.and_then(Timestamp::from_unix);
            Ok(Some((parse(&user, "user")?, token)))
        }
        _ => Ok(None),
    }
}

pub(super) async fn note_token_used<B: SqlBackend>(
    store: &SqlStore<B>,
    token_hash: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    store
        .execute_direct(
            "INSERT INTO token_usage (token_hash, last_used_at) VALUES ($1, $2) \
             ON CONFLICT (token_hash) DO UPDATE SET last_used_at = excluded.last_used_at",
            &[
                SqlValue::text(token_hash),
                SqlValue::int(at.as_offset().unix_timestamp()),
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn user_count<B: SqlBackend>(store: &SqlStore<B>) -> Result<u64, StoreError> {
    store.count("users").await
}

pub(super) async fn list_users<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Vec<User>, StoreError> {
    let rows = store
        .fetch(
            "SELECT data FROM users ORDER BY name",
            &[],
            &[ColType::Text],
        )
        .await?;
    documents(rows, "user")
}

pub(super) async fn list_tokens<B: SqlBackend>(
    store: &SqlStore<B>,
    user: Option<&str>,
) -> Result<Vec<ApiToken>, StoreError> {
    let mut f = Filter::default();
    f.text("t.user_name", user);
    let sql = format!(
        "SELECT t.data, g.last_used_at FROM api_tokens t \
         LEFT JOIN token_usage g ON g.token_hash = t.token_hash{} ORDER BY t.id",
        f.sql()
    );
    let rows = store
        .fetch(&sql, &f.params, &[ColType::Text, ColType::Int])
        .await?;
    rows.into_iter()
        .map(|mut row| {
            let used = row.pop().and_then(|v| v.as_i64());
            let data = row
                .pop()
                .and_then(SqlValue::into_string)
                .unwrap_or_default();
            let mut token: ApiToken = parse(&data, "api token")?;
            token.last_used_at = used.and_then(Timestamp::from_unix);
            Ok(token)
        })
        .collect()
}
