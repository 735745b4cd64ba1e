//! The handlers: each takes what it needs from the request, calls one [`Workspace`](crate::workspace::Workspace)
//! rule and renders its answer.

use crate::api::extract::{Admin, Body, ClientAddress, PathId, SecretField, SignedIn};
use crate::api::views::{MemberView, ProjectView, SessionView};
use crate::api::{HubState, SESSION_COOKIE};
use crate::error::{HubError, HubResult};
use crate::model::{email_key, LinkPurpose, Member, MemberChanges, ProjectChanges, ProjectStatus, Role};
use crate::workspace::{link_url, Actor, SESSION_MAX_AGE};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

fn cookie(state: &HubState, value: &str, max_age_seconds: i64) -> HubResult<HeaderValue> {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let text =
        format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/hub; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&text).map_err(|_| HubError::internal("a cookie that is not a header value"))
}

/// Starts a session for `member` and answers with its cookie, CSRF token and expiry.
async fn signed_in(state: &HubState, member: &Member) -> HubResult<Response> {
    let started = state.workspace.start_session(member).await?;
    // The cookie lives as long as the session can; the server ends it sooner when it goes unused.
    let set_cookie = cookie(state, started.token.expose(), SESSION_MAX_AGE.num_seconds())?;
    let mut response = Json(SessionView::new(member, &started.session)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, set_cookie);
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    email: String,
    password: SecretField,
}

pub(crate) async fn sign_in(
    State(state): State<HubState>,
    ClientAddress(address): ClientAddress,
    Body(request): Body<SignInRequest>,
) -> HubResult<Response> {
    let account = email_key(&request.email);
    let now = state.workspace.clock.now();
    let attempt = state.limiter.attempt(&account, address, now).await?.map_err(HubError::too_many_attempts)?;
    match state.workspace.check_password(&request.email, request.password.0).await? {
        Some(member) => {
            state.limiter.succeeded(attempt).await?;
            signed_in(&state, &member).await
        }
        None => Err(HubError::unauthorized("invalid_credentials", "the email or the password is wrong")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkRequest {
    token: SecretField,
    password: Option<SecretField>,
}

pub(crate) async fn use_link(State(state): State<HubState>, Body(request): Body<LinkRequest>) -> HubResult<Response> {
    let member = state.workspace.use_link(&request.token.0, request.password.map(|field| field.0)).await?;
    state.limiter.forgive(&email_key(&member.email)).await?;
    signed_in(&state, &member).await
}

pub(crate) async fn sign_out(State(state): State<HubState>, signed_in: SignedIn) -> HubResult<Response> {
    state.workspace.store.delete_session(&signed_in.session.token_hash).await?;
    let mut response = Json(json!({"signed_out": true})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(&state, "", 0)?);
    Ok(response)
}

pub(crate) async fn me(signed_in: SignedIn) -> Json<SessionView> {
    Json(SessionView::new(&signed_in.member, &signed_in.session))
}

pub(crate) async fn list_members(State(state): State<HubState>, _: SignedIn) -> HubResult<Json<serde_json::Value>> {
    let members = state.workspace.store.members().await?;
    let views: Vec<MemberView> = members.iter().map(MemberView::from).collect();
    Ok(Json(json!({"members": views})))
}

fn role(text: &str) -> HubResult<Role> {
    Role::parse(text).ok_or_else(|| HubError::bad_request("invalid_role", "a role is admin or member"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddMemberRequest {
    email: String,
    name: String,
    role: String,
}

pub(crate) async fn add_member(
    State(state): State<HubState>,
    Admin(admin): Admin,
    Body(request): Body<AddMemberRequest>,
) -> HubResult<Response> {
    let actor = Actor::of(&admin.member);
    let role = role(&request.role)?;
    let (member, invite) = state.workspace.add_member(&actor, &request.email, &request.name, role, None).await?;
    let invite = invite.ok_or_else(|| HubError::internal("an invited member without an invite"))?;
    let body = json!({"member": MemberView::from(&member), "invite_url": link_url("", LinkPurpose::Invite, &invite)});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeMemberRequest {
    name: Option<String>,
    role: Option<String>,
}

pub(crate) async fn change_member(
    State(state): State<HubState>,
    Admin(admin): Admin,
    PathId(id): PathId,
    Body(request): Body<ChangeMemberRequest>,
) -> HubResult<Json<serde_json::Value>> {
    let changes = MemberChanges { name: request.name, role: request.role.as_deref().map(role).transpose()? };
    let member = state.workspace.change_member(&Actor::of(&admin.member), &id, changes).await?;
    Ok(Json(json!({"member": MemberView::from(&member)})))
}

pub(crate) async fn remove_member(
    State(state): State<HubState>,
    Admin(admin): Admin,
    PathId(id): PathId,
) -> HubResult<Json<serde_json::Value>> {
    let member = state.workspace.remove_member(&Actor::of(&admin.member), &id).await?;
    Ok(Json(json!({"member": MemberView::from(&member)})))
}

pub(crate) async fn list_projects(State(state): State<HubState>, _: SignedIn) -> HubResult<Json<serde_json::Value>> {
    let projects = state.workspace.store.projects().await?;
    let views: Vec<ProjectView> = projects.iter().map(ProjectView::from).collect();
    Ok(Json(json!({"projects": views})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddProjectRequest {
    name: String,
    #[serde(default)]
    member_ids: Vec<String>,
}

pub(crate) async fn add_project(
    State(state): State<HubState>,
    Admin(admin): Admin,
    Body(request): Body<AddProjectRequest>,
) -> HubResult<Response> {
    let project = state.workspace.add_project(&Actor::of(&admin.member), &request.name, request.member_ids).await?;
    Ok((StatusCode::CREATED, Json(json!({"project": ProjectView::from(&project)}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeProjectRequest {
    name: Option<String>,
    member_ids: Option<Vec<String>>,
    status: Option<String>,
}

pub(crate) async fn change_project(
    State(state): State<HubState>,
    Admin(admin): Admin,
    PathId(id): PathId,
    Body(request): Body<ChangeProjectRequest>,
) -> HubResult<Json<serde_json::Value>> {
    let status = request
        .status
        .as_deref()
        .map(|text| {
            ProjectStatus::parse(text)
                .ok_or_else(|| HubError::bad_request("invalid_status", "a status is active or completed"))
        })
        .transpose()?;
    let changes = ProjectChanges { name: request.name, member_ids: request.member_ids, status };
    let project = state.workspace.change_project(&Actor::of(&admin.member), &id, changes).await?;
    Ok(Json(json!({"project": ProjectView::from(&project)})))
}
