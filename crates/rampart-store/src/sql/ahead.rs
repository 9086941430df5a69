//! PostgreSQL batches that read ahead and write behind.
//!
//! Before its first unit, a batch reads every record its units load, one
//! statement per kind of record, and in one more statement the stored events
//! that share their correlation keys. Its units then decide without a round
//! trip each, and the events they store or change are written when the
//! batch ends, in the one statement that also writes its counters, keys
//! and journal entries (see `commit` and `unnest`).
//!
//! Only events are written behind, and only writes that cannot fail on their
//! own: a new event under a number its unit was allocated, a change of an
//! event the batch has read or written, with no value an index or the
//! database would refuse. Anything else a unit writes ends the read-ahead for
//! the rest of the batch: the events so far are written, that unit's writes
//! run in a savepoint of their own, and the units after it read and write as
//! they go. So a write that fails is still refused alone, and every unit
//! sees what the units before it wrote.
//!
//! The JSON documents of the events written behind are written out only
//! then, on every core: nothing in one depends on another.

use std::collections::{BTreeMap, HashMap, HashSet};

use rampart_domain::{CorrelationHit, Event};

use super::intake::{MAX_CORRELATION_KEYS, PER_KEY, hit, incident_status};
use super::rows::{decode, event_columns, location, to_json};
use super::{ColType, SqlConn, SqlValue, statement, unnest};
use crate::model::CorrelationQuery;
use crate::{Entity, EntityRef, StoreError, UnitOfWork, Write};

/// Longest value of an indexed column written behind: far below the
/// largest entry a B-tree index takes (about 2,700 bytes), so that the
/// statement that writes the batch's events cannot fail on one of them.
const MOST_INDEXED_BYTES: usize = 1_000;

/// Columns of an event that no B-tree index holds.
const UNINDEXED: [&str; 2] = ["search", "data"];

/// A batch's reads ahead and writes behind.
pub(super) struct Ahead {
    /// Whether the batch still reads ahead and writes behind.
    on: bool,
    /// Each unit's loads as the batch found them, by unit, then load; a
    /// record that cannot be read fails only the unit that loads it.
    loaded: Vec<Vec<Option<Result<Entity, StoreError>>>>,
    /// Events the batch has read: a change of one finds its row.
    known: HashSet<String>,
    /// Stored events sharing each key, newest first, reported since the
    /// earliest time a unit of the batch asks for.
    stored: HashMap<String, Vec<Stored>>,
    /// Events written behind, in the order first written.
    written: Vec<Written>,
    by_number: HashMap<String, usize>,
    by_source: HashMap<(String, String), usize>,
    /// The event columns, the number first (as `event_columns` gives
    /// them), the document last.
    names: Vec<&'static str>,
}

/// An event written behind: its latest version and row (less its
/// document), and whether it is new.
struct Written {
    new: bool,
    event: Box<Event>,
    row: Vec<SqlValue>,
}

/// What a unit reads before it decides.
struct Needs<'a> {
    load: &'a [EntityRef],
    correlate: Option<&'a CorrelationQuery>,
}

/// A stored event sharing a key, as the batch found it.
struct Stored {
    reported_at: String,
    hit: CorrelationHit,
}

impl Ahead {
    /// Reads what `units` load and the stored events sharing their keys.
    pub(super) fn read<'a, C: SqlConn>(
        conn: &'a mut C,
        units: &'a [UnitOfWork],
    ) -> impl Future<Output = Result<Self, StoreError>> + Send + 'a {
        // What the units need, without their decisions (which are not
        // `Sync`, so cannot be borrowed across the reads).
        let needs: Vec<Needs<'a>> = units
            .iter()
            .map(|u| Needs {
                load: &u.load,
                correlate: u.correlate.as_ref(),
            })
            .collect();
        Self::read_needs(conn, needs)
    }

    async fn read_needs<C: SqlConn>(
        conn: &mut C,
        needs: Vec<Needs<'_>>,
    ) -> Result<Self, StoreError> {
        let mut ahead = Self {
            on: true,
            loaded: needs
                .iter()
                .map(|u| u.load.iter().map(|_| None).collect())
                .collect(),
            known: HashSet::new(),
            stored: HashMap::new(),
            written: Vec::new(),
            by_number: HashMap::new(),
            by_source: HashMap::new(),
            names: Vec::new(),
        };
        ahead.read_loads(conn, &needs).await?;
        ahead.read_hits(conn, &needs).await?;
        Ok(ahead)
    }

    async fn read_loads<C: SqlConn>(
        &mut self,
        conn: &mut C,
        units: &[Needs<'_>],
    ) -> Result<(), StoreError> {
        // Where each load goes, by the statement that reads it.
        let mut by_source = Vec::new();
        let mut by_column: BTreeMap<(&'static str, &'static str), Vec<_>> = BTreeMap::new();
        for (u, unit) in units.iter().enumerate() {
            for (l, key) in unit.load.iter().enumerate() {
                if let EntityRef::EventBySource { name, reference } = key {
                    by_source.push((u, l, name.as_str(), reference.as_str()));
                } else {
                    let (table, column, value) = location(key);
                    by_column
                        .entry((table, column))
                        .or_default()
                        .push((u, l, value));
                }
            }
        }
        if !by_source.is_empty() {
            let params = [
                unnest::texts(by_source.iter().map(|s| s.2)),
                unnest::texts(by_source.iter().map(|s| s.3)),
            ];
            // Intake stores one event per sensor name and reference, so any
            // match is the one (as in `rows::load`).
            let rows = conn
                .fetch(
                    "SELECT u.i, e.data FROM unnest($1::text[], $2::text[]) WITH ORDINALITY \
                     AS u(name, ref, i) CROSS JOIN LATERAL (SELECT data FROM events \
                     WHERE source_name = u.name AND source_ref = u.ref LIMIT 1) AS e",
                    &params,
                    &[ColType::Int, ColType::Text],
                )
                .await?;
            let places: Vec<_> = by_source.iter().map(|s| (s.0, s.1)).collect();
            self.place(units, &places, rows)?;
        }
        for ((table, column), list) in by_column {
            let sql = statement("read ahead", table, 0, || {
                format!(
                    "SELECT u.i, t.data FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i) \
                     CROSS JOIN LATERAL (SELECT data FROM {table} WHERE {column} = u.k LIMIT 1) AS t"
                )
            });
            let params = [unnest::texts(list.iter().map(|s| s.2.as_str()))];
            let rows = conn
                .fetch(sql, &params, &[ColType::Int, ColType::Text])
                .await?;
            let places: Vec<_> = list.iter().map(|s| (s.0, s.1)).collect();
            self.place(units, &places, rows)?;
        }
        Ok(())
    }

    /// Decodes rows of (ordinal, document) into the loads at `places`.
    fn place(
        &mut self,
        units: &[Needs<'_>],
        places: &[(usize, usize)],
        rows: Vec<Vec<SqlValue>>,
    ) -> Result<(), StoreError> {
        for row in rows {
            let mut row = row.into_iter();
            let ordinal = row.next().and_then(|v| v.as_i64());
            let data = row.next().and_then(SqlValue::into_string);
            let (Some(ordinal), Some(data)) = (ordinal, data) else {
                return Err(StoreError::Corrupt(
                    "a record read ahead is incomplete".into(),
                ));
            };
            let place = usize::try_from(ordinal - 1)
                .ok()
                .and_then(|i| places.get(i))
                .copied();
            let Some((u, l)) = place else {
                return Err(StoreError::Corrupt(
                    "a record read ahead is out of place".into(),
                ));
            };
            let entity = decode(&units[u].load[l], &data);
            if let Ok(Entity::Event(event)) = &entity {
                self.known.insert(event.number.to_string());
            }
            self.loaded[u][l] = Some(entity);
        }
        Ok(())
    }

    async fn read_hits<C: SqlConn>(
        &mut self,
        conn: &mut C,
        units: &[Needs<'_>],
    ) -> Result<(), StoreError> {
        let mut keys = HashSet::new();
        let mut since: Option<String> = None;
        for query in units.iter().filter_map(|u| u.correlate) {
            let asked = &query.keys[..query.keys.len().min(MAX_CORRELATION_KEYS)];
            if asked.is_empty() {
                continue;
            }
            keys.extend(asked.iter().map(String::as_str));
            let from = query.since.to_rfc3339();
            if since.as_ref().is_none_or(|s| from < *s) {
                since = Some(from);
            }
        }
        let Some(since) = since else {
            return Ok(());
        };
        let rows = conn
            .fetch(
                &format!(
                    "SELECT h.key, h.number, h.status, h.incident, h.incident_status, h.reported_at \
                     FROM unnest($2::text[]) AS k(key) CROSS JOIN LATERAL ( \
                     SELECT o.key, o.reported_at, e.number, e.status, e.incident, \
                     i.status AS incident_status \
                     FROM (SELECT key, event, reported_at FROM event_observables \
                     WHERE key = k.key AND reported_at >= $1 \
                     ORDER BY reported_at DESC, event DESC LIMIT {PER_KEY}) AS o \
                     JOIN events e ON e.number = o.event \
                     LEFT JOIN incidents i ON i.number = e.incident) AS h"
                ),
                &[SqlValue::text(since), unnest::texts(keys)],
                &[ColType::Text; 6],
            )
            .await?;
        for row in rows {
            let mut row = row.into_iter().map(SqlValue::into_string);
            let hit = hit(&mut row)?;
            let Some(reported_at) = row.next().flatten() else {
                return Err(StoreError::Corrupt(
                    "a correlation row read ahead is incomplete".into(),
                ));
            };
            self.stored
                .entry(hit.key.clone())
                .or_default()
                .push(Stored { reported_at, hit });
        }
        for hits in self.stored.values_mut() {
            hits.sort_by(|a, b| {
                (&b.reported_at, &b.hit.event).cmp(&(&a.reported_at, &a.hit.event))
            });
        }
        Ok(())
    }

    /// Whether the batch still reads ahead and writes behind.
    pub(super) fn on(&self) -> bool {
        self.on
    }

    /// What unit `u` loads (`keys`), as the units before it left it.
    pub(super) fn loads(
        &mut self,
        u: usize,
        keys: &[EntityRef],
    ) -> Result<Vec<Option<Entity>>, StoreError> {
        let found = self
            .loaded
            .get_mut(u)
            .map(std::mem::take)
            .unwrap_or_default();
        keys.iter()
            .zip(found)
            .map(|(key, found)| Ok(self.current(key, found.transpose()?)))
            .collect()
    }

    /// `found` (read ahead for `key`), or the batch's own version of it.
    fn current(&self, key: &EntityRef, found: Option<Entity>) -> Option<Entity> {
        let written = match key {
            EntityRef::Event(n) => self.by_number.get(&n.to_string()),
            EntityRef::EventBySource { name, reference } => self
                .by_source
                .get(&(name.clone(), reference.clone()))
                .or_else(|| match &found {
                    Some(Entity::Event(e)) => self.by_number.get(&e.number.to_string()),
                    _ => None,
                }),
            _ => None,
        };
        match written {
            Some(&i) => Some(Entity::Event(self.written[i].event.clone())),
            None => found,
        }
    }

    /// Stored events sharing one of `keys` reported since `since`, the newest
    /// [`PER_KEY`] per key, newest first, as the batch has left them.
    pub(super) async fn stored_hits<C: SqlConn>(
        &self,
        conn: &mut C,
        keys: &[String],
        since: &str,
    ) -> Result<Vec<CorrelationHit>, StoreError> {
        let mut found: Vec<&Stored> = keys
            .iter()
            .filter_map(|k| self.stored.get(k))
            .flat_map(|hits| hits.iter().filter(|s| s.reported_at.as_str() >= since))
            .collect();
        found.sort_by(|a, b| (&b.reported_at, &b.hit.event).cmp(&(&a.reported_at, &a.hit.event)));
        let mut hits = Vec::with_capacity(found.len());
        for stored in found {
            let mut hit = stored.hit.clone();
            if let Some(&i) = self.by_number.get(&hit.event) {
                let event = &self.written[i].event;
                hit.status = event.status;
                let incident = event.incident.map(|n| n.to_string());
                if incident.as_deref() != hit.incident.as_ref().map(|(n, _)| n.as_str()) {
                    // Linked since the batch began: incidents are not written
                    // behind, so the database knows its status.
                    hit.incident = match incident {
                        Some(n) => incident_status(conn, &n).await?.map(|s| (n, s)),
                        None => None,
                    };
                }
            }
            hits.push(hit);
        }
        Ok(hits)
    }

    /// The rows of `writes`, less their documents, when all of them can be
    /// written behind: events only, new ones under a number of `allocated`
    /// (year, sequence), changed ones the batch knows.
    pub(super) fn behind(
        &self,
        writes: &[Write],
        allocated: &[(u16, u32)],
    ) -> Option<Vec<(Vec<&'static str>, Vec<SqlValue>)>> {
        let mut rows = Vec::with_capacity(writes.len());
        let mut numbers = HashSet::new();
        for write in writes {
            let (new, event) = match write {
                Write::Insert(Entity::Event(e)) => (true, e),
                Write::Update(Entity::Event(e)) => (false, e),
                _ => return None,
            };
            let number = event.number.to_string();
            let ours = if new {
                allocated.contains(&(event.number.year(), event.number.seq()))
                    && !self.by_number.contains_key(&number)
            } else {
                self.by_number.contains_key(&number) || self.known.contains(&number)
            };
            // One write per event a unit: a unit writing one twice goes the long way.
            if !ours || !numbers.insert(number) {
                return None;
            }
            let cols = event_columns(event);
            let (_, _, key) = location(&EntityRef::Event(event.number));
            let mut names = vec!["number"];
            let mut row = vec![SqlValue::text(key)];
            for (name, value) in cols {
                if let SqlValue::Text(Some(text)) = &value
                    && (text.contains('\0')
                        || (!UNINDEXED.contains(&name) && text.len() > MOST_INDEXED_BYTES))
                {
                    return None;
                }
                names.push(name);
                row.push(value);
            }
            names.push("data");
            rows.push((names, row));
        }
        Some(rows)
    }

    /// Takes `writes` (which [`Ahead::behind`] gave `rows` for) to write at
    /// the end of the batch; returns the records and which of them are new.
    pub(super) fn write_behind(
        &mut self,
        writes: Vec<Write>,
        rows: Vec<(Vec<&'static str>, Vec<SqlValue>)>,
    ) -> (Vec<Entity>, Vec<usize>) {
        let mut entities = Vec::with_capacity(writes.len());
        let mut inserted = Vec::new();
        for (write, (names, row)) in writes.into_iter().zip(rows) {
            let (new, event) = match write {
                Write::Insert(Entity::Event(e)) => (true, e),
                Write::Update(Entity::Event(e)) => (false, e),
                // `behind` let through events only.
                _ => continue,
            };
            if self.names.is_empty() {
                self.names = names;
            }
            let number = event.number.to_string();
            let source = match (&event.source.name, &event.source.reference) {
                (Some(name), Some(reference)) => Some((name.to_string(), reference.to_string())),
                _ => None,
            };
            if new {
                inserted.push(entities.len());
            }
            entities.push(Entity::Event(event.clone()));
            let at = match self.by_number.get(&number) {
                // Changed again: the batch writes its latest version, still
                // as new when it was new.
                Some(&at) => {
                    self.written[at].event = event;
                    self.written[at].row = row;
                    at
                }
                None => {
                    self.written.push(Written { new, event, row });
                    self.by_number.insert(number, self.written.len() - 1);
                    self.written.len() - 1
                }
            };
            if let Some(source) = source {
                self.by_source.insert(source, at);
            }
        }
        (entities, inserted)
    }

    /// Writes the events written behind, and stops reading ahead: the
    /// database now holds everything the batch wrote.
    pub(super) async fn write<C: SqlConn>(&mut self, conn: &mut C) -> Result<(), StoreError> {
        let behind = self.take()?;
        if behind.new.is_empty() && behind.changed.is_empty() {
            return Ok(());
        }
        unnest::insert(
            conn,
            "events",
            || behind.into.clone(),
            behind.names.len(),
            &behind.new,
        )
        .await?;
        let updated =
            unnest::update(conn, "events", "number", behind.columns(), &behind.changed).await?;
        behind.check(updated)
    }

    /// Stops reading ahead and hands over the rows of the events written
    /// behind, documents included, for the caller to write.
    pub(super) fn take(&mut self) -> Result<Behind, StoreError> {
        self.on = false;
        self.loaded.clear();
        self.stored.clear();
        let written = std::mem::take(&mut self.written);
        self.by_number.clear();
        self.by_source.clear();
        let documents = documents(&written)?;
        let (new, changed): (Vec<_>, Vec<_>) = written
            .into_iter()
            .zip(documents)
            .map(|(w, data)| {
                let mut row = w.row;
                row.push(SqlValue::text(data));
                (w.new, row)
            })
            .partition(|(new, _)| *new);
        Ok(Behind {
            into: format!("events ({})", self.names.join(", ")),
            names: self.names.clone(),
            new: new.into_iter().map(|(_, row)| row).collect(),
            changed: changed.into_iter().map(|(_, row)| row).collect(),
        })
    }
}

/// The rows of the events a batch wrote behind.
pub(super) struct Behind {
    /// `events` and its columns, as an insert names them.
    pub(super) into: String,
    /// The columns, `number` first (none when no event was written).
    pub(super) names: Vec<&'static str>,
    /// New events, each row in the order of `names`.
    pub(super) new: Vec<Vec<SqlValue>>,
    /// Changed events, each row in the order of `names`.
    pub(super) changed: Vec<Vec<SqlValue>>,
}

impl Behind {
    /// The columns an update sets: all but `number`.
    pub(super) fn columns(&self) -> &[&'static str] {
        self.names.get(1..).unwrap_or_default()
    }

    /// Checks that the update of the changed events found every one.
    pub(super) fn check(&self, updated: u64) -> Result<(), StoreError> {
        if updated != self.changed.len() as u64 {
            return Err(StoreError::Corrupt(format!(
                "{} of {} changed events were found to write",
                updated,
                self.changed.len()
            )));
        }
        Ok(())
    }
}

/// From how many events written behind their documents are written out on every core.
const DOCUMENTS_IN_PARALLEL_FROM: usize = 64;

/// The JSON documents of the events written behind, in order.
fn documents(written: &[Written]) -> Result<Vec<String>, StoreError> {
    use rayon::prelude::*;
    if written.len() < DOCUMENTS_IN_PARALLEL_FROM {
        return written.iter().map(|w| to_json(&w.event)).collect();
    }
    written
        .par_iter()
        .with_min_len(16)
        .map(|w| to_json(&w.event))
        .collect()
}
