//! Rampart's application layer: every command and query, whatever the
//! interface (the API, the web UI, the syslog receiver, the command line).
//! Each method checks the role table, then runs one unit of work that commits
//! the state change and its journal entry together, or changes nothing.
//!
//! [`App`] is split by capability, one module each: `records` (events and
//! incidents) and [`vulnerabilities`]; [`people`] (sign-in, sessions, second
//! factors; users and tokens); [`evidence`] (vault, custody, integrity,
//! retention, bundles) and `checkpoints` (signed journal heads, the journal
//! export); [`journal`] (browsing it, its integrity at a glance, the check of
//! the whole chain); [`intake`]; [`jobs`]; `live` (changes announced to live
//! pages); [`visibility`] (need-to-know) and [`readiness`]. Nothing here
//! knows HTTP: the interfaces map [`AppError::kind`] to their own answers.

pub mod auth;
mod cache;
mod checkpoints;
pub mod communications;
pub mod contacts;
pub mod documents;
mod error;
pub mod evidence;
pub mod exercises;
pub mod figures;
pub mod improvements;
pub mod intake;
pub mod jobs;
pub mod journal;
pub mod limits;
pub mod metrics;

mod live;
mod merge;
pub mod notify;
pub mod observables;
pub mod people;
pub mod playbooks;
pub mod readiness;
mod records;
pub mod regulatory;
pub mod reports;
pub mod scale;
pub mod targets;
pub mod teams;
#[cfg(test)]
mod testing;
pub mod timeline;
pub mod triage;
mod unit;
pub mod visibility;
pub mod vulnerabilities;

pub use error::{AppError, ErrorKind};
pub use live::Change;
/// The read models and queries the application answers with, as the store
/// defines them; the interfaces need no store of their own.
pub use rampart_store::{
    ApiToken, Credentials, DeadLetter, EventQuery, EventSort, EventStage, ExerciseScope,
    ImprovementQuery, IncidentQuery, IncidentSort, Job, JobState, JournalEntry, JournalQuery,
    JournalSearch, MAX_PAGE, Page, Session, SessionStage, User, Verification, VulnerabilityQuery,
};

use std::sync::Arc;

use rampart_domain::{Clock, DomainError};
use rampart_store::{Store, UnitOfWork};
use serde::Serialize;

use serde_json::Value;

use crate::live::Announced;
use crate::people::users::TokenCache;

/// The journal's actor for an anonymous report.
pub const ANONYMOUS: &str = "anonymous";

/// Names Rampart itself acts under; no user may take them.
pub const RESERVED_NAMES: [&str; 4] = [ANONYMOUS, "public", "system", crate::intake::SYSLOG_ACTOR];

/// Every command and query of Rampart.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: crate::people::AuthSettings,
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Journal sequence numbers already announced on this node.
    announced: Arc<Announced>,
    pub(crate) vault: Option<Arc<crate::evidence::Vault>>,
    pub(crate) intake: crate::intake::IntakeSettings,
    pub(crate) rules: Arc<crate::cache::Cached<rampart_domain::RuleSet>>,
    pub(crate) targets: Arc<crate::cache::Cached<rampart_domain::ResponseTargets>>,
    pub(crate) scale: Arc<crate::cache::Cached<rampart_domain::ClassificationScale>>,
    pub(crate) running: Arc<crate::cache::Cached<Vec<rampart_domain::Exercise>>>,
    pub(crate) regulatory: Arc<crate::cache::Cached<rampart_domain::regulatory::RegulatoryRules>>,
    pub(crate) syslog_counters: Arc<crate::intake::SyslogCounters>,
    tokens: Arc<TokenCache>,
    /// This process among the nodes, as it claims background jobs.
    pub(crate) node: Arc<str>,
    /// One job runner at a time on this node.
    pub(crate) job_runner: Arc<tokio::sync::Mutex<()>>,
    /// How long this node holds a job it claimed.
    pub(crate) job_lease: std::time::Duration,
    /// Set when the server stops: live streams end, so a graceful shutdown
    /// does not wait for pages that would stay connected for ever.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Where readiness looks for room, and commits refused for lack of it.
    pub(crate) readiness: Arc<crate::readiness::Readiness>,
    /// How e-mail goes out; none: notifications stay in the app.
    pub(crate) mail: Option<Arc<crate::notify::MailSettings>>,
    /// How webhooks are posted; none: they are not.
    pub(crate) poster: Option<Arc<dyn crate::notify::Poster>>,
    /// Where people reach the web UI, for links sent out (no trailing slash).
    pub(crate) public_url: Arc<str>,
}

/// A name for this process among the nodes: host, process and start time.
fn node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    let started = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{host}:{}:{:x}",
        std::process::id(),
        started % 0x1_0000_0000
    )
}

pub(crate) fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub(crate) fn not_found(what: impl std::fmt::Display) -> AppError {
    DomainError::NotFound(what.to_string()).into()
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self::with_settings(store, clock, crate::people::AuthSettings::default())
    }

    pub fn with_settings(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: crate::people::AuthSettings,
    ) -> Self {
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        Self {
            store,
            clock,
            settings,
            changes,
            announced: Arc::default(),
            vault: None,
            intake: crate::intake::IntakeSettings::default(),
            rules: Arc::default(),
            targets: Arc::default(),
            scale: Arc::default(),
            running: Arc::default(),
            regulatory: Arc::default(),
            syslog_counters: Arc::default(),
            tokens: Arc::default(),
            node: node_name().into(),
            job_runner: Arc::default(),
            job_lease: crate::jobs::LEASE,
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            readiness: Arc::default(),
            mail: None,
            poster: None,
            public_url: "http://127.0.0.1:8080".into(),
        }
    }

    /// The same service linking to the web UI at `url` in what it sends out.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').into();
        self
    }

    /// The same service sending notifications by e-mail too.
    pub fn with_mail(mut self, mail: crate::notify::MailSettings) -> Self {
        self.mail = Some(Arc::new(mail));
        self
    }

    /// The same service with these intake settings.
    pub fn with_intake(mut self, intake: crate::intake::IntakeSettings) -> Self {
        self.intake = intake;
        self
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Runs a unit of work, announces what it changed and returns its
    /// decision's result. Every command's change passes here.
    pub(crate) async fn run<T>(&self, unit: unit::Typed<T>) -> Result<T, AppError> {
        let (unit, output) = unit.into_parts();
        self.commit(unit).await?;
        // Who is told is worked out before the answer, so the bell is
        // current when the page that made the change comes back; e-mail
        // goes out in the background.
        let notices = output.notices();
        if !notices.is_empty() {
            self.run_jobs_now(&notices).await;
        }
        output
            .take()
            .ok_or_else(|| AppError::Internal("a committed unit left no result".into()))
    }

    /// Commits a unit; then the readiness bookkeeping, the checkpoint
    /// trigger and the live announcement (which empties the token cache
    /// when users or tokens changed).
    async fn commit(&self, unit: UnitOfWork) -> Result<(), AppError> {
        let committed = self.store.execute(unit).await;
        self.readiness.note(&committed);
        let committed = committed?;
        if let Some(last) = committed.journal.last() {
            self.checkpoint_when_due(last.seq);
        }
        for entry in &committed.journal {
            self.announce(entry.seq, &entry.entity, &entry.action);
        }
        Ok(())
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
