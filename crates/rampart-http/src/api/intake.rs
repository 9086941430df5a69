//! Machine intake: batches of events (Rampart's own shape, OCSF Detection
//! Findings, ECS alerts) answered item by item, the categorization rules, and
//! the dead letters of the syslog receiver.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use rampart_app::{AppError, DeadLetter};
use rampart_domain::{EventReport, FieldError, RuleSet};
use serde::{Deserialize, Serialize};

use super::Page;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams, field_error};
use rampart_app::intake::Intake;

/// Batches read and parsed at the same time, per node; more wait their turn.
static BATCH_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// What became of one item of a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchItem {
    /// The item's position in the batch, from 0.
    pub index: usize,
    pub status: BatchItemStatus,
    /// The new event's number, or the number of the event it repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// How many times the alert has arrived, this one included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<u64>,
    /// Open events and incidents sharing its observables or assets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub related: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
}

/// What became of an item of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchItemStatus {
    /// Stored as a new event.
    Created,
    /// A repeat of the alert numbered; its count was raised.
    Duplicate,
    /// Refused (see `errors`); nothing was stored.
    Rejected,
    /// Storage was unavailable; send it again.
    Failed,
}

/// The answer to a batch: counts, then one entry per item in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub created: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub failed: usize,
    pub items: Vec<BatchItem>,
}

/// Turns one JSON item into a report, by its shape.
fn report_of(value: serde_json::Value) -> Result<EventReport, Vec<FieldError>> {
    use rampart_app::intake::shapes::{Shape, detect, ecs, misp, ocsf, stix, thehive};
    let mapped = |r: Result<EventReport, Vec<(String, String)>>| {
        r.map_err(|errors| {
            errors
                .into_iter()
                .map(|(field, message)| FieldError::new(field, message))
                .collect()
        })
    };
    match detect(&value) {
        Shape::Ocsf => mapped(ocsf(&value)),
        Shape::Ecs => mapped(ecs(&value)),
        Shape::Misp => mapped(misp(&value)),
        Shape::Stix => mapped(stix(&value)),
        Shape::TheHive => mapped(thehive(&value)),
        Shape::Rampart => serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().clone();
            vec![field_error(&path, e.into_inner().to_string())]
        }),
    }
}

/// Splits a body into items: a JSON array, or, when `ndjson`, one JSON
/// document per line.
fn items_of(
    bytes: &[u8],
    ndjson: bool,
) -> Result<Vec<Result<serde_json::Value, FieldError>>, ApiError> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    match start.map(|i| bytes[i]) {
        None => Err(ApiError::Malformed(
            "the body is empty; send a JSON array of events or one JSON event per line".into(),
        )),
        Some(_) if !ndjson => {
            let items: Vec<serde_json::Value> = serde_json::from_slice(bytes).map_err(|e| {
                ApiError::Malformed(format!(
                    "the body is not a JSON array ({e}); send one, or NDJSON with `Content-Type: application/x-ndjson`"
                ))
            })?;
            Ok(items.into_iter().map(Ok).collect())
        }
        Some(_) => Ok(bytes
            .split(|b| *b == b'\n')
            .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
            .map(|line| {
                serde_json::from_slice(line)
                    .map_err(|e| FieldError::new("", format!("the line is not valid JSON: {e}")))
            })
            .collect()),
    }
}

/// Report many events at once: a JSON array, or NDJSON
/// (`application/x-ndjson`, one event per line). Each item may be in
/// Rampart's own shape, an OCSF Detection Finding (`class_uid` 2004), an
/// Elastic Common Schema alert (`event.kind: alert`), a MISP event
/// (`{"Event": {...}}`) or a STIX 2.1 bundle (`"type": "bundle"`), whose
/// observables arrive with it. The answer lists every
/// item in order: its new number, the number it repeats, or its field errors.
/// Items are independent: a rejected item changes nothing and does not stop
/// the others. Repeats (same `source.name` and `source.ref`) are counted on
/// the first event, so sending a batch again is harmless.
#[utoipa::path(post, path = "/events/batch", tag = "intake", operation_id = "report_batch",
    request_body(description = "A JSON array, or NDJSON (one event per line) with `Content-Type: application/x-ndjson`. Each item is an event in Rampart's own shape (`EventReport`), an OCSF Detection Finding, an ECS alert, a MISP event or a STIX 2.1 bundle; an item in none of them is rejected on its own, in the answer",
        content((Vec<serde_json::Value> = "application/json"), (String = "application/x-ndjson"))),
    responses((status = 200, description = "The fate of every item, in order", body = BatchResult),
        (status = 400, description = "The body is empty, or (as `application/json`) not a JSON array", body = Problem),
        (status = 415, description = "The body is neither JSON nor NDJSON", body = Problem),
        (status = 422, description = "The batch holds more events than `batch_max_events`", body = Problem)))]
pub async fn batch(
    State(s): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<BatchResult>, ApiError> {
    let mut ndjson = false;
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        match ct.split(';').next().unwrap_or_default().trim() {
            "application/json" => {}
            "application/x-ndjson" | "application/jsonl" | "application/json-seq" => ndjson = true,
            _ => return Err(ApiError::UnsupportedMediaType),
        }
    }
    actor.require(rampart_domain::Action::ReportEvent)?;
    let settings = s.app.intake_settings();
    let limit = settings.max_batch_bytes;
    // A batch is held whole while it is parsed: a few at a time bound the memory.
    let _slot = BATCH_SLOTS
        .acquire()
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::TooLarge(limit))?;
    let items = items_of(&bytes, ndjson)?;
    if items.len() > settings.max_batch {
        return Err(ApiError::field(
            "items",
            format!(
                "a batch holds at most {} events; this one has {}",
                settings.max_batch,
                items.len()
            ),
        ));
    }
    let reports = items
        .into_iter()
        .map(|item| item.map_err(|e| vec![e]).and_then(report_of))
        .collect();
    let outcomes = s.app.ingest_many(&actor, reports).await;
    let mut result = BatchResult {
        created: 0,
        duplicates: 0,
        rejected: 0,
        failed: 0,
        items: Vec::with_capacity(outcomes.len()),
    };
    for (index, outcome) in outcomes.into_iter().enumerate() {
        let mut item = BatchItem {
            index,
            status: BatchItemStatus::Created,
            number: None,
            occurrences: None,
            related: vec![],
            errors: vec![],
        };
        match outcome {
            Ok(intake) => {
                let event = intake.event();
                item.number = Some(event.number.to_string());
                item.related = event.related.iter().map(|c| c.number.clone()).collect();
                if let Intake::Duplicate(e) = &intake {
                    item.status = BatchItemStatus::Duplicate;
                    item.occurrences = Some(e.occurrences);
                    result.duplicates += 1;
                } else {
                    result.created += 1;
                }
            }
            Err(AppError::Domain(e)) => {
                item.status = BatchItemStatus::Rejected;
                item.errors = match e {
                    rampart_domain::DomainError::Invalid(errors) => errors,
                    other => vec![FieldError::new("", other.to_string())],
                };
                result.rejected += 1;
            }
            Err(e) => {
                tracing::error!(error = %e.chain(), index, "batch item not stored");
                item.status = BatchItemStatus::Failed;
                item.errors = vec![FieldError::new(
                    "",
                    "storage is unavailable; nothing was stored for this item, send it again",
                )];
                result.failed += 1;
            }
        }
        result.items.push(item);
    }
    Ok(Json(result))
}

/// The categorization rules in force, in order (the first match proposes).
#[utoipa::path(get, path = "/intake/rules", tag = "intake", operation_id = "get_rules",
    responses((status = 200, description = "The rules and their version", body = RuleSet)))]
pub async fn rules(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<RuleSet>, ApiError> {
    Ok(Json(s.app.get_rules(&actor).await?))
}

/// Replace the categorization rules (admins). Send the `version` you read:
/// a table changed meanwhile by someone else is refused, naming `version`.
#[utoipa::path(put, path = "/intake/rules", tag = "intake", operation_id = "replace_rules", request_body = RuleSet,
    responses((status = 200, description = "The rules now in force, with their new version", body = RuleSet)))]
pub async fn replace_rules(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<RuleSet>,
) -> Result<Json<RuleSet>, ApiError> {
    Ok(Json(s.app.replace_rules(&actor, body).await?))
}

/// Paging of the dead letters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterFilters {
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "super::cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A message the syslog receiver could not take in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLetterView {
    pub id: Option<i64>,
    pub received_at: rampart_domain::Timestamp,
    pub transport: String,
    pub peer: String,
    pub reason: String,
    pub raw: String,
}

/// Dead letters with their total.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLetters {
    pub total: u64,
    #[serde(flatten)]
    pub page: Page<DeadLetterView>,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(d: DeadLetter) -> Self {
        Self {
            id: d.id,
            received_at: d.received_at,
            transport: d.transport,
            peer: d.peer,
            reason: d.reason,
            raw: d.raw,
        }
    }
}

/// Messages the syslog receiver could not take in, newest first, with the reason (admins).
#[utoipa::path(get, path = "/intake/dead-letters", tag = "intake", operation_id = "list_dead_letters", params(DeadLetterFilters),
    responses((status = 200, description = "A page of dead letters, with how many are kept", body = DeadLetters)))]
pub async fn dead_letters(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<DeadLetterFilters>,
) -> Result<Json<DeadLetters>, ApiError> {
    let (page, total) = s
        .app
        .dead_letters(
            &actor,
            f.cursor.as_deref(),
            f.limit.unwrap_or(super::DEFAULT_LIMIT),
        )
        .await?;
    Ok(Json(DeadLetters {
        total,
        page: Page {
            items: page.items.into_iter().map(DeadLetterView::from).collect(),
            next_cursor: page.next_cursor,
        },
    }))
}

/// The state of machine intake on this node.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeStatus {
    /// What this node's syslog receiver did since it started.
    pub syslog: rampart_app::intake::SyslogStats,
    /// Dead letters kept (all nodes).
    pub dead_letters: u64,
}

/// Counters of this node's syslog receiver and the number of dead letters (admins).
#[utoipa::path(get, path = "/intake/status", tag = "intake", operation_id = "get_intake_status",
    responses((status = 200, description = "The counters", body = IntakeStatus)))]
pub async fn status(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<IntakeStatus>, ApiError> {
    let (syslog, dead_letters) = s.app.intake_status(&actor).await?;
    Ok(Json(IntakeStatus {
        syslog,
        dead_letters,
    }))
}
