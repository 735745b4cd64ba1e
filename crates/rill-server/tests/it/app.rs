//! App-level behaviour: `GET/PATCH /app`, channel types, isolation between apps on one server, rate limits and
//! their headers, and the CORS preflight.

use crate::errors::{assert_api_error, existing_users, send_bytes};
use reqwest::Method;
use rill_client::socket::connect_url;
use rill_client::token::{server_token, user_token};
use rill_client::{Client, RawResponse, Socket};
use rill_core::model::RateLimitSetting;
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const DEFAULT_TYPES: [&str; 5] = ["messaging", "team", "livestream", "commerce", "gaming"];

#[tokio::test]
async fn get_app_reports_the_app_and_its_channel_types() {
    let server = TestServer::start().await;
    let response = server.server_client().raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_schema("GetApplicationResponse", &response.body);
    let app = &response.body["app"];
    assert!(app["id"].is_i64(), "app.id must be an integer: {}", app["id"]);
    for secret in ["sqs_secret", "sns_secret"] {
        assert_eq!(app[secret], "", "{secret} is never sent");
    }
    assert_eq!(app["id"], server.app.id);
    assert_eq!(app["disable_auth_checks"], false);
    assert!(app["revoke_tokens_issued_before"].is_null(), "{app}");
    let configs = app["channel_configs"].as_object().unwrap();
    for name in DEFAULT_TYPES {
        let config = configs.get(name).unwrap_or_else(|| panic!("channel type {name} missing: {configs:?}"));
        assert_schema("ChannelConfig", config);
        assert_eq!(config["name"], name);
        assert!(config["commands"].as_array().unwrap().iter().all(Value::is_string), "commands by name: {config}");
        assert_eq!(config["max_message_length"], 5000);
    }
    assert_eq!(configs["livestream"]["typing_events"], false);
    assert_eq!(configs["team"]["typing_events"], true);
    assert!(response.body["duration"].as_str().unwrap().ends_with("ms"));

    // Users may read the app too.
    let response = server.user_client("alice").raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["app"]["id"], server.app.id);
    assert_schema("GetApplicationResponse", &response.body);
    // Our own client reads it back.
    let read = server.server_client().get_app().await.unwrap();
    assert_eq!(read.app.id, server.app.id);
    assert_eq!(read.app.channel_configs["messaging"]["commands"], json!(["giphy"]));
}

#[tokio::test]
async fn only_the_server_may_update_the_app() {
    let server = TestServer::start().await;
    let admin = server.server_client();

    let response =
        server.user_client("alice").raw(Method::PATCH, "/app", &[], Some(&json!({"disable_auth_checks": true}))).await;
    let response = response.unwrap();
    assert_api_error(&response, 403, 17, "UpdateApp");
    assert!(!admin.get_app().await.unwrap().app.disable_auth_checks, "a refused update changes nothing");

    for (body, field) in [
        (json!({"enforce_unique_usernames": "sometimes"}), "enforce_unique_usernames"),
        (json!({"webhook_url": "ftp://example.com"}), "webhook_url"),
        (json!({"revoke_tokens_issued_before": 17}), "revoke_tokens_issued_before"),
        // Settings Rill does not keep are refused by name, not dropped; nothing of a refused request is applied.
        (json!({"disable_auth_checks": true, "huawei_config": {"id": "x"}}), "huawei_config"),
        (json!({"disable_auth_checks": true, "push_config": {"version": "v9"}}), "push_config.version"),
        (json!({"event_hooks": [{"hook_type": "sqs", "webhook_url": "https://example.com"}]}), "hook_type"),
        (json!({"firebase_config": {"credentials_json": "{}"}}), "firebase_config.credentials_json"),
        (json!({"file_upload_config": {"size_limit": -1}}), "file_upload_config"),
        (json!({"image_upload_config": {"max_size": 1}}), "max_size"),
    ] {
        let response = admin.raw(Method::PATCH, "/app", &[], Some(&body)).await.unwrap();
        let detail = assert_api_error(&response, 400, 4, "UpdateApp");
        assert!(detail.contains(field), "{body}: {detail}");
    }
    let app = admin.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(app.body["app"]["disable_auth_checks"], false, "{}", app.body);
    assert_eq!(app.body["app"]["enforce_unique_usernames"], "no", "{}", app.body);
    assert_eq!(app.body["app"]["webhook_url"], "", "{}", app.body);
}

#[tokio::test]
async fn app_settings_are_durable() {
    let server = TestServer::start().await;
    let body = json!({"enforce_unique_usernames": "app", "webhook_url": "https://hooks.example.com/rill",
        "disable_permissions_checks": true});
    let response = server.server_client().raw(Method::PATCH, "/app", &[], Some(&body)).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);

    let server = server.restart().await;
    let app = server.server_client().raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(app.body["app"]["enforce_unique_usernames"], "app", "{}", app.body);
    assert_eq!(app.body["app"]["webhook_url"], "https://hooks.example.com/rill", "{}", app.body);
    assert_eq!(app.body["app"]["disable_permissions_checks"], true, "{}", app.body);
}

#[tokio::test]
async fn channel_types_can_be_read_and_unknown_ones_are_404() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let response = admin.raw(Method::GET, "/channeltypes/messaging", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_schema("GetChannelTypeResponse", &response.body);
    let listed = server.user_client("alice").raw(Method::GET, "/channeltypes", &[], None).await.unwrap();
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_schema("ListChannelTypesResponse", &listed.body);
    let names: Vec<&String> = listed.body["channel_types"].as_object().unwrap().keys().collect();
    assert_eq!(names.len(), DEFAULT_TYPES.len(), "{names:?}");
    assert_eq!(listed.body["channel_types"]["messaging"]["max_message_length"], 5000);
    let config = &response.body;
    assert_eq!(config["name"], "messaging");
    assert_eq!(config["max_message_length"], 5000);
    assert_eq!(config["reactions"], true);
    assert!(config["commands"].is_array(), "{config}");
    assert!(config["permissions"].is_array(), "{config}");
    assert!(config["grants"].is_object(), "{config}");

    let response = admin.raw(Method::GET, "/channeltypes/gaming", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["read_events"], false);

    let response = admin.raw(Method::GET, "/channeltypes/nosuchtype", &[], None).await.unwrap();
    let detail = assert_api_error(&response, 404, 16, "GetChannelType");
    assert!(detail.contains("nosuchtype"), "{detail}");

    // A channel of an unknown type cannot be created either.
    server.create_users(&["alice"]).await;
    let body = json!({"data": {"created_by_id": "alice"}});
    let response = admin.raw(Method::POST, "/channels/nosuchtype/general/query", &[], Some(&body)).await.unwrap();
    let detail = assert_api_error(&response, 404, 16, "GetOrCreateChannel");
    assert!(detail.contains("nosuchtype"), "{detail}");
}

/// `rill app create` writes the new app straight into the store; the running server must accept its key at once,
/// even right after startup.
#[tokio::test]
async fn an_app_created_in_the_store_is_usable_at_once() {
    let server = TestServer::start().await;
    let store = server.state.store().clone();
    let now = store.now();
    let created =
        store.write(now, |tx, now| Box::pin(rill_core::ops::apps::create_app(tx, "Elsewhere", *now))).await.unwrap();
    let client = Client::server(&server.base_url, &created.api_key, created.api_secret.expose());
    let response = client.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["app"]["id"], created.id);
}

/// Two apps on one server, with the same user and channel ids in both.
#[tokio::test]
async fn apps_cannot_see_or_touch_each_other() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice_a = server.user_client("alice");
    let original = alice_a.send_message("team", "general", &json!({"text": "in app A"})).await.unwrap();

    let other = server.create_app("Other").await;
    assert_ne!(other.api_key, server.app.api_key);
    let admin_b = Client::server(&server.base_url, &other.api_key, &other.api_secret);

    // B sees none of A's users, channels or messages.
    assert!(existing_users(&admin_b, &["alice", "bob"]).await.is_empty());
    let channels = admin_b.query_channels(&json!({"filter_conditions": {"cid": "team:general"}})).await.unwrap();
    assert!(channels.channels.is_empty(), "app B sees {} channel(s) of app A", channels.channels.len());
    let response = admin_b.raw(Method::GET, &format!("/messages/{}", original.id), &[], None).await.unwrap();
    assert_api_error(&response, 404, 16, "GetMessage");

    // Nor can it change or delete them.
    let path = format!("/messages/{}", original.id);
    let update = json!({"message": {"text": "hijacked", "user_id": "alice"}});
    let response = admin_b.raw(Method::POST, &path, &[], Some(&update)).await.unwrap();
    assert_api_error(&response, 404, 16, "UpdateMessage");
    let response = admin_b.raw(Method::DELETE, &path, &[("hard", "true")], None).await.unwrap();
    assert_api_error(&response, 404, 16, "DeleteMessage");
    let response = admin_b.raw(Method::DELETE, "/channels/team/general", &[], None).await.unwrap();
    assert_api_error(&response, 404, 16, "DeleteChannel");
    let rename = json!({"users": [{"id": "alice", "set": {"name": "Mallory"}}]});
    let response = admin_b.raw(Method::PATCH, "/users", &[], Some(&rename)).await.unwrap();
    assert_api_error(&response, 404, 16, "UpdateUsersPartial");

    // A token signed with one app's secret is a wrong signature on the other app's key, both ways.
    let a_secret_on_b = Client::with_token(
        &server.base_url,
        &other.api_key,
        Some(user_token("alice", &server.app.api_secret, chrono::Utc::now().timestamp(), None)),
    );
    let response = a_secret_on_b.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_api_error(&response, 401, 43, "GetApp");
    let a_server_on_b =
        Client::with_token(&server.base_url, &other.api_key, Some(server_token(&server.app.api_secret)));
    let response = a_server_on_b.raw(Method::GET, &path, &[], None).await.unwrap();
    assert_api_error(&response, 401, 43, "GetMessage");
    let b_server_on_a =
        Client::with_token(&server.base_url, &server.app.api_key, Some(server_token(&other.api_secret)));
    let response = b_server_on_a.raw(Method::GET, &path, &[], None).await.unwrap();
    assert_api_error(&response, 401, 43, "GetMessage");
    let url = connect_url(&server.base_url, &other.api_key, &server.token("alice"), "alice", &json!({"id": "alice"}));
    let mut socket = Socket::open(&url).await.unwrap();
    let frame = socket.next_frame(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(frame["type"], "connection.error", "{frame}");
    assert_eq!(frame["error"]["code"], 43, "{frame}");

    // B builds the same ids for itself; nothing crosses over, including events.
    let mut alice_socket = server.connect("alice").await;
    let watch = alice_a.on_connection(&alice_socket.connection_id);
    let response =
        watch.raw(Method::POST, "/channels/team/general/query", &[], Some(&json!({"watch": true}))).await.unwrap();
    assert_eq!(response.status, 201, "{}", response.body);
    admin_b.upsert_users(&[json!({"id": "alice", "name": "B-Alice"}), json!({"id": "bob"})]).await.unwrap();
    let body = json!({"data": {"created_by_id": "alice", "members": ["alice", "bob"]}});
    let response = admin_b.raw(Method::POST, "/channels/team/general/query", &[], Some(&body)).await.unwrap();
    assert_eq!(response.status, 201, "{}", response.body);
    let alice_b = Client::with_token(
        &server.base_url,
        &other.api_key,
        Some(user_token("alice", &other.api_secret, chrono::Utc::now().timestamp(), None)),
    );
    // B's alice cannot subscribe A's alice's socket, although the user ids are the same.
    let hijack = alice_b.on_connection(&alice_socket.connection_id);
    let response =
        hijack.raw(Method::POST, "/channels/team/general/query", &[], Some(&json!({"watch": true}))).await.unwrap();
    assert_api_error(&response, 400, 4, "GetOrCreateChannel");
    alice_b.send_message("team", "general", &json!({"text": "in app B"})).await.unwrap();
    alice_a.send_message("team", "general", &json!({"text": "second in app A"})).await.unwrap();
    let event = alice_socket.wait_for_type("message.new").await.unwrap();
    assert_eq!(event["message"]["text"], "second in app A", "app A's socket got {event}");

    // A's data is exactly as it was, plus its own second message.
    let state = server
        .server_client()
        .raw(Method::POST, "/channels/team/general/query", &[], Some(&json!({"state": true})))
        .await
        .unwrap();
    let texts: Vec<&str> =
        state.body["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["in app A", "second in app A"]);
    let payload = r#"{"filter_conditions":{"id":"alice"}}"#;
    let users = server.server_client().raw(Method::GET, "/users", &[("payload", payload)], None).await.unwrap();
    assert_eq!(users.body["users"][0]["name"], "ALICE", "{}", users.body);
    let state_b =
        admin_b.raw(Method::POST, "/channels/team/general/query", &[], Some(&json!({"state": true}))).await.unwrap();
    let texts_b: Vec<&str> =
        state_b.body["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts_b, vec!["in app B"]);
}

/// The rate-limit headers of a response, which must all be present and numeric.
fn rate_headers(response: &RawResponse) -> (u64, u64, i64) {
    let number = |name: &str| {
        response
            .header(name)
            .unwrap_or_else(|| panic!("{name} missing on a {} response", response.status))
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("{name} is not a number"))
    };
    (number("x-ratelimit-limit") as u64, number("x-ratelimit-remaining") as u64, number("x-ratelimit-reset"))
}

/// Counts calls per window (identified by the `Reset` header), so assertions hold even if a minute boundary
/// passes during the test.
#[derive(Default)]
struct WindowModel {
    counted: HashMap<i64, u64>,
}

impl WindowModel {
    /// Checks one response of a limited endpoint: it is refused exactly when the window is full, and `Remaining`
    /// is what is left of it. Returns whether it was refused.
    fn check(&mut self, response: &RawResponse, limit: u64, operation: &str) -> bool {
        let (header_limit, remaining, reset) = rate_headers(response);
        assert_eq!(header_limit, limit, "X-RateLimit-Limit");
        let counted = self.counted.entry(reset).or_default();
        if *counted >= limit {
            assert_api_error(response, 429, 9, operation);
            assert_eq!(remaining, 0);
            true
        } else {
            *counted += 1;
            assert!(response.status < 500, "{}", response.body);
            assert_ne!(response.status, 429, "call {} of {limit} was refused: {}", *counted, response.body);
            assert_eq!(remaining, limit - *counted, "X-RateLimit-Remaining after {} call(s)", *counted);
            false
        }
    }
}

#[tokio::test]
async fn every_response_carries_consistent_rate_limit_headers() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let mut model = WindowModel::default();
    for _ in 0..3 {
        let before = chrono::Utc::now().timestamp();
        let response = admin.raw(Method::GET, "/app", &[], None).await.unwrap();
        let after = chrono::Utc::now().timestamp();
        assert_eq!(response.status, 200, "{}", response.body);
        model.check(&response, 10_000, "GetApp");
        let (_, _, reset) = rate_headers(&response);
        assert_eq!(reset % 60, 0, "the window ends on a minute: {reset}");
        assert!(reset > before && reset <= after + 60, "reset {reset} is not the end of the current minute");
    }

    // Errors carry them too: a refused token, a missing object, an unknown route, an unknown key.
    let forged = Client::with_token(&server.base_url, &server.app.api_key, Some("garbage".into()));
    let response = forged.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(response.status, 401);
    rate_headers(&response);
    let response = admin.raw(Method::GET, "/messages/nope", &[], None).await.unwrap();
    assert_eq!(response.status, 404);
    assert_eq!(rate_headers(&response).0, 1000, "GetMessage allows 1000 per minute");
    let response = admin.raw(Method::GET, "/no/such/route", &[], None).await.unwrap();
    assert_eq!(response.status, 404);
    rate_headers(&response);
    let response = send_bytes(&server, Method::GET, "/app?api_key=unknown", &[], Vec::new()).await;
    assert_eq!(response.status, 401);
    rate_headers(&response);

    let response = admin.raw(Method::PATCH, "/app", &[], Some(&json!({}))).await.unwrap();
    assert_eq!(rate_headers(&response).0, 60, "UpdateApp allows 60 per minute");
}

#[tokio::test]
async fn a_full_window_is_429_per_endpoint_platform_and_app() {
    let server = TestServer::start().await;
    let other = server.create_app("Other").await;
    server.set_rate_limits(RateLimitSetting::PerMinute(3)).await;
    let admin = server.server_client();

    // At most one minute boundary passes during eight calls, so some window sees a fourth call.
    let mut model = WindowModel::default();
    let mut refused = None;
    for _ in 0..8 {
        let response = admin.raw(Method::GET, "/app", &[], None).await.unwrap();
        if model.check(&response, 3, "GetApp") {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a fourth call within one window must be refused");
    let detail = assert_api_error(&refused, 429, 9, "GetApp");
    assert!(detail.contains("GetApp"), "{detail}");
    let (_, remaining, reset) = rate_headers(&refused);
    assert_eq!(remaining, 0);
    assert_eq!(reset % 60, 0);

    // Another endpoint has its own window.
    let response = admin.raw(Method::GET, "/channeltypes/messaging", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(rate_headers(&response).0, 3);

    // Client platforms count apart from server-side calls.
    let response = server.user_client("alice").raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);

    // Another app keeps Stream's defaults.
    let admin_b = Client::server(&server.base_url, &other.api_key, &other.api_secret);
    for _ in 0..5 {
        let response = admin_b.raw(Method::GET, "/app", &[], None).await.unwrap();
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(rate_headers(&response).0, 10_000);
    }

    // Off lifts every limit.
    server.set_rate_limits(RateLimitSetting::Off).await;
    for _ in 0..10 {
        let response = admin.raw(Method::GET, "/app", &[], None).await.unwrap();
        assert_eq!(response.status, 200, "{}", response.body);
        rate_headers(&response);
    }
}

#[tokio::test]
async fn cors_preflight_reflects_the_requested_headers() {
    let server = TestServer::start().await;
    let response = reqwest::Client::new()
        .request(Method::OPTIONS, format!("{}/channels/team/general/message?api_key=x", server.base_url))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, stream-auth-type, x-custom-header")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let header = |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let origin = header("access-control-allow-origin");
    assert!(origin == "https://app.example.com" || origin == "*", "{origin:?}");
    let allowed = header("access-control-allow-headers").to_ascii_lowercase();
    for requested in ["authorization", "stream-auth-type", "x-custom-header"] {
        assert!(allowed.contains(requested), "{requested} not in {allowed:?}");
    }
    assert!(header("access-control-allow-methods").contains("POST"));

    // Actual responses carry the CORS headers too, errors included, and expose the rate-limit headers.
    let response = reqwest::Client::new()
        .get(format!("{}/app?api_key=unknown", server.base_url))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let exposed = response
        .headers()
        .get("access-control-expose-headers")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(response.headers().contains_key("access-control-allow-origin"));
    assert!(exposed.contains("x-ratelimit-remaining"), "{exposed:?}");
}

#[tokio::test]
async fn each_user_has_a_per_minute_window_of_their_own() {
    let server = TestServer::start().await;
    server.create_users(&["alice", "bob"]).await;
    let alice = server.user_client("alice");
    // Sixty calls fit; the sixty-first in the same minute does not (unless the minute turns over meanwhile, in
    // which case the window starts again and the count restarts: the test follows the server's own reset).
    let mut refused = None;
    for _ in 0..61 {
        let response = alice.raw(Method::GET, "/app", &[], None).await.unwrap();
        if response.status == 429 {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status, 200, "{}", response.body);
    }
    let refused = match refused {
        Some(refused) => refused,
        // The window rolled over during the loop: one more full round must hit the limit.
        None => {
            let mut last = None;
            for _ in 0..61 {
                let response = alice.raw(Method::GET, "/app", &[], None).await.unwrap();
                if response.status == 429 {
                    last = Some(response);
                    break;
                }
            }
            last.expect("sixty-one calls in one minute were all accepted")
        }
    };
    assert_eq!(refused.body["code"], 9, "{}", refused.body);
    assert!(refused.body["message"].as_str().unwrap().contains("this user"), "{}", refused.body);
    assert_eq!(refused.header("x-ratelimit-limit"), Some("60"));
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    // Bob and the server token are unaffected.
    assert_eq!(server.user_client("bob").raw(Method::GET, "/app", &[], None).await.unwrap().status, 200);
    assert_eq!(server.server_client().raw(Method::GET, "/app", &[], None).await.unwrap().status, 200);
}

/// `GET /rate_limits`: this minute's window of each endpoint, per platform asked for (all when none is), only
/// the endpoints named when some are; a request counted shows in `remaining`; server-side only.
#[tokio::test]
async fn rate_limits_show_this_minutes_windows() {
    let server = TestServer::start().await;
    let admin = server.server_client();
    let all = admin.raw(Method::GET, "/rate_limits", &[], None).await.unwrap();
    assert_eq!(all.status, 200, "{}", all.body);
    assert_schema("GetRateLimitsResponse", &all.body);
    for platform in ["server_side", "android", "ios", "web", "unity"] {
        let windows = all.body[platform].as_object().unwrap_or_else(|| panic!("{platform} missing: {}", all.body));
        assert_eq!(windows["SendMessage"]["limit"], 1_000, "{platform}");
        assert_eq!(windows["GetApp"]["limit"], 10_000, "{platform}");
    }
    admin.get_app().await.unwrap();
    let query = [("server_side", "true"), ("endpoints", "GetApp,SendMessage")];
    let some = admin.raw(Method::GET, "/rate_limits", &query, None).await.unwrap();
    assert_eq!(some.status, 200, "{}", some.body);
    assert!(some.body.get("web").is_none(), "only the platform asked for: {}", some.body);
    let windows = some.body["server_side"].as_object().unwrap();
    assert_eq!(windows.keys().collect::<Vec<_>>(), ["GetApp", "SendMessage"]);
    let remaining = windows["GetApp"]["remaining"].as_i64().unwrap();
    assert!(remaining < 10_000, "the GetApp just made counts: {}", some.body);
    assert!(windows["GetApp"]["reset"].as_i64().unwrap() > chrono::Utc::now().timestamp() - 1);

    let unknown = admin.raw(Method::GET, "/rate_limits", &[("endpoints", "Teleport")], None).await.unwrap();
    let detail = assert_api_error(&unknown, 400, 4, "GetRateLimits");
    assert!(detail.contains("Teleport"), "{detail}");
    let by_user = server.user_client("alice").raw(Method::GET, "/rate_limits", &[], None).await.unwrap();
    assert_api_error(&by_user, 403, 17, "GetRateLimits");
}
