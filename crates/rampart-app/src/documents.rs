//! The scheme's documents: policy, plan, procedures and awareness material,
//! in versions approved by named roles (see [`rampart_domain::document`]).
//!
//! Everyone reads the versions in force; drafts and the whole history are
//! for the ISIRT, management and audit. Each change is one unit with its
//! journal entry; a version's text goes into the journal whole, so the text
//! people approved can be shown to be the text kept. A document's owner is
//! reminded before its review is due, and when it is late, by
//! `document_review` jobs queued with the entry that sets the date.

use rampart_domain::document::{
    self, DiffLine, MAX_DOCUMENTS, REVIEW_NOTICE_DAYS, ReviewState, VersionState,
};
use rampart_domain::journal::{
    DocumentApproved, DocumentChanged, DocumentDrafted, DocumentReviewed,
};
use rampart_domain::{
    Action, Actor, Document, DocumentId, DocumentKind, DocumentSettings, DocumentText,
    DocumentVersion, DomainError, JournalAction, Notice, NoticeKind, Role, SectionRef, Subject,
    Text, Timestamp,
};
use rampart_store::{Entity, EntityRef, JobDraft, JournalDraft, Write};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::unit::{Decided, Unit};
use crate::{App, AppError, not_found};

/// Tells a document's owner that its review is due soon, or late.
pub const DOCUMENT_REVIEW: &str = "document_review";

/// A new document, as the interfaces send it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// `incident-policy`: 2-64 characters of a-z, 0-9 and '-'; cited as `<id>#<section>`.
    pub id: String,
    pub kind: DocumentKind,
    /// 1-200 characters.
    pub title: String,
    /// The user who keeps it and is reminded of its review; default: you.
    #[serde(default)]
    pub owner: Option<String>,
    /// The roles that must each approve a version (1-4, by distinct people).
    pub approvers: Vec<Role>,
    /// Months between reviews (1-36); default 12.
    #[serde(default)]
    pub review_months: Option<u32>,
}

/// A change to a document's settings; what is absent stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    pub kind: Option<DocumentKind>,
    pub title: Option<String>,
    pub owner: Option<String>,
    pub approvers: Option<Vec<Role>>,
    pub review_months: Option<u32>,
}

/// A new version's text.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    /// The whole Markdown text (at most 200,000 bytes). Raw HTML in it is shown as text.
    pub text: String,
    /// What changed, for the approvers (1-2,000 characters).
    pub summary: String,
    /// The earliest time it may be in force; absent: as soon as it is approved.
    #[serde(default)]
    pub effective_from: Option<Timestamp>,
}

/// An approval of a version.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    /// The role you approve as: one the document names and you hold.
    pub role: Role,
    #[serde(default)]
    pub note: Option<String>,
}

/// A review that changes nothing.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewNote {
    /// What was looked at and why nothing needs to change.
    pub note: String,
}

/// One version as a reader sees it: where it stands now.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    #[serde(flatten)]
    pub version: DocumentVersion,
    pub state: VersionState,
    /// The roles whose approval it still needs (none once approved).
    pub missing: Vec<Role>,
}

/// A document as a reader sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentView {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub title: Text,
    pub owner: String,
    pub approvers: Vec<Role>,
    pub review_months: u32,
    pub review_due: Option<Timestamp>,
    pub review_state: ReviewState,
    pub last_review: Option<rampart_domain::DocumentReview>,
    /// The version in force now, if any.
    pub in_force: Option<u32>,
    /// Newest first: every version for those who may read drafts; the
    /// versions in force now or before for everyone else.
    pub versions: Vec<VersionView>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl DocumentView {
    pub fn version(&self, version: u32) -> Option<&VersionView> {
        self.versions.iter().find(|v| v.version.version == version)
    }
}

/// A version's text with where it stands.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionText {
    pub document: DocumentId,
    pub title: Text,
    #[serde(flatten)]
    pub version: VersionView,
    /// The Markdown text.
    pub text: String,
}

/// The changes between two versions.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionDiff {
    pub document: DocumentId,
    pub from: u32,
    pub to: u32,
    /// Lines, with three unchanged lines around each change.
    pub lines: Vec<DiffLine>,
}

/// The payload of a `document_review` job.
#[derive(Debug, Serialize, Deserialize)]
struct ReviewJob {
    document: DocumentId,
    /// The review date the job was queued for.
    due: Timestamp,
    overdue: bool,
}

fn text_field(field: &str, raw: &str, max: usize) -> Result<Text, DomainError> {
    let text = Text::new(raw).map_err(|m| DomainError::field(field, m))?;
    if text.as_str().chars().count() > max {
        return Err(DomainError::field(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text)
}

fn note_field(raw: Option<&str>) -> Result<Option<Text>, DomainError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) => text_field("note", n, 2_000).map(Some),
    }
}

/// What a change to a document journals, and the record it adds beside it.
type Changed = (JournalAction, Option<Entity>);

fn entity(id: &DocumentId) -> String {
    format!("document:{id}")
}

/// The `document_review` jobs an entry calls for: one
/// [`REVIEW_NOTICE_DAYS`] before the review date (or now, when less is
/// left), one at the date.
pub(crate) fn schedule(action: &JournalAction, entity: &str, now: Timestamp) -> Vec<Write> {
    let due = match action {
        JournalAction::DocumentApproved(a) => a.review_due.filter(|_| a.effective_at.is_some()),
        JournalAction::DocumentReviewed(r) => r.review_due,
        JournalAction::DocumentChanged(c) if c.before.review_months != c.after.review_months => {
            c.review_due
        }
        _ => None,
    };
    let (Some(due), Some(id)) = (
        due,
        entity
            .strip_prefix("document:")
            .and_then(|id| DocumentId::new(id).ok()),
    ) else {
        return vec![];
    };
    let lead = time::Duration::days(REVIEW_NOTICE_DAYS);
    crate::notify::reminder_stages(due, lead, now)
        .into_iter()
        .map(|(overdue, run_after)| {
            let stage = if overdue { "overdue" } else { "soon" };
            Write::Enqueue(JobDraft {
                kind: DOCUMENT_REVIEW.into(),
                key: format!("document_review:{id}:{}:{stage}", due.to_rfc3339()),
                payload: serde_json::to_string(&ReviewJob {
                    document: id.clone(),
                    due,
                    overdue,
                })
                .unwrap_or_default(),
                run_after,
            })
        })
        .collect()
}

impl App {
    async fn stored_document(&self, id: &DocumentId) -> Result<Option<Document>, AppError> {
        Ok(
            match self.store.get(&EntityRef::Document(id.clone())).await? {
                Some(Entity::Document(d)) => Some(*d),
                _ => None,
            },
        )
    }

    fn view_of(&self, actor: &Actor, doc: Document) -> DocumentView {
        let now = self.clock.now();
        let drafts = actor.may(Action::ViewDocumentDrafts);
        let versions = doc
            .versions
            .iter()
            .rev()
            .filter(|v| drafts || v.effective_at.is_some_and(|e| e <= now))
            .map(|v| VersionView {
                version: v.clone(),
                state: doc.state(v, now),
                missing: if v.effective_at.is_some() {
                    vec![]
                } else {
                    doc.missing(v)
                },
            })
            .collect();
        DocumentView {
            in_force: doc.in_force(now).map(|v| v.version),
            review_state: doc.review_state(now),
            id: doc.id,
            kind: doc.kind,
            title: doc.title,
            owner: doc.owner,
            approvers: doc.approvers,
            review_months: doc.review_months,
            review_due: doc.review_due,
            last_review: doc.last_review,
            versions,
            created_by: doc.created_by,
            created_at: doc.created_at,
            updated_at: doc.updated_at,
        }
    }

    /// The documents the actor may read: all of them for those who read
    /// drafts, those with a version in force for everyone else.
    pub async fn documents(&self, actor: &Actor) -> Result<Vec<DocumentView>, AppError> {
        actor.require(Action::ViewDocuments)?;
        let all = self.store.list_documents().await?;
        Ok(all
            .into_iter()
            .map(|d| self.view_of(actor, d))
            .filter(|v| !v.versions.is_empty() || actor.may(Action::ViewDocumentDrafts))
            .collect())
    }

    /// One document as the actor may read it.
    pub async fn document(&self, actor: &Actor, id: &str) -> Result<DocumentView, AppError> {
        actor.require(Action::ViewDocuments)?;
        let id = DocumentId::new(id).map_err(|m| DomainError::field("id", m))?;
        let view = self
            .stored_document(&id)
            .await?
            .map(|d| self.view_of(actor, d))
            .filter(|v| !v.versions.is_empty() || actor.may(Action::ViewDocumentDrafts));
        view.ok_or_else(|| not_found(format!("document {id}")))
    }

    /// The text of one version (the one in force when `version` is none).
    pub async fn document_text(
        &self,
        actor: &Actor,
        id: &str,
        version: Option<u32>,
    ) -> Result<VersionText, AppError> {
        let view = self.document(actor, id).await?;
        let number = match version.or(view.in_force) {
            Some(v) => v,
            None => {
                return Err(DomainError::NotFound(format!(
                    "a version of {} in force (it has none yet; ask for a version by number)",
                    view.id
                ))
                .into());
            }
        };
        let Some(v) = view.version(number).cloned() else {
            return Err(not_found(format!("version {number} of {}", view.id)));
        };
        let text = match self
            .store
            .get(&EntityRef::DocumentText(view.id.clone(), number))
            .await?
        {
            Some(Entity::DocumentText(t)) => t.text,
            _ => {
                return Err(not_found(format!(
                    "the text of version {number} of {}",
                    view.id
                )));
            }
        };
        Ok(VersionText {
            document: view.id,
            title: view.title,
            version: v,
            text,
        })
    }

    /// The changes from version `from` to version `to`.
    pub async fn document_diff(
        &self,
        actor: &Actor,
        id: &str,
        from: u32,
        to: u32,
    ) -> Result<VersionDiff, AppError> {
        let old = self.document_text(actor, id, Some(from)).await?;
        let new = self.document_text(actor, id, Some(to)).await?;
        Ok(VersionDiff {
            document: old.document,
            from,
            to,
            lines: document::diff(&old.text, &new.text, 3),
        })
    }

    /// Changes a stored document in one unit: `change` gives the journal
    /// action and any record to add beside it (a version's text), or
    /// `None` when nothing changes.
    async fn change_stored_document(
        &self,
        actor: &Actor,
        id: &DocumentId,
        change: impl FnOnce(&mut Document, Timestamp) -> Result<Option<Changed>, DomainError>
        + Send
        + 'static,
    ) -> Result<DocumentView, AppError> {
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Document>(EntityRef::Document(id.clone()));
        let what = format!("document {id}");
        let unit = unit.decide(move |ctx| {
            let mut doc = ctx.take(&loaded, || what)?;
            let Some((action, added)) = change(&mut doc, ctx.now())? else {
                return Ok(Decided::new(doc));
            };
            let mut decided = Decided::new(doc.clone())
                .journal(JournalDraft::new(entity(&doc.id), action))
                .update(Entity::Document(Box::new(doc)));
            if let Some(added) = added {
                decided = decided.insert(added);
            }
            Ok(decided)
        });
        let doc = self.run(unit).await?;
        Ok(self.view_of(actor, doc))
    }

    /// Creates a document without versions (`document.created`).
    pub async fn create_document(
        &self,
        actor: &Actor,
        input: DocumentInput,
    ) -> Result<DocumentView, AppError> {
        actor.require(Action::ManageDocuments)?;
        let mut problems = rampart_domain::Problems::default();
        let id = problems.take("id", DocumentId::new(input.id.trim()));
        let title = problems.take(
            "title",
            text_field("title", &input.title, document::MAX_TITLE).map_err(|e| e.to_string()),
        );
        problems.into_result()?;
        let (Some(id), Some(title)) = (id, title) else {
            return Err(AppError::Internal("checked above".into()));
        };
        let settings = DocumentSettings {
            kind: input.kind,
            title,
            owner: input
                .owner
                .map(|o| o.trim().to_owned())
                .unwrap_or_else(|| actor.name.clone()),
            approvers: input.approvers,
            review_months: input.review_months.unwrap_or(12),
        };
        settings.validate()?;
        self.check_owner(&settings.owner).await?;
        if self.store.list_documents().await?.len() >= MAX_DOCUMENTS {
            return Err(DomainError::Conflict(format!(
                "there are {MAX_DOCUMENTS} documents already"
            ))
            .into());
        }
        let mut unit = Unit::new(&actor.name);
        let existing = unit.load::<Document>(EntityRef::Document(id.clone()));
        let by = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            if ctx.maybe(&existing).is_some() {
                return Err(DomainError::Conflict(format!(
                    "a document named {id} exists already"
                )));
            }
            let doc = Document::new(id, settings, &by, ctx.now());
            Ok(Decided::new(doc.clone())
                .journal(JournalDraft::new(
                    entity(&doc.id),
                    JournalAction::DocumentCreated(Box::new(doc.clone())),
                ))
                .insert(Entity::Document(Box::new(doc))))
        });
        let doc = self.run(unit).await?;
        Ok(self.view_of(actor, doc))
    }

    async fn check_owner(&self, owner: &str) -> Result<(), AppError> {
        match self.store.get(&EntityRef::User(owner.to_owned())).await? {
            Some(Entity::User(u)) if !u.disabled => Ok(()),
            _ => Err(DomainError::field("owner", format!("{owner} is not an active user")).into()),
        }
    }

    /// Changes a document's settings (`document.changed`).
    pub async fn change_document(
        &self,
        actor: &Actor,
        id: &str,
        patch: DocumentPatch,
    ) -> Result<DocumentView, AppError> {
        actor.require(Action::ManageDocuments)?;
        let before = self.document(actor, id).await?;
        let mut settings = DocumentSettings {
            kind: patch.kind.unwrap_or(before.kind),
            title: match &patch.title {
                Some(t) => text_field("title", t, document::MAX_TITLE)?,
                None => before.title.clone(),
            },
            owner: patch
                .owner
                .map(|o| o.trim().to_owned())
                .unwrap_or(before.owner.clone()),
            approvers: patch.approvers.unwrap_or(before.approvers.clone()),
            review_months: patch.review_months.unwrap_or(before.review_months),
        };
        settings.validate()?;
        if settings.owner != before.owner {
            self.check_owner(&settings.owner).await?;
        }
        settings.approvers.dedup();
        self.change_stored_document(actor, &before.id, move |doc, now| {
            let old = doc.settings();
            if old == settings {
                return Ok(None);
            }
            doc.apply(settings.clone(), now);
            let action = JournalAction::DocumentChanged(Box::new(DocumentChanged {
                before: old,
                after: settings,
                review_due: doc.review_due,
            }));
            Ok(Some((action, None)))
        })
        .await
    }

    /// Drafts a new version (`document.drafted`).
    pub async fn draft_document(
        &self,
        actor: &Actor,
        id: &str,
        input: DraftInput,
    ) -> Result<DocumentView, AppError> {
        actor.require(Action::DraftDocument)?;
        let doc = self.document(actor, id).await?;
        let mut problems = rampart_domain::Problems::default();
        if let Err(DomainError::Invalid(errors)) = document::check_text(&input.text) {
            for e in errors {
                problems.push(e.field, e.message);
            }
        }
        let summary = problems.take(
            "summary",
            text_field("summary", &input.summary, 2_000).map_err(|e| match e {
                DomainError::Invalid(mut errors) if !errors.is_empty() => errors.remove(0).message,
                other => other.to_string(),
            }),
        );
        let sections = document::sections(&input.text);
        if sections.len() > document::MAX_SECTIONS {
            problems.push(
                "text",
                format!("must have at most {} headings", document::MAX_SECTIONS),
            );
        }
        problems.into_result()?;
        let Some(summary) = summary else {
            return Err(AppError::Internal("checked above".into()));
        };
        let sha256 = hex::encode(Sha256::digest(input.text.as_bytes()));
        let text = input.text;
        let effective_from = input.effective_from;
        let by = actor.name.clone();
        self.change_stored_document(actor, &doc.id, move |doc, now| {
            doc.draft(DocumentVersion {
                version: 0,
                summary,
                sha256,
                sections,
                drafted_by: by,
                drafted_at: now,
                effective_from,
                approvals: vec![],
                effective_at: None,
            })?;
            let version = doc
                .latest()
                .cloned()
                .ok_or_else(|| DomainError::NotFound("the new version".into()))?;
            let stored = Entity::DocumentText(Box::new(DocumentText {
                document: doc.id.clone(),
                version: version.version,
                text: text.clone(),
            }));
            let action =
                JournalAction::DocumentDrafted(Box::new(DocumentDrafted { version, text }));
            Ok(Some((action, Some(stored))))
        })
        .await
    }

    /// Approves a version as one of the roles the document names
    /// (`document.approved`).
    pub async fn approve_document(
        &self,
        actor: &Actor,
        id: &str,
        version: u32,
        input: ApprovalInput,
    ) -> Result<DocumentView, AppError> {
        actor.require(Action::ViewDocumentDrafts)?;
        let doc = self.document(actor, id).await?;
        let note = note_field(input.note.as_deref())?;
        let role = input.role;
        let approver = actor.clone();
        self.change_stored_document(actor, &doc.id, move |doc, now| {
            let effective_at = doc.approve(version, role, &approver, note.clone(), now)?;
            let action = JournalAction::DocumentApproved(Box::new(DocumentApproved {
                version,
                role,
                note,
                effective_at,
                review_due: effective_at.and(doc.review_due),
            }));
            Ok(Some((action, None)))
        })
        .await
    }

    /// Records a review of the version in force that changes nothing
    /// (`document.reviewed`): by its owner, or anyone who may draft.
    pub async fn review_document(
        &self,
        actor: &Actor,
        id: &str,
        input: ReviewNote,
    ) -> Result<DocumentView, AppError> {
        let doc = self.document(actor, id).await?;
        if doc.owner != actor.name {
            actor.require(Action::DraftDocument)?;
        }
        let note = text_field("note", &input.note, 2_000)?;
        let by = actor.name.clone();
        self.change_stored_document(actor, &doc.id, move |doc, now| {
            doc.reviewed(&by, note.clone(), now)?;
            let version = doc.last_review.as_ref().map_or(0, |r| r.version);
            let action = JournalAction::DocumentReviewed(Box::new(DocumentReviewed {
                version,
                note,
                review_due: doc.review_due,
            }));
            Ok(Some((action, None)))
        })
        .await
    }

    /// Checks that a cited section exists: the document, and the heading in
    /// its version in force (or its latest one, before any is in force).
    pub async fn check_citation(&self, cite: &SectionRef) -> Result<(), String> {
        let doc = self
            .stored_document(&cite.document)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("there is no document {}", cite.document))?;
        match &cite.anchor {
            Some(anchor) if !doc.has_section(anchor, self.clock.now()) => {
                Err(format!("{} has no section {anchor}", cite.document))
            }
            _ => Ok(()),
        }
    }

    /// Runs a `document_review` job: tells the owner, if the review is
    /// still due then.
    pub(crate) async fn run_document_review(&self, key: &str, payload: &str) -> Result<(), String> {
        let job: ReviewJob = serde_json::from_str(payload)
            .map_err(|e| format!("a document_review job's payload: {e}"))?;
        let doc = match self.stored_document(&job.document).await {
            Ok(Some(doc)) => doc,
            Ok(None) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        if doc.review_due != Some(job.due) {
            // Reviewed, or a new version approved, since.
            return Ok(());
        }
        let kind = if job.overdue {
            NoticeKind::DocumentReviewOverdue
        } else {
            NoticeKind::DocumentReviewDue
        };
        let mut notice = Notice::raised(kind, Subject::Document(doc.id.clone()), self.clock.now());
        notice.person = Some(doc.owner.clone());
        notice.about = Some(format!(
            "{} ({}): review due {}",
            doc.title,
            doc.id,
            job.due.to_rfc3339().get(..10).unwrap_or_default()
        ));
        let id = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        self.tell(crate::notify::NoticeJob { id, notice }).await
    }
}

#[cfg(test)]
mod tests;
