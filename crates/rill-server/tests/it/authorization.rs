//! The authorization matrix: every route of the API × every kind of caller → the outcome it must get. The table
//! is data; one test walks it, against a fresh channel for every cell, and fails when a route of
//! `rill_server::request::ROUTES` has no row (so a new endpoint cannot land without its row).
//!
//! Outcomes: `ok` is any 2xx; a number is that Stream error code (with its status); `iso` (another app's
//! credentials) is "nothing of this app shows": an error, or a 2xx without any of the fixture's content.

use crate::support::forged_token;
use reqwest::Method;
use rill_client::{Client, RawResponse, Socket};
use rill_core::model::RateLimitSetting;
use rill_server::app::{GatewayConfig, HttpConfig};
use rill_server::testing::{TestApp, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// The app's server token.
    Server,
    /// A user with app role `admin`, not a member of the channel.
    Admin,
    /// The channel's creator (a member).
    Owner,
    /// A member with channel role `channel_moderator`.
    Moderator,
    /// A plain member, author of the fixture's message.
    Member,
    /// A user of the app who is not a member.
    Outsider,
    /// A member banned app-wide.
    Banned,
    /// A member whose account is deactivated.
    Deactivated,
    /// Another app's API key and a valid token of that app.
    OtherApp,
    /// This app's key with an unsigned token claiming to be the member.
    Forged,
    /// This app's key and no token.
    NoToken,
}

const CALLERS: [Caller; 11] = [
    Caller::Server,
    Caller::Admin,
    Caller::Owner,
    Caller::Moderator,
    Caller::Member,
    Caller::Outsider,
    Caller::Banned,
    Caller::Deactivated,
    Caller::OtherApp,
    Caller::Forged,
    Caller::NoToken,
];

impl Caller {
    /// The user a caller is (for user tokens).
    fn user(self) -> &'static str {
        match self {
            Caller::Admin => "admin",
            Caller::Owner => "owner",
            Caller::Moderator => "moderator",
            Caller::Outsider => "outsider",
            Caller::Banned => "banned",
            Caller::Deactivated => "deactivated",
            Caller::Server | Caller::Member | Caller::OtherApp | Caller::Forged | Caller::NoToken => "member",
        }
    }
}

/// Every route's row: the outcome for each caller, in the order of [`CALLERS`].
const MATRIX: &[(&str, &str)] = &[
    //  operation                      srv  adm  own  mod  mem  out  ban  dea  oth  frg  non
    ("GetApp", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("UpdateApp", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("GetChannelType", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("ListChannelTypes", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("GetRateLimits", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("GetUsage", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("UpdateUsers", "ok   17   17   17   ok   17   17   17   iso  43   5"),
    ("UpdateUsersPartial", "ok   17   17   17   ok   17   17   17   iso  43   5"),
    ("QueryUsers", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("DeleteUser", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("DeactivateUser", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("ReactivateUser", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("SendUserCustomEvent", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("MuteUser", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("UnmuteUser", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("MuteChannel", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("UnmuteChannel", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("Ban", "ok   ok   17   ok   17   17   17   17   iso  43   5"),
    ("Unban", "ok   ok   17   ok   17   17   17   17   iso  43   5"),
    ("QueryBannedUsers", "ok   ok   17   ok   17   17   17   17   iso  43   5"),
    ("QueryFutureChannelBans", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("Flag", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("Unflag", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("QueryMessageFlags", "ok   ok   17   ok   17   17   17   17   iso  43   5"),
    ("QueryChannels", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("QueryMembers", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("MarkChannelsRead", "ok   17   ok   ok   ok   17   ok   17   iso  43   5"),
    ("GetOrCreateDistinctChannel", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("GetOrCreateChannel", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("UpdateChannel", "ok   ok   ok   ok   17   17   17   17   iso  43   5"),
    ("UpdateChannelPartial", "ok   ok   ok   ok   17   17   17   17   iso  43   5"),
    ("DeleteChannel", "ok   ok   ok   17   17   17   17   17   iso  43   5"),
    ("TruncateChannel", "ok   ok   ok   ok   17   17   17   17   iso  43   5"),
    ("HideChannel", "ok   17   ok   ok   ok   17   ok   17   iso  43   5"),
    ("ShowChannel", "ok   17   ok   ok   ok   17   ok   17   iso  43   5"),
    ("MarkRead", "ok   17   ok   ok   ok   17   ok   17   iso  43   5"),
    ("MarkUnread", "ok   17   ok   ok   ok   17   ok   17   iso  43   5"),
    ("SendEvent", "ok   ok   ok   ok   ok   17   17   17   iso  43   5"),
    ("StopWatchingChannel", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("SendMessage", "ok   ok   ok   ok   ok   17   17   17   iso  43   5"),
    ("GetMessage", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("GetManyMessages", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("GetPinnedMessages", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("UpdateMessage", "ok   ok   17   ok   ok   17   17   17   iso  43   5"),
    ("UpdateMessagePartial", "ok   ok   17   ok   ok   17   17   17   iso  43   5"),
    ("DeleteMessage", "ok   ok   17   ok   ok   17   17   17   iso  43   5"),
    ("GetReplies", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("SendReaction", "ok   ok   ok   ok   ok   17   17   17   iso  43   5"),
    ("DeleteReaction", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("GetReactions", "ok   ok   ok   ok   ok   17   ok   17   iso  43   5"),
    ("Search", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("UploadChannelFile", "ok   ok   ok   ok   ok   17   17   17   iso  43   5"),
    ("DeleteChannelFile", "ok   ok   17   ok   ok   17   17   17   iso  43   5"),
    ("UploadChannelImage", "ok   ok   ok   ok   ok   17   17   17   iso  43   5"),
    ("DeleteChannelImage", "ok   ok   17   ok   ok   17   17   17   iso  43   5"),
    ("UploadFile", "ok   ok   ok   ok   ok   ok   17   17   iso  43   5"),
    ("DeleteFile", "ok   17   17   17   ok   17   17   17   iso  43   5"),
    ("UploadImage", "ok   ok   ok   ok   ok   ok   17   17   iso  43   5"),
    ("DeleteImage", "ok   17   17   17   ok   17   17   17   iso  43   5"),
    ("CreateDevice", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("ListDevices", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("DeleteDevice", "ok   ok   ok   ok   ok   ok   ok   17   iso  43   5"),
    ("ListPushProviders", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("UpsertPushProvider", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("DeletePushProvider", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("CheckPush", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("CreateChannelType", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("UpdateChannelType", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("DeleteChannelType", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("ListBlockLists", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("CreateBlockList", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("GetBlockList", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("UpdateBlockList", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("DeleteBlockList", "ok   17   17   17   17   17   17   17   iso  43   5"),
    ("CreateGuest", "ok   ok   ok   ok   ok   ok   ok   ok   iso  ok   ok"),
    ("Connect", "5    ok   ok   ok   ok   ok   ok   17   ok   43   5"),
];

/// One cell's channel: `team:{channel}` created by the owner with the owner, the moderator, the member, the
/// banned and the deactivated user; a message by the member with a reply; a `like` from each member who may
/// hold one; and a throwaway user for the user-management routes.
struct Fixture {
    channel: String,
    message: String,
    target: String,
}

const MEMBERS: [&str; 5] = ["owner", "moderator", "member", "banned", "deactivated"];

async fn fixture(server: &TestServer, number: usize) -> Fixture {
    let client = server.server_client();
    let channel = format!("cell{number}");
    let members: Vec<Value> = MEMBERS
        .iter()
        .map(|user| match *user {
            "moderator" => json!({"user_id": user, "channel_role": "channel_moderator"}),
            _ => json!(user),
        })
        .collect();
    let body = json!({"data": {"created_by_id": "owner", "members": members}});
    expect_ok(client.raw(Method::POST, &format!("/channels/team/{channel}/query"), &[], Some(&body)).await);
    let message = format!("message{number}");
    let send = json!({"message": {"id": message, "text": "hello matrix", "user_id": "member"}});
    expect_ok(client.raw(Method::POST, &format!("/channels/team/{channel}/message"), &[], Some(&send)).await);
    let reply = json!({"message": {"id": format!("reply{number}"), "text": "a reply", "user_id": "owner", "parent_id": message}});
    expect_ok(client.raw(Method::POST, &format!("/channels/team/{channel}/message"), &[], Some(&reply)).await);
    for user in ["owner", "moderator", "member", "banned", "admin"] {
        let like = json!({"reaction": {"type": "like", "user_id": user}});
        expect_ok(client.raw(Method::POST, &format!("/messages/{message}/reaction"), &[], Some(&like)).await);
    }
    let target = format!("target{number}");
    server.create_users(&[&target]).await;
    Fixture { channel, message, target }
}

fn expect_ok(response: Result<RawResponse, rill_client::ClientError>) {
    let response = response.unwrap();
    assert!((200..300).contains(&response.status), "fixture: {} {}", response.status, response.body);
}

/// The request each route gets: method, path, query and body. Server-side calls act as the member.
fn request(operation: &str, caller: Caller, fixture: &Fixture) -> (Method, String, Vec<(String, String)>, Value) {
    let Fixture { channel, message, target } = fixture;
    let user = caller.user();
    let acting = |body: Value| -> Value {
        let mut body = body;
        if caller == Caller::Server {
            body["user_id"] = json!("member");
        }
        body
    };
    let acting_query =
        || if caller == Caller::Server { vec![("user_id".to_owned(), "member".to_owned())] } else { vec![] };
    let payload = |document: Value| vec![("payload".to_owned(), document.to_string())];
    let channel_path = format!("/channels/team/{channel}");
    let message_path = format!("/messages/{message}");
    match operation {
        "GetApp" => (Method::GET, "/app".into(), vec![], Value::Null),
        "GetRateLimits" => (Method::GET, "/rate_limits".into(), vec![], Value::Null),
        "GetUsage" => (Method::GET, "/usage".into(), vec![], Value::Null),
        "ListChannelTypes" => (Method::GET, "/channeltypes".into(), vec![], Value::Null),
        "UpdateApp" => (Method::PATCH, "/app".into(), vec![], json!({"enforce_unique_usernames": "no"})),
        "GetChannelType" => (Method::GET, "/channeltypes/team".into(), vec![], Value::Null),
        "UpdateUsers" => {
            (Method::POST, "/users".into(), vec![], json!({"users": {"member": {"id": "member", "name": "M"}}}))
        }
        "UpdateUsersPartial" => {
            (Method::PATCH, "/users".into(), vec![], json!({"users": [{"id": "member", "set": {"mood": "fine"}}]}))
        }
        "QueryUsers" => {
            (Method::GET, "/users".into(), payload(json!({"filter_conditions": {"id": "member"}})), Value::Null)
        }
        "DeleteUser" => (Method::DELETE, format!("/users/{target}"), vec![], Value::Null),
        "DeactivateUser" => (Method::POST, format!("/users/{target}/deactivate"), vec![], json!({})),
        "ReactivateUser" => (Method::POST, format!("/users/{target}/reactivate"), vec![], json!({})),
        "MuteUser" => {
            let target = if user == "owner" { "member" } else { "owner" };
            (Method::POST, "/moderation/mute".into(), vec![], acting(json!({"target_ids": [target], "timeout": 5})))
        }
        "UnmuteUser" => {
            let target = if user == "owner" { "member" } else { "owner" };
            (Method::POST, "/moderation/unmute".into(), vec![], acting(json!({"target_ids": [target]})))
        }
        "MuteChannel" => {
            let mute = json!({"channel_cids": [format!("team:{channel}")], "expiration": 60_000});
            (Method::POST, "/moderation/mute/channel".into(), vec![], acting(mute))
        }
        "UnmuteChannel" => {
            let unmute = json!({"channel_cid": format!("team:{channel}")});
            (Method::POST, "/moderation/unmute/channel".into(), vec![], acting(unmute))
        }
        "Ban" => {
            let ban = json!({"target_user_id": target, "channel_cid": format!("team:{channel}"), "timeout": 5});
            (Method::POST, "/moderation/ban".into(), vec![], acting(ban))
        }
        "Unban" => {
            let mut query = acting_query();
            query.push(("target_user_id".to_owned(), target.to_string()));
            query.push(("channel_cid".to_owned(), format!("team:{channel}")));
            (Method::DELETE, "/moderation/ban".into(), query, Value::Null)
        }
        "QueryFutureChannelBans" => {
            let mut document = json!({"include_total": true});
            if caller == Caller::Server {
                document["user_id"] = json!("member");
            }
            (Method::GET, "/query_future_channel_bans".into(), payload(document), Value::Null)
        }
        "QueryBannedUsers" => {
            let mut document = json!({"filter_conditions": {"channel_cid": format!("team:{channel}")}});
            if caller == Caller::Server {
                document["user_id"] = json!("member");
            }
            (Method::GET, "/query_banned_users".into(), payload(document), Value::Null)
        }
        "Flag" => {
            // Nobody flags their own message: the owner flags the member's, everyone else the owner's reply.
            let target = if user == "owner" { message.clone() } else { message.replace("message", "reply") };
            (
                Method::POST,
                "/moderation/flag".into(),
                vec![],
                acting(json!({"target_message_id": target, "reason": "matrix"})),
            )
        }
        "Unflag" => (Method::POST, "/moderation/unflag".into(), vec![], acting(json!({"target_user_id": target}))),
        "QueryMessageFlags" => {
            let mut document = json!({"filter_conditions": {"channel_cid": format!("team:{channel}")}});
            if caller == Caller::Server {
                document["user_id"] = json!("member");
            }
            (Method::GET, "/moderation/flags/message".into(), payload(document), Value::Null)
        }
        "SendUserCustomEvent" => {
            (Method::POST, "/users/member/event".into(), vec![], json!({"event": {"type": "matrix.ping"}}))
        }
        "QueryChannels" => (
            Method::POST,
            "/channels".into(),
            vec![],
            acting(json!({"filter_conditions": {"cid": format!("team:{channel}")}})),
        ),
        "QueryMembers" => {
            let mut document = json!({"type": "team", "id": channel, "filter_conditions": {}});
            if caller == Caller::Server {
                document["user_id"] = json!("member");
            }
            (Method::GET, "/members".into(), payload(document), Value::Null)
        }
        "MarkChannelsRead" => {
            let read = json!({"read_by_channel": {format!("team:{channel}"): ""}});
            (Method::POST, "/channels/read".into(), vec![], acting(read))
        }
        "GetOrCreateDistinctChannel" => {
            let other = if user == "member" { "owner" } else { "member" };
            let mut data = json!({"members": [user, other]});
            if caller == Caller::Server {
                data["created_by_id"] = json!("member");
            }
            (Method::POST, "/channels/messaging/query".into(), vec![], json!({"data": data}))
        }
        "GetOrCreateChannel" => (Method::POST, format!("{channel_path}/query"), vec![], acting(json!({}))),
        "UpdateChannel" => (Method::POST, channel_path, vec![], acting(json!({"data": {"name": "renamed"}}))),
        "UpdateChannelPartial" => (Method::PATCH, channel_path, vec![], acting(json!({"set": {"topic": "matrix"}}))),
        "DeleteChannel" => (Method::DELETE, channel_path, vec![], Value::Null),
        "TruncateChannel" => (Method::POST, format!("{channel_path}/truncate"), vec![], acting(json!({}))),
        "HideChannel" => (Method::POST, format!("{channel_path}/hide"), vec![], acting(json!({}))),
        "ShowChannel" => (Method::POST, format!("{channel_path}/show"), vec![], acting(json!({}))),
        "MarkRead" => (Method::POST, format!("{channel_path}/read"), vec![], acting(json!({}))),
        "MarkUnread" => {
            (Method::POST, format!("{channel_path}/unread"), vec![], acting(json!({"message_id": message})))
        }
        "SendEvent" => {
            let mut event = json!({"type": "typing.start"});
            if caller == Caller::Server {
                event["user_id"] = json!("member");
            }
            (Method::POST, format!("{channel_path}/event"), vec![], json!({"event": event}))
        }
        "StopWatchingChannel" => (Method::POST, format!("{channel_path}/stop-watching"), vec![], json!({})),
        "SendMessage" => {
            let mut sent = json!({"text": "from the matrix"});
            if caller == Caller::Server {
                sent["user_id"] = json!("member");
            }
            (Method::POST, format!("{channel_path}/message"), vec![], json!({"message": sent}))
        }
        "GetMessage" => (Method::GET, message_path, acting_query(), Value::Null),
        "GetPinnedMessages" => (Method::GET, format!("{channel_path}/pinned_messages"), acting_query(), Value::Null),
        "GetManyMessages" => {
            let mut query = acting_query();
            query.push(("ids".to_owned(), message.to_string()));
            (Method::GET, format!("{channel_path}/messages"), query, Value::Null)
        }
        "UpdateMessage" => {
            let mut edit = json!({"text": "edited"});
            if caller == Caller::Server {
                edit["user_id"] = json!("member");
            }
            (Method::POST, message_path, vec![], json!({"message": edit}))
        }
        "UpdateMessagePartial" => (Method::PUT, message_path, vec![], acting(json!({"set": {"text": "edited"}}))),
        "DeleteMessage" => (Method::DELETE, message_path, vec![], Value::Null),
        "GetReplies" => (Method::GET, format!("{message_path}/replies"), acting_query(), Value::Null),
        "SendReaction" => {
            let mut reaction = json!({"type": "love"});
            if caller == Caller::Server {
                reaction["user_id"] = json!("member");
            }
            (Method::POST, format!("{message_path}/reaction"), vec![], json!({"reaction": reaction}))
        }
        "DeleteReaction" => (Method::DELETE, format!("{message_path}/reaction/like"), acting_query(), Value::Null),
        "GetReactions" => (Method::GET, format!("{message_path}/reactions"), acting_query(), Value::Null),
        "Search" => {
            let document = json!({"filter_conditions": {"cid": format!("team:{channel}")}, "query": "hello"});
            (Method::GET, "/search".into(), payload(document), Value::Null)
        }
        // The body is a multipart upload (see `upload_cell`); the path is what differs.
        "UploadChannelFile" => (Method::POST, format!("{channel_path}/file"), vec![], Value::Null),
        "UploadChannelImage" => (Method::POST, format!("{channel_path}/image"), vec![], Value::Null),
        "UploadFile" => (Method::POST, "/uploads/file".into(), vec![], Value::Null),
        "UploadImage" => (Method::POST, "/uploads/image".into(), vec![], Value::Null),
        // The `url` of an upload of the member's, added by `upload_cell`.
        "DeleteChannelFile" => (Method::DELETE, format!("{channel_path}/file"), acting_query(), Value::Null),
        "DeleteChannelImage" => (Method::DELETE, format!("{channel_path}/image"), acting_query(), Value::Null),
        "DeleteFile" => (Method::DELETE, "/uploads/file".into(), acting_query(), Value::Null),
        "DeleteImage" => (Method::DELETE, "/uploads/image".into(), acting_query(), Value::Null),
        "CreateDevice" => {
            let device = json!({"id": format!("push-{channel}"), "push_provider": "firebase"});
            (Method::POST, "/devices".into(), vec![], acting(device))
        }
        "ListDevices" => (Method::GET, "/devices".into(), acting_query(), Value::Null),
        // The caller's own device, registered by the runner (for the server: the member's).
        "DeleteDevice" => {
            let mut query = acting_query();
            query.push(("id".to_owned(), format!("push-{channel}")));
            (Method::DELETE, "/devices".into(), query, Value::Null)
        }
        "ListPushProviders" => (Method::GET, "/push_providers".into(), vec![], Value::Null),
        "UpsertPushProvider" => {
            let provider =
                json!({"name": format!("p{channel}"), "type": "firebase", "firebase_credentials": service_account()});
            (Method::POST, "/push_providers".into(), vec![], json!({"push_provider": provider}))
        }
        // A provider the runner created for the cell.
        "DeletePushProvider" => (Method::DELETE, format!("/push_providers/firebase/p{channel}"), vec![], Value::Null),
        "CheckPush" => {
            let check = json!({"message_id": message, "user_id": "owner", "skip_devices": true});
            (Method::POST, "/check_push".into(), vec![], check)
        }
        "CreateChannelType" => (Method::POST, "/channeltypes".into(), vec![], json!({"name": format!("t{channel}")})),
        "UpdateChannelType" => (Method::PUT, "/channeltypes/team".into(), vec![], json!({"max_message_length": 5000})),
        // The type and the blocklist of these rows are the runner's, made for the cell.
        "DeleteChannelType" => (Method::DELETE, format!("/channeltypes/d{channel}"), vec![], Value::Null),
        "ListBlockLists" => (Method::GET, "/blocklists".into(), vec![], Value::Null),
        "CreateBlockList" => {
            (Method::POST, "/blocklists".into(), vec![], json!({"name": format!("n{channel}"), "words": ["darn"]}))
        }
        "GetBlockList" => (Method::GET, format!("/blocklists/b{channel}"), vec![], Value::Null),
        "UpdateBlockList" => (Method::PUT, format!("/blocklists/b{channel}"), vec![], json!({"words": ["heck"]})),
        "DeleteBlockList" => (Method::DELETE, format!("/blocklists/b{channel}"), vec![], Value::Null),
        // The API key is what counts; any token is ignored.
        "CreateGuest" => (Method::POST, "/guest".into(), vec![], json!({"user": {"id": format!("guest-{channel}")}})),
        other => panic!("the matrix has no request for {other}: add one"),
    }
}

struct World {
    server: TestServer,
    other: TestApp,
}

fn client(world: &World, caller: Caller) -> Client {
    let server = &world.server;
    match caller {
        Caller::Server => server.server_client(),
        Caller::OtherApp => {
            let token =
                rill_client::token::user_token("owner", &world.other.api_secret, chrono::Utc::now().timestamp(), None);
            Client::with_token(&server.base_url, &world.other.api_key, Some(token))
        }
        Caller::Forged => {
            Client::with_token(&server.base_url, &server.app.api_key, Some(forged_token(&json!({"user_id": "member"}))))
        }
        Caller::NoToken => Client::with_token(&server.base_url, &server.app.api_key, None),
        user => server.user_client(user.user()),
    }
}

async fn world() -> World {
    // Every cell's unauthenticated requests come from one address: raise its window so the matrix measures
    // authorization, not rate limits (which `hardening` tests).
    let config = GatewayConfig {
        http: HttpConfig { unauthenticated_per_minute: 100_000, ..HttpConfig::default() },
        ..GatewayConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let _ = SERVICE_ACCOUNT.set(rill_push::testing::FakeFcm::start().await.service_account_json());
    server.set_rate_limits(RateLimitSetting::Off).await;
    server.create_users(&["owner", "moderator", "member", "outsider", "banned", "deactivated"]).await;
    let admin = json!({"users": {"admin": {"id": "admin", "role": "admin"}}});
    expect_ok(server.server_client().raw(Method::POST, "/users", &[], Some(&admin)).await);
    server.set_banned("banned").await;
    let other = server.create_app("Other").await;
    let other_client = Client::server(&server.base_url, &other.api_key, &other.api_secret);
    expect_ok(other_client.raw(Method::POST, "/users", &[], Some(&json!({"users": {"owner": {"id": "owner"}}}))).await);
    World { server, other }
}

/// A service account's JSON whose key parses (a fake FCM's, taken by `world`; nothing is sent in the matrix).
static SERVICE_ACCOUNT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn service_account() -> String {
    SERVICE_ACCOUNT.get().cloned().expect("world() records a service account")
}

/// A tiny valid PNG (1x1), accepted by both the file and the image endpoints.
fn png_file() -> rill_client::UploadFile {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::RgbaImage::new(1, 1).write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    rill_client::UploadFile { name: "cell.png".into(), content_type: "image/png".into(), bytes: bytes.into_inner() }
}

/// The URL of a fresh upload of the member's to `path` (a channel's or the app's upload endpoint).
async fn member_upload(server: &TestServer, path: &str) -> String {
    let upload_path = path.replace("/image", "/file");
    let response =
        server.user_client("member").upload_raw(Method::POST, &upload_path, &[], &png_file(), None).await.unwrap();
    assert!((200..300).contains(&response.status), "fixture upload: {}", response.body);
    response.body["file"].as_str().unwrap().to_owned()
}

/// What happened, in the matrix's words.
fn outcome_of(response: &RawResponse) -> String {
    if (200..300).contains(&response.status) {
        "ok".to_owned()
    } else {
        response.body["code"].as_i64().map_or_else(|| format!("status {}", response.status), |code| code.to_string())
    }
}

fn matches(expected: &str, response: &RawResponse, fixture: &Fixture) -> bool {
    match expected {
        "iso" => {
            // Names are per app (the other app may hold a channel of the same id): what must not show is this
            // app's content.
            let body = response.body.to_string();
            let markers = [fixture.message.as_str(), fixture.target.as_str(), "hello matrix", "a reply"];
            !(200..300).contains(&response.status) || !markers.iter().any(|marker| body.contains(marker))
        }
        expected => outcome_of(response) == expected,
    }
}

async fn connect_outcome(world: &World, caller: Caller) -> String {
    let server = &world.server;
    let (api_key, token) = match caller {
        Caller::Server => (server.app.api_key.clone(), rill_client::token::server_token(&server.app.api_secret)),
        Caller::OtherApp => (
            world.other.api_key.clone(),
            rill_client::token::user_token("owner", &world.other.api_secret, chrono::Utc::now().timestamp(), None),
        ),
        Caller::Forged => (server.app.api_key.clone(), forged_token(&json!({"user_id": "member"}))),
        Caller::NoToken => (server.app.api_key.clone(), String::new()),
        user => (server.app.api_key.clone(), server.token(user.user())),
    };
    let user = caller.user();
    let user = if caller == Caller::OtherApp { "owner" } else { user };
    let url = rill_client::socket::connect_url(&server.base_url, &api_key, &token, user, &json!({"id": user}));
    let mut socket = Socket::open(&url).await.unwrap();
    let first = socket.next_frame(Duration::from_secs(5)).await.unwrap().expect("a first frame");
    match first["type"].as_str() {
        Some("health.check") => "ok".to_owned(),
        Some("connection.error") => first["error"]["code"].to_string(),
        _ => format!("unexpected {first}"),
    }
}

#[test]
fn every_route_has_a_row_and_every_row_a_route() {
    let routes: Vec<&str> = rill_server::request::ROUTES.iter().map(|route| route.operation).collect();
    let rows: Vec<&str> = MATRIX.iter().map(|(operation, _)| *operation).collect();
    for operation in &routes {
        assert!(rows.contains(operation), "route {operation} has no row in the authorization matrix");
    }
    for operation in &rows {
        assert!(routes.contains(operation), "the matrix has a row for {operation}, which is not a route");
    }
}

/// The matrix runs in four parts, each on a server of its own, so the parts run side by side.
const PARTS: usize = 4;

macro_rules! matrix_parts {
    ($($name:ident = $part:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            walk_the_matrix($part).await;
        }
    )*};
}

matrix_parts!(
    every_caller_gets_what_the_matrix_says_part_1 = 0,
    every_caller_gets_what_the_matrix_says_part_2 = 1,
    every_caller_gets_what_the_matrix_says_part_3 = 2,
    every_caller_gets_what_the_matrix_says_part_4 = 3,
);

/// Walks every row whose index is `part` modulo [`PARTS`], one cell (a fresh fixture) at a time.
async fn walk_the_matrix(part: usize) {
    let world = world().await;
    let server = &world.server;
    let mut number = 0;
    let mut failures = Vec::new();
    let mut deactivated = false;
    for (operation, row) in MATRIX.iter().skip(part).step_by(PARTS) {
        let expected: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(expected.len(), CALLERS.len(), "{operation}'s row needs one outcome per caller");
        for (caller, expected) in CALLERS.iter().zip(expected) {
            number += 1;
            let fixture = fixture(server, number).await;
            if !deactivated {
                let path = "/users/deactivated/deactivate";
                expect_ok(server.server_client().raw(Method::POST, path, &[], Some(&json!({}))).await);
                deactivated = true;
            }
            if *operation == "Connect" {
                let got = connect_outcome(&world, *caller).await;
                if got != expected {
                    failures.push(format!("{operation} as {caller:?}: expected {expected}, got {got}"));
                }
                continue;
            }
            if *operation == "Unflag" {
                // The flag to withdraw: the caller's own report of the fixture's throwaway user.
                let flag = json!({"target_user_id": fixture.target, "user_id": caller.user()});
                expect_ok(server.server_client().raw(Method::POST, "/moderation/flag", &[], Some(&flag)).await);
            }
            if *operation == "DeleteChannelType" {
                let kind = json!({"name": format!("d{}", fixture.channel)});
                expect_ok(server.server_client().raw(Method::POST, "/channeltypes", &[], Some(&kind)).await);
            }
            if operation.ends_with("BlockList") && *operation != "CreateBlockList" {
                let list = json!({"name": format!("b{}", fixture.channel), "words": ["darn"]});
                expect_ok(server.server_client().raw(Method::POST, "/blocklists", &[], Some(&list)).await);
            }
            if *operation == "DeletePushProvider" {
                let provider = json!({"push_provider": {
                    "name": format!("p{}", fixture.channel), "type": "firebase", "firebase_credentials": service_account(),
                }});
                expect_ok(server.server_client().raw(Method::POST, "/push_providers", &[], Some(&provider)).await);
            }
            if *operation == "DeleteDevice" {
                let owner = if *caller == Caller::Server { "member" } else { caller.user() };
                let device =
                    json!({"id": format!("push-{}", fixture.channel), "push_provider": "apn", "user_id": owner});
                expect_ok(server.server_client().raw(Method::POST, "/devices", &[], Some(&device)).await);
            }
            let (method, path, mut query, body) = request(operation, *caller, &fixture);
            if operation.starts_with("Delete") && (operation.ends_with("File") || operation.ends_with("Image")) {
                query.push(("url".to_owned(), member_upload(server, &path).await));
            }
            let query: Vec<(&str, &str)> = query.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
            let body = (!body.is_null()).then_some(&body);
            let client = client(&world, *caller);
            let response = if operation.starts_with("Upload") {
                let acting = (*caller == Caller::Server).then_some("member");
                client.upload_raw(method, &path, &query, &png_file(), acting).await.unwrap()
            } else {
                client.raw(method, &path, &query, body).await.unwrap()
            };
            if !matches(expected, &response, &fixture) {
                failures.push(format!(
                    "{operation} as {caller:?}: expected {expected}, got {} ({})",
                    outcome_of(&response),
                    response.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} cells differ from the matrix:\n{}", failures.len(), failures.join("\n"));
}
