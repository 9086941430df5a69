//! `rampart backup` and `rampart restore`: a consistent copy of an
//! installation (its database, the evidence its records refer to and its
//! signing key) and the way back, each checked before it reports success.
//!
//! A backup is a directory:
//! - `rampart.db` (SQLite: a snapshot taken while the server may run) or
//!   `rampart.pgdump` (PostgreSQL: `pg_dump` in its custom format);
//! - `evidence/`, the content of every evidence item not disposed of, laid
//!   out as the evidence store lays it out;
//! - `signing.key`, the installation's key;
//! - `manifest.json`, written last: what the backup holds, with the SHA-256
//!   of the database file and the key. A directory without it is not a backup.
//!
//! The backup is written into a hidden sibling directory and renamed into
//! place at the end, so a backup that fails leaves nothing behind.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use rampart_domain::{Clock, EvidenceItem};
use rampart_evidence::BlobStore;
use rampart_store::{EvidenceQuery, JournalQuery, MAX_EVIDENCE, Store, Verification};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;

const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = rampart_store_sqlite::DATABASE_FILE;
const PG_FILE: &str = "rampart.pgdump";
const EVIDENCE_DIR: &str = "evidence";
const KEY_FILE: &str = "signing.key";
const FORMAT: u32 = 1;

/// What a backup holds; `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: u32,
    /// `sqlite` or `postgres`.
    backend: String,
    created_at: String,
    /// The journal in the database file: its length and head hash, part of a
    /// chain verified when the backup was taken.
    journal: Head,
    evidence_items: u64,
    evidence_files: u64,
    evidence_bytes: u64,
    /// SHA-256 of the database file and of the key, by file name.
    files: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Head {
    entries: u64,
    hash: String,
}

fn backend_name(config: &Config) -> &'static str {
    if config.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// `rampart backup DEST`.
pub async fn backup(config: &Config, clock: Arc<dyn Clock>, dest: &Path) -> anyhow::Result<()> {
    if dest.exists() && !is_empty_dir(dest)? {
        bail!(
            "{}: exists and is not an empty directory; a backup goes to a new one",
            dest.display()
        );
    }
    let key = config.signing_key();
    if !key.is_file() {
        bail!(
            "no signing key at {}: nothing to back up here (set --config or the data directory)",
            key.display()
        );
    }
    let staging = staging_dir(dest)?;
    match write_backup(config, clock, &staging).await {
        Ok(summary) => {
            if dest.exists() {
                std::fs::remove_dir(dest)
                    .with_context(|| format!("cannot replace {}", dest.display()))?;
            }
            std::fs::rename(&staging, dest).with_context(|| {
                format!("cannot move {} to {}", staging.display(), dest.display())
            })?;
            eprintln!("backup written to {}: {summary}", dest.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e.context(format!("no backup was written to {}", dest.display())))
        }
    }
}

async fn write_backup(
    config: &Config,
    clock: Arc<dyn Clock>,
    staging: &Path,
) -> anyhow::Result<String> {
    let created_at = clock.now().to_string();
    let mut files = BTreeMap::new();
    let (journal, items): (Head, Vec<(String, String)>) = match &config.database_url {
        None => {
            let snapshot = staging.join(SQLITE_FILE);
            let data_dir = config.data_dir.clone();
            let target = snapshot.clone();
            tokio::task::spawn_blocking(move || rampart_store_sqlite::snapshot(&data_dir, &target))
                .await??;
            // The snapshot, not the live database, is what must hold up.
            let store = rampart_store_sqlite::open_existing(staging, clock).await?;
            let head = intact_journal(&store).await?;
            let items = present_evidence(&store)
                .await?
                .into_iter()
                .filter_map(|i| Some((i.number.to_string(), i.content?.sha256)))
                .collect();
            store.backend().close().await;
            drop(store);
            remove_empty_log(staging)?;
            files.insert(SQLITE_FILE.to_owned(), sha256_file(&snapshot)?);
            (head, items)
        }
        Some(url) => {
            let dump = staging.join(PG_FILE);
            // pg_dump and the evidence list read one snapshot.
            let mut snapshot = rampart_store_pg::ExportedSnapshot::take(url).await?;
            let args = vec![
                "--format=custom".to_owned(),
                "--no-owner".to_owned(),
                "--no-privileges".to_owned(),
                format!("--snapshot={}", snapshot.name()),
                format!("--file={}", dump.display()),
            ];
            let target = url.clone();
            let dumped =
                tokio::task::spawn_blocking(move || pg_tool("pg_dump", &target, &args)).await;
            let listed = snapshot.present_evidence().await;
            let head = snapshot.journal_head().await;
            snapshot.release().await;
            dumped??;
            let (seq, hash) = head?;
            let items = listed?;
            // The live chain verifies, and the dump's head is an entry of it.
            let store = rampart_store_pg::open_existing(url, clock).await?;
            intact_journal(&store).await?;
            let entries = u64::try_from(seq).context("journal head")?;
            if entries > 0 {
                let entry = store
                    .journal(&JournalQuery {
                        after: entries - 1,
                        limit: 1,
                        entity: None,
                    })
                    .await?;
                if entry.first().map(|e| e.hash.as_str()) != Some(hash.as_str()) {
                    bail!(
                        "the dump's journal head {hash} at {entries} is not in the database's chain"
                    );
                }
            }
            files.insert(PG_FILE.to_owned(), sha256_file(&dump)?);
            (Head { entries, hash }, items)
        }
    };

    let source = BlobStore::open(config.evidence_dir()).with_context(|| {
        format!(
            "cannot open the evidence store at {}",
            config.evidence_dir().display()
        )
    })?;
    let copy = BlobStore::open(staging.join(EVIDENCE_DIR))?;
    let mut bytes = 0;
    let contents: BTreeSet<&str> = items.iter().map(|(_, sha256)| sha256.as_str()).collect();
    for (number, sha256) in &items {
        let sha256 = sha256.as_str();
        let to = copy.path_of(sha256)?;
        if to.exists() {
            continue;
        }
        let from = source.path_of(sha256)?;
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(&from, &to).with_context(|| {
            format!(
                "evidence {number}: cannot copy its content {}",
                from.display()
            )
        })?;
        let (found, size) = copy.rehash(sha256).await?;
        if found != sha256 {
            bail!(
                "evidence {number}: its stored content no longer matches its SHA-256 {sha256} (now {found}); \
                 investigate before backing up"
            );
        }
        bytes += size;
    }

    let key_copy = staging.join(KEY_FILE);
    std::fs::copy(config.signing_key(), &key_copy).with_context(|| {
        format!(
            "cannot copy the signing key {}",
            config.signing_key().display()
        )
    })?;
    private_file(&key_copy)?;
    files.insert(KEY_FILE.to_owned(), sha256_file(&key_copy)?);

    let manifest = Manifest {
        format: FORMAT,
        backend: backend_name(config).to_owned(),
        created_at,
        journal,
        evidence_items: items.len() as u64,
        evidence_files: contents.len() as u64,
        evidence_bytes: bytes,
        files,
    };
    let text = serde_json::to_string_pretty(&manifest)?;
    std::fs::write(staging.join(MANIFEST), text + "\n")?;
    sync_tree(staging)?;
    Ok(describe(&manifest))
}

/// `rampart restore SRC`.
pub async fn restore(config: &Config, clock: Arc<dyn Clock>, src: &Path) -> anyhow::Result<()> {
    let manifest = read_manifest(src)?;
    let backend = backend_name(config);
    if manifest.backend != backend {
        bail!(
            "{} holds a {} backup; restore it into {} (with {})",
            src.display(),
            manifest.backend,
            if manifest.backend == "sqlite" {
                "a data directory"
            } else {
                "a PostgreSQL database"
            },
            if manifest.backend == "sqlite" {
                "--data-dir"
            } else {
                "--database-url"
            },
        );
    }
    for (name, expected) in &manifest.files {
        let found = sha256_file(&src.join(name))
            .with_context(|| format!("{}: the backup is incomplete", src.display()))?;
        if &found != expected {
            bail!(
                "{}: {name} does not match the manifest (SHA-256 {found}, expected {expected}); the backup was changed or damaged",
                src.display()
            );
        }
    }

    // Every target must be fresh; nothing is written before all are checked.
    let key = config.signing_key();
    if key.exists() {
        bail!(
            "a signing key exists already at {}; restore into a fresh installation",
            key.display()
        );
    }
    let evidence = config.evidence_dir();
    if evidence.exists() && !is_empty_dir(&evidence)? {
        bail!(
            "the evidence store {} is not empty; restore into a fresh installation",
            evidence.display()
        );
    }
    match &config.database_url {
        None => {
            let db = config.data_dir.join(SQLITE_FILE);
            if db.exists() {
                bail!(
                    "a database exists already at {}; restore into a fresh data directory",
                    db.display()
                );
            }
        }
        Some(url) => {
            if !rampart_store_pg::is_empty(url).await? {
                bail!("the PostgreSQL database holds tables already; restore into an empty one");
            }
        }
    }

    match &config.database_url {
        None => {
            create_private_dir(&config.data_dir)?;
            let partial = config.data_dir.join(format!("{SQLITE_FILE}.restoring"));
            std::fs::copy(src.join(SQLITE_FILE), &partial)?;
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, config.data_dir.join(SQLITE_FILE))?;
        }
        Some(url) => {
            pg_tool(
                "pg_restore",
                url,
                &[
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    &src.join(PG_FILE).display().to_string(),
                ],
            )?;
            // Statistics for the planner, which otherwise plans for empty tables.
            rampart_store_pg::analyze(url).await?;
        }
    }
    copy_tree(&src.join(EVIDENCE_DIR), &evidence)?;
    if let Some(dir) = key.parent() {
        create_private_dir(dir)?;
    }
    std::fs::copy(src.join(KEY_FILE), &key)?;
    private_file(&key)?;

    // The restored installation must hold up on its own. An older backup is
    // brought to the current schema on the way.
    let checked = verify_restored(config, clock, &manifest).await;
    match checked {
        Ok(summary) => {
            eprintln!("restored {} into {}: {summary}", src.display(), target(config));
            Ok(())
        }
        Err(e) => Err(e.context(format!(
            "the restored installation at {} did not verify; its files are left in place for inspection",
            target(config)
        ))),
    }
}

async fn verify_restored(
    config: &Config,
    clock: Arc<dyn Clock>,
    manifest: &Manifest,
) -> anyhow::Result<String> {
    let store: Arc<dyn Store> = match &config.database_url {
        None => Arc::new(rampart_store_sqlite::open(&config.data_dir, clock).await?),
        Some(url) => Arc::new(rampart_store_pg::open(url, clock).await?),
    };
    let head = intact_journal(store.as_ref()).await?;
    if manifest.journal != head {
        bail!(
            "the journal has {} entries with head {}, the backup recorded {} with head {}",
            head.entries,
            head.hash,
            manifest.journal.entries,
            manifest.journal.hash
        );
    }
    let items = present_evidence(store.as_ref()).await?;
    let blobs = BlobStore::open(config.evidence_dir())?;
    let mut checked = BTreeSet::new();
    for item in &items {
        // A physical item has no content to check.
        let Some(content) = &item.content else {
            continue;
        };
        let sha256 = content.sha256.as_str();
        if !checked.insert(sha256) {
            continue;
        }
        match blobs.rehash(sha256).await {
            Ok((found, _)) if found == sha256 => {}
            Ok((found, _)) => bail!(
                "evidence {}: its content hashes to {found}, not {sha256}",
                item.number
            ),
            Err(e) => bail!("evidence {}: its content is missing: {e}", item.number),
        }
    }
    Ok(format!(
        "journal intact, {} entries, head {}; {} evidence items ({} files) verified by SHA-256",
        head.entries,
        head.hash,
        items.len(),
        checked.len()
    ))
}

fn target(config: &Config) -> String {
    match &config.database_url {
        Some(_) => "the PostgreSQL database".to_owned(),
        None => config.data_dir.display().to_string(),
    }
}

fn describe(manifest: &Manifest) -> String {
    format!(
        "journal intact, {} entries, head {}; {} evidence items ({} files, {} bytes) verified by SHA-256; the signing key",
        manifest.journal.entries,
        manifest.journal.hash,
        manifest.evidence_items,
        manifest.evidence_files,
        manifest.evidence_bytes
    )
}

fn read_manifest(src: &Path) -> anyhow::Result<Manifest> {
    let path = src.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{}: no {MANIFEST}; this is not a complete Rampart backup",
            src.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a Rampart backup manifest", path.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "{}: backup format {} is not one this version reads ({FORMAT})",
            path.display(),
            manifest.format
        );
    }
    Ok(manifest)
}

async fn intact_journal(store: &dyn Store) -> anyhow::Result<Head> {
    match rampart_store::journal::verify(store).await? {
        Verification::Intact { count, head } => Ok(Head {
            entries: count,
            hash: head,
        }),
        broken => bail!("the journal does not verify: {broken}"),
    }
}

/// Every evidence item whose content is kept, in recorded order.
async fn present_evidence(store: &dyn Store) -> anyhow::Result<Vec<EvidenceItem>> {
    let mut items = Vec::new();
    loop {
        let page = store
            .list_evidence(&EvidenceQuery {
                present_only: true,
                offset: u32::try_from(items.len()).context("too many evidence items")?,
                ..EvidenceQuery::default()
            })
            .await?;
        let full = page.len() == MAX_EVIDENCE as usize;
        items.extend(page);
        if !full {
            return Ok(items);
        }
    }
}

/// Runs a PostgreSQL client tool against `url`; its own message on
/// failure. A password in the URL goes to the tool in its environment
/// (`PGPASSWORD`), not on its command line, where any user of the machine
/// could read it.
fn pg_tool<S: AsRef<std::ffi::OsStr>>(tool: &str, url: &str, args: &[S]) -> anyhow::Result<()> {
    let (url, password) = without_password(url);
    let mut command = std::process::Command::new(tool);
    command.args(args).arg(format!("--dbname={url}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let out = command.output().with_context(|| {
        format!("cannot run {tool}: the PostgreSQL client tools must be installed")
    })?;
    if !out.status.success() {
        bail!(
            "{tool} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A connection URL without its password, and the password (decoded).
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{tail}"),
        Some(percent_decoded(password)),
    )
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A new directory beside `dest` to write into before the rename.
fn staging_dir(dest: &Path) -> anyhow::Result<PathBuf> {
    let name = dest
        .file_name()
        .with_context(|| format!("{}: not a directory name", dest.display()))?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        bail!("{}: no such directory", parent.display());
    }
    let staging = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    create_private_dir(&staging)?;
    Ok(staging)
}

fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    if !dir.is_dir() {
        return Ok(false);
    }
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .next()
        .is_none())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

fn private_file(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// Removes the log files opening the snapshot left, when they hold nothing.
fn remove_empty_log(dir: &Path) -> anyhow::Result<()> {
    let log = dir.join(format!("{SQLITE_FILE}-wal"));
    if log.exists() && std::fs::metadata(&log)?.len() > 0 {
        bail!(
            "the snapshot's log {} is not empty after reading it",
            log.display()
        );
    }
    for name in [format!("{SQLITE_FILE}-wal"), format!("{SQLITE_FILE}-shm")] {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// Copies a directory tree (the evidence store's layout) into `to`.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    create_private_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Syncs every file of the backup and the directories holding them.
fn sync_tree(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            std::fs::File::open(entry.path())?.sync_all()?;
        }
    }
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            without_password(
                "postgres://rampart:s%3Acr%40t@db.example:5432/rampart?sslmode=require"
            ),
            (
                "postgres://rampart@db.example:5432/rampart?sslmode=require".to_owned(),
                Some("s:cr@t".to_owned())
            )
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/test"),
            ("postgres://postgres@127.0.0.1/test".to_owned(), None)
        );
        assert_eq!(
            without_password("postgresql://db/x"),
            ("postgresql://db/x".to_owned(), None)
        );
    }
}
