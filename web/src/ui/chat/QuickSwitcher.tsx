import { useId, useMemo, useRef, useState } from 'react';
import { Dialog } from './Dialog';
import { matchesFilter, toItem, type ChannelItem } from './channelSections';
import { PresenceDot } from './PresenceDot';
import { toMs } from './format';
import { useListNav } from './useListNav';
import type { ChannelListEntry } from './types';
import './common.css';
import './QuickSwitcher.css';

export interface QuickSwitcherProps {
  channels: readonly ChannelListEntry[];
  selfId?: string;
  onSelect: (cid: string) => void;
  onClose: () => void;
  inline?: boolean;
}

/** Ranks matches: label prefix first, then unread, then most recent. Empty query: unread and recent first. */
export function rankSwitcher(items: ChannelItem[], query: string): ChannelItem[] {
  const q = query.trim().toLowerCase();
  return items
    .filter((i) => matchesFilter(i, q))
    .map((i) => ({ i, s: (q && i.label.toLowerCase().startsWith(q) ? 4 : 0) + (i.unread ? 2 : 0) - (i.archived ? 3 : 0) }))
    .sort((a, b) => b.s - a.s || toMs(b.i.entry.channel.last_message_at) - toMs(a.i.entry.channel.last_message_at))
    .map((x) => x.i)
    .slice(0, 50);
}

/** Ctrl/Cmd+K: type to filter channels and DMs (archived too), arrows to move, Enter to open, Escape to close. */
export function QuickSwitcher({ channels, selfId, onSelect, onClose, inline }: QuickSwitcherProps) {
  const [query, setQuery] = useState('');
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const items = useMemo(() => channels.map((c) => toItem(c, selfId)), [channels, selfId]);
  const results = useMemo(() => rankSwitcher(items, query), [items, query]);
  const pick = (i: number) => {
    const it = results[i];
    if (!it) return;
    onSelect(it.cid);
    onClose();
  };
  const nav = useListNav(results.length, pick, { resetKey: query });
  const activeId = results[nav.active] ? `${listId}-${nav.active}` : undefined;

  return (
    <Dialog title="Jump to a conversation" hideTitle onClose={onClose} initialFocus={inputRef} inline={inline} className="rc-switcher">
      <input
        ref={inputRef}
        className="rc-input rc-switcher-input"
        role="combobox"
        aria-label="Jump to a conversation"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={activeId}
        aria-autocomplete="list"
        placeholder="Jump to…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={nav.onKeyDown}
      />
      <ul id={listId} role="listbox" aria-label="Conversations" className="rc-switcher-list">
        {results.map((it, i) => (
          <li
            key={it.cid}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === nav.active}
            className="rc-option"
            onMouseMove={() => nav.setActive(i)}
            onClick={() => pick(i)}
          >
            <span className="rc-switcher-kind" aria-hidden="true">
              {it.kind === 'dm' ? it.peer ? <PresenceDot online={!!it.peer.online} decorative /> : '@' : '#'}
            </span>
            <span className={it.unread ? 'rc-switcher-name rc-unread' : 'rc-switcher-name'}>{it.label}</span>
            {it.archived && <span className="rc-option-sub">Archived</span>}
            {it.unread > 0 && <span className="rc-option-sub">{it.unread} unread</span>}
          </li>
        ))}
        {results.length === 0 && (
          <li role="presentation" className="rc-muted rc-switcher-empty">
            No conversation matches “{query}”
          </li>
        )}
      </ul>
    </Dialog>
  );
}
