//! Secrets never leave the server: with push credentials configured and used (sends, a test push, refusals,
//! errors of bad credentials) through the engine and through the Hub (its integration, push and chat routes,
//! its session cookie, its page), no response body, header or cookie and no log line (at debug level) carries
//! the API secret, the service account's private key or the APNs key.

use crate::support::{create_app, serve_logged, Place};
use reqwest::Method;
use rill_client::Client;
use rill_push::testing::{FakeApns, FakeFcm};
use serde_json::{json, Value};

/// The base64 lines of a PEM key: any one of them showing anywhere is a leak.
fn key_lines(pem: &str) -> Vec<String> {
    pem.lines().filter(|line| !line.starts_with("-----") && line.len() >= 40).map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_or_log_line_carries_a_secret() {
    let place = Place::new();
    let app = create_app(&place).await;
    let (key, secret) = (app["api_key"].as_str().unwrap().to_owned(), app["api_secret"].as_str().unwrap().to_owned());
    let (fcm, apns) = (FakeFcm::start().await, FakeApns::start().await);
    let ca = apns.client_options().ca_file.unwrap();
    let logged =
        serve_logged(&place, &["--fcm-base-url", &fcm.base_url(), "--push-ca-file", ca.to_str().unwrap()]).await;
    let base = logged.served.base_url.clone();
    let admin = Client::server(&base, &key, &secret);
    let account = fcm.service_account_json();
    let account_key = serde_json::from_str::<Value>(&account).unwrap()["private_key"].as_str().unwrap().to_owned();
    let mut canaries = vec![secret.clone()];
    canaries.extend(key_lines(&account_key));
    canaries.extend(key_lines(&apns.p8_pem()));
    assert!(canaries.len() >= 3, "the keys have lines to look for");

    let mut bodies: Vec<String> = Vec::new();
    let call = |response: rill_client::RawResponse, bodies: &mut Vec<String>| {
        bodies.push(format!("{:?} {}", response.headers, response.body));
        response
    };
    let settings = json!({
        "push_config": {"offline_only": false},
        "firebase_config": {"credentials_json": account},
        "apn_config": {"auth_key": apns.p8_pem(), "key_id": apns.key_id(), "team_id": apns.team_id(),
            "bundle_id": "app.canary", "host": apns.host()},
    });
    assert_eq!(call(admin.raw(Method::PATCH, "/app", &[], Some(&settings)).await.unwrap(), &mut bodies).status, 200);
    // Refusals of broken credentials must not quote them.
    let mut broken: Value = serde_json::from_str(&fcm.service_account_json()).unwrap();
    broken["private_key"] = json!(account_key.replace("MII", "XXX"));
    let refused = json!({"firebase_config": {"credentials_json": broken.to_string()}});
    assert_eq!(call(admin.raw(Method::PATCH, "/app", &[], Some(&refused)).await.unwrap(), &mut bodies).status, 400);
    let bad_p8 = json!({"apn_config": {"auth_key": apns.p8_pem().replace("MI", "XX")}});
    call(admin.raw(Method::PATCH, "/app", &[], Some(&bad_p8)).await.unwrap(), &mut bodies);
    let provider = json!({"push_provider": {"name": "canary", "type": "apn", "apn_auth_key": apns.p8_pem(),
        "apn_key_id": apns.key_id(), "apn_team_id": apns.team_id(), "apn_topic": "app.canary", "apn_host": apns.host()}});
    call(admin.raw(Method::POST, "/push_providers", &[], Some(&provider)).await.unwrap(), &mut bodies);
    call(admin.raw(Method::GET, "/push_providers", &[], None).await.unwrap(), &mut bodies);
    call(admin.raw(Method::GET, "/app", &[], None).await.unwrap(), &mut bodies);

    admin.upsert_users(&[json!({"id": "ann"}), json!({"id": "ben"})]).await.unwrap();
    let channel = json!({"data": {"created_by_id": "ann", "members": ["ann", "ben"]}});
    call(admin.raw(Method::POST, "/channels/team/canary/query", &[], Some(&channel)).await.unwrap(), &mut bodies);
    let ben = Client::with_token(&base, &key, Some(rill_client::token::user_token("ben", &secret, 0, None)));
    call(ben.raw(Method::GET, "/app", &[], None).await.unwrap(), &mut bodies);
    for device in [
        json!({"id": "ben-phone", "push_provider": "firebase"}),
        json!({"id": "ab".repeat(32), "push_provider": "apn"}),
    ] {
        call(ben.raw(Method::POST, "/devices", &[], Some(&device)).await.unwrap(), &mut bodies);
    }
    let message = json!({"message": {"id": "canary-1", "text": "hello", "user_id": "ann"}});
    call(admin.raw(Method::POST, "/channels/team/canary/message", &[], Some(&message)).await.unwrap(), &mut bodies);
    let check = json!({"message_id": "canary-1", "user_id": "ben"});
    call(admin.raw(Method::POST, "/check_push", &[], Some(&check)).await.unwrap(), &mut bodies);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while (fcm.sends().len() < 2 || apns.sends().len() < 2) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(fcm.sends().len() >= 2 && apns.sends().len() >= 2, "pushes went out, so their credentials were used");

    // The Hub: signed in as the admin, through its integration, push and chat routes and its page.
    let link = logged
        .lines
        .lock()
        .unwrap()
        .iter()
        .find_map(|line| line.split_once("#token=").map(|(_, token)| token.trim().to_owned()));
    let hub = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed = hub
        .post(format!("{base}/hub/api/auth/link"))
        .json(&json!({"token": link.expect("a sign-in link")}))
        .send()
        .await
        .unwrap();
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session: Value = signed.json().await.unwrap();
    bodies.push(format!("{cookie} {session}"));
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    let push = json!({"enabled": true, "firebase_credentials": fcm.service_account_json(),
        "apns": {"p8": apns.p8_pem(), "key_id": apns.key_id(), "team_id": apns.team_id(), "bundle_id": "app.canary"}});
    for (method, path, body) in [
        (Method::GET, "/hub/api/integration", None),
        (Method::PUT, "/hub/api/push", Some(push)),
        (Method::GET, "/hub/api/push", None),
        (Method::GET, "/hub/api/chat/session", None),
        (Method::POST, "/hub/api/integration/test", Some(json!({"api_key": key}))),
        (Method::GET, "/hub/", None),
    ] {
        let mut request =
            hub.request(method, format!("{base}{path}")).header("cookie", &cookie).header("x-csrf-token", &csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = format!("{:?}", response.headers());
        bodies.push(format!("{path} {status} {headers} {}", response.text().await.unwrap()));
    }
    assert!(bodies.iter().any(|body| body.contains("/hub/api/push 200")), "the push settings were saved");

    let logs = logged.lines.lock().unwrap().clone();
    assert!(logs.iter().any(|line| line.contains("DEBUG") || line.contains("debug")), "debug logging was on");
    for canary in &canaries {
        for body in &bodies {
            assert!(!body.contains(canary.as_str()), "a response carries a secret: {}", &body[..body.len().min(300)]);
        }
        for line in &logs {
            assert!(!line.contains(canary.as_str()), "a log line carries a secret: {line}");
        }
    }
}
