//! The web UI for people: server-rendered pages (askama templates checked at
//! compile time) over the same [`App`](rampart_app::App) as the JSON API.
//! Every essential flow is a plain form post; the only script turns on live
//! updates over server-sent events.
//!
//! - [`session`]: the session cookie and CSRF checks.
//! - [`form`]: form bodies and query strings, bounded, decoded into the API's JSON.
//! - `pages`: one handler per page and form, each page's data beside it.
//! - `record_form`: the values and refused fields of a record form.
//! - `live`: server-sent events for pages that follow changes.

mod chart;
pub mod form;
mod live;
mod markdown;
mod pages;
mod record_form;
pub mod session;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rampart_app::AppError;
use rampart_domain::{DomainError, FieldError};

use crate::AppState;
use crate::error::ApiError;

/// Settings of the web UI.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Rampart is reached over HTTPS through a proxy: cookies are `Secure`
    /// and the client address is taken from `X-Forwarded-For`.
    pub tls_proxy: bool,
    /// Serve the public intake page at `/public/report` (no sign-in, rate limited).
    pub public_intake: bool,
}

const CSS: &str = include_str!("../../assets/rampart.css");
const LIVE_JS: &str = include_str!("../../assets/live.js");

fn asset(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// The web routes; mounted beside the API.
pub fn router() -> Router<AppState> {
    use pages::*;
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route(
            "/assets/rampart.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/live.js",
            get(|| async { asset(LIVE_JS, "text/javascript; charset=utf-8") }),
        )
        .route("/login", get(login_page).post(login_submit))
        .route("/login/totp", get(totp_page).post(totp_submit))
        .route("/logout", post(logout))
        .route("/account", get(account_page))
        .route("/account/password", post(password_submit))
        .route(
            "/account/totp",
            get(totp_setup_page).post(totp_setup_submit),
        )
        .route("/dashboard", get(dashboard))
        .route("/report", get(report_page).post(report_submit))
        .route("/report/{number}", get(report_done))
        .route(
            "/public/report",
            get(public_report_page).post(public_report_submit),
        )
        .route("/triage", get(triage_page))
        .route("/triage/assess", post(triage_assess))
        .route("/events", get(past_events))
        .route("/events/{number}", get(event_page))
        .route("/events/{number}/triage", post(event_triage))
        .route("/events/{number}/assess", post(event_assess))
        .route("/events/{number}/reject", post(event_reject))
        .route("/events/{number}/confirm", post(event_confirm))
        .route(
            "/events/{number}/confirm/preview",
            post(event_confirm_preview),
        )
        .route("/events/{number}/link", post(event_link))
        .route("/incidents", get(incident_register))
        .route("/incidents.csv", get(incident_csv))
        .route("/incidents/{number}", get(incident_page))
        .route("/incidents/{number}/transition", post(incident_transition))
        .route("/incidents/{number}/log", post(incident_log))
        .route("/incidents/{number}/actions", post(incident_action_add))
        .route(
            "/incidents/{number}/actions/{id}",
            post(incident_action_update),
        )
        .route("/incidents/{number}/review", post(incident_review))
        .route("/incidents/{number}/export/{format}", get(incident_export))
        .route(
            "/incidents/{number}/report/{format}",
            get(incident_file_report),
        )
        .route("/events/{number}/report/{format}", get(event_file_report))
        .route(
            "/vulnerabilities/{number}/report/{format}",
            get(vulnerability_file_report),
        )
        .route(
            "/incidents/{number}/publication",
            post(incident_publication),
        )
        .route(
            "/incidents/{number}/playbooks",
            post(incident_playbook_apply),
        )
        .route("/playbooks", get(playbooks_page).post(playbook_create))
        .route("/playbooks/{id}", get(playbook_page).post(playbook_revise))
        .route(
            "/incidents/{number}/communications",
            post(incident_communication_draft),
        )
        .route(
            "/incidents/{number}/communications/{id}/{step}",
            post(incident_communication_step),
        )
        .route(
            "/incidents/{number}/observables",
            post(incident_observable_add),
        )
        .route(
            "/incidents/{number}/observables/extract",
            post(incident_observable_extract),
        )
        .route(
            "/incidents/{number}/observables/{id}",
            post(incident_observable_update),
        )
        .route(
            "/incidents/{number}/observables/{id}/remove",
            post(incident_observable_remove),
        )
        .route("/observables/{type}/{value}", get(observable_page))
        .route("/incidents/{number}/restriction", post(incident_restrict))
        .route("/incidents/{number}/regimes", post(incident_regime))
        .route("/incidents/{number}/anchors", post(incident_anchor))
        .route("/incidents/{number}/submissions", post(incident_submission))
        .route("/incidents/{number}/coordinator", post(incident_patch))
        .route(
            "/incidents/{number}/edit",
            get(incident_edit_page).post(incident_edit_save),
        )
        .route("/incidents/{number}/related", post(incident_related_link))
        .route("/incidents/{number}/merge", post(incident_merge))
        .route(
            "/incidents/{number}/related/{other}/unlink",
            post(incident_related_unlink),
        )
        // Uploads stream to the vault, which enforces its own size limit.
        .route(
            "/incidents/{number}/evidence",
            get(evidence_upload_page)
                .post(evidence_upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/events/{number}/evidence",
            post(event_evidence_upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/incidents/{number}/evidence/physical",
            post(evidence_physical),
        )
        .route(
            "/events/{number}/evidence/physical",
            post(event_evidence_physical),
        )
        .route("/incidents/{number}/evidence/bundle", get(evidence_bundle))
        .route("/evidence/{number}", get(evidence_page))
        .route("/evidence/{number}/content", get(evidence_download))
        .route("/evidence/{number}/verify", post(evidence_verify))
        .route("/evidence/{number}/transfer", post(evidence_transfer))
        .route("/evidence/{number}/hold", post(evidence_hold))
        .route("/evidence/{number}/dispose", post(evidence_dispose))
        .route(
            "/vulnerabilities",
            get(vulnerability_register).post(vulnerability_report),
        )
        .route("/vulnerabilities/{number}", get(vulnerability_page))
        .route(
            "/vulnerabilities/{number}/assessment",
            post(vulnerability_assess),
        )
        .route(
            "/vulnerabilities/{number}/resolution",
            post(vulnerability_resolve),
        )
        .route(
            "/vulnerabilities/{number}/review",
            post(vulnerability_review),
        )
        .route("/journal", get(journal_page))
        .route("/journal/verify", post(journal_verify))
        .route("/admin/users", get(admin_users).post(admin_user_create))
        .route("/admin/users/{name}", post(admin_user_update))
        .route("/admin/tokens", get(admin_tokens).post(admin_token_create))
        .route("/admin/tokens/{id}/revoke", post(token_revoke))
        .route("/tokens", get(own_tokens).post(own_token_create))
        .route("/tokens/{id}/revoke", post(token_revoke))
        .route("/admin/jobs", get(admin_jobs))
        .route("/admin/jobs/{id}/retry", post(admin_job_retry))
        .route(
            "/admin/webhooks",
            get(admin_webhooks).post(admin_webhook_add),
        )
        .route("/admin/webhooks/{id}", post(admin_webhook_change))
        .route("/deadlines", get(deadlines_page))
        .route("/documents", get(documents_page).post(document_create))
        .route("/documents/{id}", get(document_page))
        .route("/documents/{id}/draft", get(document_draft_page))
        .route("/documents/{id}/versions", post(document_draft))
        .route(
            "/documents/{id}/versions/{version}/approvals",
            post(document_approve),
        )
        .route("/documents/{id}/reviews", post(document_review))
        .route("/documents/{id}/settings", post(document_settings))
        .route("/documents/{id}/diff", get(document_diff_page))
        .route("/contacts", get(contacts_page).post(contact_add))
        .route("/contacts/{id}", get(contact_page).post(contact_change))
        .route("/teams", get(teams_page).post(team_create))
        .route("/teams/{id}", get(team_page))
        .route("/teams/{id}/handovers", post(team_handover))
        .route("/teams/{id}/covers", post(team_cover))
        .route("/teams/{id}/settings", post(team_settings))
        .route(
            "/admin/regulatory",
            get(admin_regulatory).post(admin_regulatory_replace),
        )
        .route("/classification", get(scale_page).post(scale_revise))
        .route("/improvements", get(improvements_page))
        .route("/lessons", get(lessons_page))
        .route("/figures", get(figures_page))
        .route("/figures/summary", get(figures_summary))
        .route(
            "/improvements/{id}",
            get(improvement_page).post(improvement_update),
        )
        .route("/exercises", get(exercises_page).post(exercise_create))
        .route("/exercises/{id}", get(exercise_page))
        .route("/exercises/{id}/{step}", post(exercise_step))
        .route(
            "/admin/targets",
            get(admin_targets).post(admin_targets_replace),
        )
        .route("/admin/intake", get(admin_intake))
        .route("/admin/intake/rules", post(admin_rules_replace))
        .route("/admin/intake/rules/add", post(admin_rule_add))
        .route("/admin/intake/rules/{index}", post(admin_rule_update))
        .route("/notifications", get(notifications_page))
        .route("/notifications/unread", get(notifications_unread))
        .route("/notifications/read", post(notifications_read))
        .route(
            "/notifications/preferences",
            get(preferences_page).post(preferences_submit),
        )
        .route("/live", get(live::stream))
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or the session ended): go to the sign-in page.
    SignIn {
        next: String,
    },
    /// Signed in with a password, second factor pending or to be set up.
    SecondFactor,
    MustEnrol,
    Forbidden(String),
    NotFound(String),
    /// A form without a valid CSRF token or from another origin.
    Csrf,
    /// A bad request that no form on our pages can produce.
    BadRequest(String),
    /// Fields refused before any page could show them again (a form with
    /// too many fields, or a field name too long or nested too deep).
    Invalid(Vec<FieldError>),
    /// Not possible in the record's present state (e.g. evidence whose
    /// content no longer matches its hash).
    Conflict(String),
    /// The database or the evidence store could not be reached or written
    /// (a full disk, say); nothing was changed.
    Unavailable,
    Internal,
}

impl From<AppError> for WebError {
    /// Through the API's table, so a page and a problem document agree.
    fn from(e: AppError) -> Self {
        match e.domain() {
            Some(DomainError::NotFound(what)) => {
                Self::NotFound(format!("{what} does not exist, or you may not see it."))
            }
            _ => ApiError::from(e).into(),
        }
    }
}

impl From<DomainError> for WebError {
    fn from(e: DomainError) -> Self {
        AppError::from(e).into()
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Invalid(errors) => Self::Invalid(errors),
            ApiError::Malformed(d) => Self::BadRequest(d),
            ApiError::TooLarge(limit) => {
                Self::BadRequest(format!("the request is larger than {limit} bytes"))
            }
            ApiError::UnsupportedMediaType => {
                Self::BadRequest("the request's content type is not accepted here".into())
            }
            ApiError::MethodNotAllowed => {
                Self::BadRequest("this address does not take this method".into())
            }
            ApiError::Unauthenticated => Self::SignIn {
                next: "/dashboard".into(),
            },
            ApiError::Forbidden(d) | ApiError::OutOfScope { detail: d, .. } => Self::Forbidden(d),
            ApiError::NotFound(d) => Self::NotFound(d),
            ApiError::Conflict(d) | ApiError::IllegalTransition { detail: d, .. } => {
                Self::Conflict(d)
            }
            ApiError::Unavailable => Self::Unavailable,
            ApiError::Internal => Self::Internal,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            WebError::SignIn { next } => {
                let target = format!("/login?next={}", view::url_encode(&next));
                return Redirect::to(&target).into_response();
            }
            WebError::SecondFactor => return Redirect::to("/login/totp").into_response(),
            WebError::MustEnrol => return Redirect::to("/account/totp").into_response(),
            WebError::Forbidden(d) => (StatusCode::FORBIDDEN, "Not allowed", d),
            WebError::NotFound(d) => (StatusCode::NOT_FOUND, "Not found", d),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form refused",
                "The form was refused because it did not carry this page's security token or came from another site. Go back, reload the page and try again.".to_owned(),
            ),
            WebError::BadRequest(d) => (StatusCode::BAD_REQUEST, "Request refused", d),
            WebError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Form refused",
                errors
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            WebError::Conflict(d) => (StatusCode::CONFLICT, "Not possible now", d),
            WebError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Storage unavailable",
                "Rampart could not save or read this because its storage cannot be reached or written just now (the disk may be full). Nothing was changed; try again later, and tell an administrator if it keeps happening.".to_owned(),
            ),
            WebError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The request could not be completed. Nothing was changed; try again, and tell an administrator if it keeps happening.".to_owned(),
            ),
        };
        (status, view::error_page(status.as_u16(), title, &detail)).into_response()
    }
}

/// The result of handling a form: the page again with the refused fields
/// named, or an error page.
pub(crate) fn form_errors(e: AppError) -> Result<Vec<FieldError>, WebError> {
    match e.domain().cloned() {
        Some(DomainError::Invalid(errors)) => Ok(errors),
        Some(DomainError::IllegalTransition {
            current, allowed, ..
        }) => Ok(vec![FieldError {
            field: "to".into(),
            message: format!(
                "not possible from `{current}`; allowed now: {}",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        }]),
        Some(DomainError::Conflict(detail)) => Ok(vec![FieldError {
            field: String::new(),
            message: detail,
        }]),
        _ => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One failure of every kind the application has.
    fn every_kind() -> Vec<AppError> {
        vec![
            DomainError::field("title", "is required").into(),
            DomainError::Forbidden {
                actor: "rita".into(),
                action: "manage users".into(),
                allowed: vec!["admin".into()],
            }
            .into(),
            DomainError::NotFound("event E-1".into()).into(),
            DomainError::IllegalTransition {
                entity: "incident I-1".into(),
                current: "closed".into(),
                requested: "open".into(),
                allowed: vec![],
            }
            .into(),
            DomainError::Conflict("already held".into()).into(),
            AppError::NoVault,
            AppError::Internal("a bug".into()),
        ]
    }

    #[test]
    fn a_page_and_a_problem_document_answer_a_failure_alike() {
        for make in 0..every_kind().len() {
            let api = ApiError::from(every_kind().remove(make)).into_response();
            let page = WebError::from(every_kind().remove(make)).into_response();
            assert_eq!(api.status(), page.status(), "{:?}", every_kind()[make]);
        }
    }
}
