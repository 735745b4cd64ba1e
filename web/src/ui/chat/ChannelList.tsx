import { useMemo, useRef, useState } from 'react';
import { buildSections, unreadLabel, type ChannelItem, type ChannelSection } from './channelSections';
import { Icon } from './icons';
import { PresenceDot } from './PresenceDot';
import type { ChannelListEntry } from './types';
import './common.css';
import './ChannelList.css';

export interface ChannelListProps {
  channels: readonly ChannelListEntry[];
  activeCid?: string;
  selfId?: string;
  onSelect: (cid: string) => void;
  /** Shows the "New message" button; the host opens a MemberPicker. */
  onNewDm?: () => void;
  /** Shows a "+" on Channels. */
  onNewChannel?: () => void;
  /** Section ids collapsed at first ("archived" by default). */
  initiallyCollapsed?: string[];
}

/**
 * The sidebar's conversations: Channels, a group per project, Direct messages (with presence), and Archived
 * (collapsed; a filter finds archived channels too). Unread channels are bold with an exact count. Keyboard:
 * ArrowUp/ArrowDown (Home/End) move between rows and section headers, Enter or Space opens or toggles.
 */
export function ChannelList({ channels, activeCid, selfId, onSelect, onNewDm, onNewChannel, initiallyCollapsed = ['archived'] }: ChannelListProps) {
  const [filter, setFilter] = useState('');
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set(initiallyCollapsed));
  const sections = useMemo(() => buildSections(channels, { selfId, filter }), [channels, selfId, filter]);
  const navRef = useRef<HTMLElement>(null);
  const filtering = filter.trim().length > 0;
  const toggle = (id: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  // Roving focus: every row and header is a button in DOM order; arrows move among those shown.
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
    const root = navRef.current;
    if (!root) return;
    const items = [...root.querySelectorAll<HTMLElement>('[data-nav]')];
    if (!items.length) return;
    const at = items.indexOf(document.activeElement as HTMLElement);
    let next = at;
    if (e.key === 'ArrowDown') next = at < 0 ? 0 : Math.min(items.length - 1, at + 1);
    else if (e.key === 'ArrowUp') next = at < 0 ? 0 : Math.max(0, at - 1);
    else if (e.key === 'Home') next = 0;
    else next = items.length - 1;
    e.preventDefault();
    items[next]?.focus();
  };

  const hasProjects = sections.some((s) => s.kind === 'project');
  const isEmpty = (s: ChannelSection) => s.items.length === 0;
  // The first row that takes Tab: the active channel, else the first row.
  const tabStop = activeCid ?? sections.find((s) => s.items.length)?.items[0]?.cid;

  const renderItem = (it: ChannelItem) => {
    const active = it.cid === activeCid;
    return (
      <li key={it.cid}>
        <button
          type="button"
          data-nav
          tabIndex={it.cid === tabStop ? 0 : -1}
          className={`rc-cl-item${active ? ' rc-cl-active' : ''}${it.unread ? ' rc-cl-unread' : ''}`}
          aria-current={active ? 'page' : undefined}
          aria-label={unreadLabel(it) + (it.peer ? (it.peer.online ? ', online' : ', offline') : '')}
          onClick={() => onSelect(it.cid)}
        >
          <span className="rc-cl-glyph" aria-hidden="true">
            {it.kind === 'dm' ? it.peer ? <PresenceDot online={!!it.peer.online} decorative /> : <Icon name="reply" /> : '#'}
          </span>
          <span className="rc-cl-label">{it.label}</span>
          {it.unread > 0 && (
            <span className={`rc-cl-badge${it.mentions ? ' rc-cl-badge-mention' : ''}`} aria-hidden="true">
              {it.unread}
            </span>
          )}
        </button>
      </li>
    );
  };

  const renderSection = (s: ChannelSection, nested = false) => {
    if (isEmpty(s) && (filtering || s.kind === 'archived' || s.kind === 'project')) return null;
    const open = filtering || !collapsed.has(s.id);
    const unread = s.items.reduce((n, i) => n + i.unread, 0);
    const listId = `rc-cl-${s.id.replace(/[^\w-]/g, '_')}`;
    return (
      <div key={s.id} className={`rc-cl-section${nested ? ' rc-cl-nested' : ''}`}>
        <div className="rc-cl-head">
          <button
            type="button"
            data-nav
            tabIndex={-1}
            className="rc-cl-toggle"
            aria-expanded={open}
            aria-controls={listId}
            onClick={() => toggle(s.id)}
          >
            <Icon name="chevron" className={open ? 'rc-cl-chev' : 'rc-cl-chev rc-cl-chev-closed'} />
            <span>{s.title}</span>
            {!open && unread > 0 && <span className="rc-cl-head-unread">{unread} unread</span>}
          </button>
          {s.kind === 'channels' && onNewChannel && (
            <button type="button" className="rc-icon-btn rc-cl-add" aria-label="Create a channel" onClick={onNewChannel}>
              <Icon name="plus" />
            </button>
          )}
          {s.kind === 'dms' && onNewDm && (
            <button type="button" className="rc-icon-btn rc-cl-add" aria-label="New direct message" onClick={onNewDm}>
              <Icon name="plus" />
            </button>
          )}
        </div>
        {open && (
          <ul id={listId} className="rc-cl-list" aria-label={s.title}>
            {s.items.map(renderItem)}
            {s.items.length === 0 && <li className="rc-cl-empty">{s.kind === 'dms' ? 'No conversations yet' : 'No channels yet'}</li>}
          </ul>
        )}
      </div>
    );
  };

  const projectSections = sections.filter((s) => s.kind === 'project' && !isEmpty(s));
  return (
    <nav ref={navRef} className="rc-cl" aria-label="Conversations" onKeyDown={onKeyDown}>
      <div className="rc-cl-top">
        <input
          type="search"
          className="rc-input rc-cl-filter"
          aria-label="Find a conversation"
          placeholder="Find a conversation"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && filter) {
              e.stopPropagation();
              setFilter('');
            }
          }}
        />
        {onNewDm && (
          <button type="button" className="rc-btn rc-cl-new" onClick={onNewDm}>
            <Icon name="edit" />
            New message
          </button>
        )}
      </div>
      <div className="rc-cl-scroll">
        {sections.filter((s) => s.kind === 'channels').map((s) => renderSection(s))}
        {hasProjects && projectSections.length > 0 && (
          <div className="rc-cl-projects" role="group" aria-label="Projects">
            <div className="rc-cl-group-title" aria-hidden="true">
              Projects
            </div>
            {projectSections.map((s) => renderSection(s, true))}
          </div>
        )}
        {sections.filter((s) => s.kind === 'dms' || s.kind === 'archived').map((s) => renderSection(s))}
        {filtering && sections.every(isEmpty) && <p className="rc-cl-empty">Nothing matches “{filter}”</p>}
      </div>
    </nav>
  );
}
