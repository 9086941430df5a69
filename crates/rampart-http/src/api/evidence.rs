//! Evidence: upload (multipart, streamed), list, read with the chain of
//! custody, download (re-verified while streaming), transfer of custody,
//! verification, legal hold, disposal, and the signed bundle of an incident.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rampart_app::evidence::Reading;
use rampart_domain::{
    Actor, CustodyTransfer, EventNumber, EvidenceContent, EvidenceHolder, EvidenceItem,
    EvidenceNumber, EvidenceReason, EvidenceSubmission, IncidentNumber, Text,
};
use serde::{Deserialize, Serialize};

use super::journal::JournalEntryView;
use super::{Page, Paging, number};
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};
use crate::upload;
use crate::{App, AppState};
use rampart_app::evidence::BundlePlan;

/// An evidence item with its chain of custody.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvidenceView {
    #[serde(flatten)]
    pub item: EvidenceItem,
    /// Every journal entry about the item, oldest first: collection,
    /// downloads, transfers, verifications, holds, exports, disposal.
    pub custody: Vec<JournalEntryView>,
}

/// Place or release a legal hold.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    /// `true` to place the hold, `false` to release it.
    pub hold: bool,
    pub reason: Text,
}

/// The multipart form of an upload (metadata fields first, then `file`), as
/// the upload reads it: an optional field left blank counts as absent.
#[derive(Debug)]
pub struct EvidenceUpload;

impl utoipa::PartialSchema for EvidenceUpload {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        use utoipa::openapi::{Ref, RefOr, Schema};
        let refer = |name: &str, description: &str| -> RefOr<Schema> {
            let mut reference = Ref::from_schema_name(name);
            reference.description = description.to_owned();
            RefOr::Ref(reference)
        };
        // White space alone: the field is left out.
        let blank = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(
                    r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
                ))
        };
        let optional = |name: &str, description: &str| {
            OneOfBuilder::new()
                .item(Ref::from_schema_name(name))
                .item(blank())
                .description(Some(description))
        };
        ObjectBuilder::new()
            .property("description", refer("Text", "What it is."))
            .required("description")
            .property("found_at", refer("Text", "Where it was found."))
            .required("found_at")
            .property("collected_by", refer("Text", "Who collected it."))
            .required("collected_by")
            .property(
                "collected_at",
                refer("Timestamp", "When it was collected; not in the future."),
            )
            .required("collected_at")
            .property("reason", refer("Text", "Why it was collected."))
            .required("reason")
            .property(
                "tool",
                optional("Text", "The tool used, with its version."),
            )
            .property(
                "tlp",
                optional("Tlp", "TLP marking; defaults to the incident's."),
            )
            .property(
                "pap",
                optional("Pap", "PAP marking; defaults to the incident's."),
            )
            .property(
                "location",
                optional("Text", "Where the original is kept (locker, bag, room)."),
            )
            .property(
                "seal",
                optional("Text", "The seal on the original or its bag, if sealed."),
            )
            .property(
                "file",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .min_length(Some(1))
                    .description(Some("The content: at least one byte.")),
            )
            .required("file")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .description(Some(
                "The multipart form of an upload (metadata fields first, then `file`); an optional field left blank counts as absent.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for EvidenceUpload {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        for (name, schema) in [
            ("Text", rampart_domain::Text::schema()),
            ("Timestamp", rampart_domain::Timestamp::schema()),
            ("Tlp", rampart_domain::Tlp::schema()),
            ("Pap", rampart_domain::Pap::schema()),
        ] {
            schemas.push((name.to_owned(), schema));
        }
    }
}

fn incident_number(raw: &str) -> Result<IncidentNumber, ApiError> {
    number(raw, "incident")
}

fn evidence_number(raw: &str) -> Result<EvidenceNumber, ApiError> {
    number(raw, "evidence item")
}

fn event_number(raw: &str) -> Result<EventNumber, ApiError> {
    number(raw, "event")
}

fn multipart_body(multipart: Result<Multipart, MultipartRejection>) -> Result<Multipart, ApiError> {
    multipart
        .map_err(|e| ApiError::Malformed(format!("send the evidence as multipart/form-data ({e})")))
}

/// One page of items from the position in `paging`'s cursor. The cursor is
/// the position of the next item: items are never deleted, so positions do
/// not move.
async fn page_from<F, Fut>(p: &Paging, read: F) -> Result<Json<Page<EvidenceItem>>, ApiError>
where
    F: FnOnce(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<EvidenceItem>, rampart_app::AppError>>,
{
    let from: u64 = match p.cursor.as_deref() {
        Some(c) => c.parse().map_err(|_| super::bad_cursor())?,
        None => 0,
    };
    let limit = p.limit.unwrap_or(super::DEFAULT_LIMIT) as usize;
    let mut items = read(u32::try_from(from).unwrap_or(u32::MAX)).await?;
    let more = items.len() > limit;
    items.truncate(limit);
    Ok(Json(Page {
        items,
        next_cursor: more.then(|| (from + limit as u64).to_string()),
    }))
}

/// Upload an evidence item to an incident (ISIRT member or manager).
/// `multipart/form-data`: the metadata fields, then `file`. The content is
/// streamed to the vault and hashed on the way; the size limit is the
/// server's `evidence_max_bytes` (default 4 GiB).
#[utoipa::path(post, path = "/incidents/{number}/evidence", tag = "evidence", operation_id = "upload_evidence",
    params(("number" = String, Path, description = "e.g. INC-2026-0001")),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "Recorded, with the content's SHA-256", body = EvidenceItem),
        (status = 400, description = "The body is not `multipart/form-data`, or cannot be read", body = Problem)))]
pub async fn upload(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<EvidenceItem>), ApiError> {
    let n = EvidenceHolder::Incident(incident_number(&raw)?);
    let item = upload::receive(&s.app, &actor, n, multipart_body(multipart)?, None).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// Secure an evidence file for an event still in triage (ISIRT member or
/// manager), as for an incident. The item follows the event into the
/// incident it is confirmed as or added to (`evidence.attached`). An event
/// that is part of an incident already takes no evidence: add it to the incident.
#[utoipa::path(post, path = "/events/{number}/evidence", tag = "evidence", operation_id = "upload_event_evidence",
    params(("number" = String, Path, description = "e.g. EVT-2026-000001")),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "Recorded, with the content's SHA-256", body = EvidenceItem),
        (status = 400, description = "The body is not `multipart/form-data`, or cannot be read", body = Problem),
        (status = 409, description = "The event was closed without an incident, or is part of one", body = Problem)))]
pub async fn upload_for_event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<EvidenceItem>), ApiError> {
    let n = EvidenceHolder::Event(event_number(&raw)?);
    let item = upload::receive(&s.app, &actor, n, multipart_body(multipart)?, None).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// Record a physical item of an incident (ISIRT member or manager): a
/// laptop, a USB stick, a paper log. It has no content in Rampart; where it
/// is kept (`location`) is required, its seal optional, and it has the same
/// chain of custody as a file.
#[utoipa::path(post, path = "/incidents/{number}/evidence/physical", tag = "evidence", operation_id = "record_physical_evidence",
    params(("number" = String, Path, description = "e.g. INC-2026-0001")),
    request_body = EvidenceSubmission,
    responses((status = 201, description = "Recorded; `content` is null", body = EvidenceItem)))]
pub async fn physical(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<EvidenceSubmission>,
) -> Result<(StatusCode, Json<EvidenceItem>), ApiError> {
    let n = EvidenceHolder::Incident(incident_number(&raw)?);
    let item = s.app.add_physical_evidence(&actor, n, body).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// Record a physical item secured for an event still in triage (ISIRT
/// member or manager); it follows the event into its incident.
#[utoipa::path(post, path = "/events/{number}/evidence/physical", tag = "evidence", operation_id = "record_event_physical_evidence",
    params(("number" = String, Path, description = "e.g. EVT-2026-000001")),
    request_body = EvidenceSubmission,
    responses((status = 201, description = "Recorded; `content` is null", body = EvidenceItem),
        (status = 409, description = "The event was closed without an incident, or is part of one", body = Problem)))]
pub async fn physical_for_event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<EvidenceSubmission>,
) -> Result<(StatusCode, Json<EvidenceItem>), ApiError> {
    let n = EvidenceHolder::Event(event_number(&raw)?);
    let item = s.app.add_physical_evidence(&actor, n, body).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// The evidence items secured for an event that belong to no incident yet
/// (the event is still in triage, or was closed without one), in the order
/// they were recorded. Items that followed the event are listed with its incident.
#[utoipa::path(get, path = "/events/{number}/evidence", tag = "evidence", operation_id = "list_event_evidence",
    params(("number" = String, Path, description = "e.g. EVT-2026-000001"), Paging),
    responses((status = 200, description = "A page of the items", body = Page<EvidenceItem>)))]
pub async fn list_for_event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    QueryParams(p): QueryParams<Paging>,
) -> Result<Json<Page<EvidenceItem>>, ApiError> {
    let n = event_number(&raw)?;
    let app = s.app.clone();
    page_from(&p, |offset| async move {
        app.list_event_evidence_from(&actor, n, offset).await
    })
    .await
}

/// The evidence items of an incident, in the order they were recorded.
#[utoipa::path(get, path = "/incidents/{number}/evidence", tag = "evidence", operation_id = "list_evidence",
    params(("number" = String, Path, description = "e.g. INC-2026-0001"), Paging),
    responses((status = 200, description = "A page of the items", body = Page<EvidenceItem>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    QueryParams(p): QueryParams<Paging>,
) -> Result<Json<Page<EvidenceItem>>, ApiError> {
    let n = incident_number(&raw)?;
    let app = s.app.clone();
    page_from(&p, |offset| async move {
        app.list_evidence_from(&actor, n, offset).await
    })
    .await
}

/// One evidence item with its full chain of custody.
#[utoipa::path(get, path = "/evidence/{number}", tag = "evidence", operation_id = "get_evidence",
    params(("number" = String, Path, description = "e.g. EVD-2026-0001")),
    responses((status = 200, description = "The item and its chain of custody", body = EvidenceView)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
) -> Result<Json<EvidenceView>, ApiError> {
    let n = evidence_number(&raw)?;
    let record = s.app.get_evidence(&actor, n).await?;
    Ok(Json(EvidenceView {
        item: record.item,
        custody: record
            .custody
            .into_iter()
            .map(JournalEntryView::from)
            .collect(),
    }))
}

/// A file name safe for a `Content-Disposition` header.
fn attachment(name: &str) -> HeaderValue {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

struct Download {
    reading: Option<Reading>,
    /// The chunk read last, held back until the next one is read, so that
    /// the final bytes leave only after the whole content hashed right.
    pending: Option<Bytes>,
    app: Arc<App>,
    actor: Actor,
    number: EvidenceNumber,
    content: EvidenceContent,
}

impl Download {
    /// The next chunk to send, `None` at the end.
    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        loop {
            let reading = self.reading.as_mut()?;
            match reading.next_chunk().await {
                Ok(Some(chunk)) => {
                    if let Some(previous) = self.pending.replace(Bytes::from(chunk)) {
                        return Some(Ok(previous));
                    }
                }
                Ok(None) => {
                    let found = self.reading.take()?.finish();
                    let content = &self.content;
                    if found.0 == content.sha256 && found.1 == content.size {
                        return self.pending.take().map(Ok);
                    }
                    self.pending = None;
                    self.app
                        .evidence_stream_failed(&self.actor, self.number, found)
                        .await;
                    return Some(Err(std::io::Error::other(
                        "the content changed while it was sent; the download is void",
                    )));
                }
                Err(e) => {
                    self.reading = None;
                    return Some(Err(std::io::Error::other(e.to_string())));
                }
            }
        }
    }
}

/// The content as a response body, re-hashed as it streams. The last chunk
/// is sent only once the whole content hashed to the item's SHA-256; if it
/// did not, the body ends in an error instead (the client never receives a
/// complete altered file) and an alarm entry is written.
pub fn download_response(
    app: Arc<App>,
    actor: Actor,
    item: EvidenceItem,
    reading: Reading,
) -> Response {
    let content = match item.readable() {
        Ok(content) => content.clone(),
        Err(e) => return ApiError::from(rampart_app::AppError::from(e)).into_response(),
    };
    let size = content.size;
    let digest = hex::decode(&content.sha256).unwrap_or_default();
    let name = format!(
        "{}-{}",
        item.number,
        content.filename.as_deref().unwrap_or("content")
    );
    let state = Download {
        reading: Some(reading),
        pending: None,
        app,
        actor,
        number: item.number,
        content,
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        let next = st.next().await?;
        Some((next, st))
    });
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    // Never the uploaded media type: evidence may be hostile content.
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(header::CONTENT_DISPOSITION, attachment(&name));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )) {
        h.insert("repr-digest", v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Download the content (ISIRT member or manager). The content is re-hashed
/// first and while it streams; a mismatch is refused (409) and raises an
/// `evidence.integrity_failed` alarm. The download is a custody entry.
#[utoipa::path(get, path = "/evidence/{number}/content", tag = "evidence", operation_id = "download_evidence",
    params(("number" = String, Path, description = "e.g. EVD-2026-0001")),
    responses((status = 200, description = "The content; `Repr-Digest` carries its SHA-256", content_type = "application/octet-stream"),
        (status = 409, description = "The content was disposed of, or no longer matches its SHA-256 (an alarm is raised)", body = Problem)))]
pub async fn download(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let n = evidence_number(&raw)?;
    let (item, reading) = s.app.open_evidence(&actor, n).await?;
    Ok(download_response(s.app.clone(), actor, item, reading))
}

/// Re-hash the stored content now (ISIRT, auditor). The result is a custody
/// entry: `evidence.verified`, or the `evidence.integrity_failed` alarm.
#[utoipa::path(post, path = "/evidence/{number}/verification", tag = "evidence", operation_id = "verify_evidence",
    params(("number" = String, Path, description = "e.g. EVD-2026-0001")),
    responses((status = 200, body = EvidenceItem, description = "`last_check.intact` tells the result"), (status = 409, description = "The content was disposed of", body = Problem)))]
pub async fn verify(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
) -> Result<Json<EvidenceItem>, ApiError> {
    let n = evidence_number(&raw)?;
    Ok(Json(s.app.verify_evidence(&actor, n).await?))
}

/// Transfer custody to someone else, with the reason and the new storage
/// location or seal number.
#[utoipa::path(post, path = "/evidence/{number}/transfers", tag = "evidence", operation_id = "transfer_evidence",
    params(("number" = String, Path, description = "e.g. EVD-2026-0001")), request_body = CustodyTransfer,
    responses((status = 200, description = "The item with its new custodian", body = EvidenceItem), (status = 409, description = "The content was disposed of", body = Problem)))]
pub async fn transfer(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<CustodyTransfer>,
) -> Result<Json<EvidenceItem>, ApiError> {
    let n = evidence_number(&raw)?;
    Ok(Json(s.app.transfer_evidence(&actor, n, body).await?))
}

/// Place or release a legal hold (ISIRT manager). An item under hold cannot
/// be disposed of by any path.
#[utoipa::path(put, path = "/evidence/{number}/hold", tag = "evidence", operation_id = "hold_evidence",
    params(("number" = String, Path, description = "e.g. EVD-2026-0001")), request_body = HoldInput,
    responses((status = 200, description = "The item, its hold placed or released", body = EvidenceItem), (status = 409, description = "The item is already in the state asked for, or its content was disposed of", body = Problem)))]
pub async fn hold(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<HoldInput>,
) -> Result<Json<EvidenceItem>, ApiError> {
    let n = evidence_number(&raw)?;
    Ok(Json(
        s.app
            .hold_evidence(&actor, n, body.hold, body.reason)
            .await?,
    ))
}

/// Dispose of the content (ISIRT manager), e.g. at the end of retention.
/// Refused under legal hold. The record and its custody history stay.
#[utoipa::path(post, path = "/evidence/{number}/disposal", tag = "evidence", operation_id = "dispose_evidence",
    params(("number" = String, Path, description = "e.g. EVD-2026-0001")), request_body = EvidenceReason,
    responses((status = 200, description = "The item, its content disposed of", body = EvidenceItem), (status = 409, description = "The item is under legal hold, or disposed of already", body = Problem)))]
pub async fn dispose(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<EvidenceReason>,
) -> Result<Json<EvidenceItem>, ApiError> {
    let n = evidence_number(&raw)?;
    Ok(Json(s.app.dispose_evidence(&actor, n, body.reason).await?))
}

/// Sends a bundle through a channel, chunk by chunk, from a blocking thread.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

const SEND_CHUNK: usize = 256 * 1024;

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= SEND_CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(SEND_CHUNK),
        ));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

/// The bundle as a streamed response body. Content found altered while it
/// is written ends the body in an error and raises the alarm.
pub(crate) fn bundle_response(app: Arc<App>, actor: Actor, plan: BundlePlan) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let file_name = plan.file_name.clone();
    tokio::spawn(async move {
        let errors = tx.clone();
        let plan = Arc::new(plan);
        let writing = plan.clone();
        let result = tokio::task::spawn_blocking(move || {
            writing.write(ChannelWriter {
                tx,
                buf: Vec::with_capacity(SEND_CHUNK),
            })
        })
        .await;
        let failure = match result {
            Ok(Ok(())) => return,
            Ok(Err(e)) => {
                app.bundle_failed(&actor, &e).await;
                e.to_string()
            }
            Err(e) => e.to_string(),
        };
        tracing::error!(error = %failure, "evidence bundle stopped");
        let _ = errors.send(Err(std::io::Error::other(failure))).await;
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    h.insert(header::CONTENT_DISPOSITION, attachment(&file_name));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The signed evidence bundle of an incident (ISIRT member or manager): a
/// tar archive with every present item's content, `manifest.json` (hashes,
/// sizes, metadata, full custody history), `manifest.sig` and
/// `signing-key.pub`. Check it offline with `rampart evidence verify`.
/// Every item is re-verified first; each export is a custody entry.
#[utoipa::path(get, path = "/incidents/{number}/evidence/bundle", tag = "evidence", operation_id = "get_evidence_bundle",
    params(("number" = String, Path, description = "e.g. INC-2026-0001")),
    responses((status = 200, description = "The tar archive", content_type = "application/x-tar"),
        (status = 409, description = "An item's content no longer matches its SHA-256 (an alarm is raised)", body = Problem)))]
pub async fn bundle(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let n = incident_number(&raw)?;
    let plan = s.app.evidence_bundle(&actor, n).await?;
    Ok(bundle_response(s.app.clone(), actor, plan))
}
