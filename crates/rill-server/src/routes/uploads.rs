//! Uploads: `POST`/`DELETE` `/channels/{type}/{id}/file` and `/image`, their app-level forms `/uploads/file` and
//! `/uploads/image`, and the blobs served back at `/files/...` and `/thumbs/...`.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::reply::Reply;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use rill_core::ids::{ChannelId, ChannelType, Cid};
use rill_core::ops::uploads::UploadKind;
use rill_protocol::request::DeleteUploadQuery;
use rill_protocol::response::{Empty, UploadResponse};

/// The base of upload URLs: `--public-url`, or the address the client used.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.gateway().public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

async fn upload(
    state: AppState,
    auth: Auth,
    cid: Option<Cid>,
    kind: UploadKind,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Reply<UploadResponse>> {
    let multipart = multipart.map_err(|rejection| {
        ApiError::input(format!("uploads are multipart/form-data with a file part: {}", rejection.body_text()))
    })?;
    let base = base_url(&state, &headers);
    let stored = crate::uploads::upload(&state, &auth, cid, kind, multipart, &base).await?;
    let (width, height) = (stored.upload.width, stored.upload.height);
    Ok(Reply(UploadResponse { file: stored.file_url, thumb_url: stored.thumb_url, width, height }))
}

pub(crate) async fn upload_channel_file(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Reply<UploadResponse>> {
    let cid = Cid::new(&channel_type, &id);
    upload(state, auth, Some(cid), UploadKind::File, headers, multipart).await
}

pub(crate) async fn upload_channel_image(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Reply<UploadResponse>> {
    let cid = Cid::new(&channel_type, &id);
    upload(state, auth, Some(cid), UploadKind::Image, headers, multipart).await
}

pub(crate) async fn upload_file(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Reply<UploadResponse>> {
    upload(state, auth, None, UploadKind::File, headers, multipart).await
}

pub(crate) async fn upload_image(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Reply<UploadResponse>> {
    upload(state, auth, None, UploadKind::Image, headers, multipart).await
}

async fn delete(state: AppState, auth: Auth, cid: Option<Cid>, query: DeleteUploadQuery) -> ApiResult<Reply<Empty>> {
    let ctx = auth.context(&state, query.user_id);
    state
        .commit(&auth.app, (ctx, cid, query.url), |tx, (ctx, cid, url)| {
            Box::pin(rill_core::ops::uploads::delete_upload(tx, ctx, cid.as_ref(), url))
        })
        .await?;
    Ok(Reply(Empty {}))
}

pub(crate) async fn delete_channel_upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiQuery(query): ApiQuery<DeleteUploadQuery>,
) -> ApiResult<Reply<Empty>> {
    delete(state, auth, Some(Cid::new(&channel_type, &id)), query).await
}

pub(crate) async fn delete_app_upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<DeleteUploadQuery>,
) -> ApiResult<Reply<Empty>> {
    delete(state, auth, None, query).await
}

/// `GET /files/{app_id}/{token}/{name}`: no credentials, the token is the capability.
pub(crate) async fn serve_file(
    State(state): State<AppState>,
    Path((app_id, token, _name)): Path<(String, String, String)>,
) -> axum::response::Response {
    crate::uploads::serve(&state, &app_id, &token, false).await
}

/// `GET /thumbs/{app_id}/{token}/{name}`: an image's thumbnail.
pub(crate) async fn serve_thumbnail(
    State(state): State<AppState>,
    Path((app_id, token, _name)): Path<(String, String, String)>,
) -> axum::response::Response {
    crate::uploads::serve(&state, &app_id, &token, true).await
}
