import { describe, expect, it } from 'vitest';
import { levelOf, monthName, percentOf, planName, resetDate } from './usage-logic';

describe('usage', () => {
  it('computes the bar', () => {
    expect(percentOf({ count: 2, limit: 5, level: 'fine' })).toBe(40);
    expect(percentOf({ count: 7, limit: 5, level: 'full' })).toBe(100);
    expect(percentOf({ count: 7, limit: null, level: 'fine' })).toBeNull();
  });
  it('keeps the server’s level and falls back to 80 %/100 %', () => {
    expect(levelOf({ count: 1, limit: 5, level: 'warning' })).toBe('warning');
    expect(levelOf({ count: 4, limit: 5, level: undefined as never })).toBe('warning');
    expect(levelOf({ count: 5, limit: 5, level: undefined as never })).toBe('full');
    expect(levelOf({ count: 3, limit: 5, level: undefined as never })).toBe('fine');
  });
  it('names months', () => {
    expect(resetDate('2026-12', 'en')).toBe('January 1');
    expect(resetDate('2026-03', 'en')).toBe('April 1');
    expect(monthName('2026-12', 'en')).toBe('December 2026');
    expect(resetDate('nope')).toBeNull();
    expect(planName('free')).toBe('Free');
  });
});
