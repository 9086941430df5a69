//! Evidence and the journal's signatures: the application layer over the
//! evidence vault. Every access to evidence content, every transfer of
//! custody, every re-hash, hold and disposal is a journal entry about the
//! item (its chain of custody); a content that no longer matches its SHA-256
//! is refused and raises an `evidence.integrity_failed` alarm entry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use rampart_domain::{
    Action, Actor, CustodyTransfer, DomainError, Event, EventNumber, EventStatus, EvidenceContent,
    EvidenceHolder, EvidenceItem, EvidenceNumber, EvidenceSubmission, Incident, IncidentNumber,
    IncidentStatus, JournalAction, Pap, Problems, Text, Timestamp, Tlp,
    journal::{
        EvidenceCollected, EvidenceDisposed, EvidenceDownloaded, EvidenceExported,
        EvidenceHoldPlaced, EvidenceHoldReleased, EvidenceIntegrityFailed, EvidenceTransferred,
        EvidenceVerified,
    },
};
use rampart_evidence::bundle::{self, BundleFile, Manifest, ManifestItem};
use rampart_evidence::{BlobError, BlobStore, StoredBlob};
use rampart_store::checkpoint::InstallationKey;
use rampart_store::{Entity, EntityRef, EvidenceQuery, JournalDraft, JournalEntry, JournalQuery};

use crate::App;
use crate::AppError;
use crate::not_found;
use crate::unit::{Decided, Loaded, Unit};

/// The custody entry of a check that found the content intact.
fn verified(verified_sha256: String) -> JournalAction {
    JournalAction::EvidenceVerified(EvidenceVerified {
        verified_sha256: Some(verified_sha256),
    })
}

mod collected;
mod follow;

pub(crate) use follow::Following;

pub use rampart_evidence::Reading;

/// Default largest evidence content: 4 GiB.
pub const DEFAULT_EVIDENCE_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// The evidence store and the installation's signing key, with the
/// checkpoint policy.
#[derive(Debug)]
pub struct Vault {
    pub blobs: BlobStore,
    pub key: InstallationKey,
    /// Largest content accepted, in bytes.
    pub max_bytes: u64,
    /// Sign a checkpoint after this many new journal entries.
    pub checkpoint_entries: u64,
    /// And at least this often while entries keep coming.
    pub checkpoint_interval: Duration,
    pub(crate) signing: tokio::sync::Mutex<()>,
    pub(crate) last_signed: AtomicU64,
}

impl Vault {
    pub fn new(blobs: BlobStore, key: InstallationKey) -> Self {
        Self {
            blobs,
            key,
            max_bytes: DEFAULT_EVIDENCE_LIMIT,
            checkpoint_entries: 1000,
            checkpoint_interval: Duration::from_secs(600),
            signing: tokio::sync::Mutex::new(()),
            last_signed: AtomicU64::new(0),
        }
    }
}

/// An item with its chain of custody.
#[derive(Debug, Clone)]
pub struct EvidenceRecord {
    pub item: EvidenceItem,
    /// Every journal entry about the item, oldest first.
    pub custody: Vec<JournalEntry>,
}

/// What a purge did.
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq, Eq)]
pub struct PurgeReport {
    pub disposed: Vec<EvidenceNumber>,
    /// Items that qualified but are under legal hold, so were kept.
    pub held: Vec<EvidenceNumber>,
}

/// A bundle ready to be written by [`bundle::write`].
#[derive(Debug)]
pub struct BundlePlan {
    pub file_name: String,
    pub manifest: Vec<u8>,
    pub signature: String,
    pub public_key: String,
    pub files: Vec<BundleFile>,
    pub mtime: u64,
}

impl BundlePlan {
    /// Writes the archive (blocking I/O: call from a blocking thread).
    pub fn write(&self, out: impl std::io::Write) -> Result<(), bundle::BundleError> {
        bundle::write(
            &self.manifest,
            &self.signature,
            &self.public_key,
            &self.files,
            self.mtime,
            out,
        )
    }
}

fn vault_missing() -> AppError {
    AppError::NoVault
}

fn blob_error(e: BlobError) -> AppError {
    e.into()
}

/// The record an item is collected for, loaded in the unit.
enum Held {
    Incident(IncidentNumber, Loaded<Incident>),
    Event(EventNumber, Loaded<Event>),
}

/// Reads evidence metadata from form fields, naming every bad field.
pub fn parse_submission(
    fields: &BTreeMap<String, String>,
) -> Result<EvidenceSubmission, DomainError> {
    let mut p = Problems::default();
    let get = |name: &str| fields.get(name).map(String::as_str).unwrap_or("").trim();
    let required = |p: &mut Problems, name: &str| p.take(name, Text::new(get(name)));
    let description = required(&mut p, "description");
    let found_at = required(&mut p, "found_at");
    let collected_by = required(&mut p, "collected_by");
    let reason = required(&mut p, "reason");
    let collected_at = p.take(
        "collected_at",
        if get("collected_at").is_empty() {
            Err("must not be empty; give an RFC 3339 time such as 2026-11-22T09:30:00Z".into())
        } else {
            Timestamp::parse(get("collected_at"))
        },
    );
    let optional = |p: &mut Problems, name: &str| {
        let v = get(name);
        if v.is_empty() {
            None
        } else {
            p.take(name, Text::new(v))
        }
    };
    let tool = optional(&mut p, "tool");
    let location = optional(&mut p, "location");
    let seal = optional(&mut p, "seal");
    let tlp = match get("tlp") {
        "" => None,
        v => p.take("tlp", Tlp::parse_lenient(v)),
    };
    let pap = match get("pap") {
        "" => None,
        v => p.take("pap", Pap::parse_lenient(v)),
    };
    p.into_result()?;
    match (description, found_at, collected_by, reason, collected_at) {
        (
            Some(description),
            Some(found_at),
            Some(collected_by),
            Some(reason),
            Some(collected_at),
        ) => Ok(EvidenceSubmission {
            description,
            found_at,
            collected_by,
            collected_at,
            tool,
            reason,
            tlp,
            pap,
            location,
            seal,
        }),
        _ => Err(DomainError::field("description", "is missing")),
    }
}

/// The metadata fields an upload accepts besides `file`.
pub const SUBMISSION_FIELDS: [&str; 10] = [
    "description",
    "found_at",
    "collected_by",
    "collected_at",
    "tool",
    "reason",
    "tlp",
    "pap",
    "location",
    "seal",
];

impl App {
    /// Adds the evidence vault (content store, signing key).
    pub fn with_vault(mut self, vault: Vault) -> Self {
        self.vault = Some(Arc::new(vault));
        self
    }

    pub fn vault(&self) -> Result<&Vault, AppError> {
        self.vault.as_deref().ok_or_else(vault_missing)
    }

    // ----- evidence ---------------------------------------------------------

    /// Checks that `actor` may add evidence to the incident or event, before
    /// any content is received.
    pub async fn evidence_target(
        &self,
        actor: &Actor,
        holder: EvidenceHolder,
    ) -> Result<(), AppError> {
        actor.require(Action::HandleEvidence)?;
        self.vault()?;
        match holder {
            EvidenceHolder::Incident(n) => self.get_incident(actor, n).await.map(|_| ()),
            EvidenceHolder::Event(n) => self.get_event(actor, n).await.map(|_| ()),
        }
    }

    /// Records an item whose content has been stored. If the record is
    /// refused, content stored only for it is removed again.
    pub async fn add_evidence(
        &self,
        actor: &Actor,
        holder: EvidenceHolder,
        input: EvidenceSubmission,
        blob: StoredBlob,
        filename: Option<String>,
        media_type: Option<String>,
    ) -> Result<EvidenceItem, AppError> {
        let content = EvidenceContent {
            sha256: blob.sha256.clone(),
            size: blob.size,
            filename: filename.map(|f| f.chars().take(255).collect()),
            media_type: media_type.map(|m| m.chars().take(127).collect()),
        };
        let result = self
            .record_evidence(actor, holder, input, Some(content))
            .await;
        if result.is_err() && !blob.existed {
            self.remove_unreferenced(&blob.sha256).await;
        }
        result
    }

    /// Records a physical item (a laptop, a USB stick, a paper log): no
    /// content in Rampart, the same custody.
    pub async fn add_physical_evidence(
        &self,
        actor: &Actor,
        holder: EvidenceHolder,
        input: EvidenceSubmission,
    ) -> Result<EvidenceItem, AppError> {
        self.record_evidence(actor, holder, input, None).await
    }

    async fn record_evidence(
        &self,
        actor: &Actor,
        holder: EvidenceHolder,
        input: EvidenceSubmission,
        content: Option<EvidenceContent>,
    ) -> Result<EvidenceItem, AppError> {
        actor.require(Action::HandleEvidence)?;
        let by = actor.clone();
        let mut unit = Unit::new(&actor.name);
        let loaded = match holder {
            EvidenceHolder::Incident(n) => Held::Incident(n, unit.load(EntityRef::Incident(n))),
            EvidenceHolder::Event(n) => Held::Event(n, unit.load(EntityRef::Event(n))),
        };
        let allocated = unit.allocate::<EvidenceNumber>();
        let unit = unit.decide(move |ctx| {
            // The item's markings default to its holder's.
            let markings = match loaded {
                Held::Incident(incident, loaded) => {
                    let inc = ctx
                        .maybe(&loaded)
                        .filter(|i| i.readable_by(&by))
                        .ok_or_else(|| DomainError::NotFound(format!("incident {incident}")))?;
                    inc.ensure_not_merged()?;
                    (inc.tlp, inc.pap())
                }
                Held::Event(event, loaded) => {
                    let e = ctx
                        .maybe(&loaded)
                        .filter(|e| e.readable_by(&by))
                        .ok_or_else(|| DomainError::NotFound(format!("event {event}")))?;
                    match (e.incident, e.status) {
                        // Its incident has its own need-to-know: the item is
                        // added there, by someone who may see it.
                        (Some(_), _) => {
                            return Err(DomainError::Conflict(format!(
                                "{event} is part of an incident already; add the evidence \
                                 to the incident"
                            )));
                        }
                        (
                            None,
                            status @ (EventStatus::FalseAlarm
                            | EventStatus::HandledLocally
                            | EventStatus::NotIncident),
                        ) => {
                            return Err(DomainError::Conflict(format!(
                                "{event} was closed ({}); evidence is secured for an event \
                                 only while it is being handled",
                                status.as_str().replace('_', " ")
                            )));
                        }
                        (None, _) => (e.tlp, e.pap()),
                    }
                }
            };
            let number = ctx.number(&allocated)?;
            let item =
                EvidenceItem::collect(number, holder, markings, input, content, &by, ctx.now())?;
            let action = JournalAction::EvidenceCollected(Box::new(EvidenceCollected::of(&item)));
            Ok(Decided::new(item.clone())
                .journal(JournalDraft::new(number, action))
                .insert(Entity::Evidence(Box::new(item))))
        });
        self.run(unit).await
    }

    /// Removes content no present item refers to.
    pub async fn remove_unreferenced(&self, sha256: &str) {
        let Ok(vault) = self.vault() else { return };
        let store = self.store.clone();
        let query = EvidenceQuery {
            sha256: Some(sha256.to_owned()),
            present_only: true,
            ..Default::default()
        };
        let removed = vault
            .blobs
            .remove_unless(sha256, || async move {
                // When in doubt, keep it.
                store
                    .list_evidence(&query)
                    .await
                    .map_or(true, |v| !v.is_empty())
            })
            .await;
        if let Err(e) = removed {
            tracing::warn!(error = %e, sha256, "cannot remove unreferenced evidence content");
        }
    }

    /// An item the actor may see.
    async fn visible_item(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
    ) -> Result<EvidenceItem, AppError> {
        actor.require(Action::ViewEvidence)?;
        let item = self
            .store
            .get(&EntityRef::Evidence(number))
            .await?
            .and_then(Entity::into_evidence)
            .ok_or_else(|| not_found(format!("evidence {number}")))?;
        // Need-to-know: evidence of a restricted incident does not exist for others.
        let visible = match item.holder() {
            Some(EvidenceHolder::Incident(n)) => self.get_incident(actor, n).await.is_ok(),
            Some(EvidenceHolder::Event(n)) => self.get_event(actor, n).await.is_ok(),
            None => false,
        };
        if !visible {
            return Err(not_found(format!("evidence {number}")));
        }
        Ok(item)
    }

    /// Every journal entry about an item, oldest first.
    pub async fn custody(&self, number: EvidenceNumber) -> Result<Vec<JournalEntry>, AppError> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .store
                .journal(&JournalQuery {
                    after,
                    limit: 10_000,
                    entity: Some(number.to_string()),
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            all.extend(page);
        }
        Ok(all)
    }

    /// One item with its chain of custody.
    pub async fn get_evidence(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
    ) -> Result<EvidenceRecord, AppError> {
        let item = self.visible_item(actor, number).await?;
        Ok(EvidenceRecord {
            custody: self.custody(number).await?,
            item,
        })
    }

    /// The items secured for an event while it is in triage (those that
    /// followed it into an incident are listed there), in the order recorded.
    pub async fn list_event_evidence(
        &self,
        actor: &Actor,
        event: EventNumber,
    ) -> Result<Vec<EvidenceItem>, AppError> {
        self.list_event_evidence_from(actor, event, 0).await
    }

    /// As [`Self::list_event_evidence`], from the `offset`-th item on.
    pub async fn list_event_evidence_from(
        &self,
        actor: &Actor,
        event: EventNumber,
        offset: u32,
    ) -> Result<Vec<EvidenceItem>, AppError> {
        actor.require(Action::ViewEvidence)?;
        self.get_event(actor, event).await?;
        Ok(self
            .store
            .list_evidence(&EvidenceQuery {
                event: Some(event),
                in_triage_only: true,
                offset,
                ..Default::default()
            })
            .await?)
    }

    /// The numbers of every item `query` matches, in the order recorded,
    /// read page by page (`query.offset` is where to start).
    pub(crate) async fn evidence_numbers(
        &self,
        mut query: EvidenceQuery,
    ) -> Result<Vec<EvidenceNumber>, AppError> {
        let mut all = Vec::new();
        loop {
            let page = self.store.list_evidence(&query).await?;
            let read = u32::try_from(page.len()).unwrap_or(u32::MAX);
            let full = page.len() >= rampart_store::MAX_EVIDENCE as usize;
            all.extend(page.into_iter().map(|i| i.number));
            if !full {
                return Ok(all);
            }
            query.offset = query.offset.saturating_add(read);
        }
    }

    /// The items of an incident, in the order they were recorded.
    pub async fn list_evidence(
        &self,
        actor: &Actor,
        incident: IncidentNumber,
    ) -> Result<Vec<EvidenceItem>, AppError> {
        self.list_evidence_from(actor, incident, 0).await
    }

    /// The items of an incident from the `offset`-th on, in the order they
    /// were recorded (at most [`rampart_store::MAX_EVIDENCE`]).
    pub async fn list_evidence_from(
        &self,
        actor: &Actor,
        incident: IncidentNumber,
        offset: u32,
    ) -> Result<Vec<EvidenceItem>, AppError> {
        actor.require(Action::ViewEvidence)?;
        self.get_incident(actor, incident).await?;
        Ok(self
            .store
            .list_evidence(&EvidenceQuery {
                incident: Some(incident),
                offset,
                ..Default::default()
            })
            .await?)
    }

    /// Changes one item in a unit of work with its journal entry.
    async fn change_item(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
        change: impl FnOnce(&mut EvidenceItem, Timestamp) -> Result<JournalAction, DomainError>
        + Send
        + 'static,
    ) -> Result<EvidenceItem, AppError> {
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<EvidenceItem>(EntityRef::Evidence(number));
        let unit = unit.decide(move |ctx| {
            let mut item = ctx.take(&loaded, || format!("evidence {number}"))?;
            let action = change(&mut item, ctx.now())?;
            Ok(Decided::new(item.clone())
                .journal(JournalDraft::new(number, action))
                .update(Entity::Evidence(Box::new(item))))
        });
        self.run(unit).await
    }

    /// Records a re-hash. Intact, the entry is `on_intact` (its payload
    /// gains the hash found); not intact, it is the `evidence.integrity_failed`
    /// alarm. Returns the updated item; `last_check.intact` tells which.
    async fn record_check(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
        during: &'static str,
        found: Result<(String, u64), BlobError>,
        on_intact: impl FnOnce(String) -> JournalAction + Send + 'static,
    ) -> Result<EvidenceItem, AppError> {
        let by = actor.clone();
        let (found_hash, found_size, problem) = match found {
            Ok((h, s)) => (h, Some(s), None),
            Err(BlobError::Missing(_)) => {
                (String::new(), None, Some("the stored content is missing"))
            }
            Err(e) => return Err(blob_error(e)),
        };
        let item = self
            .change_item(actor, number, move |item, now| {
                let content = item.readable()?.clone();
                item.record_check(&by, during, &found_hash, now);
                let intact = item.last_check.as_ref().is_some_and(|c| c.intact)
                    && found_size == Some(content.size);
                if intact {
                    return Ok(on_intact(found_hash));
                }
                if let Some(check) = item.last_check.as_mut() {
                    check.intact = false;
                }
                Ok(JournalAction::EvidenceIntegrityFailed(
                    EvidenceIntegrityFailed {
                        during: during.into(),
                        expected_sha256: content.sha256,
                        found_sha256: found_hash,
                        expected_size: Some(content.size),
                        found_size,
                        problem: problem.map(str::to_owned),
                    },
                ))
            })
            .await?;
        if !item.last_check.as_ref().is_some_and(|c| c.intact) {
            tracing::error!(
                evidence = %number,
                during,
                expected = %item.content.as_ref().map_or("", |c| c.sha256.as_str()),
                found = ?item.last_check.as_ref().map(|c| &c.found),
                "ALARM: evidence content no longer matches its SHA-256"
            );
        }
        Ok(item)
    }

    fn integrity_refusal(item: &EvidenceItem, what: &str) -> AppError {
        DomainError::Conflict(format!(
            "{what} refused: the stored content of {} no longer matches its SHA-256 {} \
             (found {}); an evidence.integrity_failed alarm was written to the journal",
            item.number,
            item.content.as_ref().map_or("", |c| c.sha256.as_str()),
            item.last_check
                .as_ref()
                .map(|c| if c.found.is_empty() {
                    "no content"
                } else {
                    c.found.as_str()
                })
                .unwrap_or("nothing"),
        ))
        .into()
    }

    /// Re-hashes the content now; the result is a custody entry.
    pub async fn verify_evidence(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
    ) -> Result<EvidenceItem, AppError> {
        actor.require(Action::VerifyEvidence)?;
        let item = self.visible_item(actor, number).await?;
        let sha256 = item.readable()?.sha256.clone();
        if let Some(repointed) = self.repointed(number, &item, None).await? {
            return self
                .record_repointed(actor, number, "verification", &repointed)
                .await;
        }
        let found = self.vault()?.blobs.rehash(&sha256).await;
        self.record_check(actor, number, "verification", found, verified)
            .await
    }

    /// Opens the content for download after re-verifying it. The download is
    /// a custody entry; content that no longer matches is refused with an alarm.
    pub async fn open_evidence(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
    ) -> Result<(EvidenceItem, Reading), AppError> {
        actor.require(Action::HandleEvidence)?;
        let item = self.visible_item(actor, number).await?;
        let content = item.readable()?.clone();
        if let Some(repointed) = self.repointed(number, &item, None).await? {
            self.record_repointed(actor, number, "download", &repointed)
                .await?;
            return Err(Self::repointed_refusal(number, "download", &repointed));
        }
        let blobs = &self.vault()?.blobs;
        let found = blobs.rehash(&content.sha256).await;
        let (sha256, size) = (content.sha256.clone(), content.size);
        let downloaded = move |verified_sha256| {
            JournalAction::EvidenceDownloaded(EvidenceDownloaded {
                sha256,
                size,
                verified_sha256: Some(verified_sha256),
            })
        };
        let checked = self
            .record_check(actor, number, "download", found, downloaded)
            .await?;
        if !checked.last_check.as_ref().is_some_and(|c| c.intact) {
            return Err(Self::integrity_refusal(&checked, "download"));
        }
        let reading = blobs.read(&content.sha256).await.map_err(blob_error)?;
        Ok((checked, reading))
    }

    /// Called when a download's streamed bytes did not hash to the item's
    /// SHA-256 (the content changed while it was being sent).
    pub async fn evidence_stream_failed(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
        found: (String, u64),
    ) {
        if let Err(e) = self
            .record_check(actor, number, "download", Ok(found), verified)
            .await
        {
            tracing::error!(error = %e.chain(), evidence = %number, "cannot record the integrity alarm");
        }
    }

    /// Raises the alarm for a bundle whose writing stopped because a content
    /// no longer matched its SHA-256.
    pub async fn bundle_failed(&self, actor: &Actor, error: &bundle::BundleError) {
        if let bundle::BundleError::Altered { path, found, .. } = error
            && let Some(number) = path
                .split('/')
                .nth(1)
                .and_then(|n| n.parse::<EvidenceNumber>().ok())
        {
            self.evidence_stream_failed(actor, number, (found.clone(), 0))
                .await;
        }
    }

    /// Hands the item to someone else.
    pub async fn transfer_evidence(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
        transfer: CustodyTransfer,
    ) -> Result<EvidenceItem, AppError> {
        actor.require(Action::HandleEvidence)?;
        self.visible_item(actor, number).await?;
        self.change_item(actor, number, move |item, _| {
            let reason = transfer.reason.clone();
            let seal = transfer.seal.clone();
            let from = item.transfer(transfer)?;
            Ok(JournalAction::EvidenceTransferred(EvidenceTransferred {
                from,
                to: item.custodian.clone(),
                reason,
                location: item.location.clone(),
                seal,
            }))
        })
        .await
    }

    /// Places (`hold`) or releases a legal hold.
    pub async fn hold_evidence(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
        hold: bool,
        reason: Text,
    ) -> Result<EvidenceItem, AppError> {
        actor.require(Action::HoldEvidence)?;
        self.visible_item(actor, number).await?;
        let by = actor.clone();
        self.change_item(actor, number, move |item, now| {
            if hold {
                item.place_hold(reason.clone(), &by, now)?;
                Ok(JournalAction::EvidenceHoldPlaced(EvidenceHoldPlaced {
                    reason,
                }))
            } else {
                let placed = item.release_hold()?;
                Ok(JournalAction::EvidenceHoldReleased(EvidenceHoldReleased {
                    reason,
                    placed,
                }))
            }
        })
        .await
    }

    /// Disposes of an item's content (retention); refused under legal hold.
    /// The record and its custody history stay.
    pub async fn dispose_evidence(
        &self,
        actor: &Actor,
        number: EvidenceNumber,
        reason: Text,
    ) -> Result<EvidenceItem, AppError> {
        actor.require(Action::DisposeEvidence)?;
        self.visible_item(actor, number).await?;
        let by = actor.clone();
        let item = self
            .change_item(actor, number, move |item, now| {
                item.dispose(reason.clone(), &by, now)?;
                Ok(JournalAction::EvidenceDisposed(EvidenceDisposed {
                    reason,
                    sha256: item
                        .content
                        .as_ref()
                        .map(|c| c.sha256.clone())
                        .unwrap_or_default(),
                }))
            })
            .await?;
        if let Some(content) = &item.content {
            self.remove_unreferenced(&content.sha256).await;
        }
        Ok(item)
    }

    /// The retention path: disposes of the evidence of incidents closed before
    /// `closed_before`, except items under legal hold, which are reported.
    pub async fn purge_evidence(
        &self,
        actor: &Actor,
        closed_before: Timestamp,
        reason: Text,
    ) -> Result<PurgeReport, AppError> {
        actor.require(Action::DisposeEvidence)?;
        // Ended incidents the actor may see, page by page (need-to-know holds here too).
        let mut ended = Vec::new();
        for status in [IncidentStatus::Closed, IncidentStatus::Reviewed] {
            let mut cursor = None;
            loop {
                let page = self
                    .store
                    .list_incidents(&rampart_store::IncidentQuery {
                        status: Some(status),
                        viewer: Some(actor.name.clone()),
                        sort: rampart_store::IncidentSort::Oldest,
                        cursor: cursor.take(),
                        limit: rampart_store::MAX_PAGE,
                        ..Default::default()
                    })
                    .await?;
                ended.extend(
                    page.items
                        .into_iter()
                        .filter(|i| i.closed_at.is_some_and(|t| t < closed_before))
                        .map(|i| i.number),
                );
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        let mut report = PurgeReport::default();
        for incident in ended {
            let present = self
                .store
                .list_evidence(&EvidenceQuery {
                    incident: Some(incident),
                    present_only: true,
                    ..Default::default()
                })
                .await?;
            for item in present {
                if item.hold.is_some() {
                    report.held.push(item.number);
                    continue;
                }
                self.dispose_evidence(actor, item.number, reason.clone())
                    .await?;
                report.disposed.push(item.number);
            }
        }
        report.disposed.sort();
        report.held.sort();
        Ok(report)
    }

    /// Prepares the signed evidence bundle of an incident: re-verifies every
    /// present item (refusing with an alarm if one fails), writes an
    /// `evidence.exported` custody entry for each, and signs the manifest.
    pub async fn evidence_bundle(
        &self,
        actor: &Actor,
        incident: IncidentNumber,
    ) -> Result<BundlePlan, AppError> {
        actor.require(Action::HandleEvidence)?;
        let inc = self.get_incident(actor, incident).await?;
        let vault = self.vault()?;
        let items: Vec<EvidenceItem> = self
            .list_evidence(actor, incident)
            .await?
            .into_iter()
            // Physical items have no content to bundle; their custody is in the journal.
            .filter(|i| i.disposed.is_none() && !i.is_physical())
            .collect();
        // Every record is checked against its journal entry, and every
        // content re-hashed, before any export is recorded.
        for item in &items {
            if let Some(repointed) = self.repointed(item.number, item, Some(incident)).await? {
                self.record_repointed(actor, item.number, "export", &repointed)
                    .await?;
                return Err(Self::repointed_refusal(item.number, "export", &repointed));
            }
        }
        let mut found = Vec::with_capacity(items.len());
        for item in &items {
            let content = item.readable()?;
            let f = vault.blobs.rehash(&content.sha256).await;
            let intact = matches!(&f, Ok((h, n)) if *h == content.sha256 && *n == content.size);
            if !intact {
                let checked = self
                    .record_check(actor, item.number, "export", f, verified)
                    .await?;
                return Err(Self::integrity_refusal(&checked, "export"));
            }
            found.push(f);
        }
        let file_name = format!("{incident}-evidence.tar");
        let mut manifest_items = Vec::with_capacity(items.len());
        let mut files = Vec::with_capacity(items.len());
        for (item, f) in items.into_iter().zip(found) {
            let bundle = file_name.clone();
            let exported = move |verified_sha256| {
                JournalAction::EvidenceExported(EvidenceExported {
                    bundle,
                    verified_sha256: Some(verified_sha256),
                })
            };
            let item = self
                .record_check(actor, item.number, "export", f, exported)
                .await?;
            let content = item.readable()?.clone();
            let path = bundle::archive_path(&item.number.to_string(), content.filename.as_deref());
            files.push(BundleFile {
                path: path.clone(),
                blob: vault.blobs.path_of(&content.sha256).map_err(blob_error)?,
                sha256: content.sha256.clone(),
                size: content.size,
            });
            manifest_items.push(ManifestItem {
                number: item.number.to_string(),
                path,
                sha256: content.sha256.clone(),
                size: content.size,
                record: serde_json::to_value(&item)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                custody: self.custody(item.number).await?,
            });
        }
        let head = self.store.journal_head().await?;
        let now = self.clock.now();
        let manifest = Manifest {
            format: bundle::FORMAT.to_owned(),
            incident: incident.to_string(),
            incident_title: inc.title.as_str().to_owned(),
            created_at: now.to_rfc3339(),
            created_by: actor.name.clone(),
            journal_seq: head.0,
            journal_hash: head.1,
            items: manifest_items,
        };
        let manifest =
            serde_json::to_vec_pretty(&manifest).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(BundlePlan {
            file_name,
            signature: vault.key.sign(&manifest),
            public_key: vault.key.public_hex(),
            manifest,
            files,
            mtime: u64::try_from(now.as_offset().unix_timestamp()).unwrap_or(0),
        })
    }

    /// The incident an evidence item belongs to, for need-to-know filtering.
    pub(crate) async fn evidence_incident(
        &self,
        number: EvidenceNumber,
    ) -> Result<Option<IncidentNumber>, AppError> {
        Ok(self
            .store
            .get(&EntityRef::Evidence(number))
            .await?
            .and_then(Entity::into_evidence)
            .and_then(|i| i.incident))
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::{Actor, EvidenceHolder, EvidenceItem, Role};
    use serde_json::json;

    use crate::ErrorKind;
    use crate::testing::{TestApp, from_json};

    const LOG: &[u8] = b"sshd[812]: Accepted password for root";

    /// An item of evidence `ian`, an ISIRT member, collected for an incident.
    async fn collected(t: &TestApp) -> (Actor, EvidenceItem) {
        let poc = t.user("pat", &[Role::Poc]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let incident = t.incident(&poc, &ian).await;
        let vault = t.app.vault().unwrap();
        let mut incoming = vault.blobs.receive(vault.max_bytes).await.unwrap();
        incoming.write(LOG).await.unwrap();
        let blob = incoming.finish().await.unwrap();
        let submission = from_json(json!({
            "description": "auth log", "found_at": "gw:/var/log/auth.log", "collected_by": "Ian",
            "collected_at": "2026-11-22T09:00:00Z", "reason": "shows the login",
        }));
        let item = t
            .app
            .add_evidence(
                &ian,
                EvidenceHolder::Incident(incident),
                submission,
                blob,
                None,
                None,
            )
            .await;
        (ian, item.unwrap())
    }

    #[tokio::test]
    async fn an_item_is_verified_and_handed_on_each_step_in_its_custody() {
        let t = TestApp::with_vault().await;
        let (ian, item) = collected(&t).await;
        let verified = t.app.verify_evidence(&ian, item.number).await.unwrap();
        assert!(verified.last_check.is_some_and(|c| c.intact));
        let transfer = from_json(json!({"to": "DC Jones", "reason": "for the police"}));
        let moved = t.app.transfer_evidence(&ian, item.number, transfer).await;
        assert_eq!(moved.unwrap().custodian, "DC Jones");

        let record = t.app.get_evidence(&ian, item.number).await.unwrap();
        let custody: Vec<_> = record.custody.iter().map(|e| e.action.as_str()).collect();
        let journal = ["collected", "verified", "transferred"].map(|a| format!("evidence.{a}"));
        assert_eq!(custody, journal);
        let auditor = t.user("aud", &[Role::Auditor]).await;
        let refused = t
            .app
            .open_evidence(&auditor, item.number)
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
    }

    #[tokio::test]
    async fn changed_content_is_refused_for_download_and_raises_the_alarm() {
        use std::os::unix::fs::PermissionsExt;
        let t = TestApp::with_vault().await;
        let (ian, item) = collected(&t).await;
        let sha256 = &item.content.as_ref().unwrap().sha256;
        let path = t.app.vault().unwrap().blobs.path_of(sha256);
        let path = path.unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        std::fs::write(&path, b"sshd[812]: Accepted password for bob").unwrap();

        let refused = t.app.open_evidence(&ian, item.number).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Conflict);
        let custody = t.actions(item.number).await;
        assert_eq!(custody.last().unwrap(), "evidence.integrity_failed");
        let stored = t.app.get_evidence(&ian, item.number).await.unwrap().item;
        assert!(stored.last_check.is_some_and(|c| !c.intact));
    }
}
