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
    let mut child = place
        .command()
        .args(["serve", "--data-dir", place.dir(), "--listen", "127.0.0.1:0"])
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
