//! `POST /moderation/mute`, `POST /moderation/unmute`.

use crate::app::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, Auth};
use crate::reply::Reply;
use crate::routes::{named_user, with_renderer};
use axum::extract::State;
use rill_core::ops::moderation::Mutes;
use rill_core::ops::{self, Outcome};
use rill_protocol::event::Event;
use rill_protocol::request::MuteRequest;
use rill_protocol::response::{MuteResponse, UnmuteResponse};
use rill_protocol::types::OwnUser;

pub(crate) async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<MuteRequest>,
) -> ApiResult<Reply<MuteResponse>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let (targets, timeout) = (request.targets(), request.timeout);
    let outcome = state
        .store()
        .write((ctx, targets, timeout), |tx, (ctx, targets, timeout)| {
            Box::pin(ops::moderation::mute_users(tx, ctx, targets, *timeout))
        })
        .await?;
    let own_user = announce(&state, &auth, &outcome).await?;
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
        .store()
        .write((ctx, targets), |tx, (ctx, targets)| Box::pin(ops::moderation::unmute_users(tx, ctx, targets)))
        .await?;
    announce(&state, &auth, &outcome).await?;
    Ok(Reply(UnmuteResponse { non_existing_users: non_existing(&outcome.value) }))
}

fn non_existing(mutes: &Mutes) -> Option<Vec<String>> {
    (!mutes.non_existing.is_empty()).then(|| mutes.non_existing.clone())
}

/// The muter as `me`, with their mutes now, sent to their connections as `notification.mutes_updated`.
async fn announce(state: &AppState, auth: &Auth, outcome: &Outcome<Mutes>) -> ApiResult<OwnUser> {
    let muter = &outcome.value.muter;
    let (app_id, ids) = (auth.app.id, vec![muter.id.clone()]);
    let totals = state.store().read_for_app(app_id, (app_id, ids), |tx, (app_id, ids)| tx.unread_totals(*app_id, ids));
    let totals = totals.await?.remove(&muter.id).unwrap_or_default();
    let own_user = with_renderer(state, app_id, &outcome.users, |renderer| {
        let mut own = crate::convert::own_user(muter, state.registry().is_online(app_id, &muter.id), totals);
        own.mutes = outcome.value.all.iter().map(|mute| crate::convert::user_mute(renderer, mute)).collect();
        own
    });
    let mut event = Event::new(rill_protocol::event::kind::NOTIFICATION_MUTES_UPDATED, state.store().now());
    event.me = Some(own_user.clone());
    let audience = crate::registry::Audience::User { user_id: muter.id.clone() };
    state.publish_deliveries(app_id, vec![crate::bus::Delivery::new(audience, event)]);
    Ok(own_user)
}
