//! The Hub from the command line and through `rill serve`: the first run's one-time link, `rill hub member ...`,
//! `project ...` and `sign-in-link`, against a running server too.

use crate::support::{run, Place};
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Child;

/// A running `rill serve` and the lines it printed at start.
struct Served {
    _child: Child,
    base_url: String,
    lines: Vec<String>,
}

async fn serve(place: &Place) -> Served {
    serve_with(place, &[]).await
}

async fn serve_with(place: &Place, flags: &[&str]) -> Served {
    let mut child = place
        .command()
        .args(["serve", "--data-dir", place.dir(), "--listen", "127.0.0.1:0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
    let lines = tokio::time::timeout(Duration::from_secs(30), async {
        let mut lines = Vec::new();
        while let Some(line) = reader.next_line().await.unwrap() {
            let done = line.starts_with("Store:");
            lines.push(line);
            if done {
                return lines;
            }
        }
        panic!("rill serve exited early: {lines:?}");
    })
    .await
    .expect("rill serve did not start within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = reader.next_line().await {} });
    let base_url = lines[0].strip_prefix("Rill is listening on ").unwrap().trim().to_owned();
    Served { _child: child, base_url, lines }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn token_of(url: &str) -> &str {
    url.split_once("#token=").unwrap().1.trim()
}

/// POSTs a link's token (and a password) and answers the status, the session cookie and the body.
async fn use_link(base_url: &str, token: &str, password: Option<&str>) -> (u16, Option<String>, Value) {
    let body = json!({"token": token, "password": password});
    let body = if password.is_none() { json!({"token": token}) } else { body };
    let response = http().post(format!("{base_url}/hub/api/auth/link")).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let cookie =
        response.headers().get("set-cookie").map(|value| value.to_str().unwrap().split(';').next().unwrap().to_owned());
    (status, cookie, response.json().await.unwrap())
}

async fn me(base_url: &str, cookie: &str) -> u16 {
    let response = http().get(format!("{base_url}/hub/api/auth/me")).header("cookie", cookie).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn the_first_run_prints_a_link_that_signs_the_admin_in_once() {
    let place = Place::new();
    let served = serve(&place).await;
    let hub_line = format!("Hub: {}/hub/", served.base_url);
    assert!(served.lines.contains(&hub_line), "{:?}", served.lines);
    let prefix = format!("Sign in (once, within 24 hours): {}/hub/sign-in#token=", served.base_url);
    let link = served.lines.iter().find(|line| line.starts_with(&prefix)).expect("a sign-in link").clone();
    let root = http().get(format!("{}/", served.base_url)).send().await.unwrap();
    assert_eq!((root.status().as_u16(), root.headers()["location"].to_str().unwrap()), (307, "/hub/"));
    let engine = http().get(format!("{}/app", served.base_url)).send().await.unwrap();
    assert_eq!(engine.status().as_u16(), 401, "the engine still answers its own routes");
    let (status, cookie, body) = use_link(&served.base_url, token_of(&link), Some("the admin's password")).await;
    assert_eq!((status, body["member"]["email"].as_str()), (200, Some("admin@localhost")), "{body}");
    assert_eq!(me(&served.base_url, &cookie.unwrap()).await, 200);
    assert_eq!(use_link(&served.base_url, token_of(&link), None).await.0, 400, "used once only");
    drop(served);

    // A later start prints the Hub's URL and how to get a link, never a token.
    let again = serve(&place).await;
    assert!(again.lines.iter().any(|line| line.starts_with("Hub: ")), "{:?}", again.lines);
    assert!(again.lines.iter().all(|line| !line.contains("token=")), "{:?}", again.lines);
    assert!(again.lines.iter().any(|line| line.contains("rill hub sign-in-link")), "{:?}", again.lines);
}

async fn run_with_stdin(place: &Place, arguments: &[&str], stdin: &str) -> String {
    let mut child = place
        .command()
        .args(arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success(), "rill {arguments:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn members_and_projects_are_managed_from_the_command_line_while_the_server_runs() {
    let place = Place::new();
    let served = serve(&place).await;
    let dir = place.dir();
    let add =
        ["hub", "member", "add", "--data-dir", dir, "--email", "Bea@Example.com", "--name", "Bea", "--password-stdin"];
    let added = run_with_stdin(&place, &add, "bea's long password\n").await;
    assert!(added.contains("added Bea <Bea@Example.com> as member"), "{added}");
    let invited =
        run(&place, &["hub", "member", "add", "--data-dir", dir, "--email", "cy@x.test", "--name", "Cy", "--admin"])
            .await;
    assert!(invited.contains("Invite (once, within 24 hours): http://127.0.0.1:8080/hub/invite#token="), "{invited}");
    let list: Value =
        serde_json::from_str(&run(&place, &["hub", "member", "list", "--data-dir", dir, "--json"]).await).unwrap();
    let members: Vec<(&str, &str, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|member| {
            (
                member["email"].as_str().unwrap(),
                member["role"].as_str().unwrap(),
                member["has_password"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [("admin@localhost", "admin", false), ("Bea@Example.com", "member", true), ("cy@x.test", "admin", false)]
    );

    let project = ["hub", "project", "add", "--data-dir", dir, "--name", "Apollo", "--member", "bea@example.com"];
    assert!(run(&place, &project).await.contains("added the project Apollo with 1 members"));
    let complete = run(&place, &["hub", "project", "complete", "--data-dir", dir, "--name", "apollo"]).await;
    assert!(complete.contains("the project Apollo is completed"), "{complete}");
    let reopen = run(&place, &["hub", "project", "reopen", "--data-dir", dir, "--name", "Apollo"]).await;
    assert!(reopen.contains("the project Apollo is active"), "{reopen}");

    // Bea signs in to the running server; removing her from the command line ends that session at once.
    let sign_in = json!({"email": "bea@example.com", "password": "bea's long password"});
    let response =
        http().post(format!("{}/hub/api/auth/sign-in", served.base_url)).json(&sign_in).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let projects = http().get(format!("{}/hub/api/projects", served.base_url)).header("cookie", &cookie).send();
    let projects: Value = projects.await.unwrap().json().await.unwrap();
    assert_eq!(projects["projects"][0]["status"], "active");
    let removed = run(&place, &["hub", "member", "remove", "--data-dir", dir, "--email", "BEA@example.com"]).await;
    assert!(removed.contains("removed Bea@Example.com"), "{removed}");
    assert_eq!(me(&served.base_url, &cookie).await, 401);
    let text = run(&place, &["hub", "member", "list", "--data-dir", dir]).await;
    assert!(!text.contains("Bea") && text.contains("admin@localhost\tadmin\tAdmin"), "{text}");
    let unknown =
        place.command().args(["hub", "member", "remove", "--data-dir", dir, "--email", "nobody@x.test"]).output();
    let unknown = unknown.await.unwrap();
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("no member has the email"));
}

#[tokio::test]
async fn a_link_printed_by_sign_in_link_signs_in_against_the_running_server() {
    let place = Place::new();
    let served = serve(&place).await;
    let arguments =
        ["hub", "sign-in-link", "--data-dir", place.dir(), "--email", "ADMIN@localhost", "--hub-url", &served.base_url];
    let printed = run(&place, &arguments).await;
    let prefix = format!("Sign in (once, within 24 hours): {}/hub/sign-in#token=", served.base_url);
    assert!(printed.starts_with(&prefix), "{printed}");
    let (status, cookie, body) = use_link(&served.base_url, token_of(&printed), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(me(&served.base_url, &cookie.unwrap()).await, 200);
    assert_eq!(use_link(&served.base_url, token_of(&printed), None).await.0, 400);
}

/// Signs the first admin in with the link the first run printed: their session (cookie, CSRF token) and the
/// sign-in answer.
async fn sign_in_first_admin(served: &Served) -> ((String, String), Value) {
    let prefix = format!("Sign in (once, within 24 hours): {}/hub/sign-in#token=", served.base_url);
    let link = served.lines.iter().find(|line| line.starts_with(&prefix)).expect("a sign-in link");
    let (status, cookie, body) = use_link(&served.base_url, token_of(link), Some("the admin's password")).await;
    assert_eq!(status, 200, "{body}");
    let session = (cookie.expect("a session cookie"), body["csrf_token"].as_str().unwrap().to_owned());
    (session, body)
}

/// Adds the plain member Bea (`bea@x.test`) with a password from the command line and signs her in: her
/// session (cookie and CSRF token) and the sign-in's answer.
async fn add_signed_in_member(place: &Place, base_url: &str) -> ((String, String), Value) {
    let add = [
        "hub",
        "member",
        "add",
        "--data-dir",
        place.dir(),
        "--email",
        "bea@x.test",
        "--name",
        "Bea",
        "--password-stdin",
    ];
    run_with_stdin(place, &add, "bea's long password\n").await;
    let sign_in = json!({"email": "bea@x.test", "password": "bea's long password"});
    let response = http().post(format!("{base_url}/hub/api/auth/sign-in")).json(&sign_in).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let session = (cookie, body["csrf_token"].as_str().unwrap().to_owned());
    (session, body)
}

/// Calls a Hub route as a signed-in session (cookie and CSRF token).
async fn hub_call(
    base_url: &str,
    session: &(String, String),
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http()
        .request(method, format!("{base_url}{path}"))
        .header("cookie", &session.0)
        .header("x-csrf-token", &session.1);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A fresh server's workspace is connected to its built-in engine; an admin reads the integration (the secret
/// masked), tests and saves keys (a failing test saves nothing unless asked), and every member gets a 24-hour
/// chat token that the engine takes.
#[tokio::test]
async fn a_fresh_workspace_is_connected_to_its_engine_and_signs_chat_tokens() {
    let place = Place::new();
    let served = serve(&place).await;
    let base = served.base_url.clone();
    let (admin, _) = sign_in_first_admin(&served).await;
    let apps: Value =
        serde_json::from_str(&run(&place, &["app", "list", "--data-dir", place.dir(), "--json"]).await).unwrap();
    let (key, secret) =
        (apps[0]["api_key"].as_str().unwrap().to_owned(), apps[0]["api_secret"].as_str().unwrap().to_owned());

    let (status, integration) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/integration", None).await;
    assert_eq!(status, 200, "{integration}");
    assert_eq!((integration["built_in"].as_bool(), integration["api_key"].as_str()), (Some(true), Some(key.as_str())));
    assert_eq!(integration["api_secret"], format!("••••{}", &secret[secret.len() - 4..]));
    assert!(!integration.to_string().contains(&secret), "the secret is never returned");

    let (_, session) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/chat/session", None).await;
    assert_eq!(session["api_key"], key.as_str());
    assert_eq!(session["base_url"], base.as_str(), "the built-in engine shares the Hub's origin");
    let token = session["token"].as_str().unwrap();
    let engine = reqwest::Client::new()
        .get(format!("{base}/app?api_key={key}"))
        .header("authorization", token)
        .header("stream-auth-type", "jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(engine.status().as_u16(), 200, "the engine takes the Hub's token");
    let expires = chrono::DateTime::parse_from_rfc3339(session["expires_at"].as_str().unwrap()).unwrap();
    let hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    assert!(!session.to_string().contains(&secret));

    let test = |body: Value| hub_call(&base, &admin, reqwest::Method::POST, "/hub/api/integration/test", Some(body));
    assert_eq!(test(json!({"api_key": key, "api_secret": "wrong"})).await.1["test"]["code"], "wrong_secret");
    assert_eq!(test(json!({"api_key": "nope", "api_secret": secret})).await.1["test"]["code"], "wrong_api_key");
    assert_eq!(
        test(json!({"api_key": key, "app_id": 7})).await.1["test"]["code"],
        "app_id_mismatch",
        "the stored secret is used"
    );
    let save = |body: Value| hub_call(&base, &admin, reqwest::Method::PUT, "/hub/api/integration", Some(body));
    let refused = save(json!({"api_key": key, "api_secret": "wrong"})).await.1;
    assert_eq!((refused["saved"].as_bool(), refused["test"]["code"].as_str()), (Some(false), Some("wrong_secret")));
    let anyway = save(json!({"base_url": "http://127.0.0.1:9", "api_key": key, "save_anyway": true})).await.1;
    assert_eq!(
        (anyway["saved"].as_bool(), anyway["test"]["code"].as_str()),
        (Some(true), Some("unreachable")),
        "{anyway}"
    );
    let back = save(json!({"base_url": "built-in", "api_key": key})).await.1;
    assert_eq!((back["saved"].as_bool(), back["test"]["code"].as_str()), (Some(true), Some("connected")), "{back}");

    // A member gets a chat token, not the integration.
    let (bea, body) = add_signed_in_member(&place, &base).await;
    assert_eq!(hub_call(&base, &bea, reqwest::Method::GET, "/hub/api/integration", None).await.0, 403);
    let (status, session) = hub_call(&base, &bea, reqwest::Method::GET, "/hub/api/chat/session", None).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["user_id"], body["member"]["id"]);
}

/// The first start provisions the workspace on the built-in engine (the admin's chat user, `#general`,
/// `#engineering`); a project made through the Hub gets its channel without anyone asking, and a run on demand
/// reports what it changed.
#[tokio::test]
async fn the_workspace_is_provisioned_on_its_engine_and_follows_changes() {
    let place = Place::new();
    let served = serve(&place).await;
    let base = served.base_url.clone();
    let (admin, body) = sign_in_first_admin(&served).await;
    let admin_id = body["member"]["id"].as_str().unwrap().to_owned();
    let apps: Value =
        serde_json::from_str(&run(&place, &["app", "list", "--data-dir", place.dir(), "--json"]).await).unwrap();
    let engine = rill_client::Client::server(
        &base,
        apps[0]["api_key"].as_str().unwrap(),
        apps[0]["api_secret"].as_str().unwrap(),
    );
    let members_of = |channel: &str| {
        let query = json!({"type": "team", "id": channel, "filter_conditions": {}}).to_string();
        let engine = engine.clone();
        async move {
            let found = engine.raw(reqwest::Method::GET, "/members", &[("payload", &query)], None).await.unwrap();
            found.body["members"].as_array().map(|members| {
                members.iter().map(|m| m["user_id"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>()
            })
        }
    };
    let eventually = move |channel: String, wanted: Vec<String>| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let found = members_of(&channel).await;
            if found.as_ref() == Some(&wanted) || std::time::Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(eventually("general".into(), vec![admin_id.clone()]).await, Some(vec![admin_id.clone()]));
    assert_eq!(eventually("engineering".into(), vec![admin_id.clone()]).await, Some(vec![admin_id.clone()]));

    let (status, project) = hub_call(
        &base,
        &admin,
        reqwest::Method::POST,
        "/hub/api/projects",
        Some(json!({"name": "Apollo", "member_ids": [admin_id]})),
    )
    .await;
    assert!((200..300).contains(&status), "{project}");
    let project_id = project["project"]["id"].as_str().or(project["id"].as_str()).unwrap().to_owned();
    let channel = format!("project-{project_id}");
    assert_eq!(
        eventually(channel, vec![admin_id.clone()]).await,
        Some(vec![admin_id.clone()]),
        "the hook ran provisioning"
    );

    let (status, outcome) =
        hub_call(&base, &admin, reqwest::Method::POST, "/hub/api/provisioning", Some(json!({}))).await;
    assert_eq!((status, outcome["state"].as_str()), (200, Some("ok")), "{outcome}");
    assert_eq!(outcome["changes"]["users_created"], 0, "nothing left to do: {outcome}");
    let (_, last) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/provisioning", None).await;
    assert_eq!(last["state"], "ok");
}

/// The Admin moderation panel through the Hub: a flagged message shows in the queue, a dismissal takes it out,
/// a ban and its lift take effect on the engine, archiving freezes the channel, every action is in the audit
/// trail, and usage reads the engine's.
#[tokio::test]
async fn admins_moderate_through_the_hub_and_every_action_is_audited() {
    let place = Place::new();
    let served = serve(&place).await;
    let base = served.base_url.clone();
    let (admin, _) = sign_in_first_admin(&served).await;
    let (bea, bea_body) = add_signed_in_member(&place, &base).await;
    let chat = |session: (String, String)| {
        let base = base.clone();
        async move {
            let (_, chat) = hub_call(&base, &session, reqwest::Method::GET, "/hub/api/chat/session", None).await;
            rill_client::Client::with_token(
                &base,
                chat["api_key"].as_str().unwrap(),
                Some(chat["token"].as_str().unwrap().to_owned()),
            )
        }
    };
    let (admin_chat, bea_chat) = (chat(admin.clone()).await, chat(bea.clone()).await);
    // Provisioning puts Bea in #general (woken by the command line's change within its 30 s reconcile, or at once).
    hub_call(&base, &admin, reqwest::Method::POST, "/hub/api/provisioning", Some(json!({}))).await;
    let send = |client: rill_client::Client, text: &'static str| async move {
        let body = json!({"message": {"text": text}});
        client.raw(reqwest::Method::POST, "/channels/team/general/message", &[], Some(&body)).await.unwrap()
    };
    let sent = send(bea_chat.clone(), "buy cheap watches").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let message_id = sent.body["message"]["id"].as_str().unwrap().to_owned();
    let flag = json!({"target_message_id": message_id, "reason": "spam"});
    assert_eq!(admin_chat.raw(reqwest::Method::POST, "/moderation/flag", &[], Some(&flag)).await.unwrap().status, 201);

    let (status, queue) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/moderation/queue", None).await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["items"][0]["message_id"], message_id.as_str());
    assert_eq!(queue["items"][0]["reasons"], json!(["spam"]));
    assert_eq!(hub_call(&base, &bea, reqwest::Method::GET, "/hub/api/moderation/queue", None).await.0, 403);
    let act = |body: Value| hub_call(&base, &admin, reqwest::Method::POST, "/hub/api/moderation/actions", Some(body));
    assert_eq!(act(json!({"action": "dismiss", "message_id": message_id})).await.0, 200);
    let (_, queue) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/moderation/queue", None).await;
    assert_eq!(queue["items"], json!([]), "a dismissed item leaves the queue");

    let bea_id = bea_body["member"]["id"].as_str().unwrap();
    assert_eq!(act(json!({"action": "ban", "user_id": bea_id, "reason": "spam"})).await.0, 200);
    assert_eq!(send(bea_chat.clone(), "again").await.status, 403);
    assert_eq!(act(json!({"action": "unban", "user_id": bea_id})).await.0, 200);
    assert_eq!(send(bea_chat.clone(), "sorry").await.status, 201);
    assert_eq!(
        act(json!({"action": "mute", "user_id": bea_id, "channel_cid": "team:general", "minutes": 10})).await.0,
        200
    );
    assert_eq!(send(bea_chat.clone(), "muted?").await.status, 403);
    assert_eq!(act(json!({"action": "unmute", "user_id": bea_id, "channel_cid": "team:general"})).await.0, 200);
    assert_eq!(act(json!({"action": "archive", "channel_cid": "team:general"})).await.0, 200);
    assert_eq!(send(bea_chat.clone(), "frozen?").await.body["message"]["type"], "error");
    assert_eq!(act(json!({"action": "unarchive", "channel_cid": "team:general"})).await.0, 200);
    let (status, refused) = act(json!({"action": "ban", "user_id": "nobody-here", "reason": "x"})).await;
    assert_eq!(status, 400, "the backend's refusal is passed on: {refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("does not exist"), "{refused}");

    let (_, audit) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/audit", None).await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"].as_str().unwrap().starts_with("moderation."))
        .map(|entry| (entry["action"].as_str().unwrap(), entry["result"].as_str().unwrap()))
        .collect();
    assert_eq!(actions.len(), 8, "{audit}");
    assert_eq!(actions[0], ("moderation.ban", "refused: backend_refused"), "newest first");
    assert!(actions.contains(&("moderation.dismiss", "ok")));
    let printed: Value =
        serde_json::from_str(&run(&place, &["hub", "audit", "--data-dir", place.dir(), "--json"]).await).unwrap();
    assert_eq!(printed[0]["action"], "moderation.ban", "rill hub audit prints the same trail, newest first");
    let (_, usage) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/usage", None).await;
    assert_eq!((usage["estimate"].as_bool(), usage["plan"].as_str()), (Some(false), Some("enterprise")), "{usage}");
    assert_eq!(usage["monthly_active_users"]["level"], "fine");
}

/// Push settings through the Hub reach the chat app (and are never read back), a bad service account is refused
/// before anything is written, and a test push reaches the admin's device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_settings_go_to_the_chat_app_and_a_test_push_reaches_a_device() {
    let (fcm, apns) = (rill_push::testing::FakeFcm::start().await, rill_push::testing::FakeApns::start().await);
    let place = Place::new();
    let ca = apns.client_options().ca_file.unwrap();
    let served = serve_with(&place, &["--fcm-base-url", &fcm.base_url(), "--push-ca-file", ca.to_str().unwrap()]).await;
    let base = served.base_url.clone();
    let (admin, _) = sign_in_first_admin(&served).await;

    let bad = json!({"enabled": true, "firebase_credentials": "{\"type\": \"service_account\"}"});
    let (status, refused) = hub_call(&base, &admin, reqwest::Method::PUT, "/hub/api/push", Some(bad)).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("invalid_service_account")), "{refused}");
    let settings = json!({
        "enabled": true,
        "firebase_credentials": fcm.service_account_json(),
        "apns": {"p8": apns.p8_pem(), "key_id": apns.key_id(), "team_id": apns.team_id(), "bundle_id": "app.hub", "development": true},
    });
    let (status, saved) = hub_call(&base, &admin, reqwest::Method::PUT, "/hub/api/push", Some(settings)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!((saved["enabled"].as_bool(), saved["firebase"]["configured"].as_bool()), (Some(true), Some(true)));
    assert_eq!(saved["apns"]["bundle_id"], "app.hub");
    assert!(!saved.to_string().contains("PRIVATE KEY"), "credentials are never read back");
    let apps: Value =
        serde_json::from_str(&run(&place, &["app", "list", "--data-dir", place.dir(), "--json"]).await).unwrap();
    let engine = rill_client::Client::server(
        &base,
        apps[0]["api_key"].as_str().unwrap(),
        apps[0]["api_secret"].as_str().unwrap(),
    );
    let app = engine.raw(reqwest::Method::GET, "/app", &[], None).await.unwrap().body;
    assert_eq!(app["app"]["push_notifications"]["firebase"]["enabled"], true, "written to the chat app");

    let (_, chat) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/chat/session", None).await;
    let me = rill_client::Client::with_token(
        &base,
        chat["api_key"].as_str().unwrap(),
        Some(chat["token"].as_str().unwrap().to_owned()),
    );
    let device = json!({"id": "admin-phone", "push_provider": "firebase"});
    assert_eq!(me.raw(reqwest::Method::POST, "/devices", &[], Some(&device)).await.unwrap().status, 201);
    hub_call(&base, &admin, reqwest::Method::POST, "/hub/api/provisioning", Some(json!({}))).await;
    let message = json!({"message": {"text": "hello team"}, "skip_push": true});
    assert_eq!(
        me.raw(reqwest::Method::POST, "/channels/team/general/message", &[], Some(&message)).await.unwrap().status,
        201
    );
    let (status, tested) = hub_call(&base, &admin, reqwest::Method::POST, "/hub/api/push/test", Some(json!({}))).await;
    assert_eq!(status, 200, "{tested}");
    assert_eq!(tested["failures"], json!([]), "{tested}");
    assert_eq!(fcm.sends().len(), 1, "the test push reached the device");
    assert_eq!(fcm.sends()[0]["token"], "admin-phone");
}

/// Against a backend without a usage API (as hosted Stream), usage is the Hub's estimate: the members given a
/// chat token this month, each once.
#[tokio::test]
async fn usage_against_another_backend_is_an_estimate_of_members_given_tokens() {
    async fn fake(uri: axum::http::Uri) -> axum::response::Response {
        use axum::response::IntoResponse;
        if uri.path() == "/app" {
            return axum::Json(json!({"app": {"id": 1, "name": "Hosted"}})).into_response();
        }
        (axum::http::StatusCode::NOT_FOUND, axum::Json(json!({"code": 16, "message": "not here"}))).into_response()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hosted = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(fake)).await });

    let place = Place::new();
    let served = serve(&place).await;
    let base = served.base_url.clone();
    let (admin, _) = sign_in_first_admin(&served).await;
    let connect = json!({"base_url": hosted, "api_key": "hosted-key", "api_secret": "hosted-secret", "app_id": 1});
    let (_, saved) = hub_call(&base, &admin, reqwest::Method::PUT, "/hub/api/integration", Some(connect)).await;
    assert_eq!((saved["saved"].as_bool(), saved["test"]["app_name"].as_str()), (Some(true), Some("Hosted")), "{saved}");
    for _ in 0..2 {
        let (status, session) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/chat/session", None).await;
        assert_eq!((status, session["base_url"].as_str()), (200, Some(hosted.as_str())), "{session}");
    }
    let (status, usage) = hub_call(&base, &admin, reqwest::Method::GET, "/hub/api/usage", None).await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(usage["estimate"], true);
    assert_eq!(usage["monthly_active_users"]["count"], 1, "one member got tokens, twice: {usage}");
    assert!(usage["messages"].is_null(), "the Hub does not see messages");
}

/// Every Stream-integration route of the Hub refuses a stranger (401) and a plain member (403, save the
/// member's own chat session); a state-changing one without the session's CSRF token is refused too.
#[tokio::test]
async fn integration_routes_refuse_strangers_and_plain_members() {
    let place = Place::new();
    let served = serve(&place).await;
    let base = served.base_url.clone();
    let (admin, _) = sign_in_first_admin(&served).await;
    let (bea, _) = add_signed_in_member(&place, &base).await;
    let stranger = (String::new(), String::new());
    use reqwest::Method;
    let routes = [
        (Method::GET, "/hub/api/integration", None),
        (Method::PUT, "/hub/api/integration", Some(json!({"api_key": "k"}))),
        (Method::POST, "/hub/api/integration/test", Some(json!({"api_key": "k"}))),
        (Method::GET, "/hub/api/provisioning", None),
        (Method::POST, "/hub/api/provisioning", Some(json!({}))),
        (Method::GET, "/hub/api/moderation/queue", None),
        (Method::POST, "/hub/api/moderation/actions", Some(json!({"action": "unban", "user_id": "x"}))),
        (Method::GET, "/hub/api/audit", None),
        (Method::GET, "/hub/api/usage", None),
        (Method::GET, "/hub/api/push", None),
        (Method::PUT, "/hub/api/push", Some(json!({"enabled": false}))),
        (Method::POST, "/hub/api/push/test", Some(json!({}))),
    ];
    for (method, path, body) in routes {
        let (status, answer) = hub_call(&base, &stranger, method.clone(), path, body.clone()).await;
        assert_eq!(status, 401, "a stranger at {method} {path}: {answer}");
        let (status, answer) = hub_call(&base, &bea, method.clone(), path, body.clone()).await;
        assert_eq!(status, 403, "a plain member at {method} {path}: {answer}");
        if method != Method::GET {
            let no_csrf = (admin.0.clone(), "wrong".to_owned());
            let (status, answer) = hub_call(&base, &no_csrf, method.clone(), path, body).await;
            assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("csrf")), "{method} {path}");
        }
    }
    assert_eq!(hub_call(&base, &stranger, Method::GET, "/hub/api/chat/session", None).await.0, 401);
    assert_eq!(hub_call(&base, &bea, Method::GET, "/hub/api/chat/session", None).await.0, 200);
}
