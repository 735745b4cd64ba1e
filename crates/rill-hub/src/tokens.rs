//! Random tokens (sessions, one-time links, CSRF) and how they are stored: 32 random bytes in base64url, kept
//! in the database only as their SHA-256, so a copy of the database signs no one in.

use crate::error::{HubError, HubResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rill_core::secret::Secret;
use sha2::{Digest, Sha256};

/// A fresh token: 32 random bytes, base64url without padding (43 characters).
pub fn random_token() -> HubResult<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| HubError::internal(format!("no randomness: {error}")))?;
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
}

/// The SHA-256 of a token, in hex: the key its row is stored under.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares two strings in time that depends on their lengths only, not on where they differ.
pub fn constant_time_eq(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_urlsafe_and_stored_as_their_hash() {
        let (first, second) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(first, second);
        assert_eq!(first.expose().len(), 43);
        assert!(first.expose().bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'));
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd") && !constant_time_eq("abc", "ab"));
    }
}
