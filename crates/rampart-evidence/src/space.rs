//! Whether a directory can take writes now: enough free space, and a small
//! file can be written in it. Readiness asks this of the evidence store and
//! of the embedded database's directory, so a node whose writes would fail
//! for lack of space says so before they fail.

use std::io::Write as _;
use std::path::Path;

/// Less free space than this, and a directory counts as full: a commit, a
/// checkpoint of the database's log or a small upload could fail.
pub const MIN_FREE_BYTES: u64 = 8 * 1024 * 1024;

/// The file written and removed again to see whether writes succeed.
pub const PROBE_FILE: &str = ".rampart-write-probe";

/// Bytes the probe writes: one page of most file systems.
const PROBE_BYTES: usize = 4096;

/// Why a directory cannot take writes.
#[derive(Debug, thiserror::Error)]
pub enum SpaceProblem {
    #[error("only {free} bytes are free (at least {MIN_FREE_BYTES} are needed)")]
    Low { free: u64 },
    #[error("a file cannot be written there: {0}")]
    Unwritable(std::io::Error),
}

impl SpaceProblem {
    /// True when the problem is the lack of space (rather than, say, a
    /// read-only file system).
    pub fn is_lack_of_space(&self) -> bool {
        match self {
            Self::Low { .. } => true,
            Self::Unwritable(e) => is_out_of_space(e),
        }
    }
}

/// True for the errors a full disk or an exhausted quota gives.
pub fn is_out_of_space(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

/// Checks that `dir` has at least [`MIN_FREE_BYTES`] free and that a small
/// file can be written and removed there. (Not synced: readiness is asked
/// every few seconds, and an fsync can wait long behind a busy disk; the
/// free-space floor covers what a write without sync would not show.)
/// Blocking: call it from a blocking thread.
pub fn check(dir: &Path) -> Result<(), SpaceProblem> {
    if let Some(free) = free_bytes(dir).map_err(SpaceProblem::Unwritable)?
        && free < MIN_FREE_BYTES
    {
        return Err(SpaceProblem::Low { free });
    }
    let probe = dir.join(PROBE_FILE);
    let written =
        std::fs::File::create(&probe).and_then(|mut file| file.write_all(&[0u8; PROBE_BYTES]));
    // Another check may have removed it first.
    match std::fs::remove_file(&probe) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound && written.is_ok() => {
            Err(SpaceProblem::Unwritable(e))
        }
        _ => written.map_err(SpaceProblem::Unwritable),
    }
}

/// The bytes an unprivileged writer may still use in the file system of
/// `dir`; `None` where the platform does not say.
#[cfg(unix)]
fn free_bytes(dir: &Path) -> std::io::Result<Option<u64>> {
    let stat = rustix::fs::statvfs(dir).map_err(std::io::Error::from)?;
    Ok(Some(stat.f_bavail.saturating_mul(stat.f_frsize)))
}

#[cfg(not(unix))]
fn free_bytes(_: &Path) -> std::io::Result<Option<u64>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roomy_directory_takes_writes_and_keeps_no_probe() {
        let dir = tempfile::tempdir().unwrap();
        check(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_missing_directory_cannot_take_writes() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let problem = check(&gone).unwrap_err();
        assert!(matches!(problem, SpaceProblem::Unwritable(_)));
        assert!(!problem.is_lack_of_space());
    }

    #[test]
    fn storage_full_and_quota_errors_are_lack_of_space() {
        assert!(is_out_of_space(&std::io::Error::from_raw_os_error(28)));
        assert!(is_out_of_space(&std::io::Error::from(
            std::io::ErrorKind::QuotaExceeded
        )));
        assert!(!is_out_of_space(&std::io::Error::from(
            std::io::ErrorKind::PermissionDenied
        )));
    }
}
