//! Checks an evidence record against the `evidence.collected` entry that
//! created it. The journal entry is hash-chained and signed; the record is a
//! row that someone with SQL access could point at another item's content
//! (or move to another incident, or swap with another row). Before content
//! is downloaded, verified or exported, the record must still say what its
//! entry recorded; otherwise the request is refused and the integrity alarm
//! is written, as for content that changed on disk.

use rampart_domain::journal::{EvidenceCollected, EvidenceIntegrityFailed};
use rampart_domain::{
    Actor, DomainError, EvidenceContent, EvidenceItem, EvidenceNumber, IncidentNumber,
    JournalAction, JournalActionError,
};
use rampart_store::{Entity, EntityRef, JournalDraft, JournalQuery};

use crate::App;
use crate::AppError;
use crate::unit::{Decided, Unit};

/// A content's SHA-256 and size; empty and `None` for a physical item.
fn content_of(content: &Option<EvidenceContent>) -> (String, Option<u64>) {
    content
        .as_ref()
        .map_or((String::new(), None), |c| (c.sha256.clone(), Some(c.size)))
}

fn none_if_empty(sha256: &str) -> &str {
    if sha256.is_empty() { "none" } else { sha256 }
}

/// How a record differs from its `evidence.collected` entry.
#[derive(Debug, Clone)]
pub(super) struct Repointed {
    /// The content as collected: SHA-256 (empty when there is no entry) and size.
    sha256: String,
    size: Option<u64>,
    problem: String,
}

impl App {
    /// Compares the record read as `number` with its `evidence.collected`
    /// entry (one indexed lookup: the first journal entry about an item is
    /// that entry), and, for a bundle, with the incident it is exported
    /// for. `None` when they agree.
    pub(super) async fn repointed(
        &self,
        number: EvidenceNumber,
        item: &EvidenceItem,
        incident: Option<IncidentNumber>,
    ) -> Result<Option<Repointed>, AppError> {
        let first = self
            .store
            .journal(&JournalQuery {
                after: 0,
                limit: 1,
                entity: Some(number.to_string()),
            })
            .await?;
        let no_entry = || Repointed {
            sha256: String::new(),
            size: None,
            problem: format!("the journal holds no evidence.collected entry about {number}"),
        };
        let Some(entry) = first.into_iter().next() else {
            return Ok(Some(no_entry()));
        };
        let collected: EvidenceCollected =
            match JournalAction::parse_text(&entry.action, &entry.payload) {
                Ok(JournalAction::EvidenceCollected(c)) => *c,
                Ok(_) | Err(JournalActionError::Unknown(_)) => return Ok(Some(no_entry())),
                Err(e) => {
                    return Ok(Some(Repointed {
                        sha256: String::new(),
                        size: None,
                        problem: format!("journal entry {} about {number}: {e}", entry.seq),
                    }));
                }
            };
        let (sha256, size) = content_of(&collected.content);
        let (item_sha256, item_size) = content_of(&item.content);
        let sha256 = sha256.as_str();
        let mut collected_for = collected.incident;
        if item.number == number && item.incident != collected_for {
            // Only an item that followed its event into an incident, or moved
            // with a merged incident, reads further: the incident its last
            // `evidence.attached` or `evidence.moved` entry names.
            collected_for = self.moved_to(number).await?.or(collected_for);
        }
        let named = |i: Option<IncidentNumber>| {
            i.map_or_else(|| "no incident".to_owned(), |i| i.to_string())
        };
        let problem = if item.number != number {
            Some(format!(
                "the record stored as {number} is that of {}",
                item.number
            ))
        } else if item_sha256 != sha256 || item_size != size {
            let bytes = |s: Option<u64>| s.map_or_else(|| "no".to_owned(), |s| s.to_string());
            Some(format!(
                "the record names content {} ({} bytes), but its evidence.collected entry \
                 (journal entry {}) recorded {} ({} bytes)",
                none_if_empty(&item_sha256),
                bytes(item_size),
                entry.seq,
                none_if_empty(sha256),
                bytes(size),
            ))
        } else if item.incident != collected_for {
            Some(format!(
                "the record belongs to {}, but its evidence.collected entry and the moves \
                 after it (from journal entry {}) say {}",
                named(item.incident),
                entry.seq,
                named(collected_for)
            ))
        } else {
            incident
                .filter(|i| Some(*i) != item.incident)
                .map(|wanted| {
                    format!(
                        "the record belongs to {}, not to {wanted}",
                        named(item.incident)
                    )
                })
        };
        Ok(problem.map(|problem| Repointed {
            sha256: sha256.to_owned(),
            size,
            problem,
        }))
    }

    /// The incident the last `evidence.attached` or `evidence.moved` entry
    /// about `number` gave it, if one did.
    async fn moved_to(&self, number: EvidenceNumber) -> Result<Option<IncidentNumber>, AppError> {
        let mut to = None;
        for entry in self.custody(number).await? {
            match JournalAction::parse_text(&entry.action, &entry.payload) {
                Ok(JournalAction::EvidenceMoved(moved)) => to = Some(moved.to),
                Ok(JournalAction::EvidenceAttached(attached)) => to = Some(attached.incident),
                _ => {}
            }
        }
        Ok(to)
    }

    /// Raises the integrity alarm about `number`: an `evidence.integrity_failed`
    /// entry, and `last_check` not intact on the record (unless the row holds
    /// another item's record, which is left as it is). Returns the record.
    pub(super) async fn record_repointed(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
        during: &'static str,
        repointed: &Repointed,
    ) -> Result<EvidenceItem, AppError> {
        let by = actor.clone();
        let found = repointed.clone();
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<EvidenceItem>(EntityRef::Evidence(number));
        let unit = unit.decide(move |ctx| {
            let mut item = ctx.take(&loaded, || format!("evidence {number}"))?;
            let (found_sha256, found_size) = content_of(&item.content);
            let action = JournalAction::EvidenceIntegrityFailed(EvidenceIntegrityFailed {
                during: during.into(),
                expected_sha256: found.sha256.clone(),
                found_sha256,
                expected_size: found.size,
                found_size,
                problem: Some(found.problem.clone()),
            });
            let entry = JournalDraft::new(number, action);
            if item.number != number {
                return Ok(Decided::new(None).journal(entry));
            }
            item.record_check(&by, during, &found.sha256, ctx.now());
            if let Some(check) = item.last_check.as_mut() {
                check.intact = false;
            }
            let written = Entity::Evidence(Box::new(item.clone()));
            Ok(Decided::new(Some(item)).journal(entry).update(written))
        });
        let written = self.run(unit).await?;
        tracing::error!(
            evidence = %number,
            during,
            problem = %repointed.problem,
            "ALARM: evidence record no longer matches its evidence.collected entry"
        );
        if let Some(item) = written {
            return Ok(item);
        }
        // The row holds another item's record: answer with it, marked as
        // found not intact, without writing it.
        let mut item = self
            .store
            .get(&EntityRef::Evidence(number))
            .await?
            .and_then(Entity::into_evidence)
            .ok_or_else(|| DomainError::NotFound(format!("evidence {number}")))?;
        item.record_check(actor, during, &repointed.sha256, self.clock.now());
        if let Some(check) = item.last_check.as_mut() {
            check.intact = false;
        }
        Ok(item)
    }

    /// The refusal of a download or export of a record that was changed.
    pub(super) fn repointed_refusal(
        number: EvidenceNumber,
        what: &str,
        repointed: &Repointed,
    ) -> AppError {
        DomainError::Conflict(format!(
            "{what} refused: the record of {number} was changed outside Rampart: {}; \
             an evidence.integrity_failed alarm was written to the journal",
            repointed.problem
        ))
        .into()
    }
}
