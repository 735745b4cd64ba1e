//! Passwords: argon2id with the crate's default cost (19 MiB, 2 passes), stored as PHC strings. Verifying
//! against an unknown email costs the same as against a known one: it runs against a dummy hash of the same
//! cost, so the time of a failed sign-in does not tell whether the email is a member's.

use crate::error::{HubError, HubResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rill_core::secret::Secret;
use std::sync::OnceLock;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest, in bytes: hashing cost grows with the input, so it is bounded.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Refuses a password that is too short or too long.
pub fn check_password(password: &Secret) -> HubResult<()> {
    let text = password.expose();
    if text.chars().count() < MIN_PASSWORD_CHARS {
        return Err(HubError::bad_request(
            "weak_password",
            format!("a password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if text.len() > MAX_PASSWORD_BYTES {
        return Err(HubError::bad_request(
            "weak_password",
            format!("a password has at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Hashes a password (after [`check_password`]) into an argon2id PHC string. Slow on purpose: call it off the
/// async threads (`tokio::task::spawn_blocking`).
pub fn hash_password(password: &Secret) -> HubResult<Secret> {
    check_password(password)?;
    hash_unchecked(password.expose())
}

fn hash_unchecked(password: &str) -> HubResult<Secret> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|error| HubError::internal(format!("no randomness: {error}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|error| HubError::internal(format!("salt: {error}")))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| HubError::internal(format!("hashing a password failed: {error}")))?;
    Ok(Secret::new(hash.to_string()))
}

/// A hash of a random password with the same cost as every real one, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = crate::tokens::random_token().map(|token| token.expose().to_owned()).unwrap_or_default();
        hash_unchecked(&random).map(|hash| hash.expose().to_owned()).unwrap_or_default()
    })
}

/// Whether `password` matches `hash`. Without a hash (no such member, or no password set yet) it verifies against
/// the dummy hash and answers false, so both cases cost one argon2id verification. Slow: see [`hash_password`].
pub fn verify_password(password: &Secret, hash: Option<&Secret>) -> bool {
    let candidate = password.expose().as_bytes();
    if candidate.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let (stored, real) = match hash {
        Some(hash) => (hash.expose(), true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let matches = Argon2::default().verify_password(candidate, &parsed).is_ok();
    matches && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify_only_their_password() {
        let password = Secret::new("correct horse battery");
        let hash = hash_password(&password).unwrap();
        assert!(hash.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash.expose());
        assert_ne!(hash, hash_password(&password).unwrap(), "a fresh salt each time");
        assert!(verify_password(&password, Some(&hash)));
        assert!(!verify_password(&Secret::new("correct horse battery!"), Some(&hash)));
        assert!(!verify_password(&password, None), "no hash never verifies");
        assert!(!verify_password(&password, Some(&Secret::new("not a hash"))));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert_eq!(hash_password(&Secret::new("elevenchars")).unwrap_err().code, "weak_password");
        assert!(check_password(&Secret::new("twelve chars")).is_ok());
        assert!(check_password(&Secret::new("é".repeat(12))).is_ok(), "characters, not bytes");
        assert_eq!(check_password(&Secret::new("x".repeat(MAX_PASSWORD_BYTES + 1))).unwrap_err().code, "weak_password");
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let real = hash_password(&Secret::new("a real password")).unwrap();
        let parameters = |hash: &str| hash.split('$').nth(3).unwrap().to_owned();
        assert_eq!(parameters(dummy_hash()), parameters(real.expose()));
    }
}
