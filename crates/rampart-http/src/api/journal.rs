//! The journal, for auditors and administrators.

use axum::Json;
use axum::extract::State;
use rampart_store::JournalQuery;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, QueryParams};

/// Which journal entries to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JournalFilters {
    /// Entries after this sequence number (the cursor).
    pub after: Option<u64>,
    /// Only entries about this record, e.g. `INC-2026-0001` or `user:alice`.
    pub entity: Option<String>,
    /// Page size, 1-1000 (default 100).
    pub limit: Option<u32>,
}

/// One journal entry. `hash = SHA-256(previous hash || canonical bytes)`; see `docs/journal.md`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JournalEntryView {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub payload: serde_json::Value,
    pub hash: String,
    /// Need-to-know took a restricted record's number out of `payload`: the
    /// stored entry is unchanged, and `hash` covers it as stored.
    pub redacted: bool,
}

impl From<crate::service::ServedEntry> for JournalEntryView {
    fn from(served: crate::service::ServedEntry) -> Self {
        Self {
            redacted: served.redacted,
            ..Self::from(served.entry)
        }
    }
}

impl From<rampart_store::JournalEntry> for JournalEntryView {
    fn from(e: rampart_store::JournalEntry) -> Self {
        Self {
            redacted: false,
            payload: serde_json::from_str(&e.payload)
                .unwrap_or(serde_json::Value::String(e.payload)),
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            hash: e.hash,
        }
    }
}

/// A page of the journal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JournalPage {
    pub items: Vec<JournalEntryView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<u64>,
}

/// Read the journal in sequence order (auditor, admin).
#[utoipa::path(get, path = "/journal", tag = "journal", params(JournalFilters),
    responses((status = 200, body = JournalPage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<JournalFilters>,
) -> Result<Json<JournalPage>, ApiError> {
    let limit = match f.limit {
        None => 100,
        Some(l @ 1..=1000) => l,
        Some(_) => return Err(ApiError::field("limit", "must be between 1 and 1000")),
    };
    let (entries, next_after) = s
        .service
        .journal_page(
            &actor,
            JournalQuery {
                after: f.after.unwrap_or(0),
                limit,
                entity: f.entity,
            },
        )
        .await?;
    let items = entries.into_iter().map(JournalEntryView::from).collect();
    Ok(Json(JournalPage { items, next_after }))
}
