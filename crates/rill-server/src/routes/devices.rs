//! `POST`, `GET` and `DELETE /devices`: the push devices of the caller (or, with a server token, of `user_id`).

use crate::app::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::reply::Reply;
use axum::extract::State;
use rill_core::ops;
use rill_protocol::request::{CreateDeviceRequest, DeviceQuery};
use rill_protocol::response::{Empty, ListDevicesResponse};

pub(crate) async fn create_device(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<CreateDeviceRequest>,
) -> ApiResult<Reply<Empty>> {
    let named = request
        .user_id
        .clone()
        .or_else(|| request.user.as_ref().and_then(|user| user.get("id")?.as_str()).and_then(|id| id.parse().ok()));
    let ctx = auth.context(&state, named);
    state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| Box::pin(ops::devices::create_device(tx, ctx, request)))
        .await?;
    Ok(Reply(Empty {}))
}

pub(crate) async fn list_devices(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<DeviceQuery>,
) -> ApiResult<Reply<ListDevicesResponse>> {
    let ctx = auth.context(&state, query.user_id);
    let devices =
        state.store().read_for_app(auth.app.id, ctx, |tx, ctx| Box::pin(ops::devices::list_devices(tx, ctx))).await?;
    Ok(Reply(ListDevicesResponse { devices: devices.iter().map(crate::convert::device).collect() }))
}

pub(crate) async fn delete_device(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<DeviceQuery>,
) -> ApiResult<Reply<Empty>> {
    let ctx = auth.context(&state, query.user_id);
    state
        .commit(&auth.app, (ctx, query.id), |tx, (ctx, id)| {
            Box::pin(ops::devices::delete_device(tx, ctx, id.as_deref()))
        })
        .await?;
    Ok(Reply(Empty {}))
}
