//! API tokens: how they are made, recognised and stored. The one home of
//! token handling; only the SHA-256 of a token is ever stored.

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
}
