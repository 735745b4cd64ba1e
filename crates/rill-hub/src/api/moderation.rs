//! The Admin moderation panel's API: the flag queue from the chat backend, the actions on it, the audit trail
//! and usage. Every action is one or a few Stream calls (`crate::moderation`) and an audit line; a dismissal is
//! the Hub's own record (the backend keeps the flags).

use crate::api::extract::{Admin, Body};
use crate::api::HubState;
use crate::error::{HubError, HubResult};
use crate::moderation::{self as actions, FlaggedMessage, ModerationError};
use crate::workspace::Actor;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;

/// The settings row of dismissed messages, and how many it keeps (the oldest go first).
const DISMISSED: &str = "moderation_dismissed";
const MAX_DISMISSED: usize = 5_000;

fn flagged_view(item: &FlaggedMessage) -> Value {
    json!({
        "message_id": item.message_id, "text": item.text, "author_id": item.author_id, "author_name": item.author_name,
        "channel_cid": item.channel_cid, "reasons": item.reasons, "flag_count": item.flag_count,
        "last_flagged_at": item.last_flagged_at,
    })
}

async fn dismissed(state: &HubState) -> HubResult<Vec<String>> {
    let row = state.workspace.store.setting(DISMISSED).await?;
    Ok(row
        .and_then(|row| row.value["message_ids"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect())
}

#[derive(Deserialize)]
pub(crate) struct Page {
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// `GET /hub/api/moderation/queue?offset=&limit=`: flagged messages, newest flag first.
pub(crate) async fn queue(
    State(state): State<HubState>,
    _admin: Admin,
    Query(page): Query<Page>,
) -> HubResult<Json<Value>> {
    let limit = page.limit.unwrap_or(25).clamp(1, 100);
    let (_, client) = state.connector.connected_client().await?;
    let dismissed: HashSet<String> = dismissed(&state).await?.into_iter().collect();
    let items = actions::flag_queue(&client, &dismissed, page.offset.min(10_000), limit).await.map_err(backend)?;
    Ok(Json(json!({"items": items.iter().map(flagged_view).collect::<Vec<_>>()})))
}

/// The backend's refusal, shown as it is (400); a backend that did not answer is a 502.
fn backend(error: ModerationError) -> HubError {
    match error.code {
        Some(_) => HubError::bad_request("backend_refused", format!("the chat backend refused: {error}")),
        None => HubError::new(502, "backend_unreachable", format!("the chat backend did not answer: {error}")),
    }
}

/// One moderation action, as the panel sends it.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Action {
    Dismiss {
        message_id: String,
    },
    DeleteMessage {
        message_id: String,
    },
    Mute {
        user_id: String,
        channel_cid: String,
        minutes: u32,
        #[serde(default)]
        reason: String,
    },
    Unmute {
        user_id: String,
        channel_cid: String,
    },
    Ban {
        user_id: String,
        #[serde(default)]
        reason: String,
    },
    Unban {
        user_id: String,
    },
    Archive {
        channel_cid: String,
    },
    Unarchive {
        channel_cid: String,
    },
}

impl Action {
    fn describe(&self) -> (&'static str, String) {
        match self {
            Action::Dismiss { message_id } => ("moderation.dismiss", message_id.clone()),
            Action::DeleteMessage { message_id } => ("moderation.delete_message", message_id.clone()),
            Action::Mute { user_id, channel_cid, minutes, .. } => {
                ("moderation.mute", format!("{user_id} in {channel_cid} for {minutes} min"))
            }
            Action::Unmute { user_id, channel_cid } => ("moderation.unmute", format!("{user_id} in {channel_cid}")),
            Action::Ban { user_id, .. } => ("moderation.ban", user_id.clone()),
            Action::Unban { user_id } => ("moderation.unban", user_id.clone()),
            Action::Archive { channel_cid } => ("moderation.archive", channel_cid.clone()),
            Action::Unarchive { channel_cid } => ("moderation.unarchive", channel_cid.clone()),
        }
    }
}

/// `POST /hub/api/moderation/actions`: runs one action and records it in the audit trail, whatever its result.
pub(crate) async fn act(
    State(state): State<HubState>,
    Admin(admin): Admin,
    Body(action): Body<Action>,
) -> HubResult<Json<Value>> {
    let (name, target) = action.describe();
    let result = run(&state, &admin.member.id, action).await;
    let line = match &result {
        Ok(()) => "ok".to_owned(),
        Err(error) => format!("refused: {}", error.code),
    };
    state.workspace.record(&Actor::of(&admin.member), name, &target, &line).await;
    result.map(|()| Json(json!({"ok": true})))
}

async fn run(state: &HubState, by: &str, action: Action) -> HubResult<()> {
    let (_, client) = state.connector.connected_client().await?;
    let split = |cid: &str| {
        cid.split_once(':')
            .map(|(kind, id)| (kind.to_owned(), id.to_owned()))
            .ok_or_else(|| HubError::bad_request("invalid_request", "channel_cid is type:id"))
    };
    match action {
        Action::Dismiss { message_id } => {
            let mut ids = dismissed(state).await?;
            if !ids.contains(&message_id) {
                ids.push(message_id);
            }
            let excess = ids.len().saturating_sub(MAX_DISMISSED);
            ids.drain(..excess);
            let value = json!({"message_ids": ids});
            state.workspace.store.put_setting(DISMISSED, &value, None, state.workspace.clock.now()).await?;
            Ok(())
        }
        Action::DeleteMessage { message_id } => actions::delete_message(&client, &message_id).await.map_err(backend),
        Action::Mute { user_id, channel_cid, minutes, reason } => {
            if !(1..=525_600).contains(&minutes) {
                return Err(HubError::bad_request("invalid_request", "minutes must be 1 to 525600"));
            }
            actions::mute_in_channel(&client, &user_id, &channel_cid, minutes, &reason, by).await.map_err(backend)
        }
        Action::Unmute { user_id, channel_cid } => {
            actions::lift_mute(&client, &user_id, &channel_cid).await.map_err(backend)
        }
        Action::Ban { user_id, reason } => actions::ban(&client, &user_id, &reason, by).await.map_err(backend),
        Action::Unban { user_id } => actions::lift_ban(&client, &user_id).await.map_err(backend),
        Action::Archive { channel_cid } => {
            let (kind, id) = split(&channel_cid)?;
            actions::set_channel_archived(&client, &kind, &id, true).await.map(drop).map_err(backend)
        }
        Action::Unarchive { channel_cid } => {
            let (kind, id) = split(&channel_cid)?;
            actions::set_channel_archived(&client, &kind, &id, false).await.map(drop).map_err(backend)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    limit: Option<u32>,
}

/// `GET /hub/api/audit?limit=`: the audit trail, newest first.
pub(crate) async fn audit(
    State(state): State<HubState>,
    _admin: Admin,
    Query(query): Query<AuditQuery>,
) -> HubResult<Json<Value>> {
    let entries = state.workspace.store.audit(query.limit.unwrap_or(100).clamp(1, 1000)).await?;
    let entries: Vec<Value> = entries
        .iter()
        .map(|entry| json!({"at": entry.at.to_rfc3339(), "actor": entry.actor, "action": entry.action, "target": entry.target, "result": entry.result}))
        .collect();
    Ok(Json(json!({"entries": entries})))
}

/// `GET /hub/api/usage`: this month's usage against the plan, from the backend (or the Hub's estimate).
pub(crate) async fn usage(State(state): State<HubState>, _admin: Admin) -> HubResult<Json<Value>> {
    let (_, client) = state.connector.connected_client().await?;
    let month = state.workspace.clock.now().format("%Y-%m").to_string();
    let usage = match crate::usage::backend_usage(&client).await {
        Ok(Some(usage)) => usage,
        Ok(None) => {
            let given = crate::api::integration::chat_tokens_in(&state, &month).await?;
            crate::usage::estimate("unknown", &month, given)
        }
        Err(error) => return Err(HubError::new(502, "backend_refused", error)),
    };
    let meter = |meter: &crate::usage::Meter| {
        let level = match meter.level() {
            crate::usage::Level::Fine => "fine",
            crate::usage::Level::Warning => "warning",
            crate::usage::Level::Full => "full",
        };
        json!({"count": meter.count, "limit": meter.limit, "level": level})
    };
    Ok(Json(json!({
        "plan": usage.plan, "month": usage.month, "estimate": usage.estimate,
        "monthly_active_users": meter(&usage.monthly_active_users),
        "messages": usage.messages.as_ref().map(meter),
    })))
}
