import { describe, expect, it } from 'vitest';
import { NetworkError, StreamError } from './errors';
import { apiError } from './testing/backend';
import { flush } from './testing/clock';
import { message } from './testing/fixtures';
import { connect, harness } from './testing/harness';

describe('REST transport', () => {
  it('sends api_key, the raw token (no Bearer) and stream-auth-type on every call', async () => {
    const h = harness();
    h.backend.on('GET /messages/m1', () => ({ status: 200, body: { message: message('m1'), duration: '0.1ms' } }));
    await h.client.api.getMessage('m1');
    const [request] = h.backend.requests;
    expect(request?.query.get('api_key')).toBe('key123');
    expect(request?.headers.Authorization).toBe('token-1');
    expect(request?.headers['stream-auth-type']).toBe('jwt');
    expect(request?.headers['X-Stream-Client']).toMatch(/^rill-web/);
  });

  it('parses Stream errors into StreamError with code, status, duration and more_info', async () => {
    const h = harness();
    h.backend.on('GET /messages/nope', () => ({
      status: 404,
      body: apiError(16, 'GetMessage failed with error: "message nope does not exist"', 404),
    }));
    const error = await h.client.api.getMessage('nope').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({
      code: 16,
      statusCode: 404,
      message: 'GetMessage failed with error: "message nope does not exist"',
      duration: '0.10ms',
      moreInfo: 'https://rill.example/errors',
    });
  });

  it('a body that is not an API error still becomes a StreamError with the HTTP status', async () => {
    const h = harness();
    h.backend.on('GET /messages/x', () => ({ status: 502, body: '<html>bad gateway</html>' }));
    await expect(h.client.api.getMessage('x')).rejects.toMatchObject({ code: -1, statusCode: 502 });
  });

  it('a fetch that throws is a NetworkError', async () => {
    const h = harness();
    h.backend.on('GET /messages/x', () => 'network-error');
    await expect(h.client.api.getMessage('x')).rejects.toBeInstanceOf(NetworkError);
  });

  it('code 40: refreshes the token and retries the request once', async () => {
    const h = harness();
    h.backend
      .on('GET /messages/m1', () => ({ status: 401, body: apiError(40, 'token expired', 401) }))
      .on('GET /messages/m1', () => ({ status: 200, body: { message: message('m1') } }));
    await expect(h.client.api.getMessage('m1')).resolves.toMatchObject({ id: 'm1' });
    const calls = h.backend.calls('GET /messages/m1');
    expect(calls.map((call) => call.headers.Authorization)).toEqual(['token-1', 'token-2']);
    expect(h.sessions).toHaveLength(2);
  });

  it('a second 40 surfaces the error instead of looping', async () => {
    const h = harness();
    h.backend.on('GET /messages/m1', () => ({ status: 401, body: apiError(40, 'token expired', 401) }));
    await expect(h.client.api.getMessage('m1')).rejects.toMatchObject({ code: 40, isTokenExpired: true });
    expect(h.backend.calls('GET /messages/m1')).toHaveLength(2);
    expect(h.sessions).toHaveLength(2);
  });

  it('other auth failures are not retried', async () => {
    const h = harness();
    h.backend.on('GET /messages/m1', () => ({ status: 401, body: apiError(43, 'signature invalid', 401) }));
    await expect(h.client.api.getMessage('m1')).rejects.toMatchObject({ code: 43 });
    expect(h.backend.calls('GET /messages/m1')).toHaveLength(1);
    expect(h.sessions).toHaveLength(1);
  });

  it('concurrent 40s share one refresh', async () => {
    const h = harness();
    let refused = 0;
    h.backend.on('GET /messages/a', (request) =>
      request.headers.Authorization === 'token-1' && ++refused
        ? { status: 401, body: apiError(40, 'expired', 401) }
        : { status: 200, body: { message: message('a') } },
    );
    await Promise.all([h.client.api.getMessage('a'), h.client.api.getMessage('a'), h.client.api.getMessage('a')]);
    expect(refused).toBe(3);
    expect(h.sessions).toHaveLength(2);
  });
});

describe('operations', () => {
  it('query channels: POST /channels with the filter, state/watch/presence and the connection id', async () => {
    const h = harness();
    h.backend.on('POST /channels', () => ({ body: { channels: [] } }));
    await connect(h);
    await h.client.queryChannels({ limit: 10 });
    const [call] = h.backend.calls('POST /channels');
    expect(call?.query.get('connection_id')).toBe('conn-1');
    expect(call?.body).toEqual({
      filter_conditions: { members: { $in: ['alice'] } },
      sort: [{ field: 'last_message_at', direction: -1 }],
      limit: 10,
      message_limit: 25,
      state: true,
      watch: true,
      presence: true,
      offset: 0,
    });
  });

  it('paths and bodies of the message, reaction, read, typing and flag calls', async () => {
    const h = harness();
    const ok = () => ({ body: { message: message('m1'), reaction: { type: 'like' }, flag: { created_at: '', updated_at: '' } } });
    for (const route of [
      'POST /channels/messaging/general/message',
      'POST /messages/m1',
      'PUT /messages/m1',
      'DELETE /messages/m1',
      'POST /messages/m1/reaction',
      'DELETE /messages/m1/reaction/like',
      'POST /channels/messaging/general/read',
      'POST /channels/messaging/general/event',
      'POST /moderation/flag',
    ]) {
      h.backend.on(route, ok);
    }
    const api = h.client.api;
    await api.sendMessage('messaging', 'general', { id: 'alice-1', text: 'hi' });
    await api.updateMessage({ id: 'm1', text: 'edited' });
    await api.partialUpdateMessage('m1', { pinned: true });
    await api.deleteMessage('m1', true);
    await api.sendReaction('m1', { type: 'like' }, { enforce_unique: true });
    await api.deleteReaction('m1', 'like');
    await api.markRead('messaging', 'general', { message_id: 'm1' });
    await api.sendEvent('messaging', 'general', { type: 'typing.start' });
    await api.flagMessage('m1', 'spam');
    const bodies = h.backend.requests.map((request) => [request.method, request.path, request.body]);
    expect(bodies).toEqual([
      ['POST', '/channels/messaging/general/message', { message: { id: 'alice-1', text: 'hi' } }],
      ['POST', '/messages/m1', { message: { id: 'm1', text: 'edited' } }],
      ['PUT', '/messages/m1', { set: { pinned: true }, unset: [] }],
      ['DELETE', '/messages/m1', undefined],
      ['POST', '/messages/m1/reaction', { reaction: { type: 'like' }, enforce_unique: true }],
      ['DELETE', '/messages/m1/reaction/like', undefined],
      ['POST', '/channels/messaging/general/read', { message_id: 'm1' }],
      ['POST', '/channels/messaging/general/event', { event: { type: 'typing.start' } }],
      ['POST', '/moderation/flag', { target_message_id: 'm1', reason: 'spam' }],
    ]);
    expect(h.backend.calls('DELETE /messages/m1')[0]?.query.get('hard')).toBe('true');
  });

  it('GET queries carry their JSON document as payload=', async () => {
    const h = harness();
    h.backend
      .on('GET /search', () => ({ status: 200, body: { results: [] } }))
      .on('GET /users', () => ({ status: 200, body: { users: [{ id: 'bob', name: 'Bob' }] } }))
      .on('GET /members', () => ({ status: 200, body: { members: [] } }))
      .on('GET /messages/p1/replies', () => ({ status: 200, body: { messages: [] } }));
    await connect(h);
    await h.client.search('hello');
    await h.client.searchUsers('bo');
    await h.client.queryMembers({ type: 'team', id: 'general', filter_conditions: {} });
    await h.client.api.getReplies('p1', { limit: 10, id_lt: 'r5' });
    expect(h.backend.calls('GET /search')[0]?.payload).toEqual({
      filter_conditions: { members: { $in: ['alice'] } },
      query: 'hello',
      limit: 20,
    });
    expect(h.backend.calls('GET /users')[0]?.payload).toMatchObject({
      filter_conditions: { $or: [{ name: { $autocomplete: 'bo' } }, { id: { $autocomplete: 'bo' } }] },
      limit: 10,
    });
    expect(h.backend.calls('GET /members')[0]?.payload).toEqual({ type: 'team', id: 'general', filter_conditions: {} });
    const replies = h.backend.calls('GET /messages/p1/replies')[0];
    expect([replies?.query.get('limit'), replies?.query.get('id_lt')]).toEqual(['10', 'r5']);
    expect(h.client.users.getSnapshot().get('bob')?.name).toBe('Bob');
  });

  it('a DM is the distinct messaging channel of its members: POST /channels/messaging/query with data.members', async () => {
    const h = harness();
    h.backend.on('POST /channels/messaging/query', () => ({
      body: {
        channel: { id: '!members-abc', type: 'messaging', cid: 'messaging:!members-abc', created_at: '2026-12-01T00:00:00Z', updated_at: '2026-12-01T00:00:00Z' },
        messages: [],
        members: [],
        read: [],
      },
    }));
    await connect(h);
    const store = await h.client.openDirectMessage(['bob']);
    const [call] = h.backend.calls('POST /channels/messaging/query');
    expect(call?.body).toMatchObject({ data: { members: ['alice', 'bob'] }, watch: true, state: true, presence: true });
    expect(call?.query.get('connection_id')).toBe('conn-1');
    expect(store.cid).toBe('messaging:!members-abc');
    // Path segments are encoded (`!` stays legal, but ids are user data).
    await flush();
    expect(h.client.channels.getSnapshot().map((channel) => channel.cid)).toEqual(['messaging:!members-abc']);
  });
});
