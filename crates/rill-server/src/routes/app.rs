//! `GET /app`, `PATCH /app`, `GET /channeltypes/{name}`.

use crate::app::AppState;
use crate::convert;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::limiter::Platform;
use crate::reply::Reply;
use axum::extract::State;
use rill_core::ids::ChannelType;
use rill_protocol::error::ErrorCode;
use rill_protocol::request::{RateLimitsQuery, UpdateAppRequest};
use rill_protocol::response::{App, Empty, GetAppResponse, LimitInfo, RateLimitsResponse, UsageResponse};
use serde_json::json;
use std::collections::BTreeMap;

/// `GET /app`. Server configuration (webhooks, hooks, revocation) is shown to server tokens only: a user token
/// sees what a client needs (channel types, permission mode, whether push is on), not where the app's events go.
pub(crate) async fn get_app(State(state): State<AppState>, auth: Auth) -> ApiResult<Reply<GetAppResponse>> {
    let app = &auth.app;
    let server = auth.is_server();
    let providers = state.store().read_for_app(app.id, app.id, |tx, app_id| tx.push_providers(*app_id)).await?;
    let channel_configs = rill_core::ops::channel_types::all(app)
        .into_iter()
        .map(|config| (config.name.clone(), config.as_listed_in_app()))
        .collect();
    // What Rill does not have (SQS/SNS, calls, campaigns) reads as off or empty, so a client offers none of it.
    let upload_config = |rules: &rill_core::model::UploadRules| {
        json!({
            "size_limit": rules.size_limit,
            "allowed_file_extensions": rules.allowed_file_extensions,
            "blocked_file_extensions": rules.blocked_file_extensions,
            "allowed_mime_types": rules.allowed_mime_types,
            "blocked_mime_types": rules.blocked_mime_types,
        })
    };
    Ok(Reply(GetAppResponse {
        app: App {
            id: app.id,
            name: app.name.clone(),
            organization: app.name.clone(),
            disable_auth_checks: app.settings.disable_auth_checks,
            disable_permissions_checks: app.settings.disable_permissions_checks,
            permission_version: "v2".into(),
            channel_configs,
            push_notifications: convert::push_notifications(&app.settings.push, &providers, server),
            webhook_url: if server { app.settings.webhook_url.clone() } else { String::new() },
            webhook_events: if server { app.settings.webhook_events.clone() } else { Vec::new() },
            event_hooks: if server {
                app.settings.event_hooks.iter().map(convert::event_hook).collect()
            } else {
                Vec::new()
            },
            revoke_tokens_issued_before: app.settings.revoke_tokens_issued_before.filter(|_| server),
            enforce_unique_usernames: app.settings.enforce_unique_usernames.clone(),
            suspended: app.settings.suspended,
            guest_user_creation_disabled: app.settings.guest_user_creation_disabled,
            file_upload_config: upload_config(&app.settings.file_uploads),
            image_upload_config: upload_config(&app.settings.image_uploads),
            ..App::default()
        },
    }))
}

pub(crate) async fn update_app(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<UpdateAppRequest>,
) -> ApiResult<Reply<Empty>> {
    crate::routes::require_server(&auth, "update app settings")?;
    crate::push::check_app_credentials(&request)?;
    let (app, now) = (auth.app.clone(), state.store().now());
    let updated = state
        .store()
        .write((app, request, now), |tx, (app, request, now)| {
            Box::pin(rill_core::ops::apps::update_app(tx, app, request, *now))
        })
        .await?;
    state.apps().put(updated);
    Ok(Reply(Empty {}))
}

pub(crate) async fn get_channel_type(
    State(_state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<ChannelType>,
) -> ApiResult<Reply<serde_json::Value>> {
    let config = rill_core::ops::channel_types::config_for(&auth.app, &name)
        .ok_or_else(|| ApiError::new(ErrorCode::DoesNotExist, format!("channel type {name} does not exist")))?;
    Ok(Reply(channel_type_body(&config)?))
}

/// `GET /channeltypes`: every channel type of the app, by name.
pub(crate) async fn list_channel_types(
    State(_state): State<AppState>,
    auth: Auth,
) -> ApiResult<Reply<serde_json::Value>> {
    let mut types = serde_json::Map::new();
    for config in rill_core::ops::channel_types::all(&auth.app) {
        types.insert(config.name.clone(), channel_type_body(&config)?);
    }
    Ok(Reply(json!({ "channel_types": types })))
}

/// A created or changed channel type as `POST`/`PUT /channeltypes` answer it: commands by name.
pub(crate) fn channel_type_echo(config: &rill_protocol::types::ChannelConfig) -> ApiResult<serde_json::Value> {
    let mut body = config.as_listed_in_app();
    if let Some(object) = body.as_object_mut() {
        object.insert("permissions".into(), json!([]));
        object.insert("grants".into(), json!({}));
    }
    Ok(body)
}

/// A channel type as `ChannelTypeConfig`: its config, with the permissions and grants of the defaults (none
/// configured).
fn channel_type_body(config: &rill_protocol::types::ChannelConfig) -> ApiResult<serde_json::Value> {
    let mut body =
        serde_json::to_value(config).map_err(|error| ApiError::new(ErrorCode::Internal, error.to_string()))?;
    if let Some(object) = body.as_object_mut() {
        object.insert("permissions".into(), json!([]));
        object.insert("grants".into(), json!({}));
    }
    Ok(body)
}

/// `GET /rate_limits` (server-side only): this minute's window of each endpoint for the platforms asked for (all
/// when none is), each endpoint of Rill's API or only those named; unknown endpoint names are refused.
pub(crate) async fn get_rate_limits(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<RateLimitsQuery>,
) -> ApiResult<Reply<RateLimitsResponse>> {
    crate::routes::require_server(&auth, "read the app's rate limits")?;
    let known: Vec<&'static str> = crate::request::ROUTES.iter().map(|route| route.operation).collect();
    let endpoints: Vec<&'static str> = match &query.endpoints {
        None => known.clone(),
        Some(list) => {
            let mut named = Vec::new();
            for name in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
                let endpoint = known.iter().find(|known| **known == name).ok_or_else(|| {
                    let shown = rill_protocol::limits::truncated(name);
                    ApiError::new(ErrorCode::InputError, format!("endpoints names {shown:?}, which is not an endpoint"))
                })?;
                named.push(*endpoint);
            }
            named
        }
    };
    let asked = [query.server_side, query.android, query.ios, query.web, query.unity];
    let all = !asked.contains(&true);
    let now = state.store().now().timestamp();
    let setting = auth.app.settings.rate_limits;
    let windows = |platform: Platform| -> BTreeMap<String, LimitInfo> {
        endpoints
            .iter()
            .map(|endpoint| {
                let verdict = state.limiter().peek_app(auth.app.id, endpoint, platform, setting, now);
                let info = LimitInfo { limit: verdict.limit, remaining: verdict.remaining, reset: verdict.reset };
                ((*endpoint).to_owned(), info)
            })
            .collect()
    };
    let mut response = RateLimitsResponse::default();
    for (platform, wanted) in
        Platform::ALL.into_iter().zip([query.server_side, query.android, query.ios, query.web, query.unity])
    {
        if !(all || wanted) {
            continue;
        }
        let map = Some(windows(platform));
        match platform {
            Platform::ServerSide => response.server_side = map,
            Platform::Android => response.android = map,
            Platform::Ios => response.ios = map,
            Platform::Web => response.web = map,
            Platform::Unity => response.unity = map,
        }
    }
    Ok(Reply(response))
}

/// `GET /usage` (Rill's own): this month's MAU and messages against the app's plan, for server-side calls.
pub(crate) async fn get_usage(State(state): State<AppState>, auth: Auth) -> ApiResult<Reply<UsageResponse>> {
    crate::routes::require_server(&auth, "read the app's usage")?;
    let (app, now) = (auth.app.clone(), state.store().now());
    let usage = state
        .store()
        .read_for_app(app.id, (app, now), |tx, (app, now)| Box::pin(rill_core::ops::usage::usage(tx, app, *now)))
        .await?;
    Ok(Reply(crate::convert::usage(auth.app.id, &usage)))
}
