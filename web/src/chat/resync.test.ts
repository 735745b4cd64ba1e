import { describe, expect, it } from 'vitest';
import { deferred, type RecordedRequest } from './testing/backend';
import { flush } from './testing/clock';
import { messageNew } from './testing/events';
import { channelState, me, message, user } from './testing/fixtures';
import { connect, harness, type Harness } from './testing/harness';
import type { ChannelState, Message } from './types';

/** `count` messages after `start` (ISO), one second apart, ids `${prefix}${n}` zero-padded. */
function run(prefix: string, count: number, start: string, cid = 'messaging:general'): Message[] {
  const base = Date.parse(start);
  return Array.from({ length: count }, (_, index) =>
    message(`${prefix}${String(index + 1).padStart(3, '0')}`, { created_at: new Date(base + (index + 1) * 1000).toISOString(), cid }),
  );
}

/** Drops the socket and completes a reconnect handshake as `connectionId`. */
async function reconnect(h: Harness, connectionId = 'conn-2'): Promise<void> {
  h.server.latest.serverClose(1001, 'server is shutting down');
  await flush();
  await h.clock.advance(1_000);
  h.server.latest.accept(connectionId, me());
  await flush();
}

function idsOf(h: Harness, cid = 'messaging:general'): string[] {
  const [type, id] = cid.split(':') as [string, string];
  return h.client.channel(type, id).getSnapshot().messages.map((item) => item.id);
}

function cidFilter(request: RecordedRequest): unknown {
  return (request.body as { filter_conditions: unknown }).filter_conditions;
}

describe('resync after reconnect', () => {
  it('re-watches on the new connection and merges what was missed, without duplicates, in order', async () => {
    const h = harness();
    const held = [message('m1'), message('m2')];
    const missed = [message('m3'), message('m4')];
    const answer = deferred();
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', held)] } }))
      .on('POST /channels', answer.route);
    await connect(h);
    await h.client.queryChannels();
    expect(idsOf(h)).toEqual(['m1', 'm2']);

    await reconnect(h);
    const request = await answer.requested;
    expect(request.query.get('connection_id')).toBe('conn-2');
    expect(request.body).toMatchObject({ watch: true, state: true, presence: true, message_limit: 100, offset: 0 });
    // An event on the new socket overtakes the resync answer.
    h.server.latest.emit(messageNew(missed[1] as Message));
    expect(idsOf(h)).toEqual(['m1', 'm2', 'm4']);
    answer.release({ body: { channels: [channelState('general', [...held, ...missed], { unread: 2 })] } });
    await flush();

    expect(idsOf(h)).toEqual(['m1', 'm2', 'm3', 'm4']);
    const channel = h.client.channel('messaging', 'general').getSnapshot();
    expect(channel.unreadCount).toBe(2);
    expect(h.client.sync.getSnapshot()).toEqual({ status: 'idle' });
  });

  it('fills a gap bigger than the resync page forward with id_gt, so nothing between is lost', async () => {
    const h = harness();
    const held = run('h', 5, '2026-12-03T08:00:00Z');
    const missed = run('n', 250, '2026-12-03T08:10:00Z');
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', held)] } }))
      .on('POST /channels', () => ({ body: { channels: [channelState('general', missed.slice(150))] } }));
    h.backend.on('POST /channels/messaging/general/query', (request) => {
      const after = (request.body as { messages: { id_gt: string } }).messages.id_gt;
      const all = [...held, ...missed];
      const from = all.findIndex((item) => item.id === after) + 1;
      return { body: channelState('general', all.slice(from, from + 100)) };
    });
    await connect(h);
    await h.client.queryChannels();
    await reconnect(h);

    const gapCalls = h.backend.calls('POST /channels/messaging/general/query');
    expect(gapCalls.map((call) => (call.body as { messages: unknown }).messages)).toEqual([
      { limit: 100, id_gt: 'h005' },
      { limit: 100, id_gt: 'n100' },
    ]);
    const ids = idsOf(h);
    expect(ids).toEqual([...held, ...missed].map((item) => item.id));
    expect(new Set(ids).size).toBe(255);
  });

  it('a gap too big to fill resets the window to the newest page; older pages still load', async () => {
    const h = harness();
    const held = run('h', 3, '2026-12-03T06:00:00Z');
    const far = run('z', 100, '2026-12-03T09:00:00Z');
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', held)] } }))
      .on('POST /channels', () => ({ body: { channels: [channelState('general', far)] } }));
    // Every forward page is full and still short of the newest page.
    let page = 0;
    h.backend.on('POST /channels/messaging/general/query', () => {
      page += 1;
      return { body: channelState('general', run(`g${page}-`, 100, `2026-12-03T07:0${page}:00Z`)) };
    });
    await connect(h);
    await h.client.queryChannels();
    await reconnect(h);
    expect(page).toBe(5);
    const snapshot = h.client.channel('messaging', 'general').getSnapshot();
    expect(snapshot.messages.map((item) => item.id)).toEqual(far.map((item) => item.id));
    expect(snapshot.hasOlder).toBe(true);
  });

  it('drops what vanished while away (hard deletes), and keeps our unconfirmed sends', async () => {
    const h = harness();
    const held = [message('m1'), message('m2'), message('m3')];
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', held)] } }))
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [held[0] as Message, held[2] as Message])] } }))
      .on('POST /channels/messaging/general/message', () => 'network-error');
    await connect(h);
    await h.client.queryChannels();
    const store = h.client.channel('messaging', 'general');
    await store.sendMessage({ text: 'offline' });
    await reconnect(h);
    expect(store.getSnapshot().messages.map((item) => [item.id, item.status])).toEqual([
      ['m1', 'sent'],
      ['m3', 'sent'],
      ['alice-local-1', 'failed'],
    ]);
  });

  it('re-watches channels outside the list by cid, and forgets those we lost access to', async () => {
    const h = harness();
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [message('m1')])] } }))
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [message('m1')])] } }))
      .on('POST /channels', (request) => {
        const cids = (cidFilter(request) as { cid: { $in: string[] } }).cid.$in;
        return { body: { channels: cids.includes('team:design') ? [channelState('design', [], { type: 'team' })] : [] } };
      });
    h.backend
      .on('POST /channels/team/design/query', () => ({ body: channelState('design', [], { type: 'team' }) }))
      .on('POST /channels/team/secret/query', () => ({ body: channelState('secret', [], { type: 'team' }) }));
    await connect(h);
    await h.client.queryChannels();
    await h.client.watchChannel('team', 'design');
    await h.client.watchChannel('team', 'secret');
    expect(h.client.channels.getSnapshot().map((item) => item.cid).sort()).toEqual([
      'messaging:general',
      'team:design',
      'team:secret',
    ]);

    await reconnect(h);
    const byCid = h.backend.calls('POST /channels')[2];
    expect(byCid && cidFilter(byCid)).toEqual({ cid: { $in: ['team:design', 'team:secret'] } });
    expect(byCid?.query.get('connection_id')).toBe('conn-2');
    expect(h.client.channels.getSnapshot().map((item) => item.cid).sort()).toEqual(['messaging:general', 'team:design']);
  });

  it('picks up channels we were added to while away', async () => {
    const h = harness();
    const dm: ChannelState = channelState('dm-bob', [message('d1', { cid: 'messaging:dm-bob', user: user('bob') })], { unread: 1 });
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [])] } }))
      .on('POST /channels', () => ({ body: { channels: [dm, channelState('general', [])] } }));
    await connect(h);
    await h.client.queryChannels();
    await reconnect(h);
    const list = h.client.channels.getSnapshot();
    expect(list.map((item) => [item.cid, item.unreadCount])).toEqual([
      ['messaging:dm-bob', 1],
      ['messaging:general', 0],
    ]);
  });

  it('channels watched before the socket was up are watched on the first connection', async () => {
    const h = harness();
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [])] } }))
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [])] } }));
    await h.client.queryChannels();
    expect(h.backend.calls('POST /channels')[0]?.query.get('connection_id')).toBeNull();
    await connect(h);
    await flush();
    const calls = h.backend.calls('POST /channels');
    expect(calls).toHaveLength(2);
    expect(calls[1]?.query.get('connection_id')).toBe('conn-1');
  });

  it('a failed resync says so, and the next reconnect tries again', async () => {
    const h = harness();
    h.backend
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [])] } }))
      .on('POST /channels', () => 'network-error')
      .on('POST /channels', () => ({ body: { channels: [channelState('general', [message('m1')])] } }));
    await connect(h);
    await h.client.queryChannels();
    await reconnect(h);
    expect(h.client.sync.getSnapshot()).toMatchObject({ status: 'failed', error: { name: 'NetworkError' } });
    await reconnect(h, 'conn-3');
    expect(h.client.sync.getSnapshot()).toEqual({ status: 'idle' });
    expect(idsOf(h)).toEqual(['m1']);
  });
});
