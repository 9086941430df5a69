//! The SQL engine both backends share. A backend supplies connections that
//! run parameterised SQL ([`SqlConn`]) and says which [`Dialect`] it speaks;
//! everything else — group commit, journal appends, number allocation, row
//! mapping, list queries — lives here once.
//!
//! Statements use `$1`-style placeholders, which SQLite and PostgreSQL both
//! accept; user input is always bound, never spliced into SQL text.
//!
//! This module holds the connection traits, the [`SqlStore`] and its
//! [`Store`] implementation, which hands each read to the module of its
//! aggregate: `commit` (group commit, number allocation), `rows` (row
//! mapping), `query` (WHERE clauses, cursors, pages), `events`, `incidents`,
//! `vulnerabilities`, `evidence`, `people`, `journal`, `jobs`, `intake`
//! (correlation, dead letters) and `records` (the records check).

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use rampart_domain::{
    Clock, Event, EvidenceItem, InboxItem, Incident, Lane, Timestamp, Vulnerability, Webhook,
};
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

use self::commit::writer;
use self::query::{Filter, paginate, parse_cursor};
use self::rows::load;
use crate::model::{
    ApiToken, Checkpoint, Counts, DeadLetter, EvidenceQuery, FiguresQuery, Job as BackgroundJob,
    JobState, User,
};
use crate::{
    Committed, Entity, EntityRef, EventQuery, IncidentQuery, JournalEntry, JournalQuery,
    JournalSearch, Page, Store, StoreError, UnitOfWork, VulnerabilityQuery,
};
use rampart_domain::ResponseTargets;
use rampart_domain::figures::Tallies;

mod ahead;
mod commit;
mod events;
mod evidence;
mod figures;
mod inbox;
mod incidents;
mod intake;
mod jobs;
mod journal;
mod observables;
mod people;
mod plans;
mod query;
mod records;
mod rows;
mod search;
mod unnest;
mod vulnerabilities;

pub use commit::{BATCH_UNITS, COMMIT_SECONDS};
pub use search::{INDEXED_TABLES, TEXT_INDEX_LOCK, index_fold};

/// Most units of work committed together in one transaction.
pub const MAX_BATCH: usize = 512;

/// The SQL spoken by a backend, where SQLite and PostgreSQL differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Opens a write transaction. SQLite takes the write lock at once so a
    /// second process waits (busy timeout) instead of failing on upgrade.
    fn begin(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }
}

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    Int(Option<i64>),
    Text(Option<String>),
}

impl SqlValue {
    fn text(s: impl Into<String>) -> Self {
        Self::Text(Some(s.into()))
    }

    fn int(i: impl Into<i64>) -> Self {
        Self::Int(Some(i.into()))
    }

    pub fn as_i64(&self) -> Option<i64> {
        if let Self::Int(i) = self { *i } else { None }
    }

    pub fn into_string(self) -> Option<String> {
        if let Self::Text(s) = self { s } else { None }
    }
}

/// The type of a result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Int,
    Text,
}

/// A database connection as the engine needs it.
pub trait SqlConn: Send {
    /// Runs a statement; returns the number of rows affected.
    fn execute(
        &mut self,
        sql: &str,
        params: &[SqlValue],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Runs a query; every row has one value per entry of `types`.
    fn fetch(
        &mut self,
        sql: &str,
        params: &[SqlValue],
        types: &[ColType],
    ) -> impl Future<Output = Result<Vec<Vec<SqlValue>>, StoreError>> + Send;
    /// Marks the connection unusable (its transaction state is unknown) so the pool drops it.
    fn discard(&mut self);
}

/// Runs the writer task on a thread of its own (`rampart-writer`), with a
/// runtime of its own: its work between statements does not wait behind
/// the requests' tasks, nor they behind it.
pub fn writer_thread(task: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) {
    let started = std::thread::Builder::new()
        .name("rampart-writer".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(task),
                Err(e) => tracing::error!(error = %e, "the writer cannot start"),
            }
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "the writer thread cannot start");
    }
}

/// Connections of one backend.
pub trait SqlBackend: Send + Sync + std::fmt::Debug + 'static {
    type Conn: SqlConn;
    /// The writer task's connection (may differ from the readers').
    type WriterConn: SqlConn;
    fn dialect(&self) -> Dialect;
    /// A connection for the writer task.
    fn writer(&self) -> impl Future<Output = Result<Self::WriterConn, StoreError>> + Send;
    /// A connection for reads.
    fn reader(&self) -> impl Future<Output = Result<Self::Conn, StoreError>> + Send;
    /// Starts the writer task. A backend may run it on a thread of its
    /// own ([`writer_thread`]).
    fn spawn_writer(&self, task: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::spawn(task);
    }
    /// Sends each requester of a committed batch its result, once the
    /// commit is durable. The default suits a backend whose `COMMIT`
    /// returns only when it is.
    fn deliver(&self, replies: Replies) {
        for (reply, result) in replies {
            // The requester may have gone away; its change is committed regardless.
            let _ = reply.send(result);
        }
    }
}

/// The requesters of a committed batch, each with its result.
pub type Replies = Vec<(
    oneshot::Sender<Result<Committed, StoreError>>,
    Result<Committed, StoreError>,
)>;

struct Job {
    unit: UnitOfWork,
    reply: oneshot::Sender<Result<Committed, StoreError>>,
}

/// A statement and the values bound to it.
pub type Statement = (String, Vec<SqlValue>);

/// A [`Store`] over any SQL backend, with one writer task doing group commit.
#[derive(Debug)]
pub struct SqlStore<B: SqlBackend> {
    backend: Arc<B>,
    jobs: mpsc::Sender<Job>,
    samples: search::Samples,
    /// Set while the writer leaves SQLite's text index alone (tests).
    text_index: Arc<search::TextIndexControl>,
    /// Statements read while a capture is on ([`SqlStore::capture_statements`]).
    captured: std::sync::Mutex<Option<Vec<Statement>>>,
}

impl<B: SqlBackend> SqlStore<B> {
    /// Starts the writer task; call from within a Tokio runtime.
    pub fn new(backend: B, clock: Arc<dyn Clock>) -> Self {
        let backend = Arc::new(backend);
        let (jobs, rx) = mpsc::channel(MAX_BATCH * 8);
        let text_index = Arc::new(search::TextIndexControl::default());
        backend.spawn_writer(Box::pin(writer(
            backend.clone(),
            clock,
            rx,
            text_index.clone(),
        )));
        Self {
            backend,
            jobs,
            samples: search::Samples::default(),
            text_index,
            captured: std::sync::Mutex::default(),
        }
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Runs raw SQL outside the engine. For tests that tamper with the
    /// database the way an intruder with file or superuser access could.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        self.execute_direct(sql, &[]).await
    }

    /// Runs one statement on its own, outside the writer's batches (jobs:
    /// short, and on PostgreSQL never behind the journal-head lock).
    async fn execute_direct(&self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        self.backend.reader().await?.execute(sql, params).await
    }

    /// A page of `table` newest first (by insertion order), with an `id` cursor.
    async fn newest_first<T: DeserializeOwned>(
        &self,
        table: &str,
        f: Filter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>, StoreError> {
        self.by_id(table, f, false, Cursor::Single, cursor, limit)
            .await
    }

    /// A page of `table` in the order rows were stored (`oldest`) or the
    /// reverse; the cursor is the last row's id, alone or (in a list that
    /// can also be ranked, so that its cursors have one shape) after a 0.
    async fn by_id<T: DeserializeOwned>(
        &self,
        table: &str,
        mut f: Filter,
        oldest: bool,
        shape: Cursor,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>, StoreError> {
        let (after, order) = if oldest { (">", "") } else { ("<", " DESC") };
        let parts = match shape {
            Cursor::Single => 1,
            Cursor::Pair => 2,
        };
        if let Some(c) = parse_cursor(cursor, parts)? {
            f.and(&format!("id {after} ?"), vec![SqlValue::int(c[parts - 1])]);
        }
        let sql = format!(
            "SELECT id, data FROM {table}{} ORDER BY {}{order}",
            f.sql(),
            f.order_key("id")
        );
        let sql = sql + &f.limit(limit);
        let rows = self
            .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
            .await?;
        paginate(rows, limit, |r| {
            let id = r[0].as_i64().unwrap_or(0);
            match shape {
                Cursor::Single => id.to_string(),
                Cursor::Pair => format!("0.{id}"),
            }
        })
    }

    /// A page of `table` ordered by the due time of the running response-time
    /// target, soonest first, then by id. Each lane is read in its own index
    /// order (key, start) and the lanes are merged, so the cost follows the
    /// page size, not the table. `filter` adds the list's other conditions
    /// and is applied to every lane.
    async fn by_due<T: DeserializeOwned>(
        &self,
        table: &str,
        filter: impl Fn(&mut Filter),
        lanes: &[Lane],
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>, StoreError> {
        let after = parse_cursor(cursor, 2)?;
        let mut f = Filter::default();
        let mut parts = Vec::with_capacity(lanes.len());
        for (i, lane) in lanes.iter().enumerate() {
            let mark = f.mark();
            filter(&mut f);
            f.lane(lane);
            if let Some(c) = &after {
                let from = c[0].saturating_sub(lane.offset_seconds);
                f.and(
                    "(target_from > ? OR (target_from = ? AND id > ?))",
                    vec![
                        SqlValue::int(from),
                        SqlValue::int(from),
                        SqlValue::int(c[1]),
                    ],
                );
            }
            let conditions = f.take_since(mark);
            f.params.push(SqlValue::int(lane.offset_seconds));
            let offset = f.params.len();
            let limit = f.limit(limit);
            let (from, id) = (f.order_key("target_from"), f.order_key("id"));
            parts.push(format!(
                "SELECT * FROM (SELECT target_from + ${offset} AS due, id, data FROM {table} \
                 WHERE {conditions} ORDER BY {from}, {id}{limit}) AS lane{i}"
            ));
        }
        if parts.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let sql = format!(
            "SELECT due, id, data FROM ({}) AS lanes ORDER BY due, id",
            parts.join(" UNION ALL ")
        );
        let sql = sql + &f.limit(limit);
        let rows = self
            .fetch(
                &sql,
                &f.params,
                &[ColType::Int, ColType::Int, ColType::Text],
            )
            .await?;
        paginate(rows, limit, pair_key)
    }

    /// A page of `table` ordered by the integer `column` (highest first when
    /// `descending`), then by id; the cursor holds both of the last row.
    async fn ranked<T: DeserializeOwned>(
        &self,
        table: &str,
        mut f: Filter,
        column: &str,
        descending: bool,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>, StoreError> {
        let (past, order) = if descending {
            ("<", " DESC")
        } else {
            (">", "")
        };
        if let Some(c) = parse_cursor(cursor, 2)? {
            f.and(
                &format!("({column} {past} ? OR ({column} = ? AND id > ?))"),
                vec![
                    SqlValue::int(c[0]),
                    SqlValue::int(c[0]),
                    SqlValue::int(c[1]),
                ],
            );
        }
        let sql = format!(
            "SELECT {column}, id, data FROM {table}{} ORDER BY {}{order}, {}",
            f.sql(),
            f.order_key(column),
            f.order_key("id")
        );
        let sql = sql + &f.limit(limit);
        let rows = self
            .fetch(
                &sql,
                &f.params,
                &[ColType::Int, ColType::Int, ColType::Text],
            )
            .await?;
        paginate(rows, limit, pair_key)
    }

    /// The number of rows of `table`.
    async fn count(&self, table: &str) -> Result<u64, StoreError> {
        let rows = self
            .fetch(
                &format!("SELECT COUNT(*) FROM {table}"),
                &[],
                &[ColType::Int],
            )
            .await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(SqlValue::as_i64)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0))
    }

    async fn fetch(
        &self,
        sql: &str,
        params: &[SqlValue],
        types: &[ColType],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        if let Ok(mut captured) = self.captured.lock()
            && let Some(statements) = captured.as_mut()
        {
            statements.push((sql.to_owned(), params.to_vec()));
        }
        self.backend.reader().await?.fetch(sql, params, types).await
    }
}

/// The text of a statement of one shape (what it does, on which table, for
/// how many rows or keys), built once and kept for the process's life: the
/// engine has a few dozen shapes, and building the text anew for every
/// statement cost more than running some of them.
fn statement(
    kind: &'static str,
    table: &'static str,
    size: usize,
    build: impl FnOnce() -> String,
) -> &'static str {
    type Texts = std::collections::HashMap<(&'static str, &'static str, usize), &'static str>;
    static TEXTS: std::sync::OnceLock<std::sync::Mutex<Texts>> = std::sync::OnceLock::new();
    let mut texts = TEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    texts
        .entry((kind, table, size))
        .or_insert_with(|| Box::leak(build().into_boxed_str()))
}

/// The shape of a list's cursors.
#[derive(Debug, Clone, Copy)]
enum Cursor {
    /// The last row's id.
    Single,
    /// Two numbers, as every cursor of a list that can be ranked.
    Pair,
}

#[async_trait]
impl<B: SqlBackend> Store for SqlStore<B> {
    async fn execute(&self, unit: UnitOfWork) -> Result<Committed, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { unit, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn get(&self, key: &EntityRef) -> Result<Option<Entity>, StoreError> {
        load(&mut self.backend.reader().await?, key).await
    }

    async fn list_events(&self, q: &EventQuery) -> Result<Page<Event>, StoreError> {
        events::list_events(self, q).await
    }

    async fn list_incidents(&self, q: &IncidentQuery) -> Result<Page<Incident>, StoreError> {
        incidents::list_incidents(self, q).await
    }

    async fn list_vulnerabilities(
        &self,
        q: &VulnerabilityQuery,
    ) -> Result<Page<Vulnerability>, StoreError> {
        vulnerabilities::list_vulnerabilities(self, q).await
    }

    async fn note_token_used(&self, token_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        people::note_token_used(self, token_hash, at).await
    }

    async fn token_owner(&self, token_hash: &str) -> Result<Option<(User, ApiToken)>, StoreError> {
        people::token_owner(self, token_hash).await
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        people::user_count(self).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        people::list_users(self).await
    }

    async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        people::list_tokens(self, user).await
    }

    async fn counts(&self, viewer: &str) -> Result<Counts, StoreError> {
        incidents::counts(self, Some(viewer)).await
    }

    async fn figure_tallies(
        &self,
        query: &FiguresQuery,
        targets: &ResponseTargets,
    ) -> Result<Tallies, StoreError> {
        figures::tallies(self, query, targets).await
    }

    async fn significant_incidents(
        &self,
        from: &str,
        to: &str,
        viewer: &str,
        limit: u32,
    ) -> Result<(Vec<Incident>, bool), StoreError> {
        figures::significant(self, from, to, viewer, limit).await
    }

    async fn overdue_actions(
        &self,
        viewer: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<(Vec<Incident>, bool), StoreError> {
        incidents::overdue_actions(self, viewer, now.as_offset().unix_timestamp(), limit).await
    }

    async fn text_index_waiting(&self) -> Result<u64, StoreError> {
        search::text_index_waiting(self).await
    }

    async fn incidents_with_observable(
        &self,
        key: &str,
        viewer: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Page<Incident>, u64), StoreError> {
        observables::incidents_with(self, key, viewer, cursor, limit).await
    }

    async fn events_with_observable(
        &self,
        key: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Page<Event>, u64), StoreError> {
        observables::events_with(self, key, cursor, limit).await
    }

    async fn journal(&self, q: &JournalQuery) -> Result<Vec<JournalEntry>, StoreError> {
        journal::journal(self, q).await
    }

    async fn journal_search(&self, q: &JournalSearch) -> Result<Vec<JournalEntry>, StoreError> {
        journal::search(self, q).await
    }

    async fn list_evidence(&self, q: &EvidenceQuery) -> Result<Vec<EvidenceItem>, StoreError> {
        evidence::list_evidence(self, q).await
    }

    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<Checkpoint>, StoreError> {
        journal::checkpoints(self, after, limit).await
    }

    async fn dead_letters(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<DeadLetter>, StoreError> {
        intake::dead_letters(self, cursor, limit).await
    }

    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        intake::dead_letter_count(self).await
    }

    async fn inbox(
        &self,
        user: &str,
        unread_only: bool,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<InboxItem>, StoreError> {
        inbox::inbox(self, user, unread_only, cursor, limit).await
    }

    async fn unread(&self, user: &str) -> Result<u64, StoreError> {
        inbox::unread(self, user).await
    }

    async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        inbox::webhooks(self).await
    }

    async fn list_documents(&self) -> Result<Vec<rampart_domain::Document>, StoreError> {
        inbox::scheme_documents(self).await
    }

    async fn list_teams(&self) -> Result<Vec<rampart_domain::Team>, StoreError> {
        inbox::teams(self).await
    }

    async fn list_contacts(
        &self,
        category: Option<rampart_domain::ContactCategory>,
    ) -> Result<Vec<rampart_domain::Contact>, StoreError> {
        inbox::contacts(self, category).await
    }

    async fn list_playbooks(&self) -> Result<Vec<rampart_domain::Playbook>, StoreError> {
        inbox::playbooks(self).await
    }

    async fn list_exercises(&self) -> Result<Vec<rampart_domain::Exercise>, StoreError> {
        inbox::exercises(self).await
    }

    async fn list_reviewed(&self, viewer: &str, limit: u32) -> Result<Vec<Incident>, StoreError> {
        incidents::reviewed(self, viewer, limit).await
    }

    async fn gauges(&self) -> Result<crate::Gauges, StoreError> {
        let counts = incidents::counts(self, None).await?;
        let mut open_incidents: Vec<(String, u64)> = Vec::new();
        for (status, class, n) in counts.incidents {
            let open = rampart_domain::IncidentStatus::parse(&status).is_ok_and(|s| s.is_open());
            if !open {
                continue;
            }
            match open_incidents.iter_mut().find(|(c, _)| *c == class) {
                Some((_, total)) => *total += n,
                None => open_incidents.push((class, n)),
            }
        }
        let (journal_entries, _) = self.journal_head().await?;
        Ok(crate::Gauges {
            jobs: jobs::job_counts(self).await?,
            open_incidents,
            journal_entries,
            last_checkpoint: self.last_checkpoint().await?.map(|c| c.at),
            dead_letters: self.dead_letter_count().await?,
        })
    }

    async fn list_published(&self, limit: u32) -> Result<Vec<Incident>, StoreError> {
        incidents::published(self, limit).await
    }

    async fn list_reviewed_vulnerabilities(
        &self,
        limit: u32,
    ) -> Result<Vec<Vulnerability>, StoreError> {
        vulnerabilities::reviewed(self, limit).await
    }

    async fn list_improvements(
        &self,
        query: &crate::ImprovementQuery,
    ) -> Result<Vec<rampart_domain::ImprovementAction>, StoreError> {
        inbox::improvements(self, query).await
    }

    async fn read_only(&self) -> Result<bool, StoreError> {
        let sql = match self.backend.dialect() {
            // On a standby every transaction is read-only.
            Dialect::Postgres => {
                "SELECT CASE WHEN current_setting('transaction_read_only') = 'on' THEN 1 ELSE 0 END::bigint"
            }
            Dialect::Sqlite => "PRAGMA query_only",
        };
        let rows = self.fetch(sql, &[], &[ColType::Int]).await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(SqlValue::as_i64)
            .is_some_and(|v| v != 0))
    }

    async fn enqueue_job(
        &self,
        kind: &str,
        key: &str,
        payload: &str,
        run_after: Timestamp,
    ) -> Result<bool, StoreError> {
        jobs::enqueue_job(self, kind, key, payload, run_after).await
    }

    async fn claim_job(
        &self,
        node: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<BackgroundJob>, StoreError> {
        jobs::claim_job(self, node, now, lease_until, None).await
    }

    async fn claim_job_by_key(
        &self,
        key: &str,
        node: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<BackgroundJob>, StoreError> {
        jobs::claim_job(self, node, now, lease_until, Some(key)).await
    }

    async fn finish_job(&self, id: i64, node: &str, now: Timestamp) -> Result<bool, StoreError> {
        jobs::finish_job(self, id, node, now).await
    }

    async fn fail_job(
        &self,
        id: i64,
        node: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        jobs::fail_job(self, id, node, error, retry_at, now).await
    }

    async fn list_jobs(
        &self,
        state: Option<JobState>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<BackgroundJob>, StoreError> {
        jobs::list_jobs(self, state, before, limit).await
    }

    async fn requeue_job(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        jobs::requeue_job(self, id, now).await
    }

    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        journal::last_checkpoint(self).await
    }

    async fn check_records(&self) -> Result<crate::records::RecordsCheck, StoreError> {
        records::check(self.backend.as_ref()).await
    }

    async fn journal_head(&self) -> Result<(u64, String), StoreError> {
        journal::journal_head(self).await
    }
}

/// The cursor of a list ordered by a number, then by id: both, of the last row.
fn pair_key(row: &[SqlValue]) -> String {
    let at = |i: usize| row.get(i).and_then(SqlValue::as_i64).unwrap_or(0);
    format!("{}.{}", at(0), at(1))
}
