// One chat client per signed-in member, for the whole session: the sidebar's channel list and the chat screen
// read the same stores. It starts at sign-in (so the first channel is ready when the shell shows), reconnects
// by itself, and is closed at sign-out.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { createChatClient, hubSessionProvider, HubSessionError, type ChannelState, type ChatClient, type ReadableStore } from '../../chat';
import type { ChannelListEntry } from '../chat';
import { sidebarEntries } from './entries';

export type ChatStatus =
  | { status: 'starting' }
  | { status: 'ready' }
  /** The Hub has no chat backend connected yet (409 from /hub/api/chat/session). */
  | { status: 'not-connected' }
  | { status: 'failed'; error: unknown };

interface ChatContextValue {
  /** Null until the first start has created one. */
  client: ChatClient | null;
  status: ChatStatus;
  /** Channels hidden for the viewer because they are archived (queried apart from the list). */
  archived: readonly ChannelState[];
  retry: () => void;
}

const ChatContext = createContext<ChatContextValue | null>(null);

export function useChat(): ChatContextValue {
  const value = useContext(ChatContext);
  if (!value) throw new Error('useChat outside ChatProvider');
  return value;
}

export function useStore<T>(store: ReadableStore<T>): T {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** The sidebar's rows, kept current by the list, the users' presence and the archived query. */
export function useSidebarEntries(client: ChatClient): ChannelListEntry[] {
  const { archived } = useChat();
  const listed = useStore(client.channels);
  const users = useStore(client.users);
  return useMemo(() => sidebarEntries(listed, archived, users), [listed, archived, users]);
}

const NOT_CONNECTED_RETRY_MS = 15_000;
const ARCHIVE_EVENTS = new Set(['channel.hidden', 'channel.visible', 'channel.updated', 'notification.added_to_channel']);

export function ChatProvider({ memberId, children }: { memberId: string; children: ReactNode }) {
  const [attempt, setAttempt] = useState(0);
  const [client, setClient] = useState<ChatClient | null>(null);
  const [status, setStatus] = useState<ChatStatus>({ status: 'starting' });
  const [archived, setArchived] = useState<readonly ChannelState[]>([]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    // Made here, not in render: a disconnected client is finished, and every start (a retry, a new member,
    // StrictMode's second run) needs its own.
    const client = createChatClient({ tokenProvider: hubSessionProvider() });
    setClient(client);
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setStatus({ status: 'starting' });
    const loadArchived = async () => {
      try {
        const me = client.currentUserId;
        // O(archived channels of the viewer, one page): the engine filters on the viewer's hidden flag.
        const states = await client.api.queryChannels({
          filter_conditions: { members: { $in: [me] }, hidden: true, globally_archived: true },
          sort: [{ field: 'last_message_at', direction: -1 }],
          limit: 30,
          state: true,
          watch: false,
          presence: false,
          message_limit: 0,
        });
        if (live) setArchived(states);
      } catch {
        // The archived section is a convenience: the list itself still works.
      }
    };
    const start = async () => {
      try {
        await client.connect();
        await client.queryChannels({ limit: 30 });
        if (!live) return;
        setStatus({ status: 'ready' });
        void loadArchived();
      } catch (error) {
        if (!live) return;
        client.disconnect();
        if (error instanceof HubSessionError && error.status === 409) {
          setStatus({ status: 'not-connected' });
          timer = setTimeout(retry, NOT_CONNECTED_RETRY_MS);
        } else {
          setStatus({ status: 'failed', error });
        }
      }
    };
    void start();
    const off = client.on('*', (event: { type: string }) => {
      if (ARCHIVE_EVENTS.has(event.type)) void loadArchived();
    });
    // Back online or back to the tab: retry now rather than wait out the backoff.
    const again = () => client.reconnectNow();
    const lost = () => client.networkLost();
    const visible = () => document.visibilityState === 'visible' && client.reconnectNow();
    window.addEventListener('online', again);
    window.addEventListener('offline', lost);
    document.addEventListener('visibilitychange', visible);
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      off();
      window.removeEventListener('online', again);
      window.removeEventListener('offline', lost);
      document.removeEventListener('visibilitychange', visible);
      client.disconnect();
    };
  }, [memberId, attempt, retry]);

  const value = useMemo(() => ({ client, status, archived, retry }), [client, status, archived, retry]);
  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}
