//! `GET` and `POST /push_providers`, `DELETE /push_providers/{type}/{name}` and `POST /check_push`: server-side
//! only, since providers hold the app's push credentials.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::reply::Reply;
use crate::routes::require_server;
use axum::extract::State;
use rill_core::ops;
use rill_protocol::error::ErrorCode;
use rill_protocol::request::{CheckPushRequest, UpsertPushProviderRequest};
use rill_protocol::response::{CheckPushResponse, Empty, ListPushProvidersResponse, UpsertPushProviderResponse};

pub(crate) async fn list_push_providers(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Reply<ListPushProvidersResponse>> {
    require_server(&auth, "read push providers")?;
    let ctx = auth.context(&state, None);
    let providers =
        state.store().read_for_app(auth.app.id, ctx, |tx, ctx| Box::pin(ops::push::list_providers(tx, ctx))).await?;
    Ok(Reply(ListPushProvidersResponse {
        push_providers: providers.iter().map(crate::convert::push_provider).collect(),
    }))
}

pub(crate) async fn upsert_push_provider(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<UpsertPushProviderRequest>,
) -> ApiResult<Reply<UpsertPushProviderResponse>> {
    require_server(&auth, "change push providers")?;
    crate::push::check_credentials_provider(&request.push_provider)?;
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::push::upsert_provider(tx, ctx, &request.push_provider))
        })
        .await?;
    let change = outcome.value;
    state.apps().put(change.app);
    let provider = change.provider.ok_or_else(|| ApiError::new(ErrorCode::Internal, "the provider was not kept"))?;
    Ok(Reply(UpsertPushProviderResponse { push_provider: crate::convert::push_provider(&provider) }))
}

pub(crate) async fn delete_push_provider(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((kind, name)): ApiPath<(String, String)>,
) -> ApiResult<Reply<Empty>> {
    require_server(&auth, "change push providers")?;
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, kind, name), |tx, (ctx, kind, name)| {
            Box::pin(ops::push::delete_provider(tx, ctx, kind, name))
        })
        .await?;
    state.apps().put(outcome.value.app);
    Ok(Reply(Empty {}))
}

pub(crate) async fn check_push(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<CheckPushRequest>,
) -> ApiResult<Reply<CheckPushResponse>> {
    require_server(&auth, "check push")?;
    Ok(Reply(crate::push::check_push(&state, &auth.app, request).await?))
}
