import { useId, useMemo, useRef, useState } from 'react';
import { Avatar } from './Avatar';
import { Dialog } from './Dialog';
import { filterMembers } from './mentions';
import { useListNav } from './useListNav';
import { readableId, userName, type UserView } from './types';
import './common.css';
import './QuickSwitcher.css';

export interface MemberPickerProps {
  /** The people the viewer can message (e.g. the workspace's members). */
  members: readonly UserView[];
  selfId?: string;
  title?: string;
  /** Pick more than one (a group DM); Enter on an empty query then confirms. */
  multiple?: boolean;
  onPick: (userIds: string[]) => void;
  onClose: () => void;
  inline?: boolean;
}

/** The "New message" picker: type-ahead over members, arrows and Enter to pick, chips for a group. */
export function MemberPicker({ members, selfId, title = 'New message', multiple, onPick, onClose, inline }: MemberPickerProps) {
  const [query, setQuery] = useState('');
  const [chosen, setChosen] = useState<UserView[]>([]);
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const results = useMemo(
    () => filterMembers(members, query, { excludeId: selfId, limit: 30 }).filter((u) => !chosen.some((c) => c.id === u.id)),
    [members, query, selfId, chosen],
  );
  const pick = (i: number) => {
    const u = results[i];
    if (!u) return;
    if (!multiple) {
      onPick([u.id]);
      return;
    }
    setChosen((c) => [...c, u]);
    setQuery('');
    inputRef.current?.focus();
  };
  const nav = useListNav(results.length, pick, { resetKey: query });
  const confirm = () => chosen.length && onPick(chosen.map((u) => u.id));

  return (
    <Dialog title={title} onClose={onClose} initialFocus={inputRef} inline={inline} className="rc-picker">
      {chosen.length > 0 && (
        <ul className="rc-chips" aria-label="Chosen people">
          {chosen.map((u) => (
            <li key={u.id} className="rc-chip">
              {userName(u)}
              <button
                type="button"
                className="rc-chip-x"
                aria-label={`Remove ${userName(u)}`}
                onClick={() => setChosen((c) => c.filter((x) => x.id !== u.id))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        ref={inputRef}
        className="rc-input"
        role="combobox"
        aria-label="Find people"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={results[nav.active] ? `${listId}-${nav.active}` : undefined}
        aria-autocomplete="list"
        placeholder="Type a name"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (multiple && e.key === 'Enter' && !query && chosen.length) {
            e.preventDefault();
            confirm();
            return;
          }
          if (multiple && e.key === 'Backspace' && !query && chosen.length) {
            setChosen((c) => c.slice(0, -1));
            return;
          }
          nav.onKeyDown(e);
        }}
      />
      <ul id={listId} role="listbox" aria-label="People" className="rc-picker-list">
        {results.map((u, i) => (
          <li
            key={u.id}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === nav.active}
            className="rc-option"
            onMouseMove={() => nav.setActive(i)}
            onClick={() => pick(i)}
          >
            <Avatar user={u} size={24} presence />
            <span>{userName(u)}</span>
            {readableId(u) && <span className="rc-option-sub">{readableId(u)}</span>}
            <span className="rc-sr-only">{u.online ? ', online' : ', offline'}</span>
          </li>
        ))}
        {results.length === 0 && (
          <li role="presentation" className="rc-muted rc-switcher-empty">
            Nobody matches “{query}”
          </li>
        )}
      </ul>
      {multiple && (
        <div className="rc-dialog-actions">
          <button type="button" className="rc-btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="rc-btn rc-btn-primary" disabled={!chosen.length} onClick={confirm}>
            Start conversation
          </button>
        </div>
      )}
    </Dialog>
  );
}
