//! Provisioning: brings the chat backend in line with the workspace through public Stream calls only (the
//! protocol notes' §12), so it works the same against the built-in engine and hosted Stream. A chat user for
//! every member, `#general` (every member) and `#engineering` (the admins), one channel per project with the
//! project's members; a removed member leaves every workspace channel and their tokens are revoked; a completed
//! project's channel is archived, a reopened one unarchived.
//!
//! Idempotent: it reads what is there and writes only the difference, so a second run writes nothing, and two
//! runs at once converge (get-or-create channels; adding a member twice changes nothing). Rate limits are
//! waited out (`Client::raw_patiently`).

use reqwest::Method;
use rill_client::{Client, RawResponse};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Users per `POST /users` and ids per filter: Stream's batch limit.
const BATCH: usize = 100;

/// A workspace member as the chat backend knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMember {
    pub user_id: String,
    pub name: String,
    pub admin: bool,
}

/// A project and its linked channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatProject {
    pub project_id: String,
    pub name: String,
    pub member_user_ids: Vec<String>,
    pub completed: bool,
}

/// A former member: out of every workspace channel, every token issued before `removed_at` revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerMember {
    pub user_id: String,
    pub removed_at: chrono::DateTime<chrono::Utc>,
}

/// What the backend should hold.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    pub members: Vec<ChatMember>,
    pub former: Vec<FormerMember>,
    pub projects: Vec<ChatProject>,
}

/// What a run changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub users_created: usize,
    pub users_updated: usize,
    pub memberships_added: usize,
    pub memberships_removed: usize,
    pub tokens_revoked: usize,
    pub channels_archived: usize,
    pub channels_unarchived: usize,
    /// Project channels whose name followed a renamed project.
    pub channels_renamed: usize,
}

/// A step that failed: which, and what the backend said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("provisioning failed at {step}: {detail}")]
pub struct ProvisionError {
    pub step: String,
    pub detail: String,
}

/// The channel id of a project's channel.
pub fn project_channel_id(project_id: &str) -> String {
    format!("project-{project_id}")
}

/// Runs every step in order; the first failure stops the run (a later run picks up where it stopped).
pub async fn provision(client: &Client, workspace: &Workspace) -> Result<Report, ProvisionError> {
    let mut report = Report::default();
    let creator = workspace
        .members
        .iter()
        .find(|member| member.admin)
        .map(|member| member.user_id.clone())
        .ok_or_else(|| failure("the workspace", "there is no admin to create channels as"))?;
    sync_users(client, workspace, &mut report).await?;
    let everyone: Vec<String> = workspace.members.iter().map(|member| member.user_id.clone()).collect();
    let admins: Vec<String> =
        workspace.members.iter().filter(|member| member.admin).map(|member| member.user_id.clone()).collect();
    let former: Vec<String> = workspace.former.iter().map(|member| member.user_id.clone()).collect();
    let general = Channel { id: "general".into(), name: "general".into(), project_id: None };
    sync_channel(client, &general, &creator, &everyone, Leaving::These(&former), &mut report).await?;
    let engineering = Channel { id: "engineering".into(), name: "engineering".into(), project_id: None };
    sync_channel(client, &engineering, &creator, &admins, Leaving::These(&former), &mut report).await?;
    for project in &workspace.projects {
        let channel = Channel {
            id: project_channel_id(&project.project_id),
            name: project.name.clone(),
            project_id: Some(project.project_id.clone()),
        };
        // A project channel holds exactly the project's current members.
        let current: Vec<String> = project.member_user_ids.iter().filter(|id| everyone.contains(id)).cloned().collect();
        let state = sync_channel(client, &channel, &creator, &current, Leaving::AllOthers, &mut report).await?;
        set_archived(client, &channel, &state, project.completed, &mut report).await?;
    }
    revoke(client, &workspace.former, &mut report).await?;
    Ok(report)
}

fn failure(step: &str, detail: impl Into<String>) -> ProvisionError {
    ProvisionError { step: step.to_owned(), detail: detail.into() }
}

/// A 2xx body, or the failure of `step` with the backend's message.
async fn expect_ok(
    step: &str,
    response: Result<RawResponse, rill_client::ClientError>,
) -> Result<Value, ProvisionError> {
    let response = response.map_err(|error| failure(step, error.to_string()))?;
    if (200..300).contains(&response.status) {
        return Ok(response.body);
    }
    let message = response.body["message"].as_str().map_or_else(|| response.body.to_string(), str::to_owned);
    Err(failure(step, format!("{} ({message})", response.status)))
}

/// Creates missing chat users and updates the name and role of those that changed; other fields (a user's own
/// image, custom data) are left alone.
async fn sync_users(client: &Client, workspace: &Workspace, report: &mut Report) -> Result<(), ProvisionError> {
    for batch in workspace.members.chunks(BATCH) {
        let ids: Vec<&str> = batch.iter().map(|member| member.user_id.as_str()).collect();
        let filter = json!({"filter_conditions": {"id": {"$in": ids}}, "limit": BATCH, "presence": false});
        let found = expect_ok(
            "reading chat users",
            client.raw_patiently(Method::GET, "/users", &[("payload", &filter.to_string())], None).await,
        )
        .await?;
        let existing = found["users"].as_array().cloned().unwrap_or_default();
        let role_of = |member: &ChatMember| if member.admin { "admin" } else { "user" };
        let mut created = serde_json::Map::new();
        let mut updates = Vec::new();
        for member in batch {
            match existing.iter().find(|user| user["id"] == member.user_id.as_str()) {
                None => {
                    let user = json!({"id": member.user_id, "name": member.name, "role": role_of(member)});
                    created.insert(member.user_id.clone(), user);
                }
                Some(user) if user["name"] != member.name.as_str() || user["role"] != role_of(member) => {
                    updates.push(json!({"id": member.user_id, "set": {"name": member.name, "role": role_of(member)}}));
                }
                Some(_) => {}
            }
        }
        if !created.is_empty() {
            let body = json!({"users": created});
            expect_ok("creating chat users", client.raw_patiently(Method::POST, "/users", &[], Some(&body)).await)
                .await?;
            report.users_created += created.len();
        }
        if !updates.is_empty() {
            let body = json!({"users": updates});
            expect_ok("updating chat users", client.raw_patiently(Method::PATCH, "/users", &[], Some(&body)).await)
                .await?;
            report.users_updated += updates.len();
        }
    }
    Ok(())
}

struct Channel {
    id: String,
    name: String,
    project_id: Option<String>,
}

/// What the backend holds of a channel: its members (of those asked about) and its archive flags.
struct ChannelState {
    members: Vec<String>,
    frozen: bool,
    archived: bool,
}

/// Who leaves a channel: the workspace's former members (from `#general` and `#engineering`, which admins may
/// also fill by hand), or everyone not wanted (a project channel holds exactly its project's members).
#[derive(Clone, Copy)]
enum Leaving<'a> {
    These(&'a [String]),
    AllOthers,
}

/// Gets or creates the channel (data only at creation: a re-run never overwrites it), adds the wanted
/// members it lacks and removes those leaving.
async fn sync_channel(
    client: &Client,
    channel: &Channel,
    creator: &str,
    wanted: &[String],
    leaving: Leaving<'_>,
    report: &mut Report,
) -> Result<ChannelState, ProvisionError> {
    let step = format!("channel {}", channel.id);
    let mut data = json!({"created_by_id": creator, "name": channel.name});
    if let Some(project_id) = &channel.project_id {
        data["project_id"] = json!(project_id);
    }
    let path = format!("/channels/team/{}/query", channel.id);
    let body = json!({"data": data, "state": true, "members": {"limit": 1}});
    let state = expect_ok(&step, client.raw_patiently(Method::POST, &path, &[], Some(&body)).await).await?;
    if channel.project_id.is_some() && state["channel"]["name"].as_str() != Some(channel.name.as_str()) {
        // Creation never overwrites data, so a renamed project's channel is renamed here, by name alone.
        let rename = json!({"set": {"name": channel.name}});
        let path = format!("/channels/team/{}", channel.id);
        expect_ok(&step, client.raw_patiently(Method::PATCH, &path, &[], Some(&rename)).await).await?;
        report.channels_renamed += 1;
    }
    let present = match leaving {
        Leaving::These(former) => {
            let mut asked = wanted.to_vec();
            asked.extend(former.iter().cloned());
            members_among(client, "team", &channel.id, Some(&asked)).await?
        }
        Leaving::AllOthers => members_among(client, "team", &channel.id, None).await?,
    };
    let missing: Vec<&String> = wanted.iter().filter(|id| !present.contains(*id)).collect();
    let going: Vec<&String> = match leaving {
        Leaving::These(former) => former.iter().filter(|id| present.contains(*id)).collect(),
        Leaving::AllOthers => present.iter().filter(|id| !wanted.contains(id)).collect(),
    };
    let update = format!("/channels/team/{}", channel.id);
    for batch in missing.chunks(BATCH) {
        let body = json!({"add_members": batch});
        expect_ok(&step, client.raw_patiently(Method::POST, &update, &[], Some(&body)).await).await?;
        report.memberships_added += batch.len();
    }
    for batch in going.chunks(BATCH) {
        let body = json!({"remove_members": batch});
        expect_ok(&step, client.raw_patiently(Method::POST, &update, &[], Some(&body)).await).await?;
        report.memberships_removed += batch.len();
    }
    let mut members: BTreeSet<String> = present.clone();
    members.extend(missing.into_iter().cloned());
    for gone in going {
        members.remove(gone);
    }
    Ok(ChannelState {
        members: members.into_iter().collect(),
        frozen: state["channel"]["frozen"].as_bool().unwrap_or(false),
        archived: state["channel"]["globally_archived"].as_bool().unwrap_or(false),
    })
}

/// The channel's members among `user_ids` (QueryMembers by id, a page per batch), or all of them, page by
/// page, when `user_ids` is `None`.
async fn members_among(
    client: &Client,
    channel_type: &str,
    channel_id: &str,
    user_ids: Option<&[String]>,
) -> Result<BTreeSet<String>, ProvisionError> {
    let step = format!("members of {channel_id}");
    let mut present = BTreeSet::new();
    let mut read_page = |found: &Value| {
        let page = found["members"].as_array().cloned().unwrap_or_default();
        for member in &page {
            if let Some(id) = member["user_id"].as_str() {
                present.insert(id.to_owned());
            }
        }
        page.len()
    };
    match user_ids {
        Some(user_ids) => {
            for batch in user_ids.chunks(BATCH) {
                let filter = json!({"user_id": {"$in": batch}});
                let found = query_members(client, channel_type, channel_id, &filter, 0, &step).await?;
                read_page(&found);
            }
        }
        None => {
            let mut offset = 0;
            loop {
                let found = query_members(client, channel_type, channel_id, &json!({}), offset, &step).await?;
                let count = read_page(&found);
                if count < BATCH {
                    break;
                }
                offset += count;
            }
        }
    }
    Ok(present)
}

async fn query_members(
    client: &Client,
    channel_type: &str,
    channel_id: &str,
    filter: &Value,
    offset: usize,
    step: &str,
) -> Result<Value, ProvisionError> {
    let query = json!({
        "type": channel_type, "id": channel_id, "filter_conditions": filter, "limit": BATCH, "offset": offset,
        "sort": [{"field": "created_at", "direction": 1}],
    });
    expect_ok(step, client.raw_patiently(Method::GET, "/members", &[("payload", &query.to_string())], None).await).await
}

/// Archives (frozen, `globally_archived`, hidden for every member) or unarchives a project's channel, per the
/// notes' §12, when it is not already so.
async fn set_archived(
    client: &Client,
    channel: &Channel,
    state: &ChannelState,
    archived: bool,
    report: &mut Report,
) -> Result<(), ProvisionError> {
    if state.archived == archived && state.frozen == archived {
        return Ok(());
    }
    apply_archive(client, "team", &channel.id, &state.members, archived).await?;
    if archived {
        report.channels_archived += 1;
    } else {
        report.channels_unarchived += 1;
    }
    Ok(())
}

/// Archives or unarchives any channel (see [`set_archived`]), reading its state and members first; whether
/// it changed anything.
pub async fn archive_channel(
    client: &Client,
    channel_type: &str,
    channel_id: &str,
    archived: bool,
) -> Result<bool, ProvisionError> {
    let step = format!("reading channel {channel_type}:{channel_id}");
    let path = format!("/channels/{channel_type}/{channel_id}");
    let read = client.raw_patiently(Method::POST, &format!("{path}/query"), &[], Some(&json!({"state": false}))).await;
    let state = expect_ok(&step, read).await?;
    let frozen = state["channel"]["frozen"].as_bool().unwrap_or(false);
    let flagged = state["channel"]["globally_archived"].as_bool().unwrap_or(false);
    if frozen == archived && flagged == archived {
        return Ok(false);
    }
    let members: Vec<String> = members_among(client, channel_type, channel_id, None).await?.into_iter().collect();
    apply_archive(client, channel_type, channel_id, &members, archived).await?;
    Ok(true)
}

async fn apply_archive(
    client: &Client,
    channel_type: &str,
    channel_id: &str,
    members: &[String],
    archived: bool,
) -> Result<(), ProvisionError> {
    let step = format!("archiving channel {channel_type}:{channel_id}");
    let path = format!("/channels/{channel_type}/{channel_id}");
    let change = if archived {
        json!({"set": {"frozen": true, "globally_archived": true}})
    } else {
        json!({"set": {"frozen": false}, "unset": ["globally_archived"]})
    };
    expect_ok(&step, client.raw_patiently(Method::PATCH, &path, &[], Some(&change)).await).await?;
    let visibility = if archived { "hide" } else { "show" };
    for member in members {
        let body = json!({"user_id": member});
        expect_ok(&step, client.raw_patiently(Method::POST, &format!("{path}/{visibility}"), &[], Some(&body)).await)
            .await?;
    }
    Ok(())
}

/// Revokes the tokens former members got until now: a user whose revocation point already comes after
/// their removal is left alone (so a second run writes nothing), and a user the backend never had is skipped.
async fn revoke(client: &Client, former: &[FormerMember], report: &mut Report) -> Result<(), ProvisionError> {
    for batch in former.chunks(BATCH) {
        let ids: Vec<&str> = batch.iter().map(|member| member.user_id.as_str()).collect();
        let filter = json!({"filter_conditions": {"id": {"$in": ids}}, "limit": BATCH, "presence": false});
        let found = expect_ok(
            "reading former members",
            client.raw_patiently(Method::GET, "/users", &[("payload", &filter.to_string())], None).await,
        )
        .await?;
        let users = found["users"].as_array().cloned().unwrap_or_default();
        let mut revocations = Vec::new();
        for member in batch {
            let Some(user) = users.iter().find(|user| user["id"] == member.user_id.as_str()) else { continue };
            let revoked_at = user["revoke_tokens_issued_before"]
                .as_str()
                .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
                .map(|at| at.with_timezone(&chrono::Utc));
            if revoked_at.is_none_or(|at| at < member.removed_at) {
                // Now, not the removal time: a token signed in the moment between is revoked too.
                let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                revocations.push(json!({"id": member.user_id, "set": {"revoke_tokens_issued_before": at}}));
            }
        }
        if revocations.is_empty() {
            continue;
        }
        let body = json!({"users": revocations});
        expect_ok("revoking tokens", client.raw_patiently(Method::PATCH, "/users", &[], Some(&body)).await).await?;
        report.tokens_revoked += revocations.len();
    }
    Ok(())
}
