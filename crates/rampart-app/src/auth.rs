//! The one home of credentials: API tokens, password hashing (argon2id),
//! browser session ids, CSRF tokens and TOTP second factors. Only hashes of
//! tokens and session ids are ever stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every token starts with this, so leaked tokens are easy to spot and scan for.
pub const TOKEN_PREFIX: &str = "rmp_";

/// A new token: the prefix and 32 random bytes, URL-safe base64.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Cheap shape check before touching the database.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == TOKEN_PREFIX.len() + 43
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The stored form. Tokens carry 256 bits of randomness, so a plain SHA-256 is
/// not open to guessing the way a password hash would be.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A public handle for a token (not secret): `tok_` and the first hash characters.
pub fn token_id(token: &str) -> String {
    format!("tok_{}", &hash_token(token)[..12])
}

// ----- passwords ----------------------------------------------------------------

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted (argon2 cost does not depend on it, but bodies should stay small).
pub const MAX_PASSWORD: usize = 256;

/// Checks a new password; the message names what is wrong.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD {
        return Err(format!("must be at least {MIN_PASSWORD} characters"));
    }
    if chars > MAX_PASSWORD {
        return Err(format!("must be at most {MAX_PASSWORD} characters"));
    }
    if password.trim().is_empty() {
        return Err("must not be only spaces".into());
    }
    Ok(())
}

/// The argon2id PHC string of a password, with a fresh random salt.
/// CPU-heavy: call from a blocking task.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Whether `password` matches the stored PHC string. With no stored hash a
/// dummy hash is checked instead, so that the time taken does not reveal
/// whether an account exists. CPU-heavy: call from a blocking task.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    use argon2::password_hash::PasswordVerifier;
    let argon = argon2::Argon2::default();
    match stored {
        Some(hash) => argon.verify_password(password.as_bytes(), hash).is_ok(),
        None => {
            let _ = argon.verify_password(password.as_bytes(), dummy_hash());
            false
        }
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password anyone has").unwrap_or_default())
}

// ----- sessions and CSRF ---------------------------------------------------------

/// A new secret for a session id or a CSRF token: 32 random bytes, URL-safe base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a session id.
pub fn hash_session_id(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Compares two secrets without an early exit on the first differing byte
/// (both are hashed first, so lengths do not matter either).
pub fn secrets_match(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

// ----- TOTP ------------------------------------------------------------------------

/// A new random TOTP secret, base32.
pub fn new_totp_secret() -> String {
    totp_rs::Secret::generate().to_base32()
}

fn totp(secret: &str, account: &str) -> Option<totp_rs::Totp> {
    let bytes = totp_rs::Secret::try_from_base32(secret).ok()?;
    totp_rs::Builder::new()
        .with_secret(bytes)
        .with_account_name(account)
        .with_issuer(Some("Rampart"))
        .build()
        .ok()
}

/// The time step a code is valid for at `unix_seconds` (one step of skew
/// either way), or `None` when the code is wrong.
pub fn check_totp(secret: &str, account: &str, code: &str, unix_seconds: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret, account)?.check(&code, unix_seconds)
}

/// The code for `unix_seconds` (tests and the enrolment page's self-check).
pub fn totp_code(secret: &str, account: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret, account)?.generate(unix_seconds).to_string())
}

/// The `otpauth://` URI authenticator apps read, and the same as an SVG QR code.
pub fn totp_enrolment(secret: &str, account: &str) -> Option<(String, String)> {
    let uri = totp(secret, account)?.to_url().ok()?;
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .ok()?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Some((uri, svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_recognised() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(looks_like_token(&a));
        assert!(!looks_like_token("rmp_short"));
        assert_eq!(hash_token(&a).len(), 64);
    }

    #[test]
    fn passwords_verify_only_when_right() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("correct horse batterY", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
        assert!(!verify_password("x", Some("not a phc string")));
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough password").is_ok());
    }

    #[test]
    fn totp_codes_round_trip_and_expire() {
        let secret = new_totp_secret();
        let code = totp_code(&secret, "alice", 1_800_000_000).unwrap();
        assert_eq!(code.len(), 6);
        assert!(check_totp(&secret, "alice", &code, 1_800_000_000).is_some());
        assert!(check_totp(&secret, "alice", &code, 1_800_000_000 + 600).is_none());
        assert!(check_totp(&secret, "alice", "12345x", 1_800_000_000).is_none());
        let (uri, svg) = totp_enrolment(&secret, "alice").unwrap();
        assert!(uri.starts_with("otpauth://totp/"));
        assert!(svg.contains("<svg"));
    }

    #[test]
    fn secrets_compare() {
        let s = new_secret();
        assert!(secrets_match(&s, &s.clone()));
        assert!(!secrets_match(&s, &new_secret()));
        assert!(!secrets_match(&s, ""));
    }
}
