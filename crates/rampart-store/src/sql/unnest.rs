//! Many rows in one PostgreSQL statement, whatever their number: each column
//! travels as one array, written as an array literal and bound as text, and
//! `unnest` turns the arrays back into rows. One statement shape serves every
//! batch size, and a batch of any size costs one round trip per table.

use std::fmt::Write as _;

use super::{SqlConn, SqlValue, statement};
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
    (0..width)
        .map(|at| {
            let (array, kind) = column(rows, at);
            (array, format!("${}::{kind}", at + 1))
        })
        .unzip()
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
        let sets: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = u.c{}", i + 1))
            .collect();
        let names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
        format!(
            "UPDATE {table} AS t SET {} FROM unnest({}) AS u({}) WHERE t.{key} = u.c0",
            sets.join(", "),
            casts.join(", "),
            names.join(", ")
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
