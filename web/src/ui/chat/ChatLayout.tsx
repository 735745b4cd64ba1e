import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Icon } from './icons';
import './common.css';
import './ChatLayout.css';

export interface ChatLayoutProps {
  /** The ChannelList (or anything for the sidebar). Absent inside the app's Shell, which has the sidebar. */
  sidebar?: ReactNode;
  /** The channel's name as the header shows it ("# general" or a person's name). */
  title: string;
  /** Topic, or "12 members". */
  subtitle?: string;
  /** The MessageList, TypingIndicator and Composer, top to bottom. */
  children: ReactNode;
  /** The ThreadPanel, or the SearchPanel, when open. */
  aside?: ReactNode;
  /** The ConnectionBanner. */
  banner?: ReactNode;
  onSearch?: () => void;
  threadOpen?: boolean;
  onToggleThread?: () => void;
  /** Ctrl/Cmd+K anywhere: open the QuickSwitcher. */
  onQuickSwitch?: () => void;
  /** Extra header buttons (members, settings...). */
  headerActions?: ReactNode;
}

/**
 * The chat screen: sidebar, header, main column and an aside (thread or search). Narrow screens (≤ 768 px)
 * turn the sidebar into a drawer (the header's "Conversations" button) and the aside into a full screen.
 */
export function ChatLayout(props: ChatLayoutProps) {
  const [drawer, setDrawer] = useState(false);
  const drawerRef = useRef<HTMLDivElement>(null);
  const quick = useRef(props.onQuickSwitch);
  quick.current = props.onQuickSwitch;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k' && quick.current) {
        e.preventDefault();
        quick.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // Choosing a conversation in the drawer closes it.
  useEffect(() => setDrawer(false), [props.title]);

  const embedded = props.sidebar === undefined;
  // Inside the Shell the page already has its <main>: the chat is a region of it.
  const Main = embedded ? 'section' : 'main';
  const classes = ['rc-layout', props.aside ? 'rc-layout-aside' : '', drawer ? 'rc-layout-drawer' : '', embedded ? 'rc-layout-embedded' : ''];
  return (
    <div className={classes.filter(Boolean).join(' ')}>
      {!embedded && (
        <div
          ref={drawerRef}
          className="rc-layout-sidebar"
          onKeyDown={(e) => {
            if (e.key === 'Escape' && drawer) setDrawer(false);
          }}
        >
          {props.sidebar}
        </div>
      )}
      {drawer && <div className="rc-layout-scrim" onClick={() => setDrawer(false)} aria-hidden="true" />}
      <Main className="rc-layout-main" aria-label={embedded ? props.title : undefined}>
        {props.banner}
        <header className="rc-layout-head">
          {!embedded && (
            <button
              type="button"
              className="rc-icon-btn rc-layout-menu"
              aria-label="Conversations"
              aria-expanded={drawer}
              onClick={() => {
                setDrawer((d) => !d);
                requestAnimationFrame(() => drawerRef.current?.querySelector<HTMLElement>('input, button')?.focus());
              }}
            >
              <Icon name="menu" />
            </button>
          )}
          <div className="rc-layout-titles">
            <h1 className="rc-layout-title">{props.title}</h1>
            {props.subtitle && <p className="rc-layout-sub">{props.subtitle}</p>}
          </div>
          <div className="rc-layout-actions">
            {props.headerActions}
            {props.onSearch && (
              <button type="button" className="rc-icon-btn" aria-label="Search messages" onClick={props.onSearch}>
                <Icon name="search" />
              </button>
            )}
            {props.onToggleThread && (
              <button type="button" className="rc-icon-btn" aria-label="Thread" aria-pressed={!!props.threadOpen} onClick={props.onToggleThread}>
                <Icon name="thread" />
              </button>
            )}
          </div>
        </header>
        <div className="rc-layout-body">{props.children}</div>
      </Main>
      {props.aside && <div className="rc-layout-asidebox">{props.aside}</div>}
    </div>
  );
}
