//! List queries: WHERE clauses with numbered placeholders, page sizes,
//! cursors and pages.

use rampart_domain::DomainError;
use serde::de::DeserializeOwned;

use super::SqlValue;
use super::rows::{like_literal, parse};
use crate::{MAX_PAGE, Page, StoreError};

/// Builds a WHERE clause with numbered placeholders.
#[derive(Default)]
pub(super) struct Filter {
    clauses: Vec<String>,
    pub(super) params: Vec<SqlValue>,
}

impl Filter {
    /// Adds a condition; `?` in `clause` stands for the next placeholder.
    pub(super) fn and(&mut self, clause: &str, values: Vec<SqlValue>) {
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

    pub(super) fn text(&mut self, column: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.and(&format!("{column} = ?"), vec![SqlValue::text(v)]);
        }
    }

    /// Case-insensitive substring match on the lower-cased search column; LIKE
    /// wildcards in the input are escaped so they match literally.
    pub(super) fn contains(&mut self, text: Option<&str>) {
        if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
            let escaped = like_literal(&t.to_lowercase());
            self.and(
                "search LIKE ? ESCAPE '\\'",
                vec![SqlValue::text(format!("%{escaped}%"))],
            );
        }
    }

    /// Need-to-know: unrestricted rows, or rows whose list names `viewer`.
    pub(super) fn viewer(&mut self, viewer: Option<&str>) {
        if let Some(name) = viewer {
            self.and(
                "(restricted_to = '' OR restricted_to LIKE ? ESCAPE '\\')",
                vec![SqlValue::text(format!("%,{},%", like_literal(name)))],
            );
        }
    }

    pub(super) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    pub(super) fn limit(&mut self, limit: u32) -> String {
        self.params
            .push(SqlValue::int(i64::from(page_size(limit)) + 1));
        format!(" LIMIT ${}", self.params.len())
    }
}

pub(super) fn page_size(limit: u32) -> u32 {
    if limit == 0 { 50 } else { limit.min(MAX_PAGE) }
}

fn bad_cursor() -> StoreError {
    StoreError::Domain(DomainError::field(
        "cursor",
        "is not a cursor returned by this list",
    ))
}

pub(super) fn parse_cursor(
    cursor: Option<&str>,
    parts: usize,
) -> Result<Option<Vec<i64>>, StoreError> {
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
pub(super) fn paginate<T: DeserializeOwned>(
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
