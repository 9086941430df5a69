//! Evidence uploads, shared by the API and the web UI: a `multipart/form-data`
//! body of metadata fields and one `file`, the file streamed into the vault
//! and hashed on the way. A refused upload is read to its end (within
//! bounds) so that the client, which is usually still sending, gets the
//! answer instead of a broken connection.

use std::collections::BTreeMap;

use axum::extract::multipart::Multipart;
use rampart_app::evidence::{SUBMISSION_FIELDS, parse_submission};
use rampart_app::{App, AppError};
use rampart_domain::{Actor, EvidenceHolder, EvidenceItem};

use crate::error::ApiError;

/// Largest metadata field of an upload, in bytes.
const MAX_FIELD: usize = 64 * 1024;

fn multipart_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Malformed(format!("the multipart body cannot be read: {e}"))
}

/// How much of a refused upload is still read.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
/// How long a refused upload is read at most.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and discards the rest of a refused upload, within [`DRAIN_BYTES`]
/// and [`DRAIN_TIME`]; past that the connection is closed as it stands.
pub(crate) async fn drain(multipart: &mut Multipart) {
    let read_rest = async {
        let mut seen = 0usize;
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(chunk)) = field.chunk().await {
                seen += chunk.len();
                if seen > DRAIN_BYTES {
                    return;
                }
            }
        }
    };
    // Running out of time only means the rest is not read.
    let _ = tokio::time::timeout(DRAIN_TIME, read_rest).await;
}

/// Receives an upload: metadata fields and one `file`, streamed to the vault.
/// `csrf`, when given, must arrive as the `csrf` field before the file.
/// A refused upload is read to its end (within bounds) before the answer.
pub(crate) async fn receive(
    app: &App,
    actor: &Actor,
    holder: EvidenceHolder,
    mut multipart: Multipart,
    csrf: Option<&str>,
) -> Result<EvidenceItem, ApiError> {
    let received = store(app, actor, holder, &mut multipart, csrf).await;
    if received.is_err() {
        drain(&mut multipart).await;
    }
    received
}

/// Reads the fields and stores the file; the caller drains a refused body.
async fn store(
    app: &App,
    actor: &Actor,
    holder: EvidenceHolder,
    multipart: &mut Multipart,
    csrf: Option<&str>,
) -> Result<EvidenceItem, ApiError> {
    app.evidence_target(actor, holder).await?;
    let vault = app.vault()?;
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut stored = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if stored.is_some() {
                return Err(ApiError::field("file", "give exactly one file"));
            }
            if let Some(expected) = csrf
                && fields.get("csrf").map(String::as_str) != Some(expected)
            {
                return Err(ApiError::Forbidden(
                    "the form is stale or came from another site; reload the page and try again"
                        .into(),
                ));
            }
            let filename = field.file_name().map(str::to_owned);
            let media_type = field.content_type().map(str::to_owned);
            let mut incoming = vault
                .blobs
                .receive(vault.max_bytes)
                .await
                .map_err(|e| ApiError::from(AppError::from(e)))?;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                incoming
                    .write(&chunk)
                    .await
                    .map_err(|e| ApiError::from(AppError::from(e)))?;
            }
            let blob = incoming
                .finish()
                .await
                .map_err(|e| ApiError::from(AppError::from(e)))?;
            stored = Some((blob, filename, media_type));
            continue;
        }
        let known =
            SUBMISSION_FIELDS.contains(&name.as_str()) || (csrf.is_some() && name == "csrf");
        if !known {
            return Err(ApiError::field(
                name.clone(),
                format!(
                    "is not an evidence field; expected {} and file",
                    SUBMISSION_FIELDS.join(", ")
                ),
            ));
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if value.len() + chunk.len() > MAX_FIELD {
                return Err(ApiError::field(
                    name,
                    format!("is longer than {MAX_FIELD} bytes"),
                ));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value)
            .map_err(|_| ApiError::field(name.clone(), "is not UTF-8 text"))?;
        if fields.insert(name.clone(), value).is_some() {
            return Err(ApiError::field(name, "is given twice"));
        }
    }
    let submission = parse_submission(&fields);
    let Some((blob, filename, media_type)) = stored else {
        let mut errors = match submission {
            Err(rampart_domain::DomainError::Invalid(e)) => e,
            _ => vec![],
        };
        errors.push(rampart_domain::FieldError::new(
            "file",
            "is required: attach the evidence content",
        ));
        return Err(ApiError::Invalid(errors));
    };
    let submission = match submission {
        Ok(s) => s,
        Err(e) => {
            if !blob.existed {
                // Nothing refers to content received for a refused upload.
                app.remove_unreferenced(&blob.sha256).await;
            }
            return Err(e.into());
        }
    };
    Ok(app
        .add_evidence(actor, holder, submission, blob, filename, media_type)
        .await?)
}
