import './chat-slot.css';
// PLACEHOLDER for the chat UI (web/src/ui/chat/). The chat engineer replaces this component's body with the
// channel list; the shell renders it in the sidebar between the workspace name and the admin navigation.
//
// Contract:
// - Rendered only for a signed-in member (useSession() from '../session' gives the member; `hub.chatSession()`
//   from '../../hub/client' gives the chat token, 409 `not_connected` before the Hub is connected).
// - `onNavigate` closes the sidebar drawer on a phone: call it when a channel is chosen.
// - The sidebar is dark: use --color-sidebar-* tokens. The shell gives it a <nav aria-label="Channels">.

export interface ChatSidebarSlotProps {
  onNavigate?: () => void;
}

export function ChatSidebarSlot(_props: ChatSidebarSlotProps) {
  return (
    <div className="chat-slot-sidebar">
      <p className="chat-slot-sidebar__heading">Channels</p>
      <ul className="chat-slot-sidebar__list" aria-label="Channels (coming soon)">
        {['general', 'engineering'].map((name) => (
          <li key={name} className="chat-slot-sidebar__item" aria-disabled="true">
            <span aria-hidden="true">#</span> {name}
          </li>
        ))}
      </ul>
    </div>
  );
}
