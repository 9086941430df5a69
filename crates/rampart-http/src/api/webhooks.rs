//! Webhook subscriptions, for admins: notices posted as signed JSON to
//! other systems. The signing secret is shown once, when made or replaced.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::notify::{WebhookInput, WebhookPatch};
use rampart_domain::{NoticeKind, Timestamp, Webhook, WebhookFormat, parse_webhook_id};
use serde::Serialize;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody};

/// A webhook subscription as admins read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    /// The kinds it is sent; empty: every kind.
    pub kinds: Vec<NoticeKind>,
    pub allow_private: bool,
    pub active: bool,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    /// The HMAC key of `X-Rampart-Signature`: only in the answer that made
    /// or replaced it. Keep it; it is not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    fn of(hook: Webhook, with_secret: bool) -> Self {
        Self {
            secret: with_secret.then_some(hook.secret),
            id: hook.id,
            name: hook.name.to_string(),
            url: hook.url,
            format: hook.format,
            kinds: hook.kinds.into_iter().collect(),
            allow_private: hook.allow_private,
            active: hook.active,
            created_at: hook.created_at,
            created_by: hook.created_by,
            updated_at: hook.updated_at,
        }
    }
}

fn id_of(raw: &str) -> Result<String, ApiError> {
    parse_webhook_id(raw).map_err(ApiError::NotFound)
}

/// Every webhook subscription (admins).
#[utoipa::path(get, path = "/webhooks", tag = "notifications", operation_id = "all_webhooks",
    responses((status = 200, description = "The subscriptions, by id", body = Vec<WebhookView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let hooks = s.app.webhooks(&actor).await?;
    Ok(Json(
        hooks
            .into_iter()
            .map(|h| WebhookView::of(h, false))
            .collect(),
    ))
}

/// Subscribe a webhook (admins). The URL must reach a public address unless
/// `allow_private`; the answer holds the signing secret, once.
#[utoipa::path(post, path = "/webhooks", tag = "notifications", operation_id = "add_webhook", request_body = WebhookInput,
    responses((status = 201, description = "Subscribed; `secret` is shown this once", body = WebhookView),
        (status = 409, description = "There are as many webhooks as allowed", body = Problem)))]
pub async fn add(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let hook = s.app.add_webhook(&actor, body).await?;
    Ok((StatusCode::CREATED, Json(WebhookView::of(hook, true))))
}

/// One webhook subscription (admins).
#[utoipa::path(get, path = "/webhooks/{id}", tag = "notifications", operation_id = "get_webhook",
    params(("id" = String, Path, description = "`wh_` and 12 hex digits")),
    responses((status = 200, description = "The subscription", body = WebhookView)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    let hook = s.app.webhook(&actor, &id_of(&id)?).await?;
    Ok(Json(WebhookView::of(hook, false)))
}

/// Change a webhook, turn it off or on (`active`), or replace its secret
/// (`new_secret`, shown in the answer once) (admins).
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "notifications", operation_id = "change_webhook",
    params(("id" = String, Path, description = "`wh_` and 12 hex digits")), request_body = WebhookPatch,
    responses((status = 200, description = "The subscription as it now is", body = WebhookView)))]
pub async fn change(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<WebhookPatch>,
) -> Result<Json<WebhookView>, ApiError> {
    let rotated = body.new_secret;
    let hook = s.app.change_webhook(&actor, &id_of(&id)?, body).await?;
    Ok(Json(WebhookView::of(hook, rotated)))
}
