// The chat screen for the route's channel: header, messages, typing, composer, and the thread or search panel.
// It binds the client's stores (src/chat) to the components (ui/chat); nothing here talks to the network
// except through the client.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChatClient, ChannelStore, LocalMessage } from '../../chat';
import {
  ChatLayout,
  Composer,
  ConnectionBanner,
  FlagDialog,
  MessageList,
  QuickSwitcher,
  SearchPanel,
  ThreadPanel,
  TypingIndicator,
  type ComposerSend,
  type MessageActions,
  type MessageView,
  type ReadView,
  type SearchResultView,
  type UserView,
} from '../chat';
import { plural } from '../common/format';
import { EmptyState, SkeletonRows } from '../common/States';
import { useToast } from '../common/toast';
import { navigate, pathFor } from '../router';
import { useSession } from '../session';
import { remember, remembered } from './ChatSidebar';
import { useChat, useSidebarEntries, useStore } from './ChatContext';
import { composerBlock, defaultCid, heading, messageView, muteEndsAt } from './entries';
import { useUploads } from './useUploads';
import './chat-app.css';

export function ChatView({ cid }: { cid?: string }) {
  const { client, status, retry } = useChat();
  const { isAdmin } = useSession();
  if (status.status === 'not-connected') {
    return (
      <EmptyState title="Chat is not connected yet">
        {isAdmin
          ? 'Connect a chat backend in Admin → Integrations, then come back here.'
          : 'An admin has to connect the chat first. This page retries by itself.'}
      </EmptyState>
    );
  }
  if (status.status === 'failed') {
    return (
      <EmptyState
        title="Chat could not start"
        action={
          <button type="button" className="btn btn--secondary" onClick={retry}>
            Try again
          </button>
        }
      >
        The chat backend did not accept the connection. Try again, or ask an admin to check Admin → Integrations.
      </EmptyState>
    );
  }
  if (!client || status.status !== 'ready') return <SkeletonRows label="Loading the chat" />;
  return <ReadyChat client={client} cid={cid} />;
}

function ReadyChat({ client, cid }: { client: ChatClient; cid?: string }) {
  const entries = useSidebarEntries(client);
  const selfId = client.currentUserId;
  const active = cid ?? defaultCid(entries, remembered(selfId));
  const [switching, setSwitching] = useState(false);

  useEffect(() => {
    if (active) remember(selfId, active);
  }, [active, selfId]);

  const quickSwitcher = switching && (
    <QuickSwitcher
      channels={entries}
      selfId={selfId}
      onSelect={(next) => {
        setSwitching(false);
        navigate(pathFor({ name: 'chat', cid: next }));
      }}
      onClose={() => setSwitching(false)}
    />
  );
  if (!active) {
    return (
      <EmptyState title="No conversations yet">
        Start one with <strong>New message</strong> in the sidebar, or ask an admin to add you to a project.
      </EmptyState>
    );
  }
  const at = active.indexOf(':');
  return (
    <>
      <ChannelScreen
        key={active}
        client={client}
        store={client.channel(active.slice(0, at), active.slice(at + 1))}
        onQuickSwitch={() => setSwitching(true)}
      />
      {quickSwitcher}
    </>
  );
}

type Aside = { kind: 'thread'; parentId: string } | { kind: 'search' } | null;

function ChannelScreen({ client, store, onQuickSwitch }: { client: ChatClient; store: ChannelStore; onQuickSwitch: () => void }) {
  const snap = useStore(store);
  const me = useStore(client.me);
  const selfId = client.currentUserId;
  const toast = useToast();
  const [loadError, setLoadError] = useState<string | null>(null);
  const [aside, setAside] = useState<Aside>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [flagging, setFlagging] = useState<MessageView | null>(null);
  const [focusId, setFocusId] = useState<string | undefined>(undefined);
  const [atBottom, setAtBottom] = useState(true);
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  const uploads = useUploads(store);
  const threadUploads = useUploads(store);
  const loaded = snap.channel !== undefined;

  // Opening a channel the list does not hold (a link, an archived channel, search).
  useEffect(() => {
    if (loaded) return;
    client.watchChannel(store.type, store.id).catch((error: { code?: number }) => {
      setLoadError(error.code === 16 || error.code === 17 ? 'This conversation does not exist, or you are not in it.' : 'This conversation could not be loaded.');
    });
  }, [client, store, loaded]);

  // The read state when the channel opened, for the "New" divider: fixed while the viewer reads.
  const readAtOpen = useRef<{ last_read?: string; last_read_message_id?: string } | null>(null);
  if (loaded && !readAtOpen.current) readAtOpen.current = snap.read[selfId] ?? {};

  useEffect(() => {
    const onVisibility = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, []);

  // Read when the newest messages are on screen in a visible tab.
  useEffect(() => {
    if (!loaded || !atBottom || !visible || snap.unreadCount === 0) return;
    void store.markRead().catch(() => undefined);
  }, [loaded, atBottom, visible, snap.unreadCount, store]);

  // A timed mute ends on its own: render again then so the composer reopens.
  const [, setTick] = useState(0);
  const muteEnd = muteEndsAt(snap, selfId);
  useEffect(() => {
    if (!muteEnd || muteEnd <= Date.now()) return;
    const timer = setTimeout(() => setTick((n) => n + 1), Math.min(muteEnd - Date.now() + 500, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [muteEnd]);

  const messages = useMemo(() => snap.messages.map(messageView), [snap.messages]);
  const members = useMemo(
    () => Object.values(snap.members).flatMap((m) => (m.user ? [m.user as unknown as UserView] : [])),
    [snap.members],
  );
  const reads = useMemo(() => Object.values(snap.read) as unknown as ReadView[], [snap.read]);
  const { name, dm } = heading(snap, selfId);
  // The header says "# general"; the composer adds the '#' itself ("Message #general"); the log is named
  // "Messages in #general".
  const title = dm ? name : `# ${name}`;
  const label = dm ? name : `#${name}`;
  const blocked = composerBlock(snap, me, selfId, Date.now());

  const fail = useCallback(
    (what: string) => (error: unknown) => {
      const words = (error as { message?: string }).message;
      toast.show('error', words ? `${what}: ${words}` : what);
    },
    [toast],
  );

  const send = (parentId: string | undefined, take: (ids: readonly string[]) => ReturnType<typeof uploads.take>) => (m: ComposerSend) => {
    const attachments = take(m.upload_ids);
    // A refused send stays in the list as "Not sent" with Retry; nothing more to do here.
    void store
      .sendMessage({
        text: m.text,
        ...(m.mentioned_users.length > 0 && { mentioned_users: m.mentioned_users }),
        ...(attachments.length > 0 && { attachments }),
        ...(parentId && { parent_id: parentId }),
      })
      .catch(() => undefined);
  };

  // One object per channel: the rows are memoized, and a typing event must not re-render every one of them.
  const actions = useMemo<MessageActions>(() => ({
    onToggleReaction: (m, type, own) => void (own ? store.unreact(m.id, type) : store.react(m.id, type)).catch(fail('Could not react')),
    onOpenThread: (m) => {
      setAside({ kind: 'thread', parentId: m.id });
      void store.loadReplies(m.id).catch(fail('Could not load the thread'));
    },
    onEdit: (m) => setEditing(m),
    onDelete: (m) => {
      if (m.status === 'failed') store.discard(m.id);
      else void store.deleteMessage(m.id).catch(fail('Could not delete the message'));
    },
    onFlag: (m) => setFlagging(m),
    onRetry: (m) => void store.retry(m.id).catch(() => undefined),
    onOpenImage: (_m, attachment) => {
      const url = attachment.image_url ?? attachment.asset_url;
      if (url && /^https?:/i.test(url)) window.open(url, '_blank', 'noopener,noreferrer');
    },
  }), [store, fail]);

  const saveEdit = (m: MessageView, text: string, mentioned: string[]) => {
    setEditing(null);
    void store
      .editMessage(m.id, { text, attachments: (m.attachments ?? []) as never, mentioned_users: mentioned })
      .catch(fail('Could not save the edit'));
  };

  const editLast = () => {
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.user?.id === selfId && m.type !== 'deleted' && m.status !== 'failed' && m.status !== 'sending') {
        setEditing(m);
        return;
      }
    }
  };

  const typingMain = snap.typing.filter((t) => !t.parentId).map((t) => t.user as unknown as UserView);

  let asideNode = null;
  if (aside?.kind === 'thread') {
    const parent = messages.find((m) => m.id === aside.parentId);
    const thread = snap.threads[aside.parentId];
    if (parent) {
      asideNode = (
        <ThreadPanel
          parent={parent}
          replies={(thread?.replies ?? []).map(messageView)}
          selfId={selfId}
          loading={!thread?.loaded}
          onClose={() => setAside(null)}
          {...actions}
          onOpenThread={undefined}
          composer={{
            cid: snap.cid,
            channelLabel: 'Reply in thread',
            members,
            selfId,
            onSend: send(aside.parentId, threadUploads.take),
            onTyping: () => store.keystroke(aside.parentId),
            onStopTyping: () => store.stopTyping(),
            onAddFiles: threadUploads.add,
            uploads: threadUploads.uploads,
            onRemoveUpload: threadUploads.remove,
            disabledReason: blocked,
          }}
        />
      );
    }
  } else if (aside?.kind === 'search') {
    asideNode = <Search client={client} onClose={() => setAside(null)} onJump={(cid, id) => {
      if (cid === snap.cid) void jumpTo(store, id, setFocusId);
      else navigate(pathFor({ name: 'chat', cid }) + `#message=${encodeURIComponent(id)}`);
    }} />;
  }

  // A search hit in another channel arrives as #message=<id>.
  useEffect(() => {
    if (!loaded) return;
    const id = new URLSearchParams(window.location.hash.slice(1)).get('message');
    if (id) void jumpTo(store, id, setFocusId);
  }, [loaded, store]);

  let body;
  if (loadError) body = <EmptyState title="Cannot open this conversation">{loadError}</EmptyState>;
  else if (!loaded) body = <SkeletonRows label={`Loading ${label}`} />;
  else {
    body = (
      <>
        <MessageList
          key={snap.cid}
          messages={messages}
          selfId={selfId}
          lastRead={readAtOpen.current?.last_read ?? null}
          lastReadMessageId={readAtOpen.current?.last_read_message_id}
          hasOlder={snap.hasOlder}
          onLoadOlder={() => store.loadOlder()}
          focusMessageId={focusId}
          reads={reads}
          memberCount={snap.channel?.member_count ?? members.length}
          label={`Messages in ${label}`}
          onAtBottomChange={setAtBottom}
          {...actions}
        />
        <TypingIndicator users={typingMain} />
        <Composer
          cid={snap.cid}
          channelLabel={name}
          isDm={dm}
          members={members}
          selfId={selfId}
          onSend={send(undefined, uploads.take)}
          onTyping={() => store.keystroke()}
          onStopTyping={() => store.stopTyping()}
          onAddFiles={uploads.add}
          uploads={uploads.uploads}
          onRemoveUpload={uploads.remove}
          editing={editing}
          onSaveEdit={saveEdit}
          onCancelEdit={() => setEditing(null)}
          onEditLast={editLast}
          disabledReason={blocked}
          autoFocus
        />
      </>
    );
  }

  const topic = snap.channel?.topic;
  const subtitle = typeof topic === 'string' && topic ? topic : snap.channel?.member_count ? plural(snap.channel.member_count, 'member') : undefined;
  return (
    <>
      <ChatLayout
        title={title}
        subtitle={subtitle}
        banner={<Banner client={client} />}
        aside={asideNode ?? undefined}
        onSearch={() => setAside(aside?.kind === 'search' ? null : { kind: 'search' })}
        onQuickSwitch={onQuickSwitch}
      >
        {body}
      </ChatLayout>
      {flagging && (
        <FlagDialog
          preview={flagging.text}
          onCancel={() => setFlagging(null)}
          onSubmit={async (reason, text) => {
            await client.flagMessage(flagging.id, reason === 'other' && text ? text : reason);
            setFlagging(null);
            toast.show('success', 'Thanks: the message was reported to the admins.');
          }}
        />
      )}
    </>
  );
}

/** Loads older pages until the message is held (at most 20 pages), then scrolls to it. */
async function jumpTo(store: ChannelStore, id: string, focus: (id: string) => void): Promise<void> {
  for (let page = 0; page < 20; page++) {
    if (store.getSnapshot().messages.some((m: LocalMessage) => m.id === id)) break;
    if (!(await store.loadOlder(100))) break;
  }
  focus(id);
}

function Search({ client, onClose, onJump }: { client: ChatClient; onClose: () => void; onJump: (cid: string, id: string) => void }) {
  const [results, setResults] = useState<readonly SearchResultView[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const latest = useRef(0);
  const run = (query: string) => {
    const q = query.trim();
    const mine = ++latest.current;
    if (!q) {
      // A cleared box also ends the wait for an answer still on its way (it will be ignored).
      setResults([]);
      setError(undefined);
      setLoading(false);
      return;
    }
    setLoading(true);
    client
      .search(q)
      .then((answer) => {
        if (mine !== latest.current) return;
        setResults(answer.results as unknown as SearchResultView[]);
        setError(undefined);
      })
      .catch((e: { message?: string }) => mine === latest.current && setError(e.message ?? 'Search failed.'))
      .finally(() => mine === latest.current && setLoading(false));
  };
  return <SearchPanel results={results} onSearch={run} onJump={onJump} onClose={onClose} loading={loading} error={error} />;
}

function Banner({ client }: { client: ChatClient }) {
  const connection = useStore(client.connection);
  const state = connection.status === 'online' ? 'online' : connection.status === 'connecting' ? 'connecting' : 'offline';
  return (
    <ConnectionBanner
      state={state}
      retryAt={connection.status === 'offline' ? connection.nextRetryAt : undefined}
      onRetry={() => client.reconnectNow()}
    />
  );
}
