//! The records check: proof that every stored record is what its journal
//! entries say it is, so that a record edited, inserted or deleted behind the
//! journal's back is found and named.
//!
//! It runs in one consistent read of the database (a [`Snapshot`]):
//!
//! 1. The journal is read once, in sequence order, a page at a time: the hash
//!    chain is checked as `journal verify` checks it, and each entry is noted
//!    against the records it changes (an [`Index`] of record keys and
//!    sequence numbers, a few dozen bytes per record; payloads are not kept).
//! 2. The stored records are read kind by kind, a page at a time. For each
//!    page the entries of its records are fetched by sequence number and
//!    replayed ([`replay`]) into the state each record must have, which is
//!    compared field by field with the stored record, and the columns stored
//!    beside the record's document with the document ([`compare`]).
//! 3. Records the journal created that the store no longer holds are named.
//!
//! Memory grows with the number of records (the index) and the size of a
//! page, never with the length of the journal.

mod compare;
mod documents;
mod replay;
mod settings;
mod vulnerabilities;

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use rampart_domain::journal::ActionKind;
use rampart_domain::{
    DocumentId, EventNumber, EvidenceNumber, IncidentNumber, TeamId, VulnerabilityNumber,
};
use sha2::{Digest, Sha256};

use crate::journal::{Verification, Verifier};
use crate::{Entity, JournalEntry, StoreError};

pub use compare::Difference;

/// Entries read per page of the journal.
const JOURNAL_PAGE: u32 = 5_000;
/// Stored records read per page.
const ROW_PAGE: u32 = 500;
/// Entries fetched per query by sequence number.
pub const ENTRIES_PER_QUERY: usize = 500;

/// What the journal carries for a secret the store keeps (a password hash, a
/// TOTP secret, an API token's hash): the SHA-256, in hex, of the stored
/// text. It shows that the stored secret is the one set, and reveals nothing
/// of it.
pub fn secret_digest(stored: &str) -> String {
    hex::encode(Sha256::digest(stored.as_bytes()))
}

/// The kinds of record the check covers, in the order it reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Event,
    Incident,
    Vulnerability,
    Evidence,
    User,
    /// A user's password hash and second factor.
    Credentials,
    Token,
    /// The categorization rules of machine intake.
    Rules,
    /// The response-time targets.
    Targets,
    /// The notification rules.
    Regulatory,
    /// The classification scale.
    Scale,
    /// A policy, plan, procedure or awareness document.
    Document,
    /// The text of one version of a document.
    DocumentText,
    /// A point-of-contact or ISIRT team.
    Team,
    /// An entry of the contact directory.
    Contact,
    /// A playbook with its versions.
    Playbook,
    /// An exercise with its injects.
    Exercise,
    /// An improvement action from a lessons-learned review.
    Improvement,
}

impl RecordKind {
    pub const ALL: [Self; 18] = [
        Self::Event,
        Self::Incident,
        Self::Vulnerability,
        Self::Evidence,
        Self::User,
        Self::Credentials,
        Self::Token,
        Self::Rules,
        Self::Targets,
        Self::Regulatory,
        Self::Scale,
        Self::Document,
        Self::DocumentText,
        Self::Team,
        Self::Contact,
        Self::Playbook,
        Self::Exercise,
        Self::Improvement,
    ];

    /// How a count of them is written.
    fn counted(self, n: u64) -> String {
        let (one, many) = match self {
            Self::Event => ("event", "events"),
            Self::Incident => ("incident", "incidents"),
            Self::Vulnerability => ("vulnerability", "vulnerabilities"),
            Self::Evidence => ("evidence item", "evidence items"),
            Self::User => ("user", "users"),
            Self::Credentials => ("set of credentials", "sets of credentials"),
            Self::Token => ("API token", "API tokens"),
            Self::Rules => ("rule table", "rule tables"),
            Self::Targets => ("target table", "target tables"),
            Self::Regulatory => ("notification rule table", "notification rule tables"),
            Self::Scale => ("classification scale", "classification scales"),
            Self::Document => ("document", "documents"),
            Self::DocumentText => ("document text", "document texts"),
            Self::Team => ("team", "teams"),
            Self::Contact => ("contact", "contacts"),
            Self::Playbook => ("playbook", "playbooks"),
            Self::Exercise => ("exercise", "exercises"),
            Self::Improvement => ("improvement action", "improvement actions"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

/// One record, as the check names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKey {
    Event(EventNumber),
    Incident(IncidentNumber),
    Vulnerability(VulnerabilityNumber),
    Evidence(EvidenceNumber),
    User(String),
    Credentials(String),
    /// By the token's public id (`tok_…`).
    Token(String),
    Rules,
    Targets,
    Regulatory,
    Scale,
    Document(DocumentId),
    /// A version's text: the document and the version.
    DocumentText(DocumentId, u32),
    Team(TeamId),
    Contact(rampart_domain::ContactId),
    Playbook(rampart_domain::PlaybookId),
    Exercise(rampart_domain::ExerciseId),
    Improvement(String),
}

impl RecordKey {
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::Event(_) => RecordKind::Event,
            Self::Incident(_) => RecordKind::Incident,
            Self::Vulnerability(_) => RecordKind::Vulnerability,
            Self::Evidence(_) => RecordKind::Evidence,
            Self::User(_) => RecordKind::User,
            Self::Credentials(_) => RecordKind::Credentials,
            Self::Token(_) => RecordKind::Token,
            Self::Rules => RecordKind::Rules,
            Self::Targets => RecordKind::Targets,
            Self::Regulatory => RecordKind::Regulatory,
            Self::Scale => RecordKind::Scale,
            Self::Document(_) => RecordKind::Document,
            Self::DocumentText(..) => RecordKind::DocumentText,
            Self::Team(_) => RecordKind::Team,
            Self::Contact(_) => RecordKind::Contact,
            Self::Playbook(_) => RecordKind::Playbook,
            Self::Exercise(_) => RecordKind::Exercise,
            Self::Improvement(_) => RecordKind::Improvement,
        }
    }

    /// The record a stored row of `kind` is, from its key column; `None`
    /// when the key is not one Rampart writes.
    pub fn of_row(kind: RecordKind, key: &str) -> Option<Self> {
        Some(match kind {
            RecordKind::Event => Self::Event(key.parse().ok()?),
            RecordKind::Incident => Self::Incident(key.parse().ok()?),
            RecordKind::Vulnerability => Self::Vulnerability(key.parse().ok()?),
            RecordKind::Evidence => Self::Evidence(key.parse().ok()?),
            RecordKind::User => Self::User(key.to_owned()),
            RecordKind::Credentials => Self::Credentials(key.to_owned()),
            RecordKind::Token => Self::Token(key.to_owned()),
            RecordKind::Rules => Self::Rules,
            RecordKind::Targets => Self::Targets,
            RecordKind::Regulatory => Self::Regulatory,
            RecordKind::Scale => Self::Scale,
            RecordKind::Document => Self::Document(DocumentId::new(key).ok()?),
            RecordKind::DocumentText => {
                let (id, version) = key.rsplit_once('@')?;
                Self::DocumentText(DocumentId::new(id).ok()?, version.parse().ok()?)
            }
            RecordKind::Team => Self::Team(TeamId::new(key).ok()?),
            RecordKind::Contact => Self::Contact(rampart_domain::ContactId::new(key).ok()?),
            RecordKind::Playbook => Self::Playbook(rampart_domain::PlaybookId::new(key).ok()?),
            RecordKind::Exercise => Self::Exercise(rampart_domain::ExerciseId::new(key).ok()?),
            RecordKind::Improvement => Self::Improvement(improvement_key(key)?),
        })
    }

    /// The record a journal entry's `entity` names, if it names one.
    fn of_entity(entity: &str) -> Option<Self> {
        if let Some(name) = entity.strip_prefix("user:") {
            return Some(Self::User(name.to_owned()));
        }
        if entity == RULES_ENTITY {
            return Some(Self::Rules);
        }
        if entity == TARGETS_ENTITY {
            return Some(Self::Targets);
        }
        if entity == REGULATORY_ENTITY {
            return Some(Self::Regulatory);
        }
        if entity == SCALE_ENTITY {
            return Some(Self::Scale);
        }
        if let Some(id) = entity.strip_prefix("document:") {
            return DocumentId::new(id).ok().map(Self::Document);
        }
        if let Some(id) = entity.strip_prefix("team:") {
            return TeamId::new(id).ok().map(Self::Team);
        }
        if let Some(id) = entity.strip_prefix("contact:") {
            return rampart_domain::ContactId::new(id).ok().map(Self::Contact);
        }
        if let Some(id) = entity.strip_prefix("playbook:") {
            return rampart_domain::PlaybookId::new(id).ok().map(Self::Playbook);
        }
        if let Some(id) = entity.strip_prefix("improvement:") {
            return improvement_key(id).map(Self::Improvement);
        }
        if let Some(id) = entity.strip_prefix("exercise:") {
            return rampart_domain::ExerciseId::new(id).ok().map(Self::Exercise);
        }
        match entity.get(..4)? {
            "EVT-" => entity.parse().ok().map(Self::Event),
            "INC-" => entity.parse().ok().map(Self::Incident),
            "VUL-" => entity.parse().ok().map(Self::Vulnerability),
            "EVD-" => entity.parse().ok().map(Self::Evidence),
            _ => None,
        }
    }
}

/// An improvement action's id as Rampart writes it: `INC-2026-0001.2`,
/// `VUL-2026-0003.1`.
fn improvement_key(key: &str) -> Option<String> {
    rampart_domain::ImprovementAction::source_of(key).map(|_| key.to_owned())
}

/// The journal entity of the categorization rules.
const RULES_ENTITY: &str = "intake:rules";

/// The journal entity of the response-time targets.
pub const TARGETS_ENTITY: &str = "settings:targets";

/// The journal entity of the notification rules.
pub const REGULATORY_ENTITY: &str = "settings:regulatory";

/// The journal entity of the classification scale.
pub const SCALE_ENTITY: &str = "settings:classification";

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Event(n) => write!(f, "{n}"),
            Self::Incident(n) => write!(f, "{n}"),
            Self::Vulnerability(n) => write!(f, "{n}"),
            Self::Evidence(n) => write!(f, "{n}"),
            Self::User(name) => write!(f, "user:{name}"),
            Self::Credentials(name) => write!(f, "credentials:{name}"),
            Self::Token(id) => write!(f, "token:{id}"),
            Self::Rules => f.write_str(RULES_ENTITY),
            Self::Targets => f.write_str(TARGETS_ENTITY),
            Self::Regulatory => f.write_str(REGULATORY_ENTITY),
            Self::Scale => f.write_str(SCALE_ENTITY),
            Self::Document(id) => write!(f, "document:{id}"),
            Self::DocumentText(id, version) => write!(f, "document:{id}@{version}"),
            Self::Team(id) => write!(f, "team:{id}"),
            Self::Contact(id) => write!(f, "contact:{id}"),
            Self::Playbook(id) => write!(f, "playbook:{id}"),
            Self::Exercise(id) => write!(f, "exercise:{id}"),
            Self::Improvement(id) => write!(f, "improvement:{id}"),
        }
    }
}

/// One stored row, as a [`Snapshot`] reads it.
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// The row's key column: number, user name, token id.
    pub key: String,
    /// The record in the row's document, or why it cannot be read as one.
    pub record: Result<Entity, String>,
    /// Columns stored beside the document (for lists, filters and lookups)
    /// that do not say what the document says.
    pub columns: Vec<Difference>,
}

/// The reads the check makes, all within one consistent view of the
/// database: entries committed while it runs are not seen, nor are the
/// records they change.
#[async_trait]
pub trait Snapshot: Send {
    /// The head the writers recorded: (sequence, hash).
    async fn head(&mut self) -> Result<(u64, String), StoreError>;
    /// Entries after `after`, in sequence order, at most `limit`.
    async fn journal(&mut self, after: u64, limit: u32) -> Result<Vec<JournalEntry>, StoreError>;
    /// The entries with these sequence numbers (at most [`ENTRIES_PER_QUERY`]), in sequence order.
    async fn entries(&mut self, seqs: &[u64]) -> Result<Vec<JournalEntry>, StoreError>;
    /// Stored records of `kind` with a key after `after`, in key order, at most `limit`.
    async fn rows(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredRow>, StoreError>;
}

/// What is wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// These fields, or columns, differ from what the journal says.
    Differs(Vec<Difference>),
    /// The journal created it (at this entry); the store does not hold it.
    Missing { created: u64 },
    /// The store holds it; no journal entry created it.
    Unjournaled,
    /// The journal removed it (at this entry, e.g. a revoked token); the store still holds it.
    Removed { at: u64 },
    /// The stored document cannot be read as a record.
    Unreadable(String),
    /// Its journal entries do not replay into a record.
    Unreplayable(String),
}

/// A record that does not agree with the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The record's name: `INC-2026-0001`, `user:alice`, `token:tok_…`.
    pub record: String,
    pub problem: Problem,
}

impl fmt::Display for Finding {
    /// One line. Names and values come from the database, where anyone
    /// could have written anything: control characters are escaped, so a
    /// forged value cannot start a line of its own or drive the terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = Line(self).to_string();
        for c in line.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// A finding, before escaping.
struct Line<'a>(&'a Finding);

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DIFFERS {}: ", self.0.record)?;
        match &self.0.problem {
            Problem::Differs(diffs) => {
                for (i, d) in diffs.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
            Problem::Missing { created } => write!(
                f,
                "not in the store, though the journal created it at sequence {created} (deleted behind the journal's back)"
            ),
            Problem::Unjournaled => f.write_str(
                "stored, but no journal entry created it (inserted behind the journal's back)",
            ),
            Problem::Removed { at } => write!(
                f,
                "stored, though the journal removed it at sequence {at} (put back behind the journal's back)"
            ),
            Problem::Unreadable(why) => write!(f, "the stored record cannot be read: {why}"),
            Problem::Unreplayable(why) => {
                write!(f, "its journal entries cannot be replayed: {why}")
            }
        }
    }
}

/// The result of the records check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsCheck {
    /// The hash chain, checked on the same read.
    pub chain: Verification,
    /// Stored records compared, by kind; empty when the chain is broken
    /// (records are then not checked against it).
    pub checked: Vec<(RecordKind, u64)>,
    /// Every record that differs, in the order found (kind, then key).
    pub findings: Vec<Finding>,
}

impl RecordsCheck {
    /// The chain holds and every record agrees with it.
    pub fn agrees(&self) -> bool {
        matches!(self.chain, Verification::Intact { .. }) && self.findings.is_empty()
    }
}

impl fmt::Display for RecordsCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.chain)?;
        if !matches!(self.chain, Verification::Intact { .. }) {
            return write!(f, "records not checked: the journal itself is broken");
        }
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        let total: u64 = self.checked.iter().map(|(_, n)| n).sum();
        if self.findings.is_empty() {
            let kinds: Vec<String> = self
                .checked
                .iter()
                .map(|(kind, n)| kind.counted(*n))
                .collect();
            write!(
                f,
                "OK {total} records agree with the journal ({})",
                kinds.join(", ")
            )
        } else {
            write!(
                f,
                "BROKEN {} of the records differ from the journal ({total} stored records compared)",
                self.findings.len()
            )
        }
    }
}

/// Which entries concern which record.
#[derive(Debug, Default)]
struct Index {
    seqs: HashMap<RecordKey, Vec<u64>>,
}

impl Index {
    fn note(&mut self, entry: &JournalEntry) {
        for key in replay::targets(entry) {
            self.seqs.entry(key).or_default().push(entry.seq);
        }
        // The events an incident takes in bring their assets: the incident's
        // replay needs the entry that reported each of them.
        if ActionKind::from_name(&entry.action) == Some(ActionKind::IncidentEventLinked)
            && let Some(incident) = RecordKey::of_entity(&entry.entity)
            && let Some(event) = replay::linked_event(entry)
        {
            let reported = self
                .seqs
                .get(&RecordKey::Event(event))
                .and_then(|s| s.first())
                .copied();
            if let (Some(reported), Some(seqs)) = (reported, self.seqs.get_mut(&incident)) {
                seqs.push(reported);
            }
        }
    }

    /// The entries of one record, in order, forgotten here.
    fn take(&mut self, key: &RecordKey) -> Vec<u64> {
        let mut seqs = self.seqs.remove(key).unwrap_or_default();
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }
}

/// Checks the chain and every record against it, in one consistent read.
pub async fn check(snap: &mut dyn Snapshot) -> Result<RecordsCheck, StoreError> {
    let head = snap.head().await?;
    let mut verifier = Verifier::default();
    let mut index = Index::default();
    let mut after = 0;
    loop {
        let page = snap.journal(after, JOURNAL_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            if let Err(broken) = verifier.check(entry) {
                return Ok(RecordsCheck {
                    chain: broken,
                    checked: vec![],
                    findings: vec![],
                });
            }
            index.note(entry);
        }
    }
    let chain = verifier.finish(head);
    if !matches!(chain, Verification::Intact { .. }) {
        return Ok(RecordsCheck {
            chain,
            checked: vec![],
            findings: vec![],
        });
    }

    let mut findings = Vec::new();
    let mut checked = Vec::with_capacity(RecordKind::ALL.len());
    for kind in RecordKind::ALL {
        let mut count = 0u64;
        let mut after: Option<String> = None;
        loop {
            let rows = snap.rows(kind, after.as_deref(), ROW_PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.key.clone());
            count += rows.len() as u64;
            let page: Vec<(StoredRow, Option<RecordKey>, Vec<u64>)> = rows
                .into_iter()
                .map(|row| {
                    let key = RecordKey::of_row(kind, &row.key);
                    let seqs = key.as_ref().map(|k| index.take(k)).unwrap_or_default();
                    (row, key, seqs)
                })
                .collect();
            let entries = fetch(snap, page.iter().flat_map(|p| p.2.iter().copied())).await?;
            for (row, key, seqs) in page {
                let name = key
                    .as_ref()
                    .map_or_else(|| row.key.clone(), ToString::to_string);
                let problem = match key {
                    Some(key) => {
                        let replayed = replay::replay(&key, &select(&entries, &seqs));
                        compare::stored(replayed, row)
                    }
                    None => Some(Problem::Unjournaled),
                };
                if let Some(problem) = problem {
                    findings.push(Finding {
                        record: name,
                        problem,
                    });
                }
            }
        }
        checked.push((kind, count));
    }

    // What the journal holds that the store does not.
    let mut left: Vec<(RecordKey, Vec<u64>)> = std::mem::take(&mut index.seqs)
        .into_iter()
        .map(|(key, mut seqs)| {
            seqs.sort_unstable();
            seqs.dedup();
            (key, seqs)
        })
        .collect();
    left.sort_by(|a, b| {
        let rank = |k: &RecordKey| RecordKind::ALL.iter().position(|x| *x == k.kind());
        rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0))
    });
    for chunk in left.chunks(ROW_PAGE as usize) {
        let entries = fetch(snap, chunk.iter().flat_map(|c| c.1.iter().copied())).await?;
        for (key, seqs) in chunk {
            let problem = match replay::replay(key, &select(&entries, seqs)) {
                Ok(replay::Expected::Present { created, .. }) => Some(Problem::Missing { created }),
                Ok(replay::Expected::Absent { .. }) => None,
                Err(why) => Some(Problem::Unreplayable(why)),
            };
            if let Some(problem) = problem {
                findings.push(Finding {
                    record: key.to_string(),
                    problem,
                });
            }
        }
    }
    Ok(RecordsCheck {
        chain,
        checked,
        findings,
    })
}

/// The entries with these sequence numbers, by number.
async fn fetch(
    snap: &mut dyn Snapshot,
    seqs: impl Iterator<Item = u64>,
) -> Result<HashMap<u64, JournalEntry>, StoreError> {
    let mut wanted: Vec<u64> = seqs.collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(ENTRIES_PER_QUERY) {
        for entry in snap.entries(chunk).await? {
            out.insert(entry.seq, entry);
        }
    }
    Ok(out)
}

/// One record's entries, in order. An entry the read did not return is
/// left out; the chain check has shown every entry is in place.
fn select<'a>(entries: &'a HashMap<u64, JournalEntry>, seqs: &[u64]) -> Vec<&'a JournalEntry> {
    seqs.iter().filter_map(|s| entries.get(s)).collect()
}

#[cfg(test)]
pub(crate) mod tests;
