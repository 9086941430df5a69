//! The reports of Annex D, as files to file: an incident, event or
//! vulnerability report as PDF, HTML or Markdown, sealed with the
//! installation's signature over the file and the journal head it was made
//! from, and journaled (`*.report_issued`) with the file's SHA-256 before it
//! is handed over.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rampart_app::AppError;
use rampart_app::reports::ReportOf;
use rampart_domain::journal::ReportIssued;
use rampart_domain::{Action, Actor, IncidentNumber};
use std::future::Future;

use rampart_report::document::{Provenance, Report, ReportKind, when};
use rampart_report::seal::{SealFacts, SealStyle, seal};
use rampart_report::{annex_d, html, markdown, summary};
use sha2::{Digest, Sha256};

use super::number;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

/// The form of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Pdf,
    Html,
    Markdown,
}

impl ReportFormat {
    /// The form a path names; another is no report (404).
    pub(crate) fn parse(raw: &str) -> Result<Self, ApiError> {
        match raw {
            "pdf" => Ok(Self::Pdf),
            "html" => Ok(Self::Html),
            "markdown" => Ok(Self::Markdown),
            _ => Err(ApiError::NotFound(format!(
                "no report form `{raw}`: the forms are pdf, html and markdown"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Html => "html",
            Self::Markdown => "markdown",
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Html => "text/html; charset=utf-8",
            Self::Markdown => "text/markdown; charset=utf-8",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Html => "html",
            Self::Markdown => "md",
        }
    }
}

/// The incident report (Annex D.2) with its log, response actions,
/// evidence list with hashes, communications and review. Sealed: its last
/// line carries the journal entry and head hash it was made from and the
/// installation's signature over the file, checked offline by
/// `rampart report verify`. Journaled as `incident.report_issued`.
#[utoipa::path(get, path = "/incidents/{number}/report/{format}", tag = "reports", operation_id = "incident_report",
    params(("number" = String, Path, description = "e.g. INC-2026-0001"),
        ("format" = inline(ReportFormat), Path, description = "pdf, html or markdown")),
    responses((status = 200, description = "The sealed report, as an attachment",
        content((Vec<u8> = "application/pdf"), (String = "text/html"), (String = "text/markdown")))))]
pub async fn incident(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let of = ReportOf::Incident(number(&n, "incident")?);
    answer(&s, &actor, of, ReportFormat::parse(&format)?).await
}

/// The event report (Annex D.1): what was reported, by whom and through
/// which source, its observables and the point of contact's assessment.
/// Sealed like the incident report; journaled as `event.report_issued`.
#[utoipa::path(get, path = "/events/{number}/report/{format}", tag = "reports", operation_id = "event_report",
    params(("number" = String, Path, description = "e.g. EVT-2026-000001"),
        ("format" = inline(ReportFormat), Path, description = "pdf, html or markdown")),
    responses((status = 200, description = "The sealed report, as an attachment",
        content((Vec<u8> = "application/pdf"), (String = "text/html"), (String = "text/markdown")))))]
pub async fn event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let of = ReportOf::Event(number(&n, "event")?);
    answer(&s, &actor, of, ReportFormat::parse(&format)?).await
}

/// The vulnerability report (Annex D.3): the weakness, its confirmation
/// and resolution, and its lessons-learned review. Sealed like the
/// incident report; journaled as `vulnerability.report_issued`.
#[utoipa::path(get, path = "/vulnerabilities/{number}/report/{format}", tag = "reports", operation_id = "vulnerability_report",
    params(("number" = String, Path, description = "e.g. VUL-2026-0001"),
        ("format" = inline(ReportFormat), Path, description = "pdf, html or markdown")),
    responses((status = 200, description = "The sealed report, as an attachment",
        content((Vec<u8> = "application/pdf"), (String = "text/html"), (String = "text/markdown")))))]
pub async fn vulnerability(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let of = ReportOf::Vulnerability(number(&n, "vulnerability")?);
    answer(&s, &actor, of, ReportFormat::parse(&format)?).await
}

/// The management summary of a month (`2026-03`) or quarter (`2026-Q1`):
/// the headline figures against the period before (incidents, mean times
/// to detect, acknowledge, contain and resolve, false-alarm rate, costs,
/// response-target compliance), the figures by severity class, category,
/// RSIT type and source, the significant incidents (class III and IV) you
/// may see, and the improvement actions still open. For senior management,
/// auditors and the ISIRT. Sealed like the Annex D reports; journaled as
/// `summary.issued`.
#[utoipa::path(get, path = "/summaries/{period}/{format}", tag = "reports", operation_id = "management_summary",
    params(("period" = String, Path, description = "A month, 2026-03, or a quarter, 2026-Q1, of the years 1970 to 2999", pattern = r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2]|Q[1-4])$"),
        ("format" = inline(ReportFormat), Path, description = "pdf, html or markdown")),
    responses((status = 200, description = "The sealed summary, as an attachment",
        content((Vec<u8> = "application/pdf"), (String = "text/html"), (String = "text/markdown"))),
        (status = 422, description = "`period` names no month or quarter of the years 1970 to 2999", body = crate::error::Problem)))]
pub async fn management_summary(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((period, format)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let format = ReportFormat::parse(&format)?;
    make_summary(&s, &actor, &period, format)
        .await?
        .into_response()
}

/// A sealed report with its file name and media type.
#[derive(Debug)]
pub(crate) struct Made {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub media_type: &'static str,
}

async fn answer(
    s: &AppState,
    actor: &Actor,
    of: ReportOf,
    format: ReportFormat,
) -> Result<Response, ApiError> {
    make(s, actor, of, format).await?.into_response()
}

impl Made {
    /// The file as an attachment, in its media type.
    pub(crate) fn into_response(self) -> Result<Response, ApiError> {
        let disposition =
            HeaderValue::from_str(&format!("attachment; filename=\"{}\"", self.file_name))
                .map_err(|_| ApiError::Internal)?;
        Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(self.media_type),
                ),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            self.bytes,
        )
            .into_response())
    }
}

/// The report of `of` in `format` for `actor`, made from one state of the
/// journal, sealed and journaled.
pub(crate) async fn make(
    s: &AppState,
    actor: &Actor,
    of: ReportOf,
    format: ReportFormat,
) -> Result<Made, ApiError> {
    sealed(
        s,
        actor,
        format,
        || build(s, actor, of),
        |issued| s.app.record_report(actor, of, issued),
    )
    .await
}

/// The management summary of the month or quarter `period` (`2026-03`,
/// `2026-Q1`) in `format` for `actor`, sealed and journaled.
pub(crate) async fn make_summary(
    s: &AppState,
    actor: &Actor,
    period: &str,
    format: ReportFormat,
) -> Result<Made, ApiError> {
    sealed(
        s,
        actor,
        format,
        || async {
            let c = s.app.summary_content(actor, period).await?;
            let pending: Pending = Box::new(move |p| {
                summary::management_summary(
                    summary::SummarySources {
                        current: &c.current,
                        previous: &c.previous,
                        significant: &c.significant,
                        more_significant: c.more_significant,
                        open_improvements: &c.open_improvements,
                        now: c.now,
                        tlp: c.tlp,
                    },
                    p,
                )
            });
            Ok(pending)
        },
        |issued| s.app.record_summary(actor, period, issued),
    )
    .await
}

/// The report `build` reads, made from one state of the journal, laid out
/// in `format`, sealed, and journaled by `record` before it is handed over.
async fn sealed<B, BF, R, RF>(
    s: &AppState,
    actor: &Actor,
    format: ReportFormat,
    build: B,
    record: R,
) -> Result<Made, ApiError>
where
    B: Fn() -> BF,
    BF: Future<Output = Result<Pending, AppError>>,
    R: FnOnce(ReportIssued) -> RF,
    RF: Future<Output = Result<(), AppError>>,
{
    let vault = s.app.vault().map_err(ApiError::from)?;
    let (report, (seq, head)) = s.app.as_of_journal_head(build).await?;
    let now = s.app.clock().now();
    let report = report(Provenance {
        seq,
        head: head.clone(),
        key: vault.key.public_hex(),
        made_at: when(&now),
        made_by: actor.name.clone(),
    });
    let content = render(report.clone(), format).await?;
    let facts = SealFacts {
        kind: report.kind.as_str().to_owned(),
        number: report.number.clone(),
        seq,
        head,
        made: now.to_rfc3339(),
        key: vault.key.public_hex(),
    };
    let style = match format {
        ReportFormat::Pdf => SealStyle::Pdf,
        ReportFormat::Html | ReportFormat::Markdown => SealStyle::Comment,
    };
    let bytes = seal(content, style, &facts, |m| vault.key.sign(m));
    record(ReportIssued {
        format: format.name().to_owned(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        made_from: seq,
    })
    .await?;
    let file_name = match report.kind {
        ReportKind::Summary => format!("summary-{}.{}", report.number, format.extension()),
        _ => format!("{}-report.{}", report.number, format.extension()),
    };
    Ok(Made {
        file_name,
        media_type: format.media_type(),
        bytes,
    })
}

/// A report waiting only for its provenance.
type Pending = Box<dyn FnOnce(Provenance) -> Report + Send>;

/// Reads what the report of `of` is made of, as `actor` may see it.
async fn build(s: &AppState, actor: &Actor, of: ReportOf) -> Result<Pending, AppError> {
    match of {
        ReportOf::Incident(n) => {
            let mut incident = s.app.get_incident(actor, n).await?;
            need_to_know(s, actor, &mut incident.related_incidents).await?;
            if let Some(review) = incident.review.as_mut() {
                need_to_know(s, actor, &mut review.same_root_cause_as).await?;
            }
            let mut events = Vec::with_capacity(incident.events.len());
            for e in &incident.events {
                match s.app.get_event(actor, *e).await {
                    Ok(event) => events.push(event),
                    Err(e) if hidden(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            let evidence = if actor.may(Action::ViewEvidence) {
                Some(s.app.list_evidence(actor, n).await?)
            } else {
                None
            };
            Ok(Box::new(move |p| {
                annex_d::incident_report(
                    annex_d::IncidentSources {
                        incident: &incident,
                        events: &events,
                        evidence: evidence.as_deref(),
                    },
                    p,
                )
            }))
        }
        ReportOf::Event(n) => {
            // A reporter reads back their own event, not a report of its handling.
            actor.require(Action::ViewEvents)?;
            let event = s.app.get_event(actor, n).await?;
            Ok(Box::new(move |p| annex_d::event_report(&event, p)))
        }
        ReportOf::Vulnerability(n) => {
            // A reporter reads back the status, never the handling.
            actor.require(Action::ViewVulnerabilities)?;
            let mut v = s.app.get_vulnerability(actor, n).await?;
            if let Some(review) = v.review.as_mut() {
                need_to_know(s, actor, &mut review.same_root_cause_as).await?;
            }
            Ok(Box::new(move |p| annex_d::vulnerability_report(&v, p)))
        }
    }
}

/// A record the reader may not see: left out, not an error.
fn hidden(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Domain(
            rampart_domain::DomainError::NotFound(_)
                | rampart_domain::DomainError::Forbidden { .. }
                | rampart_domain::DomainError::OutOfScope { .. }
        )
    )
}

/// Keeps, of `numbers`, the incidents `actor` may read.
async fn need_to_know(
    s: &AppState,
    actor: &Actor,
    numbers: &mut Vec<IncidentNumber>,
) -> Result<(), AppError> {
    let mut kept = Vec::with_capacity(numbers.len());
    for n in numbers.drain(..) {
        match s.app.get_incident(actor, n).await {
            Ok(_) => kept.push(n),
            Err(e) if hidden(&e) => {}
            Err(e) => return Err(e),
        }
    }
    *numbers = kept;
    Ok(())
}

/// The report laid out in `format`, before it is sealed. A PDF is typeset
/// off the request threads.
async fn render(report: Report, format: ReportFormat) -> Result<Vec<u8>, ApiError> {
    match format {
        ReportFormat::Html => Ok(html::render(&report).into_bytes()),
        ReportFormat::Markdown => Ok(markdown::render(&report).into_bytes()),
        ReportFormat::Pdf => pdf(report).await,
    }
}

/// PDFs typeset at once: one per core, so a burst of report requests
/// queues instead of taking every blocking thread and all the memory.
#[cfg(feature = "pdf")]
static TYPESETTING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from))
});

#[cfg(feature = "pdf")]
async fn pdf(report: Report) -> Result<Vec<u8>, ApiError> {
    let _turn = TYPESETTING
        .acquire()
        .await
        .map_err(|_| ApiError::Internal)?;
    tokio::task::spawn_blocking(move || rampart_report::pdf::render(&report))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "a report could not be typeset");
            ApiError::Internal
        })
}

#[cfg(not(feature = "pdf"))]
async fn pdf(_report: Report) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::NotFound(
        "this build of Rampart makes no PDF reports; ask for html or markdown".into(),
    ))
}
