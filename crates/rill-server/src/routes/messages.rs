//! Messages: send, get, update, partial update, delete, replies, reactions, search.

use crate::app::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, Payload};
use crate::reply::Reply;
use crate::routes::{named_user, with_renderer};
use axum::extract::State;
use rill_core::ids::{ChannelId, ChannelType, Cid, MessageId, ReactionType};
use rill_core::model::{Channel, MessageView, Reaction};
use rill_core::ops::messages::ReactionInput;
use rill_core::ops::{self, Outcome};
use rill_protocol::request::{
    DeleteMessageQuery, ManyMessagesQuery, PagingQuery, PartialUpdateRequest, PinnedMessagesQuery, SearchRequest,
    SendMessageRequest, SendReactionRequest, UserQuery,
};
use rill_protocol::response::{MessageBody, MessagesBody, ReactionBody, ReactionsBody, SearchResponse, SearchResult};

fn message_reply(state: &AppState, auth: &Auth, outcome: &Outcome<MessageView>) -> Reply<MessageBody> {
    with_renderer(state, auth.app.id, &outcome.users, |renderer| {
        Reply(MessageBody { message: renderer.message(&outcome.value) })
    })
}

pub(crate) async fn send_message(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiJson(request): ApiJson<SendMessageRequest>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, named_user(&request.message.user_id, &request.message.user));
    let cid = Cid::new(&channel_type, &id);
    let outcome = state
        .commit(&auth.app, (ctx, cid, request), |tx, (ctx, cid, request)| {
            Box::pin(ops::messages::send_message(tx, ctx, cid, request.clone()))
        })
        .await?;
    Ok(message_reply(&state, &auth, &outcome))
}

pub(crate) async fn get_message(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(message_id): ApiPath<MessageId>,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, query.user_id);
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, message_id), |tx, (ctx, message_id)| {
            Box::pin(ops::messages::get_message(tx, ctx, message_id))
        })
        .await?;
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
    ApiPath(message_id): ApiPath<MessageId>,
    ApiJson(request): ApiJson<SendMessageRequest>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, named_user(&request.message.user_id, &request.message.user));
    let outcome = state
        .commit(&auth.app, (ctx, message_id, request), |tx, (ctx, message_id, request)| {
            Box::pin(ops::messages::update_message(tx, ctx, message_id, request.message.clone()))
        })
        .await?;
    Ok(message_reply(&state, &auth, &outcome))
}

pub(crate) async fn partial_update_message(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(message_id): ApiPath<MessageId>,
    ApiJson(request): ApiJson<PartialUpdateRequest>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, named_user(&request.user_id, &request.user));
    let outcome = state
        .commit(&auth.app, (ctx, message_id, request), |tx, (ctx, message_id, request)| {
            Box::pin(ops::messages::partial_update_message(tx, ctx, message_id, request.clone()))
        })
        .await?;
    Ok(message_reply(&state, &auth, &outcome))
}

pub(crate) async fn delete_message(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(message_id): ApiPath<MessageId>,
    ApiQuery(query): ApiQuery<DeleteMessageQuery>,
) -> ApiResult<Reply<MessageBody>> {
    let ctx = auth.context(&state, query.deleted_by);
    let hard = query.hard;
    let outcome = state
        .commit(&auth.app, (ctx, message_id, hard), |tx, (ctx, message_id, hard)| {
            Box::pin(ops::messages::delete_message(tx, ctx, message_id, *hard))
        })
        .await?;
    Ok(message_reply(&state, &auth, &outcome))
}

pub(crate) async fn many_messages(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiQuery(query): ApiQuery<ManyMessagesQuery>,
) -> ApiResult<Reply<MessagesBody>> {
    let ctx = auth.context(&state, query.user_id);
    let cid = Cid::new(&channel_type, &id).to_string();
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, cid, query.ids), |tx, (ctx, cid, ids)| {
            Box::pin(ops::messages::many_messages(tx, ctx, cid, ids))
        })
        .await?;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        Reply(MessagesBody { messages: outcome.value.iter().map(|view| renderer.message(view)).collect() })
    }))
}

pub(crate) async fn pinned_messages(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((channel_type, id)): ApiPath<(ChannelType, ChannelId)>,
    ApiQuery(query): ApiQuery<PinnedMessagesQuery>,
) -> ApiResult<Reply<MessagesBody>> {
    let ctx = auth.context(&state, query.user_id.clone());
    let cid = Cid::new(&channel_type, &id).to_string();
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, cid, query), |tx, (ctx, cid, query)| {
            Box::pin(ops::messages::pinned_messages(tx, ctx, cid, query))
        })
        .await?;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        Reply(MessagesBody { messages: outcome.value.iter().map(|view| renderer.message(view)).collect() })
    }))
}

pub(crate) async fn replies(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(parent_id): ApiPath<MessageId>,
    ApiQuery(query): ApiQuery<PagingQuery>,
) -> ApiResult<Reply<MessagesBody>> {
    let paging = query.paging();
    let ctx = auth.context(&state, query.user_id);
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, parent_id, paging), |tx, (ctx, parent_id, paging)| {
            Box::pin(ops::messages::replies(tx, ctx, parent_id, paging))
        })
        .await?;
    Ok(with_renderer(&state, auth.app.id, &outcome.users, |renderer| {
        Reply(MessagesBody { messages: outcome.value.iter().map(|view| renderer.message(view)).collect() })
    }))
}

fn reaction_reply(state: &AppState, auth: &Auth, outcome: Outcome<(MessageView, Reaction)>) -> Reply<ReactionBody> {
    let (view, reaction) = &outcome.value;
    with_renderer(state, auth.app.id, &outcome.users, |renderer| {
        Reply(ReactionBody { message: renderer.message(view), reaction: renderer.reaction(reaction) })
    })
}

pub(crate) async fn send_reaction(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(message_id): ApiPath<MessageId>,
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
    let outcome = state
        .commit(&auth.app, (ctx, message_id, input), |tx, (ctx, message_id, input)| {
            Box::pin(ops::messages::send_reaction(tx, ctx, message_id, input.clone()))
        })
        .await?;
    Ok(reaction_reply(&state, &auth, outcome))
}

pub(crate) async fn delete_reaction(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((message_id, reaction_type)): ApiPath<(MessageId, ReactionType)>,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> ApiResult<Reply<ReactionBody>> {
    let ctx = auth.context(&state, query.user_id);
    let outcome = state
        .commit(&auth.app, (ctx, message_id, reaction_type), |tx, (ctx, message_id, reaction_type)| {
            Box::pin(ops::messages::delete_reaction(tx, ctx, message_id, reaction_type))
        })
        .await?;
    Ok(reaction_reply(&state, &auth, outcome))
}

pub(crate) async fn reactions(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(message_id): ApiPath<MessageId>,
    ApiQuery(paging): ApiQuery<PagingQuery>,
) -> ApiResult<Reply<ReactionsBody>> {
    let ctx = auth.context(&state, paging.user_id.clone());
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, message_id, paging), |tx, (ctx, message_id, paging)| {
            Box::pin(ops::messages::reactions(tx, ctx, message_id, paging.limit, paging.offset))
        })
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
    let outcome = state
        .store()
        .read_for_app(auth.app.id, (ctx, query), |tx, (ctx, query)| Box::pin(ops::messages::search(tx, ctx, query)))
        .await?;
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
