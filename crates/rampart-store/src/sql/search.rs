//! Text search through the trigram indexes: FTS5 indexes on SQLite
//! (migration 18), `pg_trgm` GIN indexes of narrow companion tables on
//! PostgreSQL (migration 20), both kept by the writer between batches
//! ([`TextIndexer`]).
//!
//! A search finds the rows whose lower-cased `search` column holds the
//! lower-cased text as a substring. How it reaches them depends on how
//! common the text is, judged from a sample of the table:
//!
//! - Text found in many of the newest rows is read in the list's own
//!   order, checking each row, which stops as soon as a page is full.
//! - Other text is looked up in the trigram index first, by the few
//!   three-character pieces of it that are rarest in rows spread over the
//!   whole table (asking for every piece would read the long lists of the
//!   common ones), taken first from parts of the text that do not overlap
//!   (rows holding `151` mostly hold `51.` too, so the two narrow little
//!   more than one), then from parts that do while many rows are still
//!   expected, and the exact substring is checked on the rows found.
//!   The rows the writer has not indexed yet are candidates too.
//!
//! The pieces are the index's own: any three characters for SQLite's FTS5
//! `trigram` tokenizer; for PostgreSQL's `pg_trgm`, three characters of a
//! word of letters and digits, padded with two spaces before the word and
//! one after, in the text as the companion tables hold it, with ASCII
//! punctuation folded to letters ([`index_fold`]: `10.1.77.3` is one word,
//! not four short numbers most rows hold). Each piece is asked for with a
//! part of the searched text (folded on PostgreSQL), so
//! every row holding the text holds the part: how the pieces are chosen
//! changes only the speed, never the rows found. The text and its parts
//! are bound as values, quoted for FTS5 and escaped for `LIKE`, so no
//! search reaches a query language.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::query::Filter;
use super::rows::like_literal;
use super::{ColType, Dialect, SqlBackend, SqlConn, SqlStore, SqlValue};
use crate::StoreError;

/// How many rows each half of a sample holds: the newest, and rows spread
/// evenly over the table.
const SAMPLE_ROWS: usize = 1_000;
/// How long a full sample serves before it is taken again.
const SAMPLE_LIFE: Duration = Duration::from_secs(60);
/// How long a sample of a table smaller than [`SAMPLE_ROWS`] serves.
const SMALL_SAMPLE_LIFE: Duration = Duration::from_secs(1);
/// Text in at least this share of the newest rows (per mille) is common:
/// a page of it is found by reading rows in order.
const COMMON_PER_MILLE: usize = 10;
/// The fewest and the most pieces of the text the index is asked for.
const PIECES: (usize, usize) = (2, 5);
/// More pieces are asked for while more rows than this are expected to
/// hold them all (each row found is read to check the text).
const FEW_CANDIDATES: f64 = 100.0;
/// A piece in at least this share of the rows narrows too little to ask for.
const NARROWS_BELOW: f64 = 0.5;
/// The same, for a piece from a part of the text that overlaps the parts of
/// pieces asked for already.
const OVERLAP_NARROWS_BELOW: f64 = 0.1;
/// The shortest text the index can look up.
const MIN_SEARCH_CHARS: usize = 3;

/// A sample of one table, for judging how common a text and its pieces are.
#[derive(Debug)]
pub(super) struct Sample {
    taken: Instant,
    /// Whether the table had fewer rows than the sample could hold.
    whole_table: bool,
    /// The texts of the newest rows.
    recent: Vec<String>,
    /// In how many of the rows spread over the table each piece, as the
    /// dialect's index keeps it, occurs.
    pieces: HashMap<String, u32>,
    /// How many rows were spread over the table.
    spread: usize,
    /// About how many rows the table holds.
    rows: f64,
    /// Whether a new sample is being taken to replace this one.
    renewing: AtomicBool,
}

impl Sample {
    fn new(
        recent: Vec<String>,
        spread: &[String],
        rows: usize,
        table_rows: f64,
        dialect: Dialect,
    ) -> Self {
        let mut pieces: HashMap<String, u32> = HashMap::new();
        for text in spread {
            let mut seen = indexed_pieces(text, dialect);
            seen.sort_unstable();
            seen.dedup();
            for piece in seen {
                *pieces.entry(piece).or_default() += 1;
            }
        }
        Self {
            taken: Instant::now(),
            whole_table: recent.len() < rows,
            recent,
            pieces,
            spread: spread.len().max(1),
            rows: table_rows,
            renewing: AtomicBool::new(false),
        }
    }

    /// The share of the table's rows holding `piece` (one unseen counts half a row).
    fn share(&self, piece: &str) -> f64 {
        let seen = self.pieces.get(piece).copied().unwrap_or(0);
        (f64::from(seen) + 0.5) / self.spread as f64
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
    taken: Arc<Mutex<HashMap<&'static str, Arc<Sample>>>>,
    rows: AtomicUsize,
}

impl Default for Samples {
    fn default() -> Self {
        Self {
            taken: Arc::default(),
            rows: AtomicUsize::new(SAMPLE_ROWS),
        }
    }
}

/// How a search reaches its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextPlan {
    /// Check each row read in the list's order.
    Scan(String),
    /// Look up the rows of the table holding every part in the index, then
    /// check them.
    Pieces(&'static str, String, Vec<String>),
}

impl TextPlan {
    /// Adds the plan's conditions to `f`.
    pub(super) fn apply(&self, f: &mut Filter, dialect: Dialect) {
        let exact = match dialect {
            Dialect::Sqlite => "instr(search, ?) > 0",
            Dialect::Postgres => "strpos(search, ?) > 0",
        };
        let (needle, pieces) = match self {
            Self::Scan(needle) => (needle, None),
            Self::Pieces(table, needle, parts) => (needle, Some((table, parts))),
        };
        f.and(exact, vec![SqlValue::text(needle.clone())]);
        let Some((table, parts)) = pieces else { return };
        // The table name is the store's own, not input.
        let pending = format!("SELECT row FROM search_pending WHERE tbl = '{table}'");
        match dialect {
            Dialect::Sqlite => {
                f.and(
                    &format!(
                        "id IN (SELECT rowid FROM {table}_text WHERE {table}_text MATCH ? \
                         UNION ALL {pending})"
                    ),
                    vec![SqlValue::text(fts_query(parts))],
                );
            }
            Dialect::Postgres => {
                // The index's own table holds the text too, folded (as of
                // when the row was last indexed; a row changed since is
                // noted), so the folded text is checked there, on narrow
                // rows, and only the rows holding it are read from the
                // table, where the text itself is checked.
                f.sort_found_rows();
                let likes = vec!["search LIKE ? ESCAPE '\\'"; parts.len()].join(" AND ");
                let mut values = vec![SqlValue::text(index_fold(needle))];
                values.extend(
                    parts
                        .iter()
                        .map(|part| SqlValue::text(format!("%{}%", like_literal(part)))),
                );
                f.and(
                    &format!(
                        "id IN (SELECT id FROM {table}_text WHERE strpos(search, ?) > 0 AND {likes} \
                         UNION ALL {pending})"
                    ),
                    values,
                );
            }
        }
    }
}

/// An FTS5 query for rows holding every one of `parts`: each a string in
/// double quotes (a quote inside doubled), so none is read as an operator.
fn fts_query(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Whether `pg_trgm` counts `c` as part of a word.
fn word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// The text as PostgreSQL's companion tables hold it (the function
/// `rampart_index_text` of migration 21): each ASCII punctuation character
/// stands as a letter, so that `pg_trgm`, which takes its pieces from
/// words, sees an address or a host name as one word and takes pieces
/// across its dots and dashes. One character maps to one, so a text's fold
/// lies in the fold of every text holding it, at the same place.
pub fn index_fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '.' => 'q',
            ':' => 'z',
            '-' => 'x',
            _ if c.is_ascii_punctuation() => 'j',
            _ => c,
        })
        .collect()
}

/// The pieces the dialect's index keeps of `text`.
fn indexed_pieces(text: &str, dialect: Dialect) -> Vec<String> {
    match dialect {
        Dialect::Sqlite => windows(&text.chars().collect::<Vec<_>>())
            .map(|w| w.iter().collect())
            .collect(),
        Dialect::Postgres => {
            let text = index_fold(text);
            let mut out = Vec::new();
            for word in text
                .split(|c: char| !word_char(c))
                .filter(|w| !w.is_empty())
            {
                let padded: Vec<char> = "  ".chars().chain(word.chars()).chain([' ']).collect();
                out.extend(windows(&padded).map(|w| w.iter().collect::<String>()));
            }
            out
        }
    }
}

fn windows(chars: &[char]) -> impl Iterator<Item = &[char]> {
    chars.windows(3)
}

/// A piece the index can be asked for, with the part of the searched text
/// that asks for it and where that part lies in the text (characters
/// `from..=to`).
#[derive(Debug, Clone)]
struct Asked {
    piece: String,
    part: String,
    from: usize,
    to: usize,
}

impl Asked {
    /// Whether the two parts share a character of the text: rows holding
    /// one mostly hold the other (`151` and `51.` of `10.1.151.3`), so
    /// asking for both narrows little more than asking for one.
    fn overlaps(&self, other: &Self) -> bool {
        self.from <= other.to && other.from <= self.to
    }
}

/// The pieces the index can be asked for to find rows holding `needle`.
fn asked_pieces(needle: &str, dialect: Dialect) -> Vec<Asked> {
    let chars: Vec<char> = match dialect {
        Dialect::Sqlite => needle.chars().collect(),
        Dialect::Postgres => index_fold(needle).chars().collect(),
    };
    match dialect {
        Dialect::Sqlite => windows(&chars)
            .enumerate()
            .map(|(from, w)| {
                let piece: String = w.iter().collect();
                Asked {
                    part: piece.clone(),
                    piece,
                    from,
                    to: from + 2,
                }
            })
            .collect(),
        Dialect::Postgres => {
            // Each word with its padding, every character noting which
            // character of the text stands for it (a padding space: the
            // character next to the word).
            let mut out = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                if !word_char(chars[i]) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < chars.len() && word_char(chars[i]) {
                    i += 1;
                }
                let mut padded: Vec<(char, usize)> = Vec::new();
                if start > 0 {
                    padded.extend([(' ', start - 1), (' ', start - 1)]);
                }
                padded.extend((start..i).map(|k| (chars[k], k)));
                if i < chars.len() {
                    padded.push((' ', i));
                }
                for w in padded.windows(3) {
                    let (from, to) = (w[0].1, w[2].1);
                    out.push(Asked {
                        piece: w.iter().map(|(c, _)| c).collect(),
                        part: chars[from..=to].iter().collect(),
                        from,
                        to,
                    });
                }
            }
            out
        }
    }
}

/// The pieces to ask the index for, to find rows holding `needle`: the
/// rarest in `sample`, from parts of the text that do not overlap, until
/// few rows are expected to hold them all; then, while many are still
/// expected, rare pieces from parts that overlap those: a row holding two
/// pieces of `host-01234` in other places (`012` in its number, `34.` in an
/// address) rarely holds `123` and `234` as well, and each row found is
/// read from the table to check the text, which costs far more than
/// asking the index for one more rare piece.
fn choose(sample: &Sample, needle: &str, dialect: Dialect) -> Vec<Asked> {
    let mut asked = asked_pieces(needle, dialect);
    // The rarest first; of equally rare pieces, the first in the text.
    asked.sort_by_key(|a| sample.pieces.get(&a.piece).copied().unwrap_or(0));
    let mut chosen: Vec<&Asked> = Vec::with_capacity(PIECES.1);
    let mut expected = sample.rows;
    // Pieces from parts of the text that do not overlap, whose rows are
    // taken as independent of each other's.
    for a in &asked {
        if chosen.len() == PIECES.1 {
            break;
        }
        if chosen.iter().any(|c| c.piece == a.piece || c.overlaps(a)) {
            continue;
        }
        let share = sample.share(&a.piece);
        // A piece most rows hold is never worth reading (`hos` of
        // `host-38423`, where every row names a host), even to make two.
        if share >= NARROWS_BELOW || (chosen.len() >= PIECES.0 && expected <= FEW_CANDIDATES) {
            break;
        }
        expected *= share;
        chosen.push(a);
    }
    for a in &asked {
        if chosen.len() == PIECES.1 || expected <= FEW_CANDIDATES {
            break;
        }
        let share = sample.share(&a.piece);
        if share >= OVERLAP_NARROWS_BELOW {
            break;
        }
        if chosen.iter().any(|c| c.piece == a.piece) {
            continue;
        }
        // How much a piece of the same stretch of text narrows is not known;
        // taken as half as much, on a logarithmic scale, as one apart.
        expected *= share.sqrt();
        chosen.push(a);
    }
    // Text too short for two such parts: the rarest pieces whatever their parts.
    for a in &asked {
        if chosen.len() >= PIECES.0 {
            break;
        }
        if !chosen.iter().any(|c| c.piece == a.piece) {
            chosen.push(a);
        }
    }
    chosen.into_iter().cloned().collect()
}

/// Chooses how to search `table` for `needle` (lower-cased, trimmed) given
/// its `sample`.
pub(super) fn plan(
    sample: &Sample,
    table: &'static str,
    needle: String,
    dialect: Dialect,
) -> TextPlan {
    if sample.whole_table {
        return TextPlan::Scan(needle);
    }
    let hits = sample
        .recent
        .iter()
        .filter(|t| t.contains(needle.as_str()))
        .count();
    if hits * 1000 >= sample.recent.len() * COMMON_PER_MILLE {
        return TextPlan::Scan(needle);
    }
    let parts: Vec<String> = choose(sample, &needle, dialect)
        .into_iter()
        .map(|a| a.part)
        .collect();
    if parts.is_empty() {
        // Nothing the index keeps (no word on PostgreSQL): read in order.
        return TextPlan::Scan(needle);
    }
    TextPlan::Pieces(table, needle, parts)
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
        Ok(Some(plan(&sample, table, needle, self.backend.dialect())))
    }

    /// Stops the writer indexing text for search (`true`) or lets it go on
    /// (tests: searches while rows wait to be indexed).
    #[doc(hidden)]
    pub fn pause_text_index(&self, paused: bool) {
        self.text_index.paused.store(paused, Ordering::Release);
        if !paused {
            self.text_index.resumed.notify_one();
        }
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

    /// The sample of `table`. One that has served its time still serves
    /// while a new one is taken in the background, so no search waits for
    /// a sample but the first of a table.
    async fn sample(&self, table: &'static str) -> Result<Arc<Sample>, StoreError> {
        let kept = self
            .samples
            .taken
            .lock()
            .map_err(|_| StoreError::Corrupt("search samples poisoned".into()))?
            .get(table)
            .cloned();
        let size = self.samples.rows.load(Ordering::Relaxed);
        match kept {
            Some(sample) if sample.fresh() => Ok(sample),
            Some(sample) => {
                if !sample.renewing.swap(true, Ordering::AcqRel) {
                    let backend = self.backend.clone();
                    let taken = self.samples.taken.clone();
                    let old = sample.clone();
                    tokio::spawn(async move {
                        match take_sample(&*backend, table, size).await {
                            Ok(new) => {
                                if let Ok(mut taken) = taken.lock() {
                                    taken.insert(table, Arc::new(new));
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, table, "taking a search sample failed");
                                old.renewing.store(false, Ordering::Release);
                            }
                        }
                    });
                }
                Ok(sample)
            }
            None => {
                let sample = Arc::new(take_sample(&*self.backend, table, size).await?);
                if let Ok(mut taken) = self.samples.taken.lock() {
                    taken.insert(table, sample.clone());
                }
                Ok(sample)
            }
        }
    }
}

/// How many written rows the text index does not hold yet (the writer
/// indexes them between batches).
pub(super) async fn text_index_waiting<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<u64, StoreError> {
    let mut conn = store.backend.reader().await?;
    let rows = conn
        .fetch("SELECT count(*) FROM search_pending", &[], &[ColType::Int])
        .await?;
    Ok(rows
        .first()
        .and_then(|r| r[0].as_i64())
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0))
}

/// Reads a sample of `table`: its `size` newest rows, and `size` rows at
/// even steps over its ids.
async fn take_sample<B: SqlBackend>(
    backend: &B,
    table: &'static str,
    size: usize,
) -> Result<Sample, StoreError> {
    let mut conn = backend.reader().await?;
    let texts = |rows: Vec<Vec<SqlValue>>| -> Vec<String> {
        rows.into_iter()
            .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_string))
            .collect()
    };
    let recent = texts(
        conn.fetch(
            &format!("SELECT search FROM {table} ORDER BY id DESC LIMIT {size}"),
            &[],
            &[ColType::Text],
        )
        .await?,
    );
    let bounds = conn
        .fetch(
            &format!("SELECT MIN(id), MAX(id) FROM {table}"),
            &[],
            &[ColType::Int, ColType::Int],
        )
        .await?;
    let span = bounds.first().map(|r| (r[0].as_i64(), r[1].as_i64()));
    #[allow(clippy::cast_precision_loss, reason = "an estimate")]
    let rows = match span {
        Some((Some(low), Some(high))) => (high - low + 1) as f64,
        _ => recent.len() as f64,
    };
    let spread = match span {
        Some((Some(low), Some(high))) if recent.len() >= size => {
            // The ids are numbers the store chose, not input.
            let step = ((high - low) / i64::try_from(size).unwrap_or(1)).max(1);
            let ids: Vec<String> = (0..size)
                .map(|k| (low + step * i64::try_from(k).unwrap_or(0)).to_string())
                .collect();
            texts(
                conn.fetch(
                    &format!(
                        "SELECT search FROM {table} WHERE id IN ({})",
                        ids.join(", ")
                    ),
                    &[],
                    &[ColType::Text],
                )
                .await?,
            )
        }
        _ => recent.clone(),
    };
    Ok(Sample::new(recent, &spread, size, rows, backend.dialect()))
}

/// The tables a text index is kept of (migrations 18 and 20).
pub const INDEXED_TABLES: [&str; 3] = ["events", "incidents", "vulnerabilities"];
/// Rows indexed in the first step once the writer is idle: a request
/// arriving meanwhile waits for at most about this many rows (some 25 to
/// 60 µs each on SQLite, 60 to 150 µs on PostgreSQL).
const FIRST_STEP_ROWS: usize = 32;
/// The most rows one step indexes, reached by doubling while the writer
/// stays idle (more rows a step share its commit and merges).
const LAST_STEP_ROWS: usize = 512;
/// Rows waiting beyond which each batch is followed by as many rows indexed
/// as it wrote, idle or not, so that searches keep few rows to read.
const MOST_WAITING: usize = 20_000;
/// The most rows indexed after one batch while too many wait (a bulk load
/// writing more than this a batch is indexed once the writer is idle).
const MOST_KEPT_UP: usize = 2_048;
/// How long the writer waits for more work after a batch before it takes
/// up indexing: longer than the gaps between the batches of a burst, so a
/// burst is written at full speed and indexed after.
const IDLE_AFTER: Duration = Duration::from_millis(20);
/// Noted rows taken in after which PostgreSQL's `search_pending` is
/// vacuumed: the rows taken in leave dead entries behind, which every
/// search and step would otherwise read past (without autovacuum, for
/// ever).
const VACUUM_AFTER: usize = 20_000;
/// How long the writer leaves the index alone after a step failed.
const RETRY_AFTER: Duration = Duration::from_secs(10);

/// Keeps the text index (migrations 18 and 20) up with the rows noted in
/// `search_pending`: the writer hands it its idle moments, and a step
/// after every batch once many rows wait. A step indexes the oldest noted
/// rows and forgets them in one transaction, so a crash at any point loses
/// nothing: what was not indexed is still noted.
#[derive(Debug)]
pub(super) struct TextIndexer {
    /// Whether rows may be waiting.
    owed: bool,
    /// About how many rows wait, as counted from the batches written
    /// (rows noted before the writer started are not counted).
    waiting: usize,
    /// How many rows the next idle step indexes.
    step: usize,
    /// When the last step failed.
    failed: Option<Instant>,
    /// Rows taken in since `search_pending` was last vacuumed.
    unvacuumed: usize,
    /// When the writer last committed a batch.
    last_batch: Instant,
    control: Arc<TextIndexControl>,
}

/// Lets tests hold the writer's indexing back.
#[derive(Debug, Default)]
pub(super) struct TextIndexControl {
    /// Set while the index is to be left alone.
    paused: AtomicBool,
    /// Wakes the idle writer when indexing may go on.
    pub(super) resumed: tokio::sync::Notify,
}

impl TextIndexer {
    pub(super) fn new(control: Arc<TextIndexControl>) -> Self {
        Self {
            owed: true,
            waiting: 0,
            step: FIRST_STEP_ROWS,
            failed: None,
            unvacuumed: 0,
            last_batch: Instant::now(),
            control,
        }
    }

    /// Whether the writer, idle, has indexing to do.
    pub(super) fn owed(&self) -> bool {
        self.owed
            && self.failed.is_none_or(|at| at.elapsed() >= RETRY_AFTER)
            && !self.control.paused.load(Ordering::Acquire)
    }

    /// How long the writer is to wait for more work before it indexes;
    /// `None` once it has been idle long enough.
    pub(super) fn idle_in(&self) -> Option<Duration> {
        IDLE_AFTER
            .checked_sub(self.last_batch.elapsed())
            .filter(|d| !d.is_zero())
    }

    /// Notes a committed batch that wrote `written` records.
    pub(super) fn written(&mut self, written: usize) {
        self.last_batch = Instant::now();
        if written == 0 {
            return;
        }
        self.owed = true;
        self.waiting += written;
        self.step = FIRST_STEP_ROWS;
    }

    /// After a batch that wrote `written` records: indexes as many rows as
    /// it wrote when too many wait, so their number stops growing (up to
    /// [`MOST_KEPT_UP`] rows, so no request waits long behind the step).
    pub(super) async fn keep_up<B: SqlBackend>(&mut self, backend: &B, written: usize) {
        if self.waiting > MOST_WAITING && self.owed() {
            let rows = written.clamp(FIRST_STEP_ROWS, MOST_KEPT_UP);
            self.index(backend, rows).await;
        }
    }

    /// One step while the writer is idle; steps grow while it stays idle.
    pub(super) async fn idle_step<B: SqlBackend>(&mut self, backend: &B) {
        let rows = self.step;
        self.index(backend, rows).await;
        self.step = (self.step * 2).min(LAST_STEP_ROWS);
    }

    async fn index<B: SqlBackend>(&mut self, backend: &B, rows: usize) {
        match index_rows(backend, rows).await {
            Ok(done) => {
                self.failed = None;
                self.unvacuumed += done;
                if self.unvacuumed >= VACUUM_AFTER && backend.dialect() == Dialect::Postgres {
                    self.unvacuumed = 0;
                    if let Err(e) = vacuum_pending(backend).await {
                        tracing::warn!(error = %e, "vacuuming the rows noted for search failed");
                    }
                }
                self.waiting = self.waiting.saturating_sub(done);
                if done < rows {
                    self.owed = false;
                    self.waiting = 0;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "indexing text for search failed; trying again later");
                self.failed = Some(Instant::now());
            }
        }
    }
}

/// Vacuums PostgreSQL's `search_pending` (outside any transaction).
async fn vacuum_pending<B: SqlBackend>(backend: &B) -> Result<(), StoreError> {
    let mut conn = backend.reader().await?;
    conn.execute("VACUUM search_pending", &[]).await?;
    Ok(())
}

/// Indexes the text of the `rows` oldest noted rows and forgets them, in
/// one transaction. Returns how many noted rows it took.
async fn index_rows<B: SqlBackend>(backend: &B, rows: usize) -> Result<usize, StoreError> {
    let mut conn = backend.writer().await?;
    conn.execute(backend.dialect().begin(), &[]).await?;
    let done = match backend.dialect() {
        Dialect::Sqlite => index_noted(&mut conn, rows).await,
        Dialect::Postgres => index_noted_pg(&mut conn, rows).await,
    };
    super::commit::finish(&mut conn, done).await
}

/// The advisory lock PostgreSQL's writers take to index text, so that the
/// writers of several nodes take turns.
pub const TEXT_INDEX_LOCK: i64 = 0x7261_6d70_7478;

/// [`index_noted`] on PostgreSQL, where several nodes' writers index and
/// each statement of a transaction sees what committed before it: the
/// writers take turns, and the noted rows are taken (and forgotten) first,
/// so a row noted meanwhile is never forgotten unindexed. The text is read
/// after: it is the row's text when it was noted or a newer one, whose
/// own note is indexed later.
async fn index_noted_pg<C: SqlConn>(conn: &mut C, rows: usize) -> Result<usize, StoreError> {
    conn.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[SqlValue::Int(Some(TEXT_INDEX_LOCK))],
    )
    .await?;
    let limit = i64::try_from(rows).unwrap_or(i64::MAX);
    let taken = conn
        .fetch(
            // The oldest rows' numbers first, then each found by the key:
            // `seq IN (subquery)` was planned as a scan of every noted row.
            "DELETE FROM search_pending WHERE seq = ANY (ARRAY( \
             SELECT seq FROM search_pending ORDER BY seq LIMIT $1)) \
             RETURNING tbl, row, stale::bigint",
            &[SqlValue::Int(Some(limit))],
            &[ColType::Text, ColType::Int, ColType::Int],
        )
        .await?;
    for table in INDEXED_TABLES {
        let mut stale = Vec::new();
        let mut noted = Vec::new();
        for row in &taken {
            let (SqlValue::Text(Some(tbl)), Some(id)) = (&row[0], row[1].as_i64()) else {
                continue;
            };
            if tbl != table {
                continue;
            }
            if row[2].as_i64() == Some(1) {
                stale.push(id);
            }
            noted.push(id);
        }
        if !stale.is_empty() {
            conn.execute(
                &format!("DELETE FROM {table}_text WHERE id = ANY($1::bigint[])"),
                &[super::unnest::ints(&stale)],
            )
            .await?;
        }
        if !noted.is_empty() {
            conn.execute(
                &format!(
                    "INSERT INTO {table}_text (id, search) \
                     SELECT id, rampart_index_text(search) FROM {table} \
                     WHERE id = ANY($1::bigint[]) \
                     ON CONFLICT (id) DO UPDATE SET search = EXCLUDED.search"
                ),
                &[super::unnest::ints(&noted)],
            )
            .await?;
        }
    }
    Ok(taken.len())
}

async fn index_noted<C: SqlConn>(conn: &mut C, rows: usize) -> Result<usize, StoreError> {
    let limit = i64::try_from(rows).unwrap_or(i64::MAX);
    let noted = conn
        .fetch(
            "SELECT count(*), max(seq) FROM (SELECT seq FROM search_pending ORDER BY seq LIMIT $1)",
            &[SqlValue::Int(Some(limit))],
            &[ColType::Int, ColType::Int],
        )
        .await?;
    let (count, last) = match noted.first().map(|r| (r[0].as_i64(), r[1].as_i64())) {
        Some((Some(count), Some(last))) => (count, last),
        _ => return Ok(0),
    };
    let last = [SqlValue::Int(Some(last))];
    for table in INDEXED_TABLES {
        // A row the index may hold an older text of is taken out first;
        // the text of every noted row still there goes in. (`+tbl`: the
        // noted rows are read by `seq` from the oldest, never by table.)
        conn.execute(
            &format!(
                "DELETE FROM {table}_text WHERE rowid IN \
                 (SELECT row FROM search_pending WHERE seq <= $1 AND +tbl = '{table}' AND stale = 1)"
            ),
            &last,
        )
        .await?;
        conn.execute(
            &format!(
                "INSERT INTO {table}_text (rowid, search) SELECT id, search FROM {table} \
                 WHERE id IN (SELECT row FROM search_pending WHERE seq <= $1 AND +tbl = '{table}')"
            ),
            &last,
        )
        .await?;
    }
    conn.execute("DELETE FROM search_pending WHERE seq <= $1", &last)
        .await?;
    Ok(usize::try_from(count).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(texts: &[&str], padding: usize, dialect: Dialect) -> Sample {
        let mut all: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
        all.extend((0..padding).map(|i| format!("filler row {i} about phishing")));
        Sample::new(all.clone(), &all, SAMPLE_ROWS, 1_000_000.0, dialect)
    }

    fn parts(plan: TextPlan) -> Vec<String> {
        match plan {
            TextPlan::Pieces(_, _, parts) => parts,
            TextPlan::Scan(n) => panic!("{n:?} is read in order"),
        }
    }

    #[test]
    fn sqlite_pieces_are_characters_not_bytes() {
        let got: Vec<String> = indexed_pieces("zürich", Dialect::Sqlite);
        assert_eq!(got, ["zür", "üri", "ric", "ich"]);
        assert!(indexed_pieces("ab", Dialect::Sqlite).is_empty());
    }

    #[test]
    fn postgres_pieces_are_padded_words_of_the_folded_text() {
        assert_eq!(
            index_fold("Host-01.corp:443/a_b «é»"),
            "Hostx01qcorpz443jajb «é»"
        );
        // Punctuation folds to letters, so an address is one word, whose
        // pieces span its dots; words apart stay apart.
        assert_eq!(
            indexed_pieces("10.0.3.97", Dialect::Postgres),
            [
                "  1", " 10", "10q", "0q0", "q0q", "0q3", "q3q", "3q9", "q97", "97 "
            ]
        );
        assert_eq!(
            indexed_pieces("a b12", Dialect::Postgres),
            ["  a", " a ", "  b", " b1", "b12", "12 "]
        );
        // Each piece is asked for with the part of the folded text that
        // makes it; the padding stands for the space before or after.
        let asked: Vec<(String, String)> = asked_pieces("at 10.0.3.97", Dialect::Postgres)
            .into_iter()
            .map(|a| (a.piece, a.part))
            .collect();
        assert!(asked.contains(&("  1".into(), " 1".into())), "{asked:?}");
        assert!(asked.contains(&(" 10".into(), " 10".into())), "{asked:?}");
        assert!(asked.contains(&("0q0".into(), "0q0".into())), "{asked:?}");
        assert!(asked.contains(&("q97".into(), "q97".into())), "{asked:?}");
        assert!(!asked.iter().any(|(piece, _)| piece == "97 "), "{asked:?}");
        let folded = index_fold("at 10.0.3.97");
        assert!(asked.iter().all(|(_, part)| folded.contains(part.as_str())));
    }

    #[test]
    fn pieces_come_from_parts_of_the_text_that_do_not_overlap() {
        // Addresses: `151` and `51.` are each rare, but rows holding one
        // mostly hold the other; asking for both leaves thousands of rows.
        let rows: Vec<String> = (0..SAMPLE_ROWS)
            .map(|i| format!("10.{}.{}.{}", i % 16, (i * 7) % 256, (i * 13) % 256))
            .collect();
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let s = Sample::new(rows.clone(), &rows, SAMPLE_ROWS, 1_000_000.0, dialect);
            let chosen = choose(&s, "10.13.151.38", dialect);
            assert!(chosen.len() >= PIECES.0, "{dialect:?}: {chosen:?}");
            // Pieces apart first; any overlapping one only after them all.
            let apart = chosen
                .iter()
                .enumerate()
                .take_while(|(i, a)| chosen[..*i].iter().all(|b| !a.overlaps(b)))
                .count();
            assert!(apart >= PIECES.0, "{dialect:?}: {chosen:?}");
            for (i, a) in chosen.iter().enumerate().skip(apart) {
                assert!(
                    chosen[..i].iter().any(|b| a.overlaps(b)),
                    "{dialect:?}: {chosen:?}"
                );
            }
        }
        // Text with no two parts apart still asks for two pieces.
        let s = sample(&["host-4242.corp"], SAMPLE_ROWS, Dialect::Sqlite);
        assert_eq!(
            parts(plan(&s, "events", "zqxw".into(), Dialect::Sqlite)).len(),
            2
        );
    }

    #[test]
    fn rare_overlapping_pieces_narrow_what_pieces_apart_leave() {
        // `aaa` and `bbb` each in 2 % of the rows leave some 400 of a
        // million: `aab`, in 5 %, is asked for too.
        let rows: Vec<String> = (0..SAMPLE_ROWS)
            .map(|i| match i {
                _ if i % 50 == 0 => format!("x aaa {i}"),
                _ if i % 50 == 1 => format!("x bbb {i}"),
                _ if i % 20 == 2 => format!("x aab {i}"),
                _ if i % 20 == 3 => format!("x abb {i}"),
                _ => format!("filler {i}"),
            })
            .collect();
        let s = Sample::new(
            rows.clone(),
            &rows,
            SAMPLE_ROWS,
            1_000_000.0,
            Dialect::Sqlite,
        );
        let chosen: Vec<String> = choose(&s, "aaabbb", Dialect::Sqlite)
            .into_iter()
            .map(|a| a.piece)
            .collect();
        assert_eq!(chosen, ["aaa", "bbb", "aab"]);
        // Few rows expected from the pieces apart: nothing more is asked.
        let s = Sample::new(rows.clone(), &rows, SAMPLE_ROWS, 10_000.0, Dialect::Sqlite);
        assert_eq!(choose(&s, "aaabbb", Dialect::Sqlite).len(), 2);
    }

    #[test]
    fn a_piece_most_rows_hold_is_never_asked_for() {
        // Every row names a host whose number starts with 38: `hos`, `-38`
        // (or ` ho`, ` 38`) narrow nothing, even where the rest of the text
        // is one stretch of digits.
        let rows: Vec<String> = (0..SAMPLE_ROWS)
            .map(|i| format!("seen on host-38{:03}", (i * 7_919) % 1_000))
            .collect();
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let s = Sample::new(rows.clone(), &rows, SAMPLE_ROWS, 1_000_000.0, dialect);
            let chosen = choose(&s, "host-38423", dialect);
            assert!(chosen.len() >= PIECES.0, "{dialect:?}: {chosen:?}");
            for a in &chosen {
                assert!(s.share(&a.piece) < NARROWS_BELOW, "{dialect:?}: {chosen:?}");
            }
        }
    }

    #[test]
    fn a_small_table_is_read_whole() {
        let s = sample(&["host-1"], 10, Dialect::Sqlite);
        assert_eq!(
            plan(&s, "events", "host-1".into(), Dialect::Sqlite),
            TextPlan::Scan("host-1".into())
        );
    }

    #[test]
    fn common_text_is_read_in_order_and_rare_text_by_its_rarest_pieces() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let s = sample(&["host-4242.corp"], SAMPLE_ROWS, dialect);
            assert_eq!(
                plan(&s, "events", "phishing".into(), dialect),
                TextPlan::Scan("phishing".into())
            );
            let parts = parts(plan(&s, "events", "host-4242.corp".into(), dialect));
            assert!(
                (PIECES.0..=PIECES.1).contains(&parts.len()),
                "{dialect:?}: {parts:?}"
            );
            // Parts every filler row holds ("ro", "ow ", ...) are not asked for.
            assert!(
                parts.iter().all(|p| !s.recent[1].contains(p.as_str())),
                "{dialect:?}: {parts:?}"
            );
        }
    }

    #[test]
    fn text_without_words_is_read_in_order_on_postgres() {
        let s = sample(&[], SAMPLE_ROWS, Dialect::Postgres);
        assert!(matches!(
            plan(&s, "events", "« — »".into(), Dialect::Postgres),
            TextPlan::Scan(_)
        ));
        assert!(matches!(
            plan(&s, "events", "« — »".into(), Dialect::Sqlite),
            TextPlan::Pieces(..)
        ));
        // ASCII punctuation is folded to letters, which the index keeps.
        assert!(matches!(
            plan(&s, "events", "%_\\.-".into(), Dialect::Postgres),
            TextPlan::Pieces(..)
        ));
    }
}
