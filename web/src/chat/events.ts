// The WebSocket events the UI uses, as a discriminated union on `type` (shared/protocol-notes.md §8 and the
// `WSEvent` mapping of the client-side OpenAPI file), plus a small typed emitter.

import type { Channel, Member, Message, OwnUser, Reaction, User } from './types';
import type { StreamErrorBody } from './errors';

/** Fields every event carries; channel events add the channel's coordinates. */
interface EventBase {
  created_at: string;
  /** Custom events and fields this client does not model stay readable. */
  [extra: string]: unknown;
}

interface ChannelEventBase extends EventBase {
  cid: string;
  channel_id: string;
  channel_type: string;
  channel_member_count?: number;
  user?: User;
}

/** Per-recipient totals carried by message and read notifications (`unread_count` is the legacy total). */
interface UnreadTotals {
  unread_count?: number;
  total_unread_count?: number;
  unread_channels?: number;
}

export interface HealthCheckEvent extends EventBase {
  type: 'health.check';
  connection_id: string;
  /** Present on the first frame of a connection only. */
  me?: OwnUser;
}

/** Hosted Stream's name for the first frame; Rill sends `health.check` with `me`, and both are accepted. */
export interface ConnectionOkEvent extends EventBase {
  type: 'connection.ok';
  connection_id: string;
  me?: OwnUser;
}

export interface ConnectionErrorEvent extends EventBase {
  type: 'connection.error';
  error: StreamErrorBody;
}

export interface MessageNewEvent extends ChannelEventBase, UnreadTotals {
  type: 'message.new';
  message: Message;
  message_id: string;
  watcher_count?: number;
}

export interface NotificationMessageNewEvent extends ChannelEventBase, UnreadTotals {
  type: 'notification.message_new';
  channel: Channel;
  message: Message;
  message_id: string;
}

export interface MessageUpdatedEvent extends ChannelEventBase {
  type: 'message.updated';
  message: Message;
  message_id: string;
}

export interface MessageDeletedEvent extends ChannelEventBase {
  type: 'message.deleted';
  message: Message;
  message_id: string;
  hard_delete: boolean;
}

export interface ReactionEvent extends ChannelEventBase {
  type: 'reaction.new' | 'reaction.updated' | 'reaction.deleted';
  /** Updated counts; `own_reactions` is empty (it is per viewer) and merged by the client from `reaction`. */
  message: Message;
  message_id: string;
  reaction: Reaction;
}

export interface TypingEvent extends ChannelEventBase {
  type: 'typing.start' | 'typing.stop';
  user: User;
  parent_id?: string;
}

export interface MessageReadEvent extends ChannelEventBase {
  type: 'message.read';
  user: User;
  last_read_message_id?: string;
}

export interface NotificationMarkReadEvent extends EventBase, UnreadTotals {
  type: 'notification.mark_read';
  /** Absent when every channel was marked read. */
  cid?: string;
  channel_id?: string;
  channel_type?: string;
  user?: User;
  last_read_message_id?: string;
}

export interface NotificationMarkUnreadEvent extends ChannelEventBase, UnreadTotals {
  type: 'notification.mark_unread';
  first_unread_message_id: string;
  last_read_at: string;
  last_read_message_id?: string;
  unread_messages: number;
}

export interface MemberEvent extends ChannelEventBase {
  type: 'member.added' | 'member.updated' | 'member.removed';
  member: Member;
}

export interface ChannelUpdatedEvent extends ChannelEventBase {
  type: 'channel.updated';
  channel: Channel;
  message?: Message;
}

export interface ChannelDeletedEvent extends ChannelEventBase {
  type: 'channel.deleted' | 'notification.channel_deleted';
  channel: Channel;
}

export interface ChannelTruncatedEvent extends ChannelEventBase {
  type: 'channel.truncated' | 'notification.channel_truncated';
  channel: Channel;
  message?: Message;
}

export interface ChannelHiddenEvent extends ChannelEventBase {
  type: 'channel.hidden';
  channel?: Channel;
  clear_history?: boolean;
}

export interface ChannelVisibleEvent extends ChannelEventBase {
  type: 'channel.visible';
  channel?: Channel;
}

export interface ChannelMembershipNotification extends ChannelEventBase {
  type: 'notification.added_to_channel' | 'notification.removed_from_channel';
  channel: Channel;
  member: Member;
}

export interface WatchingEvent extends ChannelEventBase {
  type: 'user.watching.start' | 'user.watching.stop';
  user: User;
  watcher_count?: number;
}

export interface UserEvent extends EventBase {
  type: 'user.presence.changed' | 'user.updated';
  user: User;
}

export interface BanEvent extends EventBase {
  type: 'user.banned' | 'user.unbanned';
  user: User;
  created_by?: User;
  reason?: string;
  expiration?: string;
  /** Set for a ban in one channel; absent for an app-wide ban. */
  cid?: string;
}

export interface MutesUpdatedEvent extends EventBase {
  type: 'notification.mutes_updated' | 'notification.channel_mutes_updated';
  me: OwnUser;
}

/** Every event the client models. Unknown types reach `'*'` listeners as {@link UnknownEvent}. */
export type ChatEvent =
  | HealthCheckEvent
  | ConnectionOkEvent
  | ConnectionErrorEvent
  | MessageNewEvent
  | NotificationMessageNewEvent
  | MessageUpdatedEvent
  | MessageDeletedEvent
  | ReactionEvent
  | TypingEvent
  | MessageReadEvent
  | NotificationMarkReadEvent
  | NotificationMarkUnreadEvent
  | MemberEvent
  | ChannelUpdatedEvent
  | ChannelDeletedEvent
  | ChannelTruncatedEvent
  | ChannelHiddenEvent
  | ChannelVisibleEvent
  | ChannelMembershipNotification
  | WatchingEvent
  | UserEvent
  | BanEvent
  | MutesUpdatedEvent;

export type ChatEventType = ChatEvent['type'];

/** The event of one type. Distributes over the union, because several members cover more than one type
 * (`ReactionEvent` is `reaction.new | reaction.updated | reaction.deleted`) and a plain `Extract` would give
 * `never` for them; the result's `type` is narrowed to `T`. */
export type EventOf<T extends ChatEventType> = ChatEvent extends infer E
  ? E extends { type: infer U }
    ? T extends U
      ? E & { type: T }
      : never
    : never
  : never;

/** A frame whose type the client does not model (custom events, newer server events). */
export interface UnknownEvent extends EventBase {
  type: string;
}

type Listener<E> = (event: E) => void;

/**
 * A typed emitter: `on('message.new', e => e.message)` narrows the event. `'*'` receives everything. A listener
 * that throws does not stop the others (one broken UI component must not silence the rest).
 */
export class Emitter {
  private readonly listeners = new Map<string, Set<Listener<never>>>();

  on<T extends ChatEventType>(type: T, listener: Listener<EventOf<T>>): () => void;
  on(type: '*', listener: Listener<ChatEvent | UnknownEvent>): () => void;
  on(type: string, listener: Listener<never>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit(event: ChatEvent | UnknownEvent): void {
    for (const key of [event.type, '*']) {
      for (const listener of [...(this.listeners.get(key) ?? [])]) {
        try {
          (listener as Listener<ChatEvent | UnknownEvent>)(event);
        } catch (error) {
          console.error(`chat: a listener of ${event.type} threw`, error);
        }
      }
    }
  }
}

/** Whether an event concerns one channel (it names a `cid`). */
export function channelOf(event: ChatEvent | UnknownEvent): string | undefined {
  return typeof event.cid === 'string' ? event.cid : undefined;
}
