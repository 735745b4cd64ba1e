import { useEffect, useRef, useState } from 'react';
import { formatFull, formatTime } from './format';
import { Icon } from './icons';
import { userName, type SearchResultView } from './types';
import './common.css';
import './SearchPanel.css';

export interface SearchPanelProps {
  /** Results of the last search (`SearchResponse.results`). */
  results: readonly SearchResultView[];
  /** Called (debounced 250 ms) as the query changes, and at once on Enter. */
  onSearch: (query: string) => void;
  onJump: (cid: string, messageId: string) => void;
  onClose?: () => void;
  loading?: boolean;
  error?: string;
  initialQuery?: string;
}

/** A search box and its results (message, channel, author, time); a result calls `onJump(cid, id)`. */
export function SearchPanel({ results, onSearch, onJump, onClose, loading, error, initialQuery = '' }: SearchPanelProps) {
  const [query, setQuery] = useState(initialQuery);
  const inputRef = useRef<HTMLInputElement>(null);
  const onSearchRef = useRef(onSearch);
  onSearchRef.current = onSearch;
  const first = useRef(true);
  useEffect(() => inputRef.current?.focus(), []);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      if (!query.trim()) return;
    }
    const t = setTimeout(() => query.trim() && onSearchRef.current(query.trim()), 250);
    return () => clearTimeout(t);
  }, [query]);

  return (
    <section
      className="rc-search"
      aria-label="Search messages"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && onClose) {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <form
        role="search"
        className="rc-search-bar"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim()) onSearch(query.trim());
        }}
      >
        <Icon name="search" />
        <input
          ref={inputRef}
          type="search"
          className="rc-input"
          aria-label="Search messages"
          placeholder="Search messages"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        {onClose && (
          <button type="button" className="rc-icon-btn" aria-label="Close search" onClick={onClose}>
            <Icon name="close" />
          </button>
        )}
      </form>
      <div className="rc-search-status" role="status">
        {loading ? 'Searching…' : error ? error : query.trim() && results.length === 0 ? 'No messages found' : results.length ? `${results.length} result${results.length === 1 ? '' : 's'}` : ''}
      </div>
      <ul className="rc-search-results" aria-label="Search results">
        {results.map(({ message: m }) => {
          const cid = m.cid ?? m.channel?.cid ?? '';
          const channel = m.channel?.name ?? m.channel?.id ?? cid.split(':')[1] ?? '';
          return (
            <li key={`${cid}/${m.id}`}>
              <button type="button" className="rc-search-result" onClick={() => onJump(cid, m.id)}>
                <span className="rc-search-meta">
                  <span className="rc-search-author">{userName(m.user)}</span>
                  <span className="rc-muted">in #{channel}</span>
                  <time className="rc-muted" dateTime={String(m.created_at ?? '')} title={formatFull(m.created_at)}>
                    {formatFull(m.created_at) || formatTime(m.created_at)}
                  </time>
                </span>
                <span className="rc-search-text">{m.text}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
