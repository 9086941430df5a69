//! Signed checkpoints of the journal. The installation's Ed25519 key signs
//! (sequence, head hash, time); anyone holding the public key can later check
//! that a copy of the journal up to that entry is the one this installation
//! wrote, without access to its database.
//!
//! The signed message is the UTF-8 text
//! `rampart-checkpoint/1\n<seq>\n<hash>\n<at>`.
//!
//! Each checkpoint is also given as a C2SP signed note in the
//! tlog-checkpoint form (c2sp.org/signed-note, c2sp.org/tlog-checkpoint),
//! which transparency-log tooling verifies: the origin line, the journal's
//! length, its head hash in base64, and a signature line by the same key.

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

    /// The key written as 64 hexadecimal digits (its secret seed), as
    /// [`InstallationKey::secret_hex`] gives it.
    pub fn from_secret_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())?;
        Some(Self {
            key: SigningKey::from_bytes(&bytes),
        })
    }

    /// The secret seed in hexadecimal: what a key file holds. Anyone who has
    /// it can sign checkpoints in this installation's name.
    pub fn secret_hex(&self) -> String {
        hex::encode(self.key.to_bytes())
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

/// The signature type byte of Ed25519 in signed notes.
const NOTE_ED25519: u8 = 0x01;

impl InstallationKey {
    /// The origin (and key name) of this installation's signed notes:
    /// `rampart/` and the first 16 hex digits of the public key, unique to
    /// the key and without spaces or `+`.
    pub fn note_origin(&self) -> String {
        format!("rampart/{}", &self.public_hex()[..16])
    }

    /// The four bytes that name the key in a signature line.
    fn note_key_id(&self) -> [u8; 4] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.note_origin().as_bytes());
        h.update([b'\n', NOTE_ED25519]);
        h.update(self.key.verifying_key().to_bytes());
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    /// The verifier key that signed-note tooling is given:
    /// `<name>+<key id, 8 hex digits>+<base64(0x01 || public key)>`.
    pub fn note_verifier(&self) -> String {
        use base64::Engine;
        let mut key = vec![NOTE_ED25519];
        key.extend_from_slice(&self.key.verifying_key().to_bytes());
        format!(
            "{}+{}+{}",
            self.note_origin(),
            hex::encode(self.note_key_id()),
            base64::engine::general_purpose::STANDARD.encode(key)
        )
    }

    /// `checkpoint` as a signed note in the tlog-checkpoint form, signed
    /// now by this key (the signature is deterministic: the same note
    /// again for the same checkpoint). Fails when the checkpoint's hash is
    /// not a SHA-256 in hex.
    pub fn note(&self, checkpoint: &Checkpoint) -> Result<String, String> {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let hash = hex::decode(&checkpoint.hash)
            .ok()
            .filter(|h| h.len() == 32)
            .ok_or_else(|| format!("checkpoint {}: the hash is not a SHA-256", checkpoint.seq))?;
        let text = format!(
            "{}\n{}\n{}\n",
            self.note_origin(),
            checkpoint.seq,
            engine.encode(hash)
        );
        let mut signed = self.note_key_id().to_vec();
        signed.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        Ok(format!(
            "{text}\n\u{2014} {} {}\n",
            self.note_origin(),
            engine.encode(signed)
        ))
    }
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
    fn a_checkpoint_note_verifies_with_signed_note_tooling_and_names_the_head() {
        use signed_note::{Note, StandardVerifier, VerifierList};
        let key = InstallationKey::generate();
        let head = "e15f2032".repeat(8);
        let cp = key.checkpoint(36, &head, "2026-11-23T11:30:02.548102Z");
        let note = key.note(&cp).unwrap();
        assert_eq!(note, key.note(&cp).unwrap(), "deterministic");

        // An independent implementation of c2sp.org/signed-note verifies it
        // with the verifier key Rampart prints.
        let verifier = StandardVerifier::new(&key.note_verifier()).unwrap();
        let known = VerifierList::new(vec![Box::new(verifier)]);
        let parsed = Note::from_bytes(note.as_bytes()).unwrap();
        let (verified, _) = parsed.verify(&known).unwrap();
        assert_eq!(verified.len(), 1);

        // Its text is a c2sp.org/tlog-checkpoint: origin, size, root hash.
        let body = tlog_tiles::Checkpoint::from_bytes(parsed.text()).unwrap();
        assert_eq!(body.origin(), key.note_origin());
        assert_eq!(body.size(), 36);
        assert_eq!(hex::encode(body.hash().0), head);

        // One changed character, and the note no longer verifies.
        let forged = note.replacen("\n36\n", "\n37\n", 1);
        let forged = Note::from_bytes(forged.as_bytes()).unwrap();
        assert!(forged.verify(&known).is_err());
        // Another key's verifier does not know it.
        let other = InstallationKey::generate();
        let stranger = VerifierList::new(vec![Box::new(
            StandardVerifier::new(&other.note_verifier()).unwrap(),
        )]);
        assert!(parsed.verify(&stranger).is_err());
    }

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

    #[test]
    fn a_key_reads_back_from_its_secret() {
        let key = InstallationKey::generate();
        let again = InstallationKey::from_secret_hex(&format!("{}\n", key.secret_hex())).unwrap();
        assert_eq!(key.public_hex(), again.public_hex());
        assert!(InstallationKey::from_secret_hex("not a key").is_none());
        assert!(InstallationKey::from_secret_hex("abcd").is_none());
    }
}
