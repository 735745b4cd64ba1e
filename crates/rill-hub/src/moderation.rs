//! Admin moderation over the Stream protocol (the protocol notes' §12): the queue of flagged messages grouped
//! by message, and the actions on it: delete the message, mute a member in a channel (a channel ban with a
//! timeout), ban from the workspace (an app-wide ban), lift either, archive and unarchive a channel. Each
//! function is one or a few public calls, the same against the built-in engine and hosted Stream; recording the
//! audit trail and the Hub's own dismissals is the caller's.

use crate::provision::{archive_channel, ProvisionError};
use reqwest::Method;
use rill_client::{Client, RawResponse};
use serde_json::{json, Value};
use std::collections::HashSet;

/// Flags read per call, and the most calls one queue page makes.
const FLAGS_PER_CALL: usize = 100;
const MAX_CALLS: usize = 10;

/// A flagged message in the queue, with every unreviewed flag it has.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedMessage {
    pub message_id: String,
    pub text: String,
    pub author_id: String,
    pub author_name: String,
    pub channel_cid: String,
    pub reasons: Vec<String>,
    pub flag_count: usize,
    /// The newest flag's time (RFC 3339, as the backend gave it).
    pub last_flagged_at: String,
}

/// A moderation call that failed: what the backend said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action}: {detail}")]
pub struct ModerationError {
    pub action: String,
    pub detail: String,
    /// The backend's Stream error code, when it sent one.
    pub code: Option<i64>,
}

fn refused(action: &str, response: Result<RawResponse, rill_client::ClientError>) -> Result<Value, ModerationError> {
    let response = response.map_err(|error| ModerationError {
        action: action.to_owned(),
        detail: error.to_string(),
        code: None,
    })?;
    if (200..300).contains(&response.status) {
        return Ok(response.body);
    }
    Err(ModerationError {
        action: action.to_owned(),
        detail: response.body["message"].as_str().map_or_else(|| response.body.to_string(), str::to_owned),
        code: response.body["code"].as_i64(),
    })
}

/// One page of the queue: unreviewed flags of messages that still stand, grouped by message, newest flag
/// first, leaving out the messages the Hub dismissed. Cost: at most `MAX_CALLS` reads of 100 flags.
pub async fn flag_queue(
    client: &Client,
    dismissed: &HashSet<String>,
    offset: usize,
    limit: usize,
) -> Result<Vec<FlaggedMessage>, ModerationError> {
    let mut queue: Vec<FlaggedMessage> = Vec::new();
    let wanted = offset + limit;
    for call in 0..MAX_CALLS {
        let query = json!({
            "filter_conditions": {"is_reviewed": false},
            "limit": FLAGS_PER_CALL,
            "offset": call * FLAGS_PER_CALL,
        });
        let page = refused(
            "reading the flag queue",
            client.raw(Method::GET, "/moderation/flags/message", &[("payload", &query.to_string())], None).await,
        )?;
        let flags = page["flags"].as_array().cloned().unwrap_or_default();
        for flag in &flags {
            add_flag(&mut queue, flag, dismissed);
        }
        if flags.len() < FLAGS_PER_CALL || queue.len() > wanted {
            break;
        }
    }
    Ok(queue.into_iter().skip(offset).take(limit).collect())
}

fn add_flag(queue: &mut Vec<FlaggedMessage>, flag: &Value, dismissed: &HashSet<String>) {
    let message = &flag["message"];
    let Some(message_id) = message["id"].as_str() else { return };
    if dismissed.contains(message_id) {
        return;
    }
    let reason = flag["reason"].as_str().filter(|reason| !reason.is_empty()).map(str::to_owned);
    if let Some(item) = queue.iter_mut().find(|item| item.message_id == message_id) {
        item.flag_count += 1;
        if let Some(reason) = reason.filter(|reason| !item.reasons.contains(reason)) {
            item.reasons.push(reason);
        }
        return;
    }
    let author = &message["user"];
    queue.push(FlaggedMessage {
        message_id: message_id.to_owned(),
        text: message["text"].as_str().unwrap_or_default().to_owned(),
        author_id: author["id"].as_str().unwrap_or_default().to_owned(),
        author_name: author["name"].as_str().or_else(|| author["id"].as_str()).unwrap_or_default().to_owned(),
        channel_cid: message["cid"]
            .as_str()
            .or_else(|| message["channel"]["cid"].as_str())
            .unwrap_or_default()
            .to_owned(),
        reasons: reason.into_iter().collect(),
        flag_count: 1,
        last_flagged_at: flag["created_at"].as_str().unwrap_or_default().to_owned(),
    });
}

/// Deletes a message (soft: the backend keeps it marked deleted).
pub async fn delete_message(client: &Client, message_id: &str) -> Result<(), ModerationError> {
    refused("deleting the message", client.raw(Method::DELETE, &format!("/messages/{message_id}"), &[], None).await)?;
    Ok(())
}

/// Mutes a member in one channel for `minutes`: a channel ban with a timeout (they keep reading, cannot post).
pub async fn mute_in_channel(
    client: &Client,
    user_id: &str,
    channel_cid: &str,
    minutes: u32,
    reason: &str,
    by: &str,
) -> Result<(), ModerationError> {
    let body = json!({
        "target_user_id": user_id, "channel_cid": channel_cid, "timeout": minutes, "reason": reason, "banned_by_id": by,
    });
    refused("muting the member in the channel", client.raw(Method::POST, "/moderation/ban", &[], Some(&body)).await)?;
    Ok(())
}

/// Lifts a channel mute.
pub async fn lift_mute(client: &Client, user_id: &str, channel_cid: &str) -> Result<(), ModerationError> {
    let query = [("target_user_id", user_id), ("channel_cid", channel_cid)];
    refused("lifting the mute", client.raw(Method::DELETE, "/moderation/ban", &query, None).await)?;
    Ok(())
}

/// Bans a member from the workspace: an app-wide ban (no timeout).
pub async fn ban(client: &Client, user_id: &str, reason: &str, by: &str) -> Result<(), ModerationError> {
    let body = json!({"target_user_id": user_id, "reason": reason, "banned_by_id": by});
    refused("banning the member", client.raw(Method::POST, "/moderation/ban", &[], Some(&body)).await)?;
    Ok(())
}

/// Lifts a workspace ban.
pub async fn lift_ban(client: &Client, user_id: &str) -> Result<(), ModerationError> {
    let query = [("target_user_id", user_id)];
    refused("lifting the ban", client.raw(Method::DELETE, "/moderation/ban", &query, None).await)?;
    Ok(())
}

/// Archives or unarchives any channel (frozen, `globally_archived`, hidden for every member; or the reverse).
/// Whether anything changed.
pub async fn set_channel_archived(
    client: &Client,
    channel_type: &str,
    channel_id: &str,
    archived: bool,
) -> Result<bool, ModerationError> {
    archive_channel(client, channel_type, channel_id, archived)
        .await
        .map_err(|ProvisionError { step, detail }| ModerationError { action: step, detail, code: None })
}
