//! Whether this node can take changes now. Its database must answer and take
//! writes (not a read-only standby), and its storage must have room: the
//! embedded database's directory and the evidence store are checked for free
//! space with a small probe write, and a commit the database refused for lack
//! of space (PostgreSQL's own disk, which this node cannot look at) counts
//! until a later commit succeeds or [`REFUSED_HOLD`] has passed.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rampart_store::StoreError;

use crate::App;

/// How long a commit refused for lack of space keeps the node not ready,
/// unless a commit succeeds first. After that the node offers itself again,
/// and the next refusal starts the time anew.
pub const REFUSED_HOLD: Duration = Duration::from_secs(30);

/// What the readiness check remembers and where it looks.
#[derive(Debug, Default)]
pub(crate) struct Readiness {
    /// The embedded database's directory (SQLite), checked for room.
    database_dir: Option<PathBuf>,
    /// Set while `refused` may hold something, so a commit costs one load.
    suspect: AtomicBool,
    /// The last commit refused for lack of space: when, and the error.
    refused: Mutex<Option<(Instant, String)>>,
}

impl Readiness {
    /// Remembers a commit refused for lack of space; forgets it on success.
    pub(crate) fn note<T>(&self, result: &Result<T, StoreError>) {
        match result {
            Ok(_) => {
                if self.suspect.swap(false, Ordering::Relaxed)
                    && let Ok(mut refused) = self.refused.lock()
                {
                    *refused = None;
                }
            }
            Err(e) if out_of_space(e) => {
                if let Ok(mut refused) = self.refused.lock() {
                    *refused = Some((Instant::now(), e.to_string()));
                    self.suspect.store(true, Ordering::Relaxed);
                }
            }
            Err(_) => {}
        }
    }

    /// The refusal still in force, if any.
    fn recent_refusal(&self) -> Option<(Duration, String)> {
        if !self.suspect.load(Ordering::Relaxed) {
            return None;
        }
        let refused = self.refused.lock().ok()?;
        let (at, error) = refused.as_ref()?;
        let ago = at.elapsed();
        (ago < REFUSED_HOLD).then(|| (ago, error.clone()))
    }
}

/// True for a storage failure caused by a full disk or an exhausted quota:
/// SQLite's `SQLITE_FULL`, PostgreSQL's `could not extend file`, and the
/// operating system's `ENOSPC` and `EDQUOT` as they read in messages.
pub fn out_of_space(e: &StoreError) -> bool {
    const SIGNS: [&str; 4] = [
        "database or disk is full",
        "No space left on device",
        "Disk quota exceeded",
        "could not extend file",
    ];
    match e {
        StoreError::Database(detail) => SIGNS.iter().any(|s| detail.contains(s)),
        _ => false,
    }
}

impl App {
    /// The same service, checking that `dir` (the embedded database's
    /// directory) has room before it calls itself ready.
    pub fn with_database_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.readiness = std::sync::Arc::new(Readiness {
            database_dir: Some(dir.into()),
            ..Readiness::default()
        });
        self
    }

    /// `Ok` when this node can take changes; otherwise why not, in words fit
    /// for anyone who can reach `/readyz` (no paths; the log has them).
    pub async fn readiness(&self) -> Result<(), String> {
        if let Err(e) = self.store.journal_head().await {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            return Err("the database does not answer".into());
        }
        match self.store.read_only().await {
            Ok(false) => {}
            Ok(true) => {
                tracing::warn!(
                    "not ready: the database takes reads only (a standby?), so this node cannot take changes"
                );
                return Err(
                    "the database takes reads only (a standby?), so this node cannot take changes"
                        .into(),
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "not ready: the database does not answer");
                return Err("the database does not answer".into());
            }
        }
        if let Some(dir) = self.readiness.database_dir.clone() {
            let checked = tokio::task::spawn_blocking({
                let dir = dir.clone();
                move || rampart_evidence::space::check(&dir)
            })
            .await
            .map_err(|e| {
                rampart_evidence::space::SpaceProblem::Unwritable(std::io::Error::other(e))
            })
            .and_then(|r| r);
            if let Err(problem) = checked {
                tracing::warn!(directory = %dir.display(), %problem, "not ready: the database's directory cannot take writes");
                return Err(format!(
                    "the database's directory cannot take writes: {problem}"
                ));
            }
        }
        if let Some(vault) = &self.vault
            && let Err(problem) = vault.blobs.writable().await
        {
            tracing::warn!(directory = %vault.blobs.root().display(), %problem, "not ready: the evidence store cannot take writes");
            return Err(format!("the evidence store cannot take writes: {problem}"));
        }
        if let Some((ago, error)) = self.readiness.recent_refusal() {
            tracing::warn!(%error, "not ready: a recent commit was refused for lack of space");
            return Err(format!(
                "the database refused a commit for lack of space {} s ago, and none has succeeded since",
                ago.as_secs()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disks_are_told_from_other_failures() {
        for full in [
            "database error: database or disk is full",
            "database error: error returned from database: could not extend file \"base/16384/2619\": No space left on device",
            "evidence storage: No space left on device (os error 28)",
            "evidence storage: Disk quota exceeded (os error 122)",
        ] {
            assert!(out_of_space(&StoreError::Database(full.into())), "{full}");
        }
        for other in [
            StoreError::Database("pool timed out while waiting for an open connection".into()),
            StoreError::Corrupt("database or disk is full".into()),
            StoreError::Closed,
        ] {
            assert!(!out_of_space(&other), "{other}");
        }
    }

    #[test]
    fn a_refusal_counts_until_a_commit_succeeds() {
        let readiness = Readiness::default();
        assert!(readiness.recent_refusal().is_none());
        readiness.note::<()>(&Err(StoreError::Database("timed out".into())));
        assert!(readiness.recent_refusal().is_none());
        readiness.note::<()>(&Err(StoreError::Database(
            "database or disk is full".into(),
        )));
        let (_, error) = readiness.recent_refusal().unwrap();
        assert!(error.contains("disk is full"));
        readiness.note(&Ok(()));
        assert!(readiness.recent_refusal().is_none());
    }
}
