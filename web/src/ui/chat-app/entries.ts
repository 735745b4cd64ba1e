// Pure glue between the chat client's snapshots (src/chat) and the chat components' view props (ui/chat):
// the sidebar's entries, archived channels, which channel opens by default, and why a composer is closed.

import type { ChannelSnapshot, ChannelState, LocalMessage, OwnUser, User } from '../../chat';
import type { ChannelListEntry, ChannelMemberView, ChannelView, MessageView, UserView } from '../chat';
import { channelName, toItem } from '../chat/channelSections';
import { formatTime } from '../chat/format';

/** The Hub's archive marker (protocol-notes §12): frozen, `globally_archived`, hidden for every member. */
export function isArchived(channel: object | undefined): boolean {
  return (channel as { globally_archived?: unknown } | undefined)?.globally_archived === true;
}

function members(
  list: readonly { user_id?: string; user?: User }[],
  users: ReadonlyMap<string, User>,
): ChannelMemberView[] {
  return list.map((m) => {
    const id = m.user_id ?? m.user?.id;
    const known = id ? users.get(id) : undefined;
    return { ...m, user: (known ?? m.user) as UserView | undefined } as ChannelMemberView;
  });
}

function entry(
  channel: ChannelView,
  unread: number,
  memberList: readonly { user_id?: string; user?: User }[],
  users: ReadonlyMap<string, User>,
): ChannelListEntry {
  const archived = isArchived(channel);
  const named = channelName({ channel }) !== undefined;
  return {
    channel,
    unread_count: archived ? 0 : unread,
    // Members only name and badge a DM; a named channel's hundred members would be wasted work per render.
    members: named ? undefined : members(memberList, users),
    membership: archived ? { archived_at: (channel as { updated_at?: string }).updated_at || new Date(0).toISOString() } : undefined,
  };
}

/**
 * The sidebar's rows: the listed channels, then the archived ones (hidden for the viewer, so in a list of their
 * own), each once. O(channels + DM members).
 */
export function sidebarEntries(
  listed: readonly ChannelSnapshot[],
  archived: readonly ChannelState[],
  users: ReadonlyMap<string, User>,
): ChannelListEntry[] {
  const seen = new Set<string>();
  const out: ChannelListEntry[] = [];
  for (const snap of listed) {
    if (!snap.channel || seen.has(snap.cid)) continue;
    seen.add(snap.cid);
    out.push(entry(snap.channel as unknown as ChannelView, snap.unreadCount, Object.values(snap.members), users));
  }
  for (const state of archived) {
    if (seen.has(state.channel.cid)) continue;
    seen.add(state.channel.cid);
    out.push(entry(state.channel as unknown as ChannelView, 0, state.members, users));
  }
  return out;
}

/** The channel `/hub/` opens: the last one opened if still there, else #general, else the most recent. */
export function defaultCid(entries: readonly ChannelListEntry[], remembered: string | null): string | undefined {
  const open = entries.filter((e) => !e.membership?.archived_at);
  if (remembered && entries.some((e) => e.channel.cid === remembered)) return remembered;
  return open.find((e) => e.channel.cid === 'team:general')?.channel.cid ?? open[0]?.channel.cid;
}

/**
 * The channel's name as the sidebar shows it (a DM's is its other people) and whether it is a DM: the header
 * and the composer use the sidebar's own naming, so the two never disagree.
 */
export function heading(snap: ChannelSnapshot, selfId: string): { name: string; dm: boolean } {
  const item = toItem(
    { channel: (snap.channel ?? { id: snap.id, type: snap.type, cid: snap.cid }) as unknown as ChannelView, members: Object.values(snap.members) as ChannelMemberView[] },
    selfId,
  );
  return { name: item.label, dm: item.kind === 'dm' };
}

/**
 * Why the viewer cannot post here, in words, or undefined when they can. The engine refuses anyway (code 17 or
 * a frozen channel's error); this only saves them typing a message that cannot be sent.
 */
export function composerBlock(
  snap: ChannelSnapshot,
  me: OwnUser | undefined,
  selfId: string,
  now: number,
): string | undefined {
  const channel = snap.channel;
  if (!channel) return undefined;
  if (isArchived(channel)) return 'This channel is archived: you can read it, but no one can post.';
  if (channel.frozen) return 'This channel is frozen: no one can post for now.';
  if (me?.banned) return 'You are banned from this workspace and cannot post.';
  if (snap.members[selfId]?.banned) {
    const until = muteEndsAt(snap, selfId);
    if (until === undefined) return 'You are muted in this channel.';
    if (until > now) return `You are muted in this channel until ${formatTime(new Date(until))}.`;
  }
  if (snap.ownCapabilities.length > 0 && !snap.ownCapabilities.includes('send-message')) {
    return 'You cannot post in this channel.';
  }
  return undefined;
}

/** When a timed mute in this channel ends (epoch ms), to reopen the composer then. */
export function muteEndsAt(snap: ChannelSnapshot, selfId: string): number | undefined {
  const member = snap.members[selfId];
  if (!member?.banned || typeof member.ban_expires !== 'string') return undefined;
  const at = Date.parse(member.ban_expires);
  return Number.isNaN(at) ? undefined : at;
}

const views = new WeakMap<LocalMessage, MessageView>();

/** A message as the components take it: a failed send carries its error's words. Same object when unchanged. */
export function messageView(m: LocalMessage): MessageView {
  if (m.status !== 'failed') return m as unknown as MessageView;
  let view = views.get(m);
  if (!view) {
    view = { ...(m as unknown as MessageView), error_text: failureWords(m.error) };
    views.set(m, view);
  }
  return view;
}

/** Why a send failed, in words; the row puts "Not sent:" before it. */
export function failureWords(error: unknown): string {
  const e = error as { code?: number; message?: string; name?: string } | undefined;
  if (!e) return 'something went wrong.';
  if (e.name === 'NetworkError') return 'you are offline.';
  switch (e.code) {
    case 17:
      return 'you are not allowed to post here.';
    case 9:
      return 'too many messages, wait a moment.';
    case 22:
      return 'the message is too long.';
    case 60:
      return 'slow mode is on in this channel.';
    default:
      return e.message ?? 'something went wrong.';
  }
}
