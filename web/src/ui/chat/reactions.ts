// Reaction types and how they are shown. Stream's clients use names ("like", "love", ...); an emoji picked
// from the picker is its own type (any 1-30 characters are a valid type on the wire).
import type { MessageView } from './types';

export const QUICK_REACTIONS: { type: string; emoji: string; name: string }[] = [
  { type: 'like', emoji: '👍', name: 'thumbs up' },
  { type: 'love', emoji: '❤️', name: 'heart' },
  { type: 'haha', emoji: '😂', name: 'laughing' },
  { type: 'tada', emoji: '🎉', name: 'party' },
  { type: 'wow', emoji: '😮', name: 'surprised' },
  { type: 'pray', emoji: '🙏', name: 'thank you' },
];

const NAMED: Record<string, string> = {
  like: '👍',
  love: '❤️',
  haha: '😂',
  tada: '🎉',
  wow: '😮',
  pray: '🙏',
  sad: '😢',
  angry: '😠',
  thumbsup: '👍',
  thumbsdown: '👎',
  fire: '🔥',
  eyes: '👀',
};

export function reactionEmoji(type: string): string {
  return NAMED[type] ?? type;
}

export interface ReactionSummary {
  type: string;
  count: number;
  own: boolean;
  /** Names of some who reacted (from latest_reactions), for the tooltip. */
  names: string[];
}

/** The message's reactions in a stable order (first reacted first), with counts and the viewer's own marked. */
export function summarizeReactions(m: MessageView, selfId?: string): ReactionSummary[] {
  const counts: Record<string, number> = {};
  const firstAt: Record<string, number> = {};
  if (m.reaction_groups) {
    for (const [type, g] of Object.entries(m.reaction_groups)) {
      counts[type] = g.count;
      firstAt[type] = g.first_reaction_at ? new Date(g.first_reaction_at).getTime() : 0;
    }
  } else if (m.reaction_counts) {
    Object.assign(counts, m.reaction_counts);
  }
  const own = new Set((m.own_reactions ?? []).map((r) => r.type));
  for (const r of m.latest_reactions ?? []) if (r.user_id === selfId || r.user?.id === selfId) own.add(r.type);
  // An own reaction the counts do not have yet (optimistic) still shows with at least 1.
  for (const t of own) if (!counts[t]) counts[t] = 1;
  const order = Object.keys(counts);
  return order
    .filter((t) => (counts[t] ?? 0) > 0)
    .sort((a, b) => (firstAt[a] ?? 0) - (firstAt[b] ?? 0) || order.indexOf(a) - order.indexOf(b))
    .map((type) => ({
      type,
      count: counts[type] ?? 0,
      own: own.has(type),
      names: (m.latest_reactions ?? [])
        .filter((r) => r.type === type)
        .map((r) => (r.user_id === selfId || r.user?.id === selfId ? 'You' : (r.user?.name ?? r.user?.id ?? r.user_id ?? '')))
        .filter(Boolean),
    }));
}
