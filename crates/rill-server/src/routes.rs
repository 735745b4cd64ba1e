//! The Stream REST API, one module per resource. Handlers are thin: extract (authentication happens in the
//! extractor), call one `rill_core::ops` function in a store transaction, publish its notices after the commit,
//! convert and reply.

pub(crate) mod app;
mod channels;
mod devices;
mod messages;
mod moderation;
mod moderation_config;
mod push;
mod uploads;
mod users;

use crate::app::AppState;
use crate::convert::Renderer;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;
use rill_core::auth::Identity;
use rill_core::ids::UserId;
use rill_core::model::UserDirectory;

pub(crate) fn api_routes() -> Router<AppState> {
    let mut router = Router::new();
    for route in crate::request::ROUTES {
        match handler(route.operation) {
            Some(handler) => router = router.route(route.path, handler),
            None => tracing::error!(operation = route.operation, "route without a handler"),
        }
    }
    router
        .route(rill_protocol::error::MORE_INFO_URL, get(error_page))
        .route("/files/{app_id}/{token}/{name}", get(uploads::serve_file))
        .route("/thumbs/{app_id}/{token}/{name}", get(uploads::serve_thumbnail))
}

/// The handler of each operation of [`crate::request::ROUTES`] (with its method).
fn handler(operation: &str) -> Option<MethodRouter<AppState>> {
    Some(match operation {
        "GetApp" => get(app::get_app),
        "UpdateApp" => patch(app::update_app),
        "GetChannelType" => get(app::get_channel_type),
        "ListChannelTypes" => get(app::list_channel_types),
        "GetRateLimits" => get(app::get_rate_limits),
        "GetUsage" => get(app::get_usage),
        "UpdateUsers" => post(users::upsert_users),
        "UpdateUsersPartial" => patch(users::partial_update_users),
        "QueryUsers" => get(users::query_users),
        "DeleteUser" => delete(users::delete_user),
        "DeactivateUser" => post(users::deactivate_user),
        "SendUserCustomEvent" => post(users::send_user_event),
        "MuteUser" => post(moderation::mute),
        "UnmuteUser" => post(moderation::unmute),
        "MuteChannel" => post(moderation::mute_channel),
        "UnmuteChannel" => post(moderation::unmute_channel),
        "Ban" => post(moderation::ban),
        "Unban" => delete(moderation::unban),
        "QueryBannedUsers" => get(moderation::query_banned_users),
        "QueryFutureChannelBans" => get(moderation::query_future_channel_bans),
        "Flag" => post(moderation::flag),
        "Unflag" => post(moderation::unflag),
        "QueryMessageFlags" => get(moderation::query_message_flags),
        "ReactivateUser" => post(users::reactivate_user),
        "QueryChannels" => post(channels::query_channels),
        "QueryMembers" => get(channels::query_members),
        "MarkChannelsRead" => post(channels::mark_channels_read),
        "GetOrCreateDistinctChannel" => post(channels::get_or_create_distinct),
        "GetOrCreateChannel" => post(channels::get_or_create),
        "UpdateChannel" => post(channels::update_channel),
        "UpdateChannelPartial" => patch(channels::partial_update_channel),
        "DeleteChannel" => delete(channels::delete_channel),
        "TruncateChannel" => post(channels::truncate_channel),
        "HideChannel" => post(channels::hide_channel),
        "ShowChannel" => post(channels::show_channel),
        "MarkRead" => post(channels::mark_read),
        "MarkUnread" => post(channels::mark_unread),
        "SendEvent" => post(channels::send_event),
        "StopWatchingChannel" => post(channels::stop_watching),
        "SendMessage" => post(messages::send_message),
        "GetMessage" => get(messages::get_message),
        "GetManyMessages" => get(messages::many_messages),
        "GetPinnedMessages" => get(messages::pinned_messages),
        "UpdateMessage" => post(messages::update_message),
        "UpdateMessagePartial" => put(messages::partial_update_message),
        "DeleteMessage" => delete(messages::delete_message),
        "GetReplies" => get(messages::replies),
        "SendReaction" => post(messages::send_reaction),
        "DeleteReaction" => delete(messages::delete_reaction),
        "GetReactions" => get(messages::reactions),
        "Search" => get(messages::search),
        "Connect" => get(crate::ws::connect),
        // Uploads read their body themselves, within the app's size limit (the 1 MiB of JSON bodies does not apply).
        "UploadChannelFile" => post(uploads::upload_channel_file).layer(DefaultBodyLimit::disable()),
        "UploadChannelImage" => post(uploads::upload_channel_image).layer(DefaultBodyLimit::disable()),
        "UploadFile" => post(uploads::upload_file).layer(DefaultBodyLimit::disable()),
        "UploadImage" => post(uploads::upload_image).layer(DefaultBodyLimit::disable()),
        "DeleteChannelFile" | "DeleteChannelImage" => delete(uploads::delete_channel_upload),
        "DeleteFile" | "DeleteImage" => delete(uploads::delete_app_upload),
        "CreateDevice" => post(devices::create_device),
        "ListDevices" => get(devices::list_devices),
        "DeleteDevice" => delete(devices::delete_device),
        "ListPushProviders" => get(push::list_push_providers),
        "UpsertPushProvider" => post(push::upsert_push_provider),
        "DeletePushProvider" => delete(push::delete_push_provider),
        "CheckPush" => post(push::check_push),
        "CreateGuest" => post(users::create_guest),
        "CreateChannelType" => post(moderation_config::create_channel_type),
        "UpdateChannelType" => put(moderation_config::update_channel_type),
        "DeleteChannelType" => delete(moderation_config::delete_channel_type),
        "ListBlockLists" => get(moderation_config::list_blocklists),
        "CreateBlockList" => post(moderation_config::create_blocklist),
        "GetBlockList" => get(moderation_config::get_blocklist),
        "UpdateBlockList" => put(moderation_config::update_blocklist),
        "DeleteBlockList" => delete(moderation_config::delete_blocklist),
        _ => return None,
    })
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
    let renderer = Renderer { users, is_online: &is_online, now: state.store().now() };
    render(&renderer)
}

/// Refuses a subscription (`watch`, `presence`) through a connection that is not a live connection of the
/// token's own user: otherwise anyone who learned a connection id could make it follow what they choose. Called
/// before any write, so a refused request changes nothing.
pub(crate) fn check_connection(state: &AppState, auth: &Auth, watch: bool, presence: bool) -> ApiResult<()> {
    let (Some(connection_id), Identity::User { user_id, .. }) = (&auth.connection_id, &auth.identity) else {
        return Ok(());
    };
    if !watch && !presence {
        return Ok(());
    }
    match state.registry().owner(connection_id) {
        Some((app_id, owner)) if app_id == auth.app.id && owner == user_id.as_str() => Ok(()),
        _ => Err(ApiError::input(format!("connection_id {connection_id} is not a live connection of user {user_id}"))),
    }
}

/// The user a server-side request names, from the usual fields.
/// Refuses a call that is not server-side: it changes or reads what only the app's backend may.
pub(crate) fn require_server(auth: &Auth, what: &str) -> ApiResult<()> {
    if auth.is_server() {
        Ok(())
    } else {
        Err(ApiError::new(rill_protocol::error::ErrorCode::NotAllowed, format!("only server-side calls may {what}")))
    }
}

pub(crate) fn named_user(user_id: &Option<UserId>, user: &Option<rill_protocol::request::UserRef>) -> Option<UserId> {
    user_id.clone().or_else(|| user.as_ref().map(|user| user.id.clone()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_has_a_handler() {
        for route in crate::request::ROUTES {
            assert!(super::handler(route.operation).is_some(), "{} has no handler", route.operation);
        }
    }
}
