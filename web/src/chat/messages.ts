// Message lists: ordered by `created_at` then `id` (the engine's own order), keyed by id. Every path that brings
// a message in (an event, a page, a resync, a send's answer) goes through `mergeMessage`, so a message is never
// shown twice and an older copy never overwrites a newer one.

import type { Message, Reaction } from './types';

export type MessageStatus = 'sending' | 'sent' | 'failed';

/** A message as the UI shows it: the server's copy (`sent`), or this client's own not yet confirmed. */
export type LocalMessage = Message & {
  readonly status: MessageStatus;
  /** Why a send failed (`StreamError` or `NetworkError`). */
  readonly error?: Error;
};

/** Where a copy of a message comes from. Events are broadcast, so their `own_reactions` are empty and must not
 * replace ours; answers to our own requests are per viewer and are complete. */
export type Source = 'event' | 'answer';

const timeKeys = new Map<string, string>();

/**
 * A string that sorts like the instant: RFC 3339 with any number of fractional digits and any offset. Plain
 * string comparison is wrong for `...49.39Z` against `...49.394479Z`, and Date.parse drops microseconds, which
 * the engine keeps and orders by.
 */
export function timeKey(iso: string): string {
  const cached = timeKeys.get(iso);
  if (cached !== undefined) return cached;
  const match = /^([^.]*?)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/i.exec(iso);
  const whole = Date.parse(`${match?.[1] ?? iso}${match?.[3] ?? 'Z'}`);
  const fraction = (match?.[2] ?? '').padEnd(9, '0').slice(0, 9);
  const key = `${String(Number.isNaN(whole) ? 0 : whole).padStart(15, '0')}${fraction}`;
  // Bounded: a long session sees many timestamps, and the cache is only a speed-up.
  if (timeKeys.size > 20_000) timeKeys.clear();
  timeKeys.set(iso, key);
  return key;
}

export function compareMessages(a: Pick<Message, 'created_at' | 'id'>, b: Pick<Message, 'created_at' | 'id'>): number {
  const byTime = timeKey(a.created_at).localeCompare(timeKey(b.created_at));
  if (byTime !== 0) return byTime;
  // Byte order, as SQL compares ids; localeCompare would fold case.
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether `a` is strictly older than `b` (by `updated_at`). */
export function isOlder(a: string, b: string): boolean {
  return timeKey(a) < timeKey(b);
}

/**
 * The copy to keep when `incoming` meets `existing`, or `existing` itself (same identity) when nothing changed.
 * - Our own unconfirmed message is replaced by the server's copy, whatever its date.
 * - A server copy older than the one held is ignored (events and pages can arrive out of order).
 * - An event keeps our `own_reactions`.
 */
export function mergeMessage(existing: LocalMessage | undefined, incoming: Message, source: Source): LocalMessage {
  const confirmed = withStatus(incoming, 'sent');
  if (!existing) return confirmed;
  if (existing.status !== 'sent') return confirmed;
  if (isOlder(incoming.updated_at, existing.updated_at)) return existing;
  const merged: LocalMessage = source === 'event' ? { ...confirmed, own_reactions: existing.own_reactions } : confirmed;
  return sameContent(existing, merged) ? existing : merged;
}

export function withStatus(message: Message, status: MessageStatus, error?: Error): LocalMessage {
  const { status: _status, error: _error, ...rest } = message as LocalMessage;
  return error ? { ...rest, status, error } : { ...rest, status };
}

/** Structural equality of two copies: duplicates must not change a snapshot's identity. */
export function sameContent(a: LocalMessage, b: LocalMessage): boolean {
  if (a.status !== b.status || a.error !== b.error) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function remove(list: readonly LocalMessage[], id: string): readonly LocalMessage[] {
  const at = list.findIndex((item) => item.id === id);
  if (at < 0) return list;
  const next = list.slice();
  next.splice(at, 1);
  return next;
}

/** Whether a message belongs in the channel's list (not a thread reply kept to its thread). */
export function showsInChannel(message: Pick<Message, 'parent_id' | 'show_in_channel'>): boolean {
  return !message.parent_id || message.show_in_channel === true;
}

/** Our own reactions after `reaction` was added (or replaced: one per type; all when unique). */
export function addOwnReaction(own: readonly Reaction[], reaction: Reaction, unique: boolean): Reaction[] {
  if (unique) return [reaction];
  return [...own.filter((item) => item.type !== reaction.type), reaction];
}

export function removeOwnReaction(own: readonly Reaction[], type: string): Reaction[] {
  return own.filter((item) => item.type !== type);
}
