//! What goes into and comes out of the store.

use rampart_domain::{
    AlertSeverity, Category, CorrelationHit, Document, DocumentId, DocumentText, DomainError,
    Event, EventNumber, EventStatus, EvidenceItem, EvidenceNumber, InboxItem, Incident,
    IncidentNumber, IncidentStatus, JournalAction, Lane, NoticePreferences, NumberKind,
    ReporterKind, ResponseTargets, Role, RuleSet, SeverityClass, Team, TeamId, Timestamp,
    Vulnerability, VulnerabilityNumber, VulnerabilityStatus, Webhook, regulatory::RegulatoryRules,
};
use serde::{Deserialize, Serialize};

use crate::JournalEntry;

/// Largest page a list returns.
pub const MAX_PAGE: u32 = 500;

/// Most evidence items one list returns.
pub const MAX_EVIDENCE: u32 = 10_000;

/// A person or machine that signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub roles: Vec<Role>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub disabled: bool,
}

/// An API token; only the SHA-256 of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Public identifier (a prefix of the token), for listing and revocation.
    pub id: String,
    pub user: String,
    pub hash: String,
    pub created_at: Timestamp,
    pub created_by: String,
    /// What it is for, in a few words; empty for tokens made before names.
    #[serde(default)]
    pub name: String,
    /// What it may be used for; `None` for tokens made before scopes, which
    /// act with every scope their owner's roles allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<rampart_domain::Scope>>,
    /// When it stops working; `None` for tokens made before expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When it was last used, to the minute: usage kept beside the record,
    /// never in it (nor in the journal); `None` when never.
    #[serde(skip)]
    pub last_used_at: Option<Timestamp>,
}

/// How a person proves who they are. Kept apart from [`User`] so that no
/// listing or journal payload of users can carry a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub user: String,
    /// argon2id PHC string; `None` until a password is set (token-only users).
    pub password_hash: Option<String>,
    pub password_changed_at: Option<Timestamp>,
    /// Base32 TOTP secret once the user has enrolled a second factor.
    pub totp_secret: Option<String>,
    /// The last TOTP time step accepted, so a code works only once.
    pub totp_last_step: Option<u64>,
    /// An admin requires this user to use a second factor.
    pub totp_required: bool,
}

impl Credentials {
    pub fn empty(user: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password_hash: None,
            password_changed_at: None,
            totp_secret: None,
            totp_last_step: None,
            totp_required: false,
        }
    }
}

/// How far a browser session has come through sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStage {
    /// The password was right; the second factor is still to come.
    AwaitingTotp,
    /// The password was right; an admin requires a second factor the user has not enrolled yet.
    MustEnrolTotp,
    /// Signed in.
    Active,
}

/// A browser session; the store knows it by the SHA-256 of its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id_hash: String,
    pub user: String,
    pub stage: SessionStage,
    /// The synchronizer token every state-changing form must carry.
    pub csrf: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
    /// When the session ends whatever happens (absolute expiry).
    pub absolute_expiry: Timestamp,
    /// When the session ends unless used again (idle expiry), never after `absolute_expiry`.
    pub expires_at: Timestamp,
    /// A TOTP secret offered during enrolment, kept until confirmed with a code.
    #[serde(default)]
    pub pending_totp: Option<String>,
    pub address: String,
}

/// Failed sign-ins for one account name or one source address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    /// `account:<name>` or `address:<ip>`.
    pub key: String,
    pub failures: u32,
    pub window_start: Timestamp,
    pub locked_until: Option<Timestamp>,
}

/// Any stored record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Entity {
    Event(Box<Event>),
    Incident(Box<Incident>),
    Vulnerability(Box<Vulnerability>),
    User(User),
    ApiToken(ApiToken),
    Credentials(Credentials),
    Session(Session),
    Throttle(Throttle),
    Evidence(Box<EvidenceItem>),
    Checkpoint(Checkpoint),
    /// The categorization rules of machine intake.
    Rules(RuleSet),
    /// One person's notification.
    Inbox(Box<InboxItem>),
    /// What one person chose to be told, and where.
    Preferences(NoticePreferences),
    /// A webhook subscription.
    Webhook(Box<Webhook>),
    /// The response-time targets.
    Targets(ResponseTargets),
    /// The classification scale with every version it has had.
    Scale(Box<rampart_domain::ClassificationScale>),
    /// The notification rules: regimes, their reports and deadlines, calendars.
    Regulatory(Box<RegulatoryRules>),
    /// A policy, plan, procedure or awareness document, without its texts.
    Document(Box<Document>),
    /// The Markdown text of one version of a document.
    DocumentText(Box<DocumentText>),
    /// A point-of-contact or ISIRT team, with its rota.
    Team(Box<Team>),
    /// An entry of the contact directory.
    Contact(Box<rampart_domain::Contact>),
    /// A playbook with its versions.
    Playbook(Box<rampart_domain::Playbook>),
    /// An exercise with its injects.
    Exercise(Box<rampart_domain::Exercise>),
    /// An improvement action from a lessons-learned review.
    Improvement(Box<rampart_domain::ImprovementAction>),
}

/// A machine message that could not be taken in, kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Assigned by the store; absent before it is written.
    #[serde(default)]
    pub id: Option<i64>,
    pub received_at: Timestamp,
    /// `syslog-udp`, `syslog-tcp`.
    pub transport: String,
    /// The sender's address.
    pub peer: String,
    pub reason: String,
    /// The message as received (invalid UTF-8 replaced), cut to the receiver's limit.
    pub raw: String,
}

/// A signed statement that the journal had this head at this time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: u64,
    /// The hash of entry `seq` (hex).
    pub hash: String,
    /// When it was signed, fixed-width RFC 3339.
    pub at: String,
    /// The Ed25519 public key that signed it (hex).
    pub key: String,
    /// Ed25519 signature (hex) over [`crate::checkpoint::message`].
    pub signature: String,
}

/// The key of a stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityRef {
    Event(EventNumber),
    Incident(IncidentNumber),
    Vulnerability(VulnerabilityNumber),
    User(String),
    /// By the token's SHA-256 (hex).
    ApiToken(String),
    /// By user name.
    Credentials(String),
    /// By the SHA-256 (hex) of the session id.
    Session(String),
    /// By throttle key.
    Throttle(String),
    Evidence(EvidenceNumber),
    /// By journal sequence number.
    Checkpoint(u64),
    /// The first event a sensor sent under this reference (deduplication).
    EventBySource {
        name: String,
        reference: String,
    },
    /// The categorization rules.
    Rules,
    /// A notification, by id (`<notice>.<user>`).
    Inbox(String),
    /// A person's notification preferences, by user name.
    Preferences(String),
    /// A webhook subscription, by id.
    Webhook(String),
    /// The response-time targets.
    Targets,
    /// The classification scale.
    Scale,
    /// The notification rules.
    Regulatory,
    /// A document, by id.
    Document(DocumentId),
    /// The text of one version of a document.
    DocumentText(DocumentId, u32),
    /// A team, by id.
    Team(TeamId),
    /// A contact, by id.
    Contact(rampart_domain::ContactId),
    /// A playbook, by id.
    Playbook(rampart_domain::PlaybookId),
    /// An exercise, by id.
    Exercise(rampart_domain::ExerciseId),
    /// An improvement action, by id (`INC-2026-0001.2`).
    Improvement(String),
}

impl Entity {
    pub fn key(&self) -> EntityRef {
        match self {
            Entity::Event(e) => EntityRef::Event(e.number),
            Entity::Incident(i) => EntityRef::Incident(i.number),
            Entity::Vulnerability(v) => EntityRef::Vulnerability(v.number),
            Entity::User(u) => EntityRef::User(u.name.clone()),
            Entity::ApiToken(t) => EntityRef::ApiToken(t.hash.clone()),
            Entity::Credentials(c) => EntityRef::Credentials(c.user.clone()),
            Entity::Session(s) => EntityRef::Session(s.id_hash.clone()),
            Entity::Throttle(t) => EntityRef::Throttle(t.key.clone()),
            Entity::Evidence(e) => EntityRef::Evidence(e.number),
            Entity::Checkpoint(c) => EntityRef::Checkpoint(c.seq),
            Entity::Rules(_) => EntityRef::Rules,
            Entity::Inbox(i) => EntityRef::Inbox(i.id.clone()),
            Entity::Preferences(p) => EntityRef::Preferences(p.user.clone()),
            Entity::Webhook(w) => EntityRef::Webhook(w.id.clone()),
            Entity::Targets(_) => EntityRef::Targets,
            Entity::Scale(_) => EntityRef::Scale,
            Entity::Regulatory(_) => EntityRef::Regulatory,
            Entity::Document(d) => EntityRef::Document(d.id.clone()),
            Entity::DocumentText(t) => EntityRef::DocumentText(t.document.clone(), t.version),
            Entity::Team(t) => EntityRef::Team(t.id.clone()),
            Entity::Contact(c) => EntityRef::Contact(c.id.clone()),
            Entity::Playbook(p) => EntityRef::Playbook(p.id.clone()),
            Entity::Exercise(x) => EntityRef::Exercise(x.id.clone()),
            Entity::Improvement(i) => EntityRef::Improvement(i.id.clone()),
        }
    }

    pub fn into_event(self) -> Option<Event> {
        if let Entity::Event(e) = self {
            Some(*e)
        } else {
            None
        }
    }

    pub fn into_incident(self) -> Option<Incident> {
        if let Entity::Incident(i) = self {
            Some(*i)
        } else {
            None
        }
    }

    pub fn into_vulnerability(self) -> Option<Vulnerability> {
        if let Entity::Vulnerability(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    pub fn into_user(self) -> Option<User> {
        if let Entity::User(u) = self {
            Some(u)
        } else {
            None
        }
    }

    pub fn into_credentials(self) -> Option<Credentials> {
        if let Entity::Credentials(c) = self {
            Some(c)
        } else {
            None
        }
    }

    pub fn into_session(self) -> Option<Session> {
        if let Entity::Session(s) = self {
            Some(s)
        } else {
            None
        }
    }

    pub fn into_evidence(self) -> Option<EvidenceItem> {
        if let Entity::Evidence(e) = self {
            Some(*e)
        } else {
            None
        }
    }

    pub fn into_throttle(self) -> Option<Throttle> {
        if let Entity::Throttle(t) = self {
            Some(t)
        } else {
            None
        }
    }
}

/// A change the store applies.
#[derive(Debug, Clone)]
pub enum Write {
    Insert(Entity),
    Update(Entity),
    /// Removes a session, a throttle record or an API token; other records are never deleted.
    Delete(EntityRef),
    /// Ends every session of a user (password change, disabling, sign-out everywhere).
    EndSessionsOf(String),
    /// Removes sessions that expired before this time.
    PurgeSessions(Timestamp),
    /// Keeps a message that could not be taken in.
    DeadLetter(DeadLetter),
    /// Queues a background job in the unit's transaction: it exists only if
    /// the unit commits, once under its key (an outbox).
    Enqueue(JobDraft),
}

/// A background job to queue with a unit of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDraft {
    pub kind: String,
    /// The job's identity: a second job under the same key is not queued.
    pub key: String,
    /// What the job needs, as JSON text.
    pub payload: String,
    /// Not run before this time.
    pub run_after: Timestamp,
}

/// A journal entry before the store gives it its sequence number, time and
/// hash. The action stays typed until the batch it commits in is sealed:
/// its payload is written out as canonical JSON then, off the unit's turn.
#[derive(Debug, Clone)]
pub struct JournalDraft {
    /// The record it happened to, e.g. `EVT-2026-000001` or `user:alice`.
    pub entity: String,
    /// What happened, with the change: the command, or the fields before and after.
    pub action: JournalAction,
}

impl JournalDraft {
    /// The entry recording `action` on `entity`.
    pub fn new(entity: impl ToString, action: JournalAction) -> Self {
        Self {
            entity: entity.to_string(),
            action,
        }
    }

    /// The action's name, e.g. `event.reported`.
    pub fn name(&self) -> &'static str {
        self.action.name()
    }
}

/// What a unit of work decided.
#[derive(Debug, Default)]
pub struct Decision {
    pub writes: Vec<Write>,
    pub journal: Vec<JournalDraft>,
    /// The unit did not use the numbers it was allocated (a repeated alert):
    /// they go back, so numbers stay gap-free. Its writes stay.
    pub release_numbers: bool,
}

/// What a unit of work is given to decide on, inside its transaction.
#[derive(Debug)]
pub struct Context {
    /// The records named in [`UnitOfWork::load`], in that order.
    pub loaded: Vec<Option<Entity>>,
    /// Numbers allocated for [`UnitOfWork::allocate`], in that order: (year, sequence).
    pub numbers: Vec<(u16, u32)>,
    /// The transaction's time.
    pub now: Timestamp,
    /// Stored events sharing a key of [`UnitOfWork::correlate`].
    pub correlated: Vec<CorrelationHit>,
}

impl Context {
    /// Takes the `i`th loaded record, or says which one is missing.
    pub fn take(&mut self, i: usize, what: impl FnOnce() -> String) -> Result<Entity, DomainError> {
        self.loaded
            .get_mut(i)
            .and_then(Option::take)
            .ok_or_else(|| DomainError::NotFound(what()))
    }

    pub fn event_number(&self, i: usize) -> Result<EventNumber, DomainError> {
        self.number(i, EventNumber::new)
    }

    pub fn incident_number(&self, i: usize) -> Result<IncidentNumber, DomainError> {
        self.number(i, IncidentNumber::new)
    }

    pub fn vulnerability_number(&self, i: usize) -> Result<VulnerabilityNumber, DomainError> {
        self.number(i, VulnerabilityNumber::new)
    }

    pub fn evidence_number(&self, i: usize) -> Result<EvidenceNumber, DomainError> {
        self.number(i, EvidenceNumber::new)
    }

    fn number<T>(
        &self,
        i: usize,
        make: fn(u16, u32) -> Result<T, String>,
    ) -> Result<T, DomainError> {
        let (year, seq) = self
            .numbers
            .get(i)
            .copied()
            .ok_or_else(|| DomainError::NotFound("allocated number".into()))?;
        make(year, seq).map_err(|m| DomainError::field("number", m))
    }
}

/// The decision function of a unit of work: pure, run inside the transaction.
pub type Decide = Box<dyn FnOnce(Context) -> Result<Decision, DomainError> + Send>;

/// One command: records to load, numbers to allocate, and a pure function
/// that decides the writes and journal entries from them.
pub struct UnitOfWork {
    pub actor: String,
    pub load: Vec<EntityRef>,
    pub allocate: Vec<NumberKind>,
    /// Correlation keys to look up among stored events, inside the transaction.
    pub correlate: Option<CorrelationQuery>,
    pub decide: Decide,
}

/// Which stored events to find for a new one: those with any of these keys
/// (see `rampart_domain::correlation_keys`) reported since a time.
#[derive(Debug, Clone)]
pub struct CorrelationQuery {
    pub keys: Vec<String>,
    pub since: Timestamp,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("actor", &self.actor)
            .field("load", &self.load)
            .field("allocate", &self.allocate)
            .field("correlate", &self.correlate)
            .finish_non_exhaustive()
    }
}

impl UnitOfWork {
    pub fn new(
        actor: impl Into<String>,
        load: Vec<EntityRef>,
        allocate: Vec<NumberKind>,
        decide: impl FnOnce(Context) -> Result<Decision, DomainError> + Send + 'static,
    ) -> Self {
        Self {
            actor: actor.into(),
            load,
            allocate,
            correlate: None,
            decide: Box::new(decide),
        }
    }

    /// Also looks up stored events sharing these keys (see [`Context::correlated`]).
    pub fn correlating(mut self, query: CorrelationQuery) -> Self {
        self.correlate = Some(query);
        self
    }
}

/// What a committed unit wrote.
#[derive(Debug, Clone)]
pub struct Committed {
    pub entities: Vec<Entity>,
    pub journal: Vec<JournalEntry>,
}

/// A page of results and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Event list filters.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub status: Option<EventStatus>,
    /// The queue (not yet assessed) or the past events (assessed to an end or linked).
    pub stage: Option<EventStage>,
    /// `person`, `sensor`, or a sensor's name.
    pub source: Option<String>,
    pub since: Option<Timestamp>,
    /// Reported before this time (older than an age).
    pub before: Option<Timestamp>,
    /// The sensor's severity.
    pub severity: Option<AlertSeverity>,
    /// The category the rules proposed.
    pub category: Option<Category>,
    /// Through which channel the event came.
    pub reporter: Option<ReporterKind>,
    pub text: Option<String>,
    /// Only events submitted by this account (reporters see their own).
    pub submitted_by: Option<String>,
    /// Only events whose running response-time target is in these lanes.
    pub lanes: Option<Vec<Lane>>,
    /// Real events, exercise events, or both.
    pub exercise: ExerciseScope,
    pub sort: EventSort,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Where an event stands for the lists of the triage work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStage {
    /// Reported or in triage: waiting for an assessment.
    Queue,
    /// False alarm, handled locally, not an incident, or linked to an incident.
    Past,
}

impl EventStage {
    /// The stage's name in the store (the `stage` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queue => "queue",
            Self::Past => "past",
        }
    }

    /// The store's name of the stage of an event in `status`.
    pub fn of(status: EventStatus) -> &'static str {
        match status {
            EventStatus::Reported | EventStatus::Triage => "queue",
            EventStatus::Escalated => "escalated",
            EventStatus::FalseAlarm
            | EventStatus::HandledLocally
            | EventStatus::NotIncident
            | EventStatus::Linked => "past",
        }
    }

    /// The statuses of the stage.
    pub fn statuses(self) -> &'static [EventStatus] {
        match self {
            Self::Queue => &[EventStatus::Reported, EventStatus::Triage],
            Self::Past => &[
                EventStatus::FalseAlarm,
                EventStatus::HandledLocally,
                EventStatus::NotIncident,
                EventStatus::Linked,
            ],
        }
    }
}

/// Orders of the event lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventSort {
    /// Most recently reported first.
    #[default]
    Newest,
    /// First reported first.
    Oldest,
    /// The sensor's severity, most severe first (unknown last), then oldest first.
    Severity,
    /// The running response-time target due soonest first (events with none
    /// left out); needs `lanes`.
    Due,
}

/// The rank of a sensor's severity in the store: 0 unknown, 1 info ... 5 critical.
pub fn severity_rank(s: Option<AlertSeverity>) -> i64 {
    s.map_or(0, |s| match s {
        AlertSeverity::Info => 1,
        AlertSeverity::Low => 2,
        AlertSeverity::Medium => 3,
        AlertSeverity::High => 4,
        AlertSeverity::Critical => 5,
    })
}

/// Incident list filters.
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    pub status: Option<IncidentStatus>,
    pub category: Option<Category>,
    pub class: Option<SeverityClass>,
    pub coordinator: Option<String>,
    pub text: Option<String>,
    /// Need-to-know: only incidents this user may see (unrestricted, or
    /// restricted to a list naming them). Always set for people and API callers.
    pub viewer: Option<String>,
    /// Only incidents whose running response-time target is in these lanes.
    pub lanes: Option<Vec<Lane>>,
    /// Only incidents with a notification regime found to apply.
    pub with_regimes: bool,
    /// Only open incidents (not closed or reviewed).
    pub open: bool,
    /// Real incidents, exercise incidents, or both.
    pub exercise: ExerciseScope,
    pub sort: IncidentSort,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Which records a register shows: exercise records are left out unless
/// asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ExerciseScope {
    /// Real records only.
    #[default]
    Real,
    /// Real and exercise records.
    All,
    /// The records of every exercise.
    Exercises,
    /// The records of one exercise.
    Of(rampart_domain::ExerciseId),
}

impl ExerciseScope {
    /// Reads a register's `exercise` parameter: `include`, `only` or an
    /// exercise's id; absent or empty: real records only.
    pub fn parse(text: Option<&str>) -> Result<Self, String> {
        match text.map(str::trim) {
            None | Some("") => Ok(Self::Real),
            Some("include") => Ok(Self::All),
            Some("only") => Ok(Self::Exercises),
            Some(id) => rampart_domain::ExerciseId::new(id)
                .map(Self::Of)
                .map_err(|_| format!("`{id}` is neither `include`, `only` nor an exercise's id")),
        }
    }

    /// The condition on the `exercise` column.
    pub(crate) fn condition(&self) -> Option<(&'static str, Option<String>)> {
        match self {
            Self::Real => Some(("exercise IS NULL", None)),
            Self::All => None,
            Self::Exercises => Some(("exercise IS NOT NULL", None)),
            Self::Of(id) => Some(("exercise = ?", Some(id.to_string()))),
        }
    }
}

/// The improvement actions' register filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImprovementQuery {
    /// One incident's or one vulnerability's.
    pub source: Option<rampart_domain::ReviewOf>,
    /// Only open or in progress.
    pub open: bool,
    /// Only those due before this time (open ones past due: overdue).
    pub due_before: Option<Timestamp>,
    pub owner: Option<String>,
    pub limit: u32,
}

/// The installation's state as the metrics endpoint reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Jobs queued, running and dead (finished ones are not counted).
    pub jobs: Vec<(JobState, u64)>,
    /// Open incidents by severity class, restricted ones too, exercises
    /// left out.
    pub open_incidents: Vec<(String, u64)>,
    /// The journal's length: its last sequence number.
    pub journal_entries: u64,
    /// When the last checkpoint was signed (RFC 3339), if ever.
    pub last_checkpoint: Option<String>,
    pub dead_letters: u64,
}

/// Orders of the incident register.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IncidentSort {
    /// Severity, then effort, then age: the order to work in.
    #[default]
    Priority,
    /// Most recently confirmed first.
    Newest,
    /// First confirmed first.
    Oldest,
    /// The running response-time target due soonest first (incidents with
    /// none left out); needs `lanes`.
    Due,
}

/// Which incidents and events the figures count: the months from `from`
/// to `to` (`2026-03`, both included), narrowed by class, category
/// and source (events by source only). Exercises are never counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FiguresQuery {
    pub from: String,
    pub to: String,
    pub class: Option<rampart_domain::SeverityClass>,
    pub category: Option<rampart_domain::Category>,
    pub source: Option<rampart_domain::SourceKind>,
}

/// Counts for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// (status, class, number) of the incidents the viewer may see.
    pub incidents: Vec<(String, String, u64)>,
    /// (status, number) of events.
    pub events: Vec<(String, u64)>,
}

/// Vulnerability list filters.
#[derive(Debug, Clone, Default)]
pub struct VulnerabilityQuery {
    pub status: Option<VulnerabilityStatus>,
    /// Only those this user reported.
    pub reported_by: Option<String>,
    /// Only those found during this incident.
    pub incident: Option<String>,
    pub text: Option<String>,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Evidence list filters.
#[derive(Debug, Clone, Default)]
pub struct EvidenceQuery {
    /// Items of this incident.
    pub incident: Option<IncidentNumber>,
    /// Items secured for this event (whether or not they followed it into an incident).
    pub event: Option<EventNumber>,
    /// Only items that belong to no incident yet (their event is in triage).
    pub in_triage_only: bool,
    /// Items whose content has this SHA-256.
    pub sha256: Option<String>,
    /// Leave out items whose content was disposed of.
    pub present_only: bool,
    /// Items to skip, in the order they were recorded (to read past [`MAX_EVIDENCE`]).
    pub offset: u32,
    /// Only the newest this many items, newest first (`offset` is then not used).
    pub newest: Option<u32>,
}

/// Where a background job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_after`, then for a node to claim it.
    Queued,
    /// Claimed by a node until `locked_until`; past that, another may claim it.
    Running,
    Done,
    /// Failed every attempt; waits for an admin.
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "done" => Ok(Self::Done),
            "dead" => Ok(Self::Dead),
            _ => Err(format!(
                "`{s}` is not a job state; use queued, running, done or dead"
            )),
        }
    }
}

/// A background job, run once by whichever node claims it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: i64,
    /// What to do, e.g. `checkpoint`.
    pub kind: String,
    /// Unique: enqueuing the same key again adds nothing.
    pub key: String,
    pub payload: String,
    pub state: JobState,
    /// Claims so far.
    pub attempts: u32,
    pub run_after: String,
    /// The node holding it, while running.
    pub locked_by: Option<String>,
    pub locked_until: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}
