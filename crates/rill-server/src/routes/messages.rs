//! Messages: send, get, update, partial update, delete, replies, reactions, search.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth, Payload};
use crate::reply::Reply;
use crate::routes::{named_user, with_renderer};
use axum::extract::{Path, State};
use rill_core::model::{Channel, MessageView, Reaction};
use rill_core::ops::messages::ReactionInput;
use rill_core::ops::{self, Outcome};
use rill_protocol::request::{Paging, PartialUpdateRequest, SearchRequest, SendMessageRequest, SendReactionRequest};
use rill_protocol::response::{MessageBody, MessagesBody, ReactionBody, ReactionsBody, SearchResponse, SearchResult};

fn message_reply(state: &AppState, auth: &Auth, outcome: &Outcome<MessageView>) -> Reply<MessageBody> {
    with_renderer(state, auth.app.id, &outcome.users, |renderer| {
        Reply(MessageBody { message: renderer.message(&outcome.value) })
    })
}

pub(crate) async fn send_message(
    State(state): State<AppState>,
    auth: Auth,
    Path((channel_type, id)): Path<(String, String)>,
    ApiJson(request): ApiJson<SendMessageRequest>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, named_user(&request.message.user_id, &request.message.user));
    let cid = format!("{channel_type}:{id}");
    let outcome = state.store().write(move |tx| ops::messages::send_message(tx, &ctx, &cid, request)).await?;
    state.publish(&auth.app, &outcome.notices, &outcome.users);
    Ok(message_reply(&state, &auth, &outcome))
}

pub(crate) async fn get_message(
    State(state): State<AppState>,
    auth: Auth,
    Path(message_id): Path<String>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, auth.param("user_id").map(str::to_owned));
    let outcome = state.store().read(move |tx| ops::messages::get_message(tx, &ctx, &message_id)).await?;
    let (view, channel) = &outcome.value;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        let mut message = renderer.message(view);
        message.channel = Some(Box::new(renderer.channel(channel, None, None)));
        Reply(MessageBody { message })
    }))
}

pub(crate) async fn update_message(
    State(state): State<AppState>,
    auth: Auth,
    Path(message_id): Path<String>,
    ApiJson(request): ApiJson<SendMessageRequest>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, named_user(&request.message.user_id, &request.message.user));
    let outcome =
        state.store().write(move |tx| ops::messages::update_message(tx, &ctx, &message_id, request.message)).await?;
    state.publish(&auth.app, &outcome.notices, &outcome.users);
    Ok(message_reply(&state, &auth, &outcome))
}

pub(crate) async fn partial_update_message(
    State(state): State<AppState>,
    auth: Auth,
    Path(message_id): Path<String>,
    ApiJson(request): ApiJson<PartialUpdateRequest>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome =
        state.store().write(move |tx| ops::messages::partial_update_message(tx, &ctx, &message_id, request)).await?;
    state.publish(&auth.app, &outcome.notices, &outcome.users);
    Ok(message_reply(&state, &auth, &outcome))
}

pub(crate) async fn delete_message(
    State(state): State<AppState>,
    auth: Auth,
    Path(message_id): Path<String>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, auth.param("deleted_by").map(str::to_owned));
    let hard = auth.flag("hard");
    let outcome = state.store().write(move |tx| ops::messages::delete_message(tx, &ctx, &message_id, hard)).await?;
    state.publish(&auth.app, &outcome.notices, &outcome.users);
    Ok(message_reply(&state, &auth, &outcome))
}

fn paging(auth: &Auth) -> ApiResult<Paging> {
    let number = |name: &str| -> ApiResult<Option<i64>> {
        match auth.param(name) {
            None | Some("") => Ok(None),
            Some(text) => {
                text.parse().map(Some).map_err(|_| ApiError::input(format!("{name} must be a number, got {text:?}")))
            }
        }
    };
    let text = |name: &str| auth.param(name).filter(|value| !value.is_empty()).map(str::to_owned);
    Ok(Paging {
        limit: number("limit")?,
        offset: number("offset")?,
        id_lt: text("id_lt"),
        id_lte: text("id_lte"),
        id_gt: text("id_gt"),
        id_gte: text("id_gte"),
        id_around: text("id_around"),
    })
}

pub(crate) async fn replies(
    State(state): State<AppState>,
    auth: Auth,
    Path(parent_id): Path<String>,
) -> ApiResult<Reply<MessagesBody>> {
    let ctx = auth.context(&state, auth.param("user_id").map(str::to_owned));
    let paging = paging(&auth)?;
    let outcome = state.store().read(move |tx| ops::messages::replies(tx, &ctx, &parent_id, &paging)).await?;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        Reply(MessagesBody { messages: outcome.value.iter().map(|view| renderer.message(view)).collect() })
    }))
}

fn reaction_reply(state: &AppState, auth: &Auth, outcome: Outcome<(MessageView, Reaction)>) -> Reply<ReactionBody> {
    state.publish(&auth.app, &outcome.notices, &outcome.users);
    let (view, reaction) = &outcome.value;
    with_renderer(state, auth.app.id, &outcome.users, |renderer| {
        Reply(ReactionBody { message: renderer.message(view), reaction: renderer.reaction(reaction) })
    })
}

pub(crate) async fn send_reaction(
    State(state): State<AppState>,
    auth: Auth,
    Path(message_id): Path<String>,
    ApiJson(request): ApiJson<SendReactionRequest>,
) -> ApiResult<Reply<ReactionBody>> {
    let reaction = request.reaction;
    let ctx = auth.context(&state, named_user(&reaction.user_id, &reaction.user));
    let input = ReactionInput {
        reaction_type: reaction.reaction_type,
        score: reaction.score,
        custom: reaction.custom,
        enforce_unique: request.enforce_unique.unwrap_or(false),
    };
    let outcome = state.store().write(move |tx| ops::messages::send_reaction(tx, &ctx, &message_id, input)).await?;
    Ok(reaction_reply(&state, &auth, outcome))
}

pub(crate) async fn delete_reaction(
    State(state): State<AppState>,
    auth: Auth,
    Path((message_id, reaction_type)): Path<(String, String)>,
) -> ApiResult<Reply<ReactionBody>> {
    let ctx = auth.context(&state, auth.param("user_id").map(str::to_owned));
    let outcome =
        state.store().write(move |tx| ops::messages::delete_reaction(tx, &ctx, &message_id, &reaction_type)).await?;
    Ok(reaction_reply(&state, &auth, outcome))
}

pub(crate) async fn reactions(
    State(state): State<AppState>,
    auth: Auth,
    Path(message_id): Path<String>,
) -> ApiResult<Reply<ReactionsBody>> {
    let ctx = auth.context(&state, auth.param("user_id").map(str::to_owned));
    let paging = paging(&auth)?;
    let outcome = state
        .store()
        .read(move |tx| ops::messages::reactions(tx, &ctx, &message_id, paging.limit, paging.offset))
        .await?;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        Reply(ReactionsBody { reactions: outcome.value.iter().map(|reaction| renderer.reaction(reaction)).collect() })
    }))
}

pub(crate) async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Payload(request): Payload<SearchRequest>,
) -> ApiResult<Reply<SearchResponse>> {
    let ctx = auth.context(&state, request.user_id.clone());
    let query = request.clone();
    let outcome = state.store().read(move |tx| ops::messages::search(tx, &ctx, &query)).await?;
    let next = ops::messages::search_next(&request, outcome.value.len());
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        let results = outcome
            .value
            .iter()
            .map(|(view, channel): &(MessageView, Channel)| {
                let mut message = renderer.message(view);
                message.channel = Some(Box::new(renderer.channel(channel, None, None)));
                SearchResult { message }
            })
            .collect();
        Reply(SearchResponse { results, next, previous: None })
    }))
}
