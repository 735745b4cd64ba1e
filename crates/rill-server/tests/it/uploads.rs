//! Uploads: what is stored and how it is served back, the app's limits and types, who may upload and delete, and
//! files going away with their message.

use crate::support::{assert_error, ok, send};
use reqwest::Method;
use rill_client::{RawResponse, UploadFile};
use rill_server::testing::{assert_schema, TestServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    let image =
        image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255]));
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

pub(crate) fn file(name: &str, content_type: &str, bytes: &[u8]) -> UploadFile {
    UploadFile { name: name.into(), content_type: content_type.into(), bytes: bytes.to_vec() }
}

pub(crate) async fn upload(server: &TestServer, user: &str, path: &str, upload: &UploadFile) -> RawResponse {
    server.user_client(user).upload_raw(Method::POST, path, &[], upload, None).await.unwrap()
}

/// Fetches a served upload: status, headers, bytes.
pub(crate) async fn fetch(url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = reqwest::get(url).await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

pub(crate) fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
}

/// The blobs on disk under the server's uploads directory (temporary files aside).
pub(crate) fn blob_count(server: &TestServer) -> usize {
    fn walk(dir: &std::path::Path, count: &mut usize) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() && path.file_name().is_some_and(|name| name != "tmp") {
                walk(&path, count);
            } else if path.is_file() {
                *count += 1;
            }
        }
    }
    let mut count = 0;
    walk(&server.path().join("uploads"), &mut count);
    count
}

pub(crate) async fn eventually_gone(url: &str) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _, _) = fetch(url).await;
        if status == 404 || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_image_is_measured_thumbnailed_and_served_inline_as_what_it_is() {
    let server = TestServer::start().await;
    server.create_users(&["ann", "ben"]).await;
    server.team_channel("general", &["ann", "ben"]).await;
    let bytes = png(800, 400);
    // The client says JPEG; the bytes say PNG, and the bytes win.
    let response = upload(&server, "ann", "/channels/team/general/image", &file("sky.png", "image/jpeg", &bytes)).await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_schema("ImageUploadResponse", &response.body);
    assert_eq!((response.body["width"].as_i64(), response.body["height"].as_i64()), (Some(800), Some(400)));
    let url = response.body["file"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/files/{}/", server.base_url, server.app.id)), "{url}");
    assert!(url.ends_with("/sky.png"), "{url}");
    let (status, headers, served) = fetch(url).await;
    assert_eq!(status, 200);
    assert_eq!(served, bytes);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert!(header(&headers, "content-disposition").starts_with("inline;"), "{headers:?}");
    assert!(header(&headers, "content-security-policy").contains("sandbox"), "{headers:?}");

    let thumb = response.body["thumb_url"].as_str().expect("a thumbnail");
    let (status, headers, thumbnail) = fetch(thumb).await;
    assert_eq!((status, header(&headers, "content-type")), (200, "image/png"));
    let decoded = image::load_from_memory(&thumbnail).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (320, 160), "fits 320x320, keeping the aspect");

    // Unguessable: a wrong token, another app's id or a malformed one find nothing.
    let wrong = url.replacen("/files/", "/files/x", 1);
    assert_eq!(fetch(&wrong).await.0, 404);
    let token = url.split('/').nth_back(1).unwrap();
    let forged = url.replace(token, &"0".repeat(64));
    assert_eq!(fetch(&forged).await.0, 404);
    let other_app = url.replace(&format!("/files/{}/", server.app.id), "/files/999/");
    assert_eq!(fetch(&other_app).await.0, 404);
}

#[tokio::test]
async fn files_are_downloads_whatever_they_claim_and_images_must_be_images() {
    let server = TestServer::start().await;
    server.create_users(&["ann"]).await;
    server.team_channel("general", &["ann"]).await;
    let html = b"<html><script>alert(document.cookie)</script></html>";
    let response = upload(&server, "ann", "/channels/team/general/file", &file("page.html", "text/html", html)).await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_schema("UploadChannelFileResponse", &response.body);
    assert!(response.body.get("thumb_url").is_none());
    let (status, headers, served) = fetch(response.body["file"].as_str().unwrap()).await;
    assert_eq!((status, served.as_slice()), (200, html.as_slice()));
    assert_eq!(header(&headers, "content-type"), "text/html");
    assert!(header(&headers, "content-disposition").starts_with("attachment;"), "{headers:?}");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");

    // SVG can carry scripts: never an image here.
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let refused = upload(&server, "ann", "/channels/team/general/image", &file("x.svg", "image/svg+xml", svg)).await;
    assert!(assert_error(&refused, 400, 4).contains("not a PNG, JPEG, GIF or WebP"));
    let as_file = upload(&server, "ann", "/channels/team/general/file", &file("x.svg", "image/svg+xml", svg)).await;
    let (_, headers, _) = fetch(as_file.body["file"].as_str().unwrap()).await;
    assert!(header(&headers, "content-disposition").starts_with("attachment;"), "{headers:?}");

    // A file name is a name, not a path.
    let sneaky = upload(&server, "ann", "/uploads/file", &file("../../secret.txt", "text/plain", b"hi")).await;
    assert_eq!(sneaky.status, 201, "{}", sneaky.body);
    assert!(sneaky.body["file"].as_str().unwrap().ends_with("/secret.txt"), "{}", sneaky.body);
    // Not multipart, or no file part: a clear 400.
    let not_multipart = ok_or_raw(&server, "/channels/team/general/file").await;
    assert_error(&not_multipart, 400, 4);
    let empty = upload(&server, "ann", "/channels/team/general/file", &file("empty.txt", "text/plain", b"")).await;
    assert!(assert_error(&empty, 400, 4).contains("empty"));
}

async fn ok_or_raw(server: &TestServer, path: &str) -> RawResponse {
    server.user_client("ann").raw(Method::POST, path, &[], Some(&json!({"file": "inline"}))).await.unwrap()
}

#[tokio::test]
async fn the_apps_limits_and_types_are_enforced() {
    let server = TestServer::start().await;
    server.create_users(&["ann"]).await;
    server.team_channel("general", &["ann"]).await;
    let settings = json!({
        "file_upload_config": {"size_limit": 1000, "blocked_file_extensions": [".exe"], "allowed_mime_types": ["text/*", "application/pdf"]},
        "image_upload_config": {"size_limit": 100},
    });
    ok(&server.server_client(), Method::PATCH, "/app", settings).await;
    let app = ok(&server.server_client(), Method::GET, "/app", json!({})).await;
    assert_eq!(app["app"]["file_upload_config"]["size_limit"], 1000);
    assert_eq!(app["app"]["file_upload_config"]["blocked_file_extensions"], json!([".exe"]));

    let path = "/channels/team/general/file";
    let big = upload(&server, "ann", path, &file("big.txt", "text/plain", &[b'a'; 1001])).await;
    let detail = assert_error(&big, 413, 22);
    assert!(detail.contains("1000"), "{detail}");
    let fits = upload(&server, "ann", path, &file("fits.txt", "text/plain", &[b'a'; 1000])).await;
    assert_eq!(fits.status, 201, "{}", fits.body);
    let exe = upload(&server, "ann", path, &file("tool.EXE", "text/plain", b"MZ")).await;
    assert!(assert_error(&exe, 400, 4).contains("exe"));
    let zip = upload(&server, "ann", path, &file("a.zip", "application/zip", b"PK")).await;
    assert!(assert_error(&zip, 400, 4).contains("application/zip"));
    let image = upload(&server, "ann", "/channels/team/general/image", &file("a.png", "image/png", &png(64, 64))).await;
    assert_error(&image, 413, 22);
    assert_eq!(blob_count(&server), 1, "refused uploads leave nothing behind");
}

#[tokio::test]
async fn only_members_who_may_post_upload_and_server_calls_name_their_uploader() {
    let server = TestServer::start().await;
    server.create_users(&["ann", "eve"]).await;
    server.team_channel("general", &["ann"]).await;
    let note = file("note.txt", "text/plain", b"members only");
    let outsider = upload(&server, "eve", "/channels/team/general/file", &note).await;
    assert!(assert_error(&outsider, 403, 17).contains("general"), "{}", outsider.body);
    let missing = upload(&server, "ann", "/channels/team/nowhere/file", &note).await;
    assert_error(&missing, 404, 16);
    server.set_banned("ann").await;
    let banned = upload(&server, "ann", "/channels/team/general/file", &note).await;
    assert!(assert_error(&banned, 403, 17).contains("banned"), "{}", banned.body);

    let client = server.server_client();
    let unnamed = client.upload_raw(Method::POST, "/channels/team/general/file", &[], &note, None).await.unwrap();
    assert!(assert_error(&unnamed, 400, 4).contains("user"));
    let named = client.upload_raw(Method::POST, "/uploads/file", &[], &note, Some("eve")).await.unwrap();
    assert_eq!(named.status, 201, "{}", named.body);
    assert_eq!(blob_count(&server), 1);
}

#[tokio::test]
async fn files_go_with_their_message_and_with_delete_but_shared_bytes_stay() {
    let server = TestServer::start().await;
    server.create_users(&["ann", "ben"]).await;
    server.team_channel("general", &["ann", "ben"]).await;
    let report = file("report.txt", "text/plain", b"quarterly numbers");
    let first =
        upload(&server, "ann", "/channels/team/general/file", &report).await.body["file"].as_str().unwrap().to_owned();
    let second =
        upload(&server, "ann", "/channels/team/general/file", &report).await.body["file"].as_str().unwrap().to_owned();
    assert_ne!(first, second, "every upload has its own URL");
    assert_eq!(blob_count(&server), 1, "the same bytes are one blob");

    // Ben's message links to Ann's first upload: deleting it leaves Ann's file alone.
    let linked =
        send(&server, "ben", "general", json!({"text": "see", "attachments": [{"type": "file", "asset_url": first}]}))
            .await;
    ok(&server.user_client("ben"), Method::DELETE, &format!("/messages/{}", linked["id"].as_str().unwrap()), json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fetch(&first).await.0, 200, "someone else's message never takes a file with it");

    // Ann's message carries her first upload; editing the attachment away removes it, the second stays.
    let message = send(
        &server,
        "ann",
        "general",
        json!({"text": "numbers", "attachments": [{"type": "file", "asset_url": first}]}),
    )
    .await;
    let id = message["id"].as_str().unwrap().to_owned();
    let edit = json!({"message": {"text": "numbers (removed)", "attachments": []}});
    ok(&server.user_client("ann"), Method::POST, &format!("/messages/{id}"), edit).await;
    assert_eq!(eventually_gone(&first).await, 404);
    assert_eq!(fetch(&second).await.0, 200, "the other upload of the same bytes stays");
    assert_eq!(blob_count(&server), 1);

    // Deleting a message removes its uploads; once nothing names the bytes, the blob goes.
    let message = send(
        &server,
        "ann",
        "general",
        json!({"text": "again", "attachments": [{"type": "file", "asset_url": second}]}),
    )
    .await;
    ok(
        &server.user_client("ann"),
        Method::DELETE,
        &format!("/messages/{}", message["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!(eventually_gone(&second).await, 404);
    let deadline = Instant::now() + Duration::from_secs(5);
    while blob_count(&server) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(blob_count(&server), 0);

    // DELETE ...?url= removes an upload; a URL of nothing is 404; someone else's is theirs to delete.
    let image = upload(&server, "ann", "/channels/team/general/image", &file("a.png", "image/png", &png(10, 10))).await;
    let url = image.body["file"].as_str().unwrap().to_owned();
    let ben = server.user_client("ben");
    let theirs = ben.raw(Method::DELETE, "/channels/team/general/image", &[("url", &url)], None).await.unwrap();
    assert_error(&theirs, 403, 17);
    let ann = server.user_client("ann");
    let gone = ann.raw(Method::DELETE, "/channels/team/general/image", &[("url", &url)], None).await.unwrap();
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(eventually_gone(&url).await, 404);
    let again = ann.raw(Method::DELETE, "/channels/team/general/image", &[("url", &url)], None).await.unwrap();
    assert_error(&again, 404, 16);
    let thumb: &Value = &image.body["thumb_url"];
    assert_eq!(eventually_gone(thumb.as_str().unwrap()).await, 404, "the thumbnail goes too");
}
