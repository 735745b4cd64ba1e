//! The APNs signing key (an `AuthKey_XXXXXXXXXX.p8`) and the provider tokens (ES256 JWTs) made from it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

use crate::options::Clock;
use crate::PushError;

/// Apple refuses tokens older than an hour and throttles refreshes more often than every 20 minutes;
/// 50 minutes sits safely between.
const REFRESH_AFTER_SECS: i64 = 50 * 60;

/// A P-256 signing key with the ids Apple knows it by. The key itself is never printed.
#[derive(Clone)]
pub struct ApnsKey {
    pub key_id: String,
    pub team_id: String,
    pub(crate) key: Arc<EcdsaKeyPair>,
}

impl ApnsKey {
    /// Reads the `.p8` file Apple hands out (PEM `PRIVATE KEY`, PKCS#8 P-256).
    pub fn from_p8(p8_pem: &str, key_id: &str, team_id: &str) -> Result<ApnsKey, PushError> {
        check_id(key_id, "key_id")?;
        check_id(team_id, "team_id")?;
        let der = crate::pem::decode_one(p8_pem, "PRIVATE KEY")
            .map_err(|why| PushError::Credentials { reason: format!("APNs .p8 key: {why}") })?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &SystemRandom::new())
            .map_err(|why| PushError::Credentials { reason: format!("APNs .p8 is not a P-256 PKCS#8 key ({why})") })?;
        Ok(ApnsKey { key_id: key_id.to_owned(), team_id: team_id.to_owned(), key: Arc::new(key) })
    }
}

/// Ids go into a JWT header and claims; Apple's are 10 alphanumerics, anything else is a typo.
fn check_id(id: &str, field: &str) -> Result<(), PushError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PushError::Credentials { reason: format!("APNs {field} must be alphanumeric, got {id:?}") });
    }
    Ok(())
}

impl std::fmt::Debug for ApnsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsKey")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("key", &"<redacted>")
            .finish()
    }
}

struct Token {
    value: String,
    issued_at: DateTime<Utc>,
}

/// The current provider token, re-signed once it is [`REFRESH_AFTER_SECS`] old. Signing is local and quick,
/// so a plain mutex suffices.
pub(crate) struct ProviderTokens {
    key: ApnsKey,
    clock: Arc<dyn Clock>,
    current: Mutex<Option<Token>>,
}

impl ProviderTokens {
    pub(crate) fn new(key: ApnsKey, clock: Arc<dyn Clock>) -> ProviderTokens {
        ProviderTokens { key, clock, current: Mutex::new(None) }
    }

    pub(crate) fn get(&self) -> Result<String, PushError> {
        let now = self.clock.now();
        let mut current = self.lock();
        // A clock that went backwards would make Apple see a token from the future: re-sign then too.
        let fresh = |t: &&Token| (0..REFRESH_AFTER_SECS).contains(&(now - t.issued_at).num_seconds());
        if let Some(token) = current.as_ref().filter(fresh) {
            return Ok(token.value.clone());
        }
        let value = self.sign(now)?;
        *current = Some(Token { value: value.clone(), issued_at: now });
        tracing::debug!(key_id = %self.key.key_id, "APNs provider token signed");
        Ok(value)
    }

    /// Forgets `stale` (refused as expired) unless another caller already replaced it.
    pub(crate) fn invalidate(&self, stale: &str) {
        let mut current = self.lock();
        if current.as_ref().is_some_and(|t| t.value == stale) {
            *current = None;
        }
    }

    fn sign(&self, now: DateTime<Utc>) -> Result<String, PushError> {
        let header = json!({"alg": "ES256", "kid": self.key.key_id});
        let claims = json!({"iss": self.key.team_id, "iat": now.timestamp()});
        crate::jwt::sign_es256(&self.key.key, &header, &claims)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Token>> {
        // A poisoned lock still holds a whole token or none.
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
