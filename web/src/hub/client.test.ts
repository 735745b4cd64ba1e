import { describe, expect, it, vi } from 'vitest';
import { HubClient } from './client';
import { describeError, errorFromAnswer, formatWait, HubError, parseRetryAfter } from './errors';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fake fetch answering from a queue of (status, body, headers). */
function fakeFetch(answers: { status: number; body?: unknown; headers?: Record<string, string> }[]) {
  const calls: Call[] = [];
  const fn = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const a = answers.shift();
    if (!a) throw new TypeError('Failed to fetch');
    const text = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    return new Response(text, { status: a.status, headers: a.headers });
  });
  return { fn: fn as unknown as typeof fetch, calls };
}

const member = {
  id: 'm1',
  email: 'a@b.c',
  name: 'A',
  role: 'admin',
  has_password: true,
  created_at: '2026-12-03T08:00:00.000Z',
};
const session = (csrf: string) => ({ member, csrf_token: csrf, expires_at: '2026-12-03T20:00:00.000Z' });
const header = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name];

describe('CSRF', () => {
  it('sends the token from the last session answer on state-changing calls only', async () => {
    const { fn, calls } = fakeFetch([
      { status: 200, body: session('tok-1') },
      { status: 200, body: { members: [] } },
      { status: 201, body: { project: {} } },
    ]);
    const c = new HubClient({ fetch: fn });
    await c.signIn('a@b.c', 'pw');
    // Sign-in has no session yet: no token.
    expect(header(calls[0]!, 'X-CSRF-Token')).toBeUndefined();
    await c.members();
    expect(header(calls[1]!, 'X-CSRF-Token')).toBeUndefined();
    await c.createProject({ name: 'P' });
    expect(header(calls[2]!, 'X-CSRF-Token')).toBe('tok-1');
    expect(calls[2]!.init.method).toBe('POST');
    expect(calls[2]!.init.credentials).toBe('same-origin');
    expect(header(calls[2]!, 'Content-Type')).toBe('application/json');
  });

  it('fetches the current token once and retries when the server says csrf', async () => {
    const { fn, calls } = fakeFetch([
      { status: 200, body: session('old') },
      { status: 403, body: { error: { code: 'csrf', message: 'missing or wrong X-CSRF-Token' } } },
      { status: 200, body: session('new') },
      { status: 200, body: { member } },
    ]);
    const c = new HubClient({ fetch: fn });
    await c.me();
    await c.updateMember('m1', { role: 'member' });
    expect(calls.map((x) => `${x.init.method} ${x.url}`)).toEqual([
      'GET /hub/api/auth/me',
      'PATCH /hub/api/members/m1',
      'GET /hub/api/auth/me',
      'PATCH /hub/api/members/m1',
    ]);
    expect(header(calls[3]!, 'X-CSRF-Token')).toBe('new');
    expect(c.csrf).toBe('new');
  });

  it('does not retry a second csrf refusal', async () => {
    const csrf = { status: 403, body: { error: { code: 'csrf', message: 'x' } } };
    const { fn, calls } = fakeFetch([csrf, { status: 200, body: session('t') }, csrf]);
    const c = new HubClient({ fetch: fn });
    await expect(c.signOut()).rejects.toMatchObject({ code: 'csrf', status: 403 });
    expect(calls).toHaveLength(3);
    expect(c.csrf).toBeNull();
  });

  it('forgets the token on sign-out', async () => {
    const { fn } = fakeFetch([{ status: 200, body: session('t') }, { status: 200, body: { signed_out: true } }]);
    const c = new HubClient({ fetch: fn });
    await c.me();
    await c.signOut();
    expect(c.csrf).toBeNull();
  });
});

describe('errors', () => {
  it('parses the one error shape into a typed error', async () => {
    const { fn } = fakeFetch([
      { status: 409, body: { error: { code: 'last_admin', message: 'the workspace needs an admin' } } },
    ]);
    const err = await new HubClient({ fetch: fn }).removeMember('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ status: 409, code: 'last_admin', serverMessage: 'the workspace needs an admin' });
    expect(describeError(err)).toMatch(/at least one admin/);
  });

  it('reads Retry-After on 429 and says when to retry', async () => {
    const { fn } = fakeFetch([
      {
        status: 429,
        body: { error: { code: 'too_many_attempts', message: 'too many failed sign-ins; try again later' } },
        headers: { 'Retry-After': '900' },
      },
    ]);
    const err = await new HubClient({ fetch: fn }).signIn('a@b.c', 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'too_many_attempts', retryAfterSeconds: 900 });
    expect(describeError(err)).toMatch(/Try again in 15 minutes \(at .+\)\./);
  });

  it('turns a proxy page or an empty answer into unexpected_answer', () => {
    expect(errorFromAnswer(502, '<html>Bad gateway</html>', null)).toMatchObject({
      status: 502,
      code: 'unexpected_answer',
    });
    expect(errorFromAnswer(500, '', null).code).toBe('unexpected_answer');
    expect(errorFromAnswer(400, '{"error":"flat"}', null).code).toBe('unexpected_answer');
  });

  it('turns a failed fetch into a network error', async () => {
    const { fn } = fakeFetch([]);
    const err = await new HubClient({ fetch: fn }).members().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: 'network' });
    expect(describeError(err)).toMatch(/could not be reached/);
  });

  it('tells the app when a session ends under it, not when there was none', async () => {
    const out = { status: 401, body: { error: { code: 'not_signed_in', message: 'sign in first' } } };
    const { fn } = fakeFetch([out, { status: 200, body: session('t') }, out]);
    const onSignedOut = vi.fn();
    const c = new HubClient({ fetch: fn, onSignedOut });
    expect(await c.currentSession()).toBeNull();
    expect(onSignedOut).not.toHaveBeenCalled();
    await c.me();
    await expect(c.usage()).rejects.toMatchObject({ code: 'not_signed_in' });
    expect(onSignedOut).toHaveBeenCalledTimes(1);
  });

  it('adds the backend detail for backend refusals, but not deserialiser noise', () => {
    const refused = new HubError(400, 'backend_refused', 'the chat backend refused: banning the member: no such user');
    expect(describeError(refused)).toBe('The chat backend refused this. Banning the member: no such user.');
    const noise = new HubError(400, 'invalid_request', 'Failed to deserialize the JSON body into the target type');
    expect(describeError(noise)).toBe('The request was not accepted. Reload the page and try again.');
    expect(describeError(new HubError(400, 'brand_new', 'something new happened'))).toBe('Something new happened.');
    expect(describeError(new HubError(400, 'invalid_credentials', ''), { invalid_credentials: 'Nope.' })).toBe('Nope.');
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    const now = Date.parse('2026-12-03T08:00:00Z');
    expect(parseRetryAfter('Thu, 03 Dec 2026 08:01:00 GMT', now)).toBe(60);
  });

  it('words waits', () => {
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(45)).toBe('45 seconds');
    expect(formatWait(61)).toBe('2 minutes');
    expect(formatWait(900)).toBe('15 minutes');
    expect(formatWait(3600)).toBe('1 hour');
  });
});

describe('requests', () => {
  it('builds query strings and bodies as the API documents', async () => {
    const { fn, calls } = fakeFetch([
      { status: 200, body: { items: [] } },
      { status: 200, body: { ok: true } },
      { status: 200, body: { entries: [] } },
      { status: 200, body: session('t') },
    ]);
    const c = new HubClient({ fetch: fn });
    await c.moderationQueue(25, 26);
    await c.moderate({ action: 'mute', user_id: 'u', channel_cid: 'team:general', minutes: 60 });
    await c.audit(500);
    await c.useLink('tok', '');
    expect(calls[0]!.url).toBe('/hub/api/moderation/queue?offset=25&limit=26');
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({
      action: 'mute',
      user_id: 'u',
      channel_cid: 'team:general',
      minutes: 60,
    });
    expect(calls[2]!.url).toBe('/hub/api/audit?limit=500');
    // An empty password is left out (a sign-in link without setting one).
    expect(JSON.parse(String(calls[3]!.init.body))).toEqual({ token: 'tok' });
  });
});
