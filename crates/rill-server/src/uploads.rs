//! File and image uploads: the multipart body read into a blob, images measured and thumbnailed, and the blobs
//! served back.
//!
//! Blobs are named by app and SHA-256 (`{app_id}/{aa}/{hash}`) and kept in one of two places ([`BlobStore`]):
//! under the uploads directory (the default), written to a temporary file first and renamed into place after an
//! fsync, or in an S3-compatible bucket (`--uploads-url`), under the same key below the URL's prefix, sent from
//! the received temporary file in one `PUT`. Either way a blob is whole or absent. The same bytes uploaded twice
//! are one blob (an existing one is not written again); a blob is removed when no upload of its app names it any
//! more (the per-blob lock keeps an upload of the same bytes from racing that removal). Uploads are served at
//! `/files/{app_id}/{token}/{name}` (thumbnails at `/thumbs/...`), where `token` is 32 random bytes: the URL is
//! the capability, as a CDN's signed URL is.

use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::multipart::{Field, Multipart};
use rill_core::model::Upload;
use rill_core::ops::uploads::UploadKind;
use rill_protocol::error::ErrorCode;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

use rill_protocol::limits::{
    MAX_FILE_NAME_BYTES, MAX_UPLOAD_FIELD_BYTES as MAX_FIELD_BYTES, UPLOAD_CHUNK_SECONDS as CHUNK_SECONDS,
    UPLOAD_SECONDS,
};
/// Images up to this many pixels are decoded for a thumbnail; larger ones are stored and measured only.
const MAX_THUMBNAIL_SOURCE_PIXELS: u64 = 40_000_000;
/// A thumbnail fits in this square.
const THUMBNAIL_EDGE: u32 = 320;
/// Images decoded at once on this node: decoding is CPU and memory heavy.
const IMAGE_WORKERS: usize = 2;

/// Where uploads are kept, and the locks of the blobs being written or removed.
#[derive(Debug)]
pub struct Blobs {
    /// The uploads directory: received files' temporary copies (`tmp/`) in any case, and the blobs themselves
    /// unless they go to S3. Images are measured and thumbnailed from the temporary copy.
    dir: PathBuf,
    store: BlobStore,
    busy: Mutex<HashSet<(i64, String)>>,
    images: tokio::sync::Semaphore,
}

/// Where blobs' bytes live, chosen at start from `GatewayConfig::uploads_s3`.
#[derive(Debug)]
pub enum BlobStore {
    /// Files under this directory, `{app_id}/{aa}/{hash}`.
    Local(PathBuf),
    /// Objects in a bucket, `{prefix}/{app_id}/{aa}/{hash}`.
    S3(crate::s3::S3Bucket),
}

/// Why a blob could not be written: the disk's error or S3's (which names no secret).
#[derive(Debug, thiserror::Error)]
enum BlobError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    S3(#[from] crate::s3::S3Error),
}

/// A held blob lock; released on drop.
struct BlobLock<'a> {
    blobs: &'a Blobs,
    key: (i64, String),
}

impl Drop for BlobLock<'_> {
    fn drop(&mut self) {
        self.blobs.busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.key);
    }
}

/// A file part read to a temporary file: its SHA-256, size and first bytes (to tell images by their signature).
struct Received {
    temp: tempfile::TempPath,
    hash: String,
    size: u64,
    head: Vec<u8>,
    file_name: String,
    declared_type: String,
}

/// What a multipart upload carried.
struct Parts {
    file: Option<Received>,
    user_id: Option<String>,
}

/// Uploads a crash interrupted leave temporary files; those older than an hour (no upload takes longer: see
/// `UPLOAD_SECONDS`) are removed, so a node sharing the directory keeps its uploads in flight.
fn remove_stale_temporaries(dir: &std::path::Path) {
    let stale = |entry: &std::fs::DirEntry| {
        let modified = entry.metadata().and_then(|metadata| metadata.modified());
        modified.is_ok_and(|at| at.elapsed().is_ok_and(|age| age > Duration::from_secs(3600)))
    };
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if stale(&entry) {
            if let Err(error) = std::fs::remove_file(entry.path()) {
                tracing::warn!(path = %entry.path().display(), %error, "could not remove a stale upload");
            }
        }
    }
}

impl Blobs {
    /// Blobs under `dir`.
    pub fn new(dir: PathBuf) -> Blobs {
        Blobs::with_store(dir.clone(), BlobStore::Local(dir))
    }

    /// Blobs in a bucket (temporary files under `dir`), once the bucket has answered: a server that could not
    /// store an upload should not start.
    pub async fn with_s3(dir: PathBuf, config: crate::s3::S3Config) -> Result<Blobs, String> {
        let bucket = crate::s3::S3Bucket::new(config)?;
        bucket.check().await?;
        Ok(Blobs::with_store(dir, BlobStore::S3(bucket)))
    }

    fn with_store(dir: PathBuf, store: BlobStore) -> Blobs {
        remove_stale_temporaries(&dir.join("tmp"));
        Blobs { dir, store, busy: Mutex::new(HashSet::new()), images: tokio::sync::Semaphore::new(IMAGE_WORKERS) }
    }

    fn path(dir: &Path, app_id: i64, hash: &str) -> PathBuf {
        dir.join(app_id.to_string()).join(&hash[..2]).join(hash)
    }

    async fn lock(&self, app_id: i64, hash: &str) -> BlobLock<'_> {
        let key = (app_id, hash.to_owned());
        loop {
            if self.busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(key.clone()) {
                return BlobLock { blobs: self, key };
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Moves a received file into place as its blob (durably), unless the blob is there already. In a bucket:
    /// one `PUT` of the file (its hash is the payload's), which S3 makes visible whole or not at all, unless a
    /// `HEAD` finds the object. The temporary file goes when `temp` drops.
    async fn install(&self, app_id: i64, hash: &str, temp: tempfile::TempPath, size: u64) -> Result<(), BlobError> {
        match &self.store {
            BlobStore::Local(dir) => {
                let path = Blobs::path(dir, app_id, hash);
                if path.exists() {
                    return Ok(());
                }
                let parent = path.parent().unwrap_or(dir);
                std::fs::create_dir_all(parent)?;
                std::fs::File::open(&temp)?.sync_all()?;
                temp.persist(&path).map_err(|error| error.error)?;
                Ok(std::fs::File::open(parent)?.sync_all()?)
            }
            BlobStore::S3(bucket) => {
                let key = bucket.blob_key(app_id, hash);
                if !bucket.exists(&key).await? {
                    bucket.put_file(&key, temp.to_path_buf(), size, hash).await?;
                }
                Ok(())
            }
        }
    }

    /// Writes bytes (a thumbnail) as a blob; its hash.
    async fn install_bytes(&self, app_id: i64, bytes: Vec<u8>) -> Result<String, BlobError> {
        let hash = hex(&Sha256::digest(&bytes));
        match &self.store {
            BlobStore::Local(_) => {
                let temp = self.temp_file()?;
                std::fs::write(&temp, &bytes)?;
                self.install(app_id, &hash, temp, bytes.len() as u64).await?;
            }
            BlobStore::S3(bucket) => {
                let key = bucket.blob_key(app_id, &hash);
                if !bucket.exists(&key).await? {
                    bucket.put_bytes(&key, bytes).await?;
                }
            }
        }
        Ok(hash)
    }

    /// Removes one blob; a failure is logged and the blob stays (it is named by no upload: only space is lost).
    async fn remove(&self, app_id: i64, hash: &str) {
        match &self.store {
            BlobStore::Local(dir) => {
                if let Err(error) = std::fs::remove_file(Blobs::path(dir, app_id, hash)) {
                    tracing::warn!(%error, app_id, "removing an upload's blob failed; it stays on disk");
                }
            }
            BlobStore::S3(bucket) => {
                if let Err(error) = bucket.delete(&bucket.blob_key(app_id, hash)).await {
                    tracing::warn!(%error, app_id, "removing an upload's blob failed; it stays in the bucket");
                }
            }
        }
    }

    fn temp_file(&self) -> std::io::Result<tempfile::TempPath> {
        let dir = self.dir.join("tmp");
        std::fs::create_dir_all(&dir)?;
        Ok(tempfile::NamedTempFile::new_in(dir)?.into_temp_path())
    }

    /// Removes the blobs of removed uploads that no upload of their app names any more.
    pub async fn release(&self, state: &AppState, app_id: i64, uploads: &[Upload]) {
        let mut hashes: Vec<&String> =
            uploads.iter().flat_map(|upload| std::iter::once(&upload.content_hash).chain(&upload.thumb_hash)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        for hash in hashes {
            let _lock = self.lock(app_id, hash).await;
            let in_use = state
                .store()
                .read_for_app(app_id, (app_id, hash.clone()), |tx, (app_id, hash)| tx.blob_in_use(*app_id, hash))
                .await;
            match in_use {
                Ok(false) => self.remove(app_id, hash).await,
                Ok(true) => {}
                Err(error) => {
                    tracing::warn!(error = %error.detail, app_id, "checking an upload's blob failed; it stays")
                }
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn too_big(limit: u64) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooBig, format!("the file is larger than this app's upload limit of {limit} bytes"))
}

/// Reads a multipart upload: the `file` part to a temporary file within `limit` bytes, `user` (`{"id": ...}`),
/// and nothing else larger than a small field. Every piece must arrive within [`CHUNK_SECONDS`], the whole
/// within [`UPLOAD_SECONDS`].
async fn read_parts(blobs: &Blobs, mut multipart: Multipart, limit: u64) -> Result<Parts, ApiError> {
    let read = async {
        let mut parts = Parts { file: None, user_id: None };
        while let Some(field) = within(multipart.next_field()).await?.map_err(bad_multipart)? {
            match field.name().unwrap_or_default() {
                "file" if parts.file.is_some() => {
                    return Err(ApiError::input("the upload has more than one file part"))
                }
                "file" => parts.file = Some(receive(blobs, field, limit).await?),
                "user" => {
                    let text = small_field(field).await?;
                    let user: serde_json::Value = serde_json::from_str(&text)
                        .map_err(|_| ApiError::input("user must be a JSON object such as {\"id\": \"ann\"}"))?;
                    let id = user.get("id").and_then(serde_json::Value::as_str).unwrap_or_default();
                    parts.user_id = Some(id.to_owned());
                }
                _ => {
                    small_field(field).await?;
                }
            }
        }
        Ok(parts)
    };
    match tokio::time::timeout(Duration::from_secs(UPLOAD_SECONDS), read).await {
        Ok(parts) => parts,
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            format!("the upload did not arrive within {UPLOAD_SECONDS} seconds"),
        )),
    }
}

async fn within<T>(future: impl std::future::Future<Output = T>) -> Result<T, ApiError> {
    tokio::time::timeout(Duration::from_secs(CHUNK_SECONDS), future).await.map_err(|_| {
        ApiError::new(ErrorCode::RequestTimeout, format!("the upload stalled for {CHUNK_SECONDS} seconds"))
    })
}

fn bad_multipart(error: axum::extract::multipart::MultipartError) -> ApiError {
    let status = error.status();
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(ErrorCode::PayloadTooBig, "the upload is too large");
    }
    ApiError::input(format!("the body is not a valid multipart/form-data upload: {}", error.body_text()))
}

async fn small_field(mut field: Field<'_>) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = within(field.chunk()).await?.map_err(bad_multipart)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_FIELD_BYTES {
            return Err(ApiError::input(format!("the field {name:?} is larger than {MAX_FIELD_BYTES} bytes")));
        }
    }
    String::from_utf8(bytes).map_err(|_| ApiError::input(format!("the field {name:?} is not UTF-8 text")))
}

async fn receive(blobs: &Blobs, mut field: Field<'_>, limit: u64) -> Result<Received, ApiError> {
    let file_name = clean_file_name(field.file_name().unwrap_or_default())?;
    let declared_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
    let temp = blobs.temp_file().map_err(storage_error)?;
    let mut file = tokio::fs::File::create(&temp).await.map_err(storage_error)?;
    let (mut hasher, mut size, mut head) = (Sha256::new(), 0u64, Vec::with_capacity(64));
    while let Some(chunk) = within(field.chunk()).await?.map_err(bad_multipart)? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_big(limit));
        }
        if head.len() < 64 {
            head.extend_from_slice(&chunk[..chunk.len().min(64 - head.len())]);
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(storage_error)?;
    }
    file.flush().await.map_err(storage_error)?;
    if size == 0 {
        return Err(ApiError::input("the file is empty"));
    }
    Ok(Received { temp, hash: hex(&hasher.finalize()), size, head, file_name, declared_type })
}

fn storage_error(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "writing an upload failed");
    ApiError::new(ErrorCode::Internal, "the upload could not be stored")
}

/// A file name to store and show: its last path segment, without control characters or quotes, 1-255 bytes.
fn clean_file_name(name: &str) -> Result<String, ApiError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';')).collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        return Err(ApiError::input("the file part needs a file name"));
    }
    if cleaned.len() > MAX_FILE_NAME_BYTES {
        return Err(ApiError::input(format!("the file name is longer than {MAX_FILE_NAME_BYTES} bytes")));
    }
    Ok(cleaned)
}

/// An image format Rill serves as an image, told by its signature (never by what the client says). SVG is not
/// one: it can carry scripts, so it is a file, downloaded.
fn image_type(head: &[u8]) -> Option<(&'static str, image::ImageFormat)> {
    match head {
        [0x89, b'P', b'N', b'G', ..] => Some(("image/png", image::ImageFormat::Png)),
        [0xFF, 0xD8, 0xFF, ..] => Some(("image/jpeg", image::ImageFormat::Jpeg)),
        [b'G', b'I', b'F', b'8', ..] => Some(("image/gif", image::ImageFormat::Gif)),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => {
            Some(("image/webp", image::ImageFormat::WebP))
        }
        _ => None,
    }
}

/// An image's width and height, and a PNG thumbnail when it is small enough to decode.
type Measured = ((u32, u32), Option<Vec<u8>>);

fn measure(path: &Path, format: image::ImageFormat) -> Result<Measured, String> {
    let open = || -> Result<image::ImageReader<std::io::BufReader<std::fs::File>>, String> {
        let mut reader = image::ImageReader::open(path).map_err(|error| error.to_string())?;
        reader.set_format(format);
        Ok(reader)
    };
    let (width, height) = open()?.into_dimensions().map_err(|error| format!("not a readable image: {error}"))?;
    if u64::from(width) * u64::from(height) > MAX_THUMBNAIL_SOURCE_PIXELS {
        return Ok(((width, height), None));
    }
    let mut reader = open()?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_THUMBNAIL_SOURCE_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|error| format!("not a readable image: {error}"))?;
    let thumbnail = decoded.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE);
    let mut png = std::io::Cursor::new(Vec::new());
    thumbnail.write_to(&mut png, image::ImageFormat::Png).map_err(|error| error.to_string())?;
    Ok(((width, height), Some(png.into_inner())))
}

/// What an upload request answers with.
pub struct Stored {
    pub upload: Upload,
    pub file_url: String,
    pub thumb_url: Option<String>,
}

/// Reads, checks, stores and records an upload into `cid` (none: the app's). A user token's right to upload
/// there is checked before the body is read; a server call names its uploader in the `user` part.
pub async fn upload(
    state: &AppState,
    auth: &crate::extract::Auth,
    cid: Option<rill_core::ids::Cid>,
    kind: UploadKind,
    multipart: Multipart,
    base_url: &str,
) -> Result<Stored, ApiError> {
    let blobs = state.blobs().ok_or_else(|| ApiError::new(ErrorCode::Internal, "uploads are not configured"))?;
    if !auth.is_server() {
        let ctx = auth.context(state, None);
        state
            .store()
            .read_for_app(auth.app.id, (ctx, cid.clone()), |tx, (ctx, cid)| {
                Box::pin(rill_core::ops::uploads::authorize(tx, ctx, cid.as_ref()))
            })
            .await?;
    }
    let rules = match kind {
        UploadKind::File => &auth.app.settings.file_uploads,
        UploadKind::Image => &auth.app.settings.image_uploads,
    };
    let limit = rules.limit();
    let parts = read_parts(blobs, multipart, limit).await?;
    let file = parts.file.ok_or_else(|| ApiError::input("the upload has no file part"))?;
    let sniffed = image_type(&file.head);
    let mime_type = match (kind, sniffed) {
        (_, Some((mime, _))) => mime.to_owned(),
        (UploadKind::Image, None) => {
            return Err(ApiError::input("the image is not a PNG, JPEG, GIF or WebP image"));
        }
        (UploadKind::File, None) => served_file_type(&file.declared_type),
    };
    if let Some(refusal) = rules.refusal(&file.file_name, &mime_type) {
        return Err(ApiError::input(refusal));
    }
    let (dimensions, thumbnail) = match sniffed {
        Some((_, format)) if kind == UploadKind::Image => {
            let _permit = blobs.images.acquire().await.map_err(|_| ApiError::new(ErrorCode::Internal, "closed"))?;
            let path = file.temp.to_path_buf();
            let measured = tokio::task::spawn_blocking(move || measure(&path, format))
                .await
                .map_err(|_| ApiError::new(ErrorCode::Internal, "measuring the image failed"))?;
            let (dimensions, thumbnail) = measured.map_err(ApiError::input)?;
            (Some(dimensions), thumbnail)
        }
        _ => (None, None),
    };
    let app_id = auth.app.id;
    let _lock = blobs.lock(app_id, &file.hash).await;
    let thumb_hash = match thumbnail {
        Some(bytes) => Some(blobs.install_bytes(app_id, bytes).await.map_err(storage_error)?),
        None => None,
    };
    blobs.install(app_id, &file.hash, file.temp, file.size).await.map_err(storage_error)?;
    let user_id = match &parts.user_id {
        Some(id) if auth.is_server() => Some(id.clone()).filter(|id| !id.is_empty()),
        _ => auth.user_id().map(|id| id.to_string()),
    };
    let named = user_id
        .clone()
        .map(rill_core::ids::UserId::parse)
        .transpose()
        .map_err(|error| ApiError::input(error.to_string()))?;
    let ctx = auth.context(state, named);
    let upload = Upload {
        token: hex(&rand_bytes()),
        cid: cid.as_ref().map(|cid| cid.to_string()).unwrap_or_default(),
        user_id: user_id.unwrap_or_default(),
        kind: kind.as_str().to_owned(),
        content_hash: file.hash.clone(),
        size: file.size as i64,
        mime_type,
        file_name: file.file_name,
        width: dimensions.map(|(width, _)| i64::from(width)),
        height: dimensions.map(|(_, height)| i64::from(height)),
        thumb_hash,
        created_at: state.store().now(),
    };
    let recorded = upload.clone();
    state
        .store()
        .write((ctx, cid, recorded), |tx, (ctx, cid, upload)| {
            Box::pin(rill_core::ops::uploads::record_upload(tx, ctx, cid.as_ref(), upload))
        })
        .await?;
    let name = url_segment(&upload.file_name);
    let file_url = format!("{base_url}/files/{app_id}/{}/{name}", upload.token);
    let thumb_url =
        upload.thumb_hash.as_ref().map(|_| format!("{base_url}/thumbs/{app_id}/{}/thumb.png", upload.token));
    Ok(Stored { upload, file_url, thumb_url })
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

/// A file's declared type when it is a plain `type/subtype`, else `application/octet-stream`. It is only ever
/// served as a download, with `nosniff`.
fn served_file_type(declared: &str) -> String {
    let essence = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token =
        |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    match essence.split_once('/') {
        Some((kind, subtype)) if token(kind) && token(subtype) => essence,
        _ => "application/octet-stream".into(),
    }
}

/// A file name as one URL path segment (percent-encoded).
fn url_segment(name: &str) -> String {
    name.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(byte).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The response to `GET /files/...` or `/thumbs/...`: the blob with headers that keep a browser from running
/// it. Images are shown inline as their real type; everything else is a download.
pub async fn serve(state: &AppState, app_id: &str, token: &str, thumbnail: bool) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let not_found = || ApiError::new(ErrorCode::DoesNotExist, "no such file").into_response();
    let Some(blobs) = state.blobs() else { return not_found() };
    let Ok(app_id) = app_id.parse::<i64>() else { return not_found() };
    if token.len() != rill_core::ops::uploads::TOKEN_HEX_LENGTH || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return not_found();
    }
    let found = state
        .store()
        .read_for_app(app_id, (app_id, token.to_owned()), |tx, (app_id, token)| tx.upload(*app_id, token))
        .await;
    let Ok(Some(upload)) = found else { return not_found() };
    let (hash, content_type) = match (thumbnail, &upload.thumb_hash) {
        (true, Some(hash)) => (hash.clone(), "image/png".to_owned()),
        (true, None) => return not_found(),
        (false, _) => (upload.content_hash.clone(), upload.mime_type.clone()),
    };
    let (body, length) = match &blobs.store {
        BlobStore::Local(dir) => {
            let Ok(file) = tokio::fs::File::open(Blobs::path(dir, app_id, &hash)).await else { return not_found() };
            let length = file.metadata().await.map(|meta| meta.len()).unwrap_or(0);
            (axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file)), Some(length))
        }
        // Streamed through Rill rather than redirected to a presigned URL, so that the rules of access and the
        // headers below stay in one place.
        BlobStore::S3(bucket) => match bucket.get(&bucket.blob_key(app_id, &hash)).await {
            Ok(Some(object)) => {
                let length = object.content_length();
                (axum::body::Body::from_stream(object_stream(object)), length)
            }
            Ok(None) => return not_found(),
            Err(error) => {
                tracing::error!(%error, app_id, "reading an upload's blob from S3 failed");
                return ApiError::new(ErrorCode::Internal, "the file could not be read from storage").into_response();
            }
        },
    };
    let inline = upload.kind == "image" || thumbnail;
    let encoded = url_segment(&upload.file_name);
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" },
        upload.file_name.replace(|c: char| !c.is_ascii() || c == '\\', "_")
    );
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = axum::http::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, &content_type);
    if let Some(length) = length {
        set(header::CONTENT_LENGTH, &length.to_string());
    }
    set(header::CONTENT_DISPOSITION, &disposition);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox");
    set(header::CACHE_CONTROL, "private, max-age=31536000, immutable");
    response
}

/// An S3 object's body as a stream of chunks; it ends after the first error (the client sees a cut response).
fn object_stream(
    object: reqwest::Response,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, reqwest::Error>> + Send + 'static {
    futures_util::stream::unfold(Some(object), |object| async move {
        let mut object = object?;
        match object.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(object))),
            Ok(None) => None,
            Err(error) => {
                let error = error.without_url();
                tracing::warn!(%error, "streaming an upload's blob from S3 failed");
                Some((Err(error), None))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_by_their_signature_and_svg_is_not_one() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n....").map(|(mime, _)| mime), Some("image/png"));
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0").map(|(mime, _)| mime), Some("image/jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 ").map(|(mime, _)| mime), Some("image/webp"));
        assert_eq!(image_type(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/>"), None);
    }

    #[test]
    fn file_names_and_types_are_made_safe_to_store_and_serve() {
        assert_eq!(clean_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_file_name("C:\\temp\\re\"port\n.pdf").unwrap(), "report.pdf");
        assert!(clean_file_name("..").is_err());
        assert!(clean_file_name(&"a".repeat(256)).is_err());
        assert_eq!(served_file_type("text/html; charset=utf-8"), "text/html");
        assert_eq!(served_file_type("not a type"), "application/octet-stream");
        assert_eq!(url_segment("my photo é.png"), "my%20photo%20%C3%A9.png");
    }
}
