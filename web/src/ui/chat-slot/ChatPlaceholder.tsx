// PLACEHOLDER for the chat UI's main area (the channel's messages and composer) at /hub/. The chat engineer
// replaces this component; the shell renders it inside <main id="main"> filling the space right of the sidebar
// (a flex column, full height: the composer can sit at the bottom).

import { useSession } from '../session';

export function ChatPlaceholder() {
  const { member } = useSession();
  return (
    <div className="chat-placeholder">
      <h1 className="chat-placeholder__title">Welcome{member ? `, ${member.name}` : ''}</h1>
      <p className="chat-placeholder__text">Channels and messages will appear here.</p>
    </div>
  );
}
