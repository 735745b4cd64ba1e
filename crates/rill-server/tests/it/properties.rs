//! Property tests at the edge: every request document parses or is refused with a 4xx (never a panic), query
//! decoding takes any bytes, and a live server keeps serving while it is fed random bodies, query documents and
//! WebSocket frames.

use crate::support::ok;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::Method;
use rill_protocol::request::{
    ActingUserRequest, ConnectRequest, GetOrCreateChannelRequest, PartialUpdateRequest, PartialUpdateUsersRequest,
    QueryChannelsRequest, QueryUsersRequest, SearchRequest, SendEventRequest, SendMessageRequest, SendReactionRequest,
    UpdateAppRequest, UpdateChannelRequest, UpsertUsersRequest,
};
use rill_server::extract::{parse_json, percent_decode};
use rill_server::testing::TestServer;
use serde_json::{Map, Value};
use std::time::Duration;

/// Keys the request types use, mixed with noise, so generated documents reach their fields.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "message",
            "text",
            "id",
            "user_id",
            "users",
            "set",
            "unset",
            "members",
            "data",
            "filter_conditions",
            "sort",
            "limit",
            "offset",
            "parent_id",
            "attachments",
            "reaction",
            "type",
            "score",
            "event",
            "add_members",
            "read_by_channel",
            "payload",
            "custom",
            "cid",
            "a.b.c",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// Parses `bytes` as every request document and checks that each refusal is a client error.
fn parse_everything(bytes: &[u8]) -> Result<(), TestCaseError> {
    macro_rules! each {
        ($($request:ty),* $(,)?) => {$(
            if let Err(error) = parse_json::<$request>(bytes) {
                prop_assert!(error.code.status() < 500, "{} refused with {:?}", stringify!($request), error);
            }
        )*};
    }
    each!(
        ActingUserRequest,
        ConnectRequest,
        GetOrCreateChannelRequest,
        PartialUpdateRequest,
        PartialUpdateUsersRequest,
        QueryChannelsRequest,
        QueryUsersRequest,
        SearchRequest,
        SendEventRequest,
        SendMessageRequest,
        SendReactionRequest,
        UpdateAppRequest,
        UpdateChannelRequest,
        UpsertUsersRequest,
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn request_documents_parse_or_are_refused_as_client_errors(value in json_value()) {
        parse_everything(value.to_string().as_bytes())?;
    }

    #[test]
    fn request_bytes_parse_or_are_refused_as_client_errors(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        parse_everything(&bytes)?;
    }

    #[test]
    fn query_decoding_takes_any_text(text in "\\PC{0,40}|[%+a-f0-9]{0,40}") {
        let decoded = percent_decode(&text);
        prop_assert!(decoded.chars().count() <= text.len());
    }
}

/// Draws `count` values of `strategy` deterministically (the same every run).
fn samples<S: Strategy>(strategy: S, count: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..count).map(|_| strategy.new_tree(&mut runner).expect("a value").current()).collect()
}

#[tokio::test]
async fn a_live_server_keeps_serving_while_fed_random_input() {
    let server = TestServer::start().await;
    server.set_rate_limits(rill_core::model::RateLimitSetting::Off).await;
    server.create_users(&["alice", "bob"]).await;
    server.team_channel("general", &["alice", "bob"]).await;
    let alice = server.user_client("alice");
    let routes = [
        (Method::POST, "/channels/team/general/message"),
        (Method::POST, "/channels/team/general"),
        (Method::PATCH, "/channels/team/general"),
        (Method::POST, "/channels/team/general/event"),
        (Method::POST, "/channels"),
        (Method::PATCH, "/users"),
        (Method::POST, "/users"),
    ];
    for (index, value) in samples(json_value(), 300).into_iter().enumerate() {
        let (method, path) = &routes[index % routes.len()];
        let response = alice.raw(method.clone(), path, &[], Some(&value)).await.unwrap();
        assert!(response.status < 500, "{method} {path} with {value}: {} {}", response.status, response.body);
        let payload = value.to_string();
        let response = alice.raw(Method::GET, "/users", &[("payload", payload.as_str())], None).await.unwrap();
        assert!(response.status < 500, "GET /users with {payload}: {}", response.body);
    }
    // Random frames on a socket: the server answers health checks and ignores the rest, and stays up.
    let mut socket = server.connect("alice").await;
    for text in samples("\\PC{0,200}|\\[\\{\"type\":\"health.check\"\\}\\]", 200) {
        if socket.send_text(&text).await.is_err() {
            break;
        }
    }
    socket.close().await;
    let state = ok(&alice, Method::POST, "/channels/team/general/query", serde_json::json!({"state": true})).await;
    assert_eq!(state["channel"]["cid"], "team:general");
    let mut fresh = server.connect("bob").await;
    fresh.send_health_check("bob").await.unwrap();
    fresh.wait_for(Duration::from_secs(5), |_| true).await.ok();
    assert_eq!(fresh.close_code, None);
}
