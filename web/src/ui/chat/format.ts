// Formatting shared by the chat components: times, days, sizes and the short sentences of indicators.
import { userName, type ReadView, type Timestamp, type UserView } from './types';

export function toDate(t: Timestamp | undefined | null): Date | null {
  if (t === undefined || t === null) return null;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function toMs(t: Timestamp | undefined | null): number {
  return toDate(t)?.getTime() ?? 0;
}

/** A local calendar day key, e.g. "2026-12-03". */
export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function formatTime(t: Timestamp | undefined, locale?: string): string {
  const d = toDate(t);
  return d ? d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' }) : '';
}

/** "Today", "Yesterday", a weekday within the week, else the date (with the year when it is not this year's). */
export function formatDay(d: Date, now: Date = new Date(), locale?: string): string {
  const start = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((start(now) - start(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return d.toLocaleDateString(locale, { weekday: 'long' });
  return d.toLocaleDateString(locale, {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

/** A full date and time for titles and accessible names. */
export function formatFull(t: Timestamp | undefined, locale?: string): string {
  const d = toDate(t);
  return d ? d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

export function formatFileSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** "Ann is typing…", "Ann and Ben are typing…", "Ann, Ben and Cy are typing…", "Several people are typing…". */
export function typingText(users: readonly UserView[]): string {
  const names = users.map(userName);
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return 'Several people are typing…';
}

/**
 * Who has read a message: the readers (other than its author and the viewer) whose `last_read` is at or after it.
 * Returns names for up to `maxNames` readers, else a count.
 */
export function readersOf(
  message: { created_at?: Timestamp; user?: UserView },
  reads: readonly ReadView[],
  selfId?: string,
): UserView[] {
  const at = toMs(message.created_at);
  return reads
    .filter((r) => r.user.id !== selfId && r.user.id !== message.user?.id && toMs(r.last_read) >= at)
    .map((r) => r.user);
}

export function readReceiptText(readers: readonly UserView[], memberCount: number, maxNames = 3): string {
  if (readers.length === 0) return '';
  // In a DM or a small group, "Seen by everyone" reads better than the names.
  if (memberCount > 2 && readers.length >= memberCount - 1) return 'Seen by everyone';
  if (readers.length <= maxNames) {
    const names = readers.map(userName);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    return `Seen by ${list}`;
  }
  return `Seen by ${readers.length}`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const a = parts[0]?.[0] ?? '?';
  const b = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (a + b).toUpperCase();
}
