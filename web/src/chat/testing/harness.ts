// A ChatClient wired to the fakes, and the steps most tests start with.

import { ChatClient, type ChatClientOptions } from '../client';
import type { ChatSession } from '../types';
import { FakeBackend } from './backend';
import { FakeClock, flush } from './clock';
import { me, session } from './fixtures';
import { FakeSocketServer } from './socket';

export interface Harness {
  client: ChatClient;
  clock: FakeClock;
  server: FakeSocketServer;
  backend: FakeBackend;
  /** Sessions the provider handed out, in order. */
  sessions: ChatSession[];
  /** What the next backoff draws from [0, 1). */
  random: { value: number };
}

export function harness(options: Partial<ChatClientOptions> & { expiresInMs?: number } = {}): Harness {
  const clock = new FakeClock();
  const server = new FakeSocketServer();
  const backend = new FakeBackend();
  const sessions: ChatSession[] = [];
  const random = { value: 0.5 };
  let ids = 0;
  const expiresIn = options.expiresInMs ?? 24 * 3600_000;
  const client = new ChatClient({
    tokenProvider: async () => {
      const next = session(`token-${sessions.length + 1}`, new Date(clock.now() + expiresIn).toISOString());
      sessions.push(next);
      return next;
    },
    fetch: backend.fetch,
    createSocket: server.factory,
    clock,
    random: () => random.value,
    newId: () => `alice-local-${++ids}`,
    ...options,
  });
  return { client, clock, server, backend, sessions, random };
}

/** Connects and completes the handshake with `connectionId`. */
export async function connect(h: Harness, connectionId = 'conn-1'): Promise<void> {
  const connecting = h.client.connect();
  await flush();
  h.server.latest.accept(connectionId, me());
  await connecting;
}
