//! Users: upsert, partial update, query, delete, deactivate, reactivate.

use crate::app::AppState;
use crate::convert;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, Payload};
use crate::purge::Purge;
use crate::reply::Reply;
use crate::routes::check_connection;
use axum::extract::State;
use rill_core::ids::UserId;
use rill_core::model::{UnreadTotals, User};
use rill_core::ops::{self, Outcome};
use rill_protocol::request::{
    DeleteUserQuery, PartialUpdateUsersRequest, QueryUsersRequest, SendUserEventRequest, UpsertUsersRequest,
};
use rill_protocol::response::{Empty, QueryUsersResponse, UserResponseBody, UsersMapResponse};
use std::collections::HashMap;

/// Users as `FullUserResponse`s, with what this caller may see: a server token sees every user whole; a user
/// token sees its own devices, mutes, revocation and unread totals, and of everyone else only the public profile
/// (those fields empty), since nothing about another user's reading or devices is theirs to know.
fn full_users(
    state: &AppState,
    auth: &Auth,
    users: &[User],
    totals: &HashMap<String, UnreadTotals>,
) -> UsersMapResponse {
    let (app_id, now) = (auth.app.id, state.store().now());
    UsersMapResponse {
        users: users
            .iter()
            .map(|user| {
                let online = state.registry().is_online(app_id, &user.id);
                let full = if sees_private_fields(auth, &user.id) {
                    convert::own_user(user, online, totals.get(&user.id).copied().unwrap_or_default(), now)
                } else {
                    convert::other_user(user, online, now)
                };
                (user.id.clone(), full)
            })
            .collect(),
    }
}

fn sees_private_fields(auth: &Auth, user_id: &str) -> bool {
    auth.user_id().is_none_or(|own| own.as_str() == user_id)
}

/// Unread totals of the users whose private fields the caller may see.
async fn totals_of(state: &AppState, auth: &Auth, users: &[User]) -> ApiResult<HashMap<String, UnreadTotals>> {
    let ids: Vec<String> =
        users.iter().filter(|user| sees_private_fields(auth, &user.id)).map(|user| user.id.clone()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (app_id, now) = (auth.app.id, state.store().now());
    Ok(state
        .store()
        .read_for_app(auth.app.id, (app_id, ids, now), |tx, (app_id, ids, now)| tx.unread_totals(*app_id, ids, *now))
        .await?)
}

pub(crate) async fn upsert_users(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<UpsertUsersRequest>,
) -> ApiResult<Reply<UsersMapResponse>> {
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::users::upsert_users(tx, ctx, request.clone()))
        })
        .await?;
    let totals = totals_of(&state, &auth, &outcome.value).await?;
    Ok(Reply(full_users(&state, &auth, &outcome.value, &totals)))
}

pub(crate) async fn partial_update_users(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<PartialUpdateUsersRequest>,
) -> ApiResult<Reply<UsersMapResponse>> {
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::users::partial_update_users(tx, ctx, request.users.clone()))
        })
        .await?;
    let totals = totals_of(&state, &auth, &outcome.value).await?;
    Ok(Reply(full_users(&state, &auth, &outcome.value, &totals)))
}

pub(crate) async fn query_users(
    State(state): State<AppState>,
    auth: Auth,
    Payload(request): Payload<QueryUsersRequest>,
) -> ApiResult<Reply<QueryUsersResponse>> {
    check_connection(&state, &auth, false, request.presence == Some(true))?;
    let ctx = auth.context(&state, request.user_id.clone());
    let registry = state.registry().clone();
    let app_id = auth.app.id;
    let query = request.clone();
    let users = state
        .store()
        .read_for_app(auth.app.id, (ctx, query, registry), move |tx, (ctx, query, registry)| {
            Box::pin(async move {
                let is_online = |user_id: &str| registry.is_online(app_id, user_id);
                ops::users::query_users(tx, ctx, query, &is_online).await
            })
        })
        .await?;
    if request.presence == Some(true) {
        if let Some(connection_id) = &auth.connection_id {
            let ids: Vec<String> = users.iter().map(|user| user.id.clone()).collect();
            state.registry().follow(connection_id, &ids);
        }
    }
    let totals = totals_of(&state, &auth, &users).await?;
    let map = full_users(&state, &auth, &users, &totals);
    let users = users.iter().filter_map(|user| map.users.get(&user.id).cloned()).collect();
    Ok(Reply(QueryUsersResponse { users }))
}

async fn single_user(state: &AppState, auth: &Auth, outcome: Outcome<User>) -> ApiResult<Reply<UserResponseBody>> {
    let online = state.registry().is_online(auth.app.id, &outcome.value.id);
    Ok(Reply(UserResponseBody {
        user: convert::own_user(&outcome.value, online, UnreadTotals::default(), state.store().now()),
    }))
}

pub(crate) async fn delete_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(user_id): ApiPath<UserId>,
    ApiQuery(query): ApiQuery<DeleteUserQuery>,
) -> ApiResult<Reply<UserResponseBody>> {
    let ctx = auth.context(&state, None);
    let deletion =
        ops::users::UserDeletion { hard: query.hard_delete, mark_messages_deleted: query.mark_messages_deleted };
    let before = ctx.now;
    let outcome = state
        .commit(&auth.app, (ctx, user_id.clone(), deletion), |tx, (ctx, user_id, deletion)| {
            Box::pin(ops::users::delete_user(tx, ctx, user_id, *deletion))
        })
        .await?;
    if deletion.mark_messages_deleted {
        let user_id = user_id.to_string();
        state.purger().schedule(Purge::UserMessages { app_id: auth.app.id, user_id, hard: deletion.hard, before });
    }
    single_user(&state, &auth, outcome).await
}

/// `POST /guest`: a guest user and a token signed for them (no expiry, like any user token Rill's clients
/// sign; revocation applies).
pub(crate) async fn create_guest(
    State(state): State<AppState>,
    crate::extract::GuestApp(app): crate::extract::GuestApp,
    ApiJson(request): ApiJson<rill_protocol::request::CreateGuestRequest>,
) -> ApiResult<Reply<rill_protocol::response::CreateGuestResponse>> {
    let user_id = request.user.id.clone().ok_or_else(|| crate::error::ApiError::input("user.id is required"))?;
    // Admission before anything is written: a plan with no room this month creates no guest.
    state.note_active(&app, user_id.as_str()).await?;
    let now = state.store().now();
    let ctx = rill_core::ops::Context {
        app: app.clone(),
        actor: rill_core::model::Actor::User { user_id: user_id.to_string() },
        now,
    };
    let outcome = state
        .commit(&app, (ctx, request), |tx, (ctx, request)| Box::pin(ops::users::create_guest(tx, ctx, &request.user)))
        .await?;
    let guest = outcome.value;
    let access_token = rill_core::auth::user_token(&guest.id, &app.api_secret, now, None);
    let user = convert::user(&guest, false, now);
    Ok(Reply(rill_protocol::response::CreateGuestResponse { user, access_token }))
}

pub(crate) async fn deactivate_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Reply<UserResponseBody>> {
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, user_id), |tx, (ctx, user_id)| {
            Box::pin(ops::users::set_deactivated(tx, ctx, user_id, true))
        })
        .await?;
    single_user(&state, &auth, outcome).await
}

pub(crate) async fn reactivate_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(user_id): ApiPath<UserId>,
) -> ApiResult<Reply<UserResponseBody>> {
    let ctx = auth.context(&state, None);
    let outcome = state
        .commit(&auth.app, (ctx, user_id), |tx, (ctx, user_id)| {
            Box::pin(ops::users::set_deactivated(tx, ctx, user_id, false))
        })
        .await?;
    single_user(&state, &auth, outcome).await
}

/// `POST /users/{user_id}/event`: a server's custom event, delivered to every connection of the user.
pub(crate) async fn send_user_event(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(user_id): ApiPath<UserId>,
    ApiJson(request): ApiJson<SendUserEventRequest>,
) -> ApiResult<Reply<Empty>> {
    let ctx = auth.context(&state, None);
    let input = request.event;
    let (event_type, custom) = (input.event_type.clone(), input.custom.clone());
    let user = state
        .store()
        .read_for_app(auth.app.id, (ctx, user_id, event_type, custom), |tx, (ctx, user_id, event_type, custom)| {
            Box::pin(ops::users::authorize_user_event(tx, ctx, user_id, event_type, custom))
        })
        .await?;
    let mut event = rill_protocol::event::Event::new(&input.event_type, state.store().now());
    event.custom = input.custom;
    let delivery = crate::bus::Delivery::new(crate::registry::Audience::User { user_id: user.id }, event);
    state.publish_deliveries(auth.app.id, vec![delivery]);
    Ok(Reply(Empty {}))
}
