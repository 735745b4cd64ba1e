//! Fan-out: turns the notices of a committed operation into events for audiences, publishes them on the bus,
//! and on each node delivers what arrives to the connections in the registry.
//!
//! Events are rendered per recipient only where they differ (the unread fields): the shared JSON is serialized
//! once and each recipient's fields are appended to it.

use crate::bus::{Batch, Delivery, MembersOf, UnreadFields};
use crate::convert::{self, Renderer};
use crate::registry::{Audience, Frame, Registry};
use rill_core::model::{App, Channel, Member, MessageView, UserDirectory};
use rill_core::ops::Notice;
use rill_core::store::Store;
use rill_protocol::event::{kind, Event};
use std::collections::HashMap;
use std::sync::Arc;

/// The fields every channel event carries.
pub fn channel_event(event_type: &str, channel: &Channel, now: chrono::DateTime<chrono::Utc>) -> Event {
    let mut event = Event::new(event_type, now);
    event.cid = Some(channel.cid.clone());
    event.channel_id = Some(channel.id.clone());
    event.channel_type = Some(channel.channel_type.clone());
    event.channel_member_count = Some(channel.member_count);
    event.channel_custom = Some(convert::channel_custom(channel));
    event.team = channel.team.clone();
    event
}

fn delivery(audience: Audience, event: Event) -> Delivery {
    Delivery::new(audience, event)
}

fn watchers(channel: &Channel) -> Audience {
    Audience::Watchers { cid: channel.cid.clone() }
}

fn members_not_watching(channel: &Channel, members: Vec<String>, except: Option<String>) -> Audience {
    Audience::MembersNotWatching { cid: channel.cid.clone(), members, except }
}

/// An event for the channel's members who are connected but not watching it, found at delivery
/// (`resolve_members`), so the operation that caused it read no member list.
fn to_connected_members(channel: &Channel, event: Event) -> Delivery {
    let mut to_members = delivery(members_not_watching(channel, Vec::new(), None), event);
    to_members.members_of = Some(MembersOf { cid: channel.cid.clone(), member_count: channel.member_count });
    to_members
}

/// A shadowed message's events go to its author alone: nobody else knows it exists.
fn only_author(message: &MessageView) -> Audience {
    Audience::User { user_id: message.message.user_id.clone() }
}

/// Builds the deliveries for a committed operation's notices.
pub fn deliveries(
    app: &App,
    notices: &[Notice],
    users: &UserDirectory,
    registry: &Registry,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Delivery> {
    let is_online = |user_id: &str| registry.is_online(app.id, user_id);
    let renderer = Renderer { users, is_online: &is_online, now };
    let config_of = |channel: &Channel| rill_core::ops::channel_types::config_for(app, &channel.channel_type);
    let event_channel = |channel: &Channel| Box::new(renderer.channel(channel, None, None));
    let mut out = Vec::new();
    for notice in notices {
        match notice {
            Notice::MessageNew { channel, message } => {
                let rendered = renderer.message(message);
                let mut event = channel_event(kind::MESSAGE_NEW, channel, now);
                event.channel_message_count = None;
                event.message_id = Some(rendered.id.clone());
                event.user = Some(rendered.user.clone());
                event.message = Some(Box::new(rendered));
                if message.message.shadowed {
                    out.push(delivery(only_author(message), event));
                    continue;
                }
                let members_of = MembersOf { cid: channel.cid.clone(), member_count: channel.member_count };
                let mut to_watchers = delivery(watchers(channel), event.clone());
                to_watchers.members_of = Some(members_of.clone());
                to_watchers.watcher_count_of = Some(channel.cid.clone());
                out.push(to_watchers);

                let mut notification = event;
                notification.event_type = kind::NOTIFICATION_MESSAGE_NEW.into();
                notification.channel = Some(event_channel(channel));
                let mut to_members = delivery(
                    members_not_watching(channel, Vec::new(), Some(message.message.user_id.clone())),
                    notification,
                );
                to_members.members_of = Some(members_of);
                to_members.watcher_count_of = Some(channel.cid.clone());
                out.push(to_members);
            }
            Notice::MessageUpdated { channel, message, by } | Notice::MessageDeleted { channel, message, by, .. } => {
                let deleted = matches!(notice, Notice::MessageDeleted { .. });
                let event_type = if deleted { kind::MESSAGE_DELETED } else { kind::MESSAGE_UPDATED };
                let mut event = channel_event(event_type, channel, now);
                let rendered = renderer.message(message);
                event.message_id = Some(rendered.id.clone());
                event.user = Some(renderer.user(by.as_deref().unwrap_or(&message.message.user_id)));
                event.message = Some(Box::new(rendered));
                if let Notice::MessageDeleted { hard, .. } = notice {
                    event.hard_delete = Some(*hard);
                }
                let audience = if message.message.shadowed { only_author(message) } else { watchers(channel) };
                out.push(delivery(audience, event));
            }
            Notice::Reaction { event_type, channel, message, reaction } => {
                let mut event = channel_event(event_type, channel, now);
                let rendered = renderer.message(message);
                event.message_id = Some(rendered.id.clone());
                // own_reactions are per viewer: the client merges them from `reaction`.
                let mut shared = rendered;
                shared.own_reactions = Vec::new();
                event.message = Some(Box::new(shared));
                event.reaction = Some(renderer.reaction(reaction));
                event.user = Some(renderer.user(&reaction.user_id));
                event.channel = Some(event_channel(channel));
                let audience = if message.message.shadowed { only_author(message) } else { watchers(channel) };
                out.push(delivery(audience, event));
            }
            Notice::MessageRead { channel, user_id, last_read_message_id, totals } => {
                let reader = users.get(user_id);
                let shares = reader.is_none_or(|user| user.shares_read_receipts());
                if shares && config_of(channel).is_some_and(|config| config.read_events) {
                    let mut event = channel_event(kind::MESSAGE_READ, channel, now);
                    event.user = Some(renderer.user(user_id));
                    event.last_read_message_id = last_read_message_id.clone();
                    out.push(delivery(watchers(channel), event));
                }
                let mut event = channel_event(kind::NOTIFICATION_MARK_READ, channel, now);
                event.user = Some(renderer.user(user_id));
                event.last_read_message_id = last_read_message_id.clone();
                event.channel = Some(event_channel(channel));
                event.unread_count = Some(totals.total_unread_count);
                event.total_unread_count = Some(totals.total_unread_count);
                event.unread_channels = Some(totals.unread_channels);
                out.push(delivery(Audience::User { user_id: user_id.clone() }, event));
            }
            Notice::MessageUnread { channel, user_id, mark, totals } => {
                let mut event = channel_event(kind::NOTIFICATION_MARK_UNREAD, channel, now);
                event.user = Some(renderer.user(user_id));
                event.first_unread_message_id = Some(mark.first_unread_message_id.clone());
                event.last_read_at = Some(mark.last_read_at);
                event.last_read_message_id = mark.last_read_message_id.clone();
                event.unread_messages = Some(mark.unread_messages);
                event.unread_count = Some(totals.total_unread_count);
                event.total_unread_count = Some(totals.total_unread_count);
                event.unread_channels = Some(totals.unread_channels);
                out.push(delivery(Audience::User { user_id: user_id.clone() }, event));
            }
            Notice::AllRead { user_id, totals } => {
                let mut event = Event::new(kind::NOTIFICATION_MARK_READ, now);
                event.user = Some(renderer.user(user_id));
                event.unread_count = Some(totals.total_unread_count);
                event.total_unread_count = Some(totals.total_unread_count);
                event.unread_channels = Some(totals.unread_channels);
                out.push(delivery(Audience::User { user_id: user_id.clone() }, event));
            }
            Notice::MembersAdded { channel, members, .. } => {
                for member in members {
                    out.push(member_event(kind::MEMBER_ADDED, channel, member, &renderer, now));
                    out.push(member_notification(kind::NOTIFICATION_ADDED_TO_CHANNEL, channel, member, &renderer, now));
                }
            }
            Notice::MembersInvited { channel, members, .. } => {
                for member in members {
                    out.push(member_event(kind::MEMBER_ADDED, channel, member, &renderer, now));
                    out.push(member_notification(kind::NOTIFICATION_INVITED, channel, member, &renderer, now));
                }
            }
            Notice::InviteAnswered { channel, member, accepted } => {
                out.push(member_event(kind::MEMBER_UPDATED, channel, member, &renderer, now));
                let event_type =
                    if *accepted { kind::NOTIFICATION_INVITE_ACCEPTED } else { kind::NOTIFICATION_INVITE_REJECTED };
                out.push(member_notification(event_type, channel, member, &renderer, now));
            }
            Notice::MembersRemoved { channel, members, .. } => {
                for member in members {
                    out.push(member_event(kind::MEMBER_REMOVED, channel, member, &renderer, now));
                    out.push(member_notification(
                        kind::NOTIFICATION_REMOVED_FROM_CHANNEL,
                        channel,
                        member,
                        &renderer,
                        now,
                    ));
                }
            }
            Notice::MembersUpdated { channel, members, .. } => {
                for member in members {
                    out.push(member_event(kind::MEMBER_UPDATED, channel, member, &renderer, now));
                }
            }
            Notice::ChannelUpdated { channel, by, message } => {
                let mut event = channel_event(kind::CHANNEL_UPDATED, channel, now);
                event.channel = Some(event_channel(channel));
                event.user = by.as_deref().map(|id| renderer.user(id));
                event.message = message.as_ref().map(|message| Box::new(renderer.message(message)));
                out.push(delivery(watchers(channel), event));
            }
            Notice::ChannelDeleted { channel } => {
                let mut event = channel_event(kind::CHANNEL_DELETED, channel, now);
                event.channel = Some(event_channel(channel));
                out.push(delivery(watchers(channel), event.clone()));
                event.event_type = kind::NOTIFICATION_CHANNEL_DELETED.into();
                out.push(to_connected_members(channel, event));
            }
            Notice::ChannelFrozen { channel, frozen } => {
                let kind = if *frozen { kind::CHANNEL_FROZEN } else { kind::CHANNEL_UNFROZEN };
                out.push(delivery(watchers(channel), channel_event(kind, channel, now)));
            }
            Notice::ChannelTruncated { channel, by, message } => {
                let mut event = channel_event(kind::CHANNEL_TRUNCATED, channel, now);
                event.channel = Some(event_channel(channel));
                event.user = by.as_deref().map(|id| renderer.user(id));
                event.message = message.as_ref().map(|message| Box::new(renderer.message(message)));
                out.push(delivery(watchers(channel), event.clone()));
                event.event_type = kind::NOTIFICATION_CHANNEL_TRUNCATED.into();
                out.push(to_connected_members(channel, event));
            }
            Notice::ChannelHidden { channel, user_id, clear_history } => {
                let mut event = channel_event(kind::CHANNEL_HIDDEN, channel, now);
                event.channel = Some(event_channel(channel));
                event.user = Some(renderer.user(user_id));
                event.clear_history = Some(*clear_history);
                out.push(delivery(Audience::User { user_id: user_id.clone() }, event));
            }
            Notice::ChannelVisible { channel, user_id } => {
                let mut event = channel_event(kind::CHANNEL_VISIBLE, channel, now);
                event.channel = Some(event_channel(channel));
                event.user = Some(renderer.user(user_id));
                out.push(delivery(Audience::User { user_id: user_id.clone() }, event));
            }
            Notice::UserUpdated { user } => {
                let mut event = Event::new(kind::USER_UPDATED, now);
                event.user = Some(convert::user(user, is_online(&user.id), now));
                out.push(delivery(Audience::Presence { user_id: user.id.clone() }, event));
            }
            Notice::MessageFlagged { channel, message, flag } => {
                let mut event = channel_event(kind::MESSAGE_FLAGGED, channel, now);
                let rendered = renderer.message(message);
                event.message_id = Some(rendered.id.clone());
                event.message = Some(Box::new(rendered));
                event.user = Some(renderer.user(&flag.user_id));
                event.reason = flag.reason.clone();
                out.push(delivery(Audience::User { user_id: flag.user_id.clone() }, event));
            }
            Notice::UserBanned { ban, channel, lifted } => {
                out.extend(ban_deliveries(ban, channel.as_ref(), *lifted, &renderer, now))
            }
            Notice::ChannelCreated { channel, by } => {
                let mut event = channel_event(kind::CHANNEL_CREATED, channel, now);
                event.channel = Some(event_channel(channel));
                event.user = by.as_deref().map(|user_id| renderer.user(user_id));
                out.push(delivery(Audience::Webhooks, event));
            }
            Notice::UserActivation { user, deactivated } => {
                let kind = if *deactivated { kind::USER_DEACTIVATED } else { kind::USER_REACTIVATED };
                let mut event = Event::new(kind, now);
                event.user = Some(convert::user(user, false, now));
                out.push(delivery(Audience::Webhooks, event));
            }
            // Housekeeping after the commit (`AppState::commit`), not an event.
            Notice::UploadsRemoved { .. } => {}
        }
    }
    out
}

/// `user.banned` / `user.unbanned`: to the user, and for a channel ban to the channel's watchers (the user once,
/// watching or not).
fn ban_deliveries(
    ban: &rill_core::model::Ban,
    channel: Option<&Channel>,
    lifted: bool,
    renderer: &Renderer<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Delivery> {
    let event_type = if lifted { kind::USER_UNBANNED } else { kind::USER_BANNED };
    let mut event = match channel {
        Some(channel) => channel_event(event_type, channel, now),
        None => Event::new(event_type, now),
    };
    event.user = Some(renderer.user(&ban.user_id));
    event.created_by = ban.created_by.as_deref().map(|id| renderer.user(id));
    event.shadow = Some(ban.shadow);
    if !lifted {
        event.reason = ban.reason.clone();
        event.expiration = ban.expires;
    }
    match channel {
        Some(channel) => vec![
            delivery(watchers(channel), event.clone()),
            delivery(members_not_watching(channel, vec![ban.user_id.clone()], None), event),
        ],
        None => vec![delivery(Audience::User { user_id: ban.user_id.clone() }, event)],
    }
}

/// An event about one membership: the member, their user and the channel.
fn membership_event(
    event_type: &str,
    channel: &Channel,
    member: &Member,
    renderer: &Renderer<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Event {
    let mut event = channel_event(event_type, channel, now);
    event.channel = Some(Box::new(renderer.channel(channel, None, None)));
    event.member = Some(renderer.member(member, channel));
    event.user = Some(renderer.user(&member.user_id));
    event
}

/// `member.*` to the channel's watchers.
fn member_event(
    event_type: &str,
    channel: &Channel,
    member: &Member,
    renderer: &Renderer<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Delivery {
    delivery(watchers(channel), membership_event(event_type, channel, member, renderer, now))
}

/// A notification to one member about their own membership (`notification.added_to_channel`, `.invited`, ...).
fn member_notification(
    event_type: &str,
    channel: &Channel,
    member: &Member,
    renderer: &Renderer<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Delivery {
    let audience = Audience::User { user_id: member.user_id.clone() };
    delivery(audience, membership_event(event_type, channel, member, renderer, now))
}

/// Appends per-recipient unread fields to a serialized event object.
fn with_unread(shared: &str, fields: UnreadFields) -> String {
    let body = shared.strip_suffix('}').unwrap_or(shared);
    format!(
        "{body},\"unread_count\":{total},\"total_unread_count\":{total},\"unread_channels\":{channels}}}",
        total = fields.total_unread_count,
        channels = fields.unread_channels
    )
}

/// Finds, for the deliveries that ask (`members_of`), which of this node's connected users are members of their
/// channel: none connected, nothing read; otherwise the smaller side is read, the channel's member ids or the
/// connected users' memberships, so a send costs the same in a channel of ten members and of a hundred thousand
/// while few are online. One store read per channel for all the batches at hand.
async fn resolve_members(registry: &Registry, store: &Store, batches: &mut [Batch]) {
    let mut found: HashMap<(i64, String), Vec<String>> = HashMap::new();
    for batch in batches.iter_mut() {
        for delivery in &mut batch.deliveries {
            let Some(wanted) = delivery.members_of.take() else { continue };
            let key = (batch.app_id, wanted.cid.clone());
            if !found.contains_key(&key) {
                let members = connected_members(registry, store, batch.app_id, &wanted).await;
                found.insert(key.clone(), members);
            }
            let members = found.get(&key).cloned().unwrap_or_default();
            if let Audience::MembersNotWatching { members: audience, .. } = &mut delivery.audience {
                audience.clone_from(&members);
            }
            delivery.unread_of = Some(members);
        }
    }
}

async fn connected_members(registry: &Registry, store: &Store, app_id: i64, wanted: &MembersOf) -> Vec<String> {
    let connected = registry.connected_user_count(app_id);
    if connected == 0 {
        return Vec::new();
    }
    let cid = wanted.cid.clone();
    let read = if wanted.member_count as usize <= connected {
        let online: std::collections::HashSet<String> = registry.connected_users(app_id).into_iter().collect();
        store
            .read((app_id, cid), |tx, (app_id, cid)| tx.member_ids(*app_id, cid))
            .await
            .map(|members| members.into_iter().map(|(user_id, _)| user_id).filter(|id| online.contains(id)).collect())
    } else {
        let online = registry.connected_users(app_id);
        store.read((app_id, cid, online), |tx, (app_id, cid, online)| tx.member_ids_among(*app_id, cid, online)).await
    };
    read.unwrap_or_else(|error| {
        // The events still reach watchers; members elsewhere miss this notification. Clients refresh on reconnect.
        tracing::error!(error = %error.detail, "reading the connected members of a channel failed");
        Vec::new()
    })
}

/// Reads the unread totals of the deliveries' recipients that are connected to this node and are among the
/// users each delivery names: one store read per app for all the batches at hand.
async fn fill_unread(registry: &Registry, store: &Store, batches: &mut [Batch]) {
    let mut wanted_by_app: HashMap<i64, Vec<String>> = HashMap::new();
    for batch in batches.iter() {
        for delivery in &batch.deliveries {
            let Some(members) = &delivery.unread_of else { continue };
            let members: std::collections::HashSet<&str> = members.iter().map(String::as_str).collect();
            let connected = registry.recipient_users(batch.app_id, &delivery.audience);
            let wanted = wanted_by_app.entry(batch.app_id).or_default();
            wanted.extend(connected.into_iter().filter(|user_id| members.contains(user_id.as_str())));
        }
    }
    for (app_id, mut wanted) in wanted_by_app {
        if wanted.is_empty() {
            continue;
        }
        wanted.sort_unstable();
        wanted.dedup();
        let now = store.now();
        let totals = match store
            .read((app_id, wanted, now), |tx, (app_id, wanted, now)| tx.unread_totals(*app_id, wanted, *now))
            .await
        {
            Ok(totals) => totals,
            Err(error) => {
                // The events still go out; only their unread fields are missing. Clients refresh on reconnect.
                tracing::error!(error = %error.detail, "reading unread totals for delivery failed");
                continue;
            }
        };
        for batch in batches.iter_mut().filter(|batch| batch.app_id == app_id) {
            for delivery in &mut batch.deliveries {
                let Some(members) = &delivery.unread_of else { continue };
                for member in members {
                    if let Some(member_totals) = totals.get(member) {
                        let fields = UnreadFields {
                            total_unread_count: member_totals.total_unread_count,
                            unread_channels: member_totals.unread_channels,
                        };
                        delivery.unread.insert(member.clone(), fields);
                    }
                }
            }
        }
    }
}

/// Delivers batches, in order, to this node's connections; returns how many frames were queued. Totals are
/// read once for all of them (after the last one committed), so an event may already count a message that the
/// next event in the same delivery round announces: counts are exact as of delivery.
pub async fn dispatch(registry: &Registry, store: &Store, mut batches: Vec<Batch>) -> usize {
    resolve_members(registry, store, &mut batches).await;
    fill_unread(registry, store, &mut batches).await;
    batches.into_iter().map(|batch| deliver(registry, batch)).sum()
}

/// Queues one batch's frames for this node's connections.
fn deliver(registry: &Registry, batch: Batch) -> usize {
    let mut delivered = 0;
    for mut delivery in batch.deliveries {
        if let Some(cid) = &delivery.watcher_count_of {
            delivery.event.watcher_count = Some(registry.watcher_count(batch.app_id, cid));
        }
        // Serialize lazily: most events of a busy app reach nobody on this node.
        let mut shared: Option<(String, Frame)> = None;
        let event = &delivery.event;
        let unread = &delivery.unread;
        // Recipients with the same totals share one frame: in a large channel most members' totals coincide.
        let mut by_totals: HashMap<UnreadFields, Frame> = HashMap::new();
        delivered += registry.deliver(batch.app_id, &delivery.audience, &mut |user_id| {
            if shared.is_none() {
                match serde_json::to_string(event) {
                    Ok(json) => shared = Some((json.clone(), Frame::from(json))),
                    Err(error) => {
                        tracing::error!(%error, event = event.event_type, "event serialization failed");
                        return None;
                    }
                }
            }
            let (json, frame) = shared.as_ref()?;
            match unread.get(user_id) {
                Some(fields) => {
                    Some(by_totals.entry(*fields).or_insert_with(|| Frame::from(with_unread(json, *fields))).clone())
                }
                None => Some(frame.clone()),
            }
        });
    }
    delivered
}

/// Runs this node's dispatcher until the bus closes. Batches are delivered in the order they were published.
pub async fn run_dispatcher(
    registry: Arc<Registry>,
    store: Store,
    receiver: tokio::sync::mpsc::UnboundedReceiver<Batch>,
) {
    // Everything already published is delivered in one round: one unread read for all of it, and connections
    // find several frames queued, which they write with one flush instead of one system call per frame.
    run_rounds(receiver, 256, |batches| {
        let (registry, store) = (registry.clone(), store.clone());
        async move {
            dispatch(&registry, &store, batches).await;
        }
    })
    .await;
}

/// Takes what is queued (up to `most` items) as one round, until the channel closes. A round that panics is
/// logged and its items are lost, but the loop goes on: real-time delivery must not end because one event could
/// not be rendered (clients resync missed events on reconnect).
pub async fn run_rounds<T, F, Round>(mut receiver: tokio::sync::mpsc::UnboundedReceiver<T>, most: usize, mut round: F)
where
    F: FnMut(Vec<T>) -> Round,
    Round: std::future::Future<Output = ()>,
{
    use futures_util::FutureExt;
    while let Some(first) = receiver.recv().await {
        let mut items = vec![first];
        while items.len() < most {
            match receiver.try_recv() {
                Ok(item) => items.push(item),
                Err(_) => break,
            }
        }
        let count = items.len();
        if std::panic::AssertUnwindSafe(round(items)).catch_unwind().await.is_err() {
            tracing::error!(count, "a delivery round panicked: its events are lost, delivery goes on");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_round_does_not_end_delivery() {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let delivered = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = delivered.clone();
        let rounds = tokio::spawn(run_rounds(receiver, 1, move |items: Vec<u32>| {
            let seen = seen.clone();
            async move {
                if items.contains(&2) {
                    panic!("an event that cannot be delivered");
                }
                seen.lock().unwrap().extend(items);
            }
        }));
        for item in [1, 2, 3] {
            sender.send(item).unwrap();
        }
        drop(sender);
        rounds.await.unwrap();
        assert_eq!(*delivered.lock().unwrap(), [1, 3]);
    }

    #[test]
    fn unread_fields_are_appended() {
        let fields = UnreadFields { total_unread_count: 3, unread_channels: 2 };
        let json = with_unread(r#"{"type":"message.new"}"#, fields);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["unread_count"], 3);
        assert_eq!(value["total_unread_count"], 3);
        assert_eq!(value["unread_channels"], 2);
        assert_eq!(value["type"], "message.new");
    }
}
