import { describe, expect, it } from 'vitest';
import type { Project } from '../../hub/types';
import { actionLabel, actorLabel, channelLabel, durationLabel, knownChannels, resultOf, targetLabel } from './words';

const project: Project = {
  id: '3861',
  name: 'Website relaunch',
  status: 'active',
  member_ids: [],
  created_at: '',
  updated_at: '',
};

describe('words', () => {
  it('names channels', () => {
    expect(channelLabel('team:general')).toBe('#general');
    expect(channelLabel('team:project-3861', [project])).toBe('#Website relaunch');
    expect(channelLabel('team:project-gone', [project])).toBe('#project-gone');
    expect(channelLabel('messaging:random')).toBe('#random');
    expect(knownChannels([project]).map((c) => c.cid)).toEqual(['team:general', 'team:engineering', 'team:project-3861']);
  });

  it('names audit lines', () => {
    expect(actionLabel('member.add')).toBe('Invited a member');
    expect(actionLabel('something.new')).toBe('something.new');
    const ada = { id: '1', email: 'ada@example.com', name: 'Ada', role: 'admin' as const, has_password: true, created_at: '' };
    expect(actorLabel('member:ADA@example.com', [ada])).toBe('Ada');
    expect(actorLabel('member:gone@example.com', [ada])).toBe('gone@example.com');
    expect(actorLabel('cli')).toBe('Command line');
    const bob = { ...ada, id: '143439bfed5f47a5b68e1e7984fc8f36', name: 'Bob' };
    expect(targetLabel('143439bfed5f47a5b68e1e7984fc8f36 in team:general for 60 min', [bob])).toBe('Bob in team:general for 60 min');
    expect(targetLabel('3861', [], [project])).toBe('Website relaunch');
    expect(resultOf('ok')).toEqual({ ok: true, code: null });
    expect(resultOf('refused: email_taken')).toEqual({ ok: false, code: 'email_taken' });
  });

  it('words durations', () => {
    expect(durationLabel(60)).toBe('1 hour');
    expect(durationLabel(90)).toBe('90 minutes');
    expect(durationLabel(2880)).toBe('2 days');
    expect(durationLabel(180)).toBe('3 hours');
    expect(durationLabel(1)).toBe('1 minute');
  });
});
