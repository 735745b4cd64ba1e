// The Shell's channel list: every conversation of the viewer with unread counts and presence, a "New message"
// picker that opens (or creates) a DM, and the archived channels out of the way.

import { useState } from 'react';
import type { ChatClient, User } from '../../chat';
import { ChannelList, MemberPicker, type UserView } from '../chat';
import { navigate, pathFor, useRoute } from '../router';
import { useChat, useSidebarEntries } from './ChatContext';
import { defaultCid } from './entries';
import { useToast } from '../common/toast';
import './chat-app.css';

export interface ChatSidebarProps {
  /** Closes the Shell's drawer on a phone once a channel is chosen. */
  onNavigate?: () => void;
}

export function ChatSidebar({ onNavigate }: ChatSidebarProps) {
  const { client, status } = useChat();
  if (!client || status.status !== 'ready') {
    const words =
      status.status === 'not-connected'
        ? 'Chat is not connected yet.'
        : status.status === 'failed'
          ? 'Chat could not start.'
          : 'Loading conversations…';
    return (
      <div className="ca-sidebar-state" role="status">
        {words}
      </div>
    );
  }
  return <ReadySidebar client={client} onNavigate={onNavigate} />;
}

function ReadySidebar({ client, onNavigate }: { client: ChatClient; onNavigate?: () => void }) {
  const entries = useSidebarEntries(client);
  const route = useRoute();
  const [picking, setPicking] = useState<UserView[] | null>(null);
  const toast = useToast();
  // The same choice ChatView makes for /hub/, so the highlighted row is the open channel.
  const activeCid = route.name === 'chat' ? (route.cid ?? defaultCid(entries, remembered(client.currentUserId))) : undefined;

  const open = (cid: string) => {
    navigate(pathFor({ name: 'chat', cid }));
    onNavigate?.();
  };

  const newDm = async () => {
    try {
      // The workspace's people, first page by name: a Hub workspace is a team, not a city.
      const users = await client.searchUsers('', { limit: 100 });
      setPicking(users as unknown as UserView[]);
    } catch {
      toast.show('error', 'Could not load the people of this workspace.');
    }
  };

  const pick = async (ids: string[]) => {
    setPicking(null);
    try {
      const store = await client.openDirectMessage(ids);
      open(store.cid);
    } catch {
      toast.show('error', 'Could not open that conversation.');
    }
  };

  return (
    <div className="ca-sidebar">
      <ChannelList
        channels={entries}
        activeCid={activeCid}
        selfId={client.currentUserId}
        onSelect={open}
        onNewDm={() => void newDm()}
      />
      {picking && (
        <MemberPicker
          members={picking.filter((u: User | UserView) => u.id !== client.currentUserId)}
          selfId={client.currentUserId}
          multiple
          onPick={(ids) => void pick(ids)}
          onClose={() => setPicking(null)}
        />
      )}
    </div>
  );
}

const LAST_KEY = 'rill.chat.last-channel.';

/** The channel last opened by this member on this browser (not a secret: a channel id). */
export function remembered(userId: string): string | null {
  try {
    return localStorage.getItem(LAST_KEY + userId);
  } catch {
    return null;
  }
}

export function remember(userId: string, cid: string): void {
  try {
    localStorage.setItem(LAST_KEY + userId, cid);
  } catch {
    // Private mode: the default channel opens instead.
  }
}
