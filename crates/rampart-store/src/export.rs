//! The portable journal file written by `rampart journal export` and checked
//! by `rampart journal verify --file`, on any machine, without the database.
//!
//! JSON Lines, one object per line:
//!
//! 1. `{"header":{"format":"rampart-journal-export/1","exported_at":…,"installation_key":…,"public_keys":[…]}}`
//! 2. `{"entry":{seq, at, actor, action, entity, payload, hash}}` for every
//!    entry from sequence 1, each followed by the `{"checkpoint":{…}}` lines
//!    signed at that entry;
//! 3. `{"end":{"entries":…,"checkpoints":…,"head_seq":…,"head_hash":…,"file_sha256":…,"signature":…}}`
//!    where `file_sha256` covers every byte before the end line and
//!    `signature` is the installation key's signature over
//!    `rampart-journal-export/1\n<file_sha256>`.
//!
//! The export ends on a checkpoint made at its head, so every entry is
//! covered by a signature: the chain ties each entry to the next, the
//! checkpoint ties the head to the key, and the end line ties the whole file.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checkpoint::{self, InstallationKey};
use crate::journal::Verifier;
use crate::{Checkpoint, JournalEntry, JournalQuery, Store, StoreError};

/// The format name in the header.
pub const FORMAT: &str = "rampart-journal-export/1";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Header(Header),
    Entry(JournalEntry),
    Checkpoint(Checkpoint),
    End(End),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    exported_at: String,
    /// The key that signed the end line.
    installation_key: String,
    /// Every key that signed a checkpoint in the file.
    public_keys: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    entries: u64,
    checkpoints: u64,
    head_seq: u64,
    head_hash: String,
    file_sha256: String,
    signature: String,
}

fn end_message(file_sha256: &str) -> Vec<u8> {
    format!("{FORMAT}\n{file_sha256}").into_bytes()
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub entries: u64,
    pub checkpoints: u64,
    pub head: (u64, String),
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Hashing<W> {
    fn line(&mut self, line: &Line) -> Result<(), StoreError> {
        let mut bytes = serde_json::to_vec(line).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.inner.write_all(&bytes).map_err(io_error)
    }
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Database(format!("cannot write the export: {e}"))
}

/// Writes an export line by line.
struct Writer<'k, W: Write> {
    key: &'k InstallationKey,
    out: Hashing<std::io::BufWriter<W>>,
    summary: ExportSummary,
}

impl<'k, W: Write> Writer<'k, W> {
    fn begin(
        key: &'k InstallationKey,
        exported_at: &str,
        mut public_keys: Vec<String>,
        out: W,
    ) -> Result<Self, StoreError> {
        public_keys.push(key.public_hex());
        public_keys.sort();
        public_keys.dedup();
        let mut out = Hashing {
            inner: std::io::BufWriter::new(out),
            hasher: Sha256::new(),
        };
        out.line(&Line::Header(Header {
            format: FORMAT.to_owned(),
            exported_at: exported_at.to_owned(),
            installation_key: key.public_hex(),
            public_keys,
        }))?;
        Ok(Self {
            key,
            out,
            summary: ExportSummary {
                entries: 0,
                checkpoints: 0,
                head: (0, crate::journal::GENESIS.to_owned()),
            },
        })
    }

    /// An entry followed by the checkpoints signed at it.
    fn entry(
        &mut self,
        entry: JournalEntry,
        checkpoints: impl Iterator<Item = Checkpoint>,
    ) -> Result<(), StoreError> {
        self.summary.entries += 1;
        self.summary.head = (entry.seq, entry.hash.clone());
        self.out.line(&Line::Entry(entry))?;
        for cp in checkpoints {
            self.summary.checkpoints += 1;
            self.out.line(&Line::Checkpoint(cp))?;
        }
        Ok(())
    }

    fn end(mut self) -> Result<ExportSummary, StoreError> {
        let file_sha256 = hex::encode(self.out.hasher.clone().finalize());
        let signature = self.key.sign(&end_message(&file_sha256));
        self.out.line(&Line::End(End {
            entries: self.summary.entries,
            checkpoints: self.summary.checkpoints,
            head_seq: self.summary.head.0,
            head_hash: self.summary.head.1.clone(),
            file_sha256,
            signature,
        }))?;
        self.out.inner.flush().map_err(io_error)?;
        Ok(self.summary)
    }
}

/// Writes the journal up to entry `upto` with its checkpoints. The caller
/// signs a checkpoint at `upto` first, so the file ends on one.
pub async fn write(
    store: &dyn Store,
    key: &InstallationKey,
    upto: u64,
    exported_at: &str,
    out: impl Write,
) -> Result<ExportSummary, StoreError> {
    let mut checkpoints = Vec::new();
    let mut after = 0;
    loop {
        let page = store.checkpoints(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        checkpoints.extend(page.into_iter().filter(|c| c.seq <= upto));
    }
    let keys = checkpoints.iter().map(|c| c.key.clone()).collect();
    let mut writer = Writer::begin(key, exported_at, keys, out)?;
    let mut pending = checkpoints.into_iter().peekable();
    let mut after = 0;
    'pages: loop {
        let page = store
            .journal(&JournalQuery {
                after,
                limit: 1000,
                entity: None,
            })
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in page {
            if entry.seq > upto {
                break 'pages;
            }
            let seq = entry.seq;
            let signed_here = std::iter::from_fn(|| pending.next_if(|c| c.seq <= seq));
            writer.entry(entry, signed_here)?;
        }
    }
    writer.end()
}

/// The outcome of checking an export file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportCheck {
    Intact {
        entries: u64,
        checkpoints: u64,
        head: (u64, String),
        /// The checkpoint at the head: when it was signed, and by which key.
        signed_at: String,
        key: String,
    },
    /// The first thing that does not hold: its line, the entry if known, and why.
    Broken {
        line: u64,
        seq: Option<u64>,
        reason: String,
    },
}

impl std::fmt::Display for ExportCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Intact {
                entries,
                checkpoints,
                head,
                signed_at,
                key,
            } => write!(
                f,
                "OK {entries} entries, {checkpoints} signed checkpoints, head {} at sequence {}, signed {signed_at} by key {key}",
                head.1, head.0
            ),
            Self::Broken {
                line,
                seq: Some(seq),
                reason,
            } => write!(f, "BROKEN at line {line}, sequence {seq}: {reason}"),
            Self::Broken {
                line,
                seq: None,
                reason,
            } => write!(f, "BROKEN at line {line}: {reason}"),
        }
    }
}

/// Checks an export file. With `trusted_keys` non-empty, every signature must
/// come from one of those keys (hex); otherwise from the keys the file lists.
pub fn verify(mut input: impl BufRead, trusted_keys: &[String]) -> ExportCheck {
    let mut check = FileCheck {
        trusted: trusted_keys,
        line: 0,
        hasher: Sha256::new(),
        header: None,
        chain: Verifier::default(),
        last: None,
        checkpoints: 0,
        covered: None,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => {
                return check.broken(None, "the file ends early: it has no end line (truncated)");
            }
            Ok(_) => {}
            Err(e) => return check.broken(None, &format!("cannot read the file: {e}")),
        }
        check.line += 1;
        let parsed: Result<Line, _> = serde_json::from_slice(&buf);
        let result = match parsed {
            Err(e) => Err((None, format!("not a valid line of an export ({e})"))),
            Ok(line) => check.step(line),
        };
        match result {
            Err((seq, reason)) => return check.broken(seq, &reason),
            Ok(Some(done)) => {
                // Nothing may follow the end line.
                buf.clear();
                return match input.read_until(b'\n', &mut buf) {
                    Ok(0) => done,
                    _ => {
                        check.line += 1;
                        check.broken(None, "there is data after the end line")
                    }
                };
            }
            Ok(None) => check.hasher.update(&buf),
        }
    }
}

struct FileCheck<'a> {
    trusted: &'a [String],
    line: u64,
    hasher: Sha256,
    header: Option<Header>,
    chain: Verifier,
    last: Option<(u64, String)>,
    checkpoints: u64,
    /// The checkpoint at the last entry so far, if any.
    covered: Option<Checkpoint>,
}

type Step = Result<Option<ExportCheck>, (Option<u64>, String)>;

impl FileCheck<'_> {
    fn broken(&self, seq: Option<u64>, reason: &str) -> ExportCheck {
        ExportCheck::Broken {
            line: self.line,
            seq,
            reason: reason.to_owned(),
        }
    }

    fn key_allowed(&self, key: &str) -> Result<(), String> {
        let listed = self
            .header
            .as_ref()
            .is_some_and(|h| h.public_keys.iter().any(|k| k == key) || h.installation_key == key);
        if !listed {
            return Err(format!("key {key} is not listed in the header"));
        }
        if !self.trusted.is_empty() && !self.trusted.iter().any(|k| k == key) {
            return Err(format!("key {key} is not one of the trusted keys given"));
        }
        Ok(())
    }

    fn step(&mut self, line: Line) -> Step {
        match (line, self.header.is_some()) {
            (Line::Header(h), false) => {
                if h.format != FORMAT {
                    return Err((
                        None,
                        format!("unknown format `{}` (expected {FORMAT})", h.format),
                    ));
                }
                self.header = Some(h);
                let installation = self.header.as_ref().map(|h| h.installation_key.clone());
                self.key_allowed(installation.as_deref().unwrap_or_default())
                    .map_err(|r| (None, r))?;
                Ok(None)
            }
            (_, false) => Err((None, "the file does not start with an export header".into())),
            (Line::Header(_), true) => Err((None, "a second header".into())),
            (Line::Entry(entry), true) => {
                let seq = entry.seq;
                self.chain.check(&entry).map_err(|b| match b {
                    crate::Verification::Broken { seq, reason } => (Some(seq), reason),
                    crate::Verification::Intact { .. } => (Some(seq), String::new()),
                })?;
                self.last = Some((seq, entry.hash));
                self.covered = None;
                Ok(None)
            }
            (Line::Checkpoint(cp), true) => {
                let seq = Some(cp.seq);
                let Some((last_seq, last_hash)) = &self.last else {
                    return Err((seq, "a checkpoint before any entry".into()));
                };
                if cp.seq != *last_seq {
                    return Err((
                        seq,
                        format!(
                            "checkpoint for sequence {} placed after entry {last_seq}",
                            cp.seq
                        ),
                    ));
                }
                if &cp.hash != last_hash {
                    return Err((
                        seq,
                        "the checkpoint's head hash differs from the entry's hash".into(),
                    ));
                }
                self.key_allowed(&cp.key)
                    .map_err(|r| (seq, format!("checkpoint signature: {r}")))?;
                checkpoint::verify_checkpoint(&cp)
                    .map_err(|r| (seq, format!("checkpoint signature: {r}")))?;
                self.checkpoints += 1;
                self.covered = Some(cp);
                Ok(None)
            }
            (Line::End(end), true) => self.end(end),
        }
    }

    fn end(&mut self, end: End) -> Step {
        let (head_seq, head_hash) = self
            .last
            .clone()
            .unwrap_or((0, crate::journal::GENESIS.to_owned()));
        if end.entries != head_seq || end.head_seq != head_seq || end.head_hash != head_hash {
            return Err((
                None,
                format!(
                    "the end line says {} entries up to sequence {}, the file holds {head_seq}",
                    end.entries, end.head_seq
                ),
            ));
        }
        if end.checkpoints != self.checkpoints {
            return Err((
                None,
                format!(
                    "the end line says {} checkpoints, the file holds {}",
                    end.checkpoints, self.checkpoints
                ),
            ));
        }
        let file_sha256 = hex::encode(self.hasher.clone().finalize());
        if end.file_sha256 != file_sha256 {
            return Err((
                None,
                "the file's SHA-256 differs from the one signed at export (a line was changed)"
                    .into(),
            ));
        }
        let key = self
            .header
            .as_ref()
            .map(|h| h.installation_key.clone())
            .unwrap_or_default();
        checkpoint::verify(&key, &end_message(&file_sha256), &end.signature)
            .map_err(|r| (None, format!("export signature: {r}")))?;
        if head_seq == 0 {
            return Err((None, "the export holds no journal entries".into()));
        }
        let Some(cp) = self.covered.take() else {
            return Err((
                Some(head_seq),
                "the last entry is not covered by a signed checkpoint".into(),
            ));
        };
        Ok(Some(ExportCheck::Intact {
            entries: head_seq,
            checkpoints: self.checkpoints,
            head: (head_seq, head_hash),
            signed_at: cp.at,
            key: cp.key,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::GENESIS;
    use proptest::prelude::*;

    /// An export of `n` chained entries with checkpoints at `signed`.
    fn export(key: &InstallationKey, n: u64, signed: &[u64]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::begin(key, "2026-11-22T00:00:00.000000Z", vec![], &mut out).unwrap();
        let mut prev = GENESIS.to_owned();
        for seq in 1..=n {
            let mut e = JournalEntry {
                seq,
                at: "2026-11-22T00:00:00.000000Z".into(),
                actor: "ian".into(),
                action: "evidence.downloaded".into(),
                entity: format!("EVD-2026-{seq:04}"),
                payload: r#"{"reason":"analysis"}"#.into(),
                hash: String::new(),
            };
            e.hash = e.compute_hash(&prev);
            prev = e.hash.clone();
            let cps: Vec<_> = signed
                .iter()
                .filter(|s| **s == seq)
                .map(|_| key.checkpoint(seq, &prev, "2026-11-22T00:00:01.000000Z"))
                .collect();
            w.entry(e, cps.into_iter()).unwrap();
        }
        w.end().unwrap();
        out
    }

    fn check(bytes: &[u8]) -> ExportCheck {
        verify(bytes, &[])
    }

    #[test]
    fn an_honest_export_verifies() {
        let key = InstallationKey::generate();
        let file = export(&key, 12, &[5, 12]);
        match verify(&file[..], &[key.public_hex()]) {
            ExportCheck::Intact {
                entries,
                checkpoints,
                ..
            } => assert_eq!((entries, checkpoints), (12, 2)),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn an_altered_entry_is_named() {
        let key = InstallationKey::generate();
        let file = String::from_utf8(export(&key, 12, &[12])).unwrap();
        let altered = file.replacen("EVD-2026-0007", "EVD-2026-0008", 1);
        assert_eq!(
            check(altered.as_bytes()).to_string(),
            "BROKEN at line 8, sequence 7: content does not match its hash (entry altered)"
        );
    }

    #[test]
    fn a_tail_not_covered_by_a_checkpoint_or_a_foreign_key_is_refused() {
        let key = InstallationKey::generate();
        let file = export(&key, 6, &[3]);
        assert!(
            matches!(check(&file), ExportCheck::Broken { seq: Some(6), .. }),
            "{}",
            check(&file)
        );
        let good = export(&key, 6, &[6]);
        let other = InstallationKey::generate().public_hex();
        assert!(matches!(
            verify(&good[..], &[other]),
            ExportCheck::Broken { line: 1, .. }
        ));
        let truncated = &good[..good.len() - 10];
        assert!(matches!(check(truncated), ExportCheck::Broken { .. }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Whatever byte changes, verification fails, and a change inside an
        /// entry line names that line.
        #[test]
        fn any_changed_byte_is_found(at in any::<prop::sample::Index>(), to in any::<u8>()) {
            let key = InstallationKey::generate();
            let file = export(&key, 8, &[4, 8]);
            let i = at.index(file.len());
            prop_assume!(file[i] != to);
            let mut altered = file.clone();
            altered[i] = to;
            let line = 1 + file[..i].iter().filter(|b| **b == b'\n').count() as u64;
            match check(&altered) {
                ExportCheck::Intact { .. } => prop_assert!(false, "byte {} changed unnoticed", i),
                ExportCheck::Broken { line: found, .. } => {
                    // A changed newline merges or splits lines; otherwise the line is named exactly,
                    // or the end line's whole-file hash catches it.
                    if file[i] != b'\n' && to != b'\n' {
                        prop_assert!(found == line || found == 12, "changed line {} reported line {}", line, found);
                    }
                }
            }
        }
    }
}
