//! The seal of a report: its last line names the record, the journal
//! entry and head hash it was made from, and carries the installation
//! key's Ed25519 signature over everything before it. Change one byte
//! of the file and the seal no longer holds; `rampart report verify`
//! checks it offline.
//!
//! The seal line is `%rampart-report/1 <fields>` in a PDF (a comment after
//! the end of the document, which readers skip) and `<!-- rampart-report/1
//! <fields> -->` in HTML and Markdown. Its fields are `kind`, `number`,
//! `seq`, `head`, `made`, `key` and `sig`, as `name=value` separated by
//! spaces. The signature covers the UTF-8 text
//! `rampart-report/1\n<kind>\n<number>\n<seq>\n<head>\n<made>\n<sha256>`,
//! where `<sha256>` is the SHA-256 (hex) of the bytes before the seal line.

use sha2::{Digest, Sha256};

const TAG: &str = "rampart-report/1";

/// How the seal line is written: as a PDF comment or an HTML comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealStyle {
    Pdf,
    Comment,
}

/// What a seal states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealFacts {
    /// `incident`, `event` or `vulnerability`.
    pub kind: String,
    pub number: String,
    pub seq: u64,
    pub head: String,
    /// When the report was made, RFC 3339.
    pub made: String,
    /// The signing key, hex.
    pub key: String,
}

fn message(f: &SealFacts, content: &[u8]) -> Vec<u8> {
    let digest = hex::encode(Sha256::digest(content));
    format!(
        "{TAG}\n{}\n{}\n{}\n{}\n{}\n{digest}",
        f.kind, f.number, f.seq, f.head, f.made
    )
    .into_bytes()
}

/// `content` with its seal line appended; `sign` gives the Ed25519
/// signature (hex) of the message by the key `facts.key` names.
pub fn seal(
    mut content: Vec<u8>,
    style: SealStyle,
    facts: &SealFacts,
    sign: impl FnOnce(&[u8]) -> String,
) -> Vec<u8> {
    if !content.ends_with(b"\n") {
        content.push(b'\n');
    }
    let sig = sign(&message(facts, &content));
    let fields = format!(
        "kind={} number={} seq={} head={} made={} key={} sig={sig}",
        facts.kind, facts.number, facts.seq, facts.head, facts.made, facts.key
    );
    let line = match style {
        SealStyle::Pdf => format!("%{TAG} {fields}\n"),
        SealStyle::Comment => format!("<!-- {TAG} {fields} -->\n"),
    };
    content.extend_from_slice(line.as_bytes());
    content
}

/// What checking a report found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealCheck {
    Intact(SealFacts),
    /// Why the report cannot be trusted.
    Broken(String),
}

impl std::fmt::Display for SealCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Intact(s) => write!(
                f,
                "OK {}: {} report made at {} from journal entry {} (head {}), signed by key {}",
                s.number, s.kind, s.made, s.seq, s.head, s.key
            ),
            Self::Broken(why) => write!(f, "BROKEN: {why}"),
        }
    }
}

/// Checks a sealed report. `check(key, message, signature)` verifies an
/// Ed25519 signature (all hex). With `trusted_keys` not empty, the key
/// that signed must be one of them.
pub fn verify(
    file: &[u8],
    trusted_keys: &[String],
    check: impl Fn(&str, &[u8], &str) -> Result<(), String>,
) -> SealCheck {
    match parse(file) {
        Ok((content, facts, sig)) => {
            if !trusted_keys.is_empty() && !trusted_keys.contains(&facts.key) {
                return SealCheck::Broken(format!(
                    "signed by key {}, which is not one of the trusted keys",
                    facts.key
                ));
            }
            match check(&facts.key, &message(&facts, content), &sig) {
                Ok(()) => SealCheck::Intact(facts),
                Err(why) => SealCheck::Broken(format!("the file is not as it was signed: {why}")),
            }
        }
        Err(why) => SealCheck::Broken(why),
    }
}

/// The content before the seal line, the facts the line states and its
/// signature.
fn parse(file: &[u8]) -> Result<(&[u8], SealFacts, String), String> {
    let body = file.strip_suffix(b"\n").ok_or(
        "the file does not end with a seal line: it is not a sealed report, or was cut short",
    )?;
    let start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line = std::str::from_utf8(&body[start..])
        .map_err(|_| "the last line is not a seal: it is not a sealed report, or was changed")?;
    let fields = line
        .strip_prefix(&format!("%{TAG} "))
        .or_else(|| {
            line.strip_prefix(&format!("<!-- {TAG} "))
                .and_then(|l| l.strip_suffix(" -->"))
        })
        .ok_or("the last line is not a seal: it is not a sealed report, or was changed")?;
    let get = |name: &str| -> Result<String, String> {
        fields
            .split(' ')
            .find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .map(str::to_owned)
            .ok_or_else(|| format!("the seal has no `{name}`"))
    };
    let facts = SealFacts {
        kind: get("kind")?,
        number: get("number")?,
        seq: get("seq")?
            .parse()
            .map_err(|_| "the seal's `seq` is not a journal sequence number".to_owned())?,
        head: get("head")?,
        made: get("made")?,
        key: get("key")?,
    };
    let sig = get("sig")?;
    Ok((&file[..start], facts, sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SealFacts {
        SealFacts {
            kind: "incident".into(),
            number: "INC-2026-0001".into(),
            seq: 42,
            head: "ab".repeat(32),
            made: "2026-03-14T09:26:53Z".into(),
            key: "k1".into(),
        }
    }

    /// A stand-in signature scheme for the format's own tests: the
    /// message's hash, keyed by name. The real Ed25519 check is tested
    /// where the installation key lives.
    fn sign(m: &[u8]) -> String {
        hex::encode(Sha256::digest([b"k1".as_slice(), m].concat()))
    }

    fn check(key: &str, m: &[u8], sig: &str) -> Result<(), String> {
        let expected = hex::encode(Sha256::digest([key.as_bytes(), m].concat()));
        (expected == sig)
            .then_some(())
            .ok_or("bad signature".into())
    }

    #[test]
    fn a_seal_holds_until_one_byte_changes() {
        for style in [SealStyle::Pdf, SealStyle::Comment] {
            let sealed = seal(b"%PDF-1.7\nbody\n%%EOF".to_vec(), style, &facts(), sign);
            assert_eq!(verify(&sealed, &[], check), SealCheck::Intact(facts()));
            assert_eq!(
                verify(&sealed, &["k1".into()], check),
                SealCheck::Intact(facts())
            );
            assert!(
                matches!(verify(&sealed, &["k2".into()], check), SealCheck::Broken(m) if m.contains("not one of the trusted"))
            );
            for i in 0..sealed.len() {
                let mut bad = sealed.clone();
                bad[i] ^= 0x01;
                assert!(
                    matches!(verify(&bad, &[], check), SealCheck::Broken(_)),
                    "byte {i} changed and the seal held"
                );
            }
        }
    }

    #[test]
    fn a_file_without_a_seal_is_refused() {
        for file in [
            &b""[..],
            b"\n",
            b"plain text\n",
            b"%rampart-report/1 kind=x\n",
        ] {
            assert!(matches!(verify(file, &[], check), SealCheck::Broken(_)));
        }
    }
}
