//! A person's notifications: the list, the unread count, marking them
//! read, and what they choose to be told and where.

use axum::Json;
use axum::extract::State;
use rampart_app::notify::PreferencesInput;
use rampart_domain::{DomainError, InboxItem, NoticePreferences};
use serde::{Deserialize, Serialize};

use super::Page;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

/// Which notifications to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationFilters {
    /// Only the unread ones.
    #[serde(default)]
    pub unread: Option<bool>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "super::cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Your notifications in the app, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", operation_id = "list_notifications", params(NotificationFilters),
    responses((status = 200, description = "A page of your notifications", body = Page<InboxItem>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<NotificationFilters>,
) -> Result<Json<Page<InboxItem>>, ApiError> {
    let limit = f.limit.unwrap_or(super::DEFAULT_LIMIT);
    let page = s
        .app
        .notifications(
            &actor,
            f.unread.unwrap_or(false),
            f.cursor.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(Page {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// How many notifications are unread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Unread {
    pub unread: u64,
}

/// How many of your notifications are unread (the bell's number).
#[utoipa::path(get, path = "/notifications/unread", tag = "notifications", operation_id = "count_unread_notifications",
    responses((status = 200, description = "The count", body = Unread)))]
pub async fn unread(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Unread>, ApiError> {
    Ok(Json(Unread {
        unread: s.app.unread_notifications(&actor).await?,
    }))
}

/// Which notifications to mark read: some by id, or all.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Ids of your notifications (at most 500).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub ids: Vec<String>,
    /// Every unread notification of yours instead.
    #[serde(default)]
    pub all: bool,
}

/// How many notifications a request marked read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// Those that were unread; already read ones are left as they were.
    pub marked: usize,
}

/// Mark notifications read: `{"ids": [...]}`, or `{"all": true}`.
#[utoipa::path(post, path = "/notifications/read", tag = "notifications", operation_id = "mark_notifications_read", request_body = MarkRead,
    responses((status = 200, description = "How many were unread", body = Marked),
        (status = 404, description = "An id is not one of your notifications", body = Problem)))]
pub async fn mark_read(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<MarkRead>,
) -> Result<Json<Marked>, ApiError> {
    let marked = match (body.all, body.ids.is_empty()) {
        (true, true) => s.app.mark_all_read(&actor).await?,
        (false, false) => s.app.mark_read(&actor, body.ids).await?,
        (true, false) => {
            return Err(DomainError::field("ids", "give ids or `all`, not both").into());
        }
        (false, true) => {
            return Err(
                DomainError::field("ids", "give the ids to mark read, or `all`: true").into(),
            );
        }
    };
    Ok(Json(Marked { marked }))
}

/// What you are told, and where (the defaults until you choose).
#[utoipa::path(get, path = "/notifications/preferences", tag = "notifications", operation_id = "get_notification_preferences",
    responses((status = 200, description = "Your choices", body = NoticePreferences)))]
pub async fn preferences(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<NoticePreferences>, ApiError> {
    Ok(Json(s.app.notification_preferences(&actor).await?))
}

/// Choose what you are told, and where. Significant incidents and crises
/// always show in the app; e-mail needs an address.
#[utoipa::path(put, path = "/notifications/preferences", tag = "notifications", operation_id = "set_notification_preferences", request_body = PreferencesInput,
    responses((status = 200, description = "Your choices as recorded", body = NoticePreferences)))]
pub async fn set_preferences(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<PreferencesInput>,
) -> Result<Json<NoticePreferences>, ApiError> {
    Ok(Json(
        s.app.set_notification_preferences(&actor, body).await?,
    ))
}
