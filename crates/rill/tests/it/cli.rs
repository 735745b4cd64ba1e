//! The command-line contract: `rill app create --json`, `set-rate-limits`, `--help`, and shutdown on SIGTERM.

use crate::support::{create_app, run, serve, serve_with_env, Place, RILL};
use rill_client::{Client, Socket};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn app_create_prints_credentials_that_work() {
    let place = Place::new();
    let app = create_app(&place).await;
    let keys: Vec<&str> = app.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["app_id", "api_key", "api_secret"]);
    assert!(app["app_id"].is_i64());
    assert_eq!(app["api_key"].as_str().unwrap().len(), 12);
    assert_eq!(app["api_secret"].as_str().unwrap().len(), 64);

    let served = serve(&place).await;
    let client =
        Client::server(&served.base_url, app["api_key"].as_str().unwrap(), app["api_secret"].as_str().unwrap());
    let got = client.get_app().await.unwrap();
    assert_eq!(got.app.id, app["app_id"].as_i64().unwrap());
    // An app created while the server runs is usable at once.
    let second = create_app(&place).await;
    let client =
        Client::server(&served.base_url, second["api_key"].as_str().unwrap(), second["api_secret"].as_str().unwrap());
    assert_eq!(client.get_app().await.unwrap().app.id, second["app_id"].as_i64().unwrap());
}

#[tokio::test]
async fn set_rate_limits_changes_the_headers() {
    let place = Place::new();
    let app = create_app(&place).await;
    let dir = place.dir();
    let app_id = app["app_id"].to_string();
    let out =
        run(&place, &["app", "set-rate-limits", "--data-dir", dir, "--app-id", &app_id, "--per-minute", "7"]).await;
    assert!(out.contains("7 per minute"), "{out}");
    let served = serve(&place).await;
    let client =
        Client::server(&served.base_url, app["api_key"].as_str().unwrap(), app["api_secret"].as_str().unwrap());
    let response = client.raw(reqwest::Method::GET, "/app", &[], None).await.unwrap();
    assert_eq!(response.header("x-ratelimit-limit"), Some("7"));
    assert_eq!(response.header("x-ratelimit-remaining"), Some("6"));
}

/// `--plan` on create, `set-plan` with its own limits, and `usage` in words and as JSON; a running server uses
/// a plan set from the command line at once (the refused sixth user says so), and usage counts what it did.
#[tokio::test]
async fn plans_are_set_and_usage_is_read_from_the_command_line() {
    let place = Place::new();
    let dir = place.dir();
    let created = run(&place, &["app", "create", "--data-dir", dir, "--name", "Quota", "--plan", "free"]).await;
    assert!(created.contains("plan:       free (5 monthly active users, 500000 messages a month)"), "{created}");
    let app: serde_json::Value =
        serde_json::from_str(&run(&place, &["app", "list", "--data-dir", dir, "--json"]).await).unwrap();
    let app = app.as_array().unwrap().iter().find(|app| app["api_key"].as_str().is_some()).cloned().unwrap();
    let app_id = app["app_id"].to_string();
    let usage = |json: bool| {
        let mut arguments = vec!["app", "usage", "--data-dir", dir, "--app-id", &app_id];
        if json {
            arguments.push("--json");
        }
        let place = &place;
        async move { run(place, &arguments).await }
    };
    let report: serde_json::Value = serde_json::from_str(&usage(true).await).unwrap();
    assert_eq!(report["plan"], "free");
    assert_eq!(report["monthly_active_users"], json!({"count": 0, "limit": 5}));

    let served = serve(&place).await;
    let (key, secret) = (app["api_key"].as_str().unwrap(), app["api_secret"].as_str().unwrap());
    for user in ["a", "b", "c", "d", "e", "f"] {
        let token = rill_client::token::user_token(user, secret, chrono::Utc::now().timestamp(), None);
        let client = Client::with_token(&served.base_url, key, Some(token));
        let response = client.raw(reqwest::Method::GET, "/app", &[], None).await.unwrap();
        let expected = if user == "f" { 403 } else { 200 };
        assert_eq!(response.status, expected, "{user}: {}", response.body);
    }
    let arguments = ["app", "set-plan", "--data-dir", dir, "--app-id", &app_id, "--plan", "custom", "--max-mau", "50"];
    let set = run(&place, &arguments).await;
    assert!(set.contains("custom (50 monthly active users, unlimited messages a month)"), "{set}");
    let words = usage(false).await;
    assert!(
        words.contains("monthly active users: 5 of 50") && words.contains("messages:             0 (unlimited)"),
        "{words}"
    );
    let mut admitted = false;
    for _ in 0..100 {
        let token = rill_client::token::user_token("f", secret, chrono::Utc::now().timestamp(), None);
        let client = Client::with_token(&served.base_url, key, Some(token));
        if client.raw(reqwest::Method::GET, "/app", &[], None).await.unwrap().status == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(admitted, "the running server takes the new plan within seconds");
    let unknown =
        place.command().args(["app", "set-plan", "--data-dir", dir, "--app-id", &app_id, "--plan", "gold"]).output();
    let unknown = unknown.await.unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("free, startup, growth, enterprise, custom"));
}

#[tokio::test]
async fn help_explains_the_commands() {
    let place = Place::new();
    let help = run(&place, &["--help"]).await;
    for word in ["serve", "app", "bench"] {
        assert!(help.contains(word), "--help does not mention {word}: {help}");
    }
    let bench_help = run(&place, &["bench", "--help"]).await;
    assert!(bench_help.contains("--database-url") && bench_help.contains("--scale-messages"), "{bench_help}");
    let serve_help = run(&place, &["serve", "--help"]).await;
    for variable in ["RILL_DATA_DIR", "RILL_LISTEN", "RILL_DATABASE_URL"] {
        assert!(serve_help.contains(variable), "serve --help does not mention {variable}: {serve_help}");
    }
    // A database URL may hold a password: help never shows the variable's value.
    let output = tokio::process::Command::new(RILL)
        .args(["serve", "--help"])
        .env("RILL_DATABASE_URL", "postgres://rill:hunter2@127.0.0.1/rill")
        .output()
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains("hunter2"), "help printed the database password");
    let scratch = tempfile::tempdir().unwrap();
    let failed = tokio::process::Command::new(RILL)
        .args(["app", "create", "--json"])
        .current_dir(scratch.path())
        .output()
        .await
        .unwrap();
    assert!(!failed.status.success(), "a missing required flag must fail");
    assert!(String::from_utf8_lossy(&failed.stderr).contains("--name"), "the error must name the missing flag");
    assert!(std::fs::read_dir(scratch.path()).unwrap().next().is_none(), "a refused command must not create files");
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits_zero() {
    let place = Place::new();
    let app = create_app(&place).await;
    let mut served = serve(&place).await;
    let (key, secret) = (app["api_key"].as_str().unwrap(), app["api_secret"].as_str().unwrap());
    Client::server(&served.base_url, key, secret).upsert_users(&[json!({"id": "alice"})]).await.unwrap();
    let token = rill_client::token::user_token("alice", secret, chrono::Utc::now().timestamp(), None);
    let mut socket = Socket::connect(&served.base_url, key, &token, "alice", &json!({"id": "alice"})).await.unwrap();

    let pid = served.child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
    assert!(killed.success());
    // Events already queued (alice's own presence) may arrive first; then the server closes.
    for _ in 0..10 {
        if socket.next_frame(Duration::from_secs(10)).await.unwrap().is_none() {
            break;
        }
    }
    assert_eq!(socket.close_code, Some(1001));
    let status = tokio::time::timeout(Duration::from_secs(10), served.child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn environment_variables_stand_in_for_flags() {
    let place = Place::new();
    let output = place
        .command()
        .args(["app", "create"])
        .env("RILL_DATA_DIR", place.path())
        .env("RILL_APP_NAME", "From the environment")
        .env("RILL_JSON", "true")
        .env("RILL_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(created["api_key"].is_string(), "{created}");
    let app_id = created["app_id"].to_string();
    let output = place
        .command()
        .args(["app", "set-rate-limits"])
        .env("RILL_DATA_DIR", place.path())
        .env("RILL_APP_ID", &app_id)
        .env("RILL_RATE_LIMIT_PER_MINUTE", "42")
        .output()
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("42 per minute"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The test bucket's URL and keys, which `scripts/test` provides (`source scripts/s3.sh && start_s3`); a test that
/// needs them fails without them, it never skips.
fn test_s3() -> (String, String, String) {
    let read = |name: &str| match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{name} is not set: this test needs an S3-compatible server. Run scripts/test, or start one \
                     with `source scripts/s3.sh && start_s3`"
        ),
    };
    (read("RILL_TEST_S3_URL"), read("RILL_TEST_S3_ACCESS_KEY_ID"), read("RILL_TEST_S3_SECRET_ACCESS_KEY"))
}

/// `rill serve --uploads-url URL` with only the given keys in its environment: it must fail; what it printed.
async fn serve_refused(place: &Place, uploads_url: &str, keys: Option<(&str, &str)>) -> String {
    let mut command = place.command();
    command.args(["serve", "--data-dir", place.dir(), "--listen", "127.0.0.1:0", "--uploads-url", uploads_url]);
    for name in ["RILL_S3_ACCESS_KEY_ID", "RILL_S3_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        command.env_remove(name);
    }
    if let Some((id, secret)) = keys {
        command.env("RILL_S3_ACCESS_KEY_ID", id).env("RILL_S3_SECRET_ACCESS_KEY", secret);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), command.output()).await.unwrap().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "rill serve started: {printed}");
    printed
}

/// `--uploads-url`: bad URLs, missing keys, a wrong secret and a missing bucket stop `rill serve` at start with
/// the reason and no secret; with the test bucket, uploads are stored there and served back.
#[tokio::test]
async fn serve_keeps_uploads_in_an_s3_bucket_and_refuses_one_it_cannot_use() {
    let (url, key_id, secret) = test_s3();
    let place = Place::new();
    let printed = serve_refused(&place, "s3://?endpoint=http://127.0.0.1:9", Some((&key_id, &secret))).await;
    assert!(printed.contains("invalid --uploads-url") && printed.contains("no bucket"), "{printed}");
    let printed = serve_refused(&place, "s3://files?endpoint=http://127.0.0.1:9&colour=blue", None).await;
    assert!(printed.contains("unknown key \"colour\""), "{printed}");
    let printed = serve_refused(&place, "s3://files?endpoint=ftp://127.0.0.1:9", None).await;
    assert!(printed.contains("http:// or https://"), "{printed}");
    let printed = serve_refused(&place, &url, None).await;
    assert!(printed.contains("RILL_S3_ACCESS_KEY_ID"), "{printed}");
    let printed = serve_refused(&place, &url, Some((&key_id, "wrong-secret-987654321"))).await;
    assert!(printed.contains("secret access key is wrong"), "{printed}");
    assert!(!printed.contains("wrong-secret-987654321") && !printed.contains(&secret), "{printed}");
    let missing = url.replacen("s3://", "s3://missing-", 1);
    let printed = serve_refused(&place, &missing, Some((&key_id, &secret))).await;
    assert!(printed.contains("does not exist"), "{printed}");

    let (location, query) = url.split_once('?').unwrap();
    let prefixed = format!("{location}/cli-{}?{query}", uuid::Uuid::new_v4().simple());
    let app = create_app(&place).await;
    let keys = [("RILL_S3_ACCESS_KEY_ID", key_id.as_str()), ("RILL_S3_SECRET_ACCESS_KEY", secret.as_str())];
    let served = serve_with_env(&place, &["--uploads-url", &prefixed], &keys).await;
    let client =
        Client::server(&served.base_url, app["api_key"].as_str().unwrap(), app["api_secret"].as_str().unwrap());
    client.upsert_users(&[json!({"id": "ann"})]).await.unwrap();
    let file = rill_client::UploadFile {
        name: "notes.txt".into(),
        content_type: "text/plain".into(),
        bytes: b"kept in the bucket".to_vec(),
    };
    let uploaded = client.upload_raw(reqwest::Method::POST, "/uploads/file", &[], &file, Some("ann")).await.unwrap();
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let response = reqwest::get(uploaded.body["file"].as_str().unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"kept in the bucket");
    let blobs = place.path().join("uploads");
    let on_disk = std::fs::read_dir(&blobs).map(|dir| dir.flatten().filter(|entry| entry.file_name() != "tmp").count());
    assert_eq!(on_disk.unwrap_or(0), 0, "nothing but temporary copies under the data directory");
}
