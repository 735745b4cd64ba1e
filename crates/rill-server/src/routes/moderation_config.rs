//! Server-side moderation configuration: channel types (`POST /channeltypes`, `PUT` and `DELETE
//! /channeltypes/{name}`) and blocklists (`/blocklists`). Both change what every later message is checked
//! against, so only a server token may.

use crate::app::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::reply::Reply;
use crate::routes::require_server;
use axum::extract::State;
use rill_core::ops;
use rill_protocol::request::{BlocklistRequest, ChannelTypeRequest};
use rill_protocol::response::{BlocklistResponse, Empty, ListBlocklistsResponse};

fn blocklist(blocklist: &rill_core::model::Blocklist) -> rill_protocol::types::Blocklist {
    rill_protocol::types::Blocklist {
        name: blocklist.name.clone(),
        kind: blocklist.kind.clone(),
        words: blocklist.words.clone(),
        is_leet_check_enabled: false,
        is_plural_check_enabled: false,
        is_confusable_folding_enabled: false,
        is_substring_matching_enabled: blocklist.substring_matching,
        created_at: blocklist.created_at,
        updated_at: blocklist.updated_at,
    }
}

pub(crate) async fn create_channel_type(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<ChannelTypeRequest>,
) -> ApiResult<Reply<serde_json::Value>> {
    require_server(&auth, "create channel types")?;
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| {
            Box::pin(async move { Ok(ops::Outcome::new(ops::channel_types::create(tx, ctx, request).await?)) })
        })
        .await?;
    let (app, config) = outcome.value;
    state.apps().put(app);
    Ok(Reply(crate::routes::app::channel_type_echo(&config)?))
}

pub(crate) async fn update_channel_type(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<String>,
    ApiJson(request): ApiJson<ChannelTypeRequest>,
) -> ApiResult<Reply<serde_json::Value>> {
    require_server(&auth, "change channel types")?;
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, name, request), |tx, (ctx, name, request)| {
            Box::pin(async move { Ok(ops::Outcome::new(ops::channel_types::update(tx, ctx, name, request).await?)) })
        })
        .await?;
    let (app, config) = outcome.value;
    state.apps().put(app);
    Ok(Reply(crate::routes::app::channel_type_echo(&config)?))
}

pub(crate) async fn delete_channel_type(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Reply<Empty>> {
    require_server(&auth, "delete channel types")?;
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, name), |tx, (ctx, name)| {
            Box::pin(async move { Ok(ops::Outcome::new(ops::channel_types::delete(tx, ctx, name).await?)) })
        })
        .await?;
    state.apps().put(outcome.value);
    Ok(Reply(Empty {}))
}

pub(crate) async fn list_blocklists(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Reply<ListBlocklistsResponse>> {
    require_server(&auth, "read blocklists")?;
    let ctx = auth.context(&state, None);
    let lists =
        state.store().read_for_app(auth.app.id, ctx, |tx, ctx| Box::pin(ops::blocklists::list(tx, ctx))).await?;
    Ok(Reply(ListBlocklistsResponse { blocklists: lists.iter().map(blocklist).collect() }))
}

pub(crate) async fn get_blocklist(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Reply<BlocklistResponse>> {
    require_server(&auth, "read blocklists")?;
    let ctx = auth.context(&state, None);
    let list = state
        .store()
        .read_for_app(auth.app.id, (ctx, name), |tx, (ctx, name)| Box::pin(ops::blocklists::get(tx, ctx, name)))
        .await?;
    Ok(Reply(BlocklistResponse { blocklist: blocklist(&list) }))
}

pub(crate) async fn create_blocklist(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<BlocklistRequest>,
) -> ApiResult<Reply<BlocklistResponse>> {
    require_server(&auth, "create blocklists")?;
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| Box::pin(ops::blocklists::create(tx, ctx, request)))
        .await?;
    Ok(Reply(BlocklistResponse { blocklist: blocklist(&outcome.value) }))
}

pub(crate) async fn update_blocklist(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<String>,
    ApiJson(request): ApiJson<BlocklistRequest>,
) -> ApiResult<Reply<BlocklistResponse>> {
    require_server(&auth, "change blocklists")?;
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, name, request), |tx, (ctx, name, request)| {
            Box::pin(ops::blocklists::update(tx, ctx, name, request))
        })
        .await?;
    Ok(Reply(BlocklistResponse { blocklist: blocklist(&outcome.value) }))
}

pub(crate) async fn delete_blocklist(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Reply<Empty>> {
    require_server(&auth, "delete blocklists")?;
    let ctx = auth.context(&state, None);
    state.commit(&auth.app, (ctx, name), |tx, (ctx, name)| Box::pin(ops::blocklists::delete(tx, ctx, name))).await?;
    Ok(Reply(Empty {}))
}
