//! The replay of the scheme's plan-and-prepare records: each document from
//! its `document.*` entries, each version's text from the entry that
//! drafted it (checked against the SHA-256 the version carries), each team
//! from its `team.*` entries, each contact from its `contact.*` entries and
//! each playbook from its `playbook.*` entries.

use rampart_domain::journal::ActionKind as K;
use rampart_domain::{
    Document, DocumentApproval, DocumentReview, DocumentSettings, DocumentText, DocumentVersion,
    Role, Text, Timestamp,
};
use sha2::{Digest, Sha256};

use super::replay::{Expected, ExpectedRecord, Fold, Step, not_here};
use crate::JournalEntry;

/// The version number a `document.drafted` entry gives its new version.
pub(super) fn drafted_version(entry: &JournalEntry) -> Option<u32> {
    let value: serde_json::Value = serde_json::from_str(&entry.payload).ok()?;
    value["version"]["version"]
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
}

pub(super) fn document(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<Document>::new();
    for entry in entries {
        let step = Step(entry);
        let at = step.at()?;
        match K::from_name(&entry.action) {
            Some(K::DocumentCreated) => fold.create(&step, step.whole()?)?,
            Some(K::DocumentChanged) => {
                let f = step.fields()?;
                let after: DocumentSettings = f.get("after")?;
                let review_due: Option<Timestamp> = f.get("review_due")?;
                let doc = fold.current(&step)?;
                doc.kind = after.kind;
                doc.title = after.title;
                doc.owner = after.owner;
                doc.approvers = after.approvers;
                doc.review_months = after.review_months;
                doc.review_due = review_due;
                doc.updated_at = at;
            }
            Some(K::DocumentDrafted) => {
                let version: DocumentVersion = step.fields()?.get("version")?;
                let doc = fold.current(&step)?;
                let next = doc.versions.last().map_or(1, |v| v.version + 1);
                if version.version != next {
                    return Err(step.fail(format!(
                        "drafts version {}, but the next version is {next}",
                        version.version
                    )));
                }
                doc.versions.push(version);
                doc.updated_at = at;
            }
            Some(K::DocumentApproved) => {
                let f = step.fields()?;
                let number: u32 = f.get("version")?;
                let role: Role = f.get("role")?;
                let note: Option<Text> = f.get("note")?;
                let effective_at: Option<Timestamp> = f.get("effective_at")?;
                let review_due: Option<Timestamp> = f.get("review_due")?;
                let by = step.actor();
                let doc = fold.current(&step)?;
                let Some(version) = doc.versions.iter_mut().find(|v| v.version == number) else {
                    return Err(step.fail(format!("approves version {number}, never drafted")));
                };
                version
                    .approvals
                    .push(DocumentApproval { role, by, at, note });
                if effective_at.is_some() {
                    version.effective_at = effective_at;
                    doc.review_due = review_due;
                }
                doc.updated_at = at;
            }
            Some(K::DocumentReviewed) => {
                let f = step.fields()?;
                let version: u32 = f.get("version")?;
                let note: Text = f.get("note")?;
                let review_due: Option<Timestamp> = f.get("review_due")?;
                let by = step.actor();
                let doc = fold.current(&step)?;
                doc.last_review = Some(DocumentReview {
                    by,
                    at,
                    version,
                    note,
                });
                doc.review_due = review_due;
                doc.updated_at = at;
            }
            _ => return Err(not_here(&step, "a document")),
        }
    }
    Ok(fold.finish(|d| ExpectedRecord::Document(Box::new(d))))
}

pub(super) fn text(number: u32, entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<DocumentText>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::DocumentDrafted) => {
                let f = step.fields()?;
                let version: DocumentVersion = f.get("version")?;
                if version.version != number {
                    continue;
                }
                let text: String = f.get("text")?;
                if hex::encode(Sha256::digest(text.as_bytes())) != version.sha256 {
                    return Err(
                        step.fail("the text is not the one whose SHA-256 the version carries")
                    );
                }
                let document = entry
                    .entity
                    .strip_prefix("document:")
                    .and_then(|id| rampart_domain::DocumentId::new(id).ok())
                    .ok_or_else(|| step.fail("the entity is not a document"))?;
                fold.create(
                    &step,
                    DocumentText {
                        document,
                        version: number,
                        text,
                    },
                )?;
            }
            // The document's other entries are replayed for the document.
            Some(
                K::DocumentCreated | K::DocumentChanged | K::DocumentApproved | K::DocumentReviewed,
            ) => {}
            _ => return Err(not_here(&step, "a document's text")),
        }
    }
    Ok(fold.finish(|t| ExpectedRecord::DocumentText(Box::new(t))))
}

pub(super) fn team(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<rampart_domain::Team>::new();
    for entry in entries {
        let step = Step(entry);
        let at = step.at()?;
        match K::from_name(&entry.action) {
            Some(K::TeamCreated) => fold.create(&step, step.whole()?)?,
            Some(K::TeamChanged) => {
                let after: rampart_domain::TeamSettings = step.fields()?.get("after")?;
                fold.current(&step)?.apply(after, at);
            }
            Some(K::TeamCoverAdded) => {
                let cover: rampart_domain::Cover = step.whole()?;
                fold.current(&step)?.restore_cover(cover);
            }
            Some(K::TeamHandover) => {
                let handover: rampart_domain::Handover = step.whole()?;
                fold.current(&step)?.restore_handover(handover);
            }
            _ => return Err(not_here(&step, "a team")),
        }
    }
    Ok(fold.finish(|t| ExpectedRecord::Team(Box::new(t))))
}

pub(super) fn contact(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<rampart_domain::Contact>::new();
    for entry in entries {
        let step = Step(entry);
        let at = step.at()?;
        match K::from_name(&entry.action) {
            Some(K::ContactCreated) => fold.create(&step, step.whole()?)?,
            Some(K::ContactChanged) => {
                let after: rampart_domain::ContactDetails = step.fields()?.get("after")?;
                let contact = fold.current(&step)?;
                contact.details = after;
                contact.updated_at = at;
            }
            _ => return Err(not_here(&step, "a contact")),
        }
    }
    Ok(fold.finish(|c| ExpectedRecord::Contact(Box::new(c))))
}

/// A playbook: created whole, then a version at a time (the record keeps
/// the latest [`rampart_domain::playbook::MAX_VERSIONS`]).
pub(super) fn playbook(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<rampart_domain::Playbook>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::PlaybookCreated) => fold.create(&step, step.whole()?)?,
            Some(K::PlaybookRevised) => {
                let version: rampart_domain::PlaybookVersion = step.whole()?;
                let playbook = fold.current(&step)?;
                playbook.updated_at = version.saved_at;
                playbook.versions.push(version);
                if playbook.versions.len() > rampart_domain::playbook::MAX_VERSIONS {
                    playbook.versions.remove(0);
                }
            }
            _ => return Err(not_here(&step, "a playbook")),
        }
    }
    Ok(fold.finish(|p| ExpectedRecord::Playbook(Box::new(p))))
}

pub(super) fn exercise(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<rampart_domain::Exercise>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::ExerciseCreated) => fold.create(&step, step.whole()?)?,
            Some(K::ExerciseStarted | K::ExerciseInjectDelivered | K::ExerciseEnded) => {
                *fold.current(&step)? = step.whole()?;
            }
            _ => return Err(not_here(&step, "an exercise")),
        }
    }
    Ok(fold.finish(|x| ExpectedRecord::Exercise(Box::new(x))))
}

pub(super) fn improvement(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<rampart_domain::ImprovementAction>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::ImprovementCreated) => fold.create(&step, step.whole()?)?,
            Some(K::ImprovementUpdated) => *fold.current(&step)? = step.whole()?,
            _ => return Err(not_here(&step, "an improvement action")),
        }
    }
    Ok(fold.finish(|i| ExpectedRecord::Improvement(Box::new(i))))
}
