// Sorts the viewer's channels into the sidebar's sections: Channels, one group per project, Direct messages,
// and Archived (the channels whose membership has `archived_at`).
import { toMs } from './format';
import { customField, userName, type ChannelListEntry, type UserView } from './types';

export interface ChannelItem {
  cid: string;
  entry: ChannelListEntry;
  label: string;
  kind: 'channel' | 'dm';
  unread: number;
  mentions: number;
  /** For a one-to-one DM: the other person. */
  peer?: UserView;
  archived: boolean;
}

export interface ChannelSection {
  id: string;
  title: string;
  /** 'project' sections are grouped under a "Projects" heading. */
  kind: 'channels' | 'project' | 'dms' | 'archived';
  items: ChannelItem[];
}

export function channelName(entry: ChannelListEntry): string | undefined {
  const n = entry.channel.name ?? customField(entry.channel, 'name');
  return typeof n === 'string' && n.trim() ? n : undefined;
}

function others(entry: ChannelListEntry, selfId: string | undefined): UserView[] {
  return (entry.members ?? [])
    .map((m) => m.user ?? (m.user_id ? { id: m.user_id } : undefined))
    .filter((u): u is UserView => !!u && u.id !== selfId);
}

export function toItem(entry: ChannelListEntry, selfId?: string): ChannelItem {
  const name = channelName(entry);
  const isDm =
    entry.kind === 'dm' || (entry.kind !== 'channel' && (entry.channel.id.startsWith('!members') || !name));
  const peers = others(entry, selfId);
  const label = name ?? (isDm && peers.length ? peers.map(userName).join(', ') : entry.channel.id);
  return {
    cid: entry.channel.cid,
    entry,
    label,
    kind: isDm ? 'dm' : 'channel',
    unread: Math.max(0, entry.unread_count ?? 0),
    mentions: Math.max(0, entry.unread_mentions ?? 0),
    peer: isDm && peers.length === 1 ? peers[0] : undefined,
    archived: !!entry.membership?.archived_at,
  };
}

function byLabel(a: ChannelItem, b: ChannelItem): number {
  return a.label.localeCompare(b.label, undefined, { sensitivity: 'base' });
}

function byRecent(a: ChannelItem, b: ChannelItem): number {
  return toMs(b.entry.channel.last_message_at) - toMs(a.entry.channel.last_message_at) || byLabel(a, b);
}

/** Case-insensitive match on the label, the channel id, and a DM peer's id. */
export function matchesFilter(item: ChannelItem, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  return (
    item.label.toLowerCase().includes(f) ||
    item.entry.channel.id.toLowerCase().includes(f) ||
    (item.peer?.id.toLowerCase().includes(f) ?? false)
  );
}

export function buildSections(
  entries: readonly ChannelListEntry[],
  opts: { selfId?: string; filter?: string } = {},
): ChannelSection[] {
  const channels: ChannelItem[] = [];
  const dms: ChannelItem[] = [];
  const archived: ChannelItem[] = [];
  const projects = new Map<string, { title: string; items: ChannelItem[] }>();
  for (const entry of entries) {
    const item = toItem(entry, opts.selfId);
    if (opts.filter && !matchesFilter(item, opts.filter)) continue;
    if (item.archived) {
      archived.push(item);
      continue;
    }
    if (item.kind === 'dm') {
      dms.push(item);
      continue;
    }
    const pid = entry.channel.project_id ?? customField(entry.channel, 'project_id');
    if (typeof pid === 'string' && pid) {
      const pname = entry.channel.project_name ?? customField(entry.channel, 'project_name');
      let group = projects.get(pid);
      // The Hub names a project's channel after the project: that name is the group's when no project_name.
      const title = typeof pname === 'string' && pname ? pname : (channelName(entry) ?? pid);
      if (!group) projects.set(pid, (group = { title, items: [] }));
      group.items.push(item);
      continue;
    }
    channels.push(item);
  }
  const sections: ChannelSection[] = [{ id: 'channels', title: 'Channels', kind: 'channels', items: channels.sort(byLabel) }];
  const groups = [...projects.entries()].sort((a, b) => a[1].title.localeCompare(b[1].title));
  for (const [pid, g] of groups) {
    sections.push({ id: `project:${pid}`, title: g.title, kind: 'project', items: g.items.sort(byLabel) });
  }
  sections.push({ id: 'dms', title: 'Direct messages', kind: 'dms', items: dms.sort(byRecent) });
  sections.push({ id: 'archived', title: 'Archived', kind: 'archived', items: archived.sort(byLabel) });
  return sections;
}

/** The unread badge's text: the exact count, written out (no "99+": the brief is exact counts). */
export function unreadLabel(item: ChannelItem): string {
  if (!item.unread) return item.label;
  const m = item.mentions ? `, ${item.mentions} mention${item.mentions === 1 ? '' : 's'}` : '';
  return `${item.label}, ${item.unread} unread${m}`;
}
