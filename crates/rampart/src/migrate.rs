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

use anyhow::{Context, bail};
use rampart_domain::Clock;
use rampart_store::{Store, Verification};
use sqlx::{Connection, Row};

/// Rows per multi-row `INSERT`: well below PostgreSQL's 65,535 parameters.
const MAX_PARAMS: usize = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
}

/// One value as read from SQLite.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// A destination table: its columns in order, and whether it numbers its rows itself.
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    identity: Option<String>,
}

pub async fn migrate(data_dir: &Path, url: &str, clock: Arc<dyn Clock>) -> anyhow::Result<String> {
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
    let tables = destination_tables(&mut to).await?;
    check_same_tables(&mut from, &tables).await?;

    sqlx::raw_sql("BEGIN").execute(&mut from).await?;
    let mut tx = to.begin().await?;
    let mut copied = BTreeMap::new();
    for table in &tables {
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
        let rows = read_table(&mut from, table).await?;
        copied.insert(table.name.clone(), rows.len());
        write_table(&mut tx, table, &rows).await?;
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
    let rows: usize = copied.values().sum();
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
async fn check_same_tables(
    from: &mut sqlx::SqliteConnection,
    tables: &[Table],
) -> anyhow::Result<()> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *from)
    .await?;
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
    }
    Ok(())
}

async fn read_table(
    from: &mut sqlx::SqliteConnection,
    table: &Table,
) -> anyhow::Result<Vec<Vec<Value>>> {
    let names: Vec<&str> = table.columns.iter().map(|c| c.0.as_str()).collect();
    let order = table
        .identity
        .as_deref()
        .map(|c| format!(" ORDER BY {c}"))
        .unwrap_or_default();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM {}{order}",
        names.join(", "),
        table.name
    )))
    .fetch_all(&mut *from)
    .await
    .with_context(|| format!("cannot read {}", table.name))?;
    rows.iter()
        .map(|row| {
            table
                .columns
                .iter()
                .enumerate()
                .map(|(i, (column, kind))| {
                    Ok(match kind {
                        Kind::Int => {
                            Value::Int(row.try_get(i).with_context(|| {
                                format!("{}.{column}: not an integer", table.name)
                            })?)
                        }
                        Kind::Text => Value::Text(
                            row.try_get(i)
                                .with_context(|| format!("{}.{column}: not text", table.name))?,
                        ),
                    })
                })
                .collect()
        })
        .collect()
}

async fn write_table(
    tx: &mut sqlx::PgConnection,
    table: &Table,
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    let width = table.columns.len().max(1);
    let names: Vec<&str> = table.columns.iter().map(|c| c.0.as_str()).collect();
    for chunk in rows.chunks((MAX_PARAMS / width).max(1)) {
        let mut sql = format!(
            "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES ",
            table.name,
            names.join(", ")
        );
        let mut n = 0;
        for (r, _) in chunk.iter().enumerate() {
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
        for row in chunk {
            for value in row {
                query = match value {
                    Value::Int(v) => query.bind(*v),
                    Value::Text(v) => query.bind(v.clone()),
                };
            }
        }
        query
            .execute(&mut *tx)
            .await
            .with_context(|| format!("cannot write {}", table.name))?;
    }
    Ok(())
}
