//! People: users and their API tokens.

use super::query::Filter;
use super::rows::{documents, parse};
use super::{ColType, SqlBackend, SqlStore, SqlValue};
use crate::StoreError;
use crate::model::{ApiToken, User};

pub(super) async fn token_owner<B: SqlBackend>(
    store: &SqlStore<B>,
    token_hash: &str,
) -> Result<Option<(User, ApiToken)>, StoreError> {
    let rows = store
        .fetch(
            "SELECT u.data, t.data FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = $1",
            &[SqlValue::text(token_hash)],
            &[ColType::Text, ColType::Text],
        )
        .await?;
    let Some(mut row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let token = row.pop().and_then(SqlValue::into_string);
    let user = row.pop().and_then(SqlValue::into_string);
    match (user, token) {
        (Some(user), Some(token)) => Ok(Some((parse(&user, "user")?, parse(&token, "api token")?))),
        _ => Ok(None),
    }
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
    f.text("user_name", user);
    let sql = format!("SELECT data FROM api_tokens{} ORDER BY id", f.sql());
    let rows = store.fetch(&sql, &f.params, &[ColType::Text]).await?;
    documents(rows, "api token")
}
