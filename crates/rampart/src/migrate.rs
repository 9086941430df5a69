//! `rampart migrate-store`: moves an installation's database from SQLite to
//! PostgreSQL, row for row, so numbers, the journal and its hash chain are
//! the same records afterwards. Evidence content and the signing key are
//! files and stay where they are.
//!
//! The source is read in one read transaction (one consistent moment); the
//! destination is written in one transaction, so a copy that fails leaves
//! it as it was. Both must hold the same schema version: the source is
//! brought up to date first, as any start of the server would.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rampart_domain::Clock;
use rampart_store::{Store, Verification};
use sqlx::{Connection, Row};

/// Values per multi-row `INSERT`: well below PostgreSQL's 65,535 parameters.
/// A chunk of a table is at most as many rows as one `INSERT` takes.
const MAX_PARAMS: usize = 30_000;

/// Tables the database keeps from others' rows by triggers: the counts
/// (migrations 17 and 31) and the rows the text index has not taken in yet
/// (migrations 18 and 20). Not copied, but made again as the rows they
/// count are written.
const DERIVED: [&str; 3] = ["tallies", "event_figures", "search_pending"];

/// Whether only PostgreSQL has `table` (migration 20): the companion of
/// each indexed table (`events_text`, ...), holding its text index, filled
/// from the rows noted in `search_pending` once the copy is done. SQLite
/// keeps its text indexes in virtual tables, which stay behind.
fn postgres_only(table: &str) -> bool {
    rampart_store::sql::INDEXED_TABLES
        .iter()
        .any(|indexed| table.strip_suffix("_text") == Some(indexed))
}

/// Progress is reported at most this often while a table is copied.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
}

/// One value as read from SQLite.
#[derive(Clone)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// How a table's rows are read in order, a chunk at a time.
enum Key {
    /// A rowid table: by its rowid.
    Rowid,
    /// A table without rowid: by its primary key, these columns (positions
    /// in `Table::columns`).
    Primary(Vec<usize>),
}

/// A destination table: its columns in order, whether it numbers its rows
/// itself, and how its rows are read from SQLite.
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    identity: Option<String>,
    key: Key,
}

/// How far the copy of one table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    pub table: &'a str,
    /// Rows written so far.
    pub copied: u64,
    /// Rows the table holds.
    pub total: u64,
}

/// Moves the SQLite installation in `data_dir` to the PostgreSQL database at
/// `url` and returns a summary. Tables are read and written in chunks of at
/// most `chunk_rows` rows (`None`: as many as one `INSERT` takes), so memory
/// does not grow with their size. `progress` is told how far each table is,
/// at most once a second while it is copied and once when it is done.
pub async fn migrate(
    data_dir: &Path,
    url: &str,
    clock: Arc<dyn Clock>,
    chunk_rows: Option<usize>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> anyhow::Result<String> {
    // Both at the current schema.
    let source = rampart_store_sqlite::open(data_dir, clock.clone()).await?;
    let source_head = match rampart_store::journal::verify(&source).await? {
        Verification::Intact { count, head } => (count, head),
        broken => bail!("the SQLite journal does not verify ({broken}); nothing was moved"),
    };
    source.backend().close().await;
    drop(source);
    let before_empty = rampart_store_pg::is_empty(url).await?;
    let target = rampart_store_pg::open(url, clock.clone()).await?;
    if !before_empty && !unused(&target).await? {
        bail!(
            "the PostgreSQL database holds records already; migrate into an empty database (or one only `rampart` migrations ran in)"
        );
    }
    drop(target);

    let sqlite_url = format!(
        "sqlite://{}",
        data_dir.join(rampart_store_sqlite::DATABASE_FILE).display()
    );
    let mut from = sqlx::SqliteConnection::connect(&sqlite_url)
        .await
        .context("cannot open the SQLite database")?;
    let mut to = sqlx::PgConnection::connect(url)
        .await
        .context("cannot connect to PostgreSQL")?;
    let mut tables = destination_tables(&mut to).await?;
    check_same_tables(&mut from, &mut tables).await?;

    sqlx::raw_sql("BEGIN").execute(&mut from).await?;
    let mut tx = to.begin().await?;
    let mut copied = BTreeMap::new();
    for table in &tables {
        if DERIVED.contains(&table.name.as_str()) {
            // Filled by the destination's triggers as the records arrive.
            continue;
        }
        // Rows the migrations seeded (the empty journal head) make way.
        let seeded: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            table.name
        )))
        .fetch_one(&mut *tx)
        .await?;
        if seeded > 0 {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DELETE FROM {}", table.name)))
                .execute(&mut *tx)
                .await
                .with_context(|| format!("{}: cannot clear the seeded rows", table.name))?;
        }
        let rows = copy_table(&mut from, &mut tx, table, chunk_rows, &mut *progress).await?;
        copied.insert(table.name.clone(), rows);
        if let Some(column) = &table.identity {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{t}', '{column}'), \
                 GREATEST((SELECT max({column}) FROM {t}), 1), \
                 (SELECT max({column}) FROM {t}) IS NOT NULL)",
                t = table.name
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    sqlx::raw_sql("COMMIT").execute(&mut from).await?;
    from.close().await?;
    to.close().await?;
    // Statistics for the planner, which otherwise plans for empty tables.
    rampart_store_pg::analyze(url).await?;

    // The moved installation must hold up on its own, with the same chain.
    let moved = rampart_store_pg::open_existing(url, clock).await?;
    let (count, head) = match rampart_store::journal::verify(&moved).await? {
        Verification::Intact { count, head } => (count, head),
        broken => bail!("the moved journal does not verify: {broken}"),
    };
    if (count, head.as_str()) != (source_head.0, source_head.1.as_str()) {
        bail!(
            "the SQLite journal changed while it was moved ({} entries with head {} at the start, {count} with head {head} moved): stop the server, empty the PostgreSQL database and run again",
            source_head.0,
            source_head.1
        );
    }
    let users = moved.user_count().await?;
    let rows: u64 = copied.values().sum();
    Ok(format!(
        "moved {rows} rows in {} tables ({users} users, {} events, {} incidents, {} evidence items); journal intact, {count} entries, head {head}",
        copied.len(),
        copied.get("events").copied().unwrap_or(0),
        copied.get("incidents").copied().unwrap_or(0),
        copied.get("evidence").copied().unwrap_or(0),
    ))
}

/// A database the migrations ran in and nobody used yet.
async fn unused(store: &dyn Store) -> anyhow::Result<bool> {
    Ok(store.user_count().await? == 0 && store.journal_head().await?.0 == 0)
}

async fn destination_tables(to: &mut sqlx::PgConnection) -> anyhow::Result<Vec<Table>> {
    let rows = sqlx::query(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_identity \
         FROM information_schema.columns c \
         JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name NOT LIKE '\\_sqlx%' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *to)
    .await?;
    let mut tables: Vec<Table> = Vec::new();
    for row in rows {
        let (table, column, kind, identity): (String, String, String, String) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        if postgres_only(&table) {
            continue;
        }
        let kind = match kind.as_str() {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "text" | "character varying" => Kind::Text,
            other => bail!("{table}.{column}: column type {other} cannot be moved"),
        };
        if tables.last().is_none_or(|t| t.name != table) {
            tables.push(Table {
                name: table.clone(),
                columns: Vec::new(),
                identity: None,
                key: Key::Rowid,
            });
        }
        if let Some(t) = tables.last_mut() {
            if identity == "YES" {
                t.identity = Some(column.clone());
            }
            t.columns.push((column, kind));
        }
    }
    // A table another refers to is written first.
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, confrelid::regclass::text \
         FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut *to)
    .await?;
    let mut ordered: Vec<Table> = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        let ready = tables.iter().position(|t| {
            references.iter().all(|(from, to)| {
                from != &t.name || to == &t.name || ordered.iter().any(|o| &o.name == to)
            })
        });
        match ready {
            Some(i) => ordered.push(tables.remove(i)),
            None => bail!("the tables' references form a cycle; they cannot be moved in order"),
        }
    }
    Ok(ordered)
}

/// The source must have the same tables and columns as the destination.
/// Learns how each table's rows are read in order.
async fn check_same_tables(
    from: &mut sqlx::SqliteConnection,
    tables: &mut [Table],
) -> anyhow::Result<()> {
    // Virtual tables and the shadow tables behind them hold SQLite's own
    // indexes of the records (such as text search), not records: they stay
    // behind.
    let stored: Vec<(String, bool)> = sqlx::query_as(
        "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *from)
    .await?;
    let names: Vec<&str> = stored.iter().map(|(name, _)| name.as_str()).collect();
    let mut wanted: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    wanted.sort_unstable();
    if names != wanted {
        bail!(
            "the two schemas differ: SQLite has tables {names:?}, PostgreSQL {wanted:?}; run both at the same Rampart version"
        );
    }
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{}') ORDER BY cid",
            table.name
        )))
        .fetch_all(&mut *from)
        .await?;
        let mut have = columns.clone();
        have.sort();
        let mut want: Vec<String> = table.columns.iter().map(|c| c.0.clone()).collect();
        want.sort();
        if have != want {
            bail!(
                "{}: SQLite has columns {columns:?}, PostgreSQL {want:?}; run both at the same Rampart version",
                table.name
            );
        }
        let without_rowid = stored.iter().any(|(name, wr)| name == &table.name && *wr);
        if without_rowid {
            let primary: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{}') WHERE pk > 0 ORDER BY pk",
                table.name
            )))
            .fetch_all(&mut *from)
            .await?;
            let positions = primary
                .iter()
                .map(|name| table.columns.iter().position(|c| &c.0 == name))
                .collect::<Option<Vec<usize>>>()
                .filter(|p| !p.is_empty())
                .with_context(|| format!("{}: no primary key to read it in order", table.name))?;
            table.key = Key::Primary(positions);
        }
    }
    Ok(())
}

/// Copies one table a chunk at a time, each chunk written before the next is
/// read; returns the rows copied.
async fn copy_table(
    from: &mut sqlx::SqliteConnection,
    to: &mut sqlx::PgConnection,
    table: &Table,
    chunk_rows: Option<usize>,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> anyhow::Result<u64> {
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {}",
        table.name
    )))
    .fetch_one(&mut *from)
    .await
    .with_context(|| format!("cannot count {}", table.name))?;
    let total = u64::try_from(total).unwrap_or(0);
    let per_insert = (MAX_PARAMS / table.columns.len().max(1)).max(1);
    let limit = chunk_rows.map_or(per_insert, |n| n.clamp(1, per_insert));
    let reader = Reader::new(table, limit);
    let mut after: Option<Vec<Value>> = None;
    let mut copied = 0u64;
    let mut reported = Instant::now();
    loop {
        let (rows, last) = reader.read(from, after.as_deref()).await?;
        let Some(last) = last else { break };
        let n = rows.len();
        write_rows(to, table, rows).await?;
        copied += n as u64;
        after = Some(last);
        if n < limit {
            break;
        }
        if reported.elapsed() >= PROGRESS_EVERY {
            progress(Progress {
                table: &table.name,
                copied,
                total,
            });
            reported = Instant::now();
        }
    }
    progress(Progress {
        table: &table.name,
        copied,
        total,
    });
    Ok(copied)
}

/// Reads a table's rows in key order, a chunk after a given key at a time.
struct Reader<'t> {
    table: &'t Table,
    /// The first chunk.
    first: String,
    /// A chunk after the key bound to its parameters.
    next: String,
}

impl<'t> Reader<'t> {
    fn new(table: &'t Table, limit: usize) -> Self {
        let names: Vec<&str> = table.columns.iter().map(|c| c.0.as_str()).collect();
        let (select, key) = match &table.key {
            Key::Rowid => (format!("rowid, {}", names.join(", ")), "rowid".to_owned()),
            Key::Primary(positions) => (
                names.join(", "),
                positions
                    .iter()
                    .map(|&p| names[p])
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        };
        let width = match &table.key {
            Key::Rowid => 1,
            Key::Primary(positions) => positions.len(),
        };
        let placeholders = vec!["?"; width].join(", ");
        Self {
            table,
            first: format!(
                "SELECT {select} FROM {} ORDER BY {key} LIMIT {limit}",
                table.name
            ),
            next: format!(
                "SELECT {select} FROM {} WHERE ({key}) > ({placeholders}) ORDER BY {key} LIMIT {limit}",
                table.name
            ),
        }
    }

    /// The chunk after `after` (the key of the last row read; `None`: from the
    /// start), and the key of its last row (`None`: no rows).
    async fn read(
        &self,
        from: &mut sqlx::SqliteConnection,
        after: Option<&[Value]>,
    ) -> anyhow::Result<(Vec<Vec<Value>>, Option<Vec<Value>>)> {
        let table = self.table;
        let rows = match after {
            None => sqlx::query(sqlx::AssertSqlSafe(self.first.as_str())),
            Some(key) => key.iter().fold(
                sqlx::query(sqlx::AssertSqlSafe(self.next.as_str())),
                |query, value| match value {
                    Value::Int(v) => query.bind(*v),
                    Value::Text(v) => query.bind(v.clone()),
                },
            ),
        }
        .fetch_all(&mut *from)
        .await
        .with_context(|| format!("cannot read {}", table.name))?;
        let skip = usize::from(matches!(table.key, Key::Rowid));
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, (column, kind)) in table.columns.iter().enumerate() {
                values.push(match kind {
                    Kind::Int => Value::Int(
                        row.try_get(i + skip)
                            .with_context(|| format!("{}.{column}: not an integer", table.name))?,
                    ),
                    Kind::Text => Value::Text(
                        row.try_get(i + skip)
                            .with_context(|| format!("{}.{column}: not text", table.name))?,
                    ),
                });
            }
            out.push(values);
        }
        let last = match (&table.key, rows.last(), out.last()) {
            (Key::Rowid, Some(row), _) => Some(vec![Value::Int(Some(
                row.try_get(0)
                    .with_context(|| format!("{}: no rowid", table.name))?,
            ))]),
            (Key::Primary(positions), _, Some(values)) => {
                Some(positions.iter().map(|&p| values[p].clone()).collect())
            }
            _ => None,
        };
        Ok((out, last))
    }
}

/// Writes rows, at most as many as one `INSERT` takes, in one `INSERT`.
async fn write_rows(
    to: &mut sqlx::PgConnection,
    table: &Table,
    rows: Vec<Vec<Value>>,
) -> anyhow::Result<()> {
    let width = table.columns.len().max(1);
    let names: Vec<&str> = table.columns.iter().map(|c| c.0.as_str()).collect();
    let mut sql = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES ",
        table.name,
        names.join(", ")
    );
    let mut n = 0;
    for r in 0..rows.len() {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            let _ = write!(sql, "${n}");
        }
        sql.push(')');
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        for value in row {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
            };
        }
    }
    query
        .execute(&mut *to)
        .await
        .with_context(|| format!("cannot write {}", table.name))?;
    Ok(())
}
