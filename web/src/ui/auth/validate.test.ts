import { describe, expect, it } from 'vitest';
import { emailProblem, nameProblem, passwordProblem } from './validate';

describe('form checks', () => {
  it('checks emails like the Hub', () => {
    expect(emailProblem('ada@example.com')).toBeNull();
    expect(emailProblem(' Ada@Example.com ')).toBeNull();
    expect(emailProblem('admin@localhost')).toBeNull();
    expect(emailProblem('')).toMatch(/Enter your email/);
    expect(emailProblem('ada')).toMatch(/like name@example.com/);
    expect(emailProblem('a b@c.d')).toMatch(/like/);
    expect(emailProblem('a@b@c')).toMatch(/like/);
  });
  it('checks passwords like the Hub', () => {
    expect(passwordProblem('')).toMatch(/Choose/);
    expect(passwordProblem('short')).toBe('Use at least 12 characters (5 so far).');
    expect(passwordProblem('twelve chars')).toBeNull();
    // Characters, not UTF-16 units: 12 emoji are 12 characters.
    expect(passwordProblem('🙂'.repeat(12))).toBeNull();
    expect(passwordProblem('é'.repeat(600))).toMatch(/too long/);
  });
  it('checks names', () => {
    expect(nameProblem('  ')).toMatch(/Enter a name/);
    expect(nameProblem('x'.repeat(101))).toMatch(/100/);
    expect(nameProblem('Ada')).toBeNull();
  });
});
