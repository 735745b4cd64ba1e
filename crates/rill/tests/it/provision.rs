//! The Hub's provisioning against the real engine, through the Stream protocol only: what one run creates, that
//! a second run writes nothing, that member and project changes are followed, and that concurrent runs
//! converge.

use reqwest::Method;
use rill_client::Client;
use rill_hub::provision::{project_channel_id, provision, ChatMember, ChatProject, FormerMember, Report, Workspace};
use rill_server::testing::TestServer;
use serde_json::{json, Value};

fn member(id: &str, admin: bool) -> ChatMember {
    ChatMember { user_id: id.into(), name: format!("{id} name"), admin }
}

fn project(id: &str, members: &[&str], completed: bool) -> ChatProject {
    ChatProject {
        project_id: id.into(),
        name: format!("Project {id}"),
        member_user_ids: members.iter().map(|member| (*member).to_owned()).collect(),
        completed,
    }
}

fn workspace() -> Workspace {
    Workspace {
        members: vec![member("ann", true), member("ben", false), member("cat", false)],
        former: Vec::new(),
        projects: vec![project("p1", &["ben", "cat"], false), project("p2", &["ann"], true)],
    }
}

async fn members_of(client: &Client, channel: &str) -> Vec<String> {
    let query = json!({"type": "team", "id": channel, "filter_conditions": {}, "limit": 100});
    let found = client.raw(Method::GET, "/members", &[("payload", &query.to_string())], None).await.unwrap();
    assert_eq!(found.status, 200, "{}", found.body);
    let mut ids: Vec<String> =
        found.body["members"].as_array().unwrap().iter().map(|m| m["user_id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

async fn channel(client: &Client, id: &str) -> Value {
    let path = format!("/channels/team/{id}/query");
    let state = client.raw(Method::POST, &path, &[], Some(&json!({"state": false}))).await.unwrap();
    assert_eq!(state.status, 201, "{}", state.body);
    state.body["channel"].clone()
}

#[tokio::test]
async fn a_run_provisions_the_workspace_and_a_second_run_writes_nothing() {
    let server = TestServer::start().await;
    let client = server.server_client();
    let first = provision(&client, &workspace()).await.unwrap();
    assert_eq!(first.users_created, 3);
    assert_eq!(first.channels_archived, 1, "p2 is completed");
    assert_eq!(members_of(&client, "general").await, ["ann", "ben", "cat"]);
    assert_eq!(members_of(&client, "engineering").await, ["ann"], "the admins");
    assert_eq!(members_of(&client, &project_channel_id("p1")).await, ["ben", "cat"]);
    let p1 = channel(&client, &project_channel_id("p1")).await;
    assert_eq!(p1["project_id"], "p1");
    assert_eq!(p1["name"], "Project p1");
    let p2 = channel(&client, &project_channel_id("p2")).await;
    assert_eq!((p2["frozen"].as_bool(), p2["globally_archived"].as_bool()), (Some(true), Some(true)), "{p2}");
    let users = client.raw(Method::GET, "/users", &[("payload", r#"{"filter_conditions": {"id": "ann"}}"#)], None);
    assert_eq!(users.await.unwrap().body["users"][0]["role"], "admin");

    let second = provision(&client, &workspace()).await.unwrap();
    assert_eq!(second, Report::default(), "nothing left to change");
}

#[tokio::test]
async fn member_and_project_changes_are_followed() {
    let server = TestServer::start().await;
    let client = server.server_client();
    provision(&client, &workspace()).await.unwrap();
    // Signed a minute ago, as a member's token would have been: revocation is by whole seconds of `iat`.
    let issued = chrono::Utc::now().timestamp() - 60;
    let cat_token = rill_client::token::user_token("cat", &server.app.api_secret, issued, None);
    let cat = Client::with_token(&server.base_url, &server.app.api_key, Some(cat_token));
    assert_eq!(cat.raw(Method::GET, "/app", &[], None).await.unwrap().status, 200);

    // Cat leaves, Ben is renamed, p2 is reopened.
    let mut changed = workspace();
    changed.members.retain(|member| member.user_id != "cat");
    changed.members[1].name = "Benjamin".into();
    changed.former.push(FormerMember { user_id: "cat".into(), removed_at: chrono::Utc::now() });
    changed.projects = vec![project("p1", &["ben", "cat"], false), project("p2", &["ann"], false)];
    changed.projects[0].name = "Apollo".into();
    let report = provision(&client, &changed).await.unwrap();
    assert_eq!(report.channels_renamed, 1, "the renamed project's channel follows");
    let p1 = channel(&client, &project_channel_id("p1")).await;
    assert_eq!((p1["name"].as_str(), p1["project_id"].as_str()), (Some("Apollo"), Some("p1")), "{p1}");
    assert_eq!(report.users_updated, 1);
    assert_eq!(report.tokens_revoked, 1);
    assert_eq!(report.channels_unarchived, 1);
    assert_eq!(report.memberships_removed, 2, "out of #general and p1");
    assert_eq!(members_of(&client, "general").await, ["ann", "ben"]);
    assert_eq!(members_of(&client, &project_channel_id("p1")).await, ["ben"]);
    let p2 = channel(&client, &project_channel_id("p2")).await;
    assert_eq!(p2["frozen"], false);
    assert!(p2.get("globally_archived").is_none_or(Value::is_null), "{p2}");
    let refused = cat.raw(Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(refused.body["code"], 40, "cat's token is revoked: {}", refused.body);
    assert_eq!(provision(&client, &changed).await.unwrap(), Report::default());

    // A project member added by hand in the backend is removed: the project says who is in.
    let add = json!({"add_members": ["ann"]});
    let path = format!("/channels/team/{}", project_channel_id("p1"));
    assert!((200..300).contains(&client.raw(Method::POST, &path, &[], Some(&add)).await.unwrap().status));
    let report = provision(&client, &changed).await.unwrap();
    assert_eq!(report.memberships_removed, 1);
    assert_eq!(members_of(&client, &project_channel_id("p1")).await, ["ben"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_converge() {
    let server = TestServer::start().await;
    let client = server.server_client();
    let runs = (0..3).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { provision(&client, &workspace()).await })
    });
    for run in runs.collect::<Vec<_>>() {
        run.await.unwrap().unwrap();
    }
    assert_eq!(members_of(&client, "general").await, ["ann", "ben", "cat"]);
    assert_eq!(members_of(&client, &project_channel_id("p1")).await, ["ben", "cat"]);
    assert_eq!(provision(&client, &workspace()).await.unwrap(), Report::default());
}

/// What the rate-limiting proxy saw: when it refused, the reset it named, and when the next call came.
#[derive(Default)]
struct Throttled {
    calls: usize,
    /// (the reset second named, the second the next call arrived), per refusal.
    refusals: Vec<(i64, Option<f64>)>,
}

/// A backend in front of the engine that answers every third call with 429 and an `X-RateLimit-Reset` one
/// second ahead, as hosted Stream does when an app's limit is spent, and passes the rest through.
async fn throttling_proxy(upstream: String) -> (String, std::sync::Arc<std::sync::Mutex<Throttled>>) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method as AxumMethod, StatusCode, Uri};
    use axum::response::IntoResponse;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Throttled::default()));
    let http = reqwest::Client::new();
    let state = seen.clone();
    let handler = move |method: AxumMethod, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (seen, http, upstream) = (state.clone(), http.clone(), upstream.clone());
        async move {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
            let refuse = {
                let mut seen = seen.lock().unwrap();
                seen.calls += 1;
                if let Some(last) = seen.refusals.last_mut().filter(|last| last.1.is_none()) {
                    last.1 = Some(now);
                }
                let refuse = seen.calls % 3 == 0;
                if refuse {
                    seen.refusals.push((now as i64 + 1, None));
                }
                refuse
            };
            if refuse {
                let reset = (now as i64 + 1).to_string();
                let body = json!({"code": 9, "message": "Too many requests", "StatusCode": 429});
                let headers = [("x-ratelimit-limit", "60".to_owned()), ("x-ratelimit-remaining", "0".to_owned())];
                let mut response = (StatusCode::TOO_MANY_REQUESTS, headers, body.to_string()).into_response();
                response.headers_mut().insert("x-ratelimit-reset", reset.parse().unwrap());
                return response;
            }
            let url = format!("{upstream}{}", uri.path_and_query().map_or("/", |path| path.as_str()));
            let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
            let mut forwarded = http.request(method, url).body(body);
            for (name, value) in headers.iter().filter(|(name, _)| *name != "host") {
                forwarded = forwarded.header(name.as_str(), value.as_bytes());
            }
            let answer = forwarded.send().await.unwrap();
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            (status, answer.bytes().await.unwrap()).into_response()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(handler)).await });
    (url, seen)
}

#[tokio::test]
async fn a_backend_answering_429_is_waited_out_and_provisioning_completes() {
    let server = TestServer::start().await;
    let (proxy, seen) = throttling_proxy(server.base_url.clone()).await;
    let throttled = Client::server(&proxy, &server.app.api_key, &server.app.api_secret);
    let first = provision(&throttled, &workspace()).await.unwrap();
    assert_eq!((first.users_created, first.channels_archived), (3, 1), "{first:?}");

    let client = server.server_client();
    assert_eq!(members_of(&client, "general").await, ["ann", "ben", "cat"]);
    assert_eq!(members_of(&client, &project_channel_id("p1")).await, ["ben", "cat"]);
    let refusals = seen.lock().unwrap().refusals.clone();
    assert!(refusals.len() >= 2, "the proxy refused only {} calls", refusals.len());
    for (reset, next_call) in refusals.iter().filter_map(|(reset, next)| next.map(|next| (reset, next))) {
        assert!(next_call >= *reset as f64, "a call came at {next_call} before the reset second {reset}");
    }
    assert_eq!(provision(&throttled, &workspace()).await.unwrap(), Report::default(), "and nothing was lost");
}
