import { describe, expect, it } from 'vitest';
import type { ChannelStore } from './channel';
import { apiError, deferred } from './testing/backend';
import { flush } from './testing/clock';
import { channelEvent, messageNew, messageUpdated, reaction, reactionEvent, typing } from './testing/events';
import { channelState, message, user } from './testing/fixtures';
import { connect, harness, type Harness } from './testing/harness';
import type { Message } from './types';

const CID = 'messaging:general';

/** A connected client showing #general with `messages`. */
async function opened(messages: Message[] = [], extra: { unread?: number } = {}): Promise<{ h: Harness; store: ChannelStore }> {
  const h = harness();
  h.backend.on('POST /channels', () => ({ body: { channels: [channelState('general', messages, extra)] } }));
  await connect(h);
  await h.client.queryChannels();
  return { h, store: h.client.channel('messaging', 'general') };
}

function ids(store: ChannelStore): string[] {
  return store.getSnapshot().messages.map((item) => item.id);
}

function emit(h: Harness, event: Record<string, unknown>): void {
  h.server.latest.emit(event);
}

describe('ordering and merging', () => {
  it('keeps messages ordered by created_at, then id, wherever they come from', async () => {
    const { h, store } = await opened([
      message('m1', { created_at: '2026-12-03T09:00:01.1Z' }),
      message('m4', { created_at: '2026-12-03T09:00:04Z' }),
    ]);
    // Compared as instants: as strings, `01.10001Z` would sort before `01.1Z` ('0' < 'Z').
    emit(h, messageNew(message('m2', { created_at: '2026-12-03T09:00:01.10001Z' })));
    emit(h, messageNew(message('m0', { created_at: '2026-12-03T10:00:00.5+01:00' })));
    emit(h, messageNew(message('m3b', { created_at: '2026-12-03T09:00:03Z' })));
    emit(h, messageNew(message('m3a', { created_at: '2026-12-03T09:00:03Z' })));
    expect(ids(store)).toEqual(['m0', 'm1', 'm2', 'm3a', 'm3b', 'm4']);
  });

  it('a duplicate event changes nothing, not even the snapshot identity', async () => {
    const { h, store } = await opened([message('m1')]);
    const incoming = message('m2');
    emit(h, messageNew(incoming));
    const after = store.getSnapshot();
    emit(h, messageNew(incoming));
    emit(h, messageNew(structuredClone(incoming)));
    expect(store.getSnapshot()).toBe(after);
    expect(ids(store)).toEqual(['m1', 'm2']);
    expect(store.getSnapshot().unreadCount).toBe(1);
  });

  it('an older copy never overwrites a newer one, in either arrival order', async () => {
    const original = message('m1', { updated_at: '2026-12-03T09:10:00Z', text: 'first' });
    const edited = { ...original, text: 'edited', updated_at: '2026-12-03T09:11:00Z' };
    const { h, store } = await opened([original]);
    emit(h, messageUpdated(edited));
    emit(h, messageUpdated(original));
    expect(store.getSnapshot().messages[0]?.text).toBe('edited');
    // The update overtook the new-message event: the late `message.new` (an older copy) loses too.
    const late = message('m2', { text: 'v1', updated_at: '2026-12-03T09:20:00Z', created_at: '2026-12-03T09:20:00Z' });
    emit(h, messageUpdated({ ...late, text: 'v2', updated_at: '2026-12-03T09:21:00Z' }));
    emit(h, messageNew(late));
    expect(store.getSnapshot().messages.find((item) => item.id === 'm2')?.text).toBe('v2');
  });

  it('soft deletes keep the message as deleted; hard deletes remove it', async () => {
    const { h, store } = await opened([message('m1'), message('m2')]);
    const first = store.getSnapshot().messages[0] as Message;
    emit(h, channelEvent('message.deleted', CID, {
      message: { ...first, type: 'deleted', text: '', deleted_at: '2026-12-03T10:00:00Z', updated_at: '2026-12-03T10:00:00Z' },
      hard_delete: false,
    }));
    emit(h, channelEvent('message.deleted', CID, { message: store.getSnapshot().messages[1], hard_delete: true }));
    expect(store.getSnapshot().messages.map((item) => [item.id, item.type])).toEqual([['m1', 'deleted']]);
  });

  it('pages older history with id_lt and knows when it reached the start', async () => {
    const page = Array.from({ length: 25 }, (_, index) => message(`n${String(index).padStart(2, '0')}`));
    const { h, store } = await opened(page);
    expect(store.getSnapshot().hasOlder).toBe(true);
    h.backend.on('POST /channels/messaging/general/query', () => ({
      body: { ...channelState('general', [message('o1', { created_at: '2026-12-01T10:00:00Z' })]) },
    }));
    await expect(store.loadOlder()).resolves.toBe(true);
    const [call] = h.backend.calls('POST /channels/messaging/general/query');
    expect(call?.body).toEqual({ state: true, messages: { limit: 25, id_lt: 'n00' } });
    expect(ids(store)[0]).toBe('o1');
    expect(ids(store)).toHaveLength(26);
    expect(store.getSnapshot().hasOlder).toBe(false);
    await expect(store.loadOlder()).resolves.toBe(false);
  });
});

describe('optimistic send', () => {
  it('shows the message at once as sending, then the server copy as sent, with the same id', async () => {
    const { h, store } = await opened([message('m1')]);
    const answer = deferred();
    h.backend.on('POST /channels/messaging/general/message', answer.route);
    const sending = store.sendMessage({ text: 'hello' });
    const shown = store.getSnapshot().messages.at(-1);
    expect(shown).toMatchObject({ id: 'alice-local-1', text: 'hello', status: 'sending', user: { id: 'alice' } });
    const request = await answer.requested;
    expect(request.body).toEqual({ message: { text: 'hello', id: 'alice-local-1' } });
    answer.release({ body: { message: message('alice-local-1', { text: 'hello', user: user('alice'), html: '<p>hello</p>' }) } });
    await expect(sending).resolves.toMatchObject({ status: 'sent', html: '<p>hello</p>' });
    expect(ids(store)).toEqual(['m1', 'alice-local-1']);
    expect(store.getSnapshot().messages.at(-1)?.status).toBe('sent');
  });

  it('the socket delivering our message before the answer does not duplicate it', async () => {
    const { h, store } = await opened([]);
    const answer = deferred();
    h.backend.on('POST /channels/messaging/general/message', answer.route);
    const sending = store.sendMessage({ text: 'race' });
    await answer.requested;
    const stored = message('alice-local-1', { text: 'race', user: user('alice') });
    emit(h, messageNew(stored));
    expect(store.getSnapshot().messages).toHaveLength(1);
    expect(store.getSnapshot().messages[0]?.status).toBe('sent');
    answer.release({ body: { message: stored } });
    await sending;
    emit(h, messageNew(stored));
    expect(store.getSnapshot().messages).toHaveLength(1);
    expect(store.getSnapshot().unreadCount).toBe(0);
  });

  it('a failed send is marked failed with the error, and retry resends the same id', async () => {
    const { h, store } = await opened([]);
    h.backend
      .on('POST /channels/messaging/general/message', () => ({ status: 500, body: apiError(-1, 'boom', 500) }))
      .on('POST /channels/messaging/general/message', (request) => ({
        body: { message: message((request.body as { message: { id: string } }).message.id, { text: 'again', user: user('alice') }) },
      }));
    const failed = await store.sendMessage({ text: 'again' });
    expect(failed).toMatchObject({ id: 'alice-local-1', status: 'failed', error: { code: -1, statusCode: 500 } });
    expect(store.getSnapshot().messages[0]?.status).toBe('failed');
    const sent = await store.retry('alice-local-1');
    expect(sent.status).toBe('sent');
    const bodies = h.backend.calls('POST /channels/messaging/general/message').map((call) => call.body);
    expect(bodies).toEqual([
      { message: { text: 'again', id: 'alice-local-1' } },
      { message: { text: 'again', id: 'alice-local-1' } },
    ]);
    expect(store.getSnapshot().messages).toHaveLength(1);
  });

  it('a retry after a lost answer (the first attempt was stored) takes the stored copy', async () => {
    const { h, store } = await opened([]);
    h.backend
      .on('POST /channels/messaging/general/message', () => 'network-error')
      .on('POST /channels/messaging/general/message', () => ({
        status: 400,
        body: apiError(4, 'SendMessage failed with error: "a message with ID alice-local-1 already exists"', 400),
      }))
      .on('GET /messages/alice-local-1', () => ({ status: 200, body: { message: message('alice-local-1', { user: user('alice') }) } }));
    const failed = await store.sendMessage({ text: 'lost' });
    expect(failed.status).toBe('failed');
    expect(failed.error?.name).toBe('NetworkError');
    await expect(store.retry('alice-local-1')).resolves.toMatchObject({ status: 'sent' });
    expect(store.getSnapshot().messages).toHaveLength(1);
  });

  it('a 201 with a message of type error (frozen channel, blocklist) is a failure', async () => {
    const { h, store } = await opened([]);
    h.backend.on('POST /channels/messaging/general/message', () => ({
      body: { message: message('alice-local-1', { type: 'error', text: 'channel is frozen', user: user('alice') }) },
    }));
    const result = await store.sendMessage({ text: 'x' });
    expect(result).toMatchObject({ status: 'failed', text: 'x', error: { message: 'channel is frozen' } });
  });

  it('the socket confirming a message whose request failed makes it sent, not failed', async () => {
    const { h, store } = await opened([]);
    const answer = deferred();
    h.backend.on('POST /channels/messaging/general/message', answer.route);
    const sending = store.sendMessage({ text: 'x' });
    await answer.requested;
    emit(h, messageNew(message('alice-local-1', { user: user('alice') })));
    answer.release({ status: 504, body: apiError(23, 'timeout', 504) });
    await expect(sending).resolves.toMatchObject({ status: 'sent' });
    await expect(store.retry('alice-local-1')).rejects.toThrow(/not a failed send/);
  });

  it('discard drops a failed message', async () => {
    const { h, store } = await opened([]);
    h.backend.on('POST /channels/messaging/general/message', () => 'network-error');
    await store.sendMessage({ text: 'x' });
    store.discard('alice-local-1');
    expect(store.getSnapshot().messages).toEqual([]);
  });
});

describe('unread counts', () => {
  it('starts from the server read state, counts others\' new messages, and skips what Rill does not count', async () => {
    const { h, store } = await opened([message('m1')], { unread: 3 });
    expect(store.getSnapshot().unreadCount).toBe(3);
    emit(h, messageNew(message('m2')));
    expect(store.getSnapshot().unreadCount).toBe(4);
    emit(h, messageNew(message('s1', { silent: true })));
    emit(h, messageNew(message('sys', { type: 'system' })));
    emit(h, messageNew(message('r1', { parent_id: 'm1' })));
    expect(store.getSnapshot().unreadCount).toBe(4);
    emit(h, messageNew(message('r2', { parent_id: 'm1', show_in_channel: true })));
    expect(store.getSnapshot().unreadCount).toBe(5);
  });

  it('our own message (from any tab) zeroes it, as the engine marks the channel read for its sender', async () => {
    const { h, store } = await opened([], { unread: 2 });
    emit(h, messageNew(message('mine', { user: user('alice') })));
    expect(store.getSnapshot().unreadCount).toBe(0);
    expect(store.getSnapshot().read.alice?.last_read_message_id).toBe('mine');
  });

  it('markRead zeroes it at once and tells the server; read events from us or the server zero it too', async () => {
    const { h, store } = await opened([message('m1')], { unread: 2 });
    h.backend.on('POST /channels/messaging/general/read', () => ({ body: { event: {} } }));
    await store.markRead();
    expect(store.getSnapshot().unreadCount).toBe(0);
    expect(h.backend.calls('POST /channels/messaging/general/read')).toHaveLength(1);
    // Nothing unread: no request.
    await store.markRead();
    expect(h.backend.calls('POST /channels/messaging/general/read')).toHaveLength(1);

    emit(h, messageNew(message('m2')));
    emit(h, channelEvent('notification.mark_read', CID, { unread_count: 0, total_unread_count: 0, unread_channels: 0 }));
    expect(store.getSnapshot().unreadCount).toBe(0);
    emit(h, messageNew(message('m3')));
    emit(h, channelEvent('message.read', CID, { user: user('alice'), last_read_message_id: 'm3' }));
    expect(store.getSnapshot().unreadCount).toBe(0);
  });

  it('another member\'s read receipt updates their read state only', async () => {
    const { h, store } = await opened([message('m1')], { unread: 1 });
    emit(h, channelEvent('message.read', CID, { user: user('bob'), last_read_message_id: 'm1', created_at: '2026-12-03T11:00:00Z' }));
    expect(store.getSnapshot().read.bob).toMatchObject({ last_read: '2026-12-03T11:00:00Z', last_read_message_id: 'm1' });
    expect(store.getSnapshot().unreadCount).toBe(1);
  });

  it('the total follows the counts the server sends us', async () => {
    const { h } = await opened([]);
    emit(h, messageNew(message('m1'), { total_unread_count: 7, unread_channels: 2 }));
    expect(h.client.me.getSnapshot()).toMatchObject({ total_unread_count: 7, unread_channels: 2 });
  });
});

describe('typing', () => {
  it('shows a typist and drops them 7 s after the last start when no stop arrives', async () => {
    const { h, store } = await opened([]);
    emit(h, typing('typing.start', CID, user('bob')));
    expect(store.getSnapshot().typing.map((item) => item.user.id)).toEqual(['bob']);
    await h.clock.advance(5_000);
    emit(h, typing('typing.start', CID, user('bob')));
    await h.clock.advance(6_999);
    expect(store.getSnapshot().typing).toHaveLength(1);
    await h.clock.advance(1);
    expect(store.getSnapshot().typing).toEqual([]);
  });

  it('a stop, or a message from the typist, ends it; our own typing is not shown', async () => {
    const { h, store } = await opened([]);
    emit(h, typing('typing.start', CID, user('bob')));
    emit(h, typing('typing.start', CID, user('carol'), 'm1'));
    emit(h, typing('typing.start', CID, user('alice')));
    expect(store.getSnapshot().typing).toEqual([{ user: user('bob') }, { user: user('carol'), parentId: 'm1' }]);
    emit(h, typing('typing.stop', CID, user('carol')));
    emit(h, messageNew(message('m9', { user: user('bob') })));
    expect(store.getSnapshot().typing).toEqual([]);
  });

  it('keystrokes send typing.start at most every 2 s, and typing.stop 3 s after the last key', async () => {
    const { h, store } = await opened([]);
    h.backend.on('POST /channels/messaging/general/event', () => ({ body: {} }));
    const sent = () => h.backend.calls('POST /channels/messaging/general/event').map((call) => (call.body as { event: { type: string } }).event.type);
    store.keystroke();
    await h.clock.advance(1_000);
    store.keystroke();
    await h.clock.advance(1_000);
    store.keystroke();
    await flush();
    expect(sent()).toEqual(['typing.start', 'typing.start']);
    await h.clock.advance(3_000);
    expect(sent()).toEqual(['typing.start', 'typing.start', 'typing.stop']);
  });
});

describe('threads and reactions', () => {
  it('replies go to their thread; the parent counts each new reply once', async () => {
    const { h, store } = await opened([message('p1')]);
    h.backend.on('GET /messages/p1/replies', () => ({ status: 200, body: { messages: [message('r1', { parent_id: 'p1' })] } }));
    await store.loadReplies('p1');
    const reply = message('r2', { parent_id: 'p1' });
    emit(h, messageNew(reply));
    emit(h, messageNew(reply));
    const snapshot = store.getSnapshot();
    expect(ids(store)).toEqual(['p1']);
    expect(snapshot.threads.p1?.replies.map((item) => item.id)).toEqual(['r1', 'r2']);
    expect(snapshot.messages[0]?.reply_count).toBe(1);
  });

  it('our own reply counts once whether its event or the send answer comes first', async () => {
    const { h, store } = await opened([message('p1')]);
    const answer = deferred();
    h.backend.on('POST /channels/messaging/general/message', answer.route);
    const sending = store.sendMessage({ text: 'reply', parent_id: 'p1' });
    await answer.requested;
    expect(store.getSnapshot().threads.p1?.replies[0]?.status).toBe('sending');
    const stored = message('alice-local-1', { parent_id: 'p1', user: user('alice') });
    emit(h, messageNew(stored));
    answer.release({ body: { message: stored } });
    await sending;
    expect(store.getSnapshot().messages[0]?.reply_count).toBe(1);
  });

  it('reaction events keep our own reactions, and add ours once', async () => {
    const mine = reaction('m1', 'alice', 'heart');
    const { h, store } = await opened([message('m1', { own_reactions: [mine], reaction_counts: { heart: 1 } })]);
    const bobs = reaction('m1', 'bob', 'like');
    const counted = message('m1', { reaction_counts: { heart: 1, like: 1 }, own_reactions: [], updated_at: '2026-12-03T09:40:00Z' });
    emit(h, reactionEvent('reaction.new', counted, bobs));
    expect(store.getSnapshot().messages[0]).toMatchObject({ own_reactions: [mine], reaction_counts: { heart: 1, like: 1 } });
    const myLike = reaction('m1', 'alice', 'like');
    const twice = message('m1', { reaction_counts: { heart: 1, like: 2 }, own_reactions: [], updated_at: '2026-12-03T09:41:00Z' });
    emit(h, reactionEvent('reaction.new', twice, myLike));
    emit(h, reactionEvent('reaction.new', twice, myLike));
    expect(store.getSnapshot().messages[0]?.own_reactions.map((item) => item.type)).toEqual(['heart', 'like']);
    emit(h, reactionEvent('reaction.deleted', { ...twice, reaction_counts: { heart: 1, like: 1 } }, myLike));
    expect(store.getSnapshot().messages[0]?.own_reactions.map((item) => item.type)).toEqual(['heart']);
  });

  it('react shows our reaction at once and takes it back if the server refuses', async () => {
    const { h, store } = await opened([message('m1')]);
    const answer = deferred();
    h.backend.on('POST /messages/m1/reaction', answer.route);
    const reacting = store.react('m1', 'like');
    expect(store.getSnapshot().messages[0]).toMatchObject({ reaction_counts: { like: 1 } });
    expect(store.getSnapshot().messages[0]?.own_reactions.map((item) => item.type)).toEqual(['like']);
    answer.release({ status: 403, body: apiError(17, 'not allowed', 403) });
    await expect(reacting).rejects.toMatchObject({ code: 17 });
    expect(store.getSnapshot().messages[0]).toMatchObject({ reaction_counts: {}, own_reactions: [] });
    await flush();
  });
});
