// A development page for the chat components with made-up data (10,000 messages in #general), served by
// `npm run dev` at /hub/src/ui/chat/dev/demo.html. Not part of the app's build.
import { StrictMode, useCallback, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../../../styles/tokens.css';
import {
  ChannelList,
  ChatLayout,
  Composer,
  ConnectionBanner,
  MessageList,
  QuickSwitcher,
  ThreadPanel,
  TypingIndicator,
  type ChannelListEntry,
  type MessageView,
  type UserView,
} from '../index';

const me: UserView = { id: 'me', name: 'Mia Park', online: true };
const people: UserView[] = [
  { id: 'ann', name: 'Ann Lee', online: true },
  { id: 'ben', name: 'Ben Ortiz', online: false },
  { id: 'cy', name: 'Cy Dube', online: true },
];
const texts = [
  'Morning! Did the **deploy** go out?',
  'Yes, see https://example.com/deploys/42 for the log.',
  'Thanks @Mia Park, looks good to me',
  '```\ncargo test --workspace\n```',
  '> quoted from the spec\nand a reply below it',
  '- one\n- two\n- three',
  'A longer message that wraps over a few lines so that the virtual list has rows of different heights to measure while it scrolls through ten thousand of them.',
];

function makeMessages(n: number): MessageView[] {
  const start = Date.now() - n * 90_000;
  return Array.from({ length: n }, (_, i) => {
    const user = i % 5 === 4 ? me : people[i % 3]!;
    return {
      id: `m${i}`,
      text: `${texts[i % texts.length]} (#${i})`,
      user,
      created_at: new Date(start + i * 90_000 + (i % 7) * 200_000).toISOString(),
      mentioned_users: i % 7 === 2 ? [me] : [],
      reaction_counts: i % 6 === 0 ? { like: 2, tada: 1 } : undefined,
      own_reactions: i % 12 === 0 ? [{ type: 'like', user_id: 'me' }] : [],
      reply_count: i % 25 === 0 ? 3 : 0,
      attachments:
        i % 40 === 10
          ? [{ type: 'file', title: 'report.pdf', file_size: 183_000, mime_type: 'application/pdf', asset_url: 'https://example.com/r.pdf' }]
          : [],
    };
  }).sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
}

const all = makeMessages(10_000);
const channels: ChannelListEntry[] = [
  { channel: { id: 'general', type: 'team', cid: 'team:general', name: 'general', member_count: 42 }, unread_count: 30, unread_mentions: 1 },
  { channel: { id: 'random', type: 'team', cid: 'team:random', name: 'random' } },
  { channel: { id: 'web', type: 'team', cid: 'team:web', name: 'web', project_id: 'p1', project_name: 'Website' }, unread_count: 3 },
  { channel: { id: 'api', type: 'team', cid: 'team:api', name: 'api', project_id: 'p1', project_name: 'Website' } },
  { channel: { id: 'old', type: 'team', cid: 'team:old', name: '2025-offsite' }, membership: { archived_at: '2026-01-01' } },
  { channel: { id: '!members-1', type: 'messaging', cid: 'messaging:!members-1' }, members: [{ user: me }, { user: people[0] }], unread_count: 2 },
  { channel: { id: '!members-2', type: 'messaging', cid: 'messaging:!members-2' }, members: [{ user: me }, { user: people[1] }] },
];

function Demo() {
  const [loaded, setLoaded] = useState(200);
  const [messages, setMessages] = useState(() => all.slice(all.length - 200));
  const [thread, setThread] = useState<MessageView | null>(null);
  const [switcher, setSwitcher] = useState(false);
  const [active, setActive] = useState('team:general');
  const onLoadOlder = useCallback(async () => {
    await new Promise((r) => setTimeout(r, 300));
    const next = Math.min(all.length, loaded + 200);
    setLoaded(next);
    setMessages(all.slice(all.length - next));
  }, [loaded]);
  return (
    <ChatLayout
      sidebar={<ChannelList channels={channels} activeCid={active} selfId="me" onSelect={setActive} onNewDm={() => {}} />}
      title="# general"
      subtitle="42 members · Company-wide announcements"
      banner={<ConnectionBanner state="online" />}
      onSearch={() => {}}
      onQuickSwitch={() => setSwitcher(true)}
      threadOpen={!!thread}
      onToggleThread={() => setThread(thread ? null : (messages[messages.length - 1] ?? null))}
      aside={
        thread && (
          <ThreadPanel
            parent={thread}
            replies={all.slice(0, 3).map((m, i) => ({ ...m, id: `r${i}`, parent_id: thread.id }))}
            selfId="me"
            onClose={() => setThread(null)}
            composer={{ cid: active, channelLabel: 'general', onSend: () => {}, members: people }}
          />
        )
      }
    >
      <MessageList
        key={active}
        messages={messages}
        selfId="me"
        lastRead={messages[messages.length - 31]?.created_at}
        onLoadOlder={onLoadOlder}
        hasOlder={loaded < all.length}
        label="Messages in #general"
        onOpenThread={setThread}
        onToggleReaction={() => {}}
        onEdit={() => {}}
        onDelete={() => {}}
        onFlag={() => {}}
        onRetry={() => {}}
      />
      <TypingIndicator users={[people[0]!]} />
      <Composer
        cid={active}
        channelLabel="general"
        members={people}
        selfId="me"
        onSend={({ text }) =>
          setMessages((ms) => [...ms, { id: `new${ms.length}`, text, user: me, created_at: new Date().toISOString(), status: 'sending' }])
        }
        onAddFiles={() => {}}
      />
      {switcher && <QuickSwitcher channels={channels} selfId="me" onSelect={setActive} onClose={() => setSwitcher(false)} />}
    </ChatLayout>
  );
}

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <Demo />
    </StrictMode>,
  );
