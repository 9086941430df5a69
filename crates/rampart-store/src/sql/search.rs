//! Text search through the trigram indexes (migration 16).
//!
//! A search finds the rows whose lower-cased `search` column holds the
//! lower-cased text as a substring. How it reaches them depends on how
//! common the text is, judged from a sample of the table's newest rows:
//!
//! - Text found in many sampled rows is read in the list's own order,
//!   checking each row, which stops as soon as a page is full.
//! - Other text is looked up in the trigram index first, by the few
//!   three-character pieces of it that are rarest in the sample (asking for
//!   every piece would read the long lists of the common ones), and the
//!   exact substring is checked on the rows found.
//!
//! Either way the text is bound as a value; the pieces given to the index
//! are quoted for it (SQLite's FTS5) or are letters and digits only
//! (PostgreSQL's `pg_trgm`), so no search reaches a query language.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::query::Filter;
use super::{ColType, Dialect, SqlBackend, SqlStore, SqlValue};
use crate::StoreError;

/// How many of a table's newest rows a sample holds.
const SAMPLE_ROWS: usize = 2_000;
/// How long a full sample serves before it is taken again.
const SAMPLE_LIFE: Duration = Duration::from_secs(60);
/// How long a sample of a table smaller than [`SAMPLE_ROWS`] serves.
const SMALL_SAMPLE_LIFE: Duration = Duration::from_secs(1);
/// Text in at least this share of the sampled rows (per mille) is common:
/// a page of it is found by reading rows in order.
const COMMON_PER_MILLE: usize = 10;
/// How many pieces of the text the index is asked for.
const PIECES: usize = 3;
/// The shortest text the index can look up.
const MIN_SEARCH_CHARS: usize = 3;

/// The newest rows of one table, for judging how common a text is.
#[derive(Debug)]
pub(super) struct Sample {
    taken: Instant,
    /// Whether the table had fewer rows than the sample could hold.
    whole_table: bool,
    texts: Vec<String>,
    /// In how many sampled rows each three-character piece occurs.
    pieces: HashMap<String, u32>,
}

impl Sample {
    fn new(texts: Vec<String>, rows: usize) -> Self {
        let mut pieces: HashMap<String, u32> = HashMap::new();
        for text in &texts {
            let mut seen: Vec<String> = trigrams(text).collect();
            seen.sort_unstable();
            seen.dedup();
            for piece in seen {
                *pieces.entry(piece).or_default() += 1;
            }
        }
        Self {
            taken: Instant::now(),
            whole_table: texts.len() < rows,
            texts,
            pieces,
        }
    }

    fn fresh(&self) -> bool {
        let life = if self.whole_table {
            SMALL_SAMPLE_LIFE
        } else {
            SAMPLE_LIFE
        };
        self.taken.elapsed() < life
    }
}

/// The samples of the searchable tables, by table, and their size.
#[derive(Debug)]
pub(super) struct Samples {
    taken: Mutex<HashMap<&'static str, Arc<Sample>>>,
    rows: AtomicUsize,
}

impl Default for Samples {
    fn default() -> Self {
        Self {
            taken: Mutex::default(),
            rows: AtomicUsize::new(SAMPLE_ROWS),
        }
    }
}

/// How a search reaches its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextPlan {
    /// Check each row read in the list's order.
    Scan(String),
    /// Look up rows holding every piece in the index, then check them.
    Pieces(String, Vec<String>),
}

impl TextPlan {
    /// Adds the plan's conditions on `table` to `f`.
    pub(super) fn apply(&self, f: &mut Filter, table: &str, dialect: Dialect) {
        let exact = match dialect {
            Dialect::Sqlite => "instr(search, ?) > 0",
            Dialect::Postgres => "strpos(search, ?) > 0",
        };
        let (needle, pieces) = match self {
            Self::Scan(needle) => (needle, None),
            Self::Pieces(needle, pieces) => (needle, Some(pieces)),
        };
        f.and(exact, vec![SqlValue::text(needle.clone())]);
        let Some(pieces) = pieces else { return };
        match dialect {
            Dialect::Sqlite => {
                let expr: Vec<String> = pieces
                    .iter()
                    .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
                    .collect();
                f.and(
                    &format!("id IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)"),
                    vec![SqlValue::text(expr.join(" AND "))],
                );
            }
            Dialect::Postgres if pieces.is_empty() => {
                // No piece of letters and digits: the index is asked for the whole text.
                f.and(
                    "search LIKE ? ESCAPE '\\'",
                    vec![SqlValue::text(format!(
                        "%{}%",
                        super::rows::like_literal(needle)
                    ))],
                );
            }
            Dialect::Postgres => {
                for piece in pieces {
                    f.and("search LIKE ?", vec![SqlValue::text(format!("%{piece}%"))]);
                }
            }
        }
    }
}

/// The three-character pieces of `text`, in order.
fn trigrams(text: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    (0..chars.len().saturating_sub(2)).map(move |i| {
        let start = chars[i].0;
        let end = chars.get(i + 3).map_or(text.len(), |c| c.0);
        text[start..end].to_owned()
    })
}

/// Whether the PostgreSQL index holds `piece` as it is: `pg_trgm` keeps
/// pieces of words, and letters and digits are word characters everywhere.
fn indexable_on_postgres(piece: &str) -> bool {
    piece.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Chooses how to search for `needle` (lower-cased, trimmed) given `sample`.
pub(super) fn plan(sample: &Sample, needle: String, dialect: Dialect) -> TextPlan {
    if sample.whole_table {
        return TextPlan::Scan(needle);
    }
    let hits = sample
        .texts
        .iter()
        .filter(|t| t.contains(needle.as_str()))
        .count();
    if hits * 1000 >= sample.texts.len() * COMMON_PER_MILLE {
        return TextPlan::Scan(needle);
    }
    let mut pieces: Vec<String> = trigrams(&needle)
        .filter(|p| dialect == Dialect::Sqlite || indexable_on_postgres(p))
        .collect();
    pieces.sort_unstable();
    pieces.dedup();
    pieces.sort_by_key(|p| sample.pieces.get(p).copied().unwrap_or(0));
    pieces.truncate(PIECES);
    TextPlan::Pieces(needle, pieces)
}

impl<B: SqlBackend> SqlStore<B> {
    /// The plan for searching `table` for `text`, or none when there is
    /// nothing to search for.
    pub(super) async fn text_plan(
        &self,
        table: &'static str,
        text: Option<&str>,
    ) -> Result<Option<TextPlan>, StoreError> {
        let Some(needle) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let needle = needle.to_lowercase();
        if needle.chars().count() < MIN_SEARCH_CHARS {
            // Too short for the index: read in order (such text is rarely rare).
            return Ok(Some(TextPlan::Scan(needle)));
        }
        let sample = self.sample(table).await?;
        Ok(Some(plan(&sample, needle, self.backend.dialect())))
    }

    /// Sets how many rows a search sample holds (tests use small tables)
    /// and forgets the samples taken.
    #[doc(hidden)]
    pub fn set_search_sample_rows(&self, rows: usize) {
        self.samples.rows.store(rows.max(1), Ordering::Relaxed);
        if let Ok(mut taken) = self.samples.taken.lock() {
            taken.clear();
        }
    }

    /// The sample of `table`, taken again when it has served its time.
    async fn sample(&self, table: &'static str) -> Result<Arc<Sample>, StoreError> {
        let kept = self
            .samples
            .taken
            .lock()
            .map_err(|_| StoreError::Corrupt("search samples poisoned".into()))?
            .get(table)
            .cloned();
        if let Some(sample) = kept.filter(|s| s.fresh()) {
            return Ok(sample);
        }
        let size = self.samples.rows.load(Ordering::Relaxed);
        let rows = self
            .fetch(
                &format!("SELECT search FROM {table} ORDER BY id DESC LIMIT {size}"),
                &[],
                &[ColType::Text],
            )
            .await?;
        let texts = rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_string))
            .collect();
        let sample = Arc::new(Sample::new(texts, size));
        if let Ok(mut samples) = self.samples.taken.lock() {
            samples.insert(table, sample.clone());
        }
        Ok(sample)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(texts: &[&str], padding: usize) -> Sample {
        let mut all: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
        all.extend((0..padding).map(|i| format!("filler row {i} about phishing")));
        Sample::new(all, SAMPLE_ROWS)
    }

    #[test]
    fn pieces_are_characters_not_bytes() {
        let got: Vec<String> = trigrams("zürich").collect();
        assert_eq!(got, ["zür", "üri", "ric", "ich"]);
        assert_eq!(trigrams("ab").count(), 0);
    }

    #[test]
    fn a_small_table_is_read_whole() {
        let s = sample(&["host-1"], 10);
        assert_eq!(
            plan(&s, "host-1".into(), Dialect::Sqlite),
            TextPlan::Scan("host-1".into())
        );
    }

    #[test]
    fn common_text_is_read_in_order_and_rare_text_by_its_rarest_pieces() {
        let s = sample(&["host-4242.corp"], SAMPLE_ROWS);
        assert_eq!(
            plan(&s, "phishing".into(), Dialect::Sqlite),
            TextPlan::Scan("phishing".into())
        );
        let TextPlan::Pieces(_, pieces) = plan(&s, "host-4242.corp".into(), Dialect::Sqlite) else {
            panic!("rare text goes to the index")
        };
        assert_eq!(pieces.len(), PIECES);
        // Pieces every filler row holds ("ro", "ow ", ...) are not asked for.
        assert!(pieces.iter().all(|p| !s.texts[1].contains(p.as_str())));
    }

    #[test]
    fn postgres_is_asked_only_for_pieces_of_letters_and_digits() {
        let s = sample(&[], SAMPLE_ROWS);
        let TextPlan::Pieces(_, pieces) = plan(&s, "a-b.c\"d%e_".into(), Dialect::Postgres) else {
            panic!("rare text goes to the index")
        };
        assert!(pieces.is_empty());
        let TextPlan::Pieces(_, pieces) = plan(&s, "10.0.0.1 abcd".into(), Dialect::Postgres)
        else {
            panic!("rare text goes to the index")
        };
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|p| p == "abc" || p == "bcd"));
    }
}
