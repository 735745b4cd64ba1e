//! Runs provisioning: after the integration is saved and after every member or project change (the
//! [`WakeHook`] the workspace calls); within two seconds of a change `rill hub` made in another process (the
//! wanted state is read from the store every [`CHECK_EVERY`] and compared with the last run's); and every
//! [`RECONCILE_EVERY`] regardless, to repair what changed on the backend or failed before. One run at a time;
//! its outcome is kept in the `provisioning` settings row, readable through `GET /hub/api/provisioning`.

use crate::connector::Connector;
use crate::error::HubResult;
use crate::hooks::{Change, ChangeHook};
use crate::model::ProjectStatus;
use crate::provision::{provision, ChatMember, ChatProject, FormerMember, Workspace as ChatWorkspace};
use crate::workspace::Workspace;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};

/// The settings row holding the last run's outcome.
pub const STATUS_SETTING: &str = "provisioning";
/// How often the wanted state is read to notice changes made by another process (a few store reads).
pub const CHECK_EVERY: Duration = Duration::from_secs(2);
/// How often provisioning runs when nothing changed.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(60);

/// Wakes the provisioner after a change; never blocks.
#[derive(Debug, Clone, Default)]
pub struct WakeHook(pub Arc<Notify>);

impl ChangeHook for WakeHook {
    fn changed(&self, _change: Change) {
        self.0.notify_one();
    }
}

/// The provisioner: the workspace, its connector, and a lock so runs never overlap.
#[derive(Clone)]
pub struct Provisioner {
    workspace: Workspace,
    connector: Connector,
    running: Arc<Mutex<()>>,
}

impl Provisioner {
    pub fn new(workspace: Workspace, connector: Connector) -> Provisioner {
        Provisioner { workspace, connector, running: Arc::new(Mutex::new(())) }
    }

    /// Runs in the background until the process ends: when woken by `wake`, when the wanted state differs from
    /// the last run's, and every [`RECONCILE_EVERY`].
    pub fn spawn(self, wake: Arc<Notify>) {
        tokio::spawn(async move {
            let mut last_wanted: Option<String> = None;
            let mut last_run = tokio::time::Instant::now();
            let mut due = true;
            loop {
                let wanted = match self.chat_workspace().await {
                    Ok(wanted) => Some(format!("{wanted:?}")),
                    Err(error) => {
                        tracing::warn!(%error, "reading the workspace for provisioning failed");
                        None
                    }
                };
                if due || wanted != last_wanted || last_run.elapsed() >= RECONCILE_EVERY {
                    match self.run_once().await {
                        Ok(status) if status["state"] == "ok" => last_wanted = wanted,
                        Ok(_) => last_wanted = None,
                        Err(error) => tracing::warn!(%error, "a provisioning run could not record its outcome"),
                    }
                    last_run = tokio::time::Instant::now();
                }
                due = tokio::select! {
                    () = wake.notified() => true,
                    () = tokio::time::sleep(CHECK_EVERY) => false,
                };
            }
        });
    }

    /// One run: the workspace as the store has it, made so on the chat backend; the outcome (counts, or the
    /// failed step and its error) recorded. An unconnected Hub has nothing to do.
    pub async fn run_once(&self) -> HubResult<serde_json::Value> {
        let _one_at_a_time = self.running.lock().await;
        let started = self.workspace.clock.now();
        let Some(integration) = self.connector.integration().await? else {
            return Ok(json!({"state": "not_connected"}));
        };
        let wanted = self.chat_workspace().await?;
        let outcome = match self.connector.client(&integration) {
            Ok(client) => provision(&client, &wanted).await.map_err(|error| (error.step, error.detail)),
            Err(error) => Err(("connecting".to_owned(), error.message)),
        };
        let finished = self.workspace.clock.now();
        let status = match outcome {
            Ok(report) => json!({
                "state": "ok",
                "started_at": started.to_rfc3339(),
                "finished_at": finished.to_rfc3339(),
                "members": wanted.members.len(),
                "projects": wanted.projects.len(),
                "changes": {
                    "users_created": report.users_created, "users_updated": report.users_updated,
                    "memberships_added": report.memberships_added, "memberships_removed": report.memberships_removed,
                    "tokens_revoked": report.tokens_revoked, "channels_archived": report.channels_archived,
                    "channels_unarchived": report.channels_unarchived,
                    "channels_renamed": report.channels_renamed,
                },
            }),
            Err((step, detail)) => {
                tracing::warn!(%step, %detail, "provisioning failed; it is tried again");
                json!({"state": "failed", "started_at": started.to_rfc3339(), "finished_at": finished.to_rfc3339(),
                    "failed_step": step, "error": detail})
            }
        };
        self.workspace.store.put_setting(STATUS_SETTING, &status, None, finished).await?;
        Ok(status)
    }

    /// The last run's outcome, if any.
    pub async fn status(&self) -> HubResult<serde_json::Value> {
        Ok(self.workspace.store.setting(STATUS_SETTING).await?.map_or(json!({"state": "never_run"}), |row| row.value))
    }

    async fn chat_workspace(&self) -> HubResult<ChatWorkspace> {
        let store = &self.workspace.store;
        let members = store
            .members()
            .await?
            .into_iter()
            .map(|member| ChatMember {
                user_id: member.id.clone(),
                name: member.name.clone(),
                admin: member.is_admin(),
            })
            .collect();
        let former = store
            .former_members()
            .await?
            .into_iter()
            .filter_map(|member| Some(FormerMember { user_id: member.id, removed_at: member.removed_at? }))
            .collect();
        let projects = store
            .projects()
            .await?
            .into_iter()
            .map(|project| ChatProject {
                project_id: project.id,
                name: project.name,
                member_user_ids: project.member_ids,
                completed: project.status == ProjectStatus::Completed,
            })
            .collect();
        Ok(ChatWorkspace { members, former, projects })
    }
}
