//! API tokens: one's own, listed, made and revoked; every token, for those
//! who manage users. A token acts for its owner, within the owner's roles
//! and its own scopes, until it expires or is revoked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::ApiToken;
use rampart_app::people::TokenRequest;
use rampart_domain::{Scope, Timestamp};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

/// An API token as its owner and admins read it; never its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    /// `tok_` and 12 hex digits: the first of the secret's SHA-256.
    pub id: String,
    /// What it is for; empty for tokens made before names.
    pub name: String,
    /// Its owner: the user it acts as.
    pub user: String,
    /// What it may be used for; `null` for a token made before scopes,
    /// which acts with every scope its owner's roles allow.
    pub scopes: Option<Vec<Scope>>,
    /// When it stops working; `null` for a token made before expiry.
    pub expires_at: Option<Timestamp>,
    /// When it was last used, to the minute; `null` when never.
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub created_by: String,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            user: t.user,
            scopes: t.scopes,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            created_at: t.created_at,
            created_by: t.created_by,
        }
    }
}

/// Which tokens to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TokenListParams {
    /// Every user's tokens (those who manage users); one's own when absent.
    #[serde(default)]
    pub all: Option<bool>,
}

/// One's own API tokens, newest last by id; every token with `all=true`
/// (those who manage users).
#[utoipa::path(get, path = "/tokens", tag = "people", operation_id = "all_tokens",
    params(TokenListParams),
    responses((status = 200, description = "The tokens", body = Vec<TokenView>),
        (status = 403, description = "`all` without the right to manage users", body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(p): QueryParams<TokenListParams>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = if p.all == Some(true) {
        s.app.list_tokens(&actor).await?
    } else {
        s.app.own_tokens(&actor).await?
    };
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// A new API token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// What it is for, e.g. `wazuh sensor`: 1 to 80 characters. Required.
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// What it may be used for: scopes the owner's roles allow (and, when
    /// asked for with a token, scopes that token has). Every scope the
    /// owner's roles allow when absent.
    #[serde(default)]
    pub scopes: Option<Vec<Scope>>,
    /// How many days it works: 1 to the installation's `token_days_max`
    /// (365 unless configured); `token_days_default` (90) when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
    /// Whose token it is: oneself when absent; another user for those who
    /// manage users.
    #[serde(default)]
    pub user: Option<String>,
}

/// A token just made, with its secret: shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    pub token: TokenView,
    /// The secret to send as `Authorization: Bearer <secret>`. Only a hash
    /// is kept: it cannot be shown again.
    pub secret: String,
}

/// Make an API token, for oneself or (those who manage users) for another
/// user, with a name, scopes and an expiry. Journaled as `token.created`.
#[utoipa::path(post, path = "/tokens", tag = "people", operation_id = "create_token", request_body = TokenInput,
    responses((status = 201, description = "Made; `secret` is shown this once", body = NewToken),
        (status = 403, description = "A token for another user, without the right to manage users", body = Problem),
        (status = 404, description = "No such user", body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<TokenInput>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let user = body.user.unwrap_or_else(|| actor.name.clone());
    let request = TokenRequest {
        name: Some(body.name),
        scopes: body.scopes,
        days: body.expires_in_days,
    };
    let (token, secret) = s.app.issue_token(&actor, &user, request).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewToken {
            token: token.into(),
            secret,
        }),
    ))
}

/// Revoke an API token: one's own, or (those who manage users) anyone's.
/// It stops working at once. Journaled as `token.revoked`.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "people", operation_id = "revoke_token",
    params(("id" = String, Path, description = "`tok_` and 12 hex digits")),
    responses((status = 204, description = "Revoked"),
        (status = 404, description = "No such token among those the caller may revoke", body = Problem)))]
pub async fn revoke(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_token(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
