//! The WebSocket gateway: `/connect` handshake, the per-connection loop, presence, and watching.
//!
//! Frame order follows the protocol: the first frame is `health.check` with `connection_id` and `me`, or
//! `connection.error` followed by a close with 1000 (final: clients do not retry). After that the server relays
//! events, answers the client's health checks, sends its own every 25 s, and closes a connection that has been
//! silent for 90 s. Shutdown closes with 1001 and a too-slow client with 1011, so both reconnect.

use crate::app::AppState;
use crate::bus::Delivery;
use crate::convert;
use crate::error::ApiError;
use crate::extract::{parse_json, query_map, ConnectAuth};
use crate::fanout::channel_event;
use crate::registry::{Audience, Frame};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use rill_core::auth::Identity;
use rill_core::model::{Actor, App, Channel, User};
use rill_core::ops::{self, Context};
use rill_protocol::event::{kind, Event};
use rill_protocol::limits::MAX_CLIENT_FRAME_BYTES;
use rill_protocol::request::{ConnectRequest, UserRequest};
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};

/// Socket buffer sizes, set deliberately: the library defaults cost over 100 KiB per idle connection.
const READ_BUFFER_BYTES: usize = 512;
/// Frames collect in the write buffer until this many bytes, or until the connection flushes its queue: zero
/// would make every frame its own system call, which is most of what delivery costs.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;
const MAX_WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// `GET /connect`. The request middleware has authenticated it (or found why not); a failure is reported in the
/// socket's first frame.
pub async fn connect(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return ApiError::input(format!("/connect needs a WebSocket upgrade: {rejection}")).into_response();
        }
    };
    let authenticated = parts.extensions.remove::<ConnectAuth>().map(|found| found.0).unwrap_or_else(|| {
        Err(ApiError::new(
            rill_protocol::error::ErrorCode::Internal,
            "the connection reached a handler unauthenticated",
        ))
    });
    let query = query_map(&parts);
    let handshake = authenticated.and_then(|auth| handshake(auth, &query));
    // Clients only send health checks: frames and messages over the limit close the socket (1009) before
    // their payload is buffered.
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES)
        .max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            match handshake {
                Ok(accepted) => run_connection(state, Box::new(socket), accepted).await,
                Err(error) => Box::pin(reject(socket, error)).await,
            }
        })
}

/// A verified connection request.
struct Accepted {
    app: Arc<App>,
    user_id: String,
    request: ConnectRequest,
}

/// Boxed: the result is captured by the connection task for its whole life, so it must be small.
fn handshake(
    auth: crate::extract::Auth,
    query: &std::collections::HashMap<String, String>,
) -> Result<Box<Accepted>, ApiError> {
    let crate::extract::Auth { app, identity, .. } = auth;
    let request: ConnectRequest = parse_json(query.get("json").map(String::as_bytes).unwrap_or(b"{}"))?;
    let requested = request.user_id.clone().or_else(|| request.user_details.as_ref().and_then(|user| user.id.clone()));
    let user_id = match (&identity, requested) {
        (Identity::User { user_id, .. }, Some(requested)) if *user_id == requested => user_id.to_string(),
        (Identity::User { user_id, .. }, None) => user_id.to_string(),
        (Identity::User { user_id, .. }, Some(requested)) => {
            return Err(ApiError::new(
                rill_protocol::error::ErrorCode::NotAuthenticated,
                format!("token is for user {user_id:?} but the connection is for {requested:?}"),
            ))
        }
        // Sockets belong to users: a server token would let one connection speak for anyone.
        (Identity::Server, _) => {
            return Err(ApiError::new(
                rill_protocol::error::ErrorCode::NotAuthenticated,
                "connect needs a user token, not a server token",
            ))
        }
    };
    if let Some(details) = &request.user_details {
        if details.id.as_ref().is_some_and(|id| *id != user_id.as_str()) {
            return Err(ApiError::new(
                rill_protocol::error::ErrorCode::NotAuthenticated,
                "user_details.id must match the token's user_id",
            ));
        }
    }
    Ok(Box::new(Accepted { app, user_id, request }))
}

fn text(event: &Event) -> Frame {
    Frame::from(serde_json::to_string(event).unwrap_or_default())
}

async fn reject(mut socket: WebSocket, error: ApiError) {
    refuse(&mut socket, error).await;
}

/// Sends `connection.error` and closes with 1000: the client will not retry.
async fn refuse(socket: &mut WebSocket, error: ApiError) {
    let mut event = Event::new(kind::CONNECTION_ERROR, chrono::Utc::now());
    event.connection_id = Some(String::new());
    event.error = Some(
        crate::request::scope(
            crate::request::RequestInfo {
                operation: "Connect",
                started: std::time::Instant::now(),
                created_status: false,
            },
            async { error.body() },
        )
        .await,
    );
    let _ = socket.send(Message::Text(text(&event))).await;
    let _ = socket.send(Message::Close(Some(CloseFrame { code: 1000, reason: "authentication failed".into() }))).await;
}

fn context(state: &AppState, app: &Arc<App>, user_id: &str) -> Context {
    Context { app: app.clone(), actor: Actor::User { user_id: user_id.to_owned() }, now: state.store().now() }
}

/// Announces a presence change to followers and the user's own connections.
pub fn publish_presence(state: &AppState, app: &App, user: &User, online: bool) {
    if user.invisible() {
        return;
    }
    let mut event = Event::new(kind::USER_PRESENCE_CHANGED, state.store().now());
    event.user = Some(convert::user(user, online, state.store().now()));
    let delivery = Delivery::new(Audience::Presence { user_id: user.id.clone() }, event);
    state.publish_deliveries(app.id, vec![delivery]);
}

/// Announces that a user started or stopped watching a channel (when the type has connect events).
pub fn publish_watching(
    state: &AppState,
    app: &App,
    channel: &Channel,
    user: &User,
    started: bool,
    watcher_count: i64,
) {
    let connect_events = rill_core::ops::channel_types::config_for(app, &channel.channel_type)
        .is_some_and(|config| config.connect_events);
    if !connect_events {
        return;
    }
    let event_type = if started { kind::USER_WATCHING_START } else { kind::USER_WATCHING_STOP };
    let mut event = channel_event(event_type, channel, state.store().now());
    event.user = Some(convert::user(user, true, state.store().now()));
    event.watcher_count = Some(watcher_count);
    let delivery = Delivery::new(Audience::Watchers { cid: channel.cid.clone() }, event);
    state.publish_deliveries(app.id, vec![delivery]);
}

/// The frame of a server `health.check`; `me` only in the first one.
fn health_frame(
    connection_id: &str,
    now: chrono::DateTime<chrono::Utc>,
    me: Option<rill_protocol::types::OwnUser>,
) -> Frame {
    let mut event = Event::new(kind::HEALTH_CHECK, now);
    event.connection_id = Some(connection_id.to_owned());
    event.cid = Some("*".into());
    event.me = me;
    text(&event)
}

/// A registered connection, ready for its loop.
struct Session {
    connection_id: String,
    outbound: mpsc::Receiver<Frame>,
    overflow: Arc<Notify>,
}

/// Connects the user (store write), registers the connection and sends the first `health.check`. `None` when
/// the connection was refused or closed; the refusal has been sent.
async fn open_session(
    state: &AppState,
    socket: &mut WebSocket,
    app: &Arc<App>,
    user_id: &str,
    details: Option<UserRequest>,
    device: Option<rill_protocol::request::CreateDeviceRequest>,
    connection_id: String,
) -> Option<Session> {
    let ctx = context(state, app, user_id);
    let connected = state
        .store()
        .write((ctx, details, device), |tx, (ctx, details, device)| {
            Box::pin(ops::users::connect_user(tx, ctx, details.as_ref(), device.as_ref()))
        })
        .await;
    let connected = match connected {
        Ok(connected) => connected,
        Err(error) => {
            refuse(socket, error.into()).await;
            return None;
        }
    };
    let (sender, outbound) = mpsc::channel::<Frame>(state.gateway().queue_capacity);
    let overflow = Arc::new(Notify::new());
    let Some(first) = state.registry().register(&connection_id, app.id, user_id, sender, overflow.clone()) else {
        refuse(socket, ApiError::input(format!("user {user_id} has too many open connections"))).await;
        return None;
    };
    let user = connected.user.clone();
    let mut me = crate::routes::with_renderer(state, app.id, &connected.users, |renderer| {
        convert::own_user_with_mutes(renderer, &user, true, connected.totals, &connected.mutes)
    });
    me.devices = connected.devices.iter().map(convert::device).collect();
    let hello = health_frame(&connection_id, state.store().now(), Some(me));
    if first {
        publish_presence(state, app, &user, true);
    }
    if socket.send(Message::Text(hello)).await.is_err() {
        finish(state, app, &connection_id).await;
        return None;
    }
    Some(Session { connection_id, outbound, overflow })
}

/// One connection from handshake to close. The task lives as long as the socket, so its size is a per-socket
/// cost: setup and teardown run in boxed futures, the socket itself is boxed, and no large value is held across
/// an await in the loop, which keeps an idle connection's task small.
async fn run_connection(state: AppState, mut socket: Box<WebSocket>, accepted: Box<Accepted>) {
    let _guard = state.socket_guard();
    let Accepted { app, user_id, request: ConnectRequest { user_details: details, device, .. } } = *accepted;
    let handshake_timeout = state.gateway().handshake_timeout;
    // The id is chosen here so that a handshake cut off after registering can still be unregistered.
    let connection_id = uuid::Uuid::new_v4().to_string();
    let opening = Box::pin(open_session(&state, &mut socket, &app, &user_id, details, device, connection_id.clone()));
    let session = match tokio::time::timeout(handshake_timeout, opening).await {
        Ok(Some(session)) => session,
        Ok(None) => return,
        Err(_) => {
            Box::pin(finish(&state, &app, &connection_id)).await;
            let reason = "the handshake did not complete in time: reconnect";
            let closing = socket.send(Message::Close(Some(CloseFrame { code: 1001, reason: reason.into() })));
            let _ = Box::pin(tokio::time::timeout(handshake_timeout, closing)).await;
            return;
        }
    };
    let Session { connection_id, mut outbound, overflow } = session;
    tracing::debug!(user_id, connection_id, "websocket connected");

    let mut shutdown = state.shutdown_signal();
    let mut health = tokio::time::interval(state.gateway().health_interval);
    health.tick().await;
    let idle_timeout = state.gateway().idle_timeout;
    let mut last_heard = tokio::time::Instant::now();
    let close = loop {
        tokio::select! {
            frame = outbound.recv() => {
                let Some(frame) = frame else { break None };
                // Send what is queued in one flush: under load a connection gets many events at once.
                let write = async {
                    let mut failed = socket.feed(Message::Text(frame)).await.is_err();
                    while !failed {
                        match outbound.try_recv() {
                            Ok(frame) => failed = socket.feed(Message::Text(frame)).await.is_err(),
                            Err(_) => break,
                        }
                    }
                    failed || socket.flush().await.is_err()
                };
                match Box::pin(interruptible(write, &overflow, &mut shutdown)).await {
                    Ok(false) => {}
                    Ok(true) => break None,
                    Err(close) => break Some(close),
                }
            }
            incoming = socket.recv() => {
                match incoming {
                    Some(Ok(Message::Text(body))) => {
                        last_heard = tokio::time::Instant::now();
                        if body.contains("health.check") {
                            let reply = health_frame(&connection_id, state.store().now(), None);
                            let write = async { socket.send(Message::Text(reply)).await.is_err() };
                            match Box::pin(interruptible(write, &overflow, &mut shutdown)).await {
                                Ok(false) => {}
                                Ok(true) => break None,
                                Err(close) => break Some(close),
                            }
                        }
                    }
                    Some(Err(error)) => break is_too_big(error).then_some(TOO_BIG),
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
                }
            }
            _ = health.tick() => {
                if last_heard.elapsed() > idle_timeout {
                    // Not 1000: clients take that as final, and a client that went quiet should reconnect.
                    break Some((1001, "no client frame within the idle timeout"));
                }
                let beat = health_frame(&connection_id, state.store().now(), None);
                let write = async { socket.send(Message::Text(beat)).await.is_err() };
                match Box::pin(interruptible(write, &overflow, &mut shutdown)).await {
                    Ok(false) => {}
                    Ok(true) => break None,
                    Err(close) => break Some(close),
                }
            }
            _ = overflow.notified() => break Some(TOO_SLOW),
            _ = shutdown.changed() => break Some(SHUTTING_DOWN),
        }
    };
    // Unregister before closing: a client that stopped reading must not stay online and watching while its close
    // frame waits behind the data it has not read.
    Box::pin(finish(&state, &app, &connection_id)).await;
    if let Some((code, reason)) = close {
        let closing = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() })));
        // A client that never reads again never takes the close frame: drop the connection after the idle timeout.
        let _ = Box::pin(tokio::time::timeout(idle_timeout, closing)).await;
    }
}

const TOO_SLOW: (u16, &str) = (1011, "client is too slow: reconnect and resync");
const TOO_BIG: (u16, &str) = (1009, "frames from clients are limited to 64 KiB");

/// Whether a read failed because the client sent a frame or message over the limit (which the library refuses
/// from the frame header, before buffering the payload).
fn is_too_big(error: axum::Error) -> bool {
    matches!(error.into_inner().downcast::<tungstenite::Error>().as_deref(), Ok(tungstenite::Error::Capacity(_)))
}
const SHUTTING_DOWN: (u16, &str) = (1001, "server is shutting down");

/// Runs a write to the client unless the connection must close first. Once a client stops reading, a write
/// blocks when the socket buffers are full; the queue then overflows (1011) or the server shuts down (1001), and
/// either closes the connection without waiting for the write. `Ok` says whether the write failed.
async fn interruptible(
    write: impl std::future::Future<Output = bool>,
    overflow: &Notify,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<bool, (u16, &'static str)> {
    tokio::select! {
        failed = write => Ok(failed),
        _ = overflow.notified() => Err(TOO_SLOW),
        _ = shutdown.changed() => Err(SHUTTING_DOWN),
    }
}

/// Unregisters a closed connection and announces what that changed.
async fn finish(state: &AppState, app: &Arc<App>, connection_id: &str) {
    let Some(closed) = state.registry().unregister(connection_id) else { return };
    let ctx = context(state, app, &closed.user_id);
    let user_id = closed.user_id.clone();
    let user = if closed.last_connection {
        state
            .store()
            .write((ctx, user_id), |tx, (ctx, user_id)| Box::pin(ops::users::touch_last_active(tx, ctx, user_id)))
            .await
    } else {
        state.store().read((ctx, user_id), |tx, (ctx, user_id)| tx.user(ctx.app_id(), user_id)).await
    };
    let Ok(Some(user)) = user else { return };
    for (cid, watcher_count) in &closed.stopped_watching {
        let app_id = app.id;
        let lookup = cid.clone();
        if let Ok(Some(channel)) =
            state.store().read((app_id, lookup), |tx, (app_id, lookup)| tx.channel(*app_id, lookup)).await
        {
            publish_watching(state, app, &channel, &user, false, *watcher_count);
        }
    }
    if closed.last_connection {
        publish_presence(state, app, &user, false);
    }
}
