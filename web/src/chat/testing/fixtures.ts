// Builders of wire objects for tests, with the fields the engine always sends.

import type { ChannelState, ChatSession, Member, Message, OwnUser, User } from '../types';

export const ME = 'alice';

let clock = Date.parse('2026-12-03T09:00:00Z');

/** Increasing timestamps with microseconds, like the engine's. */
export function at(offsetSeconds: number): string {
  const date = new Date(Date.parse('2026-12-03T09:00:00Z') + offsetSeconds * 1000);
  return date.toISOString().replace('Z', '123Z');
}

export function user(id: string, extra: Partial<User> = {}): User {
  return { id, name: id[0]?.toUpperCase() + id.slice(1), role: 'user', online: false, ...extra };
}

export function me(extra: Partial<OwnUser> = {}): OwnUser {
  return { ...user(ME), total_unread_count: 0, unread_channels: 0, unread_count: 0, mutes: [], channel_mutes: [], ...extra };
}

export function message(id: string, fields: Partial<Message> = {}): Message {
  clock += 1000;
  const created = fields.created_at ?? new Date(clock).toISOString();
  return {
    id,
    text: `text of ${id}`,
    html: `<p>text of ${id}</p>`,
    type: fields.parent_id ? 'reply' : 'regular',
    user: user('bob'),
    cid: 'messaging:general',
    attachments: [],
    latest_reactions: [],
    own_reactions: [],
    reaction_counts: {},
    reaction_scores: {},
    reply_count: 0,
    created_at: created,
    updated_at: fields.updated_at ?? created,
    mentioned_users: [],
    silent: false,
    shadowed: false,
    pinned: false,
    ...fields,
  };
}

export function member(id: string): Member {
  return { user_id: id, user: user(id), channel_role: 'channel_member', banned: false, notifications_muted: false };
}

export function channelState(
  id: string,
  messages: Message[],
  extra: { unread?: number; members?: string[]; type?: string; lastMessageAt?: string } = {},
): ChannelState {
  const type = extra.type ?? 'messaging';
  const members = extra.members ?? [ME, 'bob'];
  const last = messages[messages.length - 1]?.created_at;
  const lastMessageAt = extra.lastMessageAt ?? last;
  return {
    channel: {
      id,
      type,
      cid: `${type}:${id}`,
      created_at: '2026-12-01T00:00:00.000000Z',
      updated_at: '2026-12-01T00:00:00.000000Z',
      frozen: false,
      disabled: false,
      ...(lastMessageAt !== undefined && { last_message_at: lastMessageAt }),
      name: id,
      own_capabilities: ['send-message', 'read-events', 'send-typing-events', 'send-reaction', 'upload-file'],
    },
    messages,
    pinned_messages: [],
    members: members.map(member),
    read: members.map((memberId) => ({
      user: user(memberId),
      last_read: '2026-12-01T00:00:00.000000Z',
      unread_messages: memberId === ME ? (extra.unread ?? 0) : 0,
    })),
    watcher_count: 1,
  };
}

export function session(token = 'token-1', expiresAt = '2026-12-04T10:00:00Z'): ChatSession {
  return { api_key: 'key123', base_url: 'https://chat.example.com', user_id: ME, token, expires_at: expiresAt };
}
