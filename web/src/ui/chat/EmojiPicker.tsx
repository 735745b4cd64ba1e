// The full emoji picker, loaded lazily (React.lazy in ReactionPicker.tsx) with its data: search, categories,
// arrow keys over the grid, Enter to pick. Our own: no third-party picker, no styles injected at run time.
import { useId, useMemo, useRef, useState } from 'react';
import groups from 'unicode-emoji-json/data-by-group.json';
import './EmojiPicker.css';

export interface EmojiPickerProps {
  onPick: (emoji: string) => void;
  onClose?: () => void;
}

const COLS = 8;
const LABELS: Record<string, string> = {
  smileys_emotion: '😀',
  people_body: '👋',
  animals_nature: '🐻',
  food_drink: '🍔',
  travel_places: '✈️',
  activities: '⚽',
  objects: '💡',
  symbols: '❤️',
  flags: '🏁',
};

export default function EmojiPicker({ onPick, onClose }: EmojiPickerProps) {
  const [query, setQuery] = useState('');
  const [group, setGroup] = useState(groups[0]?.slug ?? '');
  const [active, setActive] = useState(0);
  const listId = useId();
  const gridRef = useRef<HTMLDivElement>(null);
  const list = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (q) {
      const out: { emoji: string; name: string }[] = [];
      for (const g of groups)
        for (const e of g.emojis) if (e.name.includes(q) || e.slug.includes(q)) if (out.push(e) >= 160) return out;
      return out;
    }
    return groups.find((g) => g.slug === group)?.emojis ?? [];
  }, [query, group]);

  const move = (to: number) => {
    const next = Math.max(0, Math.min(list.length - 1, to));
    setActive(next);
    gridRef.current?.querySelector(`[data-i="${next}"]`)?.scrollIntoView?.({ block: 'nearest' });
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const keys: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLS, ArrowUp: -COLS };
    const d = keys[e.key];
    if (d !== undefined && !(d === 1 || d === -1 ? query && (e.target as HTMLInputElement).selectionStart !== query.length : false)) {
      e.preventDefault();
      move(active + d);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const pick = list[active];
      if (pick) onPick(pick.emoji);
    } else if (e.key === 'Escape' && onClose) {
      e.stopPropagation();
      onClose();
    }
  };

  return (
    <div className="rc-emoji">
      <input
        className="rc-input rc-emoji-search"
        role="combobox"
        aria-label="Search emoji"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={list[active] ? `${listId}-${active}` : undefined}
        placeholder="Search emoji"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
      />
      {!query && (
        <div className="rc-emoji-tabs" role="tablist" aria-label="Emoji categories">
          {groups.map((g) => (
            <button
              key={g.slug}
              type="button"
              role="tab"
              aria-selected={g.slug === group}
              aria-label={g.name}
              title={g.name}
              tabIndex={-1}
              className="rc-emoji-tab"
              onClick={() => {
                setGroup(g.slug);
                setActive(0);
              }}
            >
              {LABELS[g.slug] ?? g.emojis[0]?.emoji}
            </button>
          ))}
        </div>
      )}
      <div ref={gridRef} id={listId} role="listbox" aria-label={query ? 'Matching emoji' : groups.find((g) => g.slug === group)?.name} className="rc-emoji-grid">
        {list.map((e, i) => (
          <div
            key={e.emoji}
            id={`${listId}-${i}`}
            data-i={i}
            role="option"
            aria-selected={i === active}
            aria-label={e.name}
            title={e.name}
            className="rc-emoji-cell"
            onMouseMove={() => setActive(i)}
            onClick={() => onPick(e.emoji)}
          >
            {e.emoji}
          </div>
        ))}
        {list.length === 0 && <p className="rc-emoji-none">No emoji match “{query}”</p>}
      </div>
    </div>
  );
}
