//! The Hub in the binary: opening its store beside the engine's, its first run at `rill serve`, its routes in
//! front of the engine's, and the `rill hub ...` commands (which work whether the server runs or not: they open
//! the same store, and the server reads sessions and members from it on every request).

use crate::commands::StoreFlags;
use crate::output;
use rill_core::secret::Secret;
use rill_hub::api::{HubConfig, HubState};
use rill_hub::clock::SystemClock;
use rill_hub::hooks::NoHook;
use rill_hub::model::{LinkPurpose, Member, ProjectChanges, ProjectStatus, Role};
use rill_hub::workspace::{link_url, Actor, Workspace};
use std::io::Read as _;
use std::sync::Arc;

/// The Hub's flags of `rill serve`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct HubServeFlags {
    /// The first admin's email, used once: when the server starts on a data directory without a workspace.
    #[arg(long, env = "RILL_ADMIN_EMAIL", default_value = rill_hub::bootstrap::DEFAULT_ADMIN_EMAIL)]
    admin_email: String,
    /// Clients reach Rill over HTTPS (through a TLS-terminating proxy): the Hub's session cookie is marked
    /// Secure. Implied by an https:// --public-url.
    #[arg(long, env = "RILL_BEHIND_TLS")]
    behind_tls: bool,
    /// Serve the web app from this directory (a `web/dist` built by `npm run build`) instead of the copy built
    /// into the binary: for working on the app without rebuilding Rill.
    #[arg(long, env = "RILL_WEB_DIR", value_name = "DIR")]
    web_dir: Option<std::path::PathBuf>,
}

/// Where `rill hub sign-in-link` and `member add` say the Hub is.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct HubUrlFlag {
    /// The URL the Hub is reached at, for the links printed.
    #[arg(long, env = "RILL_HUB_URL", default_value = "http://127.0.0.1:8080")]
    hub_url: String,
}

/// Opens the Hub's store beside the engine's (same data directory, or the same PostgreSQL database and schema).
pub(crate) async fn open_workspace(flags: &StoreFlags) -> anyhow::Result<Workspace> {
    let store = rill_hub::store::open(&flags.data_dir, &flags.hub_database())
        .await
        .map_err(|error| anyhow::anyhow!("cannot open the Hub's store ({}): {error}", flags.describe()))?;
    Ok(Workspace { store, clock: Arc::new(SystemClock), hooks: Arc::new(NoHook) })
}

/// What `rill serve` needs of the Hub: its routes, and the lines to print once the address is known.
pub(crate) struct ServedHub {
    pub(crate) state: HubState,
    first_link: Option<Secret>,
}

/// Opens the workspace, creating it on the first run, and the Hub's API state.
pub(crate) async fn prepare(
    flags: &StoreFlags,
    hub: &HubServeFlags,
    public_url: Option<&str>,
    trusted_proxies: Vec<std::net::IpAddr>,
    engine: Arc<dyn rill_client::LocalService>,
    default_app: &rill_core::model::App,
) -> anyhow::Result<ServedHub> {
    let wake = Arc::new(tokio::sync::Notify::new());
    let mut workspace = open_workspace(flags).await?;
    workspace.hooks = Arc::new(rill_hub::provisioner::WakeHook(wake.clone()));
    let first = rill_hub::bootstrap::bootstrap(&workspace, &hub.admin_email).await?;
    if let Some(first) = &first {
        output::progress(&format!("created the workspace and its admin {}", first.admin.email));
    }
    connect_built_in(&workspace, default_app).await?;
    let secure_cookies = hub.behind_tls || public_url.is_some_and(|url| url.starts_with("https://"));
    let web = match &hub.web_dir {
        Some(dir) => rill_web::WebAssets::Directory(dir.clone()),
        None => rill_web::WebAssets::Embedded,
    };
    if !web.is_built() {
        output::progress("the web app is not built into this binary: `/hub/` says how to build it");
    }
    let config = HubConfig { secure_cookies, trusted_proxies, web, ..HubConfig::default() };
    let state = HubState::new(workspace, config).with_built_in(engine);
    spawn_expiry(state.workspace.clone(), state.limiter.clone());
    state.provisioner.clone().spawn(wake);
    Ok(ServedHub { state, first_link: first.map(|first| first.sign_in_token) })
}

/// A workspace never connected is connected to the built-in engine's default app (the first run's), so the
/// Hub works out of the box; an admin may point it elsewhere later.
async fn connect_built_in(workspace: &Workspace, app: &rill_core::model::App) -> anyhow::Result<()> {
    let connector = rill_hub::connector::Connector::new(workspace.store.clone(), None);
    if connector.integration().await?.is_some() {
        return Ok(());
    }
    let integration = rill_hub::integration::Integration {
        base_url: rill_hub::integration::BUILT_IN.to_owned(),
        api_key: app.api_key.clone(),
        api_secret: app.api_secret.expose().to_owned(),
        app_id: Some(app.id),
    };
    connector.save(&integration, workspace.clock.now()).await?;
    output::progress(&format!("connected the workspace to the built-in chat engine (app {})", app.id));
    Ok(())
}

/// Deletes expired sessions and links every hour (they are refused when expired anyway; this keeps the tables
/// small).
fn spawn_expiry(workspace: Workspace, limiter: rill_hub::limiter::SignInLimiter) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            interval.tick().await;
            if let Err(error) = workspace.store.delete_expired(workspace.clock.now()).await {
                tracing::warn!(%error, "deleting expired Hub sessions failed");
            }
            if let Err(error) = limiter.prune(workspace.clock.now()).await {
                tracing::warn!(%error, "dropping old sign-in counts failed");
            }
        }
    });
}

impl ServedHub {
    /// Prints the Hub's URL and, on the first run only, the admin's one-time sign-in link.
    pub(crate) fn announce(&self, base_url: &str, flags: &StoreFlags) {
        output::line(&format!("Hub: {}/hub/", base_url.trim_end_matches('/')));
        match &self.first_link {
            Some(token) => output::line(&format!(
                "Sign in (once, within 24 hours): {}",
                link_url(base_url, LinkPurpose::SignIn, token)
            )),
            None => output::line(&format!(
                "A one-time sign-in link: `rill hub sign-in-link --email EMAIL` with the same {}",
                if flags.uses_postgres() { "database flags" } else { "--data-dir" }
            )),
        }
    }
}

fn member_json(member: &Member) -> serde_json::Value {
    serde_json::json!({
        "id": member.id,
        "email": member.email,
        "name": member.name,
        "role": member.role.as_str(),
        "has_password": member.password_hash.is_some(),
        "created_at": member.created_at.to_rfc3339(),
    })
}

/// Reads a password from standard input: everything, less one trailing line break.
fn password_from_stdin() -> anyhow::Result<Secret> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(Secret::new(text.strip_suffix('\r').unwrap_or(text)))
}

async fn member_by_email(workspace: &Workspace, email: &str) -> anyhow::Result<Member> {
    workspace.store.member_by_email(email).await?.ok_or_else(|| anyhow::anyhow!("no member has the email {email}"))
}

pub(crate) async fn member_add(
    flags: &StoreFlags,
    email: &str,
    name: &str,
    admin: bool,
    password_stdin: bool,
    url: &HubUrlFlag,
) -> anyhow::Result<()> {
    let password = if password_stdin { Some(password_from_stdin()?) } else { None };
    let workspace = open_workspace(flags).await?;
    let role = if admin { Role::Admin } else { Role::Member };
    let (member, invite) = workspace.add_member(&Actor::Operator, email, name, role, password).await?;
    output::line(&format!("added {} <{}> as {}", member.name, member.email, role.as_str()));
    if let Some(token) = invite {
        output::line(&format!(
            "Invite (once, within 24 hours): {}",
            link_url(&url.hub_url, LinkPurpose::Invite, &token)
        ));
    }
    Ok(())
}

pub(crate) async fn member_remove(flags: &StoreFlags, email: &str) -> anyhow::Result<()> {
    let workspace = open_workspace(flags).await?;
    let member = member_by_email(&workspace, email).await?;
    workspace.remove_member(&Actor::Operator, &member.id).await?;
    output::line(&format!("removed {}; their sessions have ended", member.email));
    Ok(())
}

pub(crate) async fn member_list(flags: &StoreFlags, json: bool) -> anyhow::Result<()> {
    let members = open_workspace(flags).await?.store.members().await?;
    if json {
        let list: Vec<serde_json::Value> = members.iter().map(member_json).collect();
        output::line(&serde_json::to_string(&list)?);
        return Ok(());
    }
    for member in members {
        output::line(&format!("{}\t{}\t{}", member.email, member.role.as_str(), member.name));
    }
    Ok(())
}

pub(crate) async fn project_add(flags: &StoreFlags, name: &str, member_emails: &[String]) -> anyhow::Result<()> {
    let workspace = open_workspace(flags).await?;
    let mut member_ids = Vec::new();
    for email in member_emails {
        member_ids.push(member_by_email(&workspace, email).await?.id);
    }
    let project = workspace.add_project(&Actor::Operator, name, member_ids).await?;
    output::line(&format!("added the project {} with {} members", project.name, project.member_ids.len()));
    Ok(())
}

pub(crate) async fn project_set_status(flags: &StoreFlags, name: &str, status: ProjectStatus) -> anyhow::Result<()> {
    let workspace = open_workspace(flags).await?;
    let project =
        workspace.store.project_by_name(name).await?.ok_or_else(|| anyhow::anyhow!("no project is named {name}"))?;
    let changes = ProjectChanges { status: Some(status), ..ProjectChanges::default() };
    let project = workspace.change_project(&Actor::Operator, &project.id, changes).await?;
    output::line(&format!("the project {} is {}", project.name, project.status.as_str()));
    Ok(())
}

pub(crate) async fn audit(flags: &StoreFlags, limit: u32, json: bool) -> anyhow::Result<()> {
    let entries = open_workspace(flags).await?.store.audit(limit.clamp(1, 100_000)).await?;
    if json {
        let list: Vec<serde_json::Value> = entries
            .iter()
            .map(|entry| {
                serde_json::json!({"at": entry.at.to_rfc3339(), "actor": entry.actor, "action": entry.action,
                    "target": entry.target, "result": entry.result})
            })
            .collect();
        output::line(&serde_json::to_string(&list)?);
        return Ok(());
    }
    for entry in entries {
        output::line(&format!(
            "{}\t{}\t{}\t{}\t{}",
            entry.at.to_rfc3339(),
            entry.actor,
            entry.action,
            entry.target,
            entry.result
        ));
    }
    Ok(())
}

pub(crate) async fn sign_in_link(flags: &StoreFlags, email: &str, url: &HubUrlFlag) -> anyhow::Result<()> {
    let workspace = open_workspace(flags).await?;
    let member = member_by_email(&workspace, email).await?;
    let token = workspace.issue_link(&member.id, LinkPurpose::SignIn).await?;
    output::line(&format!("Sign in (once, within 24 hours): {}", link_url(&url.hub_url, LinkPurpose::SignIn, &token)));
    Ok(())
}
