//! Rampart's storage port.
//!
//! - [`Store`]: what the application layer needs from storage. Every change is
//!   a [`UnitOfWork`] that commits its state change and its journal entries in
//!   one transaction, or changes nothing.
//! - [`sql`]: the engine both SQL backends share (group commit, row mapping,
//!   queries); a backend only supplies connections and its dialect.
//! - [`journal`]: the hash chain and its verification.
//! - [`records`]: the records check, which replays the journal and compares
//!   every stored record with the state it gives.
//! - `conformance` (feature): the suite every backend must pass.

pub mod checkpoint;
mod error;
pub mod export;
pub mod journal;
mod model;
pub mod records;
pub mod sql;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::StoreError;
pub use journal::{JournalEntry, JournalQuery, JournalSearch, Verification};
pub use model::{
    ApiToken, Checkpoint, Committed, Context, CorrelationQuery, Counts, Credentials, DeadLetter,
    Decision, Entity, EntityRef, EventQuery, EventSort, EventStage, EvidenceQuery, ExerciseScope,
    FiguresQuery, Gauges, ImprovementQuery, IncidentQuery, IncidentSort, Job, JobDraft, JobState,
    JournalDraft, MAX_EVIDENCE, MAX_PAGE, Page, Session, SessionStage, Throttle, UnitOfWork, User,
    VulnerabilityQuery, Write,
};

use async_trait::async_trait;
use rampart_domain::ResponseTargets;
use rampart_domain::figures::Tallies;
use rampart_domain::{
    Document, Event, EvidenceItem, InboxItem, Incident, Timestamp, Vulnerability, Webhook,
};

/// The storage port. Implementations: `rampart-store-sqlite`, `rampart-store-pg`.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Runs one unit of work in a transaction together with its journal
    /// entries. Concurrent units may share a commit; each is acknowledged only
    /// after that commit is durable. A unit that fails changes nothing.
    async fn execute(&self, unit: UnitOfWork) -> Result<Committed, StoreError>;

    /// Reads one record.
    async fn get(&self, entity: &EntityRef) -> Result<Option<Entity>, StoreError>;

    /// Events, newest first.
    async fn list_events(&self, query: &EventQuery) -> Result<Page<Event>, StoreError>;

    /// Incidents in priority order (severity, then effort, then age).
    async fn list_incidents(&self, query: &IncidentQuery) -> Result<Page<Incident>, StoreError>;

    /// Vulnerabilities, newest first.
    async fn list_vulnerabilities(
        &self,
        query: &VulnerabilityQuery,
    ) -> Result<Page<Vulnerability>, StoreError>;

    /// Notes that the API token with this hash was used at `at` (usage, not
    /// journaled).
    async fn note_token_used(&self, token_hash: &str, at: Timestamp) -> Result<(), StoreError>;

    /// The API token with this SHA-256 hash (hex), and the user owning it.
    async fn token_owner(&self, token_hash: &str) -> Result<Option<(User, ApiToken)>, StoreError>;

    /// Number of users (first start creates the admin when zero).
    async fn user_count(&self) -> Result<u64, StoreError>;

    /// Every user, by name.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;

    /// API tokens, oldest first; of one user when given.
    async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>, StoreError>;

    /// Incident and event counts for the dashboard; incidents only those `viewer` may see.
    async fn counts(&self, viewer: &str) -> Result<Counts, StoreError>;

    /// The tallies the scheme's figures of the months `query` names are
    /// folded from, every incident counted (restricted ones too: figures
    /// name none); response-time compliance against `targets`.
    async fn figure_tallies(
        &self,
        query: &FiguresQuery,
        targets: &ResponseTargets,
    ) -> Result<Tallies, StoreError>;

    /// The incidents of class III and IV, not exercises, that `viewer` may
    /// see and that became known in the months from `from` to `to`
    /// (`2026-03`, both included), in that order, at most `limit`; and
    /// whether there are more.
    async fn significant_incidents(
        &self,
        from: &str,
        to: &str,
        viewer: &str,
        limit: u32,
    ) -> Result<(Vec<Incident>, bool), StoreError>;

    /// Open incidents `viewer` may see with an open response action due
    /// before `now`, the most overdue first, at most `limit`; and whether
    /// there are more.
    async fn overdue_actions(
        &self,
        viewer: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<(Vec<Incident>, bool), StoreError>;

    /// How many written rows the text index does not hold yet: SQLite's
    /// writer indexes them between batches (searches read them meanwhile).
    async fn text_index_waiting(&self) -> Result<u64, StoreError> {
        Ok(0)
    }

    /// The incidents carrying the observable `key` (`type:value`) that
    /// `viewer` may see, newest first, and how many there are.
    async fn incidents_with_observable(
        &self,
        key: &str,
        viewer: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Page<Incident>, u64), StoreError>;

    /// The events carrying the observable `key`, newest first, and how many there are.
    async fn events_with_observable(
        &self,
        key: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Page<Event>, u64), StoreError>;

    /// Journal entries in sequence order.
    async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, StoreError>;

    /// Journal entries newest first, filtered (see [`JournalSearch`]).
    async fn journal_search(&self, query: &JournalSearch) -> Result<Vec<JournalEntry>, StoreError>;

    /// The head of the journal as recorded by the writers: (sequence, hash).
    async fn journal_head(&self) -> Result<(u64, String), StoreError>;

    /// Checks the journal's chain and that every record is what its journal
    /// entries say, in one consistent read (see [`records`]).
    async fn check_records(&self) -> Result<records::RecordsCheck, StoreError>;

    /// Whether the database takes reads only (a PostgreSQL standby, or a
    /// database set read-only): a node on it cannot take changes.
    async fn read_only(&self) -> Result<bool, StoreError>;

    /// Evidence items in the order they were recorded (at most [`MAX_EVIDENCE`]).
    async fn list_evidence(&self, query: &EvidenceQuery) -> Result<Vec<EvidenceItem>, StoreError>;

    /// Signed checkpoints after sequence `after`, in sequence order, at most `limit`.
    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<Checkpoint>, StoreError>;

    /// The checkpoint with the highest sequence number.
    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;

    /// Dead letters of machine intake, newest first, with an id cursor.
    async fn dead_letters(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<DeadLetter>, StoreError>;

    /// How many dead letters are kept.
    async fn dead_letter_count(&self) -> Result<u64, StoreError>;

    /// A person's notifications listed in the app, newest first (unread
    /// ones only when asked), with a cursor.
    async fn inbox(
        &self,
        user: &str,
        unread_only: bool,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<InboxItem>, StoreError>;

    /// How many of a person's listed notifications are unread.
    async fn unread(&self, user: &str) -> Result<u64, StoreError>;

    /// Every webhook subscription, by id (secrets included: never serve them).
    async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError>;

    /// Every document (without texts), by id; there are at most
    /// [`rampart_domain::document::MAX_DOCUMENTS`].
    async fn list_documents(&self) -> Result<Vec<Document>, StoreError>;

    /// Every team, by id; there are at most [`rampart_domain::team::MAX_TEAMS`].
    async fn list_teams(&self) -> Result<Vec<rampart_domain::Team>, StoreError>;

    /// The contact directory by id, of one category when given; there are
    /// at most [`rampart_domain::contact::MAX_CONTACTS`].
    async fn list_contacts(
        &self,
        category: Option<rampart_domain::ContactCategory>,
    ) -> Result<Vec<rampart_domain::Contact>, StoreError>;

    /// Every playbook, by id; there are at most
    /// [`rampart_domain::playbook::MAX_PLAYBOOKS`].
    async fn list_playbooks(&self) -> Result<Vec<rampart_domain::Playbook>, StoreError>;

    /// Every exercise, by id; there are at most
    /// [`rampart_domain::exercise::MAX_EXERCISES`].
    async fn list_exercises(&self) -> Result<Vec<rampart_domain::Exercise>, StoreError>;

    /// The incidents with a lessons-learned review that `viewer` may see,
    /// the latest review first, at most `limit` ([`MAX_PAGE`] at most).
    async fn list_reviewed(&self, viewer: &str, limit: u32) -> Result<Vec<Incident>, StoreError>;

    /// The incidents published on the MISP feed, newest first, at most
    /// `limit` ([`MAX_PAGE`] at most).
    async fn list_published(&self, limit: u32) -> Result<Vec<Incident>, StoreError>;

    /// What the metrics endpoint reports of the whole installation, read
    /// from indexes and kept tallies.
    async fn gauges(&self) -> Result<Gauges, StoreError>;

    /// The vulnerabilities with a lessons-learned review, the latest review
    /// first, at most `limit` ([`MAX_PAGE`] at most).
    async fn list_reviewed_vulnerabilities(
        &self,
        limit: u32,
    ) -> Result<Vec<Vulnerability>, StoreError>;

    /// Improvement actions, the soonest due first (none due last), at most
    /// `limit` ([`MAX_PAGE`] at most).
    async fn list_improvements(
        &self,
        query: &ImprovementQuery,
    ) -> Result<Vec<rampart_domain::ImprovementAction>, StoreError>;

    /// Enqueues a background job unless one with `key` exists (in any
    /// state); returns whether it was added.
    async fn enqueue_job(
        &self,
        kind: &str,
        key: &str,
        payload: &str,
        run_after: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Claims the job that is due first (queued and past `run_after`, or
    /// running past its lease) for `node` until `lease_until`. Nodes that
    /// claim at once get different jobs.
    async fn claim_job(
        &self,
        node: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Job>, StoreError>;

    /// Claims the job under `key` if it is due, as [`Store::claim_job`]
    /// would: the node that made a job may run it at once.
    async fn claim_job_by_key(
        &self,
        key: &str,
        node: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Job>, StoreError>;

    /// Marks a job `node` holds as done; false when it no longer holds it.
    async fn finish_job(&self, id: i64, node: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Records a failed attempt of a job `node` holds: queued again for
    /// `retry_at`, or dead without one; false when it no longer holds it.
    async fn fail_job(
        &self,
        id: i64,
        node: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Jobs newest first, of one state when given, older than the job
    /// `before` when given (at most `limit`, and at most one more than
    /// [`MAX_PAGE`]).
    async fn list_jobs(
        &self,
        state: Option<JobState>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError>;

    /// Queues a dead job again, its attempts counted afresh; false when it is not dead.
    async fn requeue_job(&self, id: i64, now: Timestamp) -> Result<bool, StoreError>;
}
