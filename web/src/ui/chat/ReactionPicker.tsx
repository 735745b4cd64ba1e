import { lazy, Suspense, useState } from 'react';
import { QUICK_REACTIONS } from './reactions';
import './MessageRow.css';

const EmojiPicker = lazy(() => import('./EmojiPicker'));

export interface QuickReactionBarProps {
  onPick: (type: string) => void;
  /** Types the viewer already reacted with (shown pressed). */
  own?: ReadonlySet<string>;
  onMore?: () => void;
}

/** 👍 ❤️ 😂 🎉 😮 🙏, and "More reactions" to open the full picker. */
export function QuickReactionBar({ onPick, own, onMore }: QuickReactionBarProps) {
  return (
    <div className="rc-quick" role="group" aria-label="Quick reactions">
      {QUICK_REACTIONS.map((r) => (
        <button
          key={r.type}
          type="button"
          className="rc-quick-btn"
          aria-label={`React with ${r.name}`}
          aria-pressed={own?.has(r.type) ?? false}
          onClick={() => onPick(r.type)}
        >
          {r.emoji}
        </button>
      ))}
      {onMore && (
        <button type="button" className="rc-quick-btn rc-quick-more" aria-label="More reactions" onClick={onMore}>
          +
        </button>
      )}
    </div>
  );
}

/** The quick bar, swapping to the lazy-loaded EmojiPicker on "More reactions". */
export function ReactionPicker({ onPick, own }: { onPick: (type: string) => void; own?: ReadonlySet<string> }) {
  const [full, setFull] = useState(false);
  if (!full) return <QuickReactionBar onPick={onPick} own={own} onMore={() => setFull(true)} />;
  return (
    <Suspense fallback={<div className="rc-emoji-loading" role="status">Loading emoji…</div>}>
      <EmojiPicker onPick={onPick} />
    </Suspense>
  );
}

/** The EmojiPicker behind React.lazy: its code and data load on first use only. */
export function LazyEmojiPicker(props: { onPick: (emoji: string) => void; onClose?: () => void }) {
  return (
    <Suspense fallback={<div className="rc-emoji-loading" role="status">Loading emoji…</div>}>
      <EmojiPicker {...props} />
    </Suspense>
  );
}
