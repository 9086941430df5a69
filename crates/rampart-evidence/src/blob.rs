//! Content-addressed storage of evidence: each content is one file named by
//! its SHA-256 under `<root>/<aa>/<bb>/<hash>`, written once, read-only
//! afterwards. Content arrives and leaves in chunks; nothing holds a whole
//! file in memory.
//!
//! Content being received is written to `<root>/incoming/` first. Each such
//! file is locked (an advisory lock on the open file) for as long as its
//! upload runs, and removed on every way an upload can fail; a file there
//! that nobody holds locked was left by a process that died mid-upload, and
//! is removed when the store is next opened.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};

/// Size of the buffers used to read and write content.
pub const CHUNK: usize = 256 * 1024;

/// What can go wrong with stored content.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the content is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the stored content {0} is missing")]
    Missing(String),
    #[error("`{0}` is not a SHA-256 in hexadecimal")]
    BadHash(String),
    #[error("evidence storage: {0}")]
    Io(#[from] std::io::Error),
}

/// The content store.
#[derive(Debug)]
pub struct BlobStore {
    root: PathBuf,
    /// Serialises placing and removing files so that a removal never races a
    /// new upload of the same content.
    gate: tokio::sync::Mutex<()>,
}

/// Content received and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
    /// True when the same content was stored already (kept once).
    pub existed: bool,
}

fn check_hash(sha256: &str) -> Result<(), BlobError> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(BlobError::BadHash(sha256.to_owned()))
    }
}

/// Removes the files in `incoming` that no upload holds; returns their names.
/// A file an upload holds (locked), or one whose lock cannot be tested, stays.
fn sweep(incoming: &Path) -> Result<Vec<String>, BlobError> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(incoming)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) else {
            continue;
        };
        match file.try_lock() {
            Ok(()) => {
                std::fs::remove_file(&path)?;
                removed.push(entry.file_name().to_string_lossy().into_owned());
            }
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::warn!(file = %path.display(), error = %e,
                    "cannot tell whether an upload still holds this file; it is kept");
            }
        }
    }
    Ok(removed)
}

impl BlobStore {
    /// Opens (and creates) the store at `root`, removing what uploads cut
    /// off by a dead process left in `incoming/`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        let incoming = root.join("incoming");
        std::fs::create_dir_all(&incoming)?;
        let removed = sweep(&incoming)?;
        if !removed.is_empty() {
            tracing::warn!(
                folder = %incoming.display(),
                files = %removed.join(", "),
                count = removed.len(),
                "removed partial uploads left by an earlier run"
            );
        }
        Ok(Self {
            root,
            gate: tokio::sync::Mutex::new(()),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the store can take content now: enough free space, and a
    /// small file can be written. Runs on a blocking thread.
    pub async fn writable(&self) -> Result<(), crate::space::SpaceProblem> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || crate::space::check(&root))
            .await
            .map_err(|e| crate::space::SpaceProblem::Unwritable(std::io::Error::other(e)))?
    }

    /// Where content with this hash lives.
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        check_hash(sha256)?;
        Ok(self
            .root
            .join(&sha256[0..2])
            .join(&sha256[2..4])
            .join(sha256))
    }

    /// Starts receiving content of at most `limit` bytes.
    pub async fn receive(&self, limit: u64) -> Result<Incoming<'_>, BlobError> {
        use rand::RngCore;
        let mut name = [0u8; 16];
        rand::rng().fill_bytes(&mut name);
        let tmp = self.root.join("incoming").join(hex::encode(name));
        let path = tmp.clone();
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            // Held until the file is closed: a sweep leaves it alone.
            if let Err(e) = file.try_lock() {
                let _ = std::fs::remove_file(&path);
                return Err(std::io::Error::other(e));
            }
            Ok(file)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(Incoming {
            store: self,
            file: Some(BufWriter::with_capacity(
                CHUNK,
                tokio::fs::File::from_std(file),
            )),
            tmp,
            placed: false,
            hasher: Sha256::new(),
            size: 0,
            limit,
        })
    }

    /// Opens stored content for reading, hashing as it goes.
    pub async fn read(&self, sha256: &str) -> Result<Reading, BlobError> {
        let path = self.path_of(sha256)?;
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BlobError::Missing(sha256.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Reading {
            file,
            hasher: Sha256::new(),
            size: 0,
            buf: vec![0; CHUNK],
        })
    }

    /// Reads the whole content and returns the SHA-256 and size it has now.
    pub async fn rehash(&self, sha256: &str) -> Result<(String, u64), BlobError> {
        let mut reading = self.read(sha256).await?;
        while reading.next_chunk().await?.is_some() {}
        Ok(reading.finish())
    }

    /// Removes stored content, when `still_needed` (asked under the store's
    /// lock) says no record refers to it any more. Returns whether it was removed.
    pub async fn remove_unless<F, Fut>(
        &self,
        sha256: &str,
        still_needed: F,
    ) -> Result<bool, BlobError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let path = self.path_of(sha256)?;
        let _gate = self.gate.lock().await;
        if still_needed().await {
            return Ok(false);
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Content being received. Dropped before [`Incoming::finish`], or when
/// `finish` fails, it leaves nothing behind.
#[derive(Debug)]
pub struct Incoming<'a> {
    store: &'a BlobStore,
    file: Option<BufWriter<tokio::fs::File>>,
    tmp: PathBuf,
    /// The temporary file was renamed into place (or removed as a duplicate).
    placed: bool,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl Incoming<'_> {
    /// Appends a chunk.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(BlobError::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        if let Some(file) = self.file.as_mut() {
            file.write_all(chunk).await?;
        }
        Ok(())
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Makes the content durable and files it under its hash; content stored
    /// already is kept once. On failure (a full disk, say) nothing is left
    /// behind: neither the temporary file nor a half-placed one.
    pub async fn finish(mut self) -> Result<StoredBlob, BlobError> {
        // Keeps the file open, and so locked, until it is in place.
        let mut file = self.file.take().ok_or_else(|| {
            BlobError::Io(std::io::Error::other("the upload was finished already"))
        })?;
        file.flush().await?;
        file.get_mut().sync_all().await?;
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let path = self.store.path_of(&sha256)?;
        let _gate = self.store.gate.lock().await;
        if tokio::fs::try_exists(&path).await? {
            tokio::fs::remove_file(&self.tmp).await?;
            self.placed = true;
            return Ok(StoredBlob {
                sha256,
                size: self.size,
                existed: true,
            });
        }
        let dir = path.parent().unwrap_or(&self.store.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await?;
        read_only(&self.tmp).await?;
        tokio::fs::rename(&self.tmp, &path).await?;
        self.placed = true;
        // The rename is durable once the directory is. If that fails, the
        // upload fails, and the file it placed (under the gate, so no other
        // upload can have placed it meanwhile) goes again.
        if let Err(e) = sync_dir(&dir).await {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e.into());
        }
        drop(file);
        Ok(StoredBlob {
            sha256,
            size: self.size,
            existed: false,
        })
    }
}

async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

impl Drop for Incoming<'_> {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(unix)]
async fn read_only(path: &Path) -> Result<(), BlobError> {
    use std::os::unix::fs::PermissionsExt;
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o440)).await?;
    Ok(())
}

#[cfg(not(unix))]
async fn read_only(_: &Path) -> Result<(), BlobError> {
    Ok(())
}

/// Stored content being read in chunks, hashed as it goes.
#[derive(Debug)]
pub struct Reading {
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
    buf: Vec<u8>,
}

impl Reading {
    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BlobError> {
        let n = self.file.read(&mut self.buf).await?;
        if n == 0 {
            return Ok(None);
        }
        let chunk = &self.buf[..n];
        self.hasher.update(chunk);
        self.size += n as u64;
        Ok(Some(chunk.to_vec()))
    }

    /// The SHA-256 and size of what was read.
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn put(store: &BlobStore, data: &[u8]) -> StoredBlob {
        let mut incoming = store.receive(1 << 20).await.unwrap();
        for chunk in data.chunks(7) {
            incoming.write(chunk).await.unwrap();
        }
        incoming.finish().await.unwrap()
    }

    #[tokio::test]
    async fn content_is_stored_once_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let first = put(&store, b"the same bytes").await;
        let second = put(&store, b"the same bytes").await;
        assert_eq!(first.sha256, hex::encode(Sha256::digest(b"the same bytes")));
        assert!(!first.existed && second.existed);
        assert_eq!(
            store.rehash(&first.sha256).await.unwrap(),
            (first.sha256.clone(), 14)
        );
        let incoming = std::fs::read_dir(dir.path().join("incoming"))
            .unwrap()
            .count();
        assert_eq!(incoming, 0, "no temporary files are left");
    }

    #[tokio::test]
    async fn too_large_and_abandoned_uploads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut incoming = store.receive(4).await.unwrap();
        incoming.write(b"1234").await.unwrap();
        assert!(matches!(
            incoming.write(b"5").await,
            Err(BlobError::TooLarge { limit: 4 })
        ));
        drop(incoming);
        let incoming = std::fs::read_dir(dir.path().join("incoming"))
            .unwrap()
            .count();
        assert_eq!(incoming, 0);
    }

    fn incoming(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir.join("incoming"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[tokio::test]
    async fn content_that_cannot_be_placed_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let data = b"cannot be placed";
        let sha256 = hex::encode(Sha256::digest(data));
        // A file where the content's folder should go: placing it fails
        // after the temporary file was written and synced.
        std::fs::write(dir.path().join(&sha256[0..2]), b"in the way").unwrap();
        let mut incoming = store.receive(1 << 20).await.unwrap();
        incoming.write(data).await.unwrap();
        assert_eq!(self::incoming(dir.path()).len(), 1);
        assert!(matches!(incoming.finish().await, Err(BlobError::Io(_))));
        assert_eq!(self::incoming(dir.path()), Vec::<String>::new());
    }

    #[tokio::test]
    async fn opening_removes_what_dead_uploads_left_and_spares_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let mut live = store.receive(1 << 20).await.unwrap();
        live.write(b"still arriving").await.unwrap();
        let left = dir.path().join("incoming").join("0123456789abcdef");
        std::fs::write(&left, b"half an upload of a process that died").unwrap();
        assert_eq!(incoming(dir.path()).len(), 2);

        // Another process (a command-line tool, a second node) opens the store.
        let again = BlobStore::open(dir.path()).unwrap();
        assert!(!left.exists(), "the dead upload's file is gone");
        assert_eq!(
            incoming(dir.path()).len(),
            1,
            "the live upload's file stays"
        );
        let stored = live.finish().await.unwrap();
        assert_eq!(
            again.rehash(&stored.sha256).await.unwrap(),
            (stored.sha256.clone(), 14)
        );
        assert!(incoming(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn hashes_that_are_not_hex_never_become_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        for bad in ["../../etc/passwd", "", &"G".repeat(64)] {
            assert!(matches!(store.read(bad).await, Err(BlobError::BadHash(_))));
        }
        assert!(matches!(
            store.read(&"0".repeat(64)).await,
            Err(BlobError::Missing(_))
        ));
    }
}
