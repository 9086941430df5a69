//! The scheme's documents: the list (and a new document, for the ISIRT
//! manager), one document with a version's text rendered safely, its
//! versions and approvals, the forms to approve, review and change it, a
//! new version's editor, and the changes between two versions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::documents::{
    ApprovalInput, DocumentInput, DocumentPatch, DocumentView, DraftInput, ReviewNote, VersionDiff,
    VersionText, VersionView,
};
use rampart_domain::{Action, DocumentKind, ReviewState, Role, VersionState};

use super::{Page, invalid, query_form};
use crate::AppState;
use crate::web::form::FormData;
use crate::web::markdown;
use crate::web::record_form::RecordForm;
use crate::web::session::{Person, Posted, see_other};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

/// The roles a document may name as its approvers.
const APPROVER_ROLES: [Role; 7] = [
    Role::IsirtManager,
    Role::SeniorManager,
    Role::IsirtMember,
    Role::CrisisManager,
    Role::Poc,
    Role::Auditor,
    Role::Admin,
];

/// How a review date stands, in words and as a badge class.
fn review_badge(state: ReviewState) -> (&'static str, &'static str) {
    match state {
        ReviewState::None => ("no version in force", "muted-badge"),
        ReviewState::OnTrack => ("review on track", "target-on_track"),
        ReviewState::DueSoon => ("review due soon", "target-due_soon"),
        ReviewState::Overdue => ("review overdue", "target-overdue"),
    }
}

fn state_badge(state: VersionState) -> &'static str {
    match state {
        VersionState::Effective => "target-on_track",
        VersionState::Draft | VersionState::Scheduled => "target-due_soon",
        VersionState::Abandoned | VersionState::Superseded => "muted-badge",
    }
}

fn kind_label(kind: DocumentKind) -> &'static str {
    kind.title()
}

#[derive(Template, WebTemplate)]
#[template(path = "documents.html")]
pub struct DocumentsPage {
    pub chrome: Chrome,
    pub docs: Vec<DocumentView>,
    pub may_create: bool,
    pub form: RecordForm,
}

impl DocumentsPage {
    pub fn role(&self, r: &Role) -> String {
        role_label(*r)
    }
    pub fn kinds(&self) -> &'static [DocumentKind] {
        DocumentKind::ALL
    }
    pub fn kind_label(&self, kind: &DocumentKind) -> &'static str {
        kind_label(*kind)
    }
    pub fn approver_roles(&self) -> &'static [Role] {
        &APPROVER_ROLES
    }
    pub fn review(&self, doc: &DocumentView) -> (&'static str, &'static str) {
        review_badge(doc.review_state)
    }
    pub fn latest_state(&self, doc: &DocumentView) -> String {
        doc.versions.first().map_or_else(
            || "no version yet".to_owned(),
            |v| format!("v{} {}", v.version.version, v.state.as_str()),
        )
    }
}

async fn list_view(
    state: &AppState,
    person: &Person,
    form: RecordForm,
) -> Result<DocumentsPage, WebError> {
    Ok(DocumentsPage {
        chrome: Chrome::new(person, "Policy, plan and procedures", "/documents"),
        docs: state.app.documents(&person.actor).await?,
        may_create: person.may(Action::ManageDocuments),
        form,
    })
}

pub async fn documents_page(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ViewDocuments)?;
    Ok(list_view(&state, &person, RecordForm::default())
        .await?
        .into_response())
}

/// `POST /documents`: `id`, `kind`, `title`, `owner`, `approvers` (any
/// number), `review_months`.
pub async fn document_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageDocuments)?;
    let json = settings_json(&post.form);
    let refused = |errors| async {
        Ok(invalid(
            list_view(&state, person, RecordForm::new(post.form.clone(), errors)).await?,
        ))
    };
    let input: DocumentInput = match crate::web::form::decode_value(json) {
        Ok(input) => input,
        Err(errors) => return refused(errors).await,
    };
    match state.app.create_document(&person.actor, input).await {
        Ok(doc) => Ok(see_other(&format!("/documents/{}", doc.id))),
        Err(e) => refused(form_errors(e)?).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "document.html")]
pub struct DocumentPage {
    pub chrome: Chrome,
    pub doc: DocumentView,
    /// The version shown and its text as HTML.
    pub shown: Option<(VersionText, String)>,
    /// The roles the viewer may approve the latest draft as.
    pub approve_as: Vec<Role>,
    pub may_draft: bool,
    pub may_review: bool,
    pub may_manage: bool,
    pub form: RecordForm,
}

impl DocumentPage {
    pub fn role(&self, r: &Role) -> String {
        role_label(*r)
    }
    pub fn kind_label(&self) -> &'static str {
        kind_label(self.doc.kind)
    }
    pub fn kinds(&self) -> &'static [DocumentKind] {
        DocumentKind::ALL
    }
    pub fn kind_name(&self, kind: &DocumentKind) -> &'static str {
        kind_label(*kind)
    }
    pub fn approver_roles(&self) -> &'static [Role] {
        &APPROVER_ROLES
    }
    pub fn names(&self, role: &Role) -> bool {
        self.doc.approvers.contains(role)
    }
    pub fn review(&self) -> (&'static str, &'static str) {
        review_badge(self.doc.review_state)
    }
    pub fn state_css(&self, v: &VersionView) -> &'static str {
        state_badge(v.state)
    }
    /// The latest version, when it still awaits approvals.
    pub fn draft(&self) -> Option<&VersionView> {
        self.doc
            .versions
            .first()
            .filter(|v| v.state == VersionState::Draft)
    }
    pub fn approvers_text(&self) -> String {
        self.doc
            .approvers
            .iter()
            .map(|r| role_label(*r))
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// Why the version shown is not the one in force.
    pub fn not_in_force(&self, v: &VersionView) -> String {
        match v.state {
            VersionState::Draft => {
                let missing: Vec<String> = v.missing.iter().map(|r| role_label(*r)).collect();
                format!("A draft, awaiting approval by {}.", missing.join(", "))
            }
            VersionState::Scheduled => format!(
                "Approved; in force from {}.",
                v.version.effective_at.human()
            ),
            VersionState::Abandoned => {
                "Never approved: a later version was drafted instead.".into()
            }
            VersionState::Superseded => "No longer in force: a later version replaced it.".into(),
            VersionState::Effective => String::new(),
        }
    }

    pub fn previous(&self, v: &VersionView) -> Option<u32> {
        (v.version.version > 1).then(|| v.version.version - 1)
    }
}

async fn document_view(
    state: &AppState,
    person: &Person,
    id: &str,
    version: Option<u32>,
    form: RecordForm,
) -> Result<DocumentPage, WebError> {
    let doc = state.app.document(&person.actor, id).await?;
    let wanted = version
        .or(doc.in_force)
        .or_else(|| doc.versions.first().map(|v| v.version.version));
    let shown = match wanted {
        Some(v) => {
            let text = state.app.document_text(&person.actor, id, Some(v)).await?;
            let html = markdown::render(&text.text);
            Some((text, html))
        }
        None => None,
    };
    let actor = &person.actor;
    let approve_as = doc
        .versions
        .first()
        .filter(|v| v.state == VersionState::Draft && v.version.drafted_by != actor.name)
        .filter(|v| !v.version.approvals.iter().any(|a| a.by == actor.name))
        .map(|v| {
            v.missing
                .iter()
                .copied()
                .filter(|r| actor.roles.contains(r))
                .collect()
        })
        .unwrap_or_default();
    Ok(DocumentPage {
        chrome: Chrome::new(person, doc.title.to_string(), "/documents"),
        approve_as,
        may_draft: person.may(Action::DraftDocument),
        may_review: doc.in_force.is_some()
            && (doc.owner == actor.name || person.may(Action::DraftDocument)),
        may_manage: person.may(Action::ManageDocuments),
        shown,
        doc,
        form,
    })
}

fn version_param(form: &FormData, name: &str) -> Result<Option<u32>, WebError> {
    match form.get(name) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|v| *v >= 1)
            .map(Some)
            .ok_or_else(|| WebError::NotFound(format!("there is no version `{raw}`"))),
    }
}

/// `GET /documents/{id}?version=N`: the version in force unless another is asked for.
pub async fn document_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewDocuments)?;
    let query = query_form(&q)?;
    let version = version_param(&query, "version")?;
    Ok(
        document_view(&state, &person, &id, version, RecordForm::default())
            .await?
            .into_response(),
    )
}

/// Runs a document form's call: back to the document, or the page again
/// (422) with the refused fields named.
async fn document_form<F, Fut>(state: &AppState, post: Posted, id: &str, call: F) -> Page
where
    F: FnOnce(rampart_domain::Actor) -> Fut,
    Fut: std::future::Future<Output = Result<DocumentView, rampart_app::AppError>>,
{
    match call(post.person.actor.clone()).await {
        Ok(doc) => Ok(see_other(&format!("/documents/{}", doc.id))),
        Err(e) => {
            let errors = form_errors(e)?;
            let form = RecordForm::new(post.form.clone(), errors);
            Ok(invalid(
                document_view(state, &post.person, id, None, form).await?,
            ))
        }
    }
}

/// A settings form as the API's JSON: `approvers` always a list (none
/// ticked: an empty one), `review_months` a number when it is one.
fn settings_json(form: &FormData) -> serde_json::Value {
    let mut json = form.to_json(&[], &[]);
    json["approvers"] = serde_json::Value::Array(
        form.all("approvers")
            .into_iter()
            .map(serde_json::Value::String)
            .collect(),
    );
    if let Some(months) = form.get("review_months") {
        json["review_months"] = months
            .parse::<u32>()
            .map_or_else(|_| serde_json::Value::from(months), serde_json::Value::from);
    }
    json
}

/// `POST /documents/{id}/versions/{version}/approvals`: `role`, `note`.
pub async fn document_approve(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
    post: Posted,
) -> Page {
    let version = version
        .parse::<u32>()
        .map_err(|_| WebError::NotFound(format!("there is no version `{version}`")))?;
    let input: ApprovalInput = match crate::web::form::decode_value(post.form.to_json(&[], &[])) {
        Ok(input) => input,
        Err(errors) => {
            let form = RecordForm::new(post.form.clone(), errors);
            return Ok(invalid(
                document_view(&state, &post.person, &id, None, form).await?,
            ));
        }
    };
    let app = state.app.clone();
    let target = id.clone();
    document_form(&state, post, &id, |actor| async move {
        app.approve_document(&actor, &target, version, input).await
    })
    .await
}

/// `POST /documents/{id}/reviews`: `note`.
pub async fn document_review(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let note = ReviewNote {
        note: post.form.get("note").unwrap_or_default().to_owned(),
    };
    let app = state.app.clone();
    let target = id.clone();
    document_form(&state, post, &id, |actor| async move {
        app.review_document(&actor, &target, note).await
    })
    .await
}

/// `POST /documents/{id}/settings`: `kind`, `title`, `owner`, `approvers`, `review_months`.
pub async fn document_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    post.person.require(Action::ManageDocuments)?;
    let json = settings_json(&post.form);
    let patch: DocumentPatch = match crate::web::form::decode_value(json) {
        Ok(patch) => patch,
        Err(errors) => {
            let form = RecordForm::new(post.form.clone(), errors);
            return Ok(invalid(
                document_view(&state, &post.person, &id, None, form).await?,
            ));
        }
    };
    let app = state.app.clone();
    let target = id.clone();
    document_form(&state, post, &id, |actor| async move {
        app.change_document(&actor, &target, patch).await
    })
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "document_draft.html")]
pub struct DraftPage {
    pub chrome: Chrome,
    pub doc: DocumentView,
    /// The text the editor starts from: the latest version's, or what was sent.
    pub text: String,
    pub form: RecordForm,
}

impl DraftPage {
    pub fn role(&self, r: &Role) -> String {
        role_label(*r)
    }
}

async fn draft_view(
    state: &AppState,
    person: &Person,
    id: &str,
    form: RecordForm,
) -> Result<DraftPage, WebError> {
    let doc = state.app.document(&person.actor, id).await?;
    let text = match form.values.0.iter().find(|(k, _)| k == "text") {
        Some((_, sent)) => sent.clone(),
        None => match doc.versions.first() {
            Some(v) => {
                state
                    .app
                    .document_text(&person.actor, id, Some(v.version.version))
                    .await?
                    .text
            }
            None => format!("# {}\n\n## Purpose\n\n", doc.title),
        },
    };
    Ok(DraftPage {
        chrome: Chrome::new(person, format!("New version: {}", doc.title), "/documents"),
        doc,
        text,
        form,
    })
}

/// `GET /documents/{id}/draft`: the editor for a new version.
pub async fn document_draft_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
) -> Page {
    person.require(Action::DraftDocument)?;
    Ok(draft_view(&state, &person, &id, RecordForm::default())
        .await?
        .into_response())
}

/// `POST /documents/{id}/versions`: `text`, `summary`, `effective_from`.
pub async fn document_draft(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::DraftDocument)?;
    let refused = |errors| async {
        Ok(invalid(
            draft_view(
                &state,
                person,
                &id,
                RecordForm::new(post.form.clone(), errors),
            )
            .await?,
        ))
    };
    // The text as typed: only the line endings a browser sends are made plain.
    let text = post
        .form
        .0
        .iter()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.replace("\r\n", "\n"))
        .unwrap_or_default();
    let mut json = post.form.to_json(&[], &[]);
    json["text"] = serde_json::Value::String(text);
    let input: DraftInput = match crate::web::form::decode_value(json) {
        Ok(input) => input,
        Err(errors) => return refused(errors).await,
    };
    match state.app.draft_document(&person.actor, &id, input).await {
        Ok(doc) => {
            let v = doc.versions.first().map_or(1, |v| v.version.version);
            Ok(see_other(&format!("/documents/{}?version={v}", doc.id)))
        }
        Err(e) => refused(form_errors(e)?).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "document_diff.html")]
pub struct DiffPage {
    pub chrome: Chrome,
    pub doc: DocumentView,
    pub diff: VersionDiff,
}

impl DiffPage {
    pub fn line_css(&self, op: &str) -> &'static str {
        match op {
            "+" => "diff-add",
            "-" => "diff-del",
            "@" => "diff-gap",
            _ => "diff-same",
        }
    }
}

/// `GET /documents/{id}/diff?from=1&to=2`.
pub async fn document_diff_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewDocuments)?;
    let query = query_form(&q)?;
    let doc = state.app.document(&person.actor, &id).await?;
    let latest = doc.versions.first().map_or(1, |v| v.version.version);
    let to = version_param(&query, "to")?.unwrap_or(latest);
    let from = version_param(&query, "from")?.unwrap_or(to.saturating_sub(1).max(1));
    let diff = state
        .app
        .document_diff(&person.actor, &id, from, to)
        .await?;
    Ok(DiffPage {
        chrome: Chrome::new(&person, format!("Changes: {}", doc.title), "/documents"),
        doc,
        diff,
    }
    .into_response())
}
