//! The first run: on a Hub store without a workspace, create it, its first admin (no password) and a one-time
//! sign-in link for them, in one transaction. Nothing here prints; the binary shows the link once.

use crate::error::HubResult;
use crate::model::{Link, LinkPurpose, Member, Role};
use crate::tokens::{random_token, token_hash};
use crate::workspace::{checked_email, Workspace, LINK_LIFETIME};
use rill_core::secret::Secret;

/// The first admin's email when none is given (`--admin-email`, `RILL_ADMIN_EMAIL`).
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@localhost";

/// What the first run created: the admin, and their link's token (shown once, stored only as its hash).
#[derive(Debug)]
pub struct FirstRun {
    pub admin: Member,
    pub sign_in_token: Secret,
}

/// Creates the workspace if there is none. `None` when one exists already (a later start).
pub async fn bootstrap(workspace: &Workspace, admin_email: &str) -> HubResult<Option<FirstRun>> {
    let email = checked_email(admin_email)?;
    let now = workspace.clock.now();
    let admin = Member {
        id: uuid::Uuid::new_v4().simple().to_string(),
        name: "Admin".to_owned(),
        email,
        role: Role::Admin,
        password_hash: None,
        created_at: now,
        removed_at: None,
    };
    let token = random_token()?;
    let link = Link {
        token_hash: token_hash(token.expose()),
        member_id: admin.id.clone(),
        purpose: LinkPurpose::SignIn,
        created_at: now,
        expires_at: now + LINK_LIFETIME,
        used_at: None,
    };
    let settings = serde_json::json!({"name": "Workspace", "created_at": now.to_rfc3339()});
    let created = workspace.store.initialize(settings, admin.clone(), link).await?;
    Ok(created.then_some(FirstRun { admin, sign_in_token: token }))
}
