//! Settings → Integrations → Stream Chat → Push (admins): the FCM service account and the APNs key, the Enable
//! Push switch, written to the chat app through the Stream API, and a test push. The credentials are kept
//! sealed (the `push` settings row) and never returned.

use crate::api::extract::{Admin, Body};
use crate::api::HubState;
use crate::error::{HubError, HubResult};
use crate::push::{apply, check_service_account, test_push, ApnsSettings, BackendRefusal};
use crate::workspace::Actor;
use axum::extract::State;
use axum::Json;
use rill_core::secret::Secret;
use serde::Deserialize;
use serde_json::{json, Value};

const SETTING: &str = "push";

fn refused(error: BackendRefusal) -> HubError {
    match error.code {
        Some(_) => HubError::bad_request("backend_refused", error.to_string()),
        None => HubError::new(502, "backend_unreachable", error.to_string()),
    }
}

/// The stored settings (non-secret part) and credentials (`{"firebase": ..., "apns_p8": ...}`).
async fn stored(state: &HubState) -> HubResult<(Value, Value)> {
    let Some(row) = state.workspace.store.setting(SETTING).await? else { return Ok((json!({}), json!({}))) };
    let secrets = row.secret.map_or(json!({}), |secret| serde_json::from_str(secret.expose()).unwrap_or(json!({})));
    Ok((row.value, secrets))
}

/// `GET /hub/api/push`.
pub(crate) async fn get_push(State(state): State<HubState>, _admin: Admin) -> HubResult<Json<Value>> {
    let (value, secrets) = stored(&state).await?;
    Ok(Json(json!({
        "enabled": value["enabled"].as_bool().unwrap_or(false),
        "firebase": {"configured": secrets["firebase"].is_string(), "project_id": value["firebase"]["project_id"],
            "client_email": value["firebase"]["client_email"]},
        "apns": {"configured": secrets["apns_p8"].is_string(), "key_id": value["apns"]["key_id"],
            "team_id": value["apns"]["team_id"], "bundle_id": value["apns"]["bundle_id"],
            "development": value["apns"]["development"]},
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApnsRequest {
    p8: Option<String>,
    key_id: String,
    team_id: String,
    bundle_id: String,
    #[serde(default)]
    development: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushRequest {
    enabled: bool,
    /// The service account's JSON file, as text; absent: the stored one.
    firebase_credentials: Option<String>,
    apns: Option<ApnsRequest>,
}

/// `PUT /hub/api/push`: validates, writes to the chat app, and only then keeps the settings.
pub(crate) async fn put_push(
    State(state): State<HubState>,
    Admin(admin): Admin,
    Body(request): Body<PushRequest>,
) -> HubResult<Json<Value>> {
    let (mut value, mut secrets) = stored(&state).await?;
    if let Some(credentials) = &request.firebase_credentials {
        let account = check_service_account(credentials)
            .map_err(|problem| HubError::bad_request("invalid_service_account", problem))?;
        value["firebase"] = json!({"project_id": account.project_id, "client_email": account.client_email});
        secrets["firebase"] = json!(credentials);
    }
    if let Some(apns) = &request.apns {
        if let Some(p8) = &apns.p8 {
            if !p8.contains("-----BEGIN PRIVATE KEY-----") {
                return Err(HubError::bad_request("invalid_apns_key", "the APNs key must be the text of a .p8 file"));
            }
            secrets["apns_p8"] = json!(p8);
        }
        value["apns"] = json!({"key_id": apns.key_id, "team_id": apns.team_id, "bundle_id": apns.bundle_id, "development": apns.development});
    }
    value["enabled"] = json!(request.enabled);
    let firebase = secrets["firebase"].as_str().map(str::to_owned);
    let apns = secrets["apns_p8"].as_str().filter(|_| value["apns"].is_object()).map(|p8| ApnsSettings {
        p8: p8.to_owned(),
        key_id: value["apns"]["key_id"].as_str().unwrap_or_default().to_owned(),
        team_id: value["apns"]["team_id"].as_str().unwrap_or_default().to_owned(),
        bundle_id: value["apns"]["bundle_id"].as_str().unwrap_or_default().to_owned(),
        development: value["apns"]["development"].as_bool().unwrap_or(false),
    });
    let (_, client) = state.connector.connected_client().await?;
    let written = apply(&client, request.enabled, firebase.as_deref(), apns.as_ref()).await;
    let line = match &written {
        Ok(()) => "ok".to_owned(),
        Err(error) => format!("refused: {}", error.message),
    };
    state.workspace.record(&Actor::of(&admin.member), "push.save", "chat app", &line).await;
    written.map_err(refused)?;
    let sealed = Secret::new(secrets.to_string());
    state.workspace.store.put_setting(SETTING, &value, Some(&sealed), state.workspace.clock.now()).await?;
    get_push(State(state), Admin(admin)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestRequest {
    /// The member whose devices get the test push (the admin by default).
    member_id: Option<String>,
}

/// `POST /hub/api/push/test`: pushes the newest message of `#general` to the member's devices and shows each
/// device's result.
pub(crate) async fn test(
    State(state): State<HubState>,
    Admin(admin): Admin,
    Body(request): Body<TestRequest>,
) -> HubResult<Json<Value>> {
    let (_, client) = state.connector.connected_client().await?;
    let member_id = request.member_id.unwrap_or_else(|| admin.member.id.clone());
    let latest = client
        .raw(
            reqwest::Method::POST,
            "/channels/team/general/query",
            &[],
            Some(&json!({"state": true, "messages": {"limit": 1}})),
        )
        .await
        .map_err(|error| HubError::new(502, "backend_unreachable", error.to_string()))?;
    let message_id = latest.body["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .and_then(|message| message["id"].as_str())
        .ok_or_else(|| HubError::conflict("no_message", "#general has no message to push yet"))?
        .to_owned();
    let result = test_push(&client, &message_id, &member_id).await.map_err(refused)?;
    let failures: Vec<Value> = result
        .failures
        .iter()
        .map(|failure| json!({"device_id": failure.device_id, "provider": failure.provider, "error": failure.error}))
        .collect();
    Ok(Json(json!({
        "message_id": message_id, "failures": failures, "general_errors": result.general_errors,
        "rendered_apn": result.rendered_apn, "rendered_firebase": result.rendered_firebase,
    })))
}
