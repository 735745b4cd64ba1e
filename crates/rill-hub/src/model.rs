//! The Hub's entities. None is `Serialize`: the API renders its own views (`api::views`), so a password hash or
//! a token can never be serialized by accident, and secrets are [`Secret`]s, whose `Debug` is redacted.

use chrono::{DateTime, Utc};
use rill_core::secret::Secret;

/// A member's role in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// A workspace member (an account of the Hub).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// An argon2id PHC string; `None` until the member sets a password (an invited member, the first admin).
    pub password_hash: Option<Secret>,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl Member {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The lower-case form of an email, under which members are unique.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Changes to a member; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
}

/// A signed-in browser. The token itself is never stored: the row is keyed by its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token_hash: String,
    pub member_id: String,
    /// Sent back in `X-CSRF-Token` by every state-changing call of this session.
    pub csrf_token: Secret,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Signs an existing member in (the first admin, a locked-out member); may set a password.
    SignIn,
    /// Lets an invited member set their password, which also signs them in.
    Invite,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::SignIn => "sign_in",
            LinkPurpose::Invite => "invite",
        }
    }

    pub fn parse(text: &str) -> Option<LinkPurpose> {
        match text {
            "sign_in" => Some(LinkPurpose::SignIn),
            "invite" => Some(LinkPurpose::Invite),
            _ => None,
        }
    }

    /// The page of the web app that takes the link's token (in the URL's fragment, which no server log sees).
    pub fn page(self) -> &'static str {
        match self {
            LinkPurpose::SignIn => "sign-in",
            LinkPurpose::Invite => "invite",
        }
    }
}

/// A one-time link, stored by the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub token_hash: String,
    pub member_id: String,
    pub purpose: LinkPurpose,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectStatus {
    Active,
    Completed,
}

impl ProjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Active => "active",
            ProjectStatus::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<ProjectStatus> {
        match text {
            "active" => Some(ProjectStatus::Active),
            "completed" => Some(ProjectStatus::Completed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub status: ProjectStatus,
    /// Sorted, without duplicates.
    pub member_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The lower-case form of a project's name, under which projects are unique.
pub fn project_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub member_ids: Option<Vec<String>>,
    pub status: Option<ProjectStatus>,
}

/// A settings row: JSON, and a secret that is stored sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub value: serde_json::Value,
    pub secret: Option<Secret>,
    pub updated_at: DateTime<Utc>,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub result: String,
}

/// An audit line to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub result: String,
}
