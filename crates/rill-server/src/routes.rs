//! The Stream REST API, one module per resource. Handlers are thin: extract (authentication happens in the
//! extractor), call one `rill_core::ops` function in a store transaction, publish its notices after the commit,
//! convert and reply.

mod app;
mod channels;
mod messages;
mod users;

use crate::app::AppState;
use crate::convert::Renderer;
use axum::routing::{get, post};
use axum::Router;
use rill_core::model::UserDirectory;

pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/app", get(app::get_app).patch(app::update_app))
        .route("/channeltypes/{name}", get(app::get_channel_type))
        .route("/users", post(users::upsert_users).patch(users::partial_update_users).get(users::query_users))
        .route("/users/{user_id}", axum::routing::delete(users::delete_user))
        .route("/users/{user_id}/deactivate", post(users::deactivate_user))
        .route("/users/{user_id}/reactivate", post(users::reactivate_user))
        .route("/channels", post(channels::query_channels))
        .route("/channels/read", post(channels::mark_channels_read))
        .route("/channels/{type}/query", post(channels::get_or_create_distinct))
        .route("/channels/{type}/{id}/query", post(channels::get_or_create))
        .route(
            "/channels/{type}/{id}",
            post(channels::update_channel).patch(channels::partial_update_channel).delete(channels::delete_channel),
        )
        .route("/channels/{type}/{id}/truncate", post(channels::truncate_channel))
        .route("/channels/{type}/{id}/hide", post(channels::hide_channel))
        .route("/channels/{type}/{id}/show", post(channels::show_channel))
        .route("/channels/{type}/{id}/read", post(channels::mark_read))
        .route("/channels/{type}/{id}/unread", post(channels::mark_unread))
        .route("/channels/{type}/{id}/event", post(channels::send_event))
        .route("/channels/{type}/{id}/stop-watching", post(channels::stop_watching))
        .route("/channels/{type}/{id}/message", post(messages::send_message))
        .route(
            "/messages/{id}",
            get(messages::get_message)
                .post(messages::update_message)
                .put(messages::partial_update_message)
                .delete(messages::delete_message),
        )
        .route("/messages/{id}/replies", get(messages::replies))
        .route("/messages/{id}/reaction", post(messages::send_reaction))
        .route("/messages/{id}/reaction/{type}", axum::routing::delete(messages::delete_reaction))
        .route("/messages/{id}/reactions", get(messages::reactions))
        .route("/search", get(messages::search))
}

/// A renderer over a directory, with presence from this node's registry.
pub(crate) fn with_renderer<T>(
    state: &AppState,
    app_id: i64,
    users: &UserDirectory,
    render: impl FnOnce(&Renderer<'_>) -> T,
) -> T {
    let registry = state.registry().clone();
    let is_online = move |user_id: &str| registry.is_online(app_id, user_id);
    let renderer = Renderer { users, is_online: &is_online };
    render(&renderer)
}

/// The user a server-side request names, from the usual fields.
pub(crate) fn named_user(user_id: &Option<String>, user: &Option<rill_protocol::request::UserRef>) -> Option<String> {
    user_id.clone().filter(|id| !id.is_empty()).or_else(|| user.as_ref().map(|user| user.id.clone()))
}
