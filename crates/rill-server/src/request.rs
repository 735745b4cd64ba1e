//! Per-request facts every response needs: the Stream operation name (`GetOrCreateChannel`, ...) and when the
//! request started, for `duration`. A middleware sets them in a task-local around each handler.

use axum::http::Method;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct RequestInfo {
    pub operation: &'static str,
    pub started: Instant,
    /// POST and PUT answer 201, everything else 200.
    pub created_status: bool,
}

tokio::task_local! {
    static REQUEST: RequestInfo;
}

/// The current request's facts; outside a request (a test calling a handler directly) a neutral default.
pub fn current() -> RequestInfo {
    REQUEST.try_with(|info| *info).unwrap_or(RequestInfo {
        operation: "Request",
        started: Instant::now(),
        created_status: false,
    })
}

/// Runs `future` with `info` as the current request.
pub async fn scope<F: std::future::Future>(info: RequestInfo, future: F) -> F::Output {
    REQUEST.scope(info, future).await
}

/// One route of the Stream API: its method, its path pattern and Stream's operation name (used in error
/// messages, rate-limit tables and the authorization matrix test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub operation: &'static str,
}

macro_rules! routes {
    ($(($method:literal, $path:literal, $operation:literal),)*) => {
        /// Every route of the API. The router is built from this table (`crate::routes`), so a route cannot
        /// exist without a row here, and the authorization matrix test walks it.
        pub const ROUTES: &[Route] = &[$(Route { method: $method, path: $path, operation: $operation },)*];
    };
}

routes! {
    ("GET", "/app", "GetApp"),
    ("PATCH", "/app", "UpdateApp"),
    ("GET", "/channeltypes", "ListChannelTypes"),
    ("GET", "/channeltypes/{name}", "GetChannelType"),
    ("POST", "/channeltypes", "CreateChannelType"),
    ("PUT", "/channeltypes/{name}", "UpdateChannelType"),
    ("DELETE", "/channeltypes/{name}", "DeleteChannelType"),
    ("GET", "/blocklists", "ListBlockLists"),
    ("POST", "/blocklists", "CreateBlockList"),
    ("GET", "/blocklists/{name}", "GetBlockList"),
    ("PUT", "/blocklists/{name}", "UpdateBlockList"),
    ("DELETE", "/blocklists/{name}", "DeleteBlockList"),
    ("GET", "/rate_limits", "GetRateLimits"),
    ("GET", "/usage", "GetUsage"),
    ("POST", "/users", "UpdateUsers"),
    ("PATCH", "/users", "UpdateUsersPartial"),
    ("GET", "/users", "QueryUsers"),
    ("DELETE", "/users/{user_id}", "DeleteUser"),
    ("POST", "/users/{user_id}/deactivate", "DeactivateUser"),
    ("POST", "/users/{user_id}/reactivate", "ReactivateUser"),
    ("POST", "/users/{user_id}/event", "SendUserCustomEvent"),
    ("POST", "/moderation/mute", "MuteUser"),
    ("POST", "/moderation/unmute", "UnmuteUser"),
    ("POST", "/moderation/mute/channel", "MuteChannel"),
    ("POST", "/moderation/unmute/channel", "UnmuteChannel"),
    ("POST", "/moderation/ban", "Ban"),
    ("DELETE", "/moderation/ban", "Unban"),
    ("GET", "/query_banned_users", "QueryBannedUsers"),
    ("GET", "/query_future_channel_bans", "QueryFutureChannelBans"),
    ("POST", "/moderation/flag", "Flag"),
    ("POST", "/moderation/unflag", "Unflag"),
    ("GET", "/moderation/flags/message", "QueryMessageFlags"),
    ("POST", "/channels", "QueryChannels"),
    ("GET", "/members", "QueryMembers"),
    ("POST", "/channels/read", "MarkChannelsRead"),
    ("POST", "/channels/{type}/query", "GetOrCreateDistinctChannel"),
    ("POST", "/channels/{type}/{id}/query", "GetOrCreateChannel"),
    ("POST", "/channels/{type}/{id}", "UpdateChannel"),
    ("PATCH", "/channels/{type}/{id}", "UpdateChannelPartial"),
    ("DELETE", "/channels/{type}/{id}", "DeleteChannel"),
    ("POST", "/channels/{type}/{id}/truncate", "TruncateChannel"),
    ("POST", "/channels/{type}/{id}/hide", "HideChannel"),
    ("POST", "/channels/{type}/{id}/show", "ShowChannel"),
    ("POST", "/channels/{type}/{id}/read", "MarkRead"),
    ("POST", "/channels/{type}/{id}/unread", "MarkUnread"),
    ("POST", "/channels/{type}/{id}/event", "SendEvent"),
    ("POST", "/channels/{type}/{id}/stop-watching", "StopWatchingChannel"),
    ("POST", "/channels/{type}/{id}/message", "SendMessage"),
    ("GET", "/channels/{type}/{id}/messages", "GetManyMessages"),
    ("GET", "/channels/{type}/{id}/pinned_messages", "GetPinnedMessages"),
    ("GET", "/messages/{id}", "GetMessage"),
    ("POST", "/messages/{id}", "UpdateMessage"),
    ("PUT", "/messages/{id}", "UpdateMessagePartial"),
    ("DELETE", "/messages/{id}", "DeleteMessage"),
    ("GET", "/messages/{id}/replies", "GetReplies"),
    ("POST", "/messages/{id}/reaction", "SendReaction"),
    ("DELETE", "/messages/{id}/reaction/{type}", "DeleteReaction"),
    ("GET", "/messages/{id}/reactions", "GetReactions"),
    ("GET", "/search", "Search"),
    ("POST", "/channels/{type}/{id}/file", "UploadChannelFile"),
    ("DELETE", "/channels/{type}/{id}/file", "DeleteChannelFile"),
    ("POST", "/channels/{type}/{id}/image", "UploadChannelImage"),
    ("DELETE", "/channels/{type}/{id}/image", "DeleteChannelImage"),
    ("POST", "/uploads/file", "UploadFile"),
    ("DELETE", "/uploads/file", "DeleteFile"),
    ("POST", "/uploads/image", "UploadImage"),
    ("DELETE", "/uploads/image", "DeleteImage"),
    ("POST", "/devices", "CreateDevice"),
    ("GET", "/devices", "ListDevices"),
    ("DELETE", "/devices", "DeleteDevice"),
    ("GET", "/push_providers", "ListPushProviders"),
    ("POST", "/push_providers", "UpsertPushProvider"),
    ("DELETE", "/push_providers/{type}/{name}", "DeletePushProvider"),
    ("POST", "/check_push", "CheckPush"),
    ("POST", "/guest", "CreateGuest"),
    ("GET", "/connect", "Connect"),
}

/// Stream's operation name for a matched route; `None` for paths outside the API (the error page, unknown
/// routes), which need no credentials.
pub fn operation_name(method: &Method, path: &str) -> Option<&'static str> {
    let method = method.as_str();
    ROUTES.iter().find(|route| route.method == method && route.path == path).map(|route| route.operation)
}

/// Whether two path patterns have the same shape: the same static segments and parameters in the same places,
/// whatever the parameters are called.
fn same_shape(a: &str, b: &str) -> bool {
    let parameter = |segment: &str| segment.starts_with('{');
    let (left, right): (Vec<&str>, Vec<&str>) = (a.split('/').collect(), b.split('/').collect());
    left.len() == right.len() && left.iter().zip(&right).all(|(l, r)| (parameter(l) && parameter(r)) || l == r)
}

/// The public API's operation a request is for when Rill does not serve it: the request matches that
/// operation's pattern, and Rill has no route for the method there or only a broader one (`route`, the pattern
/// the router matched). Such a request gets a 404 naming the operation, never another operation's answer.
///
/// Cost: for a request a route of Rill's matched, the few unserved operations more specific than that route
/// (none for most routes, worked out once); the whole list only for a request no route serves.
pub fn unserved_operation(
    method: &Method,
    path: &str,
    route: Option<&str>,
) -> Option<&'static rill_protocol::operations::Operation> {
    use rill_protocol::operations::{matches, more_specific};
    let candidates: &[&Operation] = match route {
        Some(route) if operation_name(method, route).is_some() => {
            narrower_than(method.as_str(), route).map_or(&[], Vec::as_slice)
        }
        _ => unserved_operations(),
    };
    candidates
        .iter()
        .copied()
        .filter(|operation| operation.method == method.as_str() && matches(&operation.path, path))
        .reduce(|best, next| if more_specific(&next.path, &best.path) { next } else { best })
}

type Operation = rill_protocol::operations::Operation;

/// The public API's operations that no route of Rill's serves.
fn unserved_operations() -> &'static [&'static Operation] {
    static UNSERVED: std::sync::OnceLock<Vec<&'static Operation>> = std::sync::OnceLock::new();
    UNSERVED.get_or_init(|| {
        let served = |operation: &Operation| {
            ROUTES.iter().any(|route| route.method == operation.method && same_shape(route.path, &operation.path))
        };
        rill_protocol::operations::all().iter().filter(|operation| !served(operation)).collect()
    })
}

/// The unserved operations of `method` more specific than Rill's route `route`: the paths it would otherwise
/// take from them. Worked out once, in the order of `ROUTES`.
fn narrower_than(method: &str, route: &str) -> Option<&'static Vec<&'static Operation>> {
    static NARROWER: std::sync::OnceLock<Vec<Vec<&'static Operation>>> = std::sync::OnceLock::new();
    let narrower = NARROWER.get_or_init(|| {
        let depth = |path: &str| path.split('/').count();
        ROUTES
            .iter()
            .map(|served| {
                unserved_operations()
                    .iter()
                    .copied()
                    .filter(|operation| {
                        operation.method == served.method && depth(&operation.path) == depth(served.path)
                    })
                    .filter(|operation| rill_protocol::operations::more_specific(&operation.path, served.path))
                    .collect()
            })
            .collect()
    });
    let index = ROUTES.iter().position(|served| served.method == method && served.path == route)?;
    narrower.get(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_rill_does_not_serve_are_found_and_served_ones_are_not() {
        let history = unserved_operation(&Method::POST, "/messages/history", Some("/messages/{id}"));
        assert_eq!(history.map(|operation| operation.operation.as_str()), Some("QueryMessageHistory"));
        assert_eq!(unserved_operation(&Method::POST, "/messages/m1", Some("/messages/{id}")), None);
        assert_eq!(unserved_operation(&Method::GET, "/messages/m1/replies", Some("/messages/{id}/replies")), None);
        let get_channel = unserved_operation(&Method::GET, "/channels/team/general", Some("/channels/{type}/{id}"));
        assert_eq!(get_channel.map(|operation| operation.operation.as_str()), Some("GetChannel"));
        assert_eq!(unserved_operation(&Method::GET, "/no/such/thing", None), None);
    }
}
