import { describe, expect, it } from 'vitest';
import type { ChannelSnapshot, ChannelState, LocalMessage, User } from '../../chat';
import { composerBlock, heading, defaultCid, failureWords, messageView, muteEndsAt, sidebarEntries } from './entries';

function snap(over: Omit<Partial<ChannelSnapshot>, 'channel'> & { channel?: Record<string, unknown> } = {}): ChannelSnapshot {
  const { channel, ...rest } = over;
  const unanswered = 'channel' in over && channel === undefined;
  return {
    cid: 'team:general',
    type: 'team',
    id: 'general',
    channel: unanswered ? undefined : { id: 'general', type: 'team', cid: 'team:general', created_at: '', updated_at: '', name: 'general', ...channel },
    messages: [],
    hasOlder: false,
    loadingOlder: false,
    threads: {},
    members: {},
    read: {},
    unreadCount: 0,
    typing: [],
    watcherCount: 0,
    ownCapabilities: ['send-message'],
    ...rest,
  } as ChannelSnapshot;
}

const NOW = Date.parse('2026-12-03T12:00:00Z');

describe('composerBlock', () => {
  it('lets a member post in an open channel', () => {
    expect(composerBlock(snap(), undefined, 'bea', NOW)).toBeUndefined();
  });

  it('says why, most lasting reason first', () => {
    expect(composerBlock(snap({ channel: { globally_archived: true, frozen: true } }), undefined, 'bea', NOW)).toMatch(/archived/);
    expect(composerBlock(snap({ channel: { frozen: true } }), undefined, 'bea', NOW)).toMatch(/frozen/);
    expect(composerBlock(snap(), { id: 'bea', banned: true }, 'bea', NOW)).toMatch(/banned from this workspace/);
    expect(composerBlock(snap({ ownCapabilities: ['read-channel'] }), undefined, 'bea', NOW)).toMatch(/cannot post/);
  });

  it('names the end of a timed mute in this channel, and lifts it when the time is up', () => {
    const muted = snap({ members: { bea: { user_id: 'bea', banned: true, ban_expires: '2026-12-03T13:00:00Z' } } });
    expect(composerBlock(muted, undefined, 'bea', NOW)).toMatch(/^You are muted in this channel until /);
    expect(muteEndsAt(muted, 'bea')).toBe(Date.parse('2026-12-03T13:00:00Z'));
    expect(composerBlock(muted, undefined, 'bea', Date.parse('2026-12-03T13:00:01Z'))).toBeUndefined();
    const forever = snap({ members: { bea: { user_id: 'bea', banned: true } } });
    expect(composerBlock(forever, undefined, 'bea', NOW)).toBe('You are muted in this channel.');
    // Someone else's mute is not ours.
    expect(composerBlock(muted, undefined, 'omar', NOW)).toBeUndefined();
  });
});

describe('sidebarEntries', () => {
  const users = new Map<string, User>([['omar', { id: 'omar', name: 'Omar', online: true }]]);

  it('lists each channel once, archived ones filed as archived with no unread count', () => {
    const archivedState = {
      channel: { id: 'project-1', type: 'team', cid: 'team:project-1', created_at: '', updated_at: '2026-12-01T00:00:00Z', name: 'Apollo', globally_archived: true },
      messages: [],
      members: [],
    } as unknown as ChannelState;
    const listed = [snap({ unreadCount: 3 }), snap({ cid: 'team:project-1', id: 'project-1', unreadCount: 2, channel: { cid: 'team:project-1', id: 'project-1', name: 'Apollo', globally_archived: true } })];
    const entries = sidebarEntries(listed, [archivedState], users);
    expect(entries.map((e) => e.channel.cid)).toEqual(['team:general', 'team:project-1']);
    expect(entries[0]).toMatchObject({ unread_count: 3, membership: undefined });
    expect(entries[1]).toMatchObject({ unread_count: 0 });
    expect(entries[1]?.membership?.archived_at).toBeTruthy();
  });

  it('gives a DM its members with their current presence, a named channel none', () => {
    const dm = snap({
      cid: 'messaging:!members-x',
      id: '!members-x',
      channel: { cid: 'messaging:!members-x', id: '!members-x', name: undefined },
      members: { omar: { user_id: 'omar', user: { id: 'omar', online: false } } },
    });
    const [general, direct] = sidebarEntries([snap(), dm], [], users);
    expect(general?.members).toBeUndefined();
    expect(direct?.members?.[0]?.user).toMatchObject({ id: 'omar', online: true });
  });

  it('skips a channel whose first query has not answered', () => {
    expect(sidebarEntries([snap({ channel: undefined })], [], users)).toEqual([]);
  });
});

describe('defaultCid and titles', () => {
  const entries = sidebarEntries([snap({ cid: 'team:x', id: 'x', channel: { cid: 'team:x', id: 'x', name: 'x' } }), snap()], [], new Map());

  it('opens the remembered channel, else #general, else the first', () => {
    expect(defaultCid(entries, 'team:x')).toBe('team:x');
    expect(defaultCid(entries, 'team:gone')).toBe('team:general');
    expect(defaultCid(entries.slice(0, 1), null)).toBe('team:x');
    expect(defaultCid([], null)).toBeUndefined();
  });

  it('names a channel by its name and a DM by the other people', () => {
    expect(heading(snap(), 'bea')).toEqual({ name: 'general', dm: false });
    const dm = snap({
      channel: { name: undefined },
      members: { bea: { user_id: 'bea', user: { id: 'bea', name: 'Bea' } }, omar: { user_id: 'omar', user: { id: 'omar', name: 'Omar' } } },
    });
    expect(heading(dm, 'bea')).toEqual({ name: 'Omar', dm: true });
  });
});

describe('messageView', () => {
  it('keeps a sent message as it is and gives a failed one its reason, the same object each time', () => {
    const sent = { id: 'a', status: 'sent' } as LocalMessage;
    expect(messageView(sent)).toBe(sent);
    const failed = { id: 'b', status: 'failed', error: Object.assign(new Error('no'), { code: 17 }) } as unknown as LocalMessage;
    const view = messageView(failed);
    expect(view.error_text).toBe('you are not allowed to post here.');
    expect(messageView(failed)).toBe(view);
    expect(failureWords(Object.assign(new Error('x'), { name: 'NetworkError' }))).toBe('you are offline.');
  });
});
