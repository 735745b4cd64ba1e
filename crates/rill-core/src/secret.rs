//! Secrets: values that cannot leak by accident ([`Secret`]), and the key that seals them at rest
//! ([`SealingKey`]).
//!
//! A `Secret` (an API secret, later push credentials) is not `Serialize`, its `Debug` prints `[redacted]`, and
//! reading it takes an explicit [`Secret::expose`]. In the database a secret is stored sealed: encrypted and
//! authenticated with ChaCha20-Poly1305 under a key kept in its own owner-only file beside the database, and bound
//! to the row it belongs to, so a copy of the database alone (a backup, a stolen disk image of just that file)
//! reveals no secret, and a sealed value moved to another row does not open.

use crate::error::{CoreError, CoreResult};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::fmt;
use std::io::Write;
use std::path::Path;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for signing or verifying; never for a response or a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("[redacted]")
    }
}

/// How sealed values start, so that a plain value from before sealing can be told apart and sealed.
const SEALED_PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 12;
/// The file in the data directory that holds the sealing key.
pub const KEY_FILE: &str = "secret.key";

/// The key that seals secrets at rest. Its `Debug` shows nothing of it.
pub struct SealingKey(ChaCha20Poly1305);

impl fmt::Debug for SealingKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("SealingKey([redacted])")
    }
}

impl SealingKey {
    /// A key from 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> SealingKey {
        SealingKey(ChaCha20Poly1305::new(Key::from_slice(bytes)))
    }

    /// A fresh random key (tests, and the first start of a data directory).
    pub fn generate() -> CoreResult<SealingKey> {
        Ok(SealingKey::from_bytes(&random_bytes::<32>()?))
    }

    /// Reads the key file in `data_dir`, creating it (owner-only, 0600) with a fresh key when there is none
    /// yet. A database whose key file is lost cannot have its secrets opened, so the file must be backed up
    /// with the database.
    pub fn load_or_create(data_dir: &Path) -> CoreResult<SealingKey> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => SealingKey::parse(text.trim())
                .ok_or_else(|| CoreError::internal(format!("{} does not hold a sealing key", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                create_key_file(data_dir, &path)?;
                SealingKey::load_or_create(data_dir)
            }
            Err(error) => Err(CoreError::internal(format!("cannot read {}: {error}", path.display()))),
        }
    }

    fn parse(hex: &str) -> Option<SealingKey> {
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
        }
        Some(SealingKey::from_bytes(&bytes))
    }

    /// Seals `secret` for the row named by `binding` (for an app secret, the app id).
    pub fn seal(&self, secret: &Secret, binding: &str) -> CoreResult<String> {
        let nonce_bytes = random_bytes::<NONCE_BYTES>()?;
        let sealed = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload { msg: secret.expose().as_bytes(), aad: binding.as_bytes() },
            )
            .map_err(|_| CoreError::internal("sealing a secret failed"))?;
        let mut bytes = nonce_bytes.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(bytes)))
    }

    /// Opens a value sealed for `binding`.
    pub fn open(&self, sealed: &str, binding: &str) -> CoreResult<Secret> {
        let refused = || CoreError::internal("a sealed secret does not open with this data directory's key");
        let encoded = sealed.strip_prefix(SEALED_PREFIX).ok_or_else(refused)?;
        let bytes = STANDARD_NO_PAD.decode(encoded).map_err(|_| refused())?;
        if bytes.len() < NONCE_BYTES {
            return Err(refused());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .0
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: binding.as_bytes() })
            .map_err(|_| refused())?;
        String::from_utf8(plain).map(Secret).map_err(|_| refused())
    }

    /// Whether a stored value is sealed (older databases hold plain values until they are opened once).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED_PREFIX)
    }
}

/// Writes a fresh key to a temporary file, then links it into place only if no key is there yet: a crash
/// leaves either no key file or a whole one, and two processes starting at once on a new data directory end
/// up with the same key.
fn create_key_file(data_dir: &Path, path: &Path) -> CoreResult<()> {
    let bytes = random_bytes::<32>()?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let temporary = data_dir.join(format!("{KEY_FILE}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    write_owner_only(&temporary, format!("{hex}\n").as_bytes())?;
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(CoreError::internal(format!("cannot create {}: {error}", path.display()))),
    }
}

fn random_bytes<const N: usize>() -> CoreResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| CoreError::internal(format!("no randomness: {error}")))?;
    Ok(bytes)
}

/// Writes a new file readable and writable by its owner only (0600 on Unix), failing if it exists.
pub fn write_owner_only(path: &Path, contents: &[u8]) -> CoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|error| CoreError::internal(format!("cannot create {}: {error}", path.display())))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|error| CoreError::internal(format!("cannot write {}: {error}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2-canary");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2-canary");
        assert_eq!(format!("{:?}", SealingKey::generate().unwrap()), "SealingKey([redacted])");
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_row() {
        let key = SealingKey::generate().unwrap();
        let secret = Secret::new("hunter2-canary");
        let sealed = key.seal(&secret, "1000001").unwrap();
        assert!(SealingKey::is_sealed(&sealed));
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, key.seal(&secret, "1000001").unwrap(), "a fresh nonce each time");
        assert_eq!(key.open(&sealed, "1000001").unwrap(), secret);
        assert!(key.open(&sealed, "1000002").is_err(), "bound to its row");
        assert!(SealingKey::generate().unwrap().open(&sealed, "1000001").is_err(), "another key");
        let mut tampered = sealed.clone();
        tampered.pop();
        assert!(key.open(&tampered, "1000001").is_err());
    }

    #[test]
    fn the_key_file_is_created_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let key = SealingKey::load_or_create(dir.path()).unwrap();
        let sealed = key.seal(&Secret::new("x"), "1").unwrap();
        let again = SealingKey::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(&sealed, "1").unwrap().expose(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        assert!(SealingKey::load_or_create(dir.path()).is_err());
    }
}
