import { describe, expect, it } from 'vitest';
import { flush } from './testing/clock';
import { channelEvent, messageNew } from './testing/events';
import { channelState, message, user } from './testing/fixtures';
import { connect, harness, type Harness } from './testing/harness';
import type { ChatEvent } from './events';

async function withChannels(h: Harness): Promise<void> {
  h.backend.on('POST /channels', () => ({
    body: {
      channels: [
        channelState('general', [message('g1', { created_at: '2026-12-03T09:05:00Z' })]),
        channelState('random', [message('r1', { created_at: '2026-12-03T09:01:00Z', cid: 'messaging:random' })]),
      ],
    },
  }));
  await connect(h);
  await h.client.queryChannels();
}

function cids(h: Harness): string[] {
  return h.client.channels.getSnapshot().map((item) => item.cid);
}

describe('channel list', () => {
  it('lists channels by latest activity, and a new message moves its channel to the top', async () => {
    const h = harness();
    await withChannels(h);
    expect(cids(h)).toEqual(['messaging:general', 'messaging:random']);
    const general = h.client.channels.getSnapshot()[0];
    h.server.latest.emit(messageNew(message('r2', { cid: 'messaging:random', created_at: '2026-12-03T09:10:00Z' })));
    expect(cids(h)).toEqual(['messaging:random', 'messaging:general']);
    // The channel that did not change keeps its snapshot object: its row need not re-render.
    expect(h.client.channels.getSnapshot()[1]).toBe(general);
  });

  it('the list keeps its identity when nothing in it changed', async () => {
    const h = harness();
    await withChannels(h);
    const before = h.client.channels.getSnapshot();
    h.server.latest.emit({ type: 'health.check', connection_id: 'conn-1', cid: '*' });
    h.server.latest.emit(messageNew(message('g1', { created_at: '2026-12-03T09:05:00Z' })));
    expect(h.client.channels.getSnapshot()).toBe(before);
  });

  it('a message in a channel we do not show (a new DM) loads it into the list', async () => {
    const h = harness();
    await withChannels(h);
    const dm = channelState('dm-carol', [message('d1', { cid: 'messaging:dm-carol', user: user('carol') })], { unread: 1 });
    h.backend.on('POST /channels/messaging/dm-carol/query', () => ({ body: dm }));
    h.server.latest.emit({
      ...channelEvent('notification.message_new', 'messaging:dm-carol', { message: dm.messages[0], channel: dm.channel }),
    });
    await flush();
    const [call] = h.backend.calls('POST /channels/messaging/dm-carol/query');
    expect(call?.query.get('connection_id')).toBe('conn-1');
    expect(call?.body).toMatchObject({ watch: true, state: true });
    expect(cids(h)).toContain('messaging:dm-carol');
    expect(h.client.channel('messaging', 'dm-carol').getSnapshot().unreadCount).toBe(1);
  });

  it('removed, deleted and hidden channels leave the list', async () => {
    const h = harness();
    await withChannels(h);
    h.server.latest.emit(channelEvent('notification.removed_from_channel', 'messaging:random', { member: { user_id: 'alice' } }));
    expect(cids(h)).toEqual(['messaging:general']);
    h.server.latest.emit(channelEvent('channel.hidden', 'messaging:general', { clear_history: false }));
    expect(cids(h)).toEqual([]);
  });

  it('loads more channels with an offset', async () => {
    const h = harness();
    await withChannels(h);
    h.backend.on('POST /channels', () => ({ body: { channels: [] } }));
    await expect(h.client.loadMoreChannels()).resolves.toBe(false);
    expect(h.backend.calls('POST /channels')[1]?.body).toMatchObject({ offset: 2 });
  });
});

describe('events', () => {
  it('routes events to the channel they name only', async () => {
    const h = harness();
    await withChannels(h);
    h.server.latest.emit(messageNew(message('g2', { created_at: '2026-12-03T09:06:00Z' })));
    expect(h.client.channel('messaging', 'general').getSnapshot().messages.map((item) => item.id)).toEqual(['g1', 'g2']);
    expect(h.client.channel('messaging', 'random').getSnapshot().messages.map((item) => item.id)).toEqual(['r1']);
  });

  it('typed listeners see their events in arrival order; * sees everything', async () => {
    const h = harness();
    await withChannels(h);
    const seen: string[] = [];
    const all: string[] = [];
    const stop = h.client.on('message.new', (event) => seen.push(event.message.id));
    h.client.on('*', (event) => all.push(event.type));
    h.server.latest.emit(messageNew(message('a')));
    h.server.latest.emit(channelEvent('typing.start', 'messaging:general', { user: user('bob') }));
    h.server.latest.emit(messageNew(message('b')));
    stop();
    h.server.latest.emit(messageNew(message('c')));
    expect(seen).toEqual(['a', 'b']);
    expect(all).toEqual(['message.new', 'typing.start', 'message.new', 'message.new']);
  });

  it('a listener that throws does not stop the others or the stores', async () => {
    const h = harness();
    await withChannels(h);
    const errors = console.error;
    console.error = () => undefined;
    try {
      let reached = false;
      h.client.on('message.new', () => {
        throw new Error('broken component');
      });
      h.client.on('message.new', () => {
        reached = true;
      });
      h.server.latest.emit(messageNew(message('x', { created_at: '2026-12-03T09:30:00Z' })));
      expect(reached).toBe(true);
      expect(h.client.channel('messaging', 'general').getSnapshot().messages.at(-1)?.id).toBe('x');
    } finally {
      console.error = errors;
    }
  });

  it('presence updates the user store and the members of every channel', async () => {
    const h = harness();
    await withChannels(h);
    expect(h.client.users.getSnapshot().get('bob')?.online).toBe(false);
    h.server.latest.emit({ type: 'user.presence.changed', user: { id: 'bob', online: true, last_active: '2026-12-03T10:00:00Z' } });
    expect(h.client.users.getSnapshot().get('bob')).toMatchObject({ id: 'bob', name: 'Bob', online: true });
    for (const snapshot of h.client.channels.getSnapshot()) {
      expect(snapshot.members.bob?.user?.online).toBe(true);
    }
  });

  it('member, channel and watcher events update the channel', async () => {
    const h = harness();
    await withChannels(h);
    const cid = 'messaging:general';
    h.server.latest.emit(channelEvent('member.added', cid, { member: { user_id: 'carol', user: user('carol') } }));
    h.server.latest.emit(channelEvent('member.removed', cid, { member: { user_id: 'bob' } }));
    h.server.latest.emit(channelEvent('channel.updated', cid, { channel: { id: 'general', type: 'messaging', cid, name: 'General!', created_at: '', updated_at: '' } }));
    h.server.latest.emit(channelEvent('user.watching.start', cid, { user: user('carol'), watcher_count: 3 }));
    const snapshot = h.client.channel('messaging', 'general').getSnapshot();
    expect(Object.keys(snapshot.members).sort()).toEqual(['alice', 'carol']);
    expect(snapshot.channel?.name).toBe('General!');
    // Fields the event does not carry (our capabilities) are kept.
    expect(snapshot.ownCapabilities).toContain('send-message');
    expect(snapshot.watcherCount).toBe(3);
  });

  it('a mark-read of every channel (no cid) zeroes every channel', async () => {
    const h = harness();
    h.backend.on('POST /channels', () => ({
      body: { channels: [channelState('general', [], { unread: 2 }), channelState('random', [], { unread: 5 })] },
    }));
    await connect(h);
    await h.client.queryChannels();
    expect(h.client.channels.getSnapshot().map((item) => item.unreadCount).sort()).toEqual([2, 5]);
    h.server.latest.emit({ type: 'notification.mark_read', unread_count: 0, total_unread_count: 0, unread_channels: 0 });
    expect(h.client.channels.getSnapshot().map((item) => item.unreadCount)).toEqual([0, 0]);
    expect(h.client.me.getSnapshot()).toMatchObject({ total_unread_count: 0, unread_channels: 0 });
  });

  it('being removed as a member takes the channel out of the list', async () => {
    const h = harness();
    await withChannels(h);
    h.server.latest.emit(channelEvent('member.removed', 'messaging:random', { member: { user_id: 'alice' } }));
    expect(cids(h)).toEqual(['messaging:general']);
  });

  it('an app-wide ban of us shows on me', async () => {
    const h = harness();
    await withChannels(h);
    const events: ChatEvent['type'][] = [];
    h.client.on('user.banned', (event) => events.push(event.type));
    h.server.latest.emit({ type: 'user.banned', user: user('alice'), created_by: user('mod') });
    expect(h.client.me.getSnapshot()?.banned).toBe(true);
    expect(events).toEqual(['user.banned']);
  });
});
