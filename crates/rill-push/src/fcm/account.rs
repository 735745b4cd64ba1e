//! Google service-account credentials, read from the JSON file the Cloud console hands out.

use std::sync::Arc;

use ring::signature::RsaKeyPair;
use serde::Deserialize;

use crate::PushError;

/// The parts of a service account FCM needs. The RSA key stays private and is never printed.
#[derive(Clone)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub token_uri: String,
    pub(crate) private_key_id: Option<String>,
    pub(crate) key: Arc<RsaKeyPair>,
}

/// Every field optional, so a missing one is reported by name rather than by serde's position.
#[derive(Deserialize)]
struct RawAccount {
    #[serde(rename = "type")]
    kind: Option<String>,
    project_id: Option<String>,
    private_key_id: Option<String>,
    private_key: Option<String>,
    client_email: Option<String>,
    token_uri: Option<String>,
}

impl ServiceAccount {
    /// Reads Google's service-account JSON (`type` must be `service_account`, `private_key` a PKCS#8 RSA PEM).
    pub fn from_json(json: &str) -> Result<ServiceAccount, PushError> {
        let raw: RawAccount =
            serde_json::from_str(json).map_err(|err| bad(format!("service account is not a JSON object: {err}")))?;
        let kind = required(raw.kind, "type")?;
        if kind != "service_account" {
            return Err(bad(format!("field `type` is {kind:?}, expected \"service_account\"")));
        }
        let project_id = required(raw.project_id, "project_id")?;
        if !project_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_')) {
            return Err(bad("field `project_id` has characters a project id cannot have".into()));
        }
        let token_uri = required(raw.token_uri, "token_uri")?;
        if !(token_uri.starts_with("https://") || token_uri.starts_with("http://")) {
            return Err(bad("field `token_uri` is not an http(s) URL".into()));
        }
        let key = parse_key(&required(raw.private_key, "private_key")?)?;
        let private_key_id = raw.private_key_id.filter(|id| !id.is_empty());
        let client_email = required(raw.client_email, "client_email")?;
        Ok(ServiceAccount { project_id, client_email, token_uri, private_key_id, key: Arc::new(key) })
    }
}

fn parse_key(pem: &str) -> Result<RsaKeyPair, PushError> {
    let der = crate::pem::decode_one(pem, "PRIVATE KEY").map_err(|why| bad(format!("field `private_key`: {why}")))?;
    RsaKeyPair::from_pkcs8(&der)
        .map_err(|why| bad(format!("field `private_key` is not a usable PKCS#8 RSA key ({why})")))
}

fn required(value: Option<String>, field: &str) -> Result<String, PushError> {
    match value {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(bad(format!("service account field `{field}` is missing or empty"))),
    }
}

fn bad(reason: String) -> PushError {
    PushError::Credentials { reason }
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("private_key_id", &self.private_key_id)
            .field("private_key", &"<redacted>")
            .finish()
    }
}
