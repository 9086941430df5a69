//! The SQL engine both backends share. A backend supplies connections that
//! run parameterised SQL ([`SqlConn`]) and says which [`Dialect`] it speaks;
//! everything else — group commit, journal appends, number allocation, row
//! mapping, list queries — lives here once.
//!
//! Statements use `$1`-style placeholders, which SQLite and PostgreSQL both
//! accept; user input is always bound, never spliced into SQL text.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_trait::async_trait;
use rampart_domain::{
    Clock, CorrelationHit, DomainError, Event, EventStatus, EvidenceItem, Incident, IncidentStatus,
    NumberKind, Timestamp, Vulnerability,
};
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

use crate::journal::{GENESIS, canonical_json};
use crate::model::{
    ApiToken, Checkpoint, Context, CorrelationQuery, Counts, DeadLetter, EvidenceQuery,
    IncidentSort, Job as BackgroundJob, JobState, User,
};
use crate::{
    Committed, Entity, EntityRef, EventQuery, IncidentQuery, JournalEntry, JournalQuery, MAX_PAGE,
    Page, Store, StoreError, UnitOfWork, VulnerabilityQuery, Write,
};

mod records;

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

    /// Locks the journal head row, which serialises writers across nodes.
    fn lock(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
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
    /// Starts the writer task. A backend whose writer connection blocks
    /// runs it on a thread of its own.
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

/// A [`Store`] over any SQL backend, with one writer task doing group commit.
#[derive(Debug)]
pub struct SqlStore<B: SqlBackend> {
    backend: Arc<B>,
    jobs: mpsc::Sender<Job>,
}

impl<B: SqlBackend> SqlStore<B> {
    /// Starts the writer task; call from within a Tokio runtime.
    pub fn new(backend: B, clock: Arc<dyn Clock>) -> Self {
        let backend = Arc::new(backend);
        let (jobs, rx) = mpsc::channel(MAX_BATCH * 8);
        backend.spawn_writer(Box::pin(writer(backend.clone(), clock, rx)));
        Self { backend, jobs }
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
        mut f: Filter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>, StoreError> {
        if let Some(c) = parse_cursor(cursor, 1)? {
            f.and("id < ?", vec![SqlValue::int(c[0])]);
        }
        let sql = format!("SELECT id, data FROM {table}{} ORDER BY id DESC", f.sql());
        let sql = sql + &f.limit(limit);
        let rows = self
            .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
            .await?;
        paginate(rows, limit, |r| r[0].as_i64().unwrap_or(0).to_string())
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
        self.backend.reader().await?.fetch(sql, params, types).await
    }
}

/// The journal's head: its last sequence number and hash.
pub(crate) const HEAD_QUERY: &str = "SELECT seq, hash FROM journal_head WHERE id = 1";
pub(crate) const HEAD_TYPES: [ColType; 2] = [ColType::Int, ColType::Text];

/// The head from the rows of [`HEAD_QUERY`]; an empty journal's is
/// `(0, GENESIS)`.
pub(crate) fn head_of(rows: Vec<Vec<SqlValue>>) -> (u64, String) {
    let mut row = rows.into_iter().next().unwrap_or_default().into_iter();
    let seq = row
        .next()
        .and_then(|v| v.as_i64())
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    let hash = row
        .next()
        .and_then(SqlValue::into_string)
        .unwrap_or_else(|| GENESIS.to_owned());
    (seq, hash)
}

/// A job's columns, in the order [`job`] reads them.
const JOB_COLUMNS: &str = "id, kind, key, payload, state, attempts, run_after, locked_by, \
     locked_until, last_error, created_at, finished_at";
const JOB_TYPES: [ColType; 12] = [
    ColType::Int,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Int,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
];

fn job(row: Vec<SqlValue>) -> Result<BackgroundJob, StoreError> {
    let corrupt = || StoreError::Corrupt("job row is incomplete".into());
    let [
        id,
        kind,
        key,
        payload,
        state,
        attempts,
        run_after,
        locked_by,
        locked_until,
        last_error,
        created_at,
        finished_at,
    ]: [SqlValue; 12] = row.try_into().map_err(|_| corrupt())?;
    let text = |v: SqlValue| v.into_string().ok_or_else(corrupt);
    Ok(BackgroundJob {
        id: id.as_i64().ok_or_else(corrupt)?,
        kind: text(kind)?,
        key: text(key)?,
        payload: text(payload)?,
        state: JobState::parse(&text(state)?).map_err(StoreError::Corrupt)?,
        attempts: attempts
            .as_i64()
            .and_then(|a| u32::try_from(a).ok())
            .ok_or_else(corrupt)?,
        run_after: text(run_after)?,
        locked_by: locked_by.into_string(),
        locked_until: locked_until.into_string(),
        last_error: last_error.into_string(),
        created_at: text(created_at)?,
        finished_at: finished_at.into_string(),
    })
}

async fn writer<B: SqlBackend>(
    backend: Arc<B>,
    clock: Arc<dyn Clock>,
    mut rx: mpsc::Receiver<Job>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (units, replies): (Vec<_>, Vec<_>) = jobs.drain(..).map(|j| (j.unit, j.reply)).unzip();
        let count = units.len();
        match commit_batch(&*backend, &*clock, units).await {
            Ok(results) => backend.deliver(replies.into_iter().zip(results).collect()),
            Err(e) => {
                tracing::error!(error = %e, units = count, "write batch failed; nothing in it was committed");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Database(e.to_string())));
                }
            }
        }
    }
}

/// Commits a batch in one transaction, each unit in its own savepoint so one
/// refusal does not undo its neighbours. Returns one result per unit.
async fn commit_batch<B: SqlBackend>(
    backend: &B,
    clock: &dyn Clock,
    units: Vec<UnitOfWork>,
) -> Result<Vec<Result<Committed, StoreError>>, StoreError> {
    let dialect = backend.dialect();
    let mut conn = backend.writer().await?;
    conn.execute(dialect.begin(), &[]).await?;
    if dialect == Dialect::Postgres {
        // Plan each statement for the tables as they are now. A generic plan
        // cached while a table was nearly empty (a new installation) keeps
        // scanning it whole long after it has grown.
        conn.execute("SET LOCAL plan_cache_mode = force_custom_plan", &[])
            .await?;
    }
    let outcome = run_units(&mut conn, dialect, clock, units).await;
    let finish = match &outcome {
        Ok(_) => conn.execute("COMMIT", &[]).await,
        Err(_) => conn.execute("ROLLBACK", &[]).await,
    };
    if let Err(e) = finish {
        let _ = conn.execute("ROLLBACK", &[]).await;
        conn.discard();
        return Err(e);
    }
    outcome
}

/// Number counters as the batch has moved them, by (kind prefix, year).
/// They are read once per batch and written back once, at its end: the
/// writer holds the write lock (SQLite) or the journal head row
/// (PostgreSQL), so no one else allocates meanwhile.
#[derive(Debug, Clone, Default)]
struct Counters {
    next: std::collections::BTreeMap<(&'static str, u16), i64>,
    changed: std::collections::BTreeSet<(&'static str, u16)>,
}

impl Counters {
    async fn allocate<C: SqlConn>(
        &mut self,
        conn: &mut C,
        kind: NumberKind,
        year: u16,
    ) -> Result<u32, StoreError> {
        let key = (kind.prefix(), year);
        let current = match self.next.get(&key) {
            Some(n) => *n,
            None => conn
                .fetch(
                    "SELECT next FROM counters WHERE kind = $1 AND year = $2",
                    &[SqlValue::text(key.0), SqlValue::int(year)],
                    &[ColType::Int],
                )
                .await?
                .first()
                .and_then(|r| r.first())
                .and_then(SqlValue::as_i64)
                .unwrap_or(0),
        };
        let number = current + 1;
        self.next.insert(key, number);
        self.changed.insert(key);
        u32::try_from(number)
            .map_err(|_| StoreError::Corrupt(format!("{} counter out of range", key.0)))
    }

    async fn write<C: SqlConn>(&self, conn: &mut C) -> Result<(), StoreError> {
        for key in &self.changed {
            let next = self.next.get(key).copied().unwrap_or(0);
            conn.execute(
                "INSERT INTO counters (kind, year, next) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind, year) DO UPDATE SET next = $3",
                &[
                    SqlValue::text(key.0),
                    SqlValue::int(key.1),
                    SqlValue::int(next),
                ],
            )
            .await?;
        }
        Ok(())
    }
}

/// What the batch has done so far that is written at its end.
struct Pending {
    head: (u64, String),
    counters: Counters,
    journal: Vec<JournalEntry>,
    /// Correlation keys of the events the batch has stored, written to
    /// `event_observables` at its end and meanwhile matched in memory.
    keys: BatchKeys,
}

/// One correlation key of an event stored in the running batch.
struct KeyRow {
    event: String,
    key: String,
    reported_at: String,
    status: EventStatus,
    incident: Option<String>,
}

/// The running batch's key rows, in order, found by key.
#[derive(Default)]
struct BatchKeys {
    rows: Vec<KeyRow>,
    by_key: std::collections::HashMap<String, Vec<usize>>,
}

impl BatchKeys {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn push(&mut self, row: KeyRow) {
        let at = self.rows.len();
        self.by_key.entry(row.key.clone()).or_default().push(at);
        self.rows.push(row);
    }

    /// Forgets the rows from `len` on (a refused unit's).
    fn truncate(&mut self, len: usize) {
        while self.rows.len() > len {
            let Some(row) = self.rows.pop() else { break };
            let at = self.rows.len();
            if let Some(list) = self.by_key.get_mut(&row.key) {
                list.retain(|i| *i != at);
                if list.is_empty() {
                    self.by_key.remove(&row.key);
                }
            }
        }
    }

    /// The rows of `key`, newest first.
    fn of_key(&self, key: &str) -> impl Iterator<Item = &KeyRow> {
        self.by_key
            .get(key)
            .into_iter()
            .flat_map(|list| list.iter().rev().map(|i| &self.rows[*i]))
    }
}

impl Pending {
    /// Takes note of the events a unit wrote: the keys of new ones, the
    /// status and incident of those already noted.
    fn note_events(&mut self, entities: &[Entity], inserted: &[usize]) {
        for (i, entity) in entities.iter().enumerate() {
            let Entity::Event(event) = entity else {
                continue;
            };
            let number = event.number.to_string();
            let incident = event.incident.map(|n| n.to_string());
            if inserted.contains(&i) {
                let reported_at = event.reported_at.to_rfc3339();
                for key in rampart_domain::correlation_keys(event) {
                    self.keys.push(KeyRow {
                        event: number.clone(),
                        key,
                        reported_at: reported_at.clone(),
                        status: event.status,
                        incident: incident.clone(),
                    });
                }
            } else {
                // An event of this batch changed again (rare): its rows follow.
                for row in self.keys.rows.iter_mut().filter(|r| r.event == number) {
                    row.status = event.status;
                    row.incident.clone_from(&incident);
                }
            }
        }
    }
}

async fn run_units<C: SqlConn>(
    conn: &mut C,
    dialect: Dialect,
    clock: &dyn Clock,
    units: Vec<UnitOfWork>,
) -> Result<Vec<Result<Committed, StoreError>>, StoreError> {
    let sql = format!(
        "SELECT seq, hash FROM journal_head WHERE id = 1{}",
        dialect.lock()
    );
    let row = conn
        .fetch(&sql, &[], &[ColType::Int, ColType::Text])
        .await?;
    let head = match row
        .into_iter()
        .next()
        .map(|r| r.into_iter().collect::<Vec<_>>())
        .as_deref()
    {
        Some([SqlValue::Int(Some(seq)), SqlValue::Text(Some(hash))]) => {
            (u64::try_from(*seq).unwrap_or(0), hash.clone())
        }
        _ => return Err(StoreError::Corrupt("journal_head row is missing".into())),
    };
    let start = head.clone();
    let mut pending = Pending {
        head,
        counters: Counters::default(),
        journal: Vec::new(),
        keys: BatchKeys::default(),
    };
    let mut results = Vec::with_capacity(units.len());
    for unit in units {
        let before = (
            pending.head.clone(),
            pending.counters.clone(),
            pending.journal.len(),
            pending.keys.len(),
        );
        let outcome = run_unit(conn, dialect, clock, unit, &mut pending).await;
        match outcome {
            Ok((done, release)) => {
                if release {
                    // A repeated alert: its numbers go back, its writes stay.
                    pending.counters = before.1;
                }
                results.push(Ok(done));
            }
            // A failure that may have left the transaction unusable fails the batch.
            Err(UnitError::Fatal(e)) => return Err(e),
            Err(UnitError::Refused(e)) => {
                // Nothing of the unit survives: its numbers, journal entries and keys go back.
                pending.head = before.0;
                pending.counters = before.1;
                pending.journal.truncate(before.2);
                pending.keys.truncate(before.3);
                results.push(Err(e));
            }
        }
    }
    pending.counters.write(conn).await?;
    append_rows(
        conn,
        "event_observables (event, key, reported_at)",
        &pending.keys.rows,
        |row| {
            [
                SqlValue::text(row.event.clone()),
                SqlValue::text(row.key.clone()),
                SqlValue::text(row.reported_at.clone()),
            ]
        },
    )
    .await?;
    append_rows(
        conn,
        "journal (seq, at, actor, action, entity, payload, hash)",
        &pending.journal,
        |e| {
            [
                SqlValue::int(i64::try_from(e.seq).unwrap_or(i64::MAX)),
                SqlValue::text(e.at.clone()),
                SqlValue::text(e.actor.clone()),
                SqlValue::text(e.action.clone()),
                SqlValue::text(e.entity.clone()),
                SqlValue::text(e.payload.clone()),
                SqlValue::text(e.hash.clone()),
            ]
        },
    )
    .await?;
    if pending.head != start {
        conn.execute(
            "UPDATE journal_head SET seq = $1, hash = $2 WHERE id = 1",
            &[
                SqlValue::int(i64::try_from(pending.head.0).unwrap_or(i64::MAX)),
                SqlValue::text(pending.head.1),
            ],
        )
        .await?;
    }
    Ok(results)
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

/// Inserts rows into `into` (a table and its columns), many rows a statement.
async fn append_rows<C: SqlConn, T, const N: usize>(
    conn: &mut C,
    into: &'static str,
    rows: &[T],
    values: impl Fn(&T) -> [SqlValue; N],
) -> Result<(), StoreError> {
    // Chunks of a power of two rows (at most 256), so that a few statement
    // shapes, prepared once, serve every batch size.
    let mut rest = rows;
    while !rest.is_empty() {
        let size = 1usize << rest.len().min(256).ilog2();
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let sql = statement("append", into, chunk.len(), || {
            let rows: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let marks: Vec<String> = (1..=N).map(|c| format!("${}", r * N + c)).collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            format!("INSERT INTO {into} VALUES {}", rows.join(", "))
        });
        let params: Vec<SqlValue> = chunk.iter().flat_map(&values).collect();
        conn.execute(sql, &params).await?;
    }
    Ok(())
}

/// Why a unit did not commit.
enum UnitError {
    /// Refused or failed on its own; the batch goes on without it.
    Refused(StoreError),
    /// The transaction may be unusable: the whole batch fails.
    Fatal(StoreError),
}

impl From<StoreError> for UnitError {
    fn from(e: StoreError) -> Self {
        Self::Refused(e)
    }
}

/// How many statements a write takes.
fn statements(write: &Write) -> usize {
    match write {
        Write::ReleaseNumbers => 0,
        _ => 1,
    }
}

/// Runs one unit inside the batch; returns what it wrote and whether its
/// numbers go back ([`Write::ReleaseNumbers`]).
async fn run_unit<C: SqlConn>(
    conn: &mut C,
    dialect: Dialect,
    clock: &dyn Clock,
    unit: UnitOfWork,
    pending: &mut Pending,
) -> Result<(Committed, bool), UnitError> {
    let now = clock.now();
    // Reads only until the decision: a refusal up to there changes nothing.
    let mut loaded = Vec::with_capacity(unit.load.len());
    for key in &unit.load {
        loaded.push(load(conn, key).await?);
    }
    let year = u16::try_from(now.year())
        .map_err(|_| StoreError::Corrupt(format!("year {} out of range", now.year())))?;
    let mut numbers = Vec::with_capacity(unit.allocate.len());
    for kind in &unit.allocate {
        numbers.push((year, pending.counters.allocate(conn, *kind, year).await?));
    }
    let correlated = match &unit.correlate {
        Some(query) => correlated(conn, query, &pending.keys).await?,
        None => vec![],
    };
    let decide = unit.decide;
    let context = Context {
        loaded,
        numbers,
        now,
        correlated,
    };
    let decision = std::panic::catch_unwind(AssertUnwindSafe(move || decide(context)))
        .map_err(|_| {
            StoreError::Corrupt("a command failed unexpectedly; nothing was written".into())
        })?
        .map_err(StoreError::from)?;
    let release = decision
        .writes
        .iter()
        .any(|w| matches!(w, Write::ReleaseNumbers));
    // One statement fails or succeeds whole on SQLite; more than one, or any
    // on PostgreSQL (where an error spoils the transaction), needs a savepoint.
    let guarded =
        dialect == Dialect::Postgres || decision.writes.iter().map(statements).sum::<usize>() > 1;
    if guarded {
        conn.execute("SAVEPOINT unit", &[])
            .await
            .map_err(UnitError::Fatal)?;
    }
    let written = write_all(conn, decision.writes)
        .await
        .map(|(entities, inserted)| {
            pending.note_events(&entities, &inserted);
            entities
        });
    if guarded {
        let end = match &written {
            Ok(_) => "RELEASE SAVEPOINT unit",
            Err(_) => "ROLLBACK TO SAVEPOINT unit",
        };
        conn.execute(end, &[]).await.map_err(UnitError::Fatal)?;
        if written.is_err() {
            conn.execute("RELEASE SAVEPOINT unit", &[])
                .await
                .map_err(UnitError::Fatal)?;
        }
    }
    let entities = match written {
        Ok(entities) => entities,
        Err(e @ StoreError::Domain(_)) => return Err(UnitError::Refused(e)),
        // Without a savepoint, an unexpected failure may have ended the transaction.
        Err(e) if !guarded => return Err(UnitError::Fatal(e)),
        Err(e) => return Err(UnitError::Refused(e)),
    };
    let mut journal = Vec::with_capacity(decision.journal.len());
    for draft in decision.journal {
        let mut entry = JournalEntry {
            seq: pending.head.0 + 1,
            at: now.to_rfc3339(),
            actor: unit.actor.clone(),
            action: draft.action,
            entity: draft.entity,
            payload: canonical_json(&draft.payload),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash(&pending.head.1);
        pending.head = (entry.seq, entry.hash.clone());
        pending.journal.push(entry.clone());
        journal.push(entry);
    }
    Ok((Committed { entities, journal }, release))
}

/// Applies a unit's writes in order; returns the records written and
/// which of them are new.
async fn write_all<C: SqlConn>(
    conn: &mut C,
    writes: Vec<Write>,
) -> Result<(Vec<Entity>, Vec<usize>), StoreError> {
    let mut entities = Vec::with_capacity(writes.len());
    let mut inserted = Vec::new();
    for write in writes {
        let entity = match write {
            Write::Insert(e) => {
                insert(conn, &e).await?;
                inserted.push(entities.len());
                e
            }
            Write::Update(e) => {
                update(conn, &e).await?;
                e
            }
            Write::Delete(key) => {
                delete(conn, &key).await?;
                continue;
            }
            Write::EndSessionsOf(user) => {
                conn.execute(
                    "DELETE FROM sessions WHERE user_name = $1",
                    &[SqlValue::text(user)],
                )
                .await?;
                continue;
            }
            Write::PurgeSessions(before) => {
                conn.execute(
                    "DELETE FROM sessions WHERE expires_at < $1",
                    &[SqlValue::text(before.to_rfc3339())],
                )
                .await?;
                continue;
            }
            Write::DeadLetter(letter) => {
                conn.execute(
                    "INSERT INTO dead_letters (received_at, data) VALUES ($1, $2)",
                    &[
                        SqlValue::text(letter.received_at.to_rfc3339()),
                        SqlValue::text(to_json(&letter)?),
                    ],
                )
                .await?;
                continue;
            }
            // Handled with the counters, before the writes.
            Write::ReleaseNumbers => continue,
        };
        entities.push(entity);
    }
    Ok((entities, inserted))
}

/// Most keys of one event that are looked up for correlation.
const MAX_CORRELATION_KEYS: usize = 64;
/// Most stored events looked at per key, newest first: a busy key (a shared
/// C2 domain) costs the same as a quiet one.
const PER_KEY: usize = 5;

/// Events reported since `query.since` that share one of its keys, the
/// newest [`PER_KEY`] per key, with their incident's status: those stored by
/// the running batch (`batch`, newest last), then those stored before it.
async fn correlated<C: SqlConn>(
    conn: &mut C,
    query: &CorrelationQuery,
    batch: &BatchKeys,
) -> Result<Vec<CorrelationHit>, StoreError> {
    let keys = &query.keys[..query.keys.len().min(MAX_CORRELATION_KEYS)];
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let since = query.since.to_rfc3339();
    let mut hits = Vec::new();
    // Hits taken so far, per key of `keys`.
    let mut taken = vec![0; keys.len()];
    for (key, taken) in keys.iter().zip(&mut taken) {
        for row in batch.of_key(key) {
            if *taken == PER_KEY {
                break;
            }
            if row.reported_at < since {
                continue;
            }
            *taken += 1;
            let incident = match &row.incident {
                Some(n) => incident_status(conn, n).await?.map(|s| (n.clone(), s)),
                None => None,
            };
            hits.push(CorrelationHit {
                key: row.key.clone(),
                event: row.event.clone(),
                status: row.status,
                incident,
            });
        }
    }
    // A key the batch's own events fill already needs no look-up: what was
    // stored before the batch is older.
    let open: Vec<String> = keys
        .iter()
        .zip(&taken)
        .filter(|(_, n)| **n < PER_KEY)
        .map(|(k, _)| k.clone())
        .collect();
    if !open.is_empty() {
        for hit in stored_hits(conn, &open, &since).await? {
            if let Some(i) = keys.iter().position(|k| *k == hit.key)
                && taken[i] < PER_KEY
            {
                taken[i] += 1;
                hits.push(hit);
            }
        }
    }
    Ok(hits)
}

/// An incident's status as the running transaction sees it.
async fn incident_status<C: SqlConn>(
    conn: &mut C,
    number: &str,
) -> Result<Option<IncidentStatus>, StoreError> {
    let rows = conn
        .fetch(
            "SELECT status FROM incidents WHERE number = $1",
            &[SqlValue::text(number)],
            &[ColType::Text],
        )
        .await?;
    match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
        Some(SqlValue::Text(Some(s))) => IncidentStatus::parse(&s)
            .map(Some)
            .map_err(StoreError::Corrupt),
        _ => Ok(None),
    }
}

/// Events stored before the running batch that share one of `keys`, the
/// newest [`PER_KEY`] per key, newest first.
async fn stored_hits<C: SqlConn>(
    conn: &mut C,
    keys: &[String],
    since: &str,
) -> Result<Vec<CorrelationHit>, StoreError> {
    let mut params = Vec::with_capacity(keys.len() + 1);
    params.push(SqlValue::text(since));
    params.extend(keys.iter().map(|k| SqlValue::text(k.clone())));
    let sql = statement("correlate", "event_observables", keys.len(), || {
        let parts: Vec<String> = (0..keys.len())
            .map(|i| {
                format!(
                    "SELECT * FROM (SELECT o.key, o.event, o.reported_at FROM event_observables o \
                     WHERE o.key = ${} AND o.reported_at >= $1 \
                     ORDER BY o.reported_at DESC, o.event DESC LIMIT {PER_KEY}) AS k{i}",
                    i + 2
                )
            })
            .collect();
        format!(
            "SELECT h.key, e.number, e.status, e.incident, i.status \
             FROM ({}) AS h JOIN events e ON e.number = h.event \
             LEFT JOIN incidents i ON i.number = e.incident \
             ORDER BY h.reported_at DESC, h.event DESC",
            parts.join(" UNION ALL ")
        )
    });
    let rows = conn
        .fetch(
            sql,
            &params,
            &[
                ColType::Text,
                ColType::Text,
                ColType::Text,
                ColType::Text,
                ColType::Text,
            ],
        )
        .await?;
    rows.into_iter()
        .map(|row| {
            let mut row = row.into_iter().map(SqlValue::into_string);
            let mut next = || row.next().flatten();
            let (key, event, status, incident, incident_status) =
                (next(), next(), next(), next(), next());
            let corrupt = || StoreError::Corrupt("correlation row is incomplete".into());
            let status =
                EventStatus::parse(&status.ok_or_else(corrupt)?).map_err(StoreError::Corrupt)?;
            let incident = match (incident, incident_status) {
                (Some(n), Some(s)) => {
                    Some((n, IncidentStatus::parse(&s).map_err(StoreError::Corrupt)?))
                }
                _ => None,
            };
            Ok(CorrelationHit {
                key: key.ok_or_else(corrupt)?,
                event: event.ok_or_else(corrupt)?,
                status,
                incident,
            })
        })
        .collect()
}

/// Where a record lives: table, key column, key.
fn location(key: &EntityRef) -> (&'static str, &'static str, String) {
    match key {
        EntityRef::Event(n) => ("events", "number", n.to_string()),
        EntityRef::Incident(n) => ("incidents", "number", n.to_string()),
        EntityRef::Vulnerability(n) => ("vulnerabilities", "number", n.to_string()),
        EntityRef::User(name) => ("users", "name", name.clone()),
        EntityRef::ApiToken(hash) => ("api_tokens", "token_hash", hash.clone()),
        EntityRef::Credentials(name) => ("credentials", "user_name", name.clone()),
        EntityRef::Session(hash) => ("sessions", "id_hash", hash.clone()),
        EntityRef::Throttle(key) => ("login_throttle", "key", key.clone()),
        EntityRef::Evidence(n) => ("evidence", "number", n.to_string()),
        EntityRef::Checkpoint(seq) => ("checkpoints", "id", checkpoint_id(*seq)),
        // Looked up by two columns in `load`; the number is the key otherwise.
        EntityRef::EventBySource { reference, .. } => ("events", "source_ref", reference.clone()),
        EntityRef::Rules => ("settings", "name", "categorization".to_owned()),
    }
}

/// Decodes rows of one JSON document column.
fn documents<T: DeserializeOwned>(
    rows: Vec<Vec<SqlValue>>,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter()
        .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_string))
        .map(|d| parse(&d, what))
        .collect()
}

fn parse<T: DeserializeOwned>(data: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn decode(key: &EntityRef, data: &str) -> Result<Entity, StoreError> {
    Ok(match key {
        EntityRef::Event(n) => Entity::Event(Box::new(parse(data, &n.to_string())?)),
        EntityRef::Incident(n) => Entity::Incident(Box::new(parse(data, &n.to_string())?)),
        EntityRef::Vulnerability(n) => {
            Entity::Vulnerability(Box::new(parse(data, &n.to_string())?))
        }
        EntityRef::User(name) => Entity::User(parse(data, name)?),
        EntityRef::ApiToken(_) => Entity::ApiToken(parse(data, "api token")?),
        EntityRef::Credentials(name) => Entity::Credentials(parse(data, name)?),
        EntityRef::Session(_) => Entity::Session(parse(data, "session")?),
        EntityRef::Throttle(key) => Entity::Throttle(parse(data, key)?),
        EntityRef::Evidence(n) => Entity::Evidence(Box::new(parse(data, &n.to_string())?)),
        EntityRef::Checkpoint(_) => Entity::Checkpoint(parse(data, "checkpoint")?),
        EntityRef::EventBySource { reference, .. } => {
            Entity::Event(Box::new(parse(data, reference)?))
        }
        EntityRef::Rules => Entity::Rules(parse(data, "categorization rules")?),
    })
}

async fn load<C: SqlConn>(conn: &mut C, key: &EntityRef) -> Result<Option<Entity>, StoreError> {
    let rows = if let EntityRef::EventBySource { name, reference } = key {
        conn.fetch(
            // Intake stores one event per sensor name and reference, so any
            // match is the one. No ordering: ordering by id would let the
            // planner walk a sensor's events in id order instead of using the
            // (source_name, source_ref) index.
            "SELECT data FROM events WHERE source_name = $1 AND source_ref = $2 LIMIT 1",
            &[
                SqlValue::text(name.clone()),
                SqlValue::text(reference.clone()),
            ],
            &[ColType::Text],
        )
        .await?
    } else {
        let (table, column, value) = location(key);
        let sql = statement("load", table, 0, || {
            format!("SELECT data FROM {table} WHERE {column} = $1")
        });
        conn.fetch(sql, &[SqlValue::text(value)], &[ColType::Text])
            .await?
    };
    match rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .and_then(SqlValue::into_string)
    {
        Some(data) => decode(key, &data).map(Some),
        None => Ok(None),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The `restricted_to` column: `,alice,bob,`, or empty when unrestricted.
fn restriction_column(users: &[String]) -> String {
    if users.is_empty() {
        String::new()
    } else {
        format!(",{},", users.join(","))
    }
}

/// The text key of a checkpoint: its sequence number, zero-padded so that
/// text order is sequence order.
fn checkpoint_id(seq: u64) -> String {
    format!("{seq:020}")
}

/// Escapes LIKE wildcards so that `text` matches literally.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Indexed columns of a record, by name.
type Columns = Vec<(&'static str, SqlValue)>;

/// The indexed columns and JSON document of a record.
fn columns(entity: &Entity) -> Result<(Columns, String), StoreError> {
    let opt = |s: Option<String>| SqlValue::Text(s);
    Ok(match entity {
        Entity::Event(e) => (
            vec![
                ("year", SqlValue::int(e.number.year())),
                ("seq", SqlValue::int(e.number.seq())),
                ("status", SqlValue::text(e.status.as_str())),
                ("source_kind", SqlValue::text(e.source.kind.as_str())),
                (
                    "source_name",
                    opt(e.source.name.as_ref().map(ToString::to_string)),
                ),
                (
                    "source_ref",
                    opt(e.source.reference.as_ref().map(ToString::to_string)),
                ),
                ("submitted_by", opt(e.submitted_by.clone())),
                ("reported_at", SqlValue::text(e.reported_at.to_rfc3339())),
                ("incident", opt(e.incident.map(|n| n.to_string()))),
                ("search", SqlValue::text(e.search_text())),
            ],
            to_json(e)?,
        ),
        Entity::Incident(i) => (
            vec![
                ("year", SqlValue::int(i.number.year())),
                ("seq", SqlValue::int(i.number.seq())),
                ("status", SqlValue::text(i.status.as_str())),
                ("category", SqlValue::text(i.category.as_str())),
                ("class", SqlValue::text(i.severity.class.as_str())),
                ("priority", SqlValue::int(i.priority.value())),
                ("coordinator", SqlValue::text(i.coordinator.clone())),
                ("search", SqlValue::text(i.search_text())),
                (
                    "restricted_to",
                    SqlValue::text(restriction_column(&i.restricted_to)),
                ),
            ],
            to_json(i)?,
        ),
        Entity::Vulnerability(v) => (
            vec![
                ("year", SqlValue::int(v.number.year())),
                ("seq", SqlValue::int(v.number.seq())),
                ("status", SqlValue::text(v.status.as_str())),
                ("search", SqlValue::text(v.search_text())),
            ],
            to_json(v)?,
        ),
        Entity::Evidence(e) => (
            vec![
                ("incident", SqlValue::text(e.incident.to_string())),
                ("sha256", SqlValue::text(e.content.sha256.clone())),
                ("present", SqlValue::int(i64::from(e.disposed.is_none()))),
            ],
            to_json(e)?,
        ),
        Entity::Checkpoint(c) => (
            vec![(
                "seq",
                SqlValue::int(i64::try_from(c.seq).unwrap_or(i64::MAX)),
            )],
            to_json(c)?,
        ),
        Entity::User(u) => (vec![], to_json(u)?),
        Entity::Rules(r) => (vec![], to_json(r)?),
        Entity::Credentials(c) => (vec![], to_json(c)?),
        Entity::Throttle(t) => (vec![], to_json(t)?),
        Entity::Session(s) => (
            vec![
                ("user_name", SqlValue::text(s.user.clone())),
                ("expires_at", SqlValue::text(s.expires_at.to_rfc3339())),
            ],
            to_json(s)?,
        ),
        Entity::ApiToken(t) => (
            vec![
                ("token_id", SqlValue::text(t.id.clone())),
                ("user_name", SqlValue::text(t.user.clone())),
            ],
            to_json(t)?,
        ),
    })
}

async fn insert<C: SqlConn>(conn: &mut C, entity: &Entity) -> Result<(), StoreError> {
    let (table, key_column, key) = location(&entity.key());
    let (cols, data) = columns(entity)?;
    let sql = statement("insert", table, 0, || {
        let names: Vec<&str> = std::iter::once(key_column)
            .chain(cols.iter().map(|(n, _)| *n))
            .chain(["data"])
            .collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        )
    });
    let mut params = vec![SqlValue::text(key)];
    params.extend(cols.into_iter().map(|(_, v)| v));
    params.push(SqlValue::text(data));
    conn.execute(sql, &params).await?;
    Ok(())
}

async fn update<C: SqlConn>(conn: &mut C, entity: &Entity) -> Result<(), StoreError> {
    let (table, key_column, key) = location(&entity.key());
    let (cols, data) = columns(entity)?;
    let sql = statement("update", table, 0, || {
        let sets: Vec<String> = cols
            .iter()
            .map(|(n, _)| *n)
            .chain(["data"])
            .enumerate()
            .map(|(i, n)| format!("{n} = ${}", i + 2))
            .collect();
        format!(
            "UPDATE {table} SET {} WHERE {key_column} = $1",
            sets.join(", ")
        )
    });
    let mut params = vec![SqlValue::text(key.clone())];
    params.extend(cols.into_iter().map(|(_, v)| v));
    params.push(SqlValue::text(data));
    match conn.execute(sql, &params).await? {
        1 => Ok(()),
        _ => Err(StoreError::Domain(DomainError::NotFound(key))),
    }
}

/// Deletes a record of a kind that may be deleted; a missing record is no error.
async fn delete<C: SqlConn>(conn: &mut C, key: &EntityRef) -> Result<(), StoreError> {
    if !matches!(
        key,
        EntityRef::Session(_) | EntityRef::Throttle(_) | EntityRef::ApiToken(_)
    ) {
        return Err(StoreError::Corrupt(format!(
            "{key:?}: records of this kind are never deleted"
        )));
    }
    let (table, column, value) = location(key);
    let sql = format!("DELETE FROM {table} WHERE {column} = $1");
    conn.execute(&sql, &[SqlValue::text(value)]).await?;
    Ok(())
}

/// Builds a WHERE clause with numbered placeholders.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    params: Vec<SqlValue>,
}

impl Filter {
    /// Adds a condition; `?` in `clause` stands for the next placeholder.
    fn and(&mut self, clause: &str, values: Vec<SqlValue>) {
        let mut sql = String::new();
        let mut values = values.into_iter();
        for part in clause.split_inclusive('?') {
            if let Some(prefix) = part.strip_suffix('?') {
                sql.push_str(prefix);
                if let Some(v) = values.next() {
                    self.params.push(v);
                    sql.push_str(&format!("${}", self.params.len()));
                }
            } else {
                sql.push_str(part);
            }
        }
        self.clauses.push(sql);
    }

    fn text(&mut self, column: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.and(&format!("{column} = ?"), vec![SqlValue::text(v)]);
        }
    }

    /// Case-insensitive substring match on the lower-cased search column; LIKE
    /// wildcards in the input are escaped so they match literally.
    fn contains(&mut self, text: Option<&str>) {
        if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
            let escaped = like_literal(&t.to_lowercase());
            self.and(
                "search LIKE ? ESCAPE '\\'",
                vec![SqlValue::text(format!("%{escaped}%"))],
            );
        }
    }

    /// Need-to-know: unrestricted rows, or rows whose list names `viewer`.
    fn viewer(&mut self, viewer: Option<&str>) {
        if let Some(name) = viewer {
            self.and(
                "(restricted_to = '' OR restricted_to LIKE ? ESCAPE '\\')",
                vec![SqlValue::text(format!("%,{},%", like_literal(name)))],
            );
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn limit(&mut self, limit: u32) -> String {
        self.params
            .push(SqlValue::int(i64::from(page_size(limit)) + 1));
        format!(" LIMIT ${}", self.params.len())
    }
}

fn page_size(limit: u32) -> u32 {
    if limit == 0 { 50 } else { limit.min(MAX_PAGE) }
}

fn bad_cursor() -> StoreError {
    StoreError::Domain(DomainError::field(
        "cursor",
        "is not a cursor returned by this list",
    ))
}

fn parse_cursor(cursor: Option<&str>, parts: usize) -> Result<Option<Vec<i64>>, StoreError> {
    let Some(c) = cursor else { return Ok(None) };
    let values: Vec<i64> = c
        .split('.')
        .map(|p| p.parse::<i64>().map_err(|_| bad_cursor()))
        .collect::<Result<_, _>>()?;
    if values.len() == parts {
        Ok(Some(values))
    } else {
        Err(bad_cursor())
    }
}

/// Turns `limit + 1` fetched rows into a page; `key` makes the cursor from a row.
fn paginate<T: DeserializeOwned>(
    rows: Vec<Vec<SqlValue>>,
    limit: u32,
    key: impl Fn(&[SqlValue]) -> String,
) -> Result<Page<T>, StoreError> {
    let size = page_size(limit) as usize;
    let more = rows.len() > size;
    let mut items = Vec::with_capacity(size.min(rows.len()));
    let mut next_cursor = None;
    for row in rows.into_iter().take(size) {
        next_cursor = Some(key(&row));
        let data = row
            .into_iter()
            .last()
            .and_then(SqlValue::into_string)
            .ok_or_else(|| StoreError::Corrupt("row without data".into()))?;
        items.push(parse(&data, "listed record")?);
    }
    Ok(Page {
        items,
        next_cursor: if more { next_cursor } else { None },
    })
}

/// Journal entries from rows of `seq, at, actor, action, entity, payload, hash`.
fn parse_entries(rows: Vec<Vec<SqlValue>>) -> Result<Vec<JournalEntry>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let mut it = row.into_iter();
            let seq = it
                .next()
                .and_then(|v| v.as_i64())
                .and_then(|n| u64::try_from(n).ok());
            let mut text = || {
                it.next()
                    .and_then(SqlValue::into_string)
                    .unwrap_or_default()
            };
            let (at, actor, action, entity, payload, hash) =
                (text(), text(), text(), text(), text(), text());
            let seq =
                seq.ok_or_else(|| StoreError::Corrupt("journal row without sequence".into()))?;
            Ok(JournalEntry {
                seq,
                at,
                actor,
                action,
                entity,
                payload,
                hash,
            })
        })
        .collect()
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
        let mut f = Filter::default();
        f.text("status", q.status.map(|s| s.as_str()));
        match q.source.as_deref() {
            Some(kind @ ("person" | "sensor")) => f.text("source_kind", Some(kind)),
            other => f.text("source_name", other),
        }
        if let Some(since) = q.since {
            f.and("reported_at >= ?", vec![SqlValue::text(since.to_rfc3339())]);
        }
        f.contains(q.text.as_deref());
        f.text("submitted_by", q.submitted_by.as_deref());
        self.newest_first("events", f, q.cursor.as_deref(), q.limit)
            .await
    }

    async fn list_incidents(&self, q: &IncidentQuery) -> Result<Page<Incident>, StoreError> {
        let mut f = Filter::default();
        f.text("status", q.status.map(|s| s.as_str()));
        f.text("category", q.category.map(|s| s.as_str()));
        f.text("class", q.class.map(|s| s.as_str()));
        f.text("coordinator", q.coordinator.as_deref());
        f.contains(q.text.as_deref());
        f.viewer(q.viewer.as_deref());
        if q.sort != IncidentSort::Priority {
            let (direction, order) = match q.sort {
                IncidentSort::Oldest => (">", "ASC"),
                _ => ("<", "DESC"),
            };
            if let Some(c) = parse_cursor(q.cursor.as_deref(), 1)? {
                f.and(&format!("id {direction} ?"), vec![SqlValue::int(c[0])]);
            }
            let sql = format!(
                "SELECT id, data FROM incidents{} ORDER BY id {order}",
                f.sql()
            );
            let sql = sql + &f.limit(q.limit);
            let rows = self
                .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
                .await?;
            return paginate(rows, q.limit, |r| r[0].as_i64().unwrap_or(0).to_string());
        }
        if let Some(c) = parse_cursor(q.cursor.as_deref(), 2)? {
            f.and(
                "(priority > ? OR (priority = ? AND id > ?))",
                vec![
                    SqlValue::int(c[0]),
                    SqlValue::int(c[0]),
                    SqlValue::int(c[1]),
                ],
            );
        }
        let sql = format!(
            "SELECT priority, id, data FROM incidents{} ORDER BY priority, id",
            f.sql()
        );
        let sql = sql + &f.limit(q.limit);
        let rows = self
            .fetch(
                &sql,
                &f.params,
                &[ColType::Int, ColType::Int, ColType::Text],
            )
            .await?;
        paginate(rows, q.limit, |r| {
            format!(
                "{}.{}",
                r[0].as_i64().unwrap_or(0),
                r[1].as_i64().unwrap_or(0)
            )
        })
    }

    async fn list_vulnerabilities(
        &self,
        q: &VulnerabilityQuery,
    ) -> Result<Page<Vulnerability>, StoreError> {
        let mut f = Filter::default();
        f.text("status", q.status.map(|s| s.as_str()));
        f.contains(q.text.as_deref());
        self.newest_first("vulnerabilities", f, q.cursor.as_deref(), q.limit)
            .await
    }

    async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let rows = self
            .fetch(
                "SELECT u.data FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = $1",
                &[SqlValue::text(token_hash)],
                &[ColType::Text],
            )
            .await?;
        match rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .and_then(SqlValue::into_string)
        {
            Some(data) => parse(&data, "user").map(Some),
            None => Ok(None),
        }
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        self.count("users").await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = self
            .fetch(
                "SELECT data FROM users ORDER BY name",
                &[],
                &[ColType::Text],
            )
            .await?;
        documents(rows, "user")
    }

    async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        let mut f = Filter::default();
        f.text("user_name", user);
        let sql = format!("SELECT data FROM api_tokens{} ORDER BY id", f.sql());
        let rows = self.fetch(&sql, &f.params, &[ColType::Text]).await?;
        documents(rows, "api token")
    }

    async fn counts(&self, viewer: &str) -> Result<Counts, StoreError> {
        let mut f = Filter::default();
        f.viewer(Some(viewer));
        let sql = format!(
            "SELECT status, class, COUNT(*) FROM incidents{} GROUP BY status, class",
            f.sql()
        );
        use ColType::{Int, Text};
        let count = |v: Option<&SqlValue>| {
            v.and_then(SqlValue::as_i64)
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        };
        let text = |v: Option<&SqlValue>| {
            v.cloned()
                .and_then(SqlValue::into_string)
                .unwrap_or_default()
        };
        let incidents = self
            .fetch(&sql, &f.params, &[Text, Text, Int])
            .await?
            .iter()
            .map(|r| (text(r.first()), text(r.get(1)), count(r.get(2))))
            .collect();
        let events = self
            .fetch(
                "SELECT status, COUNT(*) FROM events GROUP BY status",
                &[],
                &[Text, Int],
            )
            .await?
            .iter()
            .map(|r| (text(r.first()), count(r.get(1))))
            .collect();
        Ok(Counts { incidents, events })
    }

    async fn journal(&self, q: &JournalQuery) -> Result<Vec<JournalEntry>, StoreError> {
        let mut f = Filter::default();
        f.and(
            "seq > ?",
            vec![SqlValue::int(i64::try_from(q.after).unwrap_or(i64::MAX))],
        );
        f.text("entity", q.entity.as_deref());
        let limit = if q.limit == 0 {
            100
        } else {
            q.limit.min(10_000)
        };
        f.params.push(SqlValue::int(limit));
        let sql = format!(
            "SELECT seq, at, actor, action, entity, payload, hash FROM journal{} ORDER BY seq LIMIT ${}",
            f.sql(),
            f.params.len()
        );
        use ColType::{Int, Text};
        let rows = self
            .fetch(&sql, &f.params, &[Int, Text, Text, Text, Text, Text, Text])
            .await?;
        parse_entries(rows)
    }

    async fn list_evidence(&self, q: &EvidenceQuery) -> Result<Vec<EvidenceItem>, StoreError> {
        let mut f = Filter::default();
        f.text("incident", q.incident.map(|n| n.to_string()).as_deref());
        f.text("sha256", q.sha256.as_deref());
        if q.present_only {
            f.and("present = ?", vec![SqlValue::int(1)]);
        }
        f.params.push(SqlValue::int(i64::from(crate::MAX_EVIDENCE)));
        f.params.push(SqlValue::int(i64::from(q.offset)));
        let sql = format!(
            "SELECT data FROM evidence{} ORDER BY id LIMIT ${} OFFSET ${}",
            f.sql(),
            f.params.len() - 1,
            f.params.len()
        );
        let rows = self.fetch(&sql, &f.params, &[ColType::Text]).await?;
        documents(rows, "evidence item")
    }

    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = self
            .fetch(
                "SELECT data FROM checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[
                    SqlValue::int(i64::try_from(after).unwrap_or(i64::MAX)),
                    SqlValue::int(limit.clamp(1, 10_000)),
                ],
                &[ColType::Text],
            )
            .await?;
        documents(rows, "checkpoint")
    }

    async fn dead_letters(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<DeadLetter>, StoreError> {
        let mut f = Filter::default();
        if let Some(c) = parse_cursor(cursor, 1)? {
            f.and("id < ?", vec![SqlValue::int(c[0])]);
        }
        let sql = format!(
            "SELECT id, data FROM dead_letters{} ORDER BY id DESC",
            f.sql()
        );
        let sql = sql + &f.limit(limit);
        let rows = self
            .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
            .await?;
        let size = page_size(limit) as usize;
        let more = rows.len() > size;
        let mut items = Vec::with_capacity(size.min(rows.len()));
        for row in rows.into_iter().take(size) {
            let mut row = row.into_iter();
            let id = row.next().and_then(|v| v.as_i64());
            let data = row
                .next()
                .and_then(SqlValue::into_string)
                .ok_or_else(|| StoreError::Corrupt("dead letter without data".into()))?;
            let mut letter: DeadLetter = parse(&data, "dead letter")?;
            letter.id = id;
            items.push(letter);
        }
        let next_cursor = if more {
            items.last().and_then(|l| l.id).map(|id| id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        self.count("dead_letters").await
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
        let added = self
            .execute_direct(
                "INSERT INTO jobs (kind, key, payload, state, attempts, run_after, created_at) \
                 VALUES ($1, $2, $3, 'queued', 0, $4, $4) ON CONFLICT (key) DO NOTHING",
                &[
                    SqlValue::text(kind),
                    SqlValue::text(key),
                    SqlValue::text(payload),
                    SqlValue::text(run_after.to_rfc3339()),
                ],
            )
            .await?;
        Ok(added == 1)
    }

    async fn claim_job(
        &self,
        node: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<BackgroundJob>, StoreError> {
        // PostgreSQL: a job another node is claiming right now is skipped,
        // not waited for. SQLite runs one write at a time.
        let lock = match self.backend.dialect() {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, \
             attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs \
                 WHERE (state = 'queued' AND run_after <= $3) \
                    OR (state = 'running' AND locked_until < $3) \
                 ORDER BY run_after, id LIMIT 1{lock}) \
             RETURNING {JOB_COLUMNS}"
        );
        let rows = self
            .fetch(
                &sql,
                &[
                    SqlValue::text(node),
                    SqlValue::text(lease_until.to_rfc3339()),
                    SqlValue::text(now.to_rfc3339()),
                ],
                &JOB_TYPES,
            )
            .await?;
        rows.into_iter().next().map(job).transpose()
    }

    async fn finish_job(&self, id: i64, node: &str, now: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute_direct(
                "UPDATE jobs SET state = 'done', finished_at = $3, locked_by = NULL, \
                 locked_until = NULL WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                &[
                    SqlValue::int(id),
                    SqlValue::text(node),
                    SqlValue::text(now.to_rfc3339()),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn fail_job(
        &self,
        id: i64,
        node: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (state, run_after, finished) = match retry_at {
            Some(at) => (
                "queued",
                SqlValue::text(at.to_rfc3339()),
                SqlValue::Text(None),
            ),
            None => (
                "dead",
                SqlValue::Text(None),
                SqlValue::text(now.to_rfc3339()),
            ),
        };
        let changed = self
            .execute_direct(
                "UPDATE jobs SET state = $3, run_after = COALESCE($4, run_after), \
                 finished_at = $5, last_error = $6, locked_by = NULL, locked_until = NULL \
                 WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                &[
                    SqlValue::int(id),
                    SqlValue::text(node),
                    SqlValue::text(state),
                    run_after,
                    finished,
                    SqlValue::text(error.chars().take(2000).collect::<String>()),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn list_jobs(
        &self,
        state: Option<JobState>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<BackgroundJob>, StoreError> {
        let mut f = Filter::default();
        f.text("state", state.map(JobState::as_str));
        if let Some(id) = before {
            f.and("id < ?", vec![SqlValue::int(id)]);
        }
        // One more than a page, so that a caller can tell whether more follow.
        f.params.push(SqlValue::int(limit.clamp(1, MAX_PAGE + 1)));
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs{} ORDER BY id DESC LIMIT ${}",
            f.sql(),
            f.params.len()
        );
        let rows = self.fetch(&sql, &f.params, &JOB_TYPES).await?;
        rows.into_iter().map(job).collect()
    }

    async fn requeue_job(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute_direct(
                "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $2, \
                 finished_at = NULL WHERE id = $1 AND state = 'dead'",
                &[SqlValue::int(id), SqlValue::text(now.to_rfc3339())],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let rows = self
            .fetch(
                "SELECT data FROM checkpoints ORDER BY seq DESC LIMIT 1",
                &[],
                &[ColType::Text],
            )
            .await?;
        Ok(documents(rows, "checkpoint")?.pop())
    }

    async fn check_records(&self) -> Result<crate::records::RecordsCheck, StoreError> {
        records::check(self.backend.as_ref()).await
    }

    async fn journal_head(&self) -> Result<(u64, String), StoreError> {
        let rows = self.fetch(HEAD_QUERY, &[], &HEAD_TYPES).await?;
        Ok(head_of(rows))
    }
}

/// Defines `fn migrator() -> sqlx::migrate::Migrator` over the backend's
/// `migrations/` folder. The list of migrations lives here once, so both
/// backends apply the same files, under the same versions and names.
#[macro_export]
macro_rules! embedded_migrator {
    () => {
        fn migrator() -> ::sqlx::migrate::Migrator {
            use ::sqlx::SqlSafeStr as _;
            let step = |version, name: &str, sql: &'static str| {
                ::sqlx::migrate::Migration::new(
                    version,
                    name.to_owned().into(),
                    ::sqlx::migrate::MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            };
            ::sqlx::migrate::Migrator::with_migrations(vec![
                step(1, "initial", include_str!("../migrations/0001_initial.sql")),
                step(2, "people", include_str!("../migrations/0002_people.sql")),
                step(
                    3,
                    "evidence",
                    include_str!("../migrations/0003_evidence.sql"),
                ),
                step(4, "intake", include_str!("../migrations/0004_intake.sql")),
                step(
                    5,
                    "batch keys",
                    include_str!("../migrations/0005_batch_keys.sql"),
                ),
                step(
                    6,
                    "journal notify",
                    include_str!("../migrations/0006_journal_notify.sql"),
                ),
                step(7, "jobs", include_str!("../migrations/0007_jobs.sql")),
                step(
                    8,
                    "evidence content fixed",
                    include_str!("../migrations/0008_evidence_content_fixed.sql"),
                ),
            ])
        }
    };
}

/// Implements [`SqlConn`] for a pooled sqlx connection of database `$db`,
/// defining `$name` and the error mapping `db_error`. Expanded in each sqlx
/// backend so the binding and decoding code exists once.
#[macro_export]
macro_rules! sqlx_conn {
    ($name:ident, $db:ty) => {
        /// One pooled connection.
        #[derive(Debug)]
        pub struct $name(sqlx::pool::PoolConnection<$db>);

        /// Maps a driver error; unique violations are conflicts the user can act on.
        fn db_error(e: sqlx::Error) -> $crate::StoreError {
            match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    $crate::StoreError::Domain(rampart_domain::DomainError::Conflict(
                        "a record with this key exists already".into(),
                    ))
                }
                _ => $crate::StoreError::Database(e.to_string()),
            }
        }

        fn bound<'q>(
            sql: &str,
            params: &[$crate::sql::SqlValue],
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments> {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            for p in params {
                query = match p {
                    $crate::sql::SqlValue::Int(v) => query.bind(*v),
                    $crate::sql::SqlValue::Text(v) => query.bind(v.clone()),
                };
            }
            query
        }

        impl $crate::sql::SqlConn for $name {
            async fn execute(
                &mut self,
                sql: &str,
                params: &[$crate::sql::SqlValue],
            ) -> Result<u64, $crate::StoreError> {
                Ok(bound(sql, params)
                    .execute(&mut *self.0)
                    .await
                    .map_err(db_error)?
                    .rows_affected())
            }

            async fn fetch(
                &mut self,
                sql: &str,
                params: &[$crate::sql::SqlValue],
                types: &[$crate::sql::ColType],
            ) -> Result<Vec<Vec<$crate::sql::SqlValue>>, $crate::StoreError> {
                use sqlx::Row;
                let rows = bound(sql, params)
                    .fetch_all(&mut *self.0)
                    .await
                    .map_err(db_error)?;
                rows.iter()
                    .map(|row| {
                        types
                            .iter()
                            .enumerate()
                            .map(|(i, t)| match t {
                                $crate::sql::ColType::Int => row
                                    .try_get::<Option<i64>, _>(i)
                                    .map($crate::sql::SqlValue::Int),
                                $crate::sql::ColType::Text => row
                                    .try_get::<Option<String>, _>(i)
                                    .map($crate::sql::SqlValue::Text),
                            })
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(db_error)
                    })
                    .collect()
            }

            fn discard(&mut self) {
                self.0.close_on_drop();
            }
        }
    };
}
