import { describe, expect, expectTypeOf, it } from 'vitest';
import { Emitter, type EventOf } from './events';
import type { Reaction, User } from './types';

describe('emitter', () => {
  it('narrows listeners to their event, including events that share a shape', () => {
    // Compile-time checks (tsc runs over tests): these failed as `never` before EventOf distributed.
    expectTypeOf<EventOf<'reaction.new'>['reaction']>().toEqualTypeOf<Reaction>();
    expectTypeOf<EventOf<'reaction.new'>['type']>().toEqualTypeOf<'reaction.new'>();
    expectTypeOf<EventOf<'user.banned'>['user']>().toEqualTypeOf<User>();
    expectTypeOf<EventOf<'message.deleted'>['hard_delete']>().toEqualTypeOf<boolean>();

    const emitter = new Emitter();
    const seen: string[] = [];
    emitter.on('reaction.deleted', (event) => seen.push(`${event.type}:${event.reaction.type}`));
    const at = '2026-12-03T10:00:00Z';
    const reaction = { message_id: 'm1', user_id: 'bob', type: 'like', score: 1, created_at: at, updated_at: at };
    const base = { cid: 'messaging:g', channel_id: 'g', channel_type: 'messaging', created_at: at, message_id: 'm1' };
    emitter.emit({ ...base, type: 'reaction.new', reaction, message: {} as never });
    emitter.emit({ ...base, type: 'reaction.deleted', reaction, message: {} as never });
    expect(seen).toEqual(['reaction.deleted:like']);
  });

  it('unknown event types reach * listeners', () => {
    const emitter = new Emitter();
    const seen: string[] = [];
    emitter.on('*', (event) => seen.push(event.type));
    emitter.emit({ type: 'custom.poke', created_at: '2026-12-03T10:00:00Z' });
    expect(seen).toEqual(['custom.poke']);
  });
});
