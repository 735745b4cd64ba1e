//! The API's JSON shapes. Built from the model by hand, so nothing secret (a password hash, a session token)
//! can reach a response: only these fields exist.

use crate::model::{Member, Project, Session};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Serialize)]
pub(crate) struct MemberView {
    id: String,
    email: String,
    name: String,
    role: &'static str,
    has_password: bool,
    created_at: String,
}

impl From<&Member> for MemberView {
    fn from(member: &Member) -> MemberView {
        MemberView {
            id: member.id.clone(),
            email: member.email.clone(),
            name: member.name.clone(),
            role: member.role.as_str(),
            has_password: member.password_hash.is_some(),
            created_at: time(&member.created_at),
        }
    }
}

/// The answer of sign-in, link and `me`: the CSRF token is the session's and must be sent back.
#[derive(Serialize)]
pub(crate) struct SessionView {
    member: MemberView,
    csrf_token: String,
    expires_at: String,
}

impl SessionView {
    pub(crate) fn new(member: &Member, session: &Session) -> SessionView {
        SessionView {
            member: member.into(),
            csrf_token: session.csrf_token.expose().to_owned(),
            expires_at: time(&session.expires_at),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ProjectView {
    id: String,
    name: String,
    status: &'static str,
    member_ids: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<&Project> for ProjectView {
    fn from(project: &Project) -> ProjectView {
        ProjectView {
            id: project.id.clone(),
            name: project.name.clone(),
            status: project.status.as_str(),
            member_ids: project.member_ids.clone(),
            created_at: time(&project.created_at),
            updated_at: time(&project.updated_at),
        }
    }
}
