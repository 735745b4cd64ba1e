//! Push settings written to the chat app through the Stream API (`PATCH /app`): the FCM service account and
//! the APNs token key, the Enable Push switch, and a test push (`POST /check_push`) whose per-device result is
//! shown. The backend's own refusals are passed on as they are.

use reqwest::Method;
use rill_client::Client;
use serde_json::{json, Value};

/// What a service account's JSON says, once it is checked to be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
}

/// Checks an uploaded file is a Google service account's JSON with what FCM needs (type, project id, client
/// email, a PEM private key); the error names what is wrong.
pub fn check_service_account(json: &str) -> Result<ServiceAccount, String> {
    let value: Value = serde_json::from_str(json).map_err(|_| "the file is not JSON".to_owned())?;
    if value["type"] != "service_account" {
        return Err("this is not a service account (\"type\" is not \"service_account\")".into());
    }
    let field = |name: &str| value[name].as_str().filter(|text| !text.is_empty()).map(str::to_owned);
    let project_id = field("project_id").ok_or("project_id is missing")?;
    let client_email = field("client_email").ok_or("client_email is missing")?;
    let key = field("private_key").ok_or("private_key is missing")?;
    if !key.contains("-----BEGIN PRIVATE KEY-----") {
        return Err("private_key is not a PEM private key".into());
    }
    Ok(ServiceAccount { project_id, client_email })
}

/// The APNs token-authentication settings.
#[derive(Clone, PartialEq, Eq)]
pub struct ApnsSettings {
    /// The `.p8` key's text.
    pub p8: String,
    pub key_id: String,
    pub team_id: String,
    pub bundle_id: String,
    pub development: bool,
}

impl std::fmt::Debug for ApnsSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ApnsSettings")
            .field("p8", &"[redacted]")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("bundle_id", &self.bundle_id)
            .field("development", &self.development)
            .finish()
    }
}

/// A refusal of the backend: its code and message, shown as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the chat backend refused ({status}, code {code:?}): {message}")]
pub struct BackendRefusal {
    pub status: u16,
    pub code: Option<i64>,
    pub message: String,
}

async fn expect_ok(
    response: Result<rill_client::RawResponse, rill_client::ClientError>,
) -> Result<Value, BackendRefusal> {
    let response = response.map_err(|error| BackendRefusal { status: 0, code: None, message: error.to_string() })?;
    if (200..300).contains(&response.status) {
        return Ok(response.body);
    }
    Err(BackendRefusal {
        status: response.status,
        code: response.body["code"].as_i64(),
        message: response.body["message"].as_str().map_or_else(|| response.body.to_string(), str::to_owned),
    })
}

/// Writes the push configuration: each service given is set (and disabled unless `enabled`), each `None`
/// service left as it is.
pub async fn apply(
    client: &Client,
    enabled: bool,
    firebase_credentials: Option<&str>,
    apns: Option<&ApnsSettings>,
) -> Result<(), BackendRefusal> {
    let mut settings = json!({"push_config": {"version": "v3"}});
    if let Some(credentials) = firebase_credentials {
        settings["firebase_config"] = json!({"credentials_json": credentials, "Disabled": !enabled});
    }
    if let Some(apns) = apns {
        settings["apn_config"] = json!({
            "auth_type": "token", "auth_key": apns.p8, "key_id": apns.key_id, "team_id": apns.team_id,
            "bundle_id": apns.bundle_id, "development": apns.development, "Disabled": !enabled,
        });
    }
    expect_ok(client.raw(Method::PATCH, "/app", &[], Some(&settings)).await).await?;
    Ok(())
}

/// One device's failure in a test push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFailure {
    pub device_id: String,
    pub provider: String,
    pub error: String,
}

/// What a test push did: what it rendered, and each device that failed (none: every device got it).
#[derive(Debug, Clone, PartialEq)]
pub struct TestPush {
    pub rendered_apn: Option<String>,
    pub rendered_firebase: Option<String>,
    pub failures: Vec<DeviceFailure>,
    pub general_errors: Vec<String>,
}

/// Sends `message_id`'s push to `user_id`'s devices (`POST /check_push`).
pub async fn test_push(client: &Client, message_id: &str, user_id: &str) -> Result<TestPush, BackendRefusal> {
    let body = json!({"message_id": message_id, "user_id": user_id});
    let answer = expect_ok(client.raw(Method::POST, "/check_push", &[], Some(&body)).await).await?;
    let text = |key: &str| answer[key].as_str().map(str::to_owned);
    let failures = answer["device_errors"]
        .as_object()
        .map(|errors| {
            errors
                .iter()
                .map(|(device_id, error)| DeviceFailure {
                    device_id: device_id.clone(),
                    provider: error["provider"].as_str().unwrap_or_default().to_owned(),
                    error: error["error_message"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let general_errors = answer["general_errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(TestPush {
        rendered_apn: text("rendered_apn_template"),
        rendered_firebase: text("rendered_firebase_template"),
        failures,
        general_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_accounts_are_checked_field_by_field() {
        let good = json!({"type": "service_account", "project_id": "p", "client_email": "e@p",
            "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"});
        assert_eq!(check_service_account(&good.to_string()).unwrap().project_id, "p");
        for (field, needle) in [
            ("type", "service account"),
            ("project_id", "project_id"),
            ("client_email", "client_email"),
            ("private_key", "private_key"),
        ] {
            let mut broken = good.clone();
            broken.as_object_mut().unwrap().remove(field);
            assert!(check_service_account(&broken.to_string()).unwrap_err().contains(needle), "{field}");
        }
        assert!(check_service_account("not json").is_err());
        let settings = ApnsSettings {
            p8: "PRIVATE-canary".into(),
            key_id: "K".into(),
            team_id: "T".into(),
            bundle_id: "b".into(),
            development: true,
        };
        assert!(!format!("{settings:?}").contains("canary"));
    }
}
