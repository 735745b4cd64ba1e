import { describe, expect, it } from 'vitest';
import { matches } from './filter';

describe('matches', () => {
  it('finds every word in any field, ignoring case and accents', () => {
    expect(matches('', 'Ada')).toBe(true);
    expect(matches('ada', 'Ada Lovelace', 'ada@example.com')).toBe(true);
    expect(matches('lovelace example', 'Ada Lovelace', 'ada@example.com')).toBe(true);
    expect(matches('zoe', 'Zoë Smith')).toBe(true);
    expect(matches('bob', 'Ada', null)).toBe(false);
  });
});
