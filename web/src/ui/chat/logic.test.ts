import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildRows, firstUnreadIndex, isEdited, type Row } from './rows';
import { activeMentionQuery, filterMembers, insertMention, mentionedIds } from './mentions';
import { createDraftStore, draftKey } from './draftStore';
import { createTypingThrottle } from './typing';
import { buildSections, toItem, unreadLabel } from './channelSections';
import { formatDay, formatFileSize, readReceiptText, readersOf, typingText } from './format';
import type { ChannelListEntry, MessageView } from './types';

const ann = { id: 'ann', name: 'Ann' };
const ben = { id: 'ben', name: 'Ben' };
const me = { id: 'me', name: 'Me' };

function msg(id: string, user: { id: string; name?: string }, at: string, extra: Partial<MessageView> = {}): MessageView {
  return { id, user, created_at: at, text: id, ...extra };
}

const kinds = (rows: Row[]) => rows.map((r) => (r.kind === 'message' ? `${r.key}${r.head ? '' : '+'}` : r.kind));

describe('message rows', () => {
  it('groups one author within five minutes and breaks on author, gap and day', () => {
    const rows = buildRows([
      msg('a1', ann, '2026-12-01T10:00:00'),
      msg('a2', ann, '2026-12-01T10:04:00'),
      msg('a3', ann, '2026-12-01T10:10:00'),
      msg('b1', ben, '2026-12-01T10:11:00'),
      msg('b2', ben, '2026-12-02T09:00:00'),
      msg('b3', ben, '2026-12-02T09:01:00'),
    ]);
    expect(kinds(rows)).toEqual(['day', 'a1', 'a2+', 'a3', 'b1', 'day', 'b2', 'b3+']);
  });
  it('puts the New divider before the first unread message and starts a group there', () => {
    const messages = [
      msg('a1', ann, '2026-12-01T10:00:00'),
      msg('a2', ann, '2026-12-01T10:01:00'),
      msg('a3', ann, '2026-12-01T10:02:00'),
    ];
    const rows = buildRows(messages, { unreadIndex: 1 });
    expect(kinds(rows)).toEqual(['day', 'a1', 'unread', 'a2', 'a3+']);
  });
  it('does not group system messages', () => {
    const rows = buildRows([
      msg('a1', ann, '2026-12-01T10:00:00'),
      msg('s', ann, '2026-12-01T10:00:30', { type: 'system' }),
      msg('a2', ann, '2026-12-01T10:01:00'),
    ]);
    expect(kinds(rows)).toEqual(['day', 'a1', 's', 'a2']);
  });
  it('tells an edit from an update', () => {
    expect(isEdited(msg('x', ann, '2026-12-01T10:00:00Z', { updated_at: '2026-12-01T11:00:00Z' }))).toBe(false);
    expect(isEdited(msg('x', ann, '2026-12-01T10:00:00Z', { message_text_updated_at: '2026-12-01T10:05:00Z' }))).toBe(true);
    expect(
      isEdited(msg('x', ann, '2026-12-01T10:00:00Z', { message_text_updated_at: '2026-12-01T10:05:00Z', type: 'deleted' })),
    ).toBe(false);
  });
});

describe('first unread', () => {
  const messages = [
    msg('1', ann, '2026-12-01T10:00:00Z'),
    msg('2', me, '2026-12-01T10:01:00Z'),
    msg('3', ben, '2026-12-01T10:02:00Z'),
    msg('4', ann, '2026-12-01T10:03:00Z'),
  ];
  it('is the first message after last_read not by the viewer', () => {
    expect(firstUnreadIndex(messages, '2026-12-01T10:00:30Z', 'me')).toBe(2);
    expect(firstUnreadIndex(messages, '2026-12-01T09:00:00Z', 'me')).toBe(0);
  });
  it('is -1 when all is read, or the read state is unknown', () => {
    expect(firstUnreadIndex(messages, '2026-12-01T10:03:00Z', 'me')).toBe(-1);
    expect(firstUnreadIndex(messages, undefined, 'me')).toBe(-1);
  });
  it('prefers last_read_message_id and skips the viewer and deleted messages', () => {
    const m = [...messages, msg('5', ben, '2026-12-01T10:04:00Z', { type: 'deleted' })];
    expect(firstUnreadIndex(m, '2000-01-01T00:00:00Z', 'me', '2')).toBe(2);
    expect(firstUnreadIndex(m, undefined, 'me', '4')).toBe(-1);
    expect(firstUnreadIndex(m.slice(0, 1), '2026-12-01T09:00:00Z', 'ann')).toBe(-1);
    expect(firstUnreadIndex(m.slice(0, 2), '2026-12-01T09:00:00Z', 'ann')).toBe(1);
  });
});

describe('mention autocomplete', () => {
  it('finds the query at the caret', () => {
    expect(activeMentionQuery('hi @an', 6)).toEqual({ start: 3, query: 'an' });
    expect(activeMentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(activeMentionQuery('hi @an there', 12)).toBeNull();
    expect(activeMentionQuery('mail a@b', 8)).toBeNull();
    expect(activeMentionQuery('(@b', 3)).toEqual({ start: 1, query: 'b' });
  });
  it('filters members best first, without the viewer', () => {
    const members = [
      { id: 'zed', name: 'Zed Annex' },
      { id: 'u2', name: 'Anna' },
      { id: 'annie', name: 'Bob' },
      me,
    ];
    expect(filterMembers(members, 'ann', { excludeId: 'me' }).map((u) => u.id)).toEqual(['u2', 'zed', 'annie']);
    expect(filterMembers(members, '', { excludeId: 'me', limit: 2 })).toHaveLength(2);
    expect(filterMembers(members, 'xyz')).toEqual([]);
  });
  it('inserts the name and moves the caret after it', () => {
    const text = 'hey @an how';
    const q = activeMentionQuery(text, 7);
    expect(q).not.toBeNull();
    if (!q) return;
    expect(insertMention(text, q, 7, { id: 'u2', name: 'Anna Lee' })).toEqual({ text: 'hey @Anna Lee how', caret: 14 });
    expect(insertMention('@a', { start: 0, query: 'a' }, 2, ann)).toEqual({ text: '@Ann ', caret: 5 });
  });
  it('keeps only the picked users still mentioned in the text', () => {
    const picked = [{ id: 'u2', name: 'Anna Lee' }, ben, ben];
    expect(mentionedIds('hi @Anna Lee and @Ben.', picked)).toEqual(['u2', 'ben']);
    expect(mentionedIds('hi @Anna and Ben', picked)).toEqual([]);
    expect(mentionedIds('x@Ben', picked)).toEqual([]);
    expect(mentionedIds('@ben!', picked)).toEqual(['ben']);
  });
});

describe('draft store', () => {
  function memoryStorage() {
    const m = new Map<string, string>();
    return {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
      map: m,
    };
  }
  it('keeps drafts per channel and thread, and survives a new store on the same storage', () => {
    const storage = memoryStorage();
    const a = createDraftStore(storage);
    a.set('messaging:general', { text: 'hello' });
    a.set(draftKey('messaging:general', 'p1'), { text: 'in thread', mentioned: [ann] });
    expect(a.get('messaging:general')?.text).toBe('hello');
    expect(a.get('messaging:random')).toBeUndefined();
    const b = createDraftStore(storage);
    expect(b.get('messaging:general#p1')).toEqual({ text: 'in thread', mentioned: [{ id: 'ann', name: 'Ann' }] });
  });
  it('clears on empty text and notifies subscribers', () => {
    const storage = memoryStorage();
    const s = createDraftStore(storage);
    const seen: number[] = [];
    const off = s.subscribe(() => seen.push(s.getSnapshot()));
    s.set('c', { text: 'x' });
    s.set('c', { text: '   ' });
    expect(s.get('c')).toBeUndefined();
    expect(storage.map.size).toBe(0);
    off();
    s.set('c', { text: 'y' });
    expect(seen).toEqual([1, 2]);
  });
  it('works without storage and ignores corrupt entries', () => {
    const s = createDraftStore(null);
    s.set('c', { text: 'x' });
    expect(s.get('c')?.text).toBe('x');
    const storage = memoryStorage();
    storage.setItem('rill.draft.c', '{not json');
    expect(createDraftStore(storage).get('c')).toBeUndefined();
  });
});

describe('typing throttle', () => {
  afterEach(() => vi.useRealTimers());
  it('sends typing at most every 2 s and stops after 3 s idle', () => {
    vi.useFakeTimers();
    const events: string[] = [];
    const t = createTypingThrottle({
      onTyping: () => events.push(`start@${Date.now() % 100_000}`),
      onStopTyping: () => events.push(`stop@${Date.now() % 100_000}`),
    });
    vi.setSystemTime(0);
    for (let ms = 0; ms <= 4500; ms += 500) {
      vi.setSystemTime(ms);
      t.keystroke();
    }
    vi.advanceTimersByTime(2999);
    expect(events).toEqual(['start@0', 'start@2000', 'start@4000']);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['start@0', 'start@2000', 'start@4000', 'stop@7500']);
  });
  it('stops at once on send, only when typing, and starts again on the next key', () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const onTyping = vi.fn();
    const onStopTyping = vi.fn();
    const t = createTypingThrottle({ onTyping, onStopTyping });
    t.stop();
    expect(onStopTyping).not.toHaveBeenCalled();
    t.keystroke();
    vi.setSystemTime(100);
    t.stop();
    expect(onStopTyping).toHaveBeenCalledTimes(1);
    vi.setSystemTime(200);
    t.keystroke();
    expect(onTyping).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(10_000);
    expect(onStopTyping).toHaveBeenCalledTimes(2);
  });
});

describe('channel sections', () => {
  const entry = (id: string, extra: Partial<ChannelListEntry['channel']> = {}, more: Partial<ChannelListEntry> = {}) =>
    ({ channel: { id, type: 'messaging', cid: `messaging:${id}`, ...extra }, ...more }) as ChannelListEntry;
  const entries: ChannelListEntry[] = [
    entry('random', { name: 'random' }),
    entry('general', { name: 'General' }, { unread_count: 3 }),
    entry('web', { name: 'web', project_id: 'p1', project_name: 'Website' }),
    entry('api', { name: 'api', custom: { project_id: 'p1', project_name: 'Website' } }),
    entry('old', { name: 'old' }, { membership: { archived_at: '2026-01-01T00:00:00Z' } }),
    entry(
      '!members-abc',
      { last_message_at: '2026-12-01T10:00:00Z' },
      { members: [{ user: me }, { user: { ...ann, online: true } }] },
    ),
    entry('!members-def', { last_message_at: '2026-12-02T10:00:00Z' }, { members: [{ user: me }, { user: ben }] }),
  ];
  it('sorts channels, projects, DMs (newest first) and archived', () => {
    const s = buildSections(entries, { selfId: 'me' });
    expect(s.map((x) => [x.title, x.items.map((i) => i.label)])).toEqual([
      ['Channels', ['General', 'random']],
      ['Website', ['api', 'web']],
      ['Direct messages', ['Ben', 'Ann']],
      ['Archived', ['old']],
    ]);
    expect(s[2]?.items[1]?.peer?.online).toBe(true);
  });
  it('filters across sections, archived included', () => {
    const s = buildSections(entries, { selfId: 'me', filter: 'ol' });
    expect(s.flatMap((x) => x.items.map((i) => i.label))).toEqual(['old']);
  });
  it('labels unread counts exactly', () => {
    expect(unreadLabel(toItem(entry('g', { name: 'g' }, { unread_count: 1234, unread_mentions: 1 })))).toBe(
      'g, 1234 unread, 1 mention',
    );
    expect(unreadLabel(toItem(entry('g', { name: 'g' })))).toBe('g');
  });
});

describe('format', () => {
  it('writes typing sentences', () => {
    expect(typingText([])).toBe('');
    expect(typingText([ann])).toBe('Ann is typing…');
    expect(typingText([ann, ben])).toBe('Ann and Ben are typing…');
    expect(typingText([ann, ben, me, { id: 'x' }])).toBe('Several people are typing…');
  });
  it('writes read receipts', () => {
    const m = { created_at: '2026-12-01T10:00:00Z', user: me };
    const reads = [
      { user: ann, last_read: '2026-12-01T10:01:00Z' },
      { user: ben, last_read: '2026-12-01T09:00:00Z' },
      { user: me, last_read: '2026-12-01T11:00:00Z' },
    ];
    const readers = readersOf(m, reads, 'me');
    expect(readers.map((u) => u.id)).toEqual(['ann']);
    expect(readReceiptText(readers, 10)).toBe('Seen by Ann');
    expect(readReceiptText([ann, ben], 3)).toBe('Seen by everyone');
    expect(readReceiptText([ann, ben, me, { id: 'x' }], 20)).toBe('Seen by 4');
    expect(readReceiptText([ann, ben], 20)).toBe('Seen by Ann and Ben');
  });
  it('names days and sizes', () => {
    const now = new Date(2026, 11, 3, 12);
    expect(formatDay(new Date(2026, 11, 3, 1), now)).toBe('Today');
    expect(formatDay(new Date(2026, 11, 2, 23), now)).toBe('Yesterday');
    expect(formatDay(new Date(2025, 0, 2), now)).toMatch(/2025/);
    expect(formatFileSize(512)).toBe('512 B');
    expect(formatFileSize(1536)).toBe('1.5 KB');
    expect(formatFileSize(25 * 1024 * 1024)).toBe('25 MB');
  });
});

describe('readableId', () => {
  it('shows a meaningful id beside the name and hides opaque ones', async () => {
    const { readableId } = await import('./types');
    expect(readableId({ id: 'ann.lee', name: 'Ann' })).toBe('ann.lee');
    expect(readableId({ id: '8f777bf7a10041e09c430dc4c7a7b42b', name: 'Bea' })).toBeUndefined();
    expect(readableId({ id: '0b6e4c1e-8a3c-4a4f-9d6f-2f0a4c3b1e7d', name: 'Cy' })).toBeUndefined();
    expect(readableId({ id: 'dan' })).toBeUndefined();
  });
});
