//! The journal, for auditors and administrators.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use rampart_app::JournalQuery;
use serde::{Deserialize, Serialize};

use super::Page;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, QueryParams};

/// Items a page of the journal holds when `limit` is not given.
const DEFAULT_LIMIT: u32 = 100;
/// The most entries a page of the journal holds.
const MAX_LIMIT: u32 = 1000;

/// Which journal entries to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JournalFilters {
    /// Entries after this sequence number: 0 (the default) from the start,
    /// or the `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "sequence")]
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub after: Option<u64>,
    /// Only entries about this record, e.g. `INC-2026-0001` or `user:alice`.
    pub entity: Option<String>,
    /// Page size, 1-1000 (default 100).
    #[serde(default, deserialize_with = "journal_limit")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A sequence number: the database keeps them as signed 64-bit integers.
fn sequence<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    super::bounded(d, 0, i64::MAX as u64)
}

fn journal_limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    super::bounded(d, 1, MAX_LIMIT)
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

impl From<rampart_app::visibility::ServedEntry> for JournalEntryView {
    fn from(served: rampart_app::visibility::ServedEntry) -> Self {
        Self {
            redacted: served.redacted,
            ..Self::from(served.entry)
        }
    }
}

impl From<rampart_app::JournalEntry> for JournalEntryView {
    fn from(e: rampart_app::JournalEntry) -> Self {
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

/// Read the journal in sequence order (auditor, admin). The journal pages
/// by sequence number: `next_cursor` is the last entry's, to pass as `after`.
#[utoipa::path(get, path = "/journal", tag = "journal", operation_id = "list_journal", params(JournalFilters),
    responses((status = 200, description = "A page of the journal", body = Page<JournalEntryView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<JournalFilters>,
) -> Result<Json<Page<JournalEntryView>>, ApiError> {
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT);
    let (entries, next_after) = s
        .app
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
    Ok(Json(Page {
        items,
        next_cursor: next_after.map(|seq| seq.to_string()),
    }))
}

/// Which checkpoint to give as a signed note.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckpointParams {
    /// The entry a checkpoint was signed at; without it, the journal's
    /// head (signed now if no checkpoint covers it yet).
    #[param(minimum = 1)]
    pub seq: Option<u64>,
}

/// A signed checkpoint of the journal as a C2SP signed note in the
/// tlog-checkpoint form (auditor, admin): the origin, the journal's length
/// and its head hash in base64, signed by the installation's key. Verify it
/// with signed-note tooling and the key `rampart journal key --note` prints.
#[utoipa::path(get, path = "/journal/checkpoint", tag = "journal", operation_id = "journal_checkpoint_note", params(CheckpointParams),
    responses((status = 200, description = "The signed note", content_type = "text/plain; charset=utf-8", body = String),
        (status = 404, description = "No checkpoint was signed at that entry", body = Problem)))]
pub async fn checkpoint_note(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(p): QueryParams<CheckpointParams>,
) -> Result<impl IntoResponse, ApiError> {
    let note = s.app.checkpoint_note(&actor, p.seq).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        note,
    ))
}
