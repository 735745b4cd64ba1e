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
        .route(rill_protocol::error::MORE_INFO_URL, get(error_page))
}

/// The page every error's `more_info` points to: Stream's error codes as this server uses them.
async fn error_page() -> axum::response::Html<String> {
    let mut rows = String::new();
    for code in rill_protocol::error::ErrorCode::ALL {
        let meaning = code.meaning().replace('&', "&amp;").replace('<', "&lt;");
        let meaning = meaning.split('`').enumerate().fold(String::new(), |mut html, (index, part)| {
            html.push_str(if index % 2 == 1 { "<code>" } else { "" });
            html.push_str(part);
            html.push_str(if index % 2 == 1 { "</code>" } else { "" });
            html
        });
        rows.push_str(&format!(
            "<tr id=\"{code}\"><td>{code}</td><td>{status}</td><td>{name}</td><td>{meaning}</td></tr>\n",
            code = code.code(),
            status = code.status(),
            name = code.name(),
        ));
    }
    axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rill error codes</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1f2328}}\
         table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d0d7de}}\
         code{{background:#f6f8fa;padding:0 .2rem;border-radius:3px}}</style></head><body>\
         <h1>Error codes</h1><p>Every error response carries one of these codes in <code>code</code>, with the HTTP \
         status in <code>StatusCode</code>. Clients fetch a new token only on code 40.</p>\
         <table><thead><tr><th>code</th><th>HTTP</th><th>name</th><th>meaning</th></tr></thead><tbody>\n{rows}\
         </tbody></table></body></html>"
    ))
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
