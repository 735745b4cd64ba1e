//! Uploads: who may upload where, recording an upload, deleting one, and the uploads a message's attachments
//! name. The bytes are the server's (blobs named by their SHA-256); these rows say who uploaded what, where.

use crate::error::{CoreError, CoreResult};
use crate::ids::Cid;
use crate::model::{Channel, Upload, UploadRules};
use crate::ops::{acting_user, config_of, standing, Context, Notice, Outcome};
use crate::store::Tx;
use rill_protocol::error::ErrorCode;
use serde_json::Value;

/// What an upload endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    File,
    Image,
}

impl UploadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::File => "file",
            UploadKind::Image => "image",
        }
    }

    /// The app's rules for this kind (`file_upload_config` or `image_upload_config`).
    pub fn rules(self, ctx: &Context) -> &UploadRules {
        match self {
            UploadKind::File => &ctx.app.settings.file_uploads,
            UploadKind::Image => &ctx.app.settings.image_uploads,
        }
    }
}

/// Who uploads: the acting user, who must exist (a server call names one with `user`).
fn uploader(ctx: &Context) -> CoreResult<String> {
    ctx.actor
        .user_id()
        .map(str::to_owned)
        .ok_or_else(|| CoreError::input("user (the uploader, as {\"id\": ...}) is required with a server token"))
}

/// Checks that the acting user may upload into `cid` (none: an upload of the app, `/uploads/*`): the channel
/// exists, its type has uploads on, and they have `upload-file` there (members who may post; bans take it).
/// Runs before the body is read, so nobody streams a file where they may not put it, and again when the upload
/// is recorded. Cost: the channel, the viewer's membership and ban.
pub async fn authorize(tx: &mut dyn Tx, ctx: &Context, cid: Option<&Cid>) -> CoreResult<String> {
    let user_id = uploader(ctx)?;
    let viewer = acting_user(tx, ctx).await?;
    if viewer.as_ref().is_some_and(|user| user.deactivated_at.is_some() || user.deleted_at.is_some()) {
        return Err(CoreError::not_allowed(format!("user {user_id} is deactivated or deleted")));
    }
    let Some(cid) = cid else {
        if viewer.as_ref().is_some_and(|user| user.banned_at(ctx.now)) && !ctx.actor.is_server() {
            return Err(CoreError::not_allowed("user is banned from this app: they may not upload files"));
        }
        return Ok(user_id);
    };
    let channel = live_channel(tx, ctx, cid).await?;
    let config = config_of(&channel.channel_type, &ctx.app)?;
    if !config.uploads {
        return Err(CoreError::new(
            ErrorCode::ChannelFeatureNotSupported,
            format!("uploads are disabled for channel type {}", channel.channel_type),
        ));
    }
    let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
    standing.require_read(&channel.cid)?;
    standing.require("upload-file", "upload files")?;
    Ok(user_id)
}

async fn live_channel(tx: &mut dyn Tx, ctx: &Context, cid: &Cid) -> CoreResult<Channel> {
    tx.channel(ctx.app_id(), cid)
        .await?
        .filter(|channel| channel.deleted_at.is_none())
        .ok_or_else(|| CoreError::not_found(format!("channel {cid} does not exist")))
}

/// Records an upload whose blob is stored, after checking again that its uploader may put it there.
pub async fn record_upload(tx: &mut dyn Tx, ctx: &Context, cid: Option<&Cid>, upload: &Upload) -> CoreResult<()> {
    let user_id = authorize(tx, ctx, cid).await?;
    if user_id != upload.user_id {
        return Err(CoreError::internal("an upload is recorded for its own uploader"));
    }
    tx.insert_upload(ctx.app_id(), upload).await
}

/// `DELETE .../file?url=` and `.../image?url=`: the uploader, a moderator of the channel (who may delete any
/// message there) or a server call removes an upload; the notice releases its blobs. A URL that names no upload
/// of this channel is 404.
pub async fn delete_upload(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: Option<&Cid>,
    url: &str,
) -> CoreResult<Outcome<Upload>> {
    let missing = || CoreError::not_found("the url names no upload of this channel");
    let token = token_in_url(ctx.app_id(), url).ok_or_else(missing)?;
    let upload = tx.upload(ctx.app_id(), &token).await?.ok_or_else(missing)?;
    let scope = cid.map(Cid::as_str).unwrap_or_default();
    if upload.cid != scope {
        return Err(missing());
    }
    let own = ctx.actor.user_id() == Some(upload.user_id.as_str());
    if !(own || ctx.actor.is_server()) {
        let Some(cid) = cid else {
            return Err(CoreError::not_allowed("only the uploader may delete this file"));
        };
        let channel = live_channel(tx, ctx, cid).await?;
        let config = config_of(&channel.channel_type, &ctx.app)?;
        let viewer = acting_user(tx, ctx).await?;
        let standing = standing(tx, ctx, &channel, &config, viewer.as_ref()).await?;
        standing.require("delete-any-message", "delete another user's upload")?;
    }
    let removed = tx.delete_uploads(ctx.app_id(), scope, &upload.user_id, std::slice::from_ref(&token)).await?;
    let mut outcome = Outcome::new(upload);
    outcome.notices.push(Notice::UploadsRemoved { app_id: ctx.app_id(), uploads: removed });
    Ok(outcome)
}

/// The upload token in one of this app's upload URLs (`.../files/{app_id}/{token}/{name}`, or `/thumbs/` for an
/// image's thumbnail), if it is one.
pub fn token_in_url(app_id: i64, url: &str) -> Option<String> {
    let (files, thumbs) = (format!("/files/{app_id}/"), format!("/thumbs/{app_id}/"));
    let (start, marker) = match url.find(&files) {
        Some(start) => (start, &files),
        None => (url.find(&thumbs)?, &thumbs),
    };
    let rest = &url[start + marker.len()..];
    let token = rest.split(['/', '?', '#']).next()?;
    (token.len() == TOKEN_HEX_LENGTH && token.bytes().all(|byte| byte.is_ascii_hexdigit())).then(|| token.to_owned())
}

/// An upload token: 32 random bytes in hex, the unguessable part of its URL.
pub const TOKEN_HEX_LENGTH: usize = 64;

/// The upload tokens that a message's attachments name (`asset_url`, `image_url`, `thumb_url`).
pub fn attachment_tokens(app_id: i64, attachments: &[Value]) -> Vec<String> {
    let mut tokens: Vec<String> = attachments
        .iter()
        .flat_map(|attachment| ["asset_url", "image_url", "thumb_url"].map(|field| attachment.get(field)))
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|url| token_in_url(app_id, url))
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

/// Removes the author's uploads in the channel that `before` named and `after` no longer does (a deleted
/// message names none); the notice releases their blobs after the commit. Someone else's upload that a message
/// links to is never removed with it. Cost: one lookup per upload dropped.
pub(crate) async fn release_dropped(
    tx: &mut dyn Tx,
    ctx: &Context,
    cid: &str,
    author: &str,
    before: &[Value],
    after: &[Value],
    notices: &mut Vec<Notice>,
) -> CoreResult<()> {
    let kept = attachment_tokens(ctx.app_id(), after);
    let dropped: Vec<String> =
        attachment_tokens(ctx.app_id(), before).into_iter().filter(|token| !kept.contains(token)).collect();
    if dropped.is_empty() {
        return Ok(());
    }
    let removed = tx.delete_uploads(ctx.app_id(), cid, author, &dropped).await?;
    if !removed.is_empty() {
        notices.push(Notice::UploadsRemoved { app_id: ctx.app_id(), uploads: removed });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_are_found_only_in_this_apps_upload_urls() {
        let token = "ab".repeat(32);
        let url = format!("https://chat.example.com/files/7/{token}/photo.png");
        assert_eq!(token_in_url(7, &url), Some(token.clone()));
        assert_eq!(token_in_url(8, &url), None, "another app's upload");
        assert_eq!(token_in_url(7, "https://elsewhere.example.com/files/7/short/photo.png"), None);
        let attachments = vec![
            json!({"type": "image", "image_url": url, "thumb_url": format!("https://x/thumbs/7/{token}/thumb.jpg")}),
            json!({"type": "file", "asset_url": "https://cdn.example.com/a.pdf"}),
            json!("not an object"),
        ];
        assert_eq!(attachment_tokens(7, &attachments), vec![token]);
    }

    #[test]
    fn rules_allow_and_block_by_extension_and_type() {
        let rules = UploadRules {
            blocked_file_extensions: vec![".exe".into()],
            allowed_mime_types: vec!["image/*".into(), "application/pdf".into()],
            ..UploadRules::default()
        };
        assert!(rules.refusal("report.PDF", "application/pdf").is_none());
        assert!(rules.refusal("photo.png", "image/png").is_none());
        assert!(rules.refusal("tool.EXE", "image/png").is_some_and(|why| why.contains("exe")));
        assert!(rules.refusal("notes.txt", "text/plain").is_some_and(|why| why.contains("text/plain")));
        assert_eq!(UploadRules::default().limit(), crate::model::MAX_UPLOAD_BYTES);
        assert_eq!(UploadRules { size_limit: 10, ..UploadRules::default() }.limit(), 10);
    }
}
