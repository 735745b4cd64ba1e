// Turns a channel's messages into the rows the message list shows: day separators, the "New" divider before
// the first unread message, and grouping of consecutive messages by one author.
import { dayKey, toDate, toMs } from './format';
import type { MessageView, Timestamp } from './types';

export type Row =
  | { kind: 'day'; key: string; date: Date }
  | { kind: 'unread'; key: string }
  | {
      kind: 'message';
      key: string;
      message: MessageView;
      /** False when it continues the previous message's group (no avatar or name shown). */
      head: boolean;
      /** Its index in the messages array. */
      index: number;
    };

/** Messages by one author within this many minutes of the previous one share a header. */
export const GROUP_WINDOW_MS = 5 * 60_000;

const UNGROUPED_TYPES = new Set(['system', 'error', 'ephemeral']);

export function isDeleted(m: MessageView): boolean {
  return m.type === 'deleted' || !!m.deleted_at;
}

/**
 * The index of the first message the viewer has not read: the first after `lastRead` that is not the viewer's
 * own, nor a system message. -1 when everything is read (or nothing is known of the read state).
 */
export function firstUnreadIndex(
  messages: readonly MessageView[],
  lastRead: Timestamp | undefined | null,
  selfId: string | undefined,
  lastReadMessageId?: string,
): number {
  if (lastReadMessageId) {
    const at = messages.findIndex((m) => m.id === lastReadMessageId);
    if (at !== -1) {
      for (let i = at + 1; i < messages.length; i++) if (countsAsUnread(messages[i] as MessageView, selfId)) return i;
      return -1;
    }
  }
  const readAt = toDate(lastRead);
  if (!readAt) return -1;
  const ms = readAt.getTime();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as MessageView;
    if (toMs(m.created_at) > ms && countsAsUnread(m, selfId)) return i;
  }
  return -1;
}

function countsAsUnread(m: MessageView, selfId: string | undefined): boolean {
  return m.user?.id !== selfId && m.type !== 'system' && !m.silent && !isDeleted(m) && !m.status;
}

export interface BuildRowsOptions {
  /** Index of the first unread message (see `firstUnreadIndex`); the "New" divider goes before it. */
  unreadIndex?: number;
  groupWindowMs?: number;
}

export function buildRows(messages: readonly MessageView[], opts: BuildRowsOptions = {}): Row[] {
  const windowMs = opts.groupWindowMs ?? GROUP_WINDOW_MS;
  const rows: Row[] = [];
  let prev: MessageView | undefined;
  let prevDay = '';
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as MessageView;
    const date = toDate(m.created_at) ?? new Date();
    const day = dayKey(date);
    let newGroup = false;
    if (day !== prevDay) {
      rows.push({ kind: 'day', key: `day-${day}`, date });
      prevDay = day;
      newGroup = true;
    }
    if (i === opts.unreadIndex) {
      rows.push({ kind: 'unread', key: 'unread' });
      newGroup = true;
    }
    const head =
      newGroup ||
      !prev ||
      prev.user?.id !== m.user?.id ||
      UNGROUPED_TYPES.has(m.type ?? '') ||
      UNGROUPED_TYPES.has(prev.type ?? '') ||
      toMs(m.created_at) - toMs(prev.created_at) > windowMs ||
      toMs(m.created_at) < toMs(prev.created_at);
    rows.push({ kind: 'message', key: m.id, message: m, head, index: i });
    prev = m;
  }
  return rows;
}

/** Whether a message's text was edited (as opposed to updated by a reaction or a reply). */
export function isEdited(m: MessageView): boolean {
  if (isDeleted(m)) return false;
  const edited = toMs(m.message_text_updated_at);
  return edited > 0 && edited > toMs(m.created_at) + 1000;
}
