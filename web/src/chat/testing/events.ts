// Builders of server events for one channel.

import type { Message, Reaction, User } from '../types';
import { user } from './fixtures';

export function channelEvent(type: string, cid: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const [channelType, channelId] = cid.split(':');
  return { type, cid, channel_type: channelType, channel_id: channelId, created_at: new Date().toISOString(), ...fields };
}

export function messageNew(message: Message, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return channelEvent('message.new', message.cid, {
    message,
    message_id: message.id,
    user: message.user,
    watcher_count: 2,
    ...extra,
  });
}

export function messageUpdated(message: Message): Record<string, unknown> {
  return channelEvent('message.updated', message.cid, { message, message_id: message.id, user: message.user });
}

export function reactionEvent(type: string, message: Message, reaction: Reaction): Record<string, unknown> {
  return channelEvent(type, message.cid, { message, message_id: message.id, reaction, user: reaction.user });
}

export function reaction(messageId: string, userId: string, type = 'like'): Reaction {
  const at = '2026-12-03T09:30:00.000000Z';
  return { message_id: messageId, user_id: userId, user: user(userId), type, score: 1, created_at: at, updated_at: at };
}

export function typing(type: 'typing.start' | 'typing.stop', cid: string, who: User, parentId?: string): Record<string, unknown> {
  return channelEvent(type, cid, { user: who, ...(parentId !== undefined && { parent_id: parentId }) });
}
