//! Many rows in one PostgreSQL statement, whatever their number: each column
//! travels as one array, written as an array literal and bound as text, and
//! `unnest` turns the arrays back into rows. One statement shape serves every
//! batch size, and a batch of any size costs one round trip per table, or
//! one for several tables ([`combined`]).

use std::fmt::Write as _;

use super::{ColType, SqlConn, SqlValue, statement};
use crate::StoreError;

/// One column of `rows` (all of one kind) as an array literal bound as
/// text, and the array type to cast it to.
fn column(rows: &[Vec<SqlValue>], at: usize) -> (SqlValue, &'static str) {
    let size: usize = rows
        .iter()
        .map(|row| match row.get(at) {
            Some(SqlValue::Text(Some(text))) => text.len() + 3,
            _ => 21,
        })
        .sum();
    let mut literal = String::with_capacity(size + 2);
    literal.push('{');
    let mut kind = "text[]";
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        match row.get(at) {
            Some(SqlValue::Int(value)) => {
                kind = "bigint[]";
                match value {
                    Some(n) => {
                        let _ = write!(literal, "{n}");
                    }
                    None => literal.push_str("NULL"),
                }
            }
            Some(SqlValue::Text(Some(text))) => {
                literal.push('"');
                // Inside double quotes only these two need a backslash (both
                // ASCII, so never inside a character of several bytes).
                let mut from = 0;
                for (i, b) in text.bytes().enumerate() {
                    if b == b'"' || b == b'\\' {
                        literal.push_str(&text[from..i]);
                        literal.push('\\');
                        from = i;
                    }
                }
                literal.push_str(&text[from..]);
                literal.push('"');
            }
            Some(SqlValue::Text(None)) | None => literal.push_str("NULL"),
        }
    }
    literal.push('}');
    (SqlValue::Text(Some(literal)), kind)
}

/// The arrays of `width` columns of `rows`, and their casts (`$1::text[]`, ...).
fn arrays(rows: &[Vec<SqlValue>], width: usize) -> (Vec<SqlValue>, Vec<String>) {
    arrays_from(rows, width, 1)
}

/// As [`arrays`], the first parameter numbered `first`.
fn arrays_from(rows: &[Vec<SqlValue>], width: usize, first: usize) -> (Vec<SqlValue>, Vec<String>) {
    (0..width)
        .map(|at| {
            let (array, kind) = column(rows, at);
            (array, format!("${}::{kind}", at + first))
        })
        .unzip()
}

/// The `SET` list and row names of an update by key (`c0` the key).
fn update_lists(columns: &[&'static str]) -> (String, String) {
    let sets: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = u.c{}", i + 1))
        .collect();
    let names: Vec<String> = (0..=columns.len()).map(|i| format!("c{i}")).collect();
    (sets.join(", "), names.join(", "))
}

/// One write of a [`combined`] statement.
pub(super) enum Part<'a> {
    /// `rows` inserted into `into` (a table and its columns), followed by
    /// `then` (an `ON CONFLICT` clause, or nothing).
    Insert {
        into: &'a str,
        width: usize,
        rows: &'a [Vec<SqlValue>],
        then: &'static str,
    },
    /// `columns` of the rows of `table` whose `key` is the first value of
    /// each of `rows` set to the values that follow it.
    Update {
        table: &'static str,
        key: &'static str,
        columns: &'a [&'static str],
        rows: &'a [Vec<SqlValue>],
    },
}

impl Part<'_> {
    fn rows(&self) -> &[Vec<SqlValue>] {
        match self {
            Self::Insert { rows, .. } | Self::Update { rows, .. } => rows,
        }
    }
}

/// Several writes in one statement (and one round trip), each a
/// data-modifying `WITH` part; parts without rows are left out. Returns
/// how many rows each update changed, in order. `cache` names the
/// statement's family: its text is kept for each set of parts present.
pub(super) async fn combined<C: SqlConn>(
    conn: &mut C,
    cache: &'static str,
    parts: &[Part<'_>],
) -> Result<Vec<u64>, StoreError> {
    let present: Vec<&Part<'_>> = parts.iter().filter(|p| !p.rows().is_empty()).collect();
    if present.is_empty() {
        return Ok(vec![]);
    }
    let shape = parts
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.rows().is_empty())
        .fold(0usize, |shape, (i, _)| shape | 1 << i);
    // The arrays are made for every statement; its text only the first
    // time a shape is seen.
    let mut params = Vec::new();
    let mut casts = Vec::with_capacity(present.len());
    for part in &present {
        let width = match part {
            Part::Insert { width, .. } => *width,
            Part::Update { columns, .. } => columns.len() + 1,
        };
        let (arrays, part_casts) = arrays_from(part.rows(), width, params.len() + 1);
        params.extend(arrays);
        casts.push(part_casts.join(", "));
    }
    let updates = present
        .iter()
        .filter(|p| matches!(p, Part::Update { .. }))
        .count();
    let sql = statement("combined", cache, shape, || {
        let mut withs = Vec::with_capacity(present.len());
        let mut counts = Vec::new();
        for (i, (part, casts)) in present.iter().zip(&casts).enumerate() {
            match part {
                Part::Insert { into, then, .. } => withs.push(format!(
                    "w{i} AS (INSERT INTO {into} SELECT * FROM unnest({casts}) {then})"
                )),
                Part::Update {
                    table,
                    key,
                    columns,
                    ..
                } => {
                    let (sets, names) = update_lists(columns);
                    withs.push(format!(
                        "w{i} AS (UPDATE {table} AS t SET {sets} FROM unnest({casts}) \
                         AS u({names}) WHERE t.{key} = u.c0 RETURNING 1)"
                    ));
                    counts.push(format!("(SELECT count(*) FROM w{i})"));
                }
            }
        }
        let select = if counts.is_empty() {
            "0::bigint".to_owned()
        } else {
            counts.join(", ")
        };
        format!("WITH {} SELECT {select}", withs.join(", "))
    });
    let types = vec![ColType::Int; updates.max(1)];
    let rows = conn.fetch(sql, &params, &types).await?;
    let row = rows.into_iter().next().unwrap_or_default();
    Ok(row
        .iter()
        .take(updates)
        .map(|v| v.as_i64().and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
        .collect())
}

/// Inserts `rows` into `into` (a table and its columns, `width` of them),
/// in their order, in one statement. `cache` names the statement's shape.
pub(super) async fn insert<C: SqlConn>(
    conn: &mut C,
    cache: &'static str,
    into: impl FnOnce() -> String,
    width: usize,
    rows: &[Vec<SqlValue>],
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let (params, casts) = arrays(rows, width);
    let sql = statement("unnest insert", cache, width, || {
        format!(
            "INSERT INTO {} SELECT * FROM unnest({})",
            into(),
            casts.join(", ")
        )
    });
    conn.execute(sql, &params).await
}

/// Sets `columns` of the rows of `table` whose `key` is the first value of
/// each of `rows` to the values that follow it, in one statement; returns
/// how many rows changed. Each key appears once in `rows`.
pub(super) async fn update<C: SqlConn>(
    conn: &mut C,
    table: &'static str,
    key: &'static str,
    columns: &[&'static str],
    rows: &[Vec<SqlValue>],
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let width = columns.len() + 1;
    let (params, casts) = arrays(rows, width);
    let sql = statement("unnest update", table, width, || {
        let (sets, names) = update_lists(columns);
        format!(
            "UPDATE {table} AS t SET {sets} FROM unnest({}) AS u({names}) WHERE t.{key} = u.c0",
            casts.join(", "),
        )
    });
    conn.execute(sql, &params).await
}

/// `texts` as one array literal bound as text, for `$n::text[]`.
pub(super) fn texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> SqlValue {
    let rows: Vec<Vec<SqlValue>> = texts.into_iter().map(|t| vec![SqlValue::text(t)]).collect();
    column(&rows, 0).0
}

/// `ints` as one array literal bound as text, for `$n::bigint[]`.
pub(super) fn ints(ints: &[i64]) -> SqlValue {
    let rows: Vec<Vec<SqlValue>> = ints.iter().map(|&i| vec![SqlValue::int(i)]).collect();
    column(&rows, 0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_keep_every_character_and_null() {
        let rows = vec![
            vec![
                SqlValue::text(r#"a "quoted" \ back\\ zürich ""#),
                SqlValue::Int(Some(-3)),
            ],
            vec![SqlValue::Text(None), SqlValue::Int(None)],
            vec![SqlValue::text("{,} NULL"), SqlValue::int(7)],
        ];
        let (params, casts) = arrays(&rows, 2);
        assert_eq!(
            params,
            vec![
                SqlValue::text(r#"{"a \"quoted\" \\ back\\\\ zürich \"",NULL,"{,} NULL"}"#),
                SqlValue::text("{-3,NULL,7}"),
            ]
        );
        assert_eq!(casts, vec!["$1::text[]", "$2::bigint[]"]);
        assert_eq!(texts(["", "x"]), SqlValue::text(r#"{"","x"}"#));
        assert_eq!(ints(&[4, -1]), SqlValue::text("{4,-1}"));
    }
}
