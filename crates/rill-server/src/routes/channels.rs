//! Channels: get-or-create, query, update, partial update, delete, truncate, hide and show, read state, client
//! events and stop-watching.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, Payload};
use crate::fanout::channel_event;
use crate::purge::Purge;
use crate::registry::Audience;
use crate::reply::Reply;
use crate::routes::{check_connection, named_user, with_renderer};
use crate::ws::publish_watching;
use axum::extract::State;
use rill_core::auth::Identity;
use rill_core::ids::{ChannelId, ChannelType, Cid};
use rill_core::model::{ChannelView, User, UserDirectory};
use rill_core::ops::channels::{ChannelUpdate, Creation, TruncateOptions};
use rill_core::ops::{self, Outcome};
use rill_protocol::event::Event;
use rill_protocol::request::{
    ActingUserRequest, GetOrCreateChannelRequest, MarkUnreadRequest, PartialUpdateRequest, QueryChannelsRequest,
    QueryMembersRequest, SendEventRequest, TruncateChannelRequest, UpdateChannelRequest, UserQuery,
};
use rill_protocol::response::{
    ChannelBody, Empty, EventBody, MembersResponse, QueryChannelsResponse, UpdateChannelResponse,
};
use rill_protocol::types::ChannelState;

const WATCHERS_SHOWN: usize = 100;

fn cid_of(channel_type: &ChannelType, id: &ChannelId) -> Cid {
    Cid::new(channel_type, id)
}

/// Subscribes the request's connection to channels (`watch: true`) and members' presence (`presence: true`).
/// Only a connection of the token's own user may be subscribed.
fn subscribe(
    state: &AppState,
    auth: &Auth,
    views: &[ChannelView],
    users: &UserDirectory,
    watch: bool,
    presence: bool,
) -> ApiResult<()> {
    check_connection(state, auth, watch, presence)?;
    let (Some(connection_id), Identity::User { user_id, .. }) = (&auth.connection_id, &auth.identity) else {
        return Ok(());
    };
    if watch {
        for view in views {
            if let Some((started, count)) = state.registry().watch(connection_id, &view.channel.cid) {
                if started {
                    if let Some(user) = users.get(user_id.as_str()) {
                        publish_watching(state, &auth.app, &view.channel, user, true, count);
                    }
                }
            }
        }
    }
    if presence {
        let mut ids: Vec<String> = Vec::new();
        for view in views {
            ids.extend(view.members.iter().map(|member| member.user_id.clone()));
            ids.extend(state.registry().watchers(auth.app.id, &view.channel.cid, WATCHERS_SHOWN).1);
        }
        state.registry().follow(connection_id, &ids);
    }
    Ok(())
}

fn render_states(state: &AppState, auth: &Auth, views: &[ChannelView], users: &UserDirectory) -> Vec<ChannelState> {
    with_renderer(state, auth.app.id, users, |renderer| {
        views
            .iter()
            .filter_map(|view| {
                let config = rill_core::ops::channel_types::config_for(&auth.app, &view.channel.channel_type)?;
                let watchers = state.registry().watchers(auth.app.id, &view.channel.cid, WATCHERS_SHOWN);
                Some(renderer.channel_state(view, config, Some(watchers)))
            })
            .collect()
    })
}

async fn get_or_create_inner(
    state: AppState,
    auth: Auth,
    channel_type: ChannelType,
    id: Option<ChannelId>,
    request: GetOrCreateChannelRequest,
) -> ApiResult<Reply<ChannelState>> {
    let data = request.data.as_ref();
    let named = data.and_then(|data| named_user(&data.created_by_id, &data.created_by));
    let ctx = auth.context(&state, named);
    check_connection(&state, &auth, request.watch == Some(true), request.presence == Some(true))?;
    // A read first: an existing channel changes nothing, so the writer is needed only to create one.
    let input = (ctx, channel_type, id, request.clone());
    let found = state
        .store()
        .read_for_app(auth.app.id, input.clone(), |tx, (ctx, channel_type, id, query)| {
            Box::pin(ops::channels::get_or_create_channel(
                tx,
                ctx,
                channel_type,
                id.as_ref(),
                query,
                Creation::ReadOnly,
            ))
        })
        .await?;
    let outcome = match found {
        Some(outcome) => {
            state.publish(&auth.app, &outcome.notices, &outcome.users);
            outcome
        }
        None => {
            state
                .commit(&auth.app, input, |tx, (ctx, channel_type, id, query)| {
                    Box::pin(async move {
                        ops::channels::get_or_create_channel(
                            tx,
                            ctx,
                            channel_type,
                            id.as_ref(),
                            query,
                            Creation::Allowed,
                        )
                        .await?
                        .ok_or_else(|| rill_core::error::CoreError::internal("the channel was not created"))
                    })
                })
                .await?
        }
    };
    let views = [outcome.value];
    subscribe(&state, &auth, &views, &outcome.users, request.watch == Some(true), request.presence == Some(true))?;
    let mut states = render_states(&state, &auth, &views, &outcome.users);
    states
        .pop()
        .map(Reply)
        .ok_or_else(|| ApiError::new(rill_protocol::error::ErrorCode::Internal, "channel state missing"))
}

pub(crate) async fn get_or_create(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<GetOrCreateChannelRequest>,
) -> ApiResult<Reply<ChannelState>> {
    get_or_create_inner(state, auth, channel_type, Some(id), request).await
}

pub(crate) async fn get_or_create_distinct(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(channel_type): ApiPath<ChannelType>,
    ApiJson(request): ApiJson<GetOrCreateChannelRequest>,
) -> ApiResult<Reply<ChannelState>> {
    get_or_create_inner(state, auth, channel_type, None, request).await
}

pub(crate) async fn query_channels(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<QueryChannelsRequest>,
) -> ApiResult<Reply<QueryChannelsResponse>> {
    let ctx = auth.context(&state, request.user_id.clone());
    let query = request.clone();
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, query), |tx, (ctx, query)| {
            Box::pin(ops::channels::query_channels(tx, ctx, query))
        })
        .await?;
    subscribe(
        &state,
        &auth,
        &outcome.value,
        &outcome.users,
        request.watch == Some(true),
        request.presence == Some(true),
    )?;
    let mut users = outcome.users;
    if let Identity::User { user_id, .. } = &auth.identity {
        if !users.contains_key(user_id.as_str()) {
            let app_id = auth.app.id;
            let lookup = user_id.clone();
            if let Some(user) = state
                .store()
                .read_for_app(auth.app.id, (app_id, lookup), |tx, (app_id, lookup)| tx.user(*app_id, lookup))
                .await?
            {
                users.insert(user.id.clone(), user);
            }
        }
    }
    Ok(Reply(QueryChannelsResponse { channels: render_states(&state, &auth, &outcome.value, &users) }))
}

/// `GET /members`.
pub(crate) async fn query_members(
    State(state): State<AppState>,
    auth: Auth,
    Payload(request): Payload<QueryMembersRequest>,
) -> ApiResult<Reply<MembersResponse>> {
    let ctx = auth.context(&state, request.user_id.clone());
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::channels::query_members(tx, ctx, request))
        })
        .await?;
    let (channel, members) = &outcome.value;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        Reply(MembersResponse { members: members.iter().map(|member| renderer.member(member, channel)).collect() })
    }))
}

/// The answer of a committed channel update (its notices are published by `AppState::commit`).
fn update_response(state: &AppState, auth: &Auth, outcome: Outcome<ChannelUpdate>) -> Reply<UpdateChannelResponse> {
    let update = &outcome.value;
    with_renderer(state, auth.app.id, &outcome.users, |renderer| {
        Reply(UpdateChannelResponse {
            channel: renderer.channel(&update.channel, None, None),
            members: update.members.iter().map(|member| renderer.member(member, &update.channel)).collect(),
            message: update.message.as_ref().map(|message| renderer.message(message)),
        })
    })
}

pub(crate) async fn update_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<UpdateChannelRequest>,
) -> ApiResult<Reply<UpdateChannelResponse>> {
    let named = named_user(&request.user_id, &request.user)
        .or_else(|| request.message.as_ref().and_then(|message| named_user(&message.user_id, &message.user)));
    let ctx = auth.context(&state, named);
    let cid = cid_of(&channel_type, &id);
    let outcome = state
        .commit(&auth.app, (ctx, cid, request), |tx, (ctx, cid, request)| {
            Box::pin(ops::channels::update_channel(tx, ctx, cid, request.clone()))
        })
        .await?;
    Ok(update_response(&state, &auth, outcome))
}

pub(crate) async fn partial_update_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<PartialUpdateRequest>,
) -> ApiResult<Reply<UpdateChannelResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let cid = cid_of(&channel_type, &id);
    let outcome = state
        .commit(&auth.app, (ctx, cid, request), |tx, (ctx, cid, request)| {
            Box::pin(ops::channels::partial_update_channel(tx, ctx, cid, request.clone()))
        })
        .await?;
    Ok(update_response(&state, &auth, outcome))
}

pub(crate) async fn delete_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> ApiResult<Reply<ChannelBody>> {
    let ctx = auth.context(&state, query.user_id);
    let cid = cid_of(&channel_type, &id);
    let outcome = state
        .commit(&auth.app, (ctx, cid), |tx, (ctx, cid)| Box::pin(ops::channels::delete_channel(tx, ctx, cid)))
        .await?;
    if let Some(before) = outcome.value.deleted_at {
        state.purger().schedule(Purge::Channel { app_id: auth.app.id, cid: outcome.value.cid.clone(), before });
    }
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        Reply(ChannelBody { channel: renderer.channel(&outcome.value, None, None) })
    }))
}

pub(crate) async fn truncate_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<TruncateChannelRequest>,
) -> ApiResult<Reply<UpdateChannelResponse>> {
    let named = named_user(&request.user_id, &request.user)
        .or_else(|| request.message.as_ref().and_then(|message| named_user(&message.user_id, &message.user)));
    let ctx = auth.context(&state, named);
    let truncated_at = match &request.truncated_at {
        Some(text) => Some(
            rill_protocol::time::parse(text)
                .ok_or_else(|| ApiError::input(format!("truncated_at {text:?} is not an RFC 3339 time")))?,
        ),
        None => None,
    };
    let options = TruncateOptions {
        hard_delete: request.hard_delete.unwrap_or(false),
        truncated_at,
        message: request.message,
        skip_push: request.skip_push.unwrap_or(false),
    };
    let cid = cid_of(&channel_type, &id);
    let hard = options.hard_delete;
    let outcome = state
        .commit(&auth.app, (ctx, cid, options), |tx, (ctx, cid, options)| {
            Box::pin(ops::channels::truncate_channel(tx, ctx, cid, options.clone()))
        })
        .await?;
    if let Some(before) = outcome.value.channel.truncated_at.filter(|_| hard) {
        state.purger().schedule(Purge::Channel { app_id: auth.app.id, cid: outcome.value.channel.cid.clone(), before });
    }
    Ok(update_response(&state, &auth, outcome))
}

pub(crate) async fn hide_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<ActingUserRequest>,
) -> ApiResult<Reply<Empty>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let cid = cid_of(&channel_type, &id);
    let clear_history = request.clear_history.unwrap_or(false);
    state
        .commit(&auth.app, (ctx, cid, clear_history), |tx, (ctx, cid, clear_history)| {
            Box::pin(ops::channels::hide_channel(tx, ctx, cid, *clear_history))
        })
        .await?;
    Ok(Reply(Empty {}))
}

pub(crate) async fn show_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<ActingUserRequest>,
) -> ApiResult<Reply<Empty>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let cid = cid_of(&channel_type, &id);
    state.commit(&auth.app, (ctx, cid), |tx, (ctx, cid)| Box::pin(ops::channels::show_channel(tx, ctx, cid))).await?;
    Ok(Reply(Empty {}))
}

pub(crate) async fn mark_read(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<ActingUserRequest>,
) -> ApiResult<Reply<EventBody>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let cid = cid_of(&channel_type, &id);
    let message_id = request.message_id.clone().filter(|id| !id.is_empty());
    let outcome = state
        .commit(&auth.app, (ctx, cid, message_id), |tx, (ctx, cid, message_id)| {
            Box::pin(ops::channels::mark_read(tx, ctx, cid, message_id.as_deref()))
        })
        .await?;
    let mark = &outcome.value;
    let mut event = channel_event(rill_protocol::event::kind::MESSAGE_READ, &mark.channel, state.store().now());
    event.user = with_renderer(&state, auth.app.id, &outcome.users, |renderer| Some(renderer.user(&mark.user_id)));
    event.last_read_message_id = mark.last_read_message_id.clone();
    Ok(Reply(EventBody { event }))
}

pub(crate) async fn mark_unread(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<MarkUnreadRequest>,
) -> ApiResult<Reply<Empty>> {
    if request.thread_id.is_some() {
        return Err(ApiError::input(
            "marking a thread unread is not supported yet: pass message_id or message_timestamp",
        ));
    }
    let timestamp = match &request.message_timestamp {
        Some(text) => Some(
            rill_protocol::time::parse(text)
                .ok_or_else(|| ApiError::input(format!("message_timestamp {text:?} is not an RFC 3339 time")))?,
        ),
        None => None,
    };
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let cid = cid_of(&channel_type, &id);
    let message_id = request.message_id.clone().filter(|id| !id.is_empty());
    state
        .commit(&auth.app, (ctx, cid, message_id, timestamp), |tx, (ctx, cid, message_id, timestamp)| {
            Box::pin(ops::channels::mark_unread(tx, ctx, cid, message_id.as_deref(), *timestamp))
        })
        .await?;
    Ok(Reply(Empty {}))
}

pub(crate) async fn mark_channels_read(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<ActingUserRequest>,
) -> ApiResult<Reply<Empty>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::channels::mark_channels_read(tx, ctx, request.read_by_channel.as_ref()))
        })
        .await?;
    Ok(Reply(Empty {}))
}

pub(crate) async fn send_event(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<SendEventRequest>,
) -> ApiResult<Reply<EventBody>> {
    let input = request.event;
    let ctx = auth.context(&state, named_user(&input.user_id, &input.user));
    let cid = cid_of(&channel_type, &id);
    let event_type = input.event_type.clone();
    let custom = input.custom.clone();
    let grant = state
        .store()
        .read_for_app(auth.app.id, (ctx, cid, event_type, custom), |tx, (ctx, cid, event_type, custom)| {
            Box::pin(ops::channels::authorize_event(tx, ctx, cid, event_type, custom))
        })
        .await?;
    let mut event: Event = channel_event(&input.event_type, &grant.channel, state.store().now());
    let user: &User = &grant.user;
    event.user =
        Some(crate::convert::user(user, state.registry().is_online(auth.app.id, &user.id), state.store().now()));
    event.parent_id = input.parent_id.as_ref().map(ToString::to_string);
    event.custom = input.custom.clone();
    let is_typing = input.event_type.starts_with("typing.");
    // A user who turned typing indicators off is never shown typing; the call still succeeds.
    if !is_typing || user.shares_typing() {
        let delivery = crate::bus::Delivery::new(Audience::Watchers { cid: grant.channel.cid.clone() }, event.clone());
        state.publish_deliveries(auth.app.id, vec![delivery]);
    }
    Ok(Reply(EventBody { event }))
}

pub(crate) async fn stop_watching(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
) -> ApiResult<Reply<Empty>> {
    let cid = cid_of(&channel_type, &id);
    let (Some(connection_id), Identity::User { user_id, .. }) = (&auth.connection_id, &auth.identity) else {
        return Ok(Reply(Empty {}));
    };
    if state.registry().owner(connection_id) != Some((auth.app.id, user_id.to_string())) {
        return Err(ApiError::input(format!(
            "connection_id {connection_id} is not a live connection of user {user_id}"
        )));
    }
    if let Some((true, count)) = state.registry().unwatch(connection_id, &cid) {
        let lookup = (auth.app.id, cid.to_string(), user_id.to_string());
        let found = state
            .store()
            .read_for_app(auth.app.id, lookup, |tx, (app_id, cid, user_id)| {
                Box::pin(async move { Ok((tx.channel(*app_id, cid).await?, tx.user(*app_id, user_id).await?)) })
            })
            .await?;
        if let (Some(channel), Some(user)) = found {
            publish_watching(&state, &auth.app, &channel, &user, false, count);
        }
    }
    Ok(Reply(Empty {}))
}
