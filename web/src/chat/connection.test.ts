import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff';
import { flush } from './testing/clock';
import { me } from './testing/fixtures';
import { connect, harness } from './testing/harness';
import type { ConnectionState } from './connection';

function status(h: ReturnType<typeof harness>): ConnectionState {
  return h.client.connection.getSnapshot();
}

describe('handshake', () => {
  it('dials /connect on the base URL with the token, key and user in the query', async () => {
    const h = harness();
    const connecting = h.client.connect();
    await flush();
    const socket = h.server.latest;
    const url = new URL(socket.url);
    expect(url.protocol).toBe('wss:');
    expect(url.host).toBe('chat.example.com');
    expect(url.pathname).toBe('/connect');
    expect(socket.params.get('api_key')).toBe('key123');
    expect(socket.params.get('authorization')).toBe('token-1');
    expect(socket.params.get('stream-auth-type')).toBe('jwt');
    expect(JSON.parse(socket.params.get('json') ?? '{}')).toEqual({
      user_id: 'alice',
      user_details: { id: 'alice' },
      server_determines_connection_id: true,
    });
    expect(status(h)).toEqual({ status: 'connecting', attempt: 0 });

    socket.accept('conn-1', me({ total_unread_count: 3 }));
    await expect(connecting).resolves.toMatchObject({ id: 'alice', total_unread_count: 3 });
    expect(status(h)).toEqual({ status: 'online', connectionId: 'conn-1' });
    expect(h.client.me.getSnapshot()?.total_unread_count).toBe(3);
  });

  it('accepts hosted Stream\'s connection.ok as the first frame too', async () => {
    const h = harness();
    const connecting = h.client.connect();
    await flush();
    h.server.latest.emit({ type: 'connection.ok', connection_id: 'conn-9', me: me() });
    await connecting;
    expect(status(h)).toEqual({ status: 'online', connectionId: 'conn-9' });
  });

  it('stays connecting until the first frame names a connection id', async () => {
    const h = harness();
    void h.client.connect();
    await flush();
    h.server.latest.emit({ type: 'message.new', cid: 'messaging:x' });
    expect(status(h).status).toBe('connecting');
  });

  it('gives up on a handshake that never answers and retries', async () => {
    const h = harness();
    void h.client.connect();
    await flush();
    await h.clock.advance(15_000);
    expect(status(h)).toMatchObject({ status: 'offline', attempt: 1 });
    expect(h.server.sockets[0]?.closedByClient).toBeDefined();
  });
});

describe('health checks', () => {
  it('sends a health check every 25 s with client_id <user>--<connection>', async () => {
    const h = harness();
    await connect(h);
    const socket = h.server.latest;
    await h.clock.advance(24_999);
    expect(socket.sent).toEqual([]);
    // The server's own beats keep the connection alive meanwhile.
    socket.emit({ type: 'health.check', connection_id: 'conn-1', cid: '*' });
    await h.clock.advance(1);
    expect(socket.sent).toEqual([[{ type: 'health.check', client_id: 'alice--conn-1' }]]);
    socket.emit({ type: 'health.check', connection_id: 'conn-1', cid: '*' });
    await h.clock.advance(25_000);
    expect(socket.sent).toHaveLength(2);
  });

  it('treats two silent health intervals as a dead connection and reconnects', async () => {
    const h = harness();
    await connect(h);
    const first = h.server.latest;
    await h.clock.advance(49_999);
    expect(status(h).status).toBe('online');
    await h.clock.advance(1);
    expect(first.closedByClient).toBeDefined();
    expect(status(h)).toMatchObject({ status: 'offline', attempt: 1 });
    // random 0.5 of a 1 s ceiling.
    await h.clock.advance(500);
    expect(h.server.sockets).toHaveLength(2);
    expect(status(h)).toEqual({ status: 'connecting', attempt: 1 });
  });

  it('drops the socket at once when the browser goes offline, and retries with backoff', async () => {
    const h = harness();
    await connect(h);
    const first = h.server.latest;
    h.client.networkLost();
    expect(first.closedByClient).toBeDefined();
    expect(status(h)).toMatchObject({ status: 'offline', attempt: 1 });
    // Twice is once: no socket is left to lose.
    h.client.networkLost();
    expect(status(h)).toMatchObject({ status: 'offline', attempt: 1 });
    h.client.reconnectNow();
    await flush();
    expect(h.server.sockets).toHaveLength(2);
  });

  it('does not dial while the browser is offline, and dials when told it is back', async () => {
    let online = true;
    const h = harness({ isOnline: () => online });
    await connect(h);
    online = false;
    h.client.networkLost();
    await h.clock.advance(60_000);
    expect(h.server.sockets).toHaveLength(1);
    expect(status(h).status).toBe('offline');
    online = true;
    h.client.reconnectNow();
    await flush();
    expect(h.server.sockets).toHaveLength(2);
  });

  it('any frame counts as life, not only health checks', async () => {
    const h = harness();
    await connect(h);
    for (let i = 0; i < 5; i += 1) {
      await h.clock.advance(40_000);
      h.server.latest.emit({ type: 'user.presence.changed', user: { id: 'bob', online: true } });
    }
    expect(h.server.sockets).toHaveLength(1);
    expect(status(h).status).toBe('online');
  });

  it('ignores frames and closes of a socket it gave up on', async () => {
    const h = harness();
    await connect(h);
    const dead = h.server.latest;
    await h.clock.advance(50_000);
    await h.clock.advance(500);
    h.server.latest.accept('conn-2', me());
    await flush();
    dead.serverClose(1006);
    dead.emit({ type: 'health.check', connection_id: 'conn-1', cid: '*' });
    expect(status(h)).toEqual({ status: 'online', connectionId: 'conn-2' });
  });
});

describe('reconnect backoff', () => {
  it('full jitter: a delay is random·min(cap, base·2^attempt)', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffCeiling(attempt))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffDelay(3, () => 0)).toBe(0);
    expect(backoffDelay(3, () => 0.999999)).toBe(7999);
    expect(backoffDelay(40, () => 0.999999)).toBeLessThan(30_000);
  });

  it('waits longer after each failure, within the jitter bounds, and starts over after a success', async () => {
    const h = harness();
    h.random.value = 0.999;
    await connect(h);
    const delays: number[] = [];
    for (let failure = 0; failure < 7; failure += 1) {
      h.server.latest.serverClose(failure === 0 ? 1001 : 1006);
      await flush();
      const state = status(h);
      if (state.status !== 'offline') throw new Error(`expected offline, got ${state.status}`);
      const delay = state.nextRetryAt - h.clock.now();
      delays.push(delay);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(backoffCeiling(failure));
      await h.clock.advance(delay);
      expect(status(h).status).toBe('connecting');
    }
    expect(delays).toEqual([999, 1998, 3996, 7992, 15984, 29970, 29970]);
    for (let i = 1; i < 5; i += 1) expect(delays[i]).toBeGreaterThan(delays[i - 1] as number);

    // A success resets the exponent: the next failure waits at most the base again.
    h.server.latest.accept('conn-2', me());
    await flush();
    expect(status(h)).toEqual({ status: 'online', connectionId: 'conn-2' });
    h.server.latest.serverClose(1011);
    await flush();
    const after = status(h);
    expect(after.status === 'offline' && after.nextRetryAt - h.clock.now()).toBe(999);
  });

  it('spreads retries: different random draws give different delays under the same ceiling', async () => {
    const draws = [0.1, 0.7, 0.35];
    const delays = draws.map((value) => backoffDelay(2, () => value));
    expect(new Set(delays).size).toBe(3);
    for (const delay of delays) expect(delay).toBeLessThan(4000);
  });

  it('reconnectNow skips the wait', async () => {
    const h = harness();
    h.random.value = 0.9;
    await connect(h);
    h.server.latest.serverClose(1006);
    await flush();
    expect(status(h).status).toBe('offline');
    h.client.reconnectNow();
    await flush();
    expect(h.server.sockets).toHaveLength(2);
  });

  it('disconnect is final: no reconnect, state closed', async () => {
    const h = harness();
    await connect(h);
    const socket = h.server.latest;
    h.client.disconnect();
    expect(socket.closedByClient?.code).toBe(1000);
    expect(status(h)).toEqual({ status: 'closed' });
    await h.clock.advance(120_000);
    expect(h.server.sockets).toHaveLength(1);
  });
});

describe('refusals', () => {
  it('code 40 in connection.error: fetches a fresh token and reconnects at once', async () => {
    const h = harness();
    void h.client.connect();
    await flush();
    h.server.latest.refuse(40, 'token expired');
    await flush();
    expect(h.sessions).toHaveLength(2);
    expect(h.server.sockets).toHaveLength(2);
    expect(h.server.latest.params.get('authorization')).toBe('token-2');
    h.server.latest.accept('conn-2', me());
    await flush();
    expect(status(h)).toEqual({ status: 'online', connectionId: 'conn-2' });
  });

  it('a second 40 in a row backs off instead of looping', async () => {
    const h = harness();
    void h.client.connect();
    await flush();
    h.server.latest.refuse(40);
    await flush();
    h.server.latest.refuse(40);
    await flush();
    expect(h.server.sockets).toHaveLength(2);
    expect(status(h)).toMatchObject({ status: 'offline' });
  });

  it('any other refusal is final and surfaces the error', async () => {
    const h = harness();
    const connecting = h.client.connect();
    await flush();
    h.server.latest.refuse(5, 'token is for user bob');
    await expect(connecting).rejects.toMatchObject({ code: 5, message: 'token is for user bob' });
    const state = status(h);
    expect(state.status).toBe('closed');
    expect(state.status === 'closed' && state.error).toMatchObject({ code: 5 });
    await h.clock.advance(60_000);
    expect(h.server.sockets).toHaveLength(1);
  });

  it('a refresh that fails (Hub unreachable) is retried with backoff, not given up', async () => {
    let hubUp = true;
    let issued = 0;
    const h = harness({
      tokenProvider: async () => {
        if (!hubUp) throw new Error('hub unreachable');
        issued += 1;
        return {
          api_key: 'key123',
          base_url: 'http://localhost:8080/',
          user_id: 'alice',
          token: `token-${issued}`,
          expires_at: '2026-12-04T10:00:00Z',
        };
      },
    });
    await connect(h);
    expect(new URL(h.server.latest.url).protocol).toBe('ws:');
    hubUp = false;
    h.server.latest.refuse(40);
    await flush();
    const state = status(h);
    expect(state).toMatchObject({ status: 'offline', error: { message: 'hub unreachable' } });
    hubUp = true;
    await h.clock.advance(state.status === 'offline' ? state.nextRetryAt - h.clock.now() : 0);
    expect(h.server.sockets).toHaveLength(2);
    expect(h.server.latest.params.get('authorization')).toBe('token-2');
  });
});
