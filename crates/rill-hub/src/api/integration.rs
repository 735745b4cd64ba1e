//! Settings → Integrations → Stream Chat (admins): read the integration (the secret masked), test keys, save
//! them (only after a passing test, unless the admin saves anyway), and the signed-in member's chat session.

use crate::api::extract::{Admin, Body, SecretField, SignedIn};
use crate::api::HubState;
use crate::chat_tokens::chat_session;
use crate::error::{HubError, HubResult};
use crate::integration::{Integration, TestResult, BUILT_IN};
use crate::workspace::Actor;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

fn test_view(test: &TestResult) -> Value {
    json!({"code": test.code, "message": test.message, "app_name": test.app_name, "connected": test.connected})
}

fn integration_view(integration: Option<&Integration>) -> Value {
    match integration {
        None => json!({"configured": false}),
        Some(integration) => json!({
            "configured": true,
            "base_url": integration.base_url,
            "built_in": integration.base_url == BUILT_IN,
            "api_key": integration.api_key,
            "app_id": integration.app_id,
            "api_secret": integration.masked_secret(),
        }),
    }
}

/// `GET /hub/api/integration`.
pub(crate) async fn get_integration(State(state): State<HubState>, _admin: Admin) -> HubResult<Json<Value>> {
    let integration = state.connector.integration().await?;
    Ok(Json(integration_view(integration.as_ref())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IntegrationRequest {
    /// `built-in` (the engine of this server) or the backend's URL.
    base_url: Option<String>,
    api_key: String,
    /// Absent: the stored one (a secret is replaced only by typing a new one).
    api_secret: Option<SecretField>,
    app_id: Option<i64>,
    /// Save even though the test did not pass.
    #[serde(default)]
    save_anyway: bool,
}

async fn proposed(state: &HubState, request: IntegrationRequest) -> HubResult<(Integration, bool)> {
    let stored = state.connector.integration().await?;
    let api_secret = match (request.api_secret, &stored) {
        (Some(secret), _) => secret.0.expose().to_owned(),
        (None, Some(stored)) => stored.api_secret.clone(),
        (None, None) => return Err(HubError::bad_request("invalid_request", "api_secret is required")),
    };
    let base_url = request
        .base_url
        .filter(|url| !url.trim().is_empty())
        .or_else(|| stored.map(|stored| stored.base_url))
        .unwrap_or_else(|| BUILT_IN.to_owned());
    if request.api_key.trim().is_empty() || api_secret.is_empty() {
        return Err(HubError::bad_request("invalid_request", "api_key and api_secret must not be empty"));
    }
    let integration = Integration {
        base_url: base_url.trim().to_owned(),
        api_key: request.api_key.trim().to_owned(),
        api_secret,
        app_id: request.app_id,
    };
    Ok((integration, request.save_anyway))
}

/// `POST /hub/api/integration/test`: Connect and Test without saving.
pub(crate) async fn test_integration(
    State(state): State<HubState>,
    _admin: Admin,
    Body(request): Body<IntegrationRequest>,
) -> HubResult<Json<Value>> {
    let (integration, _) = proposed(&state, request).await?;
    let test = state.connector.test(&integration).await;
    Ok(Json(json!({"test": test_view(&test)})))
}

/// `PUT /hub/api/integration`: tests, then saves when the test passed or the admin saves anyway.
pub(crate) async fn save_integration(
    State(state): State<HubState>,
    Admin(admin): Admin,
    Body(request): Body<IntegrationRequest>,
) -> HubResult<Json<Value>> {
    let (integration, save_anyway) = proposed(&state, request).await?;
    let test = state.connector.test(&integration).await;
    let saved = test.connected || save_anyway;
    if saved {
        state.connector.save(&integration, state.workspace.clock.now()).await?;
        state.workspace.hooks.changed(crate::hooks::Change::IntegrationChanged);
    }
    let result = if saved { format!("saved ({})", test.code) } else { format!("refused: {}", test.code) };
    state.workspace.record(&Actor::of(&admin.member), "integration.save", &integration.base_url, &result).await;
    Ok(Json(
        json!({"saved": saved, "test": test_view(&test), "integration": integration_view(saved.then_some(&integration))}),
    ))
}

/// `GET /hub/api/chat/session`: the member's chat token, signed here; never the secret.
pub(crate) async fn chat_session_of(
    State(state): State<HubState>,
    signed_in: SignedIn,
    headers: HeaderMap,
) -> HubResult<Json<Value>> {
    let (integration, _) = state.connector.connected_client().await?;
    let base_url =
        if integration.base_url == BUILT_IN { own_url(&state, &headers) } else { integration.base_url.clone() };
    let session = chat_session(
        &integration.api_key,
        &base_url,
        &signed_in.member.id,
        &integration.api_secret,
        state.workspace.clock.now(),
    );
    note_chat_token(&state, &signed_in.member.id).await?;
    Ok(Json(json!({
        "api_key": session.api_key,
        "base_url": session.base_url,
        "user_id": session.user_id,
        "token": session.token,
        "expires_at": session.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })))
}

/// This server's address as the browser reached it (the built-in engine shares the Hub's origin).
fn own_url(state: &HubState, headers: &HeaderMap) -> String {
    let host = headers.get(axum::http::header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// `GET /hub/api/provisioning`: the last run's outcome.
pub(crate) async fn provisioning_status(State(state): State<HubState>, _admin: Admin) -> HubResult<Json<Value>> {
    Ok(Json(state.provisioner.status().await?))
}

/// `POST /hub/api/provisioning`: runs provisioning now (a retry after a failure) and answers its outcome.
pub(crate) async fn provision_now(State(state): State<HubState>, Admin(admin): Admin) -> HubResult<Json<Value>> {
    let status = state.provisioner.run_once().await?;
    let result = status["state"].as_str().unwrap_or("unknown").to_owned();
    state.workspace.record(&Actor::of(&admin.member), "provisioning.run", "chat backend", &result).await;
    Ok(Json(status))
}

/// Records that the member got a chat token this month (a row per member and month, so concurrent first
/// tokens count once).
async fn note_chat_token(state: &HubState, member_id: &str) -> HubResult<()> {
    let now = state.workspace.clock.now();
    state.workspace.store.note_chat_token(&now.format("%Y-%m").to_string(), member_id, now).await.map(drop)
}

/// How many members got a chat token in `month`.
pub(crate) async fn chat_tokens_in(state: &HubState, month: &str) -> HubResult<u64> {
    state.workspace.store.chat_tokens_in(month).await
}
