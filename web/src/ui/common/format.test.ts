import { describe, expect, it } from 'vitest';
import { initials, plural, relativeTime } from './format';

describe('relativeTime', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  it('words recent times', () => {
    expect(relativeTime('2026-12-03T11:59:30Z', now, 'en')).toBe('just now');
    expect(relativeTime('2026-12-03T11:55:00Z', now, 'en')).toBe('5 minutes ago');
    expect(relativeTime('2026-12-03T09:00:00Z', now, 'en')).toBe('3 hours ago');
    expect(relativeTime('2026-12-02T10:00:00Z', now, 'en')).toBe('yesterday');
  });
  it('gives a date for older times and leaves nonsense alone', () => {
    expect(relativeTime('2026-11-20T10:00:00Z', now, 'en')).toBe('Nov 20');
    expect(relativeTime('2025-11-20T10:00:00Z', now, 'en')).toBe('Nov 20, 2025');
    expect(relativeTime('not a time', now, 'en')).toBe('not a time');
  });
  it('reads the server’s other time format too', () => {
    // /provisioning and /audit answer nanoseconds and +00:00.
    expect(relativeTime('2026-12-03T11:54:59.519988839+00:00', now, 'en')).toBe('5 minutes ago');
  });
});

describe('words', () => {
  it('pluralises and makes initials', () => {
    expect(plural(1, 'member')).toBe('1 member');
    expect(plural(3, 'member')).toBe('3 members');
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('bob')).toBe('B');
    expect(initials('  ')).toBe('?');
    expect(initials('Jean Paul Sartre')).toBe('JS');
  });
});
