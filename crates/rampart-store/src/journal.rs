//! The hash-chained journal: every change, in order, each entry sealed with
//! `hash = SHA-256(previous hash || canonical bytes of the entry)`.
//!
//! The canonical bytes of an entry are its six fields in this order — sequence
//! number (decimal), time (fixed-width RFC 3339), actor, action, entity and
//! payload (JSON with sorted keys, no whitespace) — each as a 4-byte
//! big-endian length followed by its UTF-8 bytes. The first entry's previous
//! hash is 32 zero bytes. Hashes are stored as lowercase hex.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Store, StoreError};

/// The hash before the first entry, in hex.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One journal entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalEntry {
    pub seq: u64,
    /// Fixed-width RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    /// Canonical JSON text.
    pub payload: String,
    pub hash: String,
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct JournalQuery {
    /// Entries with a sequence number greater than this.
    pub after: u64,
    pub limit: u32,
    /// Only entries about this record.
    pub entity: Option<String>,
}

/// Journal entries newest first, for people browsing it: by record, by
/// actor, by action (each answered from an index).
#[derive(Debug, Clone, Default)]
pub struct JournalSearch {
    /// Entries with a sequence number lower than this (the next page).
    pub before: Option<u64>,
    pub limit: u32,
    /// Only entries about this record.
    pub entity: Option<String>,
    /// Only entries by this actor.
    pub actor: Option<String>,
    /// Only entries of this action, e.g. `incident.transition`.
    pub action: Option<String>,
}

impl JournalEntry {
    /// The canonical bytes the hash covers.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let seq = self.seq.to_string();
        let fields = self.fields(&seq);
        let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
        for f in fields {
            out.extend_from_slice(&field_length(f));
            out.extend_from_slice(f.as_bytes());
        }
        out
    }

    /// The hash of this entry chained to `previous` (hex).
    pub fn compute_hash(&self, previous: &str) -> String {
        let mut hasher = Sha256::new();
        let mut prev = [0u8; 32];
        match hex::decode_to_slice(previous, &mut prev) {
            Ok(()) => hasher.update(prev),
            Err(_) => hasher.update(previous.as_bytes()),
        }
        // The same bytes as `canonical_bytes`, without gathering them first.
        let seq = self.seq.to_string();
        for f in self.fields(&seq) {
            hasher.update(field_length(f));
            hasher.update(f.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    fn fields<'a>(&'a self, seq: &'a str) -> [&'a str; 6] {
        [
            seq,
            &self.at,
            &self.actor,
            &self.action,
            &self.entity,
            &self.payload,
        ]
    }
}

/// A field's length as it precedes the field in the canonical bytes.
fn field_length(field: &str) -> [u8; 4] {
    u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes()
}

/// JSON with object keys sorted and no whitespace, so equal values have equal bytes.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = Vec::with_capacity(1024);
    write_canonical(value, &mut out);
    // Only serde_json's own output and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Writing to a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, k);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every entry is in place and the chain holds.
    Intact { count: u64, head: String },
    /// The first entry that does not hold, and why.
    Broken { seq: u64, reason: String },
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Intact { count, head } => write!(f, "OK {count} entries, head {head}"),
            Self::Broken { seq, reason } => write!(f, "BROKEN at sequence {seq}: {reason}"),
        }
    }
}

/// Checks a sequence of entries against the chain rule, starting from the genesis.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: u64,
    previous: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            previous: GENESIS.to_owned(),
        }
    }
}

impl Verifier {
    /// A verifier that continues the chain after entry `seq`, whose hash is `hash`.
    pub fn after(seq: u64, hash: &str) -> Self {
        Self {
            expected_seq: seq + 1,
            previous: hash.to_owned(),
        }
    }

    /// Checks the next entry; `Err` names the first broken sequence number.
    pub fn check(&mut self, entry: &JournalEntry) -> Result<(), Verification> {
        if entry.seq != self.expected_seq {
            return Err(Verification::Broken {
                seq: self.expected_seq,
                reason: format!("entry missing (next stored entry is {})", entry.seq),
            });
        }
        let hash = entry.compute_hash(&self.previous);
        if hash != entry.hash {
            return Err(Verification::Broken {
                seq: entry.seq,
                reason: "content does not match its hash (entry altered)".into(),
            });
        }
        self.previous = hash;
        self.expected_seq += 1;
        Ok(())
    }

    /// Ends the check against the head the writers recorded.
    pub fn finish(self, head: (u64, String)) -> Verification {
        let count = self.expected_seq - 1;
        if head.0 > count {
            return Verification::Broken {
                seq: count + 1,
                reason: format!("entries {}..={} are missing", count + 1, head.0),
            };
        }
        if head.0 == count && count > 0 && head.1 != self.previous {
            return Verification::Broken {
                seq: count,
                reason: "the recorded head hash differs from the chain".into(),
            };
        }
        Verification::Intact {
            count,
            head: self.previous,
        }
    }
}

/// Verifies the whole journal of a store, page by page.
pub async fn verify(store: &dyn Store) -> Result<Verification, StoreError> {
    let head = store.journal_head().await?;
    let mut verifier = Verifier::default();
    let mut after = 0;
    loop {
        let page = store
            .journal(&JournalQuery {
                after,
                limit: 1000,
                entity: None,
            })
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            if let Err(broken) = verifier.check(entry) {
                return Ok(broken);
            }
        }
    }
    Ok(verifier.finish(head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: u64) -> Vec<JournalEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = JournalEntry {
                    seq,
                    at: "2026-11-22T00:00:00.000000Z".into(),
                    actor: "a".into(),
                    action: "x".into(),
                    entity: format!("E{seq}"),
                    payload: "{}".into(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash(&prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify_all(entries: &[JournalEntry]) -> Verification {
        let mut v = Verifier::default();
        for e in entries {
            if let Err(b) = v.check(e) {
                return b;
            }
        }
        let head = entries
            .last()
            .map(|e| (e.seq, e.hash.clone()))
            .unwrap_or((0, GENESIS.into()));
        v.finish(head)
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,{"z":1,"y":"é"}],"c":null}}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"d":[1,{"y":"é","z":1}]},"b":1}"#
        );
    }

    #[test]
    fn the_hash_covers_the_documented_bytes() {
        // Computed independently from the module's description of the bytes.
        let e = JournalEntry {
            seq: 7,
            at: "2026-11-22T00:00:00.000000Z".into(),
            actor: "alice".into(),
            action: "event.reported".into(),
            entity: "EVT-2026-000007".into(),
            payload: canonical_json(&serde_json::json!({"n": 1.5, "a": "é\"x"})),
            hash: String::new(),
        };
        assert_eq!(e.payload, r#"{"a":"é\"x","n":1.5}"#);
        assert_eq!(
            e.compute_hash(&"ab".repeat(32)),
            "d659fca11d6e4ef4e2448c033348e91bc7a0532630a8563324045ae9ad460e22"
        );
        let mut whole = Sha256::new();
        whole.update([0xab; 32]);
        whole.update(e.canonical_bytes());
        assert_eq!(
            hex::encode(whole.finalize()),
            e.compute_hash(&"ab".repeat(32))
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert!(matches!(
            verify_all(&chain(20)),
            Verification::Intact { count: 20, .. }
        ));
        assert!(matches!(
            verify_all(&[]),
            Verification::Intact { count: 0, .. }
        ));
    }

    proptest! {
        /// Changing any byte of any field of any entry breaks the chain exactly there.
        #[test]
        fn any_altered_byte_is_found(n in 1u64..30, pick in any::<prop::sample::Index>(), field in 0usize..6, byte in any::<prop::sample::Index>()) {
            let mut entries = chain(n);
            let i = pick.index(entries.len());
            let e = &mut entries[i];
            let target = match field { 0 => &mut e.at, 1 => &mut e.actor, 2 => &mut e.action, 3 => &mut e.entity, 4 => &mut e.payload, _ => &mut e.hash };
            let mut bytes = target.clone().into_bytes();
            let b = byte.index(bytes.len());
            bytes[b] = if bytes[b] == b'0' { b'1' } else { b'0' };
            *target = String::from_utf8_lossy(&bytes).into_owned();
            let broken_at = match verify_all(&entries) { Verification::Broken { seq, .. } => Some(seq), _ => None };
            prop_assert_eq!(broken_at, Some(i as u64 + 1));
        }

        #[test]
        fn a_removed_entry_is_named(n in 2u64..30, pick in any::<prop::sample::Index>()) {
            let mut entries = chain(n);
            let i = pick.index(entries.len() - 1);
            entries.remove(i);
            let broken_at = match verify_all(&entries) { Verification::Broken { seq, .. } => Some(seq), _ => None };
            prop_assert_eq!(broken_at, Some(i as u64 + 1));
        }
    }
}
