import { describe, expect, it } from 'vitest';
import { FakeClock, flush } from './testing/clock';
import { session } from './testing/fixtures';
import { hubSessionProvider, TokenManager } from './token';

function manager(clock: FakeClock, lifetimes: number[]) {
  const issued: string[] = [];
  const tokens = new TokenManager({
    clock,
    provider: async () => {
      const lifetime = lifetimes[issued.length] ?? 3600_000;
      const token = `token-${issued.length + 1}`;
      issued.push(token);
      return session(token, new Date(clock.now() + lifetime).toISOString());
    },
  });
  return { tokens, issued };
}

describe('token refresh', () => {
  it('refreshes 5 minutes before expires_at, and again for the next token', async () => {
    const clock = new FakeClock();
    const { tokens, issued } = manager(clock, [3600_000, 3600_000]);
    expect(await tokens.token()).toBe('token-1');
    await clock.advance(55 * 60_000 - 1);
    expect(issued).toEqual(['token-1']);
    await clock.advance(1);
    expect(issued).toEqual(['token-1', 'token-2']);
    expect(await tokens.token()).toBe('token-2');
    await clock.advance(55 * 60_000);
    expect(issued).toHaveLength(3);
  });

  it('a token shorter-lived than the margin refreshes at half its life, never in a loop', async () => {
    const clock = new FakeClock();
    const { tokens, issued } = manager(clock, [60_000, -1000, -1000, -1000]);
    await tokens.token();
    await clock.advance(30_000);
    expect(issued).toHaveLength(2);
    // An already expired token (a skewed clock) is refreshed no sooner than every 10 s.
    await clock.advance(9_999);
    expect(issued).toHaveLength(2);
    await clock.advance(1);
    expect(issued).toHaveLength(3);
  });

  it('refresh(stale) returns the newer token when another caller already replaced it', async () => {
    const clock = new FakeClock();
    const { tokens, issued } = manager(clock, []);
    await tokens.token();
    await tokens.refresh('token-1');
    expect(await tokens.refresh('token-1')).toBe('token-2');
    expect(issued).toHaveLength(2);
  });

  it('keeps trying a failed scheduled refresh on a slow beat', async () => {
    const clock = new FakeClock();
    let fail = false;
    let calls = 0;
    const tokens = new TokenManager({
      clock,
      provider: async () => {
        calls += 1;
        if (fail) throw new Error('hub down');
        return session(`t${calls}`, new Date(clock.now() + 3600_000).toISOString());
      },
    });
    await tokens.token();
    fail = true;
    await clock.advance(55 * 60_000);
    expect(calls).toBe(2);
    await clock.advance(30_000);
    expect(calls).toBe(3);
    fail = false;
    await clock.advance(30_000);
    expect(calls).toBe(4);
    expect(await tokens.token()).toBe('t4');
  });
});

describe('hub session provider', () => {
  it('asks /hub/api/chat/session with the session cookie', async () => {
    const seen: [string, RequestInit | undefined][] = [];
    const provider = hubSessionProvider(async (input, init) => {
      seen.push([String(input), init]);
      return new Response(JSON.stringify(session()), { status: 200 });
    });
    await expect(provider()).resolves.toMatchObject({ token: 'token-1', api_key: 'key123' });
    expect(seen[0]?.[0]).toBe('/hub/api/chat/session');
    expect(seen[0]?.[1]?.credentials).toBe('same-origin');
  });

  it('rejects with the status when the Hub refuses (signed out, not connected)', async () => {
    const provider = hubSessionProvider(async () => new Response('{"error":"not_connected"}', { status: 409 }));
    await expect(provider()).rejects.toMatchObject({ name: 'HubSessionError', status: 409 });
    await flush(1);
  });
});
