//! List queries: WHERE clauses with numbered placeholders, page sizes,
//! cursors and pages.

use rampart_domain::{DomainError, Lane};
use serde::de::DeserializeOwned;

use super::Dialect;
use super::SqlValue;
use super::rows::{like_literal, parse};
use super::search::TextPlan;
use crate::{MAX_PAGE, Page, StoreError};

/// Builds a WHERE clause with numbered placeholders.
#[derive(Default)]
pub(super) struct Filter {
    clauses: Vec<String>,
    pub(super) params: Vec<SqlValue>,
    /// Whether the rows are to be found through an index of their text
    /// and then sorted, never by reading an index in the list's order.
    sort_found: bool,
}

impl Filter {
    /// The rows are found through the text index and then sorted: the
    /// database is not to read an index in the list's order and check each
    /// row instead (PostgreSQL's planner, misled by its estimate of how
    /// many rows hold the text, otherwise may read the whole table).
    pub(super) fn sort_found_rows(&mut self) {
        self.sort_found = true;
    }

    /// `column` as an ORDER BY key: as an expression no index is ordered
    /// by when the rows are to be sorted after they are found.
    pub(super) fn order_key(&self, column: &str) -> String {
        if self.sort_found {
            format!("{column} + 0")
        } else {
            column.to_owned()
        }
    }

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

    /// Real records, exercise records or both, as the register asks.
    pub(super) fn exercise(&mut self, scope: &crate::model::ExerciseScope) {
        if let Some((sql, value)) = scope.condition() {
            self.and(sql, value.into_iter().map(SqlValue::text).collect());
        }
    }

    /// Rows holding the searched text, reached as `plan` says.
    pub(super) fn search(&mut self, plan: Option<&TextPlan>, dialect: Dialect) {
        if let Some(plan) = plan {
            plan.apply(self, dialect);
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

    /// Only rows whose running response-time target lies in one of `lanes`.
    pub(super) fn lanes(&mut self, lanes: &[Lane]) {
        if lanes.is_empty() {
            self.clauses.push("1 = 0".to_owned());
            return;
        }
        let mut any = Vec::with_capacity(lanes.len());
        for lane in lanes {
            let mark = self.clauses.len();
            self.lane(lane);
            any.push(self.take_since(mark));
        }
        self.clauses.push(format!("({})", any.join(" OR ")));
    }

    /// The conditions of one lane.
    pub(super) fn lane(&mut self, lane: &Lane) {
        self.and("target_key = ?", vec![SqlValue::int(lane.key)]);
        if let Some(min) = lane.from_min {
            self.and("target_from >= ?", vec![SqlValue::int(min)]);
        }
        if let Some(max) = lane.from_max {
            self.and("target_from <= ?", vec![SqlValue::int(max)]);
        }
    }

    /// How many conditions there are, to take those added after with [`Filter::take_since`].
    pub(super) fn mark(&self) -> usize {
        self.clauses.len()
    }

    /// Removes the conditions added since `mark` and returns them joined by AND.
    pub(super) fn take_since(&mut self, mark: usize) -> String {
        let taken: Vec<String> = self.clauses.drain(mark..).collect();
        if taken.is_empty() {
            "1 = 1".to_owned()
        } else {
            format!("({})", taken.join(" AND "))
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
