//! `GET /app`, `PATCH /app`, `GET /channeltypes/{name}`.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::reply::Reply;
use axum::extract::State;
use rill_core::ids::ChannelType;
use rill_core::policy;
use rill_protocol::error::ErrorCode;
use rill_protocol::request::UpdateAppRequest;
use rill_protocol::response::{App, Empty, GetAppResponse};
use serde_json::json;

/// `GET /app`. Server configuration (webhooks, hooks, revocation) is shown to server tokens only: a user token
/// sees what a client needs (channel types, permission mode, whether push is on), not where the app's events go.
pub(crate) async fn get_app(State(_state): State<AppState>, auth: Auth) -> ApiResult<Reply<GetAppResponse>> {
    let app = &auth.app;
    let server = auth.is_server();
    let channel_configs = policy::DEFAULT_CHANNEL_TYPES
        .iter()
        .filter_map(|name| policy::channel_type_config(name, app.created_at))
        .map(|config| (config.name.clone(), config.as_listed_in_app()))
        .collect();
    // What Rill does not have yet (push, uploads, moderation, SQS/SNS, calls, campaigns) reads as off or empty,
    // so a client offers none of it.
    let upload_config = json!({
        "size_limit": 0,
        "allowed_file_extensions": [],
        "blocked_file_extensions": [],
        "allowed_mime_types": [],
        "blocked_mime_types": [],
    });
    Ok(Reply(GetAppResponse {
        app: App {
            id: app.id,
            name: app.name.clone(),
            organization: app.name.clone(),
            disable_auth_checks: app.settings.disable_auth_checks,
            disable_permissions_checks: app.settings.disable_permissions_checks,
            permission_version: "v2".into(),
            channel_configs,
            push_notifications: json!({
                "version": "v3",
                "offline_only": true,
                "apn": {"enabled": false, "development": false},
                "firebase": {"enabled": false},
                "huawei": {"enabled": false},
                "xiaomi": {"enabled": false},
                "providers": [],
            }),
            webhook_url: if server { app.settings.webhook_url.clone() } else { String::new() },
            webhook_events: if server { app.settings.webhook_events.clone() } else { Vec::new() },
            revoke_tokens_issued_before: app.settings.revoke_tokens_issued_before.filter(|_| server),
            enforce_unique_usernames: app.settings.enforce_unique_usernames.clone(),
            suspended: app.settings.suspended,
            guest_user_creation_disabled: app.settings.guest_user_creation_disabled,
            file_upload_config: upload_config.clone(),
            image_upload_config: upload_config,
            ..App::default()
        },
    }))
}

pub(crate) async fn update_app(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<UpdateAppRequest>,
) -> ApiResult<Reply<Empty>> {
    if !auth.is_server() {
        return Err(ApiError::new(ErrorCode::NotAllowed, "only server-side calls may update app settings"));
    }
    let app = auth.app.clone();
    let updated = state
        .store()
        .write((app, request), |tx, (app, request)| Box::pin(rill_core::ops::apps::update_app(tx, app, request)))
        .await?;
    state.apps().put(updated);
    Ok(Reply(Empty {}))
}

pub(crate) async fn get_channel_type(
    State(_state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<ChannelType>,
) -> ApiResult<Reply<serde_json::Value>> {
    let config = policy::channel_type_config(&name, auth.app.created_at)
        .ok_or_else(|| ApiError::new(ErrorCode::DoesNotExist, format!("channel type {name} does not exist")))?;
    let mut body =
        serde_json::to_value(&config).map_err(|error| ApiError::new(ErrorCode::Internal, error.to_string()))?;
    if let Some(object) = body.as_object_mut() {
        object.insert("permissions".into(), json!([]));
        object.insert("grants".into(), json!({}));
    }
    Ok(Reply(body))
}
