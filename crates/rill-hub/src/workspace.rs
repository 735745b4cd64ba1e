//! The workspace's rules, shared by the HTTP API and the `rill hub` commands: who the members are, their
//! sign-ins, sessions and one-time links, and the projects. Every change is audited and then told to the
//! [`ChangeHook`].

use crate::clock::Clock;
use crate::error::{HubError, HubResult};
use crate::hooks::{Change, ChangeHook};
use crate::model::{
    Link, LinkPurpose, Member, MemberChanges, NewAudit, Project, ProjectChanges, ProjectStatus, Role, Session,
};
use crate::passwords;
use crate::store::HubStore;
use crate::tokens::{random_token, token_hash};
use chrono::{DateTime, Duration, Utc};
use rill_core::secret::Secret;
use std::sync::Arc;

/// How long a one-time link can be used.
pub const LINK_LIFETIME: Duration = Duration::hours(24);
/// How long a session lasts unused: each use past half of it slides its expiry a full lifetime ahead.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// How long a session lasts at most, however busy: then its member signs in again.
pub const SESSION_MAX_AGE: Duration = Duration::days(7);

/// The expiry a session in use at `now` slides to, if it should move: once less than half of
/// [`SESSION_LIFETIME`] is left (so a busy session is written at most twice a lifetime), a full lifetime from
/// now, never past [`SESSION_MAX_AGE`] from its start.
pub fn slid_expiry(session: &Session, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if session.expires_at - now >= SESSION_LIFETIME / 2 {
        return None;
    }
    let expiry = (now + SESSION_LIFETIME).min(session.created_at + SESSION_MAX_AGE);
    (expiry > session.expires_at).then_some(expiry)
}
const MAX_NAME_CHARS: usize = 100;
const MAX_EMAIL_BYTES: usize = 254;

/// Who makes a change: a signed-in member, or an operator at the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Member { id: String, email: String },
    Operator,
}

impl Actor {
    pub fn of(member: &Member) -> Actor {
        Actor::Member { id: member.id.clone(), email: member.email.clone() }
    }

    fn audit_name(&self) -> String {
        match self {
            Actor::Member { email, .. } => format!("member:{email}"),
            Actor::Operator => "cli".to_owned(),
        }
    }
}

/// A new session and the token its cookie carries (given out once, stored only as its hash).
#[derive(Debug)]
pub struct NewSession {
    pub token: Secret,
    pub session: Session,
}

/// Checks and tidies an email: trimmed, one `@` with text on both sides, no spaces, at most 254 bytes.
pub fn checked_email(email: &str) -> HubResult<String> {
    let email = email.trim();
    let valid = email.len() <= MAX_EMAIL_BYTES
        && !email.chars().any(|character| character.is_whitespace() || character.is_control())
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if !valid {
        return Err(HubError::bad_request("invalid_email", "an email looks like name@example.com"));
    }
    Ok(email.to_owned())
}

/// Checks and tidies a person's or a project's name: trimmed, 1 to 100 characters, no control characters.
pub fn checked_name(name: &str) -> HubResult<String> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(HubError::bad_request("invalid_name", format!("a name has 1 to {MAX_NAME_CHARS} characters")));
    }
    Ok(name.to_owned())
}

/// Hashes a password on a blocking thread (argon2id takes tens of milliseconds of CPU).
pub async fn hash_password(password: Secret) -> HubResult<Secret> {
    tokio::task::spawn_blocking(move || passwords::hash_password(&password))
        .await
        .map_err(|_| HubError::internal("hashing a password failed"))?
}

async fn verify_password(password: Secret, hash: Option<Secret>) -> HubResult<bool> {
    tokio::task::spawn_blocking(move || passwords::verify_password(&password, hash.as_ref()))
        .await
        .map_err(|_| HubError::internal("verifying a password failed"))
}

/// A one-time link's URL: the token rides in the fragment, which browsers never send to a server, so no access
/// log records it. `base` is the server's URL (`http://127.0.0.1:8080`) or empty for a relative URL.
pub fn link_url(base: &str, purpose: LinkPurpose, token: &Secret) -> String {
    format!("{}/hub/{}#token={}", base.trim_end_matches('/'), purpose.page(), token.expose())
}

/// The workspace: its store, its clock and who hears of its changes. Cheap to clone.
#[derive(Clone)]
pub struct Workspace {
    pub store: HubStore,
    pub clock: Arc<dyn Clock>,
    pub hooks: Arc<dyn ChangeHook>,
}

impl Workspace {
    /// Appends an audit line for an action outside the workspace's own rules (the integration, moderation).
    pub async fn record(&self, actor: &Actor, action: &str, target: &str, result: &str) {
        let entry = NewAudit {
            at: self.clock.now(),
            actor: actor.audit_name(),
            action: action.to_owned(),
            target: target.to_owned(),
            result: result.to_owned(),
        };
        if let Err(error) = self.store.append_audit(entry).await {
            tracing::error!(%error, action, "cannot write an audit line");
        }
    }

    async fn audit(&self, actor: &Actor, action: &str, target: &str, result: &HubResult<impl Sized>) {
        let result = match result {
            Ok(_) => "ok".to_owned(),
            Err(error) => format!("refused: {}", error.code),
        };
        let entry = NewAudit {
            at: self.clock.now(),
            actor: actor.audit_name(),
            action: action.to_owned(),
            target: target.to_owned(),
            result,
        };
        if let Err(error) = self.store.append_audit(entry).await {
            tracing::error!(%error, action, "cannot write an audit line");
        }
    }

    /// Checks an email and password. `None` for a wrong pair, an unknown email or a member without a password,
    /// all after one argon2id verification.
    pub async fn check_password(&self, email: &str, password: Secret) -> HubResult<Option<Member>> {
        let member = self.store.member_by_email(email).await?;
        let hash = member.as_ref().and_then(|member| member.password_hash.clone());
        let matches = verify_password(password, hash).await?;
        Ok(member.filter(|_| matches))
    }

    /// Starts a session for a member.
    pub async fn start_session(&self, member: &Member) -> HubResult<NewSession> {
        let (token, csrf_token) = (random_token()?, random_token()?);
        let now = self.clock.now();
        let session = Session {
            token_hash: token_hash(token.expose()),
            member_id: member.id.clone(),
            csrf_token,
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
        };
        self.store.insert_session(session.clone()).await?;
        Ok(NewSession { token, session })
    }

    /// A fresh one-time link for a member; its token, which is given out once.
    pub async fn issue_link(&self, member_id: &str, purpose: LinkPurpose) -> HubResult<Secret> {
        let token = random_token()?;
        let now = self.clock.now();
        let link = Link {
            token_hash: token_hash(token.expose()),
            member_id: member_id.to_owned(),
            purpose,
            created_at: now,
            expires_at: now + LINK_LIFETIME,
            used_at: None,
        };
        self.store.insert_link(link).await?;
        Ok(token)
    }

    /// Uses a one-time link: an invite needs a password, a sign-in link may set one. The link is spent only
    /// when everything else is right (a weak password leaves it usable).
    pub async fn use_link(&self, token: &Secret, password: Option<Secret>) -> HubResult<Member> {
        let invalid = || {
            HubError::bad_request(
                "invalid_link",
                "this link is not valid: it was used, it expired, or it never existed",
            )
        };
        let hash = token_hash(token.expose());
        let link = self.store.usable_link(&hash, self.clock.now()).await?.ok_or_else(invalid)?;
        if link.purpose == LinkPurpose::Invite && password.is_none() {
            return Err(HubError::bad_request("password_required", "an invite link needs a password to set"));
        }
        let password_hash = match password {
            Some(password) => Some(hash_password(password).await?),
            None => None,
        };
        let (_, member) = self.store.consume_link(&hash, self.clock.now(), password_hash).await?.ok_or_else(invalid)?;
        Ok(member)
    }

    /// Adds a member. With a password they can sign in at once; without one the answer carries an invite
    /// link's token.
    pub async fn add_member(
        &self,
        actor: &Actor,
        email: &str,
        name: &str,
        role: Role,
        password: Option<Secret>,
    ) -> HubResult<(Member, Option<Secret>)> {
        let result = self.try_add_member(email, name, role, password).await;
        self.audit(actor, "member.add", email, &result).await;
        let (member, invite) = result?;
        self.hooks.changed(Change::MemberAdded { member_id: member.id.clone() });
        Ok((member, invite))
    }

    async fn try_add_member(
        &self,
        email: &str,
        name: &str,
        role: Role,
        password: Option<Secret>,
    ) -> HubResult<(Member, Option<Secret>)> {
        let (email, name) = (checked_email(email)?, checked_name(name)?);
        let password_hash = match password {
            Some(password) => Some(hash_password(password).await?),
            None => None,
        };
        let invited = password_hash.is_none();
        let member = Member {
            id: uuid::Uuid::new_v4().simple().to_string(),
            email,
            name,
            role,
            password_hash,
            created_at: self.clock.now(),
            removed_at: None,
        };
        self.store.insert_member(member.clone()).await?;
        let invite = if invited { Some(self.issue_link(&member.id, LinkPurpose::Invite).await?) } else { None };
        Ok((member, invite))
    }

    /// Changes a member's name or role.
    pub async fn change_member(&self, actor: &Actor, id: &str, changes: MemberChanges) -> HubResult<Member> {
        let result = async {
            let changes = MemberChanges { name: changes.name.as_deref().map(checked_name).transpose()?, ..changes };
            self.store.update_member(id, changes).await?.ok_or_else(|| HubError::not_found("no such member"))
        }
        .await;
        self.audit(actor, "member.change", id, &result).await;
        let member = result?;
        self.hooks.changed(Change::MemberChanged { member_id: member.id.clone() });
        Ok(member)
    }

    /// Removes a member: their sessions end at once. An admin cannot remove themself, and nobody the last admin.
    pub async fn remove_member(&self, actor: &Actor, id: &str) -> HubResult<Member> {
        let result = async {
            if matches!(actor, Actor::Member { id: own, .. } if own == id) {
                return Err(HubError::conflict("cannot_remove_self", "an admin cannot remove themself"));
            }
            self.store.remove_member(id, self.clock.now()).await?.ok_or_else(|| HubError::not_found("no such member"))
        }
        .await;
        self.audit(actor, "member.remove", id, &result).await;
        let member = result?;
        self.hooks.changed(Change::MemberRemoved { member_id: member.id.clone() });
        Ok(member)
    }

    /// Adds a project.
    pub async fn add_project(&self, actor: &Actor, name: &str, member_ids: Vec<String>) -> HubResult<Project> {
        let result = async {
            let now = self.clock.now();
            let project = Project {
                id: uuid::Uuid::new_v4().simple().to_string(),
                name: checked_name(name)?,
                status: ProjectStatus::Active,
                member_ids: sorted(member_ids),
                created_at: now,
                updated_at: now,
            };
            self.store.insert_project(project.clone()).await?;
            Ok(project)
        }
        .await;
        self.audit(actor, "project.add", name, &result).await;
        let project = result?;
        self.hooks.changed(Change::ProjectAdded { project_id: project.id.clone() });
        Ok(project)
    }

    /// Changes a project's name, members or status.
    pub async fn change_project(&self, actor: &Actor, id: &str, changes: ProjectChanges) -> HubResult<Project> {
        let result = async {
            let changes = ProjectChanges {
                name: changes.name.as_deref().map(checked_name).transpose()?,
                member_ids: changes.member_ids.map(sorted),
                status: changes.status,
            };
            self.store
                .update_project(id, changes, self.clock.now())
                .await?
                .ok_or_else(|| HubError::not_found("no such project"))
        }
        .await;
        self.audit(actor, "project.change", id, &result).await;
        let project = result?;
        self.hooks.changed(Change::ProjectChanged { project_id: project.id.clone() });
        Ok(project)
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}
