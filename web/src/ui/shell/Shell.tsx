// The signed-in layout: the sidebar (workspace name, the chat's channel list, admin navigation for admins, the
// member's menu) and the main area. On a phone's width the sidebar becomes a drawer behind a menu button.

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ChatSidebar } from '../chat-app/ChatSidebar';
import { Link } from '../Link';
import { pathFor, useRoute } from '../router';
import { useSession } from '../session';
import { ADMIN_NAV, WORKSPACE_NAME } from './nav';
import { UserMenu } from './UserMenu';
import './shell.css';

export function Shell({ title, children }: { title: string; children: ReactNode }) {
  const { isAdmin } = useSession();
  const route = useRoute();
  const [drawerOpen, setDrawerOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const sidebar = useRef<HTMLElement>(null);

  // A route change closes the drawer.
  const path = pathFor(route);
  useEffect(() => setDrawerOpen(false), [path]);

  useEffect(() => {
    if (!drawerOpen) return;
    // Focus into the drawer, and Escape closes it with focus back on the menu button.
    sidebar.current?.querySelector<HTMLElement>('a, button')?.focus();
    function onKey(e: KeyboardEvent) {
      if (e.key === 'Escape') {
        setDrawerOpen(false);
        menuButton.current?.focus();
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [drawerOpen]);

  const close = () => setDrawerOpen(false);

  return (
    <div className={'shell' + (drawerOpen ? ' shell--drawer-open' : '')}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          ref={menuButton}
          type="button"
          className="icon-btn topbar__menu"
          aria-label="Open navigation"
          aria-expanded={drawerOpen}
          aria-controls="sidebar"
          onClick={() => setDrawerOpen(true)}
        >
          <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true">
            <path d="M3 5h14M3 10h14M3 15h14" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
          </svg>
        </button>
        <span className="topbar__title">{title}</span>
      </header>

      <div className="shell__backdrop" onClick={close} aria-hidden="true" />

      <aside id="sidebar" ref={sidebar} className="sidebar" aria-label="Sidebar">
        <div className="sidebar__head">
          <Link href={pathFor({ name: 'chat' })} className="sidebar__workspace">
            <span className="sidebar__logo" aria-hidden="true">
              {WORKSPACE_NAME.charAt(0)}
            </span>
            {WORKSPACE_NAME}
          </Link>
          <button type="button" className="icon-btn sidebar__close" aria-label="Close navigation" onClick={close}>
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
              <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
            </svg>
          </button>
        </div>

        {/* The channel list is its own <nav aria-label="Conversations">. */}
        <div className="sidebar__section sidebar__channels">
          <ChatSidebar onNavigate={close} />
        </div>

        {isAdmin ? (
          <nav className="sidebar__section" aria-label="Admin">
            <p className="sidebar__heading">Admin</p>
            <ul className="sidebar__list">
              {ADMIN_NAV.map((item) => {
                const current = route.name === 'admin' && route.page === item.page;
                return (
                  <li key={item.page}>
                    <Link
                      href={pathFor({ name: 'admin', page: item.page })}
                      className={'sidebar__link' + (current ? ' sidebar__link--current' : '')}
                      aria-current={current ? 'page' : undefined}
                    >
                      {item.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
        ) : null}

        <div className="sidebar__foot">
          <UserMenu />
        </div>
      </aside>

      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
