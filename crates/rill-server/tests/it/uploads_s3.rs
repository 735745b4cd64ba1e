//! Uploads kept in an S3-compatible bucket (`--uploads-url`), on the server at `RILL_TEST_S3_URL` (moto, which
//! recomputes every request's signature): objects under their content-addressed keys, served exactly as local
//! blobs are, one object for the same bytes, removed with their last upload; a clear refusal at start when the
//! bucket cannot be used; and S3's failures answered as Stream's errors.

use crate::support::{assert_error, send};
use crate::uploads::{blob_count, eventually_gone, fetch, file, png, upload};
use reqwest::Method;
use rill_core::clock::SystemClock;
use rill_core::secret::Secret;
use rill_core::store::testing::{BackendKind, TestDatabase};
use rill_core::store::Store;
use rill_server::app::{AppState, GatewayConfig};
use rill_server::s3::{S3Bucket, S3Config, S3Credentials};
use rill_server::testing::{assert_schema, test_s3_config, TestServer};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn s3_server() -> (TestServer, S3Bucket) {
    let config = test_s3_config();
    let bucket = S3Bucket::new(config.clone()).unwrap();
    let server = TestServer::start_with(GatewayConfig { uploads_s3: Some(config), ..GatewayConfig::default() }).await;
    (server, bucket)
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn keys(bucket: &S3Bucket) -> Vec<String> {
    let mut keys = bucket.list(1000).await.unwrap();
    keys.sort();
    keys
}

/// Waits until the bucket holds `count` objects under the test's prefix (blobs go in the background).
async fn eventually_count(bucket: &S3Bucket, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let keys = keys(bucket).await;
        if keys.len() == count || Instant::now() > deadline {
            return keys;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn uploads_in_s3_are_objects_under_their_keys_served_exactly_as_local_ones() {
    let (s3, bucket) = s3_server().await;
    let local = TestServer::start().await;
    let image = png(800, 400);
    let html = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let big: Vec<u8> = (0..2_000_000u32).map(|index| (index % 253) as u8).collect();
    let mut urls = Vec::new();
    for server in [&s3, &local] {
        server.create_users(&["ann"]).await;
        server.team_channel("general", &["ann"]).await;
        let uploaded =
            upload(server, "ann", "/channels/team/general/image", &file("sky é.png", "image/png", &image)).await;
        assert_eq!(uploaded.status, 201, "{}", uploaded.body);
        assert_schema("ImageUploadResponse", &uploaded.body);
        let page = upload(server, "ann", "/uploads/file", &file("page.html", "text/html", &html)).await;
        assert_eq!(page.status, 201, "{}", page.body);
        let large = upload(server, "ann", "/uploads/file", &file("data.bin", "application/octet-stream", &big)).await;
        assert_eq!(large.status, 201, "{}", large.body);
        let url = |value: &serde_json::Value| value.as_str().unwrap().to_owned();
        urls.push([
            url(&uploaded.body["file"]),
            url(&uploaded.body["thumb_url"]),
            url(&page.body["file"]),
            url(&large.body["file"]),
        ]);
    }

    // The same bytes and the same headers (the date aside) for the image, its thumbnail, the HTML file and a file
    // of many chunks.
    let mut thumbnail = Vec::new();
    for (from_s3, from_local) in urls[0].iter().zip(&urls[1]) {
        let (status, mut s3_headers, s3_bytes) = fetch(from_s3).await;
        let (local_status, mut local_headers, local_bytes) = fetch(from_local).await;
        assert_eq!((status, local_status), (200, 200));
        assert_eq!(s3_bytes, local_bytes, "{from_s3}");
        s3_headers.remove("date");
        local_headers.remove("date");
        assert_eq!(s3_headers, local_headers, "{from_s3}");
        assert!(s3_headers.contains_key("content-length") && s3_headers.contains_key("content-security-policy"));
        if from_s3.contains("/thumbs/") {
            thumbnail = s3_bytes;
        }
    }

    // Each blob is an object at `{prefix}/{app_id}/{aa}/{sha256}`, and nothing stays on the local disk.
    let app_id = s3.app.id;
    let mut expected: Vec<String> = [sha256(&image), sha256(&thumbnail), sha256(&html), sha256(&big)]
        .iter()
        .map(|hash| bucket.blob_key(app_id, hash))
        .collect();
    expected.sort();
    assert_eq!(keys(&bucket).await, expected);
    let prefix = &bucket.config().prefix;
    let hash = sha256(&html);
    assert!(expected.contains(&format!("{prefix}/{app_id}/{}/{hash}", &hash[..2])), "{expected:?}");
    assert_eq!(blob_count(&s3), 0, "the blobs are in the bucket, not in the data directory");
    let temporaries = std::fs::read_dir(s3.path().join("uploads/tmp")).map(|dir| dir.count()).unwrap_or(0);
    assert_eq!(temporaries, 0, "received files' temporary copies are removed");

    // An object gone from the bucket (behind Rill's back) is a 404 at its URL, in Stream's error shape.
    bucket.delete(&bucket.blob_key(app_id, &hash)).await.unwrap();
    let response = reqwest::get(&urls[0][2]).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_schema("APIError", &response.json().await.unwrap());
}

#[tokio::test]
async fn the_same_bytes_are_one_object_which_goes_with_the_last_upload_that_names_it() {
    let (server, bucket) = s3_server().await;
    server.create_users(&["ann"]).await;
    server.team_channel("general", &["ann"]).await;
    let report = file("report.txt", "text/plain", b"quarterly numbers");
    let first = upload(&server, "ann", "/channels/team/general/file", &report).await;
    let second = upload(&server, "ann", "/channels/team/general/file", &report).await;
    let (first, second) = (first.body["file"].as_str().unwrap(), second.body["file"].as_str().unwrap());
    assert_ne!(first, second);
    assert_eq!(keys(&bucket).await, [bucket.blob_key(server.app.id, &sha256(b"quarterly numbers"))]);

    // Deleting the message that carries the first upload removes that upload; the second still names the bytes.
    let message = send(
        &server,
        "ann",
        "general",
        json!({"text": "numbers", "attachments": [{"type": "file", "asset_url": first}]}),
    )
    .await;
    let path = format!("/messages/{}", message["id"].as_str().unwrap());
    let deleted = server.user_client("ann").raw(Method::DELETE, &path, &[], None).await.unwrap();
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(eventually_gone(first).await, 404);
    assert_eq!(fetch(second).await.0, 200);
    assert_eq!(keys(&bucket).await.len(), 1, "the other upload of the same bytes keeps the object");

    // Deleting the last upload that names the bytes removes the object.
    let ann = server.user_client("ann");
    let gone = ann.raw(Method::DELETE, "/channels/team/general/file", &[("url", second)], None).await.unwrap();
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(eventually_count(&bucket, 0).await, Vec::<String>::new());
    assert_eq!(fetch(second).await.0, 404);
}

/// What `AppState::new` (so `rill serve`) says when it cannot use the bucket.
async fn start_error(config: S3Config) -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(TestDatabase::new(BackendKind::from_env()).open(dir.path()).await, Arc::new(SystemClock));
    let gateway =
        GatewayConfig { uploads_dir: Some(dir.path().join("uploads")), uploads_s3: Some(config), ..Default::default() };
    match AppState::new(store, gateway).await {
        Ok(_) => panic!("the server started on a bucket it cannot use"),
        Err(error) => error.detail,
    }
}

#[tokio::test]
async fn the_server_does_not_start_on_a_bucket_it_cannot_use_and_says_why_without_secrets() {
    let good = test_s3_config();
    let real_secret = good.credentials.secret_access_key.expose().to_owned();

    // The server checks signatures: a wrong secret is refused, and the message names neither secret.
    let mut wrong_secret = good.clone();
    wrong_secret.credentials.secret_access_key = Secret::new("not-the-secret-0123456789");
    let detail = start_error(wrong_secret).await;
    assert!(detail.contains("secret access key is wrong"), "{detail}");
    assert!(!detail.contains("not-the-secret-0123456789") && !detail.contains(&real_secret), "{detail}");

    let mut unknown_key = good.clone();
    unknown_key.credentials =
        S3Credentials { access_key_id: "AKIAUNKNOWN000000000".into(), secret_access_key: Secret::new("x") };
    let detail = start_error(unknown_key).await;
    assert!(detail.contains("access key id"), "{detail}");

    let mut missing_bucket = good.clone();
    missing_bucket.bucket = "rill-no-such-bucket".into();
    let detail = start_error(missing_bucket).await;
    assert!(detail.contains("does not exist") && detail.contains("rill-no-such-bucket"), "{detail}");

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut unreachable = good.clone();
    unreachable.endpoint = reqwest::Url::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let detail = start_error(unreachable).await;
    assert!(detail.contains("cannot reach"), "{detail}");
    assert!(!detail.contains(&real_secret), "{detail}");
}

/// An S3 endpoint that lists an empty bucket, knows no object, and answers `PUT` and `GET` of objects with the
/// given statuses: S3's own failures, which the real server cannot be made to produce. It refuses a `PUT` as S3
/// would when its length or payload hash is missing or wrong (moto does not check the hash).
async fn failing_s3(put_status: u16, get_status: u16) -> S3Config {
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: axum::body::Bytes| async move {
        let xml = |status: u16, code: &str| {
            let body = format!("<Error><Code>{code}</Code><Message>try later</Message></Error>");
            (StatusCode::from_u16(status).unwrap(), body)
        };
        match method {
            Method::GET if uri.query().is_some_and(|query| query.contains("list-type=2")) => {
                (StatusCode::OK, "<ListBucketResult></ListBucketResult>".to_owned())
            }
            Method::HEAD => (StatusCode::NOT_FOUND, String::new()),
            // As S3 does: a PUT declares its length (no chunked encoding) and the payload's real SHA-256.
            Method::PUT if headers.contains_key("transfer-encoding") || !headers.contains_key("content-length") => {
                xml(411, "MissingContentLength")
            }
            Method::PUT
                if headers.get("x-amz-content-sha256").and_then(|value| value.to_str().ok())
                    != Some(sha256(&body).as_str()) =>
            {
                xml(400, "XAmzContentSHA256Mismatch")
            }
            Method::PUT if put_status == 200 => (StatusCode::OK, String::new()),
            Method::PUT => xml(put_status, "SlowDown"),
            Method::GET => xml(get_status, "InternalError"),
            _ => (StatusCode::NO_CONTENT, String::new()),
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(handler)).await });
    let credentials = S3Credentials { access_key_id: "key".into(), secret_access_key: Secret::new("secret") };
    S3Config::parse(&format!("s3://failing?endpoint=http://{address}"), Ok(credentials)).unwrap()
}

#[tokio::test]
async fn failures_of_s3_are_server_errors_in_streams_shape() {
    let refusing = failing_s3(503, 500).await;
    let server = TestServer::start_with(GatewayConfig { uploads_s3: Some(refusing), ..Default::default() }).await;
    server.create_users(&["ann"]).await;
    server.team_channel("general", &["ann"]).await;
    let note = file("note.txt", "text/plain", b"hello");
    let refused = upload(&server, "ann", "/channels/team/general/file", &note).await;
    assert_error(&refused, 500, -1);

    let unreadable = failing_s3(200, 500).await;
    let server = TestServer::start_with(GatewayConfig { uploads_s3: Some(unreadable), ..Default::default() }).await;
    server.create_users(&["ann"]).await;
    server.team_channel("general", &["ann"]).await;
    // A file of many chunks, streamed from its temporary copy with its length and hash declared.
    let big: Vec<u8> = (0..1_500_000u32).map(|index| (index % 251) as u8).collect();
    let stored =
        upload(&server, "ann", "/channels/team/general/file", &file("big.bin", "application/x-big", &big)).await;
    assert_eq!(stored.status, 201, "{}", stored.body);
    let response = reqwest::get(stored.body["file"].as_str().unwrap()).await.unwrap();
    assert_eq!(response.status(), 500);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_schema("APIError", &body);
    assert_eq!((body["code"].as_i64(), body["StatusCode"].as_i64()), (Some(-1), Some(500)), "{body}");
}
