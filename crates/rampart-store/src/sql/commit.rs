//! Group commit: the writer task, which runs a batch of units of work in
//! one transaction, each unit in a savepoint of its own, allocates their
//! numbers and appends their journal entries.
//!
//! The writer keeps only what must go one unit after another: numbers,
//! decisions (which see what the units before wrote) and the hash chain.
//! What does not depend on the entry before is done off that path: intake
//! builds its events on the requests' own tasks, and at the batch's end
//! the journal payloads (and, on PostgreSQL, the events' documents) are
//! written out on every core. On PostgreSQL the batch's end is one
//! statement.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use rampart_domain::{Clock, NumberKind};
use tokio::sync::mpsc;

use super::ahead::Ahead;
use super::intake::{BatchKeys, KeyRow, correlated};
use super::rows::{delete, insert, load, to_json, update};
use super::search::{TextIndexControl, TextIndexer};
use super::unnest::Part;
use super::{ColType, Dialect, Job, MAX_BATCH, SqlBackend, SqlConn, SqlValue, statement, unnest};
use crate::journal::canonical_json;
use crate::model::Context;
use crate::{Committed, Entity, JournalEntry, StoreError, UnitOfWork, Write};

/// The metric of how many units of work each batch committed.
pub const BATCH_UNITS: &str = "rampart_writer_batch_units";
/// The metric of how long each batch took to commit.
pub const COMMIT_SECONDS: &str = "rampart_writer_commit_duration_seconds";

pub(super) async fn writer<B: SqlBackend>(
    backend: Arc<B>,
    clock: Arc<dyn Clock>,
    mut rx: mpsc::Receiver<Job>,
    text_index_control: Arc<TextIndexControl>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut statistics = Statistics::default();
    let mut text_index = TextIndexer::new(text_index_control.clone());
    loop {
        let received = if text_index.owed() && rx.is_empty() {
            match text_index.idle_in() {
                // Idle long enough: the text index catches up a step at a
                // time, each step letting waiting requests in first.
                None => {
                    text_index.idle_step(&*backend).await;
                    tokio::task::yield_now().await;
                    continue;
                }
                // Briefly idle (between the batches of a burst, say): a
                // request that comes meanwhile goes first.
                Some(wait) => {
                    match tokio::time::timeout(wait, rx.recv_many(&mut jobs, MAX_BATCH)).await {
                        Ok(received) => received,
                        Err(_) => continue,
                    }
                }
            }
        } else {
            tokio::select! {
                received = rx.recv_many(&mut jobs, MAX_BATCH) => received,
                // Indexing was let go on (tests): look again.
                () = text_index_control.resumed.notified() => continue,
            }
        };
        if received == 0 {
            break;
        }
        let (units, replies): (Vec<_>, Vec<_>) = jobs.drain(..).map(|j| (j.unit, j.reply)).unzip();
        let count = units.len();
        let started = std::time::Instant::now();
        let committed = commit_batch(&*backend, &*clock, units).await;
        metrics::histogram!(BATCH_UNITS).record(count as f64);
        metrics::histogram!(COMMIT_SECONDS, "result" => if committed.is_ok() { "ok" } else { "failed" })
            .record(started.elapsed().as_secs_f64());
        match committed {
            Ok(results) => {
                let written: usize = results
                    .iter()
                    .filter_map(|r| r.as_ref().ok())
                    .map(|c| c.entities.len())
                    .sum();
                statistics.note(&backend, written);
                text_index.written(written);
                backend.deliver(replies.into_iter().zip(results).collect());
                text_index.keep_up(&*backend, written).await;
            }
            Err(e) => {
                tracing::error!(error = %e, units = count, "write batch failed; nothing in it was committed");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Database(e.to_string())));
                }
            }
        }
    }
}

/// Keeps PostgreSQL's planner statistics up with the tables as they grow,
/// without waiting for autovacuum (which may be off): after 1,000 records
/// written, then 2,000 more, doubling up to every [`ANALYZE_EVERY`], the
/// tables that grow are analysed on a connection of their own. New
/// statistics also make PostgreSQL plan the statements it keeps cached
/// again, so no plan made for a nearly empty table outlives its growth.
#[derive(Debug)]
struct Statistics {
    written: u64,
    next: u64,
}

/// The most records written between two refreshes of the statistics.
const ANALYZE_EVERY: u64 = 100_000;

impl Default for Statistics {
    fn default() -> Self {
        Self {
            written: 0,
            next: 1_000,
        }
    }
}

impl Statistics {
    /// Notes a committed batch that wrote `written` records.
    fn note<B: SqlBackend>(&mut self, backend: &Arc<B>, written: usize) {
        if backend.dialect() != Dialect::Postgres {
            return;
        }
        self.written += u64::try_from(written).unwrap_or(0);
        if self.written < self.next {
            return;
        }
        self.written = 0;
        self.next = (self.next * 2).min(ANALYZE_EVERY);
        let backend = backend.clone();
        tokio::spawn(async move {
            let analyzed = match backend.reader().await {
                Ok(mut conn) => conn
                    .execute(
                        "ANALYZE events, incidents, vulnerabilities, event_observables, \
                         incident_observables, journal, inbox, jobs",
                        &[],
                    )
                    .await
                    .map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = analyzed {
                tracing::warn!(error = %e, "refreshing the planner's statistics failed");
            }
        });
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
    let outcome = run_units(&mut conn, dialect, clock, units).await;
    finish(&mut conn, outcome).await
}

/// Ends the writer's transaction: commits it after `outcome` succeeded,
/// rolls it back otherwise. A connection whose end failed is discarded.
pub(super) async fn finish<C: SqlConn, T>(
    conn: &mut C,
    outcome: Result<T, StoreError>,
) -> Result<T, StoreError> {
    let end = match &outcome {
        Ok(_) => conn.execute("COMMIT", &[]).await,
        Err(_) => conn.execute("ROLLBACK", &[]).await,
    };
    if let Err(e) = end {
        let _ = conn.execute("ROLLBACK", &[]).await;
        conn.discard();
        return Err(e);
    }
    outcome
}

/// Counters as read from the database: (kind prefix, next number).
type ReadCounters = std::sync::Arc<[(String, i64)]>;

/// Number counters as the batch has moved them, by (kind prefix, year).
/// They are read once per batch and written back once, at its end: the
/// writer holds the write lock (SQLite) or the journal head row
/// (PostgreSQL), so no one else allocates meanwhile.
#[derive(Debug, Clone, Default)]
struct Counters {
    next: std::collections::BTreeMap<(&'static str, u16), i64>,
    changed: std::collections::BTreeSet<(&'static str, u16)>,
    /// The year whose counters the batch read after taking the journal
    /// head, and them (shared: every unit's copy of the counters holds it).
    read: Option<(u16, ReadCounters)>,
}

impl Counters {
    async fn allocate<C: SqlConn>(
        &mut self,
        conn: &mut C,
        kind: NumberKind,
        year: u16,
    ) -> Result<u32, StoreError> {
        let key = (kind.prefix(), year);
        let read = self
            .read
            .as_ref()
            .filter(|(y, _)| *y == year)
            .map(|(_, read)| {
                read.iter()
                    .find(|(kind, _)| kind == key.0)
                    .map_or(0, |(_, next)| *next)
            });
        let current = match self.next.get(&key).copied().or(read) {
            Some(n) => n,
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

    /// The changed counters as rows of `counters (kind, year, next)`.
    fn rows(&self) -> Vec<Vec<SqlValue>> {
        self.changed
            .iter()
            .map(|key| {
                vec![
                    SqlValue::text(key.0),
                    SqlValue::int(key.1),
                    SqlValue::int(self.next.get(key).copied().unwrap_or(0)),
                ]
            })
            .collect()
    }

    async fn write<C: SqlConn>(&self, conn: &mut C) -> Result<(), StoreError> {
        for row in self.rows() {
            conn.execute(
                "INSERT INTO counters (kind, year, next) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind, year) DO UPDATE SET next = $3",
                &row,
            )
            .await?;
        }
        Ok(())
    }
}

/// What the batch has done so far that is written at its end.
struct Pending {
    /// The sequence number of the batch's last journal entry so far.
    seq: u64,
    counters: Counters,
    journal: Vec<Unsealed>,
    /// Correlation keys of the events the batch has stored, written to
    /// `event_observables` at its end and meanwhile matched in memory.
    keys: BatchKeys,
}

/// A journal entry of the batch, numbered but not yet written out: its
/// payload and hash are made when the batch is sealed ([`seal`]).
struct Unsealed {
    seq: u64,
    at: String,
    actor: String,
    draft: crate::JournalDraft,
}

/// From how many entries a batch's payloads are written out on every core.
const SEAL_IN_PARALLEL_FROM: usize = 64;

/// Seals the batch's entries: writes out their payloads as canonical JSON,
/// many at once on every core (nothing in a payload depends on the entry
/// before it), then chains their hashes from `previous`, one after another.
fn seal(previous: &str, unsealed: Vec<Unsealed>) -> Vec<JournalEntry> {
    use rayon::prelude::*;
    let payload = |u: &Unsealed| canonical_json(&u.draft.action.payload());
    let payloads: Vec<String> = if unsealed.len() >= SEAL_IN_PARALLEL_FROM {
        unsealed.par_iter().with_min_len(16).map(payload).collect()
    } else {
        unsealed.iter().map(payload).collect()
    };
    let mut previous = previous.to_owned();
    unsealed
        .into_iter()
        .zip(payloads)
        .map(|(u, payload)| {
            let mut entry = JournalEntry {
                seq: u.seq,
                at: u.at,
                actor: u.actor,
                action: u.draft.name().to_owned(),
                entity: u.draft.entity,
                payload,
                hash: String::new(),
            };
            entry.hash = entry.compute_hash(&previous);
            previous.clone_from(&entry.hash);
            entry
        })
        .collect()
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

/// Locks the journal head and returns it, then reads the number counters
/// of `year` (which most units of the batch allocate in).
async fn lock_head<C: SqlConn>(
    conn: &mut C,
    dialect: Dialect,
    year: u16,
    counters: &mut Counters,
) -> Result<(u64, String), StoreError> {
    let sql = match dialect {
        Dialect::Sqlite => "SELECT seq, hash FROM journal_head WHERE id = 1",
        // Also plans the transaction without bitmap scans: the newest few
        // events sharing a key are then read backwards along the key's
        // index, however many share it. A bitmap scan reads all of them and
        // sorts them, which the planner prefers for a key it expects few
        // events to share; a key most events share (a domain every alert
        // names) would cost each batch more as the events grow. The
        // statements' plans are cached as PostgreSQL sees fit: planning the
        // batch's statements anew each time cost about a fifth of a batch,
        // and a plan cached while a table was small is made again each time
        // `Statistics` refreshes the tables' statistics (after 1,000 records,
        // then after twice as many again each time, at most 100,000).
        Dialect::Postgres => {
            "SELECT seq, hash, set_config('enable_bitmapscan', 'off', true) \
             FROM journal_head WHERE id = 1 FOR UPDATE"
        }
    };
    let rows = conn.fetch(sql, &[], &[ColType::Int, ColType::Text]).await?;
    let head = match rows.first().map(Vec::as_slice) {
        Some([SqlValue::Int(Some(seq)), SqlValue::Text(Some(hash)), ..]) => {
            (u64::try_from(*seq).unwrap_or(0), hash.clone())
        }
        _ => return Err(StoreError::Corrupt("journal_head row is missing".into())),
    };
    // A statement of its own: on PostgreSQL, one that waited for the lock
    // sees the head as the writer before it left it, but the rest of what it
    // reads as it was when it began.
    let rows = conn
        .fetch(
            "SELECT kind, next FROM counters WHERE year = $1",
            &[SqlValue::int(year)],
            &[ColType::Text, ColType::Int],
        )
        .await?;
    let read: ReadCounters = rows
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [SqlValue::Text(Some(kind)), SqlValue::Int(Some(next))] => Some((kind.clone(), *next)),
            _ => None,
        })
        .collect();
    counters.read = Some((year, read));
    Ok(head)
}

async fn run_units<C: SqlConn>(
    conn: &mut C,
    dialect: Dialect,
    clock: &dyn Clock,
    units: Vec<UnitOfWork>,
) -> Result<Vec<Result<Committed, StoreError>>, StoreError> {
    let mut counters = Counters::default();
    let head = lock_head(conn, dialect, year_of(clock.now())?, &mut counters).await?;
    // PostgreSQL reads what the units need ahead and writes their events
    // behind (see `ahead`): a round trip each would cost more than the work.
    let mut ahead = match dialect {
        Dialect::Postgres => Some(Ahead::read(conn, &units).await?),
        Dialect::Sqlite => None,
    };
    let mut pending = Pending {
        seq: head.0,
        counters,
        journal: Vec::new(),
        keys: BatchKeys::default(),
    };
    let mut results = Vec::with_capacity(units.len());
    // How many journal entries each committed unit added, in order.
    let mut entries_of = Vec::with_capacity(units.len());
    for (index, unit) in units.into_iter().enumerate() {
        let before = (
            pending.seq,
            pending.counters.clone(),
            pending.journal.len(),
            pending.keys.len(),
        );
        let outcome = run_unit(
            conn,
            dialect,
            clock,
            (index, unit),
            &mut pending,
            ahead.as_mut(),
        )
        .await;
        match outcome {
            Ok((done, release)) => {
                if release {
                    // A repeated alert: its numbers go back, its writes stay.
                    pending.counters = before.1;
                }
                entries_of.push(pending.journal.len() - before.2);
                results.push(Ok(done));
            }
            // A failure that may have left the transaction unusable fails the batch.
            Err(UnitError::Fatal(e)) => return Err(e),
            Err(UnitError::Refused(e)) => {
                // Nothing of the unit survives: its numbers, journal entries and keys go back.
                pending.seq = before.0;
                pending.counters = before.1;
                pending.journal.truncate(before.2);
                pending.keys.truncate(before.3);
                results.push(Err(e));
            }
        }
    }
    let journal = seal(&head.1, pending.journal);
    match ahead.as_mut() {
        Some(ahead) => {
            end_postgres(conn, ahead, &pending.counters, &pending.keys.rows, &journal).await?
        }
        None => end_sqlite(conn, &pending.counters, &pending.keys.rows, &journal).await?,
    }
    // Each committed unit gets its own entries back, sealed.
    let mut journal = journal.into_iter();
    for (done, count) in results.iter_mut().flatten().zip(entries_of) {
        done.journal = journal.by_ref().take(count).collect();
    }
    Ok(results)
}

/// A row of `event_observables (event, key, reported_at)`.
fn key_row(row: &KeyRow) -> [SqlValue; 3] {
    [
        SqlValue::text(row.event.clone()),
        SqlValue::text(row.key.clone()),
        SqlValue::text(row.reported_at.clone()),
    ]
}

/// A row of `journal (seq, at, actor, action, entity, payload, hash)`.
fn journal_row(e: &JournalEntry) -> [SqlValue; 7] {
    [
        SqlValue::int(i64::try_from(e.seq).unwrap_or(i64::MAX)),
        SqlValue::text(e.at.clone()),
        SqlValue::text(e.actor.clone()),
        SqlValue::text(e.action.clone()),
        SqlValue::text(e.entity.clone()),
        SqlValue::text(e.payload.clone()),
        SqlValue::text(e.hash.clone()),
    ]
}

const KEYS_INTO: &str = "event_observables (event, key, reported_at)";
const JOURNAL_INTO: &str = "journal (seq, at, actor, action, entity, payload, hash)";

/// SQLite: writes what the batch keeps for its end (its counters, keys,
/// journal entries and head), a few statements each, with no round trip.
async fn end_sqlite<C: SqlConn>(
    conn: &mut C,
    counters: &Counters,
    keys: &[KeyRow],
    journal: &[JournalEntry],
) -> Result<(), StoreError> {
    counters.write(conn).await?;
    append_rows(conn, KEYS_INTO, keys, key_row).await?;
    append_rows(conn, JOURNAL_INTO, journal, journal_row).await?;
    if let Some(last) = journal.last() {
        conn.execute(
            "UPDATE journal_head SET seq = $1, hash = $2 WHERE id = 1",
            &[
                SqlValue::int(i64::try_from(last.seq).unwrap_or(i64::MAX)),
                SqlValue::text(last.hash.clone()),
            ],
        )
        .await?;
    }
    Ok(())
}

/// PostgreSQL: writes everything the batch kept for its end in one
/// statement, one round trip: the events written behind (new and
/// changed), the counters, the keys, the journal entries and its head.
async fn end_postgres<C: SqlConn>(
    conn: &mut C,
    ahead: &mut Ahead,
    counters: &Counters,
    keys: &[KeyRow],
    journal: &[JournalEntry],
) -> Result<(), StoreError> {
    // Events written since the read-ahead ended are in the database already.
    let behind = if ahead.on() {
        Some(ahead.take()?)
    } else {
        None
    };
    let no_rows = Vec::new();
    let (events_into, events_width, new, changed, columns) = match &behind {
        Some(b) => (
            b.into.as_str(),
            b.names.len(),
            &b.new,
            &b.changed,
            b.columns(),
        ),
        None => ("events", 0, &no_rows, &no_rows, &[][..]),
    };
    let counters = counters.rows();
    let keys: Vec<Vec<SqlValue>> = keys.iter().map(|r| key_row(r).into()).collect();
    let entries: Vec<Vec<SqlValue>> = journal.iter().map(|e| journal_row(e).into()).collect();
    let head: Vec<Vec<SqlValue>> = journal
        .last()
        .map(|last| {
            vec![vec![
                SqlValue::int(1),
                SqlValue::int(i64::try_from(last.seq).unwrap_or(i64::MAX)),
                SqlValue::text(last.hash.clone()),
            ]]
        })
        .unwrap_or_default();
    let updated = unnest::combined(
        conn,
        "batch end",
        &[
            Part::Insert {
                into: events_into,
                width: events_width,
                rows: new,
                then: "",
            },
            Part::Update {
                table: "events",
                key: "number",
                columns,
                rows: changed,
            },
            Part::Insert {
                into: "counters (kind, year, next)",
                width: 3,
                rows: &counters,
                then: "ON CONFLICT (kind, year) DO UPDATE SET next = EXCLUDED.next",
            },
            Part::Insert {
                into: KEYS_INTO,
                width: 3,
                rows: &keys,
                then: "",
            },
            Part::Insert {
                into: JOURNAL_INTO,
                width: 7,
                rows: &entries,
                then: "",
            },
            Part::Update {
                table: "journal_head",
                key: "id",
                columns: &["seq", "hash"],
                rows: &head,
            },
        ],
    )
    .await?;
    // One count for each update that had rows, in order.
    let mut updated = updated.into_iter();
    if let Some(b) = behind.as_ref().filter(|b| !b.changed.is_empty()) {
        b.check(updated.next().unwrap_or(0))?;
    }
    if !head.is_empty() && updated.next() != Some(1) {
        return Err(StoreError::Corrupt("journal_head row is missing".into()));
    }
    Ok(())
}

/// The year of `now`, as number counters count it.
fn year_of(now: rampart_domain::Timestamp) -> Result<u16, StoreError> {
    u16::try_from(now.year())
        .map_err(|_| StoreError::Corrupt(format!("year {} out of range", now.year())))
}

/// Inserts rows into `into` (a table and its columns), many rows a
/// statement (SQLite).
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

/// Runs unit `index` of the batch; returns what it wrote and whether its
/// numbers go back ([`Decision::release_numbers`](crate::Decision::release_numbers)).
async fn run_unit<C: SqlConn>(
    conn: &mut C,
    dialect: Dialect,
    clock: &dyn Clock,
    (index, unit): (usize, UnitOfWork),
    pending: &mut Pending,
    mut ahead: Option<&mut Ahead>,
) -> Result<(Committed, bool), UnitError> {
    let now = clock.now();
    // Reads only until the decision: a refusal up to there changes nothing.
    let loaded = match ahead.as_deref_mut().filter(|a| a.on()) {
        Some(ahead) => ahead.loads(index, &unit.load)?,
        None => {
            let mut loaded = Vec::with_capacity(unit.load.len());
            for key in &unit.load {
                loaded.push(load(conn, key).await?);
            }
            loaded
        }
    };
    let year = year_of(now)?;
    let mut numbers = Vec::with_capacity(unit.allocate.len());
    let mut events = Vec::new();
    for kind in &unit.allocate {
        let number = (year, pending.counters.allocate(conn, *kind, year).await?);
        if *kind == NumberKind::Event {
            events.push(number);
        }
        numbers.push(number);
    }
    let reading_ahead = ahead.as_deref().filter(|a| a.on());
    let correlated = match &unit.correlate {
        Some(query) => correlated(conn, query, &pending.keys, reading_ahead).await?,
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
    let release = decision.release_numbers;
    let entities = match ahead.filter(|a| a.on()) {
        Some(ahead) => match ahead.behind(&decision.writes, &events) {
            Some(rows) => {
                let (entities, inserted) = ahead.write_behind(decision.writes, rows);
                pending.note_events(&entities, &inserted);
                entities
            }
            None => {
                // The rest of the batch reads and writes as it goes, from
                // what the units before this one wrote.
                ahead.write(conn).await.map_err(UnitError::Fatal)?;
                write_now(conn, dialect, decision.writes, pending).await?
            }
        },
        None => write_now(conn, dialect, decision.writes, pending).await?,
    };
    let at = now.to_rfc3339();
    for draft in decision.journal {
        pending.seq += 1;
        pending.journal.push(Unsealed {
            seq: pending.seq,
            at: at.clone(),
            actor: unit.actor.clone(),
            draft,
        });
    }
    // The entries are sealed and handed back with the batch (`run_units`).
    let journal = Vec::new();
    Ok((Committed { entities, journal }, release))
}

/// Applies a unit's writes now, in a savepoint where a failure could leave
/// part of them; returns the records written.
async fn write_now<C: SqlConn>(
    conn: &mut C,
    dialect: Dialect,
    writes: Vec<Write>,
    pending: &mut Pending,
) -> Result<Vec<Entity>, UnitError> {
    // One statement fails or succeeds whole on SQLite; more than one, or any
    // on PostgreSQL (where an error spoils the transaction), needs a savepoint.
    let guarded = dialect == Dialect::Postgres || writes.len() > 1;
    if guarded {
        conn.execute("SAVEPOINT unit", &[])
            .await
            .map_err(UnitError::Fatal)?;
    }
    let written = write_all(conn, writes).await.map(|(entities, inserted)| {
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
    match written {
        Ok(entities) => Ok(entities),
        Err(e @ StoreError::Domain(_)) => Err(UnitError::Refused(e)),
        // Without a savepoint, an unexpected failure may have ended the transaction.
        Err(e) if !guarded => Err(UnitError::Fatal(e)),
        Err(e) => Err(UnitError::Refused(e)),
    }
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
                if let Entity::Incident(incident) = &e {
                    super::observables::index_incident(conn, incident).await?;
                    super::figures::keep_incident(conn, incident, true).await?;
                }
                inserted.push(entities.len());
                e
            }
            Write::Update(e) => {
                update(conn, &e).await?;
                if let Entity::Incident(incident) = &e {
                    super::observables::index_incident(conn, incident).await?;
                    super::figures::keep_incident(conn, incident, false).await?;
                }
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
            Write::Enqueue(job) => {
                let params =
                    super::jobs::enqueue_params(&job.kind, &job.key, &job.payload, job.run_after);
                conn.execute(super::jobs::ENQUEUE, &params).await?;
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
        };
        entities.push(entity);
    }
    Ok((entities, inserted))
}

#[cfg(test)]
mod tests {
    use rampart_domain::JournalAction;
    use rampart_domain::journal::NotificationRead;

    use super::{SEAL_IN_PARALLEL_FROM, Unsealed, seal};
    use crate::JournalDraft;
    use crate::journal::{GENESIS, canonical_json};

    fn unsealed(seqs: std::ops::RangeInclusive<u64>) -> Vec<Unsealed> {
        seqs.map(|seq| Unsealed {
            seq,
            at: format!("2026-12-06T10:00:{:02}.000000Z", seq % 60),
            actor: "ann".into(),
            draft: JournalDraft::new(
                "inbox:ann",
                JournalAction::NotificationRead(NotificationRead {
                    ids: vec![format!("n{seq}"), "\"quoted\" é".into()],
                }),
            ),
        })
        .collect()
    }

    #[test]
    fn a_batch_sealed_on_every_core_chains_as_entries_sealed_one_by_one() {
        let count = 4 * SEAL_IN_PARALLEL_FROM as u64;
        let sealed = seal(GENESIS, unsealed(1..=count));
        assert_eq!(sealed.len(), 4 * SEAL_IN_PARALLEL_FROM);
        let mut previous = GENESIS.to_owned();
        for (entry, draft) in sealed.iter().zip(unsealed(1..=count)) {
            assert_eq!(entry.seq, draft.seq);
            assert_eq!(entry.action, "notification.read");
            assert_eq!(entry.payload, canonical_json(&draft.draft.action.payload()));
            assert_eq!(
                entry.hash,
                entry.compute_hash(&previous),
                "entry {}",
                entry.seq
            );
            previous.clone_from(&entry.hash);
        }
        // Sealed a few at a time (each part below the parallel threshold),
        // the same entries chain to the same hashes.
        let mut head = GENESIS.to_owned();
        let mut one_by_one = Vec::new();
        for start in (1..=count).step_by(10) {
            let part = seal(&head, unsealed(start..=(start + 9).min(count)));
            head.clone_from(&part.last().expect("a part").hash);
            one_by_one.extend(part);
        }
        assert_eq!(one_by_one, sealed);
    }
}
