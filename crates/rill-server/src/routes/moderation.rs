//! `POST /moderation/mute` and `/unmute`, `/mute/channel` and `/unmute/channel`; `POST` and `DELETE /moderation/ban`, `GET /query_banned_users`;
//! `POST /moderation/flag` and `/unflag`, `GET /moderation/flags/message`.

use crate::app::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth, Payload};
use crate::reply::Reply;
use crate::routes::{named_user, with_renderer};
use axum::extract::State;
use rill_core::model::{User, UserDirectory};
use rill_core::ops::moderation::{ChannelMutes, Flagged, Mutes, OwnMutes};
use rill_core::ops::{self, Outcome};
use rill_protocol::event::kind::{NOTIFICATION_CHANNEL_MUTES_UPDATED, NOTIFICATION_MUTES_UPDATED};
use rill_protocol::event::Event;
use rill_protocol::request::{
    BanRequest, FlagRequest, MuteChannelRequest, MuteRequest, QueryBannedUsersRequest, QueryFutureChannelBansRequest,
    QueryMessageFlagsRequest, UnbanQuery,
};
use rill_protocol::response::{
    Empty, FlagResponse, MuteChannelResponse, MuteResponse, QueryBannedUsersResponse, QueryFutureChannelBansResponse,
    QueryMessageFlagsResponse, UnmuteResponse,
};
use rill_protocol::types::OwnUser;

pub(crate) async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<MuteRequest>,
) -> ApiResult<Reply<MuteResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let (targets, timeout) = (request.targets(), request.timeout);
    let outcome = state
        .commit(&auth.app, (ctx, targets, timeout), |tx, (ctx, targets, timeout)| {
            Box::pin(ops::moderation::mute_users(tx, ctx, targets, *timeout))
        })
        .await?;
    let Mutes { muter, own, .. } = &outcome.value;
    let own_user = announce(&state, &auth, muter, own, &outcome.users, NOTIFICATION_MUTES_UPDATED).await?;
    let made = with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        outcome.value.made.iter().map(|mute| crate::convert::user_mute(renderer, mute)).collect::<Vec<_>>()
    });
    Ok(Reply(MuteResponse {
        mute: if made.len() == 1 { made.first().cloned() } else { None },
        mutes: made,
        own_user,
        non_existing_users: non_existing(&outcome.value),
    }))
}

pub(crate) async fn unmute(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<MuteRequest>,
) -> ApiResult<Reply<UnmuteResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let targets = request.targets();
    let outcome = state
        .commit(&auth.app, (ctx, targets), |tx, (ctx, targets)| {
            Box::pin(ops::moderation::unmute_users(tx, ctx, targets))
        })
        .await?;
    let Mutes { muter, own, .. } = &outcome.value;
    announce(&state, &auth, muter, own, &outcome.users, NOTIFICATION_MUTES_UPDATED).await?;
    Ok(Reply(UnmuteResponse { non_existing_users: non_existing(&outcome.value) }))
}

fn non_existing(mutes: &Mutes) -> Option<Vec<String>> {
    (!mutes.non_existing.is_empty()).then(|| mutes.non_existing.clone())
}

/// The muter as `me`, with their mutes now, sent to their connections as `event_type`
/// (`notification.mutes_updated` or `notification.channel_mutes_updated`).
async fn announce(
    state: &AppState,
    auth: &Auth,
    muter: &User,
    own: &OwnMutes,
    users: &UserDirectory,
    event_type: &str,
) -> ApiResult<OwnUser> {
    let (app_id, ids, now) = (auth.app.id, vec![muter.id.clone()], state.store().now());
    let totals = state
        .store()
        .read_for_app(app_id, (app_id, ids, now), |tx, (app_id, ids, now)| tx.unread_totals(*app_id, ids, *now));
    let totals = totals.await?.remove(&muter.id).unwrap_or_default();
    let own_user = with_renderer(state, app_id, users, |renderer| {
        crate::convert::own_user_with_mutes(renderer, muter, state.registry().is_online(app_id, &muter.id), totals, own)
    });
    let mut event = Event::new(event_type, state.store().now());
    event.me = Some(own_user.clone());
    let audience = crate::registry::Audience::User { user_id: muter.id.clone() };
    state.publish_deliveries(app_id, vec![crate::bus::Delivery::new(audience, event)]);
    Ok(own_user)
}

/// `POST /moderation/mute/channel`.
pub(crate) async fn mute_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<MuteChannelRequest>,
) -> ApiResult<Reply<MuteChannelResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::moderation::mute_channels(tx, ctx, request))
        })
        .await?;
    let ChannelMutes { muter, own, made } = &outcome.value;
    let own_user = announce(&state, &auth, muter, own, &outcome.users, NOTIFICATION_CHANNEL_MUTES_UPDATED).await?;
    let made = with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        made.iter().map(|mute| crate::convert::channel_mute(renderer, mute, &own.muted_channels)).collect::<Vec<_>>()
    });
    Ok(Reply(MuteChannelResponse {
        channel_mute: if made.len() == 1 { made.first().cloned() } else { None },
        channel_mutes: made,
        own_user,
    }))
}

/// `POST /moderation/unmute/channel`.
pub(crate) async fn unmute_channel(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<MuteChannelRequest>,
) -> ApiResult<Reply<UnmuteResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::moderation::unmute_channels(tx, ctx, request))
        })
        .await?;
    let ChannelMutes { muter, own, .. } = &outcome.value;
    announce(&state, &auth, muter, own, &outcome.users, NOTIFICATION_CHANNEL_MUTES_UPDATED).await?;
    Ok(Reply(UnmuteResponse { non_existing_users: None }))
}

/// `POST /moderation/ban`.
pub(crate) async fn ban(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<BanRequest>,
) -> ApiResult<Reply<Empty>> {
    let banner = request.banned_by_id.clone().or_else(|| request.banned_by.as_ref().map(|user| user.id.clone()));
    let ctx = auth.context(&state, banner.or_else(|| named_user(&request.user_id, &request.user)));
    state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| Box::pin(ops::moderation::ban_user(tx, ctx, request)))
        .await?;
    Ok(Reply(Empty {}))
}

/// `DELETE /moderation/ban`.
pub(crate) async fn unban(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<UnbanQuery>,
) -> ApiResult<Reply<Empty>> {
    let ctx = auth.context(&state, query.created_by.clone().or_else(|| query.user_id.clone()));
    state
        .commit(&auth.app, (ctx, query), |tx, (ctx, query)| Box::pin(ops::moderation::unban_user(tx, ctx, query)))
        .await?;
    Ok(Reply(Empty {}))
}

/// `GET /query_banned_users?payload=`.
pub(crate) async fn query_banned_users(
    State(state): State<AppState>,
    auth: Auth,
    Payload(request): Payload<QueryBannedUsersRequest>,
) -> ApiResult<Reply<QueryBannedUsersResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::moderation::query_banned_users(tx, ctx, request))
        })
        .await?;
    let page = &outcome.value;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        let bans = page
            .bans
            .iter()
            .map(|ban| {
                let channel = ban
                    .channel_cid
                    .as_deref()
                    .and_then(|cid| page.channels.iter().find(|channel| channel.cid == cid))
                    .map(|channel| Box::new(renderer.channel(channel, None, None)));
                rill_protocol::types::Ban {
                    user: Some(renderer.user(&ban.user_id)),
                    banned_by: ban.created_by.as_deref().map(|id| renderer.user(id)),
                    channel,
                    reason: ban.reason.clone(),
                    expires: ban.expires,
                    shadow: ban.shadow,
                    created_at: ban.created_at,
                }
            })
            .collect();
        Reply(QueryBannedUsersResponse { bans })
    }))
}

/// `POST /moderation/flag`.
pub(crate) async fn flag(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<FlagRequest>,
) -> ApiResult<Reply<FlagResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| Box::pin(ops::moderation::flag(tx, ctx, request)))
        .await?;
    Ok(flag_reply(&state, &auth, &outcome))
}

/// `POST /moderation/unflag`.
pub(crate) async fn unflag(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<FlagRequest>,
) -> ApiResult<Reply<FlagResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .commit(&auth.app, (ctx, request), |tx, (ctx, request)| Box::pin(ops::moderation::unflag(tx, ctx, request)))
        .await?;
    Ok(flag_reply(&state, &auth, &outcome))
}

fn flag_reply(state: &AppState, auth: &Auth, outcome: &Outcome<Flagged>) -> Reply<FlagResponse> {
    let flag = &outcome.value.flag;
    with_renderer(state, auth.app.id, &outcome.users, |renderer| {
        Reply(FlagResponse {
            flag: rill_protocol::types::Flag {
                created_by_automod: false,
                user: Some(renderer.user(&flag.user_id)),
                target_message_id: flag.target_message_id.clone(),
                target_user: Some(renderer.user(&flag.target_user_id)),
                reason: flag.reason.clone(),
                custom: flag.data.clone(),
                created_at: flag.created_at,
                updated_at: flag.updated_at,
                reviewed_at: flag.reviewed_at,
                reviewed_by: flag.reviewed_by.clone(),
                approved_at: flag.approved_at,
                rejected_at: flag.rejected_at,
            },
            review_queue_item_id: flag.id.clone(),
        })
    })
}

/// `GET /moderation/flags/message?payload=`.
pub(crate) async fn query_message_flags(
    State(state): State<AppState>,
    auth: Auth,
    Payload(request): Payload<QueryMessageFlagsRequest>,
) -> ApiResult<Reply<QueryMessageFlagsResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::moderation::query_message_flags(tx, ctx, request))
        })
        .await?;
    let page = &outcome.value;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        let flags = page
            .flags
            .iter()
            .map(|flag| {
                let message =
                    page.messages.iter().find(|view| Some(&view.message.id) == flag.target_message_id.as_ref());
                let message = message.map(|view| {
                    let mut rendered = renderer.message(view);
                    rendered.channel = page
                        .channels
                        .iter()
                        .find(|channel| channel.cid == view.message.cid)
                        .map(|channel| Box::new(renderer.channel(channel, None, None)));
                    Box::new(rendered)
                });
                rill_protocol::types::MessageFlag {
                    created_by_automod: false,
                    message,
                    user: Some(renderer.user(&flag.user_id)),
                    reason: flag.reason.clone(),
                    custom: flag.data.clone(),
                    created_at: flag.created_at,
                    updated_at: flag.updated_at,
                    reviewed_at: flag.reviewed_at,
                    reviewed_by: flag.reviewed_by.as_deref().map(|id| renderer.user(id)),
                    approved_at: flag.approved_at,
                    rejected_at: flag.rejected_at,
                }
            })
            .collect();
        Reply(QueryMessageFlagsResponse { flags })
    }))
}

/// `GET /query_future_channel_bans?payload=`.
pub(crate) async fn query_future_channel_bans(
    State(state): State<AppState>,
    auth: Auth,
    Payload(request): Payload<QueryFutureChannelBansRequest>,
) -> ApiResult<Reply<QueryFutureChannelBansResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, request), |tx, (ctx, request)| {
            Box::pin(ops::moderation::query_future_channel_bans(tx, ctx, request))
        })
        .await?;
    let (bans, total) = &outcome.value;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        let bans = bans
            .iter()
            .map(|ban| rill_protocol::types::FutureChannelBan {
                user: Some(renderer.user(&ban.user_id)),
                banned_by: ban.created_by.as_deref().map(|id| renderer.user(id)),
                reason: ban.reason.clone(),
                expires: ban.expires,
                shadow: ban.shadow,
                created_at: ban.created_at,
            })
            .collect();
        Reply(QueryFutureChannelBansResponse { bans, total: *total })
    }))
}
