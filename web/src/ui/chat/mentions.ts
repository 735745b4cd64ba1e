// The composer's @mention logic: which query the caret is in, which members match, what picking one writes,
// and which picked users the final text still mentions (`mentioned_users`).
import { userName, type UserView } from './types';

export interface MentionQuery {
  /** Index of the "@". */
  start: number;
  /** The text typed after it, up to the caret. */
  query: string;
}

const WORD = /[\p{L}\p{N}_]/u;

/** The @query the caret is in, or null: "@" at a word's start, then up to 40 non-space characters. */
export function activeMentionQuery(text: string, caret: number): MentionQuery | null {
  const from = Math.max(0, caret - 41);
  for (let i = caret - 1; i >= from; i--) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) return null;
    if (ch === '@') {
      const before = text[i - 1];
      if (before !== undefined && WORD.test(before)) return null;
      return { start: i, query: text.slice(i + 1, caret) };
    }
  }
  return null;
}

/** Members matching a query, best first: name prefix, then a word of the name, then the id, then anywhere. */
export function filterMembers(
  members: readonly UserView[],
  query: string,
  opts: { excludeId?: string; limit?: number } = {},
): UserView[] {
  const q = query.trim().toLowerCase();
  const scored: { u: UserView; s: number; name: string }[] = [];
  const seen = new Set<string>();
  for (const u of members) {
    if (u.id === opts.excludeId || seen.has(u.id)) continue;
    seen.add(u.id);
    const name = userName(u).toLowerCase();
    const id = u.id.toLowerCase();
    let s = -1;
    if (!q) s = 0;
    else if (name.startsWith(q)) s = 4;
    else if (name.split(/\s+/).some((w) => w.startsWith(q))) s = 3;
    else if (id.startsWith(q)) s = 2;
    else if (name.includes(q) || id.includes(q)) s = 1;
    if (s >= 0) scored.push({ u, s, name });
  }
  scored.sort((a, b) => b.s - a.s || a.name.localeCompare(b.name));
  return scored.slice(0, opts.limit ?? 8).map((x) => x.u);
}

/** Replaces the query with "@Name " and returns the new text and caret. */
export function insertMention(
  text: string,
  q: MentionQuery,
  caret: number,
  user: UserView,
): { text: string; caret: number } {
  const insert = `@${userName(user)} `;
  const after = text.slice(caret).replace(/^\s/, '');
  const next = text.slice(0, q.start) + insert + after;
  return { text: next, caret: q.start + insert.length };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The ids of the picked users whose "@Name" (or "@id") the text still contains. */
export function mentionedIds(text: string, picked: readonly UserView[]): string[] {
  const out: string[] = [];
  for (const u of picked) {
    if (out.includes(u.id)) continue;
    const needles = [userName(u), u.id];
    const hit = needles.some((n) =>
      new RegExp(`(^|[^\\p{L}\\p{N}_])@${escapeRe(n)}(?![\\p{L}\\p{N}_])`, 'iu').test(text),
    );
    if (hit) out.push(u.id);
  }
  return out;
}
