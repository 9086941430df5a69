//! Evidence bundles: one tar archive per incident holding
//!
//! - `manifest.json`: the incident, and for every item its record (metadata,
//!   hash, size, custody state) and its full custody history (journal entries);
//! - `manifest.sig`: the installation's Ed25519 signature over `manifest.json`, hex;
//! - `signing-key.pub`: the public key, hex;
//! - `files/<EVD-number>/<file name>`: the contents.
//!
//! [`verify`] checks a bundle offline: the signature, then every file against
//! the manifest's SHA-256 and size, and that nothing is missing or added.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use rampart_store::JournalEntry;
use rampart_store::checkpoint;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format name in the manifest.
pub const FORMAT: &str = "rampart-evidence-bundle/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const PUBLIC_KEY: &str = "signing-key.pub";

/// Largest manifest a verifier reads.
const MAX_MANIFEST: u64 = 256 * 1024 * 1024;

/// What a bundle says about its contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub incident: String,
    pub incident_title: String,
    pub created_at: String,
    pub created_by: String,
    /// The journal's head when the bundle was made.
    pub journal_seq: u64,
    pub journal_hash: String,
    pub items: Vec<ManifestItem>,
}

/// One evidence item in a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestItem {
    pub number: String,
    /// Where its content is in the archive.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// The evidence record as stored.
    pub record: serde_json::Value,
    /// Every journal entry about the item, in order: collection, downloads,
    /// transfers, verifications, holds, exports.
    pub custody: Vec<JournalEntry>,
}

/// The archive path of an item's content: its number and a tame file name.
pub fn archive_path(number: &str, filename: Option<&str>) -> String {
    let name: String = filename
        .unwrap_or("content")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let name = name.trim_start_matches('.');
    let name = if name.is_empty() { "content" } else { name };
    format!("files/{number}/{name}")
}

/// A content file to put in a bundle.
#[derive(Debug, Clone)]
pub struct BundleFile {
    pub path: String,
    pub blob: PathBuf,
    pub sha256: String,
    pub size: u64,
}

/// What can stop a bundle from being written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "{path}: the stored content no longer matches its SHA-256 (expected {expected}, found {found})"
    )]
    Altered {
        path: String,
        expected: String,
        found: String,
    },
    #[error("cannot write the bundle: {0}")]
    Io(#[from] std::io::Error),
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

fn header(path: &str, size: u64, mtime: u64) -> Result<tar::Header, std::io::Error> {
    let mut h = tar::Header::new_gnu();
    h.set_path(path)?;
    h.set_size(size);
    h.set_mode(0o444);
    h.set_mtime(mtime);
    h.set_cksum();
    Ok(h)
}

/// Writes a bundle. Each content is hashed as it is copied; if one no longer
/// matches, writing stops with [`BundleError::Altered`] (the archive is then
/// incomplete and must be discarded).
pub fn write(
    manifest: &[u8],
    signature: &str,
    public_key: &str,
    files: &[BundleFile],
    mtime: u64,
    out: impl Write,
) -> Result<(), BundleError> {
    let mut archive = tar::Builder::new(out);
    for (path, bytes) in [
        (MANIFEST, manifest),
        (SIGNATURE, signature.as_bytes()),
        (PUBLIC_KEY, public_key.as_bytes()),
    ] {
        archive.append(&header(path, bytes.len() as u64, mtime)?, bytes)?;
    }
    for file in files {
        let mut reader = HashingReader {
            inner: std::fs::File::open(&file.blob)?.take(file.size),
            hasher: Sha256::new(),
            count: 0,
        };
        archive.append(&header(&file.path, file.size, mtime)?, &mut reader)?;
        let found = hex::encode(reader.hasher.finalize());
        if found != file.sha256 || reader.count != file.size {
            return Err(BundleError::Altered {
                path: file.path.clone(),
                expected: file.sha256.clone(),
                found,
            });
        }
    }
    archive.into_inner()?.flush()?;
    Ok(())
}

/// The outcome of checking a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleCheck {
    Intact {
        incident: String,
        items: usize,
        bytes: u64,
        key: String,
    },
    /// The first thing that does not hold: which part of the bundle, and why.
    Broken { part: String, reason: String },
}

impl std::fmt::Display for BundleCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Intact {
                incident,
                items,
                bytes,
                key,
            } => write!(
                f,
                "OK {incident}: {items} evidence items, {bytes} bytes, every file matches the manifest signed by key {key}"
            ),
            Self::Broken { part, reason } => write!(f, "BROKEN {part}: {reason}"),
        }
    }
}

fn broken(part: &str, reason: impl Into<String>) -> BundleCheck {
    BundleCheck::Broken {
        part: part.to_owned(),
        reason: reason.into(),
    }
}

fn read_small(entry: impl Read, what: &str) -> Result<Vec<u8>, BundleCheck> {
    let mut bytes = Vec::new();
    entry
        .take(MAX_MANIFEST)
        .read_to_end(&mut bytes)
        .map_err(|e| broken(what, format!("cannot be read: {e}")))?;
    Ok(bytes)
}

/// Checks a bundle. With `trusted_keys` non-empty, the manifest must be signed
/// by one of them (hex); otherwise by the key the bundle carries.
pub fn verify(input: impl Read, trusted_keys: &[String]) -> BundleCheck {
    match check(input, trusted_keys) {
        Ok(done) | Err(done) => done,
    }
}

fn check(input: impl Read, trusted_keys: &[String]) -> Result<BundleCheck, BundleCheck> {
    let mut archive = tar::Archive::new(input);
    let mut manifest = None;
    let mut signature = None;
    let mut key = None;
    let mut files: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let entries = archive
        .entries()
        .map_err(|e| broken("archive", format!("is not a readable tar archive: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| broken("archive", format!("is damaged: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| broken("archive", format!("holds a bad file name: {e}")))?
            .to_string_lossy()
            .into_owned();
        match path.as_str() {
            MANIFEST => manifest = Some(read_small(entry, MANIFEST)?),
            SIGNATURE => signature = Some(read_small(entry, SIGNATURE)?),
            PUBLIC_KEY => key = Some(read_small(entry, PUBLIC_KEY)?),
            p if p.starts_with("files/") => {
                let mut reader = HashingReader {
                    inner: entry,
                    hasher: Sha256::new(),
                    count: 0,
                };
                std::io::copy(&mut reader, &mut std::io::sink())
                    .map_err(|e| broken(&format!("file {p}"), format!("cannot be read: {e}")))?;
                if files
                    .insert(
                        p.to_owned(),
                        (hex::encode(reader.hasher.finalize()), reader.count),
                    )
                    .is_some()
                {
                    return Err(broken(&format!("file {p}"), "appears twice"));
                }
            }
            other => return Err(broken(&format!("file {other}"), "is not part of a bundle")),
        }
    }
    let manifest = manifest.ok_or_else(|| broken(MANIFEST, "is missing"))?;
    let signature = signature.ok_or_else(|| broken(SIGNATURE, "is missing"))?;
    let key = key.ok_or_else(|| broken(PUBLIC_KEY, "is missing"))?;
    let key = String::from_utf8_lossy(&key).trim().to_owned();
    if !trusted_keys.is_empty() && !trusted_keys.contains(&key) {
        return Err(broken(
            PUBLIC_KEY,
            format!("key {key} is not one of the trusted keys given"),
        ));
    }
    checkpoint::verify(&key, &manifest, String::from_utf8_lossy(&signature).trim())
        .map_err(|r| broken(MANIFEST, format!("signature check failed: {r}")))?;
    let manifest: Manifest = serde_json::from_slice(&manifest)
        .map_err(|e| broken(MANIFEST, format!("is not a bundle manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(broken(
            MANIFEST,
            format!("unknown format `{}` (expected {FORMAT})", manifest.format),
        ));
    }
    let mut bytes = 0;
    for item in &manifest.items {
        let part = format!("file {} ({})", item.path, item.number);
        let (sha256, size) = files
            .remove(&item.path)
            .ok_or_else(|| broken(&part, "is missing from the archive"))?;
        if sha256 != item.sha256 {
            return Err(broken(
                &part,
                format!(
                    "SHA-256 differs from the manifest: expected {}, found {sha256}",
                    item.sha256
                ),
            ));
        }
        if size != item.size {
            return Err(broken(
                &part,
                format!(
                    "size differs from the manifest: expected {}, found {size}",
                    item.size
                ),
            ));
        }
        if let Some(e) = item.custody.iter().find(|e| e.entity != item.number) {
            return Err(broken(
                &part,
                format!(
                    "custody entry {} is about {}, not this item",
                    e.seq, e.entity
                ),
            ));
        }
        bytes += size;
    }
    if let Some(extra) = files.keys().next() {
        return Err(broken(
            &format!("file {extra}"),
            "is not listed in the manifest",
        ));
    }
    Ok(BundleCheck::Intact {
        incident: manifest.incident,
        items: manifest.items.len(),
        bytes,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_store::checkpoint::InstallationKey;

    fn bundle(dir: &std::path::Path, key: &InstallationKey) -> Vec<u8> {
        let contents: [&[u8]; 2] = [b"first evidence content", b"second one, a bit longer"];
        let mut files = Vec::new();
        let mut items = Vec::new();
        for (i, c) in contents.iter().enumerate() {
            let blob = dir.join(format!("b{i}"));
            std::fs::write(&blob, c).unwrap();
            let number = format!("EVD-2026-000{}", i + 1);
            let path = archive_path(&number, Some("mail.eml"));
            let sha256 = hex::encode(Sha256::digest(c));
            files.push(BundleFile {
                path: path.clone(),
                blob,
                sha256: sha256.clone(),
                size: c.len() as u64,
            });
            items.push(ManifestItem {
                number,
                path,
                sha256,
                size: c.len() as u64,
                record: serde_json::json!({}),
                custody: vec![],
            });
        }
        let manifest = serde_json::to_vec(&Manifest {
            format: FORMAT.into(),
            incident: "INC-2026-0001".into(),
            incident_title: "t".into(),
            created_at: "2026-11-22T00:00:00Z".into(),
            created_by: "ian".into(),
            journal_seq: 1,
            journal_hash: "00".into(),
            items,
        })
        .unwrap();
        let mut out = Vec::new();
        write(
            &manifest,
            &key.sign(&manifest),
            &key.public_hex(),
            &files,
            0,
            &mut out,
        )
        .unwrap();
        out
    }

    fn find(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    }

    #[test]
    fn an_intact_bundle_verifies_and_a_changed_byte_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = InstallationKey::generate();
        let good = bundle(dir.path(), &key);
        assert!(matches!(
            verify(&good[..], &[key.public_hex()]),
            BundleCheck::Intact { items: 2, .. }
        ));

        let mut altered = good.clone();
        let at = find(&altered, b"second one");
        altered[at] = b'S';
        match verify(&altered[..], &[]) {
            BundleCheck::Broken { part, reason } => {
                assert_eq!(part, "file files/EVD-2026-0002/mail.eml (EVD-2026-0002)");
                assert!(reason.contains("SHA-256"), "{reason}");
            }
            other => panic!("{other}"),
        }

        let mut altered = good.clone();
        let at = find(&altered, b"INC-2026-0001");
        altered[at + 12] = b'2';
        match verify(&altered[..], &[]) {
            BundleCheck::Broken { part, .. } => assert_eq!(part, MANIFEST),
            other => panic!("{other}"),
        }

        let other_key = InstallationKey::generate().public_hex();
        assert!(matches!(
            verify(&good[..], &[other_key]),
            BundleCheck::Broken { part, .. } if part == PUBLIC_KEY
        ));
    }

    #[test]
    fn altered_content_stops_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let blob = dir.path().join("b");
        std::fs::write(&blob, b"tampered").unwrap();
        let err = write(
            b"{}",
            "",
            "",
            &[BundleFile {
                path: "files/x/y".into(),
                blob,
                sha256: "00".repeat(32),
                size: 8,
            }],
            0,
            std::io::sink(),
        )
        .unwrap_err();
        assert!(matches!(err, BundleError::Altered { .. }));
    }

    #[test]
    fn file_names_cannot_escape_the_item_folder() {
        assert_eq!(
            archive_path("EVD-2026-0001", Some("../../etc/passwd")),
            "files/EVD-2026-0001/_.._etc_passwd"
        );
        assert_eq!(
            archive_path("EVD-2026-0001", None),
            "files/EVD-2026-0001/content"
        );
        assert_eq!(
            archive_path("EVD-2026-0001", Some("...")),
            "files/EVD-2026-0001/content"
        );
    }
}
