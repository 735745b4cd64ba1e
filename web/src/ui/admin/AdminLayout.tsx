// The frame of every admin page: a header with the page's title and a short line on what it is for, and focus
// moved to the title on arrival (so a screen reader hears where it landed after a navigation).

import { useEffect, useRef, type ReactNode } from 'react';
import type { AdminPage } from '../router';
import { adminTitle } from '../shell/nav';
import './admin.css';

const INTROS: Record<AdminPage, string> = {
  integration: 'Connect the workspace to Stream Chat (or this server’s built-in engine) and watch provisioning.',
  push: 'Send mobile push notifications through Firebase (Android) and APNs (iOS).',
  members: 'Invite people, change their role, or remove them from the workspace.',
  projects: 'Each project has its own channel holding exactly its members.',
  moderation: 'Messages members flagged, newest first. Act on them or dismiss them.',
  audit: 'Every change to members, projects, the integration and moderation, newest first.',
  usage: 'This month’s use of the chat plan.',
};

let firstPage = true;

export function AdminLayout({ page, children }: { page: AdminPage; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Not on the first page of a visit: there the browser's own focus start is right.
    if (firstPage) firstPage = false;
    else heading.current?.focus();
  }, [page]);

  return (
    <div className="admin">
      <header className="admin__header">
        <p className="admin__eyebrow">Admin</p>
        <h1 className="admin__title" ref={heading} tabIndex={-1}>
          {adminTitle(page)}
        </h1>
        <p className="admin__intro">{INTROS[page]}</p>
      </header>
      <div className="admin__body">{children}</div>
    </div>
  );
}
