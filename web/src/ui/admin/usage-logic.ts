import type { UsageLevel, UsageMeter } from '../../hub/types';

/** The share of the limit used, 0–100 for the bar (past the limit the bar is full), or null without a limit. */
export function percentOf(m: UsageMeter): number | null {
  if (m.limit === null || m.limit <= 0) return null;
  return Math.min(100, Math.round((m.count / m.limit) * 100));
}

/**
 * The level to show. The server's word decides; should it be missing, the same thresholds (80 %, 100 %) are
 * applied here.
 */
export function levelOf(m: UsageMeter): UsageLevel {
  if (m.level === 'fine' || m.level === 'warning' || m.level === 'full') return m.level;
  const p = m.limit ? m.count / m.limit : 0;
  return p >= 1 ? 'full' : p >= 0.8 ? 'warning' : 'fine';
}

/** `2026-12` → the first day of the next month, when the counts start again. */
export function resetDate(month: string, locale?: string): string | null {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return null;
  const next = new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
  return next.toLocaleDateString(locale, { month: 'long', day: 'numeric', timeZone: 'UTC' });
}

export function monthName(month: string, locale?: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return month;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)).toLocaleDateString(locale, {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

export function planName(plan: string): string {
  return plan.charAt(0).toUpperCase() + plan.slice(1);
}
