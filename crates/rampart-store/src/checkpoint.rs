//! Signed checkpoints of the journal. The installation's Ed25519 key signs
//! (sequence, head hash, time); anyone holding the public key can later check
//! that a copy of the journal up to that entry is the one this installation
//! wrote, without access to its database.
//!
//! The signed message is the UTF-8 text
//! `rampart-checkpoint/1\n<seq>\n<hash>\n<at>`.

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::Checkpoint;

/// The bytes a checkpoint's signature covers.
pub fn message(seq: u64, hash: &str, at: &str) -> Vec<u8> {
    format!("rampart-checkpoint/1\n{seq}\n{hash}\n{at}").into_bytes()
}

/// The installation's signing key.
pub struct InstallationKey {
    key: SigningKey,
}

impl std::fmt::Debug for InstallationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("InstallationKey")
            .field("public", &self.public_hex())
            .finish_non_exhaustive()
    }
}

impl InstallationKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Reads the key file, or creates it (mode 0600) when it does not exist.
    /// A key file others may read is refused: anyone who can read it can
    /// forge checkpoints.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        if path.exists() {
            return Self::load(path);
        }
        let key = Self::generate();
        key.write_new(path)?;
        Ok(key)
    }

    /// Reads an existing key file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read signing key {}: {e}", path.display()))?;
        check_private(path)?;
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                format!(
                    "signing key {} is not 64 hexadecimal digits",
                    path.display()
                )
            })?;
        Ok(Self {
            key: SigningKey::from_bytes(&bytes),
        })
    }

    fn write_new(&self, path: &Path) -> Result<(), String> {
        use std::io::Write;
        let fail = |e: std::io::Error| format!("cannot create signing key {}: {e}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(fail)?;
        writeln!(file, "{}", hex::encode(self.key.to_bytes())).map_err(fail)?;
        file.sync_all().map_err(fail)
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs `message`; the signature in hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }

    /// Signs the journal head `(seq, hash)` at time `at`.
    pub fn checkpoint(&self, seq: u64, hash: &str, at: &str) -> Checkpoint {
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at: at.to_owned(),
            key: self.public_hex(),
            signature: self.sign(&message(seq, hash, at)),
        }
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot read signing key {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "signing key {} may be read by other users (mode {:04o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o7777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

/// Checks an Ed25519 signature (hex) by a public key (hex) over `message`.
/// Both are in lowercase hex, as written: another spelling of the same
/// bytes is an alteration too.
pub fn verify(key_hex: &str, message: &[u8], signature_hex: &str) -> Result<(), String> {
    let lowercase = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let key = Some(key_hex)
        .filter(|k| lowercase(k))
        .and_then(|k| hex::decode(k).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| format!("`{key_hex}` is not an Ed25519 public key"))?;
    let signature = Some(signature_hex)
        .filter(|s| lowercase(s))
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or("the signature is not 128 lowercase hexadecimal digits")?;
    key.verify_strict(message, &signature)
        .map_err(|_| "the signature does not match (signed content or key altered)".to_owned())
}

/// Checks a checkpoint's signature against the key it names.
pub fn verify_checkpoint(cp: &Checkpoint) -> Result<(), String> {
    verify(&cp.key, &message(cp.seq, &cp.hash, &cp.at), &cp.signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_and_any_change_breaks_it() {
        let key = InstallationKey::generate();
        let cp = key.checkpoint(7, &"ab".repeat(32), "2026-11-22T00:00:00.000000Z");
        verify_checkpoint(&cp).unwrap();
        let mut moved = cp.clone();
        moved.seq = 8;
        assert!(verify_checkpoint(&moved).is_err());
        let mut other = cp.clone();
        other.key = InstallationKey::generate().public_hex();
        assert!(verify_checkpoint(&other).is_err());
        let mut garbled = cp;
        garbled.signature.replace_range(0..2, "00");
        assert!(verify_checkpoint(&garbled).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private_and_reloads() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/signing.key");
        let first = InstallationKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = InstallationKey::load_or_create(&path).unwrap();
        assert_eq!(first.public_hex(), again.public_hex());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = InstallationKey::load_or_create(&path).unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
